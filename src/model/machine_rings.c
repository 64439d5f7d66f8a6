/* machine_rings.c — see machine_rings.h. The order of the calls in each hook is the order in
 * which violations and trace events appear in a run's report: keep it. */
#include "model/machine_rings.h"

#include <assert.h>
#include <stdio.h>

#include "model/checks/barrier_check.h"
#include "model/checks/exposed_snapshot.h"
#include "model/checks/in_order_check.h"
#include "model/checks/indirect_checks.h"
#include "model/checks/legacy_layout.h"
#include "model/checks/notify_checks.h"
#include "model/checks/packed_checks.h"
#include "model/checks/phys_addr_check.h"
#include "model/checks/status_checks.h"
#include "model/device_pace.h"
#include "model/diagnosis/run_facts.h"
#include "model/inject/device_faults.h"
#include "model/inject/driver_bugs.h"
#include "model/chain_log.h"
#include "model/machine.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/packed_hot.h"
#include "model/rings/split_hot.h"
#include "model/rings/split_ring.h"

/* A hook of the round trip (pop, push, interrupt decision): inline in the machine's instances of
 * the rings (machine_split_ops, machine_packed_ops), and called through the table elsewhere. */
#define HOT inline __attribute__((always_inline))

/* A finding of a ring's own rules: a violation, or a break as QEMU's virtio_error. */
static void finding(void *ctx, enum ring_finding kind, const char *rule, int queue,
                    const char *fmt, va_list ap)
{
    struct machine *m = ctx;
    char msg[sizeof(((struct violation *)0)->message)]; /* what a violation keeps of it */
    vsnprintf(msg, sizeof(msg), fmt, ap);
    switch (kind) {
    case RING_VIOLATION:
        machine_violation(m, rule, queue, "%s", msg);
        break;
    case RING_BREAK:
        machine_break_device(m, rule, queue, "%s", msg);
        break;
    case RING_BREAK_QUIETLY:
        machine_break_device_quietly(m, rule, "%s", msg);
        break;
    }
}

/* ---- configure ---- */

static void configured(void *ctx, uint32_t qi)
{
    struct machine *m = ctx;
    exposed_on_live(m, qi);
    bc_queue_live(m, qi);
    const struct dev_queue *q = &m->dev.q[qi];
    struct trace_event *e = machine_trace(m, TR_DEVICE, q->desc, q->live_num, 0, "queue live");
    if (e)
        e->queue = (uint8_t)qi;
    rf_queue_live(m, qi);
}

static void live(void *ctx, uint32_t qi)
{
    faults_queue_live(ctx, qi);
    notify_queue_live(ctx, qi);
}

static bool outside_ram(void *ctx, uint32_t qi, const char *what, uint64_t addr, uint64_t len)
{
    return pa_check_virtual(ctx, qi, what, addr, len); /* §6.1: a kernel virtual address */
}

/* ---- pop ---- */

static bool kept_index(void *ctx, uint32_t qi) { return status_checks_reinit_live(ctx, qi); }
static HOT void ring_empty(void *ctx, uint32_t qi)
{
    pace_ring_empty(&((struct machine *)ctx)->pace, qi);
}
static bool may_take(void *ctx, uint32_t qi)
{
    struct machine *m = ctx;
    return !m->pace.on[qi] || pace_may_take(m, qi); /* (pacing off: always) */
}
static void avail_event(void *ctx, uint32_t qi, uint16_t v)
{
    notify_avail_event(ctx, qi, v);
    rf_avail_event(ctx, qi, v);
}

/* `split`: the queue's ring is split (ring_is_split); a constant in the instances of one format
 * (descriptor_split, descriptor_packed), looked up in the table every format shares. */
