/* packed_hot.h — the packed ring's pop and push (§2.7), as code a ring format instantiates once
 * per hooks table: split_hot.h's scheme for the packed ring. packed_ring_ops instantiates it with
 * the queue's own table; machine_rings.c with its table as a constant (PACKED_RING_OPS_WITH), so
 * every hook of a round trip is a direct call. Rare paths stay out of line (packed_ring.c,
 * packed_walk.c).
 */
#ifndef PACKED_HOT_H
#define PACKED_HOT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/packed_ring.h"
#include "model/rings/packed_walk.h"
#include "model/rings/ring.h"
#include "model/rings/ring_hooks.h"
#include "spec/virtio_spec.h"

/* Out of line (packed_ring.c, packed_walk.c): a ring's worth held and more offered; one buffer
 * of a chain checked and taken; a later descriptor of a list not available for its lap. */
enum ring_err packed_queue_full(struct dev_queue *q, uint16_t flags);
enum ring_err pk_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i,
                           const struct sr_desc *d, const char *where);
void pk_check_member_avail(struct dev_queue *q, struct sr_chain *c, uint32_t i, bool wrap,
                           const struct sr_desc *d, uint16_t at);

/* The packed ring's other operations (packed_ring.c). */
uint64_t packed_area_bytes(enum ring_area a, uint32_t size);
enum ring_err packed_configure(struct dev_queue *q, uint32_t size, const uint64_t at[RING_AREAS]);
bool packed_need_interrupt(struct dev_queue *q, struct ring_suppress *why);
bool packed_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                        struct ring_suppress *why);
const char *packed_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index);
bool packed_notify_next(const struct dev_queue *q, uint16_t *next);
uint32_t packed_avail_chains(const struct dev_queue *q, uint32_t max);

/* The packed ring's operations with pop, push and answer instantiated by the caller: an
 * instance of packed_ring_ops. */
#define PACKED_RING_OPS_WITH(pop_, push_, answer_)                                                \
    {                                                                                             \
        .name = "packed", .generic = &packed_ring_ops,                                            \
        .align = {VIRTQ_PACKED_DESC_ALIGN, VIRTQ_PEVENT_ALIGN, VIRTQ_PEVENT_ALIGN},               \
        .size_pow2 = false, .area_bytes = packed_area_bytes, .configure = packed_configure,       \
        .pop = (pop_), .push = (push_), .answer = (answer_),                                      \
        .need_interrupt = packed_need_interrupt, .need_notify = packed_need_notify,               \
        .classify = packed_classify, .classify_table = pk_classify_table,                         \
        .notify_next = packed_notify_next, .avail_chains = packed_avail_chains,                   \
    }

/* ---- pop ------------------------------------------------------------------------------------- */

/* Descriptor i (< live_num) of a live ring: mapped (ring.h), or through the bounds checks
 * (packed_read_desc). Builds with assertions check the mapping. */
static inline __attribute__((always_inline)) void
packed_hot_ring_desc(const struct dev_queue *q, uint32_t i, struct sr_desc *d)
{
    if (!q->desc_host) {
        packed_read_desc(q->env->mem, q->desc, i, d);
        return;
    }
    const uint8_t *p = q->desc_host + 16ull * i;
    assert(i < q->live_num && p == gm_ptr(q->env->mem, q->desc + 16ull * i, 16));
    memcpy(&d->addr, p, 8);
    memcpy(&d->len, p + 8, 4);
    memcpy(&d->next, p + 12, 2); /* the buffer id */
    memcpy(&d->flags, p + 14, 2);
}

/* Chain `id` taken with `ndescs` ring descriptors (what its push will free). */
static inline void packed_hot_remember(struct dev_queue *q, uint16_t id, uint32_t ndescs)
{
    if (q->pk_nout < RING_PACKED_MAX_OUT)
        q->pk_out[q->pk_nout++] = (uint32_t)id << 16 | (ndescs & 0xffffu);
}

/* The ring descriptors of the oldest chain taken with this id (and forget it); 1 for an id the
 * device never took (an injected fault's), as QEMU's element would say for a one-descriptor
 * chain. */
