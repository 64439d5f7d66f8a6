/* coverage.h — `vqsim rules --coverage`: how much of VirtIO 1.1's driver rules is checked.
 *
 * Counted per area from spec/rules.yaml alone: an entry counts as an observable driver rule when
 * role is driver, level is MUST or MUST NOT, observable is yes or partly, and it is not
 * legacy-only. Of those: how many have a check, and how many checks are proven by a scenario in
 * which they fire (proven_by). Areas appear in catalogue order, then a total line.
 */
#ifndef COVERAGE_H
#define COVERAGE_H

#include <stdio.h>

#include "../fakedevice/rules.h"

struct coverage_row {
    const char *area;
    unsigned observable, checked, proven;
};

#define COVERAGE_MAX_AREAS 32

/* Fill rows (one per area, in order of first appearance; at most COVERAGE_MAX_AREAS) and the
 * total. Returns the number of rows. */
size_t coverage_count(const struct rule_catalogue *c, struct coverage_row *rows,
                      struct coverage_row *total);

/* Print the table to `out`. */
void coverage_print(FILE *out, const struct rule_catalogue *c);

#endif /* COVERAGE_H */
