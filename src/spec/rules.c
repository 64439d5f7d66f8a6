/* rules.c — see rules.h. */
#include "spec/rules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "spec/spec_version.h"
#include "util/yaml_embed.h"
#include "util/yaml_tree.h"

extern const struct yembed vqsim_rules_embed; /* spec/rules.yaml, parsed at build time */

static char *dup_scalar(const struct ynode *n)
{
    return strdup(n && n->kind == YN_SCALAR ? n->str : "");
}

static int fail(char *err, size_t errlen, const char *name, const struct ynode *at, const char *msg)
{
    snprintf(err, errlen, "%s:%d:%d: %s", name, at ? at->line : 1, at ? at->col : 1, msg);
    return -1;
}

/* A list of scalars (NULL and *n = 0 when absent or empty). */
static char **dup_list(const struct ynode *p, size_t *n)
{
    *n = 0;
    if (!p || p->kind != YN_SEQ || !p->n)
        return NULL;
    char **v = calloc(p->n, sizeof(char *));
    for (size_t k = 0; v && k < p->n; k++)
        v[(*n)++] = dup_scalar(p->items[k]);
    return v;
}

/* `sections: {"1.1": "2.6.5", "1.2": "2.7.5", ...}` into r->sections. */
static int parse_sections(struct rule *r, const struct ynode *m, const char *name, char *err,
                          size_t errlen)
{
    if (!m)
        return 0;
    if (m->kind != YN_MAP)
        return fail(err, errlen, name, m, "'sections' is a map of version to section");
    r->has_sections = true;
    for (size_t k = 0; k < m->n; k++) {
        enum spec_version v;
        const struct ynode *key = ymap_key(m, k), *val = ymap_val(m, k);
        if (!spec_version_parse(key->str, &v) || v == SPEC_QEMU)
            return fail(err, errlen, name, key, "'sections': a version is 1.1, 1.2, 1.3 or 1.4");
        if (val->kind != YN_SCALAR || r->sections[v])
            return fail(err, errlen, name, val, "'sections': one section number per version");
        r->sections[v] = dup_scalar(val);
    }
    return 0;
}

/* The ids met so far, a set in an open-addressed table of `mask + 1` slots (a power of two, at
 * least twice the ids): true when id was there already, else it is added. One string compare per
 * id instead of one per earlier rule (the catalogue's 206 rules: 21,000 compares at each start of
 * vqsim, bench/README.md table 6). */
static bool id_seen(const char **set, size_t mask, const char *id)
{
    uint64_t fnv = 14695981039346656037ull; /* FNV-1a */
    for (const char *p = id; *p; p++)
        fnv = (fnv ^ (uint8_t)*p) * 1099511628211ull;
    size_t h = (size_t)fnv & mask;
    for (; set[h]; h = (h + 1) & mask)
        if (!strcmp(set[h], id))
            return true;
    set[h] = id;
    return false;
}

