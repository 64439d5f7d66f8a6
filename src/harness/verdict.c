/* verdict.c — see verdict.h. */
#include "harness/verdict.h"

#include <stdio.h>
#include <string.h>

#include "harness/results_chains.h"
#include "model/devices/gpu_device.h"
#include "model/rings/ring.h"
#include "spec/rules.h"
#include "util/text_wrap.h"
#include "spec/feature_names.h"

void verdict_json_begin(struct jw *w)
{
    jw_obj_begin(w);
    jw_kstr(w, "schema", VQSIM_RESULTS_SCHEMA);
    jw_kstr(w, "vqsim_version", VQSIM_VERSION);
    jw_key(w, "scenarios");
    jw_arr_begin(w);
}

void verdict_json_end(struct jw *w, unsigned total, unsigned passed)
{
    jw_arr_end(w);
    jw_key(w, "summary");
    jw_obj_begin(w);
    jw_ku64(w, "total", total);
    jw_ku64(w, "passed", passed);
    jw_ku64(w, "failed", total - passed);
    jw_obj_end(w);
    jw_obj_end(w);
}

/* A feature mask as a list of names (hex for bits without a name). */
static void json_features(struct jw *w, const char *key, uint64_t bits)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (uint32_t b = 0; b < 64; b++) {
        if (!(bits >> b & 1))
            continue;
        const char *name = feature_name(b);
        if (name) {
            jw_str(w, name);
        } else {
            char tmp[16];
            snprintf(tmp, sizeof(tmp), "bit%u", b);
            jw_str(w, tmp);
        }
    }
    jw_arr_end(w);
}

