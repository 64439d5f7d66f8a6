/* split_ring.c — see split_ring.h. Rule ids are those of spec/rules.yaml. */
#include "model/rings/split_ring.h"

#include <stdio.h>
#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/indirect.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/ring_locate.h"
#include "spec/virtio_spec.h"

static bool event_idx(const struct dev_queue *q)
{
    return (*q->env->features >> VIRTIO_RING_F_EVENT_IDX) & 1u;
}

/* ---- configure ------------------------------------------------------------------------------- */

/* What QEMU maps when the ring goes live: the avail and used rings without their event fields. */
static uint64_t split_area_bytes(enum ring_area a, uint32_t n)
{
    return a == RING_DESC ? VIRTQ_DESC_BYTES(n) : a == RING_DRIVER ? 4u + 2ull * n : 4u + 8ull * n;
}

static const char *const area_name[RING_AREAS] = {"descriptor table", "available ring",
                                                  "used ring"};

/* §2.6.1 (QEMU does not check it): 16/2/4 alignment, as the setters found it. */
static void report_alignment(const struct dev_queue *q, const enum ring_err align[RING_AREAS])
{
    static const char *const bytes[RING_AREAS] = {"16-byte", "2-byte", "4-byte"};
    const uint64_t at[RING_AREAS] = {q->desc, q->avail, q->used};
    for (int a = 0; a < RING_AREAS; a++)
        if (align[a] == RING_E_ALIGN)
            ring_finding(q, RING_VIOLATION, "split.align",
                         "queue %u: %s at 0x%llx is not %s aligned", q->index, area_name[a],
                         (unsigned long long)at[a], bytes[a]);
}

/* QEMU maps the three areas when the ring goes live; failure is fatal ("Cannot map …"). */
static enum ring_err map_areas(struct dev_queue *q)
{
    const uint64_t at[RING_AREAS] = {q->desc, q->avail, q->used};
    const struct guest_memory *mem = q->env->mem;
    for (int a = 0; a < RING_AREAS; a++) {
        uint64_t len = split_area_bytes(a, q->live_num);
        if (ring_area_in_ram(q, a) != RING_OK) {
            if (ring_ev_outside_ram(q, area_name[a], at[a], len))
                return RING_E_REFUSED;
            ring_finding(q, RING_BREAK, "split.rings-in-ram",
                         "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM [0x%llx, "
                         "0x%llx)", q->index, area_name[a], (unsigned long long)at[a],
                         (unsigned long long)len, (unsigned long long)mem->base,
                         (unsigned long long)(mem->base + mem->size));
            return RING_E_NOT_IN_RAM;
        }
    }
    return RING_OK;
}

/* The ring as the driver set it up (QEMU takes it as written: virtio_queue_set_rings), checked
 * by the setters; the device uses it once it is mapped. */
static enum ring_err split_configure(struct dev_queue *q, uint32_t n, const uint64_t at[RING_AREAS])
{
    enum ring_err align[RING_AREAS];
    for (int a = 0; a < RING_AREAS; a++)
        align[a] = ring_set_area(q, a, at[a]);
    enum ring_err size = ring_set_size(q, n);
    q->live = at[RING_DESC] != 0 && n != 0;
    if (!q->live)
        return RING_E_UNSET;
    ring_ev_configured(q);
    report_alignment(q, align);
    /* §2.6: Queue Size is a power of 2 (descriptive; QEMU accepts others). */
    if (size == RING_E_SIZE_POW2)
        ring_finding(q, RING_VIOLATION, "split.queue-size-pow2",
                     "queue %u: size %u is not a power of 2", q->index, n);
    enum ring_err r = map_areas(q);
    if (r != RING_OK) {
        q->live = false;
        return r;
    }
    ring_ev_live(q);
    return RING_OK;
}

/* ---- pop ------------------------------------------------------------------------------------- */

/* split_read_desc, inline in the ring's own pop. */
static inline __attribute__((always_inline)) void
read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i, struct sr_desc *d)
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

