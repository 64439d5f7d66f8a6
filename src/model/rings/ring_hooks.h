/* ring_hooks.h — what a ring reports while it works, and who hears it.
 *
 * A ring format (ring.h) calls these at fixed points of its work; it names no checker. The
 * machine fills one table (machine_rings.c) that runs, at each event, the rule checks, the
 * injected faults, a replay's pace, the trace and the run facts, in a fixed order: the order of
 * every violation and trace event a run reports. A NULL member is skipped, so a ring runs with an
 * empty table (ring_hooks_none; tests/unit/test_ring_core.c).
 *
 * Every hook gets the environment's ctx and the queue's number.
 */
#ifndef RING_HOOKS_H
#define RING_HOOKS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/rings/ring.h"

/* How the device reacts to a rule of the ring's format that the driver broke. */
enum ring_finding {
    RING_VIOLATION,      /* recorded; the device goes on, as QEMU does */
    RING_BREAK,          /* recorded, and the device breaks (QEMU's virtio_error) */
    RING_BREAK_QUIETLY   /* the device breaks for a rule reported earlier: the break only */
};

/* Where a descriptor handed to the `descriptor` hook was read. */
enum ring_desc_at {
    RING_DESC_CHAIN,         /* a descriptor of a chain in the ring */
    RING_DESC_INDIRECT_HEAD, /* a head that names an indirect table (§2.6.5.3) */
    RING_DESC_TABLE          /* an entry of an indirect table */
};

/* What becomes of an answer before it is written (the `before_push` hook). */
enum ring_push_verdict {
    RING_PUSH_NOW,       /* write it now (the parts left in *parts) */
    RING_PUSH_DROPPED,   /* taken care of (an injected fault holds or drops it): write nothing */
    RING_PUSH_HELD       /* held until a replay's device published it: nothing now, no interrupt */
};

/* A used element being written: where, what, and what the element held before. */
struct ring_used {
    uint64_t elem_at;          /* the element's address */
    uint64_t idx_at;           /* the index store that publishes it, 0 when not written */
    uint16_t id;
    uint16_t idx;              /* the device's used index after the push */
    uint32_t len;
    unsigned parts;            /* RING_PUSH_ELEM | RING_PUSH_IDX written */
    uint32_t old_id, old_len;  /* the element before (RING_PUSH_ELEM only) */
};

struct ring_hooks {
    /* A rule (spec/rules.yaml id) the driver broke; queue -1 when it is no one queue's. */
    void (*finding)(void *ctx, enum ring_finding kind, const char *rule, int queue,
                    const char *fmt, va_list ap);

    /* configure: the ring's addresses and size are taken (before they are checked); the ring is
     * checked and mapped: the device uses it from now on. */
    void (*configured)(void *ctx, uint32_t qi);
    void (*live)(void *ctx, uint32_t qi);

    /* An address the driver gave (a ring area, a buffer, a table: `what`) lies outside guest RAM,
     * and the device cannot map it: true when the hook reported it under a rule of its own (a
     * kernel virtual address, §6.1) and broke the device; else the ring reports its RAM rule. */
    bool (*outside_ram)(void *ctx, uint32_t qi, const char *what, uint64_t addr, uint64_t len);

    /* pop, in this order: the driver's index jumped further than the queue — true when the
     * device kept its index through a setup without reset (that rule was reported already); the
     * ring is empty; may the device take a chain now; it published avail_event; each descriptor
     * before it is mapped (entry i of the table at `table`: the ring's, or an indirect one); a
     * loop found at desc[from].next = to — append who stored it to buf; the chain is taken
     * (true: the device stopped, an injected fault reset or broke it). */
    bool (*kept_index)(void *ctx, uint32_t qi);
    void (*ring_empty)(void *ctx, uint32_t qi);
    bool (*may_take)(void *ctx, uint32_t qi);
    void (*avail_event)(void *ctx, uint32_t qi, uint16_t value);
    void (*descriptor)(void *ctx, uint32_t qi, enum ring_desc_at at, uint64_t table,
                       uint32_t i, const struct sr_desc *d);
    void (*loop_store)(void *ctx, uint32_t qi, uint32_t from, uint16_t to, char *buf,
                       size_t len);
    /* …the device read `head` from available index `avail_index` (before checking it); */
    void (*head_read)(void *ctx, uint32_t qi, uint16_t head, uint16_t avail_index);
    bool (*chain_popped)(void *ctx, uint32_t qi, const struct sr_chain *c, uint16_t avail_idx,
                         uint16_t taken);
    /* …and the pop is over, whatever it returned (every format's pop reports it last). */
    void (*pop_done)(void *ctx, uint32_t qi, enum ring_err r);

