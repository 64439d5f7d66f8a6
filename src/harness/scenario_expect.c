/* scenario_expect.c — `expect:`: what must come out of a scenario (the outcome, the rule ids
 * that fire, the diagnosis's causes and evidence, what each display shows, the driver's state). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/patterns.h"
#include "harness/scenario_internal.h"
#include "model/diagnosis/diagnosis.h"
#include "spec/rules.h"

static const char *const outcomes[] = {"ok", "timeout", "violation", "device-error",
                                       "driver-error", NULL};
/* The cause ids are the diagnosis engine's. */
static const char *const *const causes = diag_cause_ids;

bool outcome_valid(const char *s)
{
    for (int i = 0; outcomes[i]; i++)
        if (!strcmp(outcomes[i], s))
            return true;
    return false;
}

static int parse_display(struct scn_ctx *c, const struct ynode *d, struct scenario *s,
                         uint32_t default_scanout)
{
    static const char *const dk[] = {"scanout", "state", "active", "sha256", "pattern", "png",
                                     "dark", "cursor", NULL};
    static const char *const states[] = {"not-initialized", "active", "inactive", NULL};
    if (scn_check_keys(c, d, "expect.display", dk))
        return -1;
    struct display_expect *x = &s->displays[s->n_displays++];
    x->scanout = default_scanout;
    if (scn_get_u32(c, d, "scanout", 0, VIRTIO_GPU_MAX_SCANOUTS - 1, &x->scanout))
        return -1;
    for (uint32_t i = 0; i + 1 < s->n_displays; i++)
        if (s->displays[i].scanout == x->scanout)
            return scn_fail(c, d, "scanout %u is expected twice", x->scanout);
    int st = -1;
    if (scn_choose(c, d, "state", states, &st))
        return -1;
    x->state = st >= 0 ? states[st] : NULL;
    const struct ynode *a = ymap_get(d, "active");
    if (a) {
        if (!yscalar_bool(a, &x->active))
            return scn_fail(c, a, "'active' must be true or false");
        x->active_set = true;
    }
    const struct ynode *dk2 = ymap_get(d, "dark");
    if (dk2) {
        if (!yscalar_bool(dk2, &x->dark))
            return scn_fail(c, dk2, "'dark' must be true or false");
        x->dark_set = true;
    }
    const struct ynode *cu = ymap_get(d, "cursor");
    if (cu) {
        if (!yscalar_bool(cu, &x->cursor))
            return scn_fail(c, cu, "'cursor' must be true or false");
        x->cursor_set = true;
    }
    const struct ynode *h = ymap_get(d, "sha256");
    if (h) {
        bool ok = h->kind == YN_SCALAR && strlen(h->str) == 64;
        for (size_t i = 0; ok && i < 64; i++)
            ok = (h->str[i] >= '0' && h->str[i] <= '9') || (h->str[i] >= 'a' && h->str[i] <= 'f');
        if (!ok)
            return scn_fail(c, h, "'sha256' must be 64 lower-case hex digits");
        x->sha256 = strdup(h->str);
    }
    const struct ynode *p = ymap_get(d, "pattern");
    if (p && (p->kind != YN_SCALAR || !(x->pattern = pattern_lookup(p->str))))
        return scn_fail(c, p, "unknown pattern (expected bars or black)");
    const struct ynode *png = ymap_get(d, "png");
    if (png) {
        size_t l = png->kind == YN_SCALAR ? strlen(png->str) : 0;
        if (l < 5 || strcmp(png->str + l - 4, ".png") != 0)
            return scn_fail(c, png, "'png' must be the path of a .png reference image");
        x->png = strdup(png->str);
    }
    return 0;
}

/* A list of rule ids of the catalogue (expect.violations, expect.informational). */
static int rule_ids(struct scn_ctx *c, const struct ynode *v, const char *key, char **out,
                    uint32_t *n)
{
    if (!v)
        return 0;
    if (v->kind != YN_SEQ)
        return scn_fail(c, v, "'%s' must be a list of rule ids", key);
    char rerr[256];
    const struct rule_catalogue *cat = rules_builtin(rerr, sizeof(rerr));
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *id = v->items[i];
        if (id->kind != YN_SCALAR)
            return scn_fail(c, id, "a rule id must be a string");
        if (cat && !rules_find(cat, id->str))
            return scn_fail(c, id, "unknown rule id '%s' (see `vqsim rules`)", id->str);
        if (*n >= SCENARIO_MAX_EXPECT_VIOLATIONS)
            return scn_fail(c, id, "too many expected %s", key);
        out[(*n)++] = strdup(id->str);
    }
    return 0;
}

/* expect.driver: the state the built-in driver must end in (broken or not, the status that broke
 * it, which queues it latched broken). */
