/* results_json.h — the results as JSON (docs/results-schema.md): a document of scenarios, each
 * serialised from its results (results.h) and the scenario it ran (its name, file and
 * expectations), never from the machine.
 */
#ifndef RESULTS_JSON_H
#define RESULTS_JSON_H

#include "util/json_writer.h"
#include "harness/results.h"
#include "harness/scenario.h"

#define VQSIM_VERSION "0.1.0"
#define VQSIM_RESULTS_SCHEMA "vqsim-results/1"

/* The document's head (schema, version) and the opening of its `scenarios` array. */
void results_json_begin(struct jw *w);
/* One scenario's object. */
void results_json_scenario(struct jw *w, const struct scenario *s, const struct results *res);
/* The end of `scenarios` and the summary. */
void results_json_end(struct jw *w, unsigned total, unsigned passed);

#endif /* RESULTS_JSON_H */
