/* results_text.h — the results as `vqsim run` prints them: one line per scenario (PASS / FAIL,
 * outcome, cause, the rule ids found, the display's hash); for a failure (or with verbose) the
 * informational findings, the failures, each violation, the diagnosis with its evidence, what
 * the run could not judge and why each dark display is dark. Read from the results (results.h),
 * never from the machine.
 */
#ifndef RESULTS_TEXT_H
#define RESULTS_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/results.h"
#include "harness/scenario.h"

void results_print(FILE *f, const struct scenario *s, const struct results *res, bool verbose);

#endif /* RESULTS_TEXT_H */
