/* judge.h — a run against what its scenario expects: the steps' `expect_response` /
 * `expect_status` as each step ends, the scenario's `expect:` once the run is over (outcome,
 * exactly the expected rule ids, informational findings, diagnosis causes and evidence, the
 * displays pixel by pixel, the driver's latched state, guest memory outside its buffers).
 *
 * The judge reads the results (results.h), and the machine only for the pictures it compares
 * with a pattern or a reference PNG. Every mismatch is a failure in the results, in a sentence
 * that says what was expected and what happened.
 */
#ifndef JUDGE_H
#define JUDGE_H

#include <stdint.h>

#include "harness/results.h"
#include "harness/scenario.h"

struct machine;

/* Step number `index` (1 = the first after init) has ended as *sr: an error response the step
 * expected makes it ok (the step doing its job); a different response or driver status than
 * expected is a failure. */
void judge_step(const struct scenario_step *st, struct step_result *sr, uint32_t index,
                struct results *res);

/* The finished run against sc's `expect:`. On a display that differs from its reference PNG the
 * actual picture and a diff image are written into png_dir (NULL: the working directory). */
void judge_run(const struct scenario *sc, const char *png_dir, const struct machine *m,
               struct results *res);

#endif /* JUDGE_H */