    /* push: before anything is written (may remove parts from *parts); the device is broken and
     * writes nothing; the element and index were written (with what the element held before). */
    enum ring_push_verdict (*before_push)(void *ctx, uint32_t qi, uint16_t id, uint32_t len,
                                          unsigned *parts);
    void (*push_dropped)(void *ctx, uint32_t qi, uint16_t id, uint32_t len);
    void (*used_written)(void *ctx, uint32_t qi, const struct ring_used *u);

    /* notifications: the device read the driver's suppression flags (split: avail.flags). */
    void (*suppression_read)(void *ctx, uint32_t qi, uint16_t flags);
};

/* No hooks: a ring alone (tests). */
extern const struct ring_hooks ring_hooks_none;

/* ---- for ring formats: one call per event ---------------------------------------------------- */

#define RING_HOOK(q) ((q)->env->hooks)

/* Report a finding of the format's own rules (formatted only when someone listens). */
void ring_finding(const struct dev_queue *q, enum ring_finding kind, const char *rule,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Each event through a given table h (a ring format instantiated for one table calls these with
 * a constant h, so every hook is a direct call: split_hot.h) … */
static inline void ring_hev_configured(const struct ring_hooks *h, const struct dev_queue *q)
{
    if (h->configured)
        h->configured(q->env->ctx, q->index);
}
static inline void ring_hev_live(const struct ring_hooks *h, const struct dev_queue *q)
{
    if (h->live)
        h->live(q->env->ctx, q->index);
}
static inline bool ring_hev_outside_ram(const struct ring_hooks *h, const struct dev_queue *q,
                                        const char *what, uint64_t addr, uint64_t len)
{
    return h->outside_ram && h->outside_ram(q->env->ctx, q->index, what, addr, len);
}
static inline bool ring_hev_kept_index(const struct ring_hooks *h, const struct dev_queue *q)
{
    return h->kept_index && h->kept_index(q->env->ctx, q->index);
}
static inline void ring_hev_ring_empty(const struct ring_hooks *h, const struct dev_queue *q)
{
    if (h->ring_empty)
        h->ring_empty(q->env->ctx, q->index);
}
static inline bool ring_hev_may_take(const struct ring_hooks *h, const struct dev_queue *q)
{
    return !h->may_take || h->may_take(q->env->ctx, q->index);
}
static inline void ring_hev_avail_event(const struct ring_hooks *h, const struct dev_queue *q,
                                        uint16_t value)
{
    if (h->avail_event)
        h->avail_event(q->env->ctx, q->index, value);
}
static inline void ring_hev_descriptor(const struct ring_hooks *h, const struct dev_queue *q,
                                       enum ring_desc_at at, uint64_t table, uint32_t i,
                                       const struct sr_desc *d)
{
    if (h->descriptor)
        h->descriptor(q->env->ctx, q->index, at, table, i, d);
}
static inline void ring_hev_loop_store(const struct ring_hooks *h, const struct dev_queue *q,
                                       uint32_t from, uint16_t to, char *buf, size_t len)
{
    if (h->loop_store)
        h->loop_store(q->env->ctx, q->index, from, to, buf, len);
}
static inline void ring_hev_head_read(const struct ring_hooks *h, const struct dev_queue *q,
                                      uint16_t head, uint16_t at)
{
    if (h->head_read)
        h->head_read(q->env->ctx, q->index, head, at);
}
static inline void ring_hev_pop_done(const struct ring_hooks *h, const struct dev_queue *q,
                                     enum ring_err r)
{
    if (h->pop_done)
        h->pop_done(q->env->ctx, q->index, r);
}
static inline bool ring_hev_chain_popped(const struct ring_hooks *h, const struct dev_queue *q,
                                         const struct sr_chain *c, uint16_t avail_idx,
                                         uint16_t taken)
{
    return h->chain_popped &&
           h->chain_popped(q->env->ctx, q->index, c, avail_idx, taken);
}
static inline void ring_hev_push_dropped(const struct ring_hooks *h, const struct dev_queue *q,
                                         uint16_t id, uint32_t len)
{
    if (h->push_dropped)
        h->push_dropped(q->env->ctx, q->index, id, len);
}
static inline void ring_hev_used_written(const struct ring_hooks *h, const struct dev_queue *q,
                                         const struct ring_used *u)
{
    if (h->used_written)
        h->used_written(q->env->ctx, q->index, u);
}
static inline void ring_hev_suppression_read(const struct ring_hooks *h,
                                             const struct dev_queue *q, uint16_t flags)
{
    if (h->suppression_read)
        h->suppression_read(q->env->ctx, q->index, flags);
}

static inline enum ring_push_verdict ring_hev_before_push(const struct ring_hooks *h,
                                                          const struct dev_queue *q, uint16_t id,
                                                          uint32_t len, unsigned *parts)
{
    return h->before_push ? h->before_push(q->env->ctx, q->index, id, len, parts) : RING_PUSH_NOW;
}

/* … or through the queue's own table (RING_HOOK(q)). */
static inline enum ring_push_verdict ring_ev_before_push(const struct dev_queue *q, uint16_t id,
                                                         uint32_t len, unsigned *parts)
{
    return ring_hev_before_push(RING_HOOK(q), q, id, len, parts);
}
static inline void ring_ev_configured(const struct dev_queue *q)
{
    ring_hev_configured(RING_HOOK(q), q);
}
static inline void ring_ev_live(const struct dev_queue *q)
{
    ring_hev_live(RING_HOOK(q), q);
}
static inline bool ring_ev_outside_ram(const struct dev_queue *q, const char *what, uint64_t addr,
                                       uint64_t len)
{
    return ring_hev_outside_ram(RING_HOOK(q), q, what, addr, len);
}
static inline bool ring_ev_kept_index(const struct dev_queue *q)
{
    return ring_hev_kept_index(RING_HOOK(q), q);
}
static inline void ring_ev_ring_empty(const struct dev_queue *q)
{
    ring_hev_ring_empty(RING_HOOK(q), q);
}
static inline bool ring_ev_may_take(const struct dev_queue *q)
{
    return ring_hev_may_take(RING_HOOK(q), q);
}
static inline void ring_ev_avail_event(const struct dev_queue *q, uint16_t value)
{
    ring_hev_avail_event(RING_HOOK(q), q, value);
}
static inline void ring_ev_descriptor(const struct dev_queue *q, enum ring_desc_at at,
                                      uint64_t table, uint32_t i, const struct sr_desc *d)
{
    ring_hev_descriptor(RING_HOOK(q), q, at, table, i, d);
}
static inline void ring_ev_loop_store(const struct dev_queue *q, uint32_t from, uint16_t to,
                                      char *buf, size_t len)
{
    ring_hev_loop_store(RING_HOOK(q), q, from, to, buf, len);
}
static inline void ring_ev_head_read(const struct dev_queue *q, uint16_t head, uint16_t at)
{
    ring_hev_head_read(RING_HOOK(q), q, head, at);
}
static inline void ring_ev_pop_done(const struct dev_queue *q, enum ring_err r)
{
    ring_hev_pop_done(RING_HOOK(q), q, r);
}
static inline bool ring_ev_chain_popped(const struct dev_queue *q, const struct sr_chain *c,
                                        uint16_t avail_idx, uint16_t taken)
{
    return ring_hev_chain_popped(RING_HOOK(q), q, c, avail_idx, taken);
}
static inline void ring_ev_push_dropped(const struct dev_queue *q, uint16_t id, uint32_t len)
{
    ring_hev_push_dropped(RING_HOOK(q), q, id, len);
}
static inline void ring_ev_used_written(const struct dev_queue *q, const struct ring_used *u)
{
    ring_hev_used_written(RING_HOOK(q), q, u);
}
static inline void ring_ev_suppression_read(const struct dev_queue *q, uint16_t flags)
{
    ring_hev_suppression_read(RING_HOOK(q), q, flags);
}

#endif /* RING_HOOKS_H */
