/* verdict.h — what a run says: the JSON document (docs/results-schema.md) and the console text. */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>
#include <stdio.h>

#include "util/json_writer.h"
#include "harness/runner.h"

#define VQSIM_VERSION "0.1.0"
#define VQSIM_RESULTS_SCHEMA "vqsim-results/1"

void verdict_json_begin(struct jw *w);
void verdict_json_scenario(struct jw *w, const struct scenario *s, const struct run_result *r);
void verdict_json_end(struct jw *w, unsigned total, unsigned passed);

/* One line per scenario; for a failure (or with verbose) the failures, violations, diagnosis. */
void verdict_print(FILE *f, const struct scenario *s, const struct run_result *r, bool verbose);

#endif /* VERDICT_H */