static int parse_expect_driver(struct scn_ctx *c, const struct ynode *dr, struct scenario *s)
{
    static const char *const dk[] = {"broken", "broken_status", "queues_broken", NULL};
    if (scn_check_keys(c, dr, "expect.driver", dk))
        return -1;
    const struct ynode *b = ymap_get(dr, "broken");
    if (b && !yscalar_bool(b, &s->expect_broken))
        return scn_fail(c, b, "'broken' must be true or false");
    s->expect_broken_set = b != NULL;
    const struct ynode *bs = ymap_get(dr, "broken_status");
    if (bs && (bs->kind != YN_SCALAR ||
               !driver_status_lookup(bs->str, &s->expect_broken_status)))
        return scn_fail(c, bs, "unknown driver status");
    s->expect_broken_status_set = bs != NULL;
    const struct ynode *qb = ymap_get(dr, "queues_broken");
    if (qb) { /* exactly the set of queues the driver latched broken */
        if (qb->kind != YN_SEQ)
            return scn_fail(c, qb, "'queues_broken' must be a list of queue names "
                                   "(control, cursor)");
        for (size_t i = 0; i < qb->n; i++) {
            const struct ynode *q = qb->items[i];
            bool ctl = q->kind == YN_SCALAR && !strcmp(q->str, "control");
            bool cur = q->kind == YN_SCALAR && !strcmp(q->str, "cursor");
            if (!ctl && !cur)
                return scn_fail(c, q, "unknown queue (expected control or cursor)");
            s->expect_queues_broken |= ctl ? 1u : 2u;
        }
        s->expect_queues_broken_set = true;
    }
    return 0;
}

/* expect.cause (the first cause) and expect.causes (the whole list, in order): ids of the
 * diagnosis engine's causes. */
static int parse_causes(struct scn_ctx *c, const struct ynode *e, struct scenario *s)
{
    int cause = -1;
    if (ymap_get(e, "cause")) {
        if (scn_choose(c, e, "cause", causes, &cause))
            return -1;
        s->expect_cause = strdup(causes[cause]);
    }
    const struct ynode *cl = ymap_get(e, "causes");
    if (cl) {
        if (cl->kind != YN_SEQ)
            return scn_fail(c, cl, "'causes' must be a list of cause ids, first cause first");
        s->expect_causes_set = true;
        for (size_t i = 0; i < cl->n; i++) {
            const struct ynode *id = cl->items[i];
            int k = -1;
            for (int j = 0; id->kind == YN_SCALAR && causes[j]; j++)
                if (!strcmp(causes[j], id->str))
                    k = j;
            if (k < 0)
                return scn_fail(c, id, "unknown cause id (expected one of the ids in README.md, "
                                       "e.g. queue-not-ready, no-notify, device-broken)");
            if (s->n_expect_causes >= SCENARIO_MAX_EXPECT_CAUSES)
                return scn_fail(c, id, "at most %d causes", SCENARIO_MAX_EXPECT_CAUSES);
            s->expect_causes[s->n_expect_causes++] = strdup(causes[k]);
        }
    }
    return 0;
}

/* expect.evidence: evidence key -> the value as the diagnosis shows it. */
static int parse_evidence(struct scn_ctx *c, const struct ynode *ev, struct scenario *s)
{
    if (ev->kind != YN_MAP)
        return scn_fail(c, ev, "'evidence' must be a mapping of evidence key to value");
    for (size_t i = 0; i < ev->n; i++) {
        const struct ynode *k = ymap_key(ev, i), *val = ymap_val(ev, i);
        if (val->kind != YN_SCALAR || yscalar_is_null(val))
            return scn_fail(c, val, "evidence '%s' must be a scalar (the value as the "
                                    "diagnosis shows it, e.g. 0x40101000)", k->str);
        if (s->n_expect_evidence >= SCENARIO_MAX_EXPECT_EVIDENCE)
            return scn_fail(c, k, "at most %d evidence keys", SCENARIO_MAX_EXPECT_EVIDENCE);
        s->expect_evidence[s->n_expect_evidence].key = strdup(k->str);
        s->expect_evidence[s->n_expect_evidence].value = strdup(val->str);
        s->expect_evidence[s->n_expect_evidence].line = k->line;
        s->n_expect_evidence++;
    }
    return 0;
}

int scn_parse_expect(struct scn_ctx *c, const struct ynode *e, struct scenario *s)
{
    static const char *const keys[] = {"outcome", "violations", "informational", "cause",
                                       "causes", "evidence", "display",
                                       "memory_outside_buffers", "driver", NULL};
    if (scn_check_keys(c, e, "expect", keys))
        return -1;
    static const char *const mem[] = {"untouched", "changed", NULL};
    int mi = -1;
    if (scn_choose(c, e, "memory_outside_buffers", mem, &mi))
        return -1;
    s->expect_memory = mi >= 0 ? mem[mi] : NULL;
    const struct ynode *dr = ymap_get(e, "driver");
    if (dr && parse_expect_driver(c, dr, s))
        return -1;
    int o = 0;
    if (scn_choose(c, e, "outcome", outcomes, &o))
        return -1;
    s->expect_outcome = outcomes[o];
    if (rule_ids(c, ymap_get(e, "violations"), "violations", s->expect_violations,
                 &s->n_expect_violations) ||
        rule_ids(c, ymap_get(e, "informational"), "informational", s->expect_informational,
                 &s->n_expect_informational))
        return -1;
    s->expect_informational_set = ymap_get(e, "informational") != NULL;
    if (parse_causes(c, e, s))
        return -1;
    const struct ynode *ev = ymap_get(e, "evidence");
    if (ev && parse_evidence(c, ev, s))
        return -1;
    const struct ynode *d = ymap_get(e, "display");
    if (d && d->kind == YN_SEQ) {
        if (d->n == 0 || d->n > SCENARIO_MAX_DISPLAYS)
            return scn_fail(c, d, "expect.display lists 1 to %d scanouts",
                            SCENARIO_MAX_DISPLAYS);
        for (size_t i = 0; i < d->n; i++)
            if (parse_display(c, d->items[i], s, (uint32_t)i))
                return -1;
    } else if (d && parse_display(c, d, s, 0)) {
        return -1;
    }
    return 0;
}