static void json_expected(struct jw *w, const struct scenario *s)
{
    jw_key(w, "expected");
    jw_obj_begin(w);
    jw_kstr(w, "outcome", s->expect_outcome);
    jw_key(w, "violations");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < s->n_expect_violations; i++)
        jw_str(w, s->expect_violations[i]);
    jw_arr_end(w);
    jw_kstr(w, "cause", s->expect_cause);
    if (s->expect_memory)
        jw_kstr(w, "memory_outside_buffers", s->expect_memory);
    if (s->expect_broken_set || s->expect_broken_status_set || s->expect_queues_broken_set) {
        jw_key(w, "driver");
        jw_obj_begin(w);
        if (s->expect_broken_set)
            jw_kbool(w, "broken", s->expect_broken);
        if (s->expect_broken_status_set)
            jw_kstr(w, "broken_status", vgpu_status_name(s->expect_broken_status));
        if (s->expect_queues_broken_set) {
            jw_key(w, "queues_broken");
            jw_arr_begin(w);
            if (s->expect_queues_broken & 1u)
                jw_str(w, "control");
            if (s->expect_queues_broken & 2u)
                jw_str(w, "cursor");
            jw_arr_end(w);
        }
        jw_obj_end(w);
    }
    jw_key(w, "display");
    if (!s->n_displays) {
        jw_null(w);
    } else {
        if (s->n_displays > 1)
            jw_arr_begin(w);
        for (uint32_t i = 0; i < s->n_displays; i++) {
            const struct display_expect *x = &s->displays[i];
            jw_obj_begin(w);
            if (s->n_displays > 1 || x->scanout)
                jw_ku64(w, "scanout", x->scanout);
            if (x->active_set)
                jw_kbool(w, "active", x->active);
            if (x->dark_set)
                jw_kbool(w, "dark", x->dark);
            if (x->cursor_set)
                jw_kbool(w, "cursor", x->cursor);
            if (x->sha256)
                jw_kstr(w, "sha256", x->sha256);
            if (x->pattern)
                jw_kstr(w, "pattern", x->pattern);
            if (x->png)
                jw_kstr(w, "png", x->png);
            jw_obj_end(w);
        }
        if (s->n_displays > 1)
            jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void json_vq(struct jw *w, const char *key, const struct virtq *vq)
{
    jw_key(w, key);
    if (!vq->state) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_kbool(w, "broken", vq->broken);
    jw_kstr(w, "broken_status", vq->broken ? vgpu_status_name(vq->broken_status) : NULL);
    jw_ku64(w, "len_clamped", vq->len_clamped);
    jw_obj_end(w);
}

/* What the driver latched (its broken state, by queue) and whether guest memory outside its
 * DMA allocations stayed as it was (memory_guard.h). */
static void json_driver(struct jw *w, const struct scenario *s, const struct run_result *r)
{
    const struct vgpu *g = &r->gpu;
    jw_key(w, "driver");
    jw_obj_begin(w);
    jw_kbool(w, "broken", vgpu_is_broken(g));
    jw_kstr(w, "broken_status", g->broken ? vgpu_status_name(g->broken_status) : NULL);
    jw_kbool(w, "stalled", g->stalled);
    jw_kstr(w, "used_len", s->used_len ? "lenient" : "strict");
    json_vq(w, "control_queue", &g->ctrl);
    json_vq(w, "cursor_queue", &g->cursorq);
    jw_obj_end(w);
    const struct mg_result *m = &r->memory;
    jw_key(w, "memory_outside_buffers");
    jw_obj_begin(w);
    jw_kstr(w, "state", !m->judged ? "not-judged" : m->changed_bytes ? "changed" : "untouched");
    jw_kbool(w, "canary", r->machine_ok && r->m.mguard.canary);
    jw_ku64(w, "allocations", m->allocations);
    jw_ku64(w, "pages_scanned", m->pages_scanned);
    jw_ku64(w, "changed_bytes", m->changed_bytes);
    jw_key(w, "first_changed");
    if (m->changed_bytes)
        jw_hex(w, m->first_changed);
    else
        jw_null(w);
    jw_obj_end(w);
}

/* One scanout as a person would see it: state, mode, picture hash, files, and why it is dark. */
static void json_scanout(struct jw *w, const struct run_result *r, uint32_t i)
{
    const struct gpu_scanout *so = &gpu_of(&r->m)->scanouts[i]; /* i < r->n_scanouts: a gpu */
    const struct scanout_result *res = &r->scanouts[i];
    jw_obj_begin(w);
    jw_ku64(w, "scanout", i);
    jw_kstr(w, "state", scanout_state_name(so->state));
    jw_kbool(w, "active", so->state == SCANOUT_ACTIVE);
    jw_ku64(w, "width", so->width);
    jw_ku64(w, "height", so->height);
    jw_ku64(w, "resource", so->resource_id);
    jw_ku64(w, "flushes", so->flushes);
    jw_kbool(w, "dark", res->dark);
    jw_kstr(w, "dark_reason", res->dark ? res->dark_reason : NULL);
    jw_key(w, "cursor");
    if (so->cursor.visible && so->state == SCANOUT_ACTIVE) {
        jw_obj_begin(w);
        jw_ku64(w, "resource", so->cursor.resource_id);
        jw_ku64(w, "x", so->cursor.x);
        jw_ku64(w, "y", so->cursor.y);
        jw_ku64(w, "hot_x", so->cursor.hot_x);
        jw_ku64(w, "hot_y", so->cursor.hot_y);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_kstr(w, "sha256", res->sha256);
    jw_kstr(w, "png", res->png);
    jw_kstr(w, "diff_png", res->diff_png);
    jw_obj_end(w);
}

static void json_maybe_hex(struct jw *w, const char *key, bool has, uint64_t v)
{
    jw_key(w, key);
    if (has)
        jw_hex(w, v);
    else
        jw_null(w);
}

static void json_queues(struct jw *w, const struct run_result *r)
{
    jw_key(w, "queues");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < RUN_MAX_QUEUES; i++) {
        /* Where the driver put the queue (runner.h run_queue_view: what it holds, reported, or
         * wrote to the registers) and where the device looks; a queue neither set up is left
         * out. */
        struct run_queue_view v;
        run_queue_view(r, i, &v);
        if (!v.shown)
            continue;
        const struct dev_queue *q = &r->m.dev.q[i];
        jw_obj_begin(w);
        jw_ku64(w, "index", i);
        jw_key(w, "size");
        if (v.has_num)
            jw_u64(w, v.num);
        else
            jw_null(w);
        jw_key(w, "driver");
        jw_obj_begin(w);
        json_maybe_hex(w, "desc", v.has_desc, v.desc);
        json_maybe_hex(w, "avail", v.has_avail, v.avail);
        json_maybe_hex(w, "used", v.has_used, v.used);
        jw_kstr(w, "source", v.source); /* where the driver's side comes from */
        jw_obj_end(w);
        jw_key(w, "device");
        jw_obj_begin(w);
        jw_khex(w, "desc", q->desc);
        jw_khex(w, "avail", q->avail);
        jw_khex(w, "used", q->used);
        jw_ku64(w, "size", q->live_num);
        jw_kbool(w, "ready", q->live);
        jw_obj_end(w);
        jw_ku64(w, "avail_idx", q->last_avail_idx);
        jw_ku64(w, "used_idx", q->used_idx);
        results_chains_json(w, &r->m, i); /* the chains the device met (results_chains.h) */
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* Name a ring address the way the device sees the rings (or NULL). */
static const char *ring_what(const struct run_result *r, uint64_t addr)
{
    uint32_t idx;
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        const char *w = ring_classify(&r->m.dev.q[q], addr, &idx);
        if (w)
            return w;
        if ((w = ring_classify_table(&r->m.dev.q[q], addr, &idx)))
            return w;
    }
    return NULL;
}

static void json_trace(struct jw *w, const struct run_result *r)
{
    if (r->m.trace.dropped) /* only past the bound (trace.h): the window below starts later */
        jw_ku64(w, "trace_dropped", r->m.trace.dropped);
    jw_key(w, "trace");
    jw_arr_begin(w);
    for (size_t i = 0; i < r->m.trace.len; i++) {
        const struct trace_event *e = &r->m.trace.ev[i];
        jw_obj_begin(w);
        jw_ku64(w, "t", e->t);
        jw_kstr(w, "kind", trace_kind_name((enum trace_kind)e->kind));
        switch ((enum trace_kind)e->kind) {
        case TR_MMIO_READ:
        case TR_MMIO_WRITE:
            jw_khex(w, "offset", e->addr);
            jw_kstr(w, "reg", e->what);
            jw_khex(w, "value", e->value);
            break;
        case TR_RING_STORE:
        case TR_RING_LOAD:
            jw_khex(w, "addr", e->addr);
            jw_ku64(w, "size", e->size);
            jw_khex(w, "value", e->value);
            jw_kstr(w, "what", ring_what(r, e->addr));
            if (e->count > 1)
                jw_ku64(w, "count", e->count);
            break;
        case TR_NOTIFY:
            jw_ku64(w, "queue", e->queue);
            break;
        case TR_POP:
            jw_ku64(w, "queue", e->queue);
            jw_ku64(w, "head", e->addr);
            jw_ku64(w, "avail_idx", e->value);
            break;
        case TR_USED:
            jw_ku64(w, "queue", e->queue);
            jw_khex(w, "addr", e->addr);
            jw_ku64(w, "id", e->aux);
            jw_ku64(w, "len", e->value);
            break;
        case TR_IRQ:
            jw_khex(w, "value", e->value);
            jw_kstr(w, "what", e->what);
            jw_kbool(w, "line_rose", e->aux != 0); /* false: InterruptStatus was already set */
            break;
        case TR_VIOLATION:
            jw_kstr(w, "rule", e->what);
            if (e->queue != 0xff) /* the queue it is about, when it is about one */
                jw_ku64(w, "queue", e->queue);
            break;
        default:
            jw_kstr(w, "what", e->what);
            if (e->addr)
                jw_khex(w, "addr", e->addr);
            if (e->value)
                jw_ku64(w, "value", e->value);
            break;
        }
        if (e->note)
            jw_kstr(w, "note", e->note);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* The fields of one cause, inside an open object. */
static void json_cause(struct jw *w, const struct diag_cause *c)
{
    if (c == NULL)
        return;
    jw_kstr(w, "cause", c->id);
    jw_kstr(w, "section", c->section);
    jw_kstr(w, "title", c->title);
    jw_kstr(w, "message", c->message);
    jw_key(w, "evidence");
    jw_obj_begin(w);
    for (int i = 0; i < c->n_evidence; i++)
        jw_kstr(w, c->evidence[i].key, c->evidence[i].value);
    jw_obj_end(w);
}

/* Each finding: rule, section, title, level, message, time. */
static void json_findings(struct jw *w, const char *key, const struct violation *f, uint32_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        const struct violation *v = &f[i];
        jw_obj_begin(w);
        jw_kstr(w, "rule", v->rule->id);
        jw_kstr(w, "section", v->rule->section);
        if (v->rule->spec[0]) /* a section of another VirtIO version than 1.1 */
            jw_kstr(w, "spec", v->rule->spec);
        jw_kstr(w, "title", v->rule->title);
        jw_kstr(w, "level", v->rule->level);
        jw_kstr(w, "message", v->message);
        jw_ku64(w, "time_ns", v->t);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void verdict_json_scenario(struct jw *w, const struct scenario *s, const struct run_result *r)
{
    jw_obj_begin(w);
    jw_kstr(w, "name", s->name);
    jw_kstr(w, "file", s->file);
    jw_kstr(w, "description", s->description);
    jw_kbool(w, "passed", r->passed);
    jw_key(w, "failures");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < r->n_failures; i++)
        jw_str(w, r->failures[i]);
    jw_arr_end(w);
    jw_kstr(w, "outcome", r->outcome);
    json_expected(w, s);
    jw_key(w, "qemu"); /* tools/qemu_diff.py: why the real-QEMU differential leaves it out */
    jw_obj_begin(w);
    jw_kstr(w, "skip", s->qemu_skip);
    jw_obj_end(w);

    jw_key(w, "device");
    jw_obj_begin(w);
    jw_kstr(w, "transport", s->transport_version == 1 ? "legacy" : "modern");
    jw_ku64(w, "version", s->transport_version);
    jw_kstr(w, "profile", s->profile == 1 ? "strict" : "qemu");
    jw_kstr(w, "memory", s->weak_memory ? "weak" : "strong");           /* barrier_check.h */
    jw_kstr(w, "ring_access", s->ring_access ? "plain" : "accessors");  /* barrier_check.h */
    json_features(w, "offered", r->machine_ok ? r->m.dev.host_features : 0);
    json_features(w, "negotiated", r->machine_ok ? r->m.dev.guest_features : 0);
    jw_key(w, "display");
    jw_obj_begin(w);
    jw_ku64(w, "width", s->display_width);
    jw_ku64(w, "height", s->display_height);
    jw_obj_end(w);
    jw_obj_end(w);

    jw_key(w, "steps");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < r->n_steps; i++) {
        const struct step_result *st = &r->steps[i];
        jw_obj_begin(w);
        jw_kstr(w, "step", st->name);
        jw_kstr(w, "status", step_status_name(st->status));
        jw_kstr(w, "driver_status", st->status == ST_SKIPPED ? NULL
                                                             : vgpu_status_name(st->driver_status));
        jw_key(w, "response");
        if (st->response)
            jw_hex(w, st->response);
        else
            jw_null(w);
        jw_kstr(w, "response_name", response_name(st->response));
        jw_ku64(w, "used_len", st->used_len);
        if (st->fence_id)
            jw_ku64(w, "fence_id", st->fence_id);
        jw_ku64(w, "time_ns", st->t);
        jw_kstr(w, "detail", st->detail);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    json_findings(w, "violations", r->m.violations, r->m.n_violations);
    json_findings(w, "informational", r->m.informational, r->m.n_informational);

    /* What this run could not judge (plain ring access: barrier_check.h). */
    jw_key(w, "not_judged");
    jw_arr_begin(w);
    for (const struct bc_not_judged *n = bc_plain_not_judged; s->ring_access && n->rule; n++) {
        jw_obj_begin(w);
        jw_kstr(w, "rule", n->rule);
        jw_kstr(w, "judged", n->partly ? "partly" : "no");
        jw_kstr(w, "why", n->why);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "diagnosis");
    if (!r->has_diag || !r->diag.cause) {
        jw_null(w);
    } else { /* the first cause, flat (as schema 1 always had it), then every cause in order */
        jw_obj_begin(w);
        json_cause(w, &r->diag.causes[0]);
        jw_key(w, "causes");
        jw_arr_begin(w);
        for (int i = 0; i < r->diag.n_causes; i++) {
            jw_obj_begin(w);
            json_cause(w, &r->diag.causes[i]);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_obj_end(w);
    }

    jw_key(w, "display");
    json_scanout(w, r, 0);
    jw_key(w, "displays");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < r->n_scanouts; i++)
        json_scanout(w, r, i);
    jw_arr_end(w);

    json_driver(w, s, r);
    json_queues(w, r);
    json_trace(w, r);
    if (r->json_extra)
        r->json_extra(w, r->json_extra_ctx);
    jw_obj_end(w);
}

/* Every cause, first cause first: a paragraph a person can act on, then the evidence. */
static void print_diagnosis(FILE *f, const struct diagnosis *d)
{
    for (int i = 0; i < d->n_causes; i++) {
        const struct diag_cause *c = &d->causes[i];
        char lead[160];
        if (d->n_causes > 1)
            snprintf(lead, sizeof(lead), "    diagnosis %d/%d %s (§%s %s):", i + 1, d->n_causes,
                     c->id, c->section, c->title);
        else
            snprintf(lead, sizeof(lead), "    diagnosis %s (§%s %s):", c->id, c->section, c->title);
        fputs(lead, f);
        text_wrap(f, c->message, 100, (int)strlen(lead), 6, true);
        for (int k = 0; k < c->n_evidence; k++)
            fprintf(f, "      %s = %s\n", c->evidence[k].key, c->evidence[k].value);
    }
}

/* " LABEL=id,id" of the distinct rules of these findings, in order of first report. */
static void print_rule_ids(FILE *f, const char *label, const struct violation *v, uint32_t n)
{
    for (uint32_t i = 0, shown = 0; i < n; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < i; j++)
            dup |= v[j].rule == v[i].rule;
        if (!dup && shown++)
            fprintf(f, ",%s", v[i].rule->id);
        else if (!dup)
            fprintf(f, " %s=%s", label, v[i].rule->id);
    }
}

void verdict_print(FILE *f, const struct scenario *s, const struct run_result *r, bool verbose)
{
    fprintf(f, "%s %-40s %-12s", r->passed ? "PASS" : "FAIL", s->name, r->outcome);
    if (r->has_diag && r->diag.cause)
        fprintf(f, " cause=%s", r->diag.cause);
    print_rule_ids(f, "violations", r->m.violations, r->m.n_violations);
    /* informational findings: named on the line whatever the verdict (a pass may still need a
     * word: the driver refused the device), said in full with -v */
    print_rule_ids(f, "info", r->m.informational, r->m.n_informational);
    const struct gpu_device *g = gpu_of(&r->m);
    if (g && g->scanouts[0].state == SCANOUT_ACTIVE)
        fprintf(f, " display=%.12s", r->sha256);
    fputc('\n', f);
    if (r->passed && !verbose)
        return;
    for (uint32_t i = 0; i < r->m.n_informational; i++) {
        const struct violation *v = &r->m.informational[i];
        char lead[200];
        snprintf(lead, sizeof(lead), "    info %s (§%s %s):", v->rule->id, v->rule->section,
                 v->rule->title);
        fputs(lead, f);
        text_wrap(f, v->message, 100, (int)strlen(lead), 6, true);
    }
    for (uint32_t i = 0; i < r->n_failures; i++)
        fprintf(f, "    - %s\n", r->failures[i]);
    for (uint32_t i = 0; i < r->m.n_violations; i++) {
        const struct violation *v = &r->m.violations[i];
        fprintf(f, "    violation %s (%s%s%s§%s %s, %s) at %llu ns: %s\n", v->rule->id,
                v->rule->spec[0] ? "VirtIO " : "", v->rule->spec, v->rule->spec[0] ? " " : "",
                v->rule->section, v->rule->title, v->rule->level, (unsigned long long)v->t,
                v->message);
    }
    if (r->has_diag)
        print_diagnosis(f, &r->diag);
    for (const struct bc_not_judged *n = bc_plain_not_judged; s->ring_access && n->rule; n++)
        fprintf(f, "    not judged%s (plain ring access): %s: %s\n", n->partly ? " in part" : "",
                n->rule, n->why);
    /* "Init succeeded but the screen is black": say which display and why (gpu_display.c). */
    for (uint32_t i = 0; i < r->n_scanouts; i++) {
        if (!r->scanouts[i].dark)
            continue;
        char lead[48];
        snprintf(lead, sizeof(lead), "    display %u dark:", i);
        fputs(lead, f);
        text_wrap(f, r->scanouts[i].dark_reason, 100, (int)strlen(lead), 6, true);
    }
}