static inline uint32_t packed_hot_forget(struct dev_queue *q, uint16_t id)
{
    for (uint32_t k = 0; k < q->pk_nout; k++) {
        if (q->pk_out[k] >> 16 != id)
            continue;
        uint32_t nd = q->pk_out[k] & 0xffffu;
        memmove(&q->pk_out[k], &q->pk_out[k + 1], (q->pk_nout - k - 1) * sizeof(q->pk_out[0]));
        q->pk_nout--;
        return nd;
    }
    return 1;
}

static inline void packed_hot_chain_reset(struct sr_chain *c, uint16_t id)
{
    c->head = id; /* the header only: nseg says which of the 1024 segs are set */
    c->indirect = false;
    c->table = 0;
    c->table_len = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
}

/* The chain whose head (already read into *d) sits at ring offset `at`, linked by NEXT in ring
 * order (wrapping at the end); *ndescs its ring descriptors. */
static inline __attribute__((always_inline)) enum ring_err
packed_hot_walk(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c, uint16_t at,
                struct sr_desc *d, uint32_t *ndescs)
{
    uint32_t n = q->live_num, i = at, count = 0;
    bool wrap = packed_avail_wrap(q);
    enum ring_err r;
    for (;;) {
        ring_hev_descriptor(h, q, RING_DESC_CHAIN, q->desc, i, d);
        if (count > 0)
            pk_check_member_avail(q, c, i, wrap, d, at);
        if ((r = pk_take_desc(q, c, i, d, "descriptor")) != RING_OK)
            return r;
        if (++count > n) { /* QEMU: "Looped descriptor" */
            ring_finding(q, RING_BREAK, "packed.list-le-queue-size",
                         "queue %u: the list of buffer id %u from descriptor %u has more than %u "
                         "descriptors, the queue size (NEXT set on every one)", q->index,
                         c->head, at, n);
            return RING_E_LOOP;
        }
        if (!(d->flags & VIRTQ_DESC_F_NEXT))
            break;
        if (++i == n) { /* a list may wrap the ring: the next lap's wrap counter */
            i = 0;
            wrap = !wrap;
        }
        packed_hot_ring_desc(q, i, d);
    }
    *ndescs = count;
    return RING_OK;
}

/* Take the next available chain into *c (§2.7.21, QEMU 7.2's virtqueue_packed_pop). */
static inline __attribute__((always_inline)) enum ring_err
packed_hot_take(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c)
{
    if (!q->live || *q->env->broken)
        return RING_EMPTY;
    struct sr_desc d;
    uint16_t at = q->last_avail_idx;
    packed_hot_ring_desc(q, at, &d);
    if (!packed_desc_avail(d.flags, packed_avail_wrap(q))) {
        ring_hev_ring_empty(h, q); /* done with what it was woken for */
        return RING_EMPTY;
    }
    if (!ring_hev_may_take(h, q))
        return RING_EMPTY; /* a replay: the recorded device had not taken this one yet */
    if (q->pk_inuse_descs >= q->live_num)
        return packed_queue_full(q, d.flags);
    ring_hev_head_read(h, q, d.next, at); /* before it is checked: a refused chain begins here */
    packed_hot_chain_reset(c, d.next);
    uint32_t ndescs = 0;
    enum ring_err r = d.flags & VIRTQ_DESC_F_INDIRECT
                          ? pk_walk_table(q, c, at, &d)
                          : packed_hot_walk(h, q, c, at, &d, &ndescs);
    if (r != RING_OK)
        return r;
    if (c->indirect)
        ndescs = 1;
    uint32_t next = (uint32_t)at + ndescs;
    if (next >= q->live_num) { /* §2.7.1: the end of the ring flips the wrap counter */
        next -= q->live_num;
        q->pk_avail_wrap0 = !q->pk_avail_wrap0;
    }
    q->last_avail_idx = (uint16_t)next;
    q->pk_inuse_descs += ndescs;
    packed_hot_remember(q, c->head, ndescs);
    q->inuse++;
    q->pops++;
    if (ring_hev_chain_popped(h, q, c, q->last_avail_idx, at))
        return RING_STOPPED; /* an injected fault reset or broke the device */
    return RING_OK;
}

/* The pop: the take, then the pop is over (ring.h), whichever way it ended. */
static inline __attribute__((always_inline)) enum ring_err
packed_hot_pop(const struct ring_hooks *h, struct dev_queue *q, struct sr_chain *c)
{
    enum ring_err r = packed_hot_take(h, q, c);
    ring_hev_pop_done(h, q, r);
    return r;
}

