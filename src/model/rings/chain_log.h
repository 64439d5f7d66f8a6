/* chain_log.h — the descriptor chains the device met, as its pop read them (for the results).
 *
 * The pop (split_ring.c sr_pop, indirect.c) calls these hooks while it walks a chain: when it has
 * read a head from the available ring, for every descriptor it reads and checks (a ring
 * descriptor, the INDIRECT head naming a table, an entry of that table), and when it is done.
 * So a kept chain is exactly what the device read at that moment, in the order it read it,
 * whatever the driver stores before or after, whether the trace saw the driver's stores (plain
 * ring access, a recording) or dropped them (its bound): nothing here walks a chain again.
 *
 * Bounded, and says so: per queue the first CHAIN_LOG_FIRST chains the device met and every
 * chain it refused (a rule broke the device while it walked it; at most CHAIN_LOG_REFUSED more),
 * each with its first CHAIN_LOG_DESCS descriptors; the counts cover every chain met and every
 * descriptor read. With checks off (benchmarks) nothing is kept.
 */
#ifndef CHAIN_LOG_H
#define CHAIN_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct sr_desc;

#define CHAIN_LOG_QUEUES 2u    /* MMIO_NUM_QUEUES */
#define CHAIN_LOG_FIRST 10u    /* the first chains of a queue kept */
#define CHAIN_LOG_REFUSED 4u   /* refused chains kept beyond those */
#define CHAIN_LOG_DESCS 32u    /* descriptors kept per chain */
#define CHAIN_LOG_RULES 8u     /* rule ids kept per chain */

/* One descriptor as the pop read it (§2.6.5), from the ring or from an indirect table. */
struct chain_log_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
    uint16_t index;            /* its index in the descriptor table, or in the indirect table */
    bool in_table;             /* an entry of the indirect table the head named */
};

struct chain_log_chain {
    uint32_t n;                /* the device's n-th chain on this queue (1-based) */
    uint64_t t;                /* virtual time of the pop */
    uint16_t avail_index;      /* the available-ring index its head was taken from */
    uint16_t head;
    bool taken;                /* the pop got through it; false: refused */
    const char *refused_by;    /* refused: the rule that broke the device while it walked it */
    /* The rules that fired while the device walked it, in order, each once; n_rules counts them
     * all (more than CHAIN_LOG_RULES are not kept). */
    const char *rules[CHAIN_LOG_RULES];
    uint32_t n_rules;
    uint32_t n_desc;           /* descriptors read (may exceed the CHAIN_LOG_DESCS kept) */
    struct chain_log_desc desc[CHAIN_LOG_DESCS];
};

struct chain_log_queue {
    uint32_t met;              /* chains the device met on this queue: taken or refused */
    uint32_t refused;          /* …of which refused */
    uint32_t n_kept;
    struct chain_log_chain kept[CHAIN_LOG_FIRST + CHAIN_LOG_REFUSED];
    /* The chain being walked: not kept yet (a refusal may still make it kept). */
    bool open;
    uint32_t open_violations;  /* the machine's violation count when it began */
    struct chain_log_chain cur;
};

struct chain_log {
    struct chain_log_queue q[CHAIN_LOG_QUEUES];
};

/* Hooks of the pop. The device read `head` at available index `avail_index` of queue qi. */
void chain_log_begin(struct machine *m, uint32_t qi, uint16_t head, uint16_t avail_index);
/* It read and is checking descriptor `index` (of the ring, or of the indirect table). */
void chain_log_desc(struct machine *m, uint32_t qi, uint32_t index, const struct sr_desc *d,
                    bool in_table);
/* It took the chain (the pop got through the whole walk). */
void chain_log_taken(struct machine *m, uint32_t qi);
/* The pop returned: a chain begun and not taken was refused (by m->dev.broken_rule). */
void chain_log_end(struct machine *m, uint32_t qi);

/* The log of queue qi (NULL past CHAIN_LOG_QUEUES). */
const struct chain_log_queue *chain_log_queue(const struct machine *m, uint32_t qi);

#endif /* CHAIN_LOG_H */
