/* coverage.c — see coverage.h. */
#include "cli/coverage.h"

#include <stdlib.h>
#include <string.h>

static bool counts(const struct rule *r)
{
    return !strcmp(r->role, "driver") && !r->legacy &&
           (!strcmp(r->level, "MUST") || !strcmp(r->level, "MUST NOT")) &&
           (!strcmp(r->observable, "yes") || !strcmp(r->observable, "partly"));
}

static bool proven(const struct rule *r) { return r->checked && r->n_proven > 0; }

/* The catalogue's informative constraints (lower-case text, ids "info.…") are cited next to the
 * normative statement they explain; they are not statements to count. */
static bool normative(const char *id) { return strncmp(id, "info.", 5) != 0; }

/* Is statement `id` covered by a counted entry before index `before` (in `area`, if given)? Also
 * reports whether any counted entry (anywhere) proves it. The catalogue is small (about a
 * hundred entries): a scan keeps this free of allocation. */
static bool seen_before(const struct rule_catalogue *c, size_t before, const char *id,
                        const char *area)
{
    for (size_t i = 0; i < before; i++) {
        const struct rule *r = &c->rules[i];
        if (!counts(r) || (area && strcmp(r->area, area) != 0))
            continue;
        for (size_t k = 0; k < r->n_catalogue; k++)
            if (!strcmp(r->catalogue[k], id))
                return true;
    }
    return false;
}

static bool statement_proven(const struct rule_catalogue *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        if (!counts(r) || !proven(r))
            continue;
        for (size_t k = 0; k < r->n_catalogue; k++)
            if (!strcmp(r->catalogue[k], id))
                return true;
    }
    return false;
}

size_t coverage_count(const struct rule_catalogue *c, struct coverage_row *rows,
                      struct coverage_row *total, struct coverage_statements *st)
{
    size_t n = 0;
    *total = (struct coverage_row){"total", 0, 0, 0, 0, 0};
    *st = (struct coverage_statements){0, 0, 0};
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        if (!counts(r))
            continue;
        size_t k = 0;
        while (k < n && strcmp(rows[k].area, r->area) != 0)
            k++;
        if (k == n) {
            if (n == COVERAGE_MAX_AREAS)
                continue;
            rows[n++] = (struct coverage_row){r->area, 0, 0, 0, 0, 0};
        }
        struct coverage_row *row = &rows[k];
        for (size_t j = 0; j < r->n_catalogue; j++) {
            const char *id = r->catalogue[j];
            if (!normative(id))
                continue;
            if (!seen_before(c, i, id, r->area))
                row->statements++;
            if (!seen_before(c, i, id, NULL)) {
                st->total++;
                if (statement_proven(c, id))
                    st->proven++;
                else if (!r->checked && r->reason[0])
                    st->argued++;
            }
        }
        row->entries++;
        row->checked += r->checked;
        row->proven += proven(r);
        row->argued += !r->checked && r->reason[0];
    }
    for (size_t k = 0; k < n; k++) {
        total->statements += rows[k].statements;
        total->entries += rows[k].entries;
        total->checked += rows[k].checked;
        total->proven += rows[k].proven;
        total->argued += rows[k].argued;
    }
    return n;
}

int coverage_print(FILE *out, const struct rule_catalogue *all, enum spec_version spec)
{
    /* the rules that hold in `spec` (a shallow view: the entries are the catalogue's) */
    struct rule_catalogue view = {calloc(all->n ? all->n : 1, sizeof(struct rule)), 0};
    if (!view.rules)
        return -1;
    for (size_t i = 0; i < all->n; i++)
        if (rule_holds_in(&all->rules[i], spec))
            view.rules[view.n++] = all->rules[i];
    const struct rule_catalogue *c = &view;
    struct coverage_row rows[COVERAGE_MAX_AREAS], total;
    struct coverage_statements st;
    size_t n = coverage_count(c, rows, &total, &st);
    if (spec != SPEC_QEMU) /* the default (QEMU 7.2's: every entry) says nothing more */
        fprintf(out, "VirtIO %s (%s): the %zu of %zu entries that hold in it\n",
                spec_version_name(spec), spec_version_source(spec), view.n, all->n);
    fprintf(out, "driver MUST / MUST NOT rules a device model can observe (yes or partly, not "
                 "legacy-only)\n");
    fprintf(out, "%-16s %10s %8s %8s %8s %8s\n", "area", "statements", "entries", "checked",
            "proven", "argued");
    for (size_t i = 0; i <= n; i++) {
        const struct coverage_row *r = i < n ? &rows[i] : &total;
        fprintf(out, "%-16s %10u %8u %8u %8u %8u\n", r->area, r->statements, r->entries,
                r->checked, r->proven, r->argued);
    }
    fprintf(out, "%u of %u statements checked and proven by a firing scenario; %u not checked, "
                 "each argued in spec/rules.yaml (not_checked_because)\n",
            st.proven, st.total, st.argued);
    free(view.rules);
    return 0;
}
