/* split_hot.h — the split ring's pop, push and interrupt decision (§2.6), as code a ring format
 * instantiates once per hooks table.
 *
 * Each function takes the table of hooks it reports to (ring_hooks.h) as its first argument.
 * split_ring.c instantiates them with the queue's own table (split_ring_ops: any table, every hook
 * called through it); a user with one table known when it is compiled instantiates them with
 * that table as a constant, so every hook of the round trip is a direct call the compiler may
 * inline, and builds the ring's operations with SPLIT_RING_OPS_WITH (machine_rings.c does). Both
 * are the same code: what a ring does never depends on which instance runs it. Rare paths (a
 * refused chain, an index jump) stay out of line in split_ring.c.
 */
#ifndef SPLIT_HOT_H
#define SPLIT_HOT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/indirect.h"
#include "model/rings/ring.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/split_ring.h"
#include "spec/virtio_spec.h"

/* Out of line in split_ring.c: avail.idx read more than the queue size ahead (which rule it
 * breaks); a queue's worth taken and more offered; a chain that loops (refused). */
void split_avail_idx_jumped(struct dev_queue *q, uint16_t avail_idx, uint16_t pending);
enum ring_err split_queue_full(struct dev_queue *q);
enum ring_err split_refuse_loop(struct dev_queue *q, uint16_t head);

/* The split ring's operations other than the three instantiated here (split_ring.c). */
uint64_t split_area_bytes(enum ring_area a, uint32_t size);
enum ring_err split_configure(struct dev_queue *q, uint32_t size, const uint64_t at[RING_AREAS]);
bool split_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                       struct ring_suppress *why);
const char *split_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index);
bool split_notify_next(const struct dev_queue *q, uint16_t *next);
uint32_t split_avail_chains(const struct dev_queue *q, uint32_t max);
const char *ind_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index);

/* The split ring's operations with pop, push, answer and need_interrupt instantiated by the
 * caller (each a function calling split_hot_pop / _push / _answer / _need_interrupt with the
 * caller's table): an
 * instance of split_ring_ops (ring_is_split holds for it). */
#define SPLIT_RING_OPS_WITH(pop_, push_, answer_, need_interrupt_)                                \
    {                                                                                             \
        .name = "split", .generic = &split_ring_ops,                                              \
        .align = {VIRTQ_DESC_ALIGN, VIRTQ_AVAIL_ALIGN, VIRTQ_USED_ALIGN}, .size_pow2 = true,      \
        .area_bytes = split_area_bytes, .configure = split_configure, .pop = (pop_),               \
        .push = (push_), .answer = (answer_), .need_interrupt = (need_interrupt_),                \
        .need_notify = split_need_notify,                                                         \
        .classify = split_classify, .classify_table = ind_classify,                               \
        .notify_next = split_notify_next, .avail_chains = split_avail_chains,                     \
    }

/* The 16-bit field at `off` of a live ring's area at gpa `area` (mapped at `host`, or NULL: not
 * mapped, read through the bounds check). Builds with assertions check the mapping. */
static inline __attribute__((always_inline)) bool
split_hot_read16(const struct dev_queue *q, const uint8_t *host, uint64_t area, uint64_t off,
                 uint16_t *v)
{
    if (!host)
        return gm_read16(q->env->mem, area + off, v);
    assert(host + off == gm_ptr(q->env->mem, area + off, 2));
    memcpy(v, host + off, 2); /* little-endian host: see virtio_spec.h */
    return true;
}

static inline bool split_hot_event_idx(const struct dev_queue *q)
{
    return (*q->env->features >> VIRTIO_RING_F_EVENT_IDX) & 1u;
}

/* ---- pop ------------------------------------------------------------------------------------- */

/* Descriptor i of the table at `table` (split_read_desc). */
static inline __attribute__((always_inline)) void
split_hot_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i, struct sr_desc *d)
{
    uint64_t da = table + 16ull * i;
    const uint8_t *p = gm_ptr(mem, da, 16);
    if (p) { /* the whole descriptor in RAM (the usual case): one bounds check (LE host) */
        memcpy(&d->addr, p, 8);
        memcpy(&d->len, p + 8, 4);
        memcpy(&d->flags, p + 12, 2);
        memcpy(&d->next, p + 14, 2);
        return;
    }
    gm_read64(mem, da, &d->addr); /* field by field: a part outside RAM reads as 0 */
    gm_read32(mem, da + 8, &d->len);
    gm_read16(mem, da + 12, &d->flags);
    gm_read16(mem, da + 14, &d->next);
}