/* The catalogue from its YAML tree (parsed now, or at build time). */
static int rules_from_tree(struct rule_catalogue *c, const struct ynode *root, const char *name,
                           char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    const struct ynode *list = ymap_get(root, "rules");
    const char **ids = NULL; /* (id_seen) */
    int rc = 0;
    if (!list || list->kind != YN_SEQ) {
        rc = fail(err, errlen, name, root, "expected a 'rules:' list");
        goto out;
    }
    size_t slots = 16;
    while (slots < 2 * list->n)
        slots *= 2;
    ids = calloc(slots, sizeof(*ids));
    c->rules = calloc(list->n ? list->n : 1, sizeof(*c->rules));
    if (!c->rules || !ids) {
        rc = fail(err, errlen, name, list, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *e = list->items[i];
        const struct ynode *id = ymap_get(e, "id");
        if (!id || id->kind != YN_SCALAR || !id->str[0]) {
            rc = fail(err, errlen, name, e, "rule without an 'id'");
            goto out;
        }
        if (id_seen(ids, slots - 1, id->str)) {
            rc = fail(err, errlen, name, id, "duplicate rule id");
            goto out;
        }
        struct rule *r = &c->rules[c->n++];
        r->id = dup_scalar(id);
        r->section = dup_scalar(ymap_get(e, "section"));
        r->spec = dup_scalar(ymap_get(e, "spec"));
        r->title = dup_scalar(ymap_get(e, "title"));
        r->area = dup_scalar(ymap_get(e, "area"));
        r->role = dup_scalar(ymap_get(e, "role"));
        r->level = dup_scalar(ymap_get(e, "level"));
        r->statement = dup_scalar(ymap_get(e, "statement"));
        r->check = dup_scalar(ymap_get(e, "check"));
        r->qemu = dup_scalar(ymap_get(e, "qemu"));
        r->reason = dup_scalar(ymap_get(e, "not_checked_because"));
        r->observable = dup_scalar(ymap_get(e, "observable"));
        const struct ynode *lg = ymap_get(e, "legacy");
        r->legacy = lg && lg->kind == YN_SCALAR && strcmp(lg->str, "true") == 0;
        r->checked = r->check[0] != 0;
        r->proven_by = dup_list(ymap_get(e, "proven_by"), &r->n_proven);
        r->catalogue = dup_list(ymap_get(e, "catalogue"), &r->n_catalogue);
        if (parse_sections(r, ymap_get(e, "sections"), name, err, errlen) != 0) {
            rc = -1;
            goto out;
        }
        if (!r->section[0]) {
            rc = fail(err, errlen, name, e, "rule without a 'section'");
            goto out;
        }
    }
out:
    free(ids);
    if (rc)
        rules_free(c);
    return rc;
}

int rules_parse(struct rule_catalogue *c, const char *buf, size_t len, const char *name, char *err,
                size_t errlen)
{
    memset(c, 0, sizeof(*c));
    char yerr[256];
    struct ynode *root = ytree_parse(buf, len, yerr, sizeof(yerr));
    if (!root) {
        snprintf(err, errlen, "%s:%s", name, yerr);
        return -1;
    }
    int rc = rules_from_tree(c, root, name, err, errlen);
    ytree_free(root);
    return rc;
}

void rules_free(struct rule_catalogue *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct rule *r = &c->rules[i];
        free(r->id); free(r->section); free(r->spec); free(r->title); free(r->area); free(r->role);
        free(r->level); free(r->statement); free(r->check); free(r->qemu); free(r->reason);
        free(r->observable);
        for (size_t k = 0; k < r->n_proven; k++)
            free(r->proven_by[k]);
        free(r->proven_by);
        for (size_t k = 0; k < r->n_catalogue; k++)
            free(r->catalogue[k]);
        free(r->catalogue);
        for (int v = 0; v < SPEC_VERSIONS; v++)
            free(r->sections[v]);
    }
    free(c->rules);
    memset(c, 0, sizeof(*c));
}

const struct rule *rules_find(const struct rule_catalogue *c, const char *id)
{
    if (!c || !id)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rules[i].id, id) == 0)
            return &c->rules[i];
    return NULL;
}

_Static_assert(RULE_SPEC_VERSIONS == SPEC_VERSIONS, "rules.h indexes versions as spec_version.h");

bool rule_holds_in(const struct rule *r, unsigned v)
{
    return v == SPEC_QEMU || !r->has_sections || r->sections[v] != NULL;
}

struct rule_cite rule_cite(const struct rule *r, unsigned v)
{
    struct rule_cite c = {r->section, r->title, r->spec};
    if (v == SPEC_QEMU || (unsigned)v >= SPEC_VERSIONS || !r->sections[v])
        return c;
    c.section = r->sections[v];
    c.spec = v == SPEC_1_1 ? "" : spec_version_name((enum spec_version)v);
    struct spec_place p;
    if (spec_rule_place(r->id, (enum spec_version)v, &p) && p.title)
        c.title = p.title;
    return c;
}

/* The built-in catalogue, parsed once per process whichever thread asks first (machines may run
 * on several threads, harness/hal_sim.h). */
static struct rule_catalogue builtin;
static bool builtin_ok;
static char builtin_err[512];

static void parse_builtin(void)
{
    struct ynode *root = yembed_tree(&vqsim_rules_embed);
    if (!root)
        snprintf(builtin_err, sizeof(builtin_err), "%s:1:1: out of memory (or a bad embedding)",
                 vqsim_rules_embed.name);
    builtin_ok = root && rules_from_tree(&builtin, root, vqsim_rules_embed.name, builtin_err,
                                         sizeof(builtin_err)) == 0;
    free(root); /* the catalogue holds copies of its strings */
}

const struct rule_catalogue *rules_builtin(char *err, size_t errlen)
{
    static once_flag parsed = ONCE_FLAG_INIT;
    call_once(&parsed, parse_builtin);
    if (!builtin_ok) {
        snprintf(err, errlen, "%s", builtin_err);
        return NULL;
    }
    return &builtin;
}