void split_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                     struct sr_desc *d)
{
    read_desc(mem, table, i, d);
}

/* split_take_desc, inline in the ring's own walk (a part of every pop). */
static inline __attribute__((always_inline)) enum ring_err
take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i, const struct sr_desc *d,
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

enum ring_err split_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i,
                              const struct sr_desc *d, const char *where)
{
    return take_desc(q, c, i, d, where);
}

/* avail.idx was read more than the queue size ahead of the device's index: which rule that
 * breaks (queue_full reports it as what stops the device). Out of line: rare. */
static __attribute__((noinline)) void avail_idx_jumped(struct dev_queue *q, uint16_t avail_idx,
                                                       uint16_t pending)
{
    uint32_t qi = q->index;
    uint16_t behind = (uint16_t)(q->last_avail_idx - avail_idx);
    if (ring_ev_kept_index(q)) {
        /* The driver set the queue up again without a reset: its new ring starts from 0 while the
         * device kept its index (init.step1-reset said so; the break below says what follows). */
        q->idx_rule = "init.step1-reset";
    } else if (behind < 0x8000u) {
        /* §2.6.6.1: idx went back past entries the device already took: "unexposing". */
        q->idx_rule = "split.avail.idx-no-decrement";
        ring_finding(q, RING_VIOLATION, "split.avail.idx-no-decrement",
                     "queue %u: avail.idx went back to %u after the device had taken entries up "
                     "to %u", qi, avail_idx, q->last_avail_idx);
    } else {
        q->idx_rule = "split.avail.idx-jump";
        ring_finding(q, RING_VIOLATION, "split.avail.idx-jump",
                     "queue %u: avail.idx moved from %u to %u, %u entries ahead of a queue of %u",
                     qi, q->last_avail_idx, avail_idx, pending, q->live_num);
    }
}

/* QEMU's virtio_queue_empty_rcu: avail.idx is read only when the device has caught up with the
 * value it read last. A newly read value more than the queue size ahead is a violation (QEMU's
 * virtqueue_num_heads would say "Guest moved used index", but the pop path never calls it). */