/* Descriptor i (< live_num) of a live ring's table: mapped, or through the bounds checks. */
static inline __attribute__((always_inline)) void
split_hot_ring_desc(const struct dev_queue *q, uint32_t i, struct sr_desc *d)
{
    if (!q->desc_host) {
        split_hot_read_desc(q->env->mem, q->desc, i, d);
        return;
    }
    const uint8_t *p = q->desc_host + 16ull * i;
    assert(i < q->live_num && p == gm_ptr(q->env->mem, q->desc + 16ull * i, 16));
    memcpy(&d->addr, p, 8);
    memcpy(&d->len, p + 8, 4);
    memcpy(&d->flags, p + 12, 2);
    memcpy(&d->next, p + 14, 2);
}

/* Check one descriptor and append its buffer (split_take_desc). */
static inline __attribute__((always_inline)) enum ring_err
split_hot_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i, const struct sr_desc *d,
                    const char *where)
{
    uint32_t qi = q->index;
    const struct guest_memory *mem = q->env->mem;
    bool write = d->flags & VIRTQ_DESC_F_WRITE;
    if (!write && c->writable) { /* QEMU: "Incorrect order for descriptors" */
        ring_finding(q, RING_BREAK, "split.framing.writable-after-readable",
                     "queue %u: %s %u is device-readable but follows a device-writable one in "
                     "the chain from head %u", qi, where, i, c->head);
        return RING_E_ORDER;
    }
    if (d->len == 0) { /* QEMU: "zero sized buffers are not allowed" */
        ring_finding(q, RING_BREAK, "split.desc.zero-length", "queue %u: %s %u has length 0",
                     qi, where, i);
        return RING_E_ZERO_LEN;
    }
    if (!gm_contains(mem, d->addr, d->len)) { /* QEMU: "bogus descriptor or out of resources" */
        if (ring_ev_outside_ram(q, "a buffer address", d->addr, d->len))
            return RING_E_REFUSED;
        ring_finding(q, RING_BREAK, "split.desc.addr-in-ram",
                     "queue %u: %s %u points at 0x%llx (+%u bytes), outside guest RAM [0x%llx, "
                     "0x%llx)", qi, where, i, (unsigned long long)d->addr, d->len,
                     (unsigned long long)mem->base, (unsigned long long)(mem->base + mem->size));
        return RING_E_ADDR;
    }
    if (c->nseg >= SR_MAX_SEGS) { /* QEMU: "too many write descriptors in indirect table" */
        ring_finding(q, RING_BREAK, "split.desc.chain-len-le-queue-size",
                     "queue %u: the chain from head %u has more than %u buffers", qi, c->head,
                     SR_MAX_SEGS);
        return RING_E_TOO_LONG;
    }
    c->seg[c->nseg].gpa = d->addr;
    c->seg[c->nseg].len = d->len;
    c->seg[c->nseg].write = write;
    c->seg[c->nseg].in_table = where[0] != 'd'; /* "descriptor" or "indirect entry" */
    c->seg[c->nseg].desc = (uint16_t)i;
    c->nseg++;
    if (write)
        c->writable += d->len;
    else
        c->readable += d->len;
    return RING_OK;
}

/* QEMU's virtio_queue_empty_rcu: avail.idx is read only when the device has caught up with the
 * value it read last. A newly read value more than the queue size ahead is a violation (QEMU's
 * virtqueue_num_heads would say "Guest moved used index", but the pop path never calls it). */
static inline __attribute__((always_inline)) enum ring_err
split_hot_read_avail_idx(struct dev_queue *q)
{
    if (q->shadow_avail_idx != q->last_avail_idx)
        return RING_OK;
    uint16_t avail_idx;
    if (!split_hot_read16(q, q->avail_host, q->avail, 2, &avail_idx)) {
        ring_finding(q, RING_BREAK, "split.rings-in-ram", "queue %u: avail.idx unreadable",
                     q->index);
        return RING_E_IDX;
    }
    q->shadow_avail_idx = avail_idx;
    q->shadow_base = q->last_avail_idx;
    q->idx_rule = NULL;
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail_idx);
    if (pending == 0)
        return RING_EMPTY;
    if (pending > q->live_num)
        split_avail_idx_jumped(q, avail_idx, pending);
    return RING_OK;
}

/* The chain from ring descriptor `head` (already read into *d), linked by NEXT (§2.6.5). Inline:
 * a part of every pop. */
static inline __attribute__((always_inline)) enum ring_err
split_hot_walk(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c, uint16_t head,
               struct sr_desc *d)
{
    uint32_t n = q->live_num, i = head, count = 0;
    enum ring_err r;
    for (;;) {
        if (++count > n) /* QEMU: "Looped descriptor" */
            return split_refuse_loop(q, head);
        ring_hev_descriptor(h, q, RING_DESC_CHAIN, q->desc, i, d);
        if ((r = split_hot_take_desc(q, c, i, d, "descriptor")) != RING_OK)
            return r;
        if (!(d->flags & VIRTQ_DESC_F_NEXT))
            return RING_OK;
        if (d->next >= n) { /* QEMU: "Desc next is %u" */
            ring_finding(q, RING_BREAK, "split.desc.next-in-range",
                         "queue %u: descriptor %u links to %u, but the queue has %u descriptors",
                         q->index, i, d->next, n);
            return RING_E_NEXT;
        }
        i = d->next;
        split_hot_ring_desc(q, i, d);
    }
}

