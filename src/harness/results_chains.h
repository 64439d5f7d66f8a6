/* results_chains.h — the `chains` key of a queue in the results JSON (docs/results-schema.md):
 * the descriptor chains the device met on that queue, as its pop read them (the model's chain
 * log, model/chain_log.h), for the report to draw. */
#ifndef RESULTS_CHAINS_H
#define RESULTS_CHAINS_H

#include <stdint.h>

#include "util/json_writer.h"

struct machine;

/* Write `"chains": {…}` for queue qi into the queue object open in *w. */
void results_chains_json(struct jw *w, const struct machine *m, uint32_t qi);

#endif /* RESULTS_CHAINS_H */
