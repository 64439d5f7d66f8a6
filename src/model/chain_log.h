/* chain_log.h — the descriptor chains the device met, as its pop read them (for the results).
 *
 * The machine's ring hooks (machine_rings.c) call these while a ring's pop walks a chain: when it has read a
 * head from the available ring, for every descriptor it reads and checks (a ring descriptor, the
 * INDIRECT head naming a table, an entry of that table), when it takes the chain, and when it
 * returns. So a kept chain is exactly what the device read at that moment, in the order it read
 * it, whatever the driver stores before or after, whether the trace saw the driver's stores
 * (plain ring access, a recording) or dropped them (its bound): nothing here walks a chain again.
 *
 * Bounded, and says so: per queue the first CHAIN_LOG_FIRST chains the device met and every
 * chain it refused (a rule broke the device while it walked it; at most CHAIN_LOG_REFUSED more),
 * each with its first CHAIN_LOG_DESCS descriptors; the counts cover every chain met and every
 * descriptor read. With checks off (benchmarks: machine_init clears `on`) nothing is kept, and
 * each hook costs a test of `on` (they are inline: they run for every descriptor popped).
 */
#ifndef CHAIN_LOG_H
#define CHAIN_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/ring.h"

struct machine;

#define CHAIN_LOG_QUEUES 3u    /* MMIO_NUM_QUEUES */
#define CHAIN_LOG_FIRST 10u    /* the first chains of a queue kept */
#define CHAIN_LOG_REFUSED 4u   /* refused chains kept beyond those */
#define CHAIN_LOG_DESCS 32u    /* descriptors kept per chain */
#define CHAIN_LOG_RULES 8u     /* rule ids kept per chain */

/* One descriptor as the pop read it (§2.6.5), from the ring or from an indirect table. */
struct chain_log_desc {
    struct sr_desc d;          /* addr, len, flags, next as read */
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
    bool on;                   /* false with checks off */
    struct chain_log_queue q[CHAIN_LOG_QUEUES];
};

/* The log of queue qi (NULL past CHAIN_LOG_QUEUES). */
const struct chain_log_queue *chain_log_queue(const struct machine *m, uint32_t qi);

/* ---- hooks of the pop ---------------------------------------------------------------------- */

/* The queue's log while a chain is being walked (`on` first: with checks off, one test). */
static inline struct chain_log_queue *chain_log_open(struct chain_log *log, uint32_t qi)
{
    return log->on && qi < CHAIN_LOG_QUEUES && log->q[qi].open ? &log->q[qi]
                                                                : (struct chain_log_queue *)0;
}

/* The device read `head` at available index `avail_index` of queue qi, at virtual time `now`,
 * when the machine had `n_violations` violations. */
static inline void chain_log_begin(struct chain_log *log, uint32_t qi, uint16_t head,
                                   uint16_t avail_index, uint64_t now, uint32_t n_violations)
{
    if (!log->on || qi >= CHAIN_LOG_QUEUES)
        return;
    struct chain_log_queue *lq = &log->q[qi];
    lq->open = true;
    lq->open_violations = n_violations;
    lq->cur.n = lq->met + 1;
    lq->cur.t = now;
    lq->cur.avail_index = avail_index;
    lq->cur.head = head;
    lq->cur.taken = false;
    lq->cur.n_desc = 0;
}

/* It read and is checking descriptor `index` (of the ring, or of the indirect table). */
static inline void chain_log_desc(struct chain_log *log, uint32_t qi, uint32_t index,
                                  const struct sr_desc *d, bool in_table)
{
    struct chain_log_queue *lq = chain_log_open(log, qi);
    if (!lq)
        return;
    if (lq->cur.n_desc < CHAIN_LOG_DESCS) {
        struct chain_log_desc *e = &lq->cur.desc[lq->cur.n_desc];
        e->d = *d;
        e->index = (uint16_t)index;
        e->in_table = in_table;
    }
    lq->cur.n_desc++;
}

/* It took the chain (the pop got through the whole walk). */
static inline void chain_log_taken(struct chain_log *log, uint32_t qi)
{
    struct chain_log_queue *lq = chain_log_open(log, qi);
    if (lq)
        lq->cur.taken = true;
}

/* The pop returned (the machine has `n_violations` now): count the chain begun; refused when not
 * taken (by m->dev.broken_rule); the rules that fired while it was walked; kept when it is among
 * the kept. Inline, the common case: a chain taken past the first ones, no rule fired. */
void chain_log_close(struct machine *m, struct chain_log_queue *lq, uint32_t qi);
static inline void chain_log_end(struct chain_log *log, struct machine *m, uint32_t qi,
                                 uint32_t n_violations)
{
    struct chain_log_queue *lq = chain_log_open(log, qi);
    if (!lq)
        return;
    if (lq->cur.taken && lq->cur.n > CHAIN_LOG_FIRST && n_violations == lq->open_violations) {
        lq->open = false;
        lq->met++;
        return;
    }
    chain_log_close(m, lq, qi);
}

#endif /* CHAIN_LOG_H */