/* Read the head in the next avail slot (QEMU: virtqueue_get_head(vq, vq->last_avail_idx++)). */
static inline __attribute__((always_inline)) enum ring_err
split_hot_take_head(const struct ring_hooks *h, struct dev_queue *q, uint16_t *head)
{
    uint32_t n = q->live_num;
    uint16_t taken = q->last_avail_idx;
    split_hot_read16(q, q->avail_host, q->avail, 4 + 2ull * (taken % n), head);
    q->last_avail_idx++;
    ring_hev_head_read(h, q, *head, taken); /* before it is checked: a refused chain begins here */
    if (*head >= n) { /* QEMU: "Guest says index %u is available" */
        ring_finding(q, RING_BREAK, "split.avail.head-in-range",
                     "queue %u: avail.ring[%u] = %u (the entry for avail index %u), but the "
                     "queue has %u descriptors", q->index, taken % n, *head, taken, n);
        return RING_E_HEAD;
    }
    /* §2.6.10 with EVENT_IDX (QEMU: vring_set_avail_event): the next index the device will read,
     * published before the chain is read. */
    if (split_hot_event_idx(q)) {
        gm_write16(q->env->mem, q->used + 4 + 8ull * n, q->last_avail_idx);
        ring_hev_avail_event(h, q, q->last_avail_idx);
    }
    return RING_OK;
}

/* Take the next available chain into *c (§2.6.6, §2.6.5), as QEMU 7.2's virtqueue_split_pop:
 * avail.idx is read only when the device has taken every entry up to the value it last read; an
 * avail.idx more than the queue size ahead is a violation but not what stops QEMU (its pop path
 * does not range-check it): the device takes the slots it finds, and breaks on a head out of
 * range there, or when it holds a queue's worth of requests ("Virtqueue size exceeded"). */
static inline __attribute__((always_inline)) enum ring_err
split_hot_take_chain(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c)
{
    enum ring_err r;
    if (!ring_hev_may_take(h, q))
        return RING_EMPTY; /* a replay: the recorded device had not taken this one yet */
    if (q->inuse >= q->live_num)
        return split_queue_full(q);
    uint16_t head, taken = q->last_avail_idx;
    if ((r = split_hot_take_head(h, q, &head)) != RING_OK)
        return r;
    c->head = head; /* the header only: nseg says which of the 1024 segs are set */
    c->indirect = false;
    c->table = 0;
    c->table_len = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
    struct sr_desc d;
    split_hot_ring_desc(q, head, &d);
    /* §2.6.5.3: a head that names a table; QEMU ignores its NEXT flag and walks the table. */
    r = d.flags & VIRTQ_DESC_F_INDIRECT ? ind_walk(q, c, head, &d)
                                         : split_hot_walk(h, q, c, head, &d);
    if (r != RING_OK)
        return r;
    /* §2.6.5.2: at most 2^32 bytes in a chain (QEMU sums lengths in 32 bits, does not check). */
    if (c->readable + c->writable > (1ull << 32))
        ring_finding(q, RING_VIOLATION, "split.desc.chain-max-4g",
                     "queue %u: the chain from head %u holds %llu bytes, more than 2^32",
                     q->index, head, (unsigned long long)(c->readable + c->writable));
    q->inuse++;
    q->pops++;
    if (ring_hev_chain_popped(h, q, c, q->shadow_avail_idx, taken))
        return RING_STOPPED; /* an injected fault reset or broke the device */
    return RING_OK;
}

/* Whether there is a chain (every notify ends with a pop that finds none: small), then the
 * take. */
static inline __attribute__((always_inline)) enum ring_err
split_hot_take(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c)
{
    if (!q->live || *q->env->broken)
        return RING_EMPTY;
    enum ring_err r = split_hot_read_avail_idx(q);
    if (r == RING_EMPTY)
        ring_hev_ring_empty(h, q); /* done with what it was woken for */
    if (r != RING_OK)
        return r;
    return split_hot_take_chain(h, q, c);
}

/* The pop: the take, then the pop is over (ring.h), whichever way it ended. */
static inline __attribute__((always_inline)) enum ring_err
split_hot_pop(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c)
{
    enum ring_err r = split_hot_take(h, q, c);
    ring_hev_pop_done(h, q, r);
    return r;
}

/* ---- push ------------------------------------------------------------------------------------ */

/* The used element, then the used idx that publishes it (§2.6.8); `parts` may hold back either
 * (injected device faults). */