static HOT void descriptor_on(struct machine *m, bool split, uint32_t qi, enum ring_desc_at at,
                              uint64_t table, uint32_t i, const struct sr_desc *d)
{
    assert(split == ring_is_split(&m->dev.q[qi]));
    chain_log_desc(&m->chain_log, qi, i, d, at == RING_DESC_TABLE); /* as the device read it */
    if (!split) {
        packed_check_desc(m, qi, at, table, i, d); /* §2.7.19 */
        return;
    }
    switch (at) {
    case RING_DESC_CHAIN:
        indirect_check_ring_desc(m, qi, i, d); /* INDIRECT further down: a plain buffer */
        in_order_check_ring_next(m, qi, i, d);
        break;
    case RING_DESC_INDIRECT_HEAD:
        indirect_check_ring_desc(m, qi, i, d);
        break;
    case RING_DESC_TABLE:
        indirect_check_table_entry(m, qi, table, i, d);
        in_order_check_table_next(m, qi, i, d);
        break;
    }
}
static void descriptor(void *ctx, uint32_t qi, enum ring_desc_at at, uint64_t table, uint32_t i,
                       const struct sr_desc *d)
{
    struct machine *m = ctx;
    descriptor_on(m, ring_is_split(&m->dev.q[qi]), qi, at, table, i, d);
}
static HOT void descriptor_split(void *ctx, uint32_t qi, enum ring_desc_at at, uint64_t table,
                                 uint32_t i, const struct sr_desc *d)
{
    descriptor_on(ctx, true, qi, at, table, i, d);
}
static HOT void descriptor_packed(void *ctx, uint32_t qi, enum ring_desc_at at, uint64_t table,
                                  uint32_t i, const struct sr_desc *d)
{
    descriptor_on(ctx, false, qi, at, table, i, d);
}

static void loop_store(void *ctx, uint32_t qi, uint32_t from, uint16_t to, char *buf, size_t len)
{
    rf_describe_next(ctx, qi, from, to, buf, len); /* run_facts.h: the last store to it */
}

static HOT void head_read(void *ctx, uint32_t qi, uint16_t head, uint16_t avail_index)
{
    struct machine *m = ctx;
    chain_log_begin(&m->chain_log, qi, head, avail_index, m->now, m->n_violations);
}

static HOT void pop_done(void *ctx, uint32_t qi, enum ring_err r)
{
    (void)r;
    struct machine *m = ctx;
    chain_log_end(&m->chain_log, m, qi, m->n_violations); /* taken or refused: closed */
}

static HOT bool chain_popped(void *ctx, uint32_t qi, const struct sr_chain *c,
                             uint16_t avail_idx, uint16_t taken)
{
    struct machine *m = ctx;
    legacy_layout_on_chain(m, qi, c); /* a buffer where the device's used ring lies */
    struct trace_event *e = machine_trace(m, TR_POP, c->head, avail_idx, 0, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = taken;
    }
    rf_pop(&m->facts, qi, m->now);
    chain_log_taken(&m->chain_log, qi);
    /* an injected fault may reset or break it */
    return device_faults_on_pop(m, &m->dfaults, qi, c->head);
}

/* ---- push ---- */

static HOT enum ring_push_verdict before_push(void *ctx, uint32_t qi, uint16_t id,
                                              uint32_t len, unsigned *parts)
{
    struct machine *m = ctx;
    if (device_faults_on_push(m, &m->dfaults, qi, id, len, parts))
        return RING_PUSH_DROPPED;
    if (m->pace.on[qi] && pace_hold(m, qi, id, len, *parts)) /* (off: answered at once) */
        return RING_PUSH_HELD;
    return RING_PUSH_NOW;
}

static void push_dropped(void *ctx, uint32_t qi, uint16_t id, uint32_t len)
{
    struct trace_event *e = machine_trace(ctx, TR_DEVICE, id, len, 0,
                                          "answer dropped: the device is broken");
    if (e)
        e->queue = (uint8_t)qi;
}

static HOT void used_written_on(struct machine *m, bool split, uint32_t qi,
                                const struct ring_used *u)
{
    assert(split == ring_is_split(&m->dev.q[qi]));
    rf_used_write(&m->facts, qi, u->elem_at, u->parts & RING_PUSH_ELEM ? 8 : 0, u->idx_at);
    if (u->parts & RING_PUSH_ELEM) /* weak-memory mode: what a stale read would have seen */
        bc_device_push(m, qi, u->elem_at, u->old_id, u->old_len);
    /* The trace shows the two stores in the order they happen: the element, then the idx. */
    struct trace_event *e = machine_trace(m, TR_USED, u->elem_at, u->len, 8, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = u->id;
        if (!(u->parts & RING_PUSH_IDX))
            e->note = split ? "element written, used.idx not advanced (injected device fault)"
                            : "id and len written, flags not (injected device fault)";
        else if (!(u->parts & RING_PUSH_ELEM))
            e->note = split ? "used.idx advanced, element not written (injected device fault)"
                            : "flags marked used, id and len not written (injected device fault)";
    }
    rf_used(&m->facts, qi, m->now, u->elem_at, u->len);
    if (u->parts & RING_PUSH_IDX) {
        uint16_t flags = 0; /* packed: the flags that publish it (the value is the store's) */
        if (!split)
            gm_read16(&m->mem, u->idx_at, &flags);
        e = machine_trace(m, TR_DEVICE, u->idx_at, split ? u->idx : flags, 2,
                          split ? "used.idx" : "used desc.flags");
        if (e)
            e->queue = (uint8_t)qi;
    }
    /* The device is done with the chain (a later idx store may publish it): not exposed now. */
    exposed_on_used(m, qi, u->id);
}
static void used_written(void *ctx, uint32_t qi, const struct ring_used *u)
{
    struct machine *m = ctx;
    used_written_on(m, ring_is_split(&m->dev.q[qi]), qi, u);
}
static HOT void used_written_split(void *ctx, uint32_t qi, const struct ring_used *u)
{
    used_written_on(ctx, true, qi, u);
}
static HOT void used_written_packed(void *ctx, uint32_t qi, const struct ring_used *u)
{
    used_written_on(ctx, false, qi, u);
}