static inline enum ring_err read_avail_idx(struct dev_queue *q)
{
    if (q->shadow_avail_idx != q->last_avail_idx)
        return RING_OK;
    uint16_t avail_idx;
    if (!gm_read16(q->env->mem, q->avail + 2, &avail_idx)) {
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
        avail_idx_jumped(q, avail_idx, pending);
    return RING_OK;
}

/* The device holds a queue's worth of requests and is offered more: QEMU's "Virtqueue size
 * exceeded". */
static enum ring_err queue_full(struct dev_queue *q)
{
    uint32_t qi = q->index;
    uint16_t avail_idx = q->shadow_avail_idx;
    if (q->idx_rule) /* the rule was reported when the device read avail.idx */
        ring_finding(q, RING_BREAK_QUIETLY, q->idx_rule,
                     "queue %u: avail.idx = %u, read when the device had taken entries up to %u, "
                     "claimed %u new entries; the device took the entries of avail index %u to "
                     "%u one by one, whatever their slots held, and now holds %u requests it has "
                     "not returned, a whole queue (QEMU: \"Virtqueue size exceeded\")", qi,
                     avail_idx, q->shadow_base, (uint16_t)(avail_idx - q->shadow_base),
                     q->shadow_base, (uint16_t)(q->last_avail_idx - 1), q->inuse);
    else
        ring_finding(q, RING_BREAK, "split.avail.idx-jump",
                     "queue %u: the device holds %u requests it took and has not returned, a "
                     "whole queue, and avail.idx = %u offers more (QEMU: \"Virtqueue size "
                     "exceeded\")", qi, q->inuse, avail_idx);
    return RING_E_FULL;
}

/* A chain that loops: which descriptor links back to which, and (the hook) the driver store that
 * made it so. */
static void loop_back(const struct dev_queue *q, uint16_t head, char *buf, size_t len)
{
    uint8_t seen[SR_MAX_SEGS / 8] = {0};
    uint32_t i = head;
    struct sr_desc d;
    for (uint32_t steps = 0; steps <= q->live_num && i < q->live_num; steps++) {
        seen[i / 8] |= (uint8_t)(1u << i % 8);
        split_read_desc(q->env->mem, q->desc, i, &d);
        if (!(d.flags & VIRTQ_DESC_F_NEXT) || d.next >= q->live_num)
            break;
        if (!(seen[d.next / 8] & (1u << d.next % 8))) {
            i = d.next;
            continue;
        }
        int w = snprintf(buf, len, "descriptor %u links back to descriptor %u (desc[%u].next = %u, "
                         "NEXT set)", i, d.next, i, d.next);
        if (w >= 0 && (size_t)w < len)
            ring_ev_loop_store(q, i, d.next, buf + w, len - (size_t)w);
        return;
    }
    snprintf(buf, len, "more links than descriptors");
}

/* The chain from ring descriptor `head` (already read into *d), linked by NEXT (§2.6.5). Inline:
 * a part of every pop. */
static inline __attribute__((always_inline)) enum ring_err
walk_ring(struct dev_queue *q, struct sr_chain *c, uint16_t head, struct sr_desc *d)
{
    uint32_t n = q->live_num, i = head, count = 0;
    enum ring_err r;
    for (;;) {
        if (++count > n) { /* QEMU: "Looped descriptor" */
            char why[200];
            loop_back(q, head, why, sizeof(why));
            ring_finding(q, RING_BREAK, "split.desc.no-loops",
                         "queue %u: chain from head %u has more than %u descriptors: it loops: %s",
                         q->index, head, n, why);
            return RING_E_LOOP;
        }
        ring_ev_descriptor(q, RING_DESC_CHAIN, q->desc, i, d);
        if ((r = take_desc(q, c, i, d, "descriptor")) != RING_OK)
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
        read_desc(q->env->mem, q->desc, i, d);
    }
}

/* Read the head in the next avail slot (QEMU: virtqueue_get_head(vq, vq->last_avail_idx++)). */
static enum ring_err take_head(struct dev_queue *q, uint16_t *head)
{
    uint32_t n = q->live_num;
    uint16_t taken = q->last_avail_idx;
    gm_read16(q->env->mem, q->avail + 4 + 2ull * (taken % n), head);
    q->last_avail_idx++;
    ring_ev_head_read(q, *head, taken); /* before it is checked: a refused chain begins here */
    if (*head >= n) { /* QEMU: "Guest says index %u is available" */
        ring_finding(q, RING_BREAK, "split.avail.head-in-range",
                     "queue %u: avail.ring[%u] = %u (the entry for avail index %u), but the "
                     "queue has %u descriptors", q->index, taken % n, *head, taken, n);
        return RING_E_HEAD;
    }
    /* §2.6.10 with EVENT_IDX (QEMU: vring_set_avail_event): the next index the device will read,
     * published before the chain is read. */
    if (event_idx(q)) {
        gm_write16(q->env->mem, q->used + 4 + 8ull * n, q->last_avail_idx);
        ring_ev_avail_event(q, q->last_avail_idx);
    }
    return RING_OK;
}

/* Take the next available chain into *c (§2.6.6, §2.6.5), as QEMU 7.2's virtqueue_split_pop:
 * avail.idx is read only when the device has taken every entry up to the value it last read; an
 * avail.idx more than the queue size ahead is a violation but not what stops QEMU (its pop path
 * does not range-check it): the device takes the slots it finds, and breaks on a head out of
 * range there, or when it holds a queue's worth of requests ("Virtqueue size exceeded"). */
static __attribute__((noinline)) enum ring_err take_chain(struct dev_queue *q,
                                                         struct sr_chain *c)
{
    enum ring_err r;
    if (!ring_ev_may_take(q))
        return RING_EMPTY; /* a replay: the recorded device had not taken this one yet */
    if (q->inuse >= q->live_num)
        return queue_full(q);
    uint16_t head, taken = q->last_avail_idx;
    if ((r = take_head(q, &head)) != RING_OK)
        return r;
    c->head = head; /* the header only: nseg says which of the 1024 segs are set */
    c->indirect = false;
    c->table = 0;
    c->table_len = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
    struct sr_desc d;
    read_desc(q->env->mem, q->desc, head, &d);
    /* §2.6.5.3: a head that names a table; QEMU ignores its NEXT flag and walks the table. */
    r = d.flags & VIRTQ_DESC_F_INDIRECT ? ind_walk(q, c, head, &d) : walk_ring(q, c, head, &d);
    if (r != RING_OK)
        return r;
    /* §2.6.5.2: at most 2^32 bytes in a chain (QEMU sums lengths in 32 bits and does not check). */
    if (c->readable + c->writable > (1ull << 32))
        ring_finding(q, RING_VIOLATION, "split.desc.chain-max-4g",
                     "queue %u: the chain from head %u holds %llu bytes, more than 2^32",
                     q->index, head, (unsigned long long)(c->readable + c->writable));
    q->inuse++;
    q->pops++;
    if (ring_ev_chain_popped(q, c, q->shadow_avail_idx, taken))
        return RING_STOPPED; /* an injected fault reset or broke the device */
    return RING_OK;
}

/* The pop: whether there is a chain (every notify ends with a pop that finds none: small), then
 * take_chain. */
static enum ring_err split_pop(struct dev_queue *q, struct sr_chain *c)
{
    if (!q->live || *q->env->broken)
        return RING_EMPTY;
    enum ring_err r = read_avail_idx(q);
    if (r == RING_EMPTY)
        ring_ev_ring_empty(q); /* done with what it was woken for */
    if (r != RING_OK)
        return r;
    return take_chain(q, c);
}

/* ---- push ------------------------------------------------------------------------------------ */

/* The used element, then the used idx that publishes it (§2.6.8); `parts` may hold back either
 * (injected device faults). */
/* The used element {id, len} (§2.6.8), keeping what it held (what a stale read would see in
 * weak-memory mode). A part outside RAM is neither read (0) nor written. */
static void write_used_elem(struct guest_memory *mem, struct ring_used *u)
{
    uint8_t *p = gm_ptr(mem, u->elem_at, 8);
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

static void split_push(struct dev_queue *q, uint16_t head, uint32_t len, unsigned parts)
{
    uint32_t n = q->live_num;
    struct guest_memory *mem = q->env->mem;
    if (!q->live || n == 0)
        return;
    if (*q->env->broken) { /* QEMU's virtqueue_fill / _flush on a broken device: nothing written */
        if (q->inuse)
            q->inuse--;
        ring_ev_push_dropped(q, head, len);
        return;
    }
    struct ring_used u = {.elem_at = q->used + 4 + 8ull * (q->used_idx % n), .id = head,
                          .len = len, .parts = parts,
                          .idx_at = parts & RING_PUSH_IDX ? q->used + 2 : 0};
    if (parts & RING_PUSH_ELEM)
        write_used_elem(mem, &u);
    /* §2.6.8.1: the element (and len) before the idx that publishes it. */
    q->used_idx++;
    if (parts & RING_PUSH_IDX)
        gm_write16(mem, q->used + 2, q->used_idx);
    u.idx = q->used_idx;
    ring_ev_used_written(q, &u); /* the device is done with the chain */
    if (q->inuse)
        q->inuse--;
    q->pushes++;
}

/* ---- notifications --------------------------------------------------------------------------- */

/* After a push (QEMU's virtio_should_notify): avail.flags NO_INTERRUPT (§2.6.7), or with
 * EVENT_IDX only used_event: interrupt when used.idx passed it since the last interrupt (always
 * the first since reset; §2.6.7.2). */
static bool split_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    const struct guest_memory *mem = q->env->mem;
    uint16_t flags = 0;
    gm_read16(mem, q->avail, &flags);
    ring_ev_suppression_read(q, flags);
    if (event_idx(q)) {
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

/* §2.6.10: with EVENT_IDX the device asks for a kick when avail.idx passes avail_event; without,
 * unless used.flags has NO_NOTIFY. */
static bool split_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                              struct ring_suppress *why)
{
    const struct guest_memory *mem = q->env->mem;
    if (event_idx(q)) {
        uint64_t at = q->used + 4 + 8ull * q->live_num;
        uint16_t ev = 0;
        gm_read16(mem, at, &ev);
        *why = (struct ring_suppress){true, at, ev, 0, 0};
        return vring_need_event(ev, to, from);
    }
    uint16_t flags = 0;
    gm_read16(mem, q->used, &flags);
    *why = (struct ring_suppress){false, q->used, flags, 0, 0};
    return !(flags & VIRTQ_USED_F_NO_NOTIFY);
}

/* ---- classify -------------------------------------------------------------------------------- */

const char sr_f_desc_addr[] = "desc.addr", sr_f_desc_len[] = "desc.len",
           sr_f_desc_flags[] = "desc.flags", sr_f_desc_next[] = "desc.next",
           sr_f_avail_flags[] = "avail.flags", sr_f_avail_idx[] = "avail.idx",
           sr_f_avail_ring[] = "avail.ring", sr_f_avail_used_event[] = "avail.used_event",
           sr_f_used_flags[] = "used.flags", sr_f_used_idx[] = "used.idx",
           sr_f_used_id[] = "used.id", sr_f_used_len[] = "used.len",
           sr_f_used_avail_event[] = "used.avail_event";

const char *const sr_field_name[SR_FIELDS] = {
    [SR_F_NONE] = NULL,
    [SR_F_DESC_ADDR] = sr_f_desc_addr, [SR_F_DESC_LEN] = sr_f_desc_len,
    [SR_F_DESC_FLAGS] = sr_f_desc_flags, [SR_F_DESC_NEXT] = sr_f_desc_next,
    [SR_F_AVAIL_FLAGS] = sr_f_avail_flags, [SR_F_AVAIL_IDX] = sr_f_avail_idx,
    [SR_F_AVAIL_RING] = sr_f_avail_ring, [SR_F_AVAIL_USED_EVENT] = sr_f_avail_used_event,
    [SR_F_USED_FLAGS] = sr_f_used_flags, [SR_F_USED_IDX] = sr_f_used_idx,
    [SR_F_USED_ID] = sr_f_used_id, [SR_F_USED_LEN] = sr_f_used_len,
    [SR_F_USED_AVAIL_EVENT] = sr_f_used_avail_event};

static const char *split_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    return split_locate(q, gpa, index); /* ring_locate.h */
}

/* 1.2 §2.9, split ring: next_off / next_wrap are avail.idx's bits 0..14 and 15. */
static bool split_notify_next(const struct dev_queue *q, uint16_t *next)
{
    return q->live && gm_read16(q->env->mem, q->avail + 2, next);
}

/* Split ring: avail.idx less the device's next entry (§2.6.6). */
static uint32_t split_avail_chains(const struct dev_queue *q, uint32_t max)
{
    uint16_t idx = 0;
    if (!q->live || !gm_read16(q->env->mem, q->avail + 2, &idx))
        return 0;
    uint32_t n = (uint16_t)(idx - q->last_avail_idx);
    return n < max ? n : max;
}

const struct ring_ops split_ring_ops = {
    .name = "split",
    .align = {VIRTQ_DESC_ALIGN, VIRTQ_AVAIL_ALIGN, VIRTQ_USED_ALIGN},
    .size_pow2 = true,
    .area_bytes = split_area_bytes,
    .configure = split_configure,
    .pop = split_pop,
    .push = split_push,
    .need_interrupt = split_need_interrupt,
    .need_notify = split_need_notify,
    .classify = split_classify,
    .classify_table = ind_classify,
    .notify_next = split_notify_next,
    .avail_chains = split_avail_chains,
};
