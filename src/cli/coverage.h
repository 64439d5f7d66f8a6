/* coverage.h — `vqsim rules --coverage`: how much of VirtIO 1.1's driver rules is checked.
 *
 * Counted from spec/rules.yaml alone. An entry counts when its role is driver, its level MUST or
 * MUST NOT, its `observable` yes or partly, and it is not legacy-only. Per area (in catalogue
 * order, then a total):
 *   statements  distinct normative statements of the VirtIO 1.1 catalogue those entries cover
 *               (`catalogue:` ids; one entry may cover two statements that look the same on the
 *               bus, and rules of our own cover none; informative constraints, ids "info.…", are not counted)
 *   entries     the entries themselves
 *   checked     entries with a check
 *   proven      checked entries with a scenario in which the check fires (`proven_by`)
 *   argued      entries not checked, each with `not_checked_because`
 * A last line says how many statements are checked and proven, and how many argued.
 */
#ifndef COVERAGE_H
#define COVERAGE_H

#include <stdio.h>

#include "spec/rules.h"
#include "spec/spec_version.h"

struct coverage_row {
    const char *area;
    unsigned statements, entries, checked, proven, argued;
};

/* Statement-level totals over all areas. */
struct coverage_statements {
    unsigned total;   /* distinct catalogue ids in counted entries */
    unsigned proven;  /* of those, covered by a checked entry proven by a firing scenario */
    unsigned argued;  /* the rest that an entry argues is not checked */
};

#define COVERAGE_MAX_AREAS 32

/* Fill rows (one per area, in order of first appearance; at most COVERAGE_MAX_AREAS), the total
 * row and the statement totals. Returns the number of rows. */
size_t coverage_count(const struct rule_catalogue *c, struct coverage_row *rows,
                      struct coverage_row *total, struct coverage_statements *st);

/* Print the table to `out`, counting the rules that hold in `spec` (SPEC_QEMU: every rule, as
 * QEMU 7.2 is judged). -1 when out of memory. */
int coverage_print(FILE *out, const struct rule_catalogue *c, enum spec_version spec);

#endif /* COVERAGE_H */
