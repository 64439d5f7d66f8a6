/* results_chains.h — a queue's `chains` in the results (docs/results-schema.md): the descriptor
 * chains the device met on that queue, as its pop read them, for the report to draw. Filled from
 * the model's chain log (model/chain_log.h) into plain data, and written to the JSON from that.
 */
#ifndef RESULTS_CHAINS_H
#define RESULTS_CHAINS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json_writer.h"

struct machine;

#define RESULT_CHAIN_DESCS 32u /* descriptors kept per chain (CHAIN_LOG_DESCS) */
#define RESULT_CHAIN_RULES 8u  /* rule ids kept per chain (CHAIN_LOG_RULES) */

/* One descriptor as the pop read it, from the ring or from an indirect table. */
struct result_chain_desc {
    uint16_t index;         /* in the descriptor table, or in the indirect table */
    bool in_table;          /* an entry of the indirect table the head named */
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct result_chain {
    uint32_t n;             /* the device's n-th chain on the queue (1-based) */
    uint64_t t;             /* virtual time of the pop */
    uint16_t avail_index, head;
    bool taken;             /* false: refused, by `refused_by` */
    const char *refused_by;
    const char *rules[RESULT_CHAIN_RULES]; /* the rules that fired on it, each once */
    uint32_t n_rules;       /* all of them (more than RESULT_CHAIN_RULES are not kept) */
    uint32_t n_desc;        /* descriptors read (more than RESULT_CHAIN_DESCS are not kept) */
    struct result_chain_desc desc[RESULT_CHAIN_DESCS];
};

struct result_chains {
    bool logged;            /* the model keeps a log for this queue */
    uint32_t met, refused;  /* chains met on the queue, and of those refused */
    uint32_t n_kept;
    struct result_chain *kept; /* owned (results_chains_free) */
};

/* Queue qi's chains from m's chain log. False when out of memory (nothing kept). */
bool results_chains_fill(struct result_chains *out, const struct machine *m, uint32_t qi);
void results_chains_free(struct result_chains *c);
/* Write `"chains": {…}` into the queue object open in *w (nothing when not logged). */
void results_chains_json(struct jw *w, const struct result_chains *c);

#endif /* RESULTS_CHAINS_H */