/* ---- notifications ---- */

static HOT void suppression_read(void *ctx, uint32_t qi, uint16_t flags)
{
    notify_check_avail_flags(ctx, qi, flags, "the device read"); /* notify_checks.h */
}

/* The table every format shares (the queues' own: RING_HOOK), and the same hooks for one format
 * (its instances below: which format is known where the hook runs). */
#define MACHINE_RING_HOOKS(descriptor_, used_written_)                                            \
    {                                                                                             \
        .finding = finding, .configured = configured, .live = live, .outside_ram = outside_ram,   \
        .kept_index = kept_index, .ring_empty = ring_empty, .may_take = may_take,                 \
        .avail_event = avail_event, .descriptor = (descriptor_), .loop_store = loop_store,        \
        .head_read = head_read, .chain_popped = chain_popped, .pop_done = pop_done,               \
        .before_push = before_push, .push_dropped = push_dropped,                                 \
        .used_written = (used_written_), .suppression_read = suppression_read,                    \
    }
static const struct ring_hooks machine_ring_hooks = MACHINE_RING_HOOKS(descriptor, used_written);
static const struct ring_hooks machine_split_hooks =
    MACHINE_RING_HOOKS(descriptor_split, used_written_split);
static const struct ring_hooks machine_packed_hooks =
    MACHINE_RING_HOOKS(descriptor_packed, used_written_packed);

/* The split ring instantiated against this table (split_hot.h): each hook of the round trip a
 * direct call, which the compiler may inline. The same code as split_ring_ops. */
static enum ring_err machine_split_pop(struct dev_queue *q, struct sr_chain *c)
{
    return split_hot_pop(&machine_split_hooks, q, c);
}
static void machine_split_push(struct dev_queue *q, uint16_t head, uint32_t len, unsigned parts)
{
    split_hot_push(&machine_split_hooks, q, head, len, parts);
}
static bool machine_split_answer(struct dev_queue *q, uint16_t id, uint32_t len)
{
    return split_hot_answer(&machine_split_hooks, q, id, len);
}
static bool machine_split_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    return split_hot_need_interrupt(&machine_split_hooks, q, why);
}
static const struct ring_ops machine_split_ops =
    SPLIT_RING_OPS_WITH(machine_split_pop, machine_split_push, machine_split_answer,
                        machine_split_need_interrupt);

/* The packed ring instantiated the same way (packed_hot.h). */
static enum ring_err machine_packed_pop(struct dev_queue *q, struct sr_chain *c)
{
    return packed_hot_pop(&machine_packed_hooks, q, c);
}
static void machine_packed_push(struct dev_queue *q, uint16_t id, uint32_t len, unsigned parts)
{
    packed_hot_push(&machine_packed_hooks, q, id, len, parts);
}
static bool machine_packed_answer(struct dev_queue *q, uint16_t id, uint32_t len)
{
    return packed_hot_answer(&machine_packed_hooks, q, id, len);
}
static const struct ring_ops machine_packed_ops =
    PACKED_RING_OPS_WITH(machine_packed_pop, machine_packed_push, machine_packed_answer);

void machine_rings_bind(struct machine *m)
{
    m->rings = (struct ring_env){
        .mem = &m->mem,
        .features = &m->dev.guest_features,
        .broken = &m->dev.broken,
        .max_size = MMIO_QUEUE_NUM_MAX,
        .hooks = &machine_ring_hooks,
        .ctx = m,
        .layout_gen = &m->ring_layout_gen,
        .split_ops = &machine_split_ops,
        .packed_ops = &machine_packed_ops,
    };
    for (uint32_t qi = 0; qi < MMIO_NUM_QUEUES; qi++)
        ring_bind(&m->dev.q[qi], &machine_split_ops, &m->rings, qi);
}
