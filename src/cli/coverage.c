/* coverage.c — see coverage.h. */
#include "coverage.h"

#include <string.h>

static bool counts(const struct rule *r)
{
    return !strcmp(r->role, "driver") && !r->legacy &&
           (!strcmp(r->level, "MUST") || !strcmp(r->level, "MUST NOT")) &&
           (!strcmp(r->observable, "yes") || !strcmp(r->observable, "partly"));
}

size_t coverage_count(const struct rule_catalogue *c, struct coverage_row *rows,
                      struct coverage_row *total)
{
    size_t n = 0;
    *total = (struct coverage_row){"total", 0, 0, 0};
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
            rows[n++] = (struct coverage_row){r->area, 0, 0, 0};
        }
        bool proven = r->checked && r->n_proven > 0;
        rows[k].observable++, total->observable++;
        rows[k].checked += r->checked, total->checked += r->checked;
        rows[k].proven += proven, total->proven += proven;
    }
    return n;
}

void coverage_print(FILE *out, const struct rule_catalogue *c)
{
    struct coverage_row rows[COVERAGE_MAX_AREAS], total;
    size_t n = coverage_count(c, rows, &total);
    fprintf(out, "driver MUST / MUST NOT rules a device model can observe (yes or partly, not "
                 "legacy-only)\n");
    fprintf(out, "%-16s %10s %8s %8s\n", "area", "observable", "checked", "proven");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%-16s %10u %8u %8u\n", rows[i].area, rows[i].observable, rows[i].checked,
                rows[i].proven);
    fprintf(out, "%-16s %10u %8u %8u\n", total.area, total.observable, total.checked,
            total.proven);
}