/* ---- push ------------------------------------------------------------------------------------ */

/* The used descriptor's len and id (RING_PUSH_ELEM, keeping what they held), then its flags
 * (RING_PUSH_IDX), at ring slot address `slot` (its len mapped at `mapped`, or NULL). A field
 * outside RAM is neither read (0) nor written. */
static inline __attribute__((always_inline)) void
packed_hot_used_desc(struct guest_memory *mem, uint8_t *mapped, struct ring_used *u, uint64_t slot,
                     uint16_t flags)
{
    assert(!mapped || mapped == gm_ptr(mem, slot + 8, 8));
    uint8_t *p = mapped ? mapped : gm_ptr(mem, slot + 8, 8);
    uint16_t old_id = 0, id = u->id;
    if (p) { /* len, id and flags in RAM (the usual case): one bounds check (LE host) */
        if (u->parts & RING_PUSH_ELEM) {
            memcpy(&u->old_len, p, 4);
            memcpy(&old_id, p + 4, 2);
            u->old_id = old_id;
            memcpy(p, &u->len, 4);
            memcpy(p + 4, &id, 2);
        }
        if (u->parts & RING_PUSH_IDX) /* §2.7.21.1: flags last (QEMU: smp_wmb, then the flags) */
            memcpy(p + 6, &flags, 2);
        return;
    }
    if (u->parts & RING_PUSH_ELEM) {
        gm_read32(mem, slot + 8, &u->old_len);
        gm_read16(mem, slot + 12, &old_id);
        u->old_id = old_id;
        gm_write32(mem, slot + 8, u->len);
        gm_write16(mem, slot + 12, id);
    }
    if (u->parts & RING_PUSH_IDX)
        gm_write16(mem, slot + 14, flags);
}

/* Mark chain `id` used (§2.7.21.1 device side, QEMU's virtqueue_packed_fill_desc + flush): the
 * used descriptor at used_idx gets len and id (RING_PUSH_ELEM), then, after them, the flags that
 * publish it (RING_PUSH_IDX: AVAIL = USED = the used wrap counter). */
static inline __attribute__((always_inline)) void
packed_hot_push(const struct ring_hooks *h, struct dev_queue *q, uint16_t id, uint32_t len,
                unsigned parts)
{
    struct guest_memory *mem = q->env->mem;
    if (!q->live || q->live_num == 0)
        return;
    uint32_t nd = packed_hot_forget(q, id);
    if (*q->env->broken) { /* QEMU: a broken device writes nothing */
        if (q->inuse)
            q->inuse--;
        ring_hev_push_dropped(h, q, id, len);
        return;
    }
    uint64_t slot = q->desc + 16ull * q->used_idx;
    bool wrap = packed_used_wrap(q);
    struct ring_used u = {.elem_at = slot + 8, .id = id, .len = len, .parts = parts,
                          .idx_at = parts & RING_PUSH_IDX ? slot + 14 : 0};
    uint8_t *mapped = q->desc_host ? q->desc_host + 16ull * q->used_idx + 8 : NULL;
    packed_hot_used_desc(mem, mapped, &u, slot, wrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0);
    uint32_t next = q->used_idx + nd;
    if (next >= q->live_num) {
        next %= q->live_num;
        q->pk_used_wrap0 = !q->pk_used_wrap0;
    }
    q->used_idx = (uint16_t)next;
    u.idx = q->used_idx;
    ring_hev_used_written(h, q, &u); /* the device is done with the chain */
    q->pk_inuse_descs = q->pk_inuse_descs > nd ? q->pk_inuse_descs - nd : 0;
    if (q->inuse)
        q->inuse--;
    q->pushes++;
}

/* ring_push (ring_ops.answer): the hooks may hold the answer back or drop parts of it. */
static inline __attribute__((always_inline)) bool
packed_hot_answer(const struct ring_hooks *h, struct dev_queue *q, uint16_t id, uint32_t len)
{
    unsigned parts = RING_PUSH_ELEM | RING_PUSH_IDX;
    enum ring_push_verdict v = ring_hev_before_push(h, q, id, len, &parts);
    if (v != RING_PUSH_NOW)
        return v == RING_PUSH_DROPPED; /* (as ring_answer) */
    packed_hot_push(h, q, id, len, parts);
    return true;
}

#endif /* PACKED_HOT_H */