/* The used element {id, len} (§2.6.8), keeping what it held (what a stale read would see in
 * weak-memory mode). A part outside RAM is neither read (0) nor written. */
static inline __attribute__((always_inline)) void
split_hot_used_elem(struct guest_memory *mem, uint8_t *mapped, struct ring_used *u)
{
    assert(!mapped || mapped == gm_ptr(mem, u->elem_at, 8));
    uint8_t *p = mapped ? mapped : gm_ptr(mem, u->elem_at, 8);
    uint32_t id = u->id;
    if (p) { /* the whole element in RAM (the usual case): one bounds check (LE host) */
        memcpy(&u->old_id, p, 4);
        memcpy(&u->old_len, p + 4, 4);
        memcpy(p, &id, 4);
        memcpy(p + 4, &u->len, 4);
        return;
    }
    gm_read32(mem, u->elem_at, &u->old_id);
    gm_read32(mem, u->elem_at + 4, &u->old_len);
    gm_write32(mem, u->elem_at, id);
    gm_write32(mem, u->elem_at + 4, u->len);
}

static inline __attribute__((always_inline)) void
split_hot_push(const struct ring_hooks *h, struct dev_queue *q, uint16_t head, uint32_t len,
               unsigned parts)
{
    uint32_t n = q->live_num;
    struct guest_memory *mem = q->env->mem;
    if (!q->live || n == 0)
        return;
    if (*q->env->broken) { /* QEMU's virtqueue_fill / _flush on a broken device: nothing written */
        if (q->inuse)
            q->inuse--;
        ring_hev_push_dropped(h, q, head, len);
        return;
    }
    struct ring_used u = {.elem_at = q->used + 4 + 8ull * (q->used_idx % n), .id = head,
                          .len = len, .parts = parts,
                          .idx_at = parts & RING_PUSH_IDX ? q->used + 2 : 0};
    if (parts & RING_PUSH_ELEM)
        split_hot_used_elem(mem, q->used_host ? q->used_host + (u.elem_at - q->used) : NULL, &u);
    /* §2.6.8.1: the element (and len) before the idx that publishes it. */
    q->used_idx++;
    if (parts & RING_PUSH_IDX) {
        if (q->used_host) {
            assert(q->used_host + 2 == gm_ptr(mem, q->used + 2, 2));
            memcpy(q->used_host + 2, &q->used_idx, 2);
        } else {
            gm_write16(mem, q->used + 2, q->used_idx);
        }
    }
    u.idx = q->used_idx;
    ring_hev_used_written(h, q, &u); /* the device is done with the chain */
    if (q->inuse)
        q->inuse--;
    q->pushes++;
}

/* ring_push (ring_ops.answer): the hooks may hold the answer back or drop parts of it. */
static inline __attribute__((always_inline)) bool
split_hot_answer(const struct ring_hooks *h, struct dev_queue *q, uint16_t id, uint32_t len)
{
    unsigned parts = RING_PUSH_ELEM | RING_PUSH_IDX;
    enum ring_push_verdict v = ring_hev_before_push(h, q, id, len, &parts);
    if (v != RING_PUSH_NOW)
        return v == RING_PUSH_DROPPED; /* (as ring_answer) */
    split_hot_push(h, q, id, len, parts);
    return true;
}

/* ---- notifications --------------------------------------------------------------------------- */

/* After a push (QEMU's virtio_should_notify): avail.flags NO_INTERRUPT (§2.6.7), or with
 * EVENT_IDX only used_event: interrupt when used.idx passed it since the last interrupt (always
 * the first since reset; §2.6.7.2). */
static inline __attribute__((always_inline)) bool
split_hot_need_interrupt(const struct ring_hooks *h, struct dev_queue *q, struct ring_suppress *why)
{
    const struct guest_memory *mem = q->env->mem;
    uint16_t flags = 0;
    split_hot_read16(q, q->avail_host, q->avail, 0, &flags);
    ring_hev_suppression_read(h, q, flags);
    if (split_hot_event_idx(q)) {
        uint64_t ue_at = q->avail + 4 + 2ull * q->live_num;
        uint16_t ue = 0, old = q->signalled_used, now = q->used_idx;
        gm_read16(mem, ue_at, &ue);
        bool valid = q->signalled_used_valid;
        q->signalled_used_valid = true;
        q->signalled_used = now;
        if (valid && (uint16_t)(now - ue - 1) >= (uint16_t)(now - old)) {
            *why = (struct ring_suppress){true, ue_at, ue, now, old};
            return false;
        }
        return true;
    }
    if (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) { /* suppressed; the ring is still updated */
        *why = (struct ring_suppress){false, q->avail, flags, q->used_idx, 0};
        return false;
    }
    return true;
}

#endif /* SPLIT_HOT_H */
