/* split_ring.c — see split_ring.h. Rule ids are those of spec/rules.yaml. */
#include "split_ring.h"

#include <string.h>

#include "../driver/virtio_spec.h"
#include "exposed_snapshot.h"
#include "in_order_check.h"
#include "indirect.h"
#include "machine.h"
#include "phys_addr_check.h"
#include "ring_locate.h"

void sr_queue_reset(struct dev_queue *q, uint32_t default_num)
{
    memset(q, 0, sizeof(*q));
    q->num = default_num;
    q->align = 4096;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

void sr_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail, uint64_t used)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->num;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->live_num = n;
    q->live = desc != 0 && n != 0;
    if (!q->live)
        return;
    exposed_on_live(m, qi);
    struct trace_event *e = machine_trace(m, TR_DEVICE, desc, n, 0, "queue live");
    if (e)
        e->queue = (uint8_t)qi;
    /* §2.6.1 (QEMU does not check it): 16/2/4 alignment. */
    if (desc % VIRTQ_DESC_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: descriptor table at 0x%llx is not 16-byte aligned", qi,
                          (unsigned long long)desc);
    if (avail % VIRTQ_AVAIL_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: available ring at 0x%llx is not 2-byte aligned", qi,
                          (unsigned long long)avail);
    if (used % VIRTQ_USED_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: used ring at 0x%llx is not 4-byte aligned", qi,
                          (unsigned long long)used);
    /* §2.6: Queue Size is a power of 2 (descriptive; QEMU accepts others). */
    if (!is_pow2(n))
        machine_violation(m, "split.queue-size-pow2", (int)qi,
                          "queue %u: size %u is not a power of 2", qi, n);
    /* QEMU maps the three areas when the ring goes live; failure is fatal ("Cannot map …"). */
    struct { const char *what; uint64_t at, len; } part[3] = {
        {"descriptor table", desc, VIRTQ_DESC_BYTES(n)},
        {"available ring", avail, 4u + 2u * n},
        {"used ring", used, 4u + 8u * n},
    };
    for (int i = 0; i < 3; i++) {
        if (pa_check_virtual(m, qi, part[i].what, part[i].at, part[i].len)) {
            q->live = false;
            return;
        }
        if (!gm_contains(&m->mem, part[i].at, part[i].len)) {
            machine_break_device(m, "split.rings-in-ram", (int)qi,
                                 "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM "
                                 "[0x%llx, 0x%llx)", qi, part[i].what,
                                 (unsigned long long)part[i].at, (unsigned long long)part[i].len,
                                 (unsigned long long)m->mem.base,
                                 (unsigned long long)(m->mem.base + m->mem.size));
            q->live = false;
            return;
        }
    }
    faults_queue_live(m, qi);
    notify_queue_live(m, qi);
}

void sr_read_desc(struct machine *m, uint64_t table, uint32_t i, struct sr_desc *d)
{
    uint64_t da = table + 16ull * i;
    const uint8_t *p = gm_ptr(&m->mem, da, 16);
    if (p) { /* the whole descriptor in RAM (the usual case): one bounds check (LE host) */
        memcpy(&d->addr, p, 8);
        memcpy(&d->len, p + 8, 4);
        memcpy(&d->flags, p + 12, 2);
        memcpy(&d->next, p + 14, 2);
        return;
    }
    gm_read64(&m->mem, da, &d->addr); /* field by field: a part outside RAM reads as 0 */
    gm_read32(&m->mem, da + 8, &d->len);
    gm_read16(&m->mem, da + 12, &d->flags);
    gm_read16(&m->mem, da + 14, &d->next);
}

enum sr_result sr_take_desc(struct machine *m, uint32_t qi, struct sr_chain *c, uint32_t i,
                            const struct sr_desc *d, const char *where)
{
    bool write = d->flags & VIRTQ_DESC_F_WRITE;
    if (!write && c->writable) { /* QEMU: "Incorrect order for descriptors" */
        machine_break_device(m, "split.framing.writable-after-readable", (int)qi,
                             "queue %u: %s %u is device-readable but follows a device-writable "
                             "one in the chain from head %u", qi, where, i, c->head);
        return SR_BROKEN;
    }
    if (d->len == 0) { /* QEMU: "zero sized buffers are not allowed" */
        machine_break_device(m, "split.desc.zero-length", (int)qi,
                             "queue %u: %s %u has length 0", qi, where, i);
        return SR_BROKEN;
    }
    if (pa_check_virtual(m, qi, "a buffer address", d->addr, d->len))
        return SR_BROKEN;
    if (!gm_contains(&m->mem, d->addr, d->len)) { /* QEMU: "bogus descriptor or out of resources" */
        machine_break_device(m, "split.desc.addr-in-ram", (int)qi,
                             "queue %u: %s %u points at 0x%llx (+%u bytes), outside guest RAM "
                             "[0x%llx, 0x%llx)", qi, where, i, (unsigned long long)d->addr,
                             d->len, (unsigned long long)m->mem.base,
                             (unsigned long long)(m->mem.base + m->mem.size));
        return SR_BROKEN;
    }
    if (c->nseg >= SR_MAX_SEGS) { /* QEMU: "too many write descriptors in indirect table" */
        machine_break_device(m, "split.desc.chain-len-le-queue-size", (int)qi,
                             "queue %u: the chain from head %u has more than %u buffers", qi,
                             c->head, SR_MAX_SEGS);
        return SR_BROKEN;
    }
    c->seg[c->nseg].gpa = d->addr;
    c->seg[c->nseg].len = d->len;
    c->seg[c->nseg].write = write;
    c->nseg++;
    if (write)
        c->writable += d->len;
    else
        c->readable += d->len;
    return SR_OK;
}

enum sr_result sr_pop(struct machine *m, uint32_t qi, struct sr_chain *c)
{
    struct dev_queue *q = &m->dev.q[qi];
    if (!q->live || m->dev.broken)
        return SR_EMPTY;
    uint32_t n = q->live_num;
    uint16_t avail_idx;
    if (!gm_read16(&m->mem, q->avail + 2, &avail_idx)) {
        machine_break_device(m, "split.rings-in-ram", (int)qi, "queue %u: avail.idx unreadable", qi);
        return SR_BROKEN;
    }
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail_idx);
    uint16_t behind = (uint16_t)(q->last_avail_idx - avail_idx);
    if (pending > n && behind < 0x8000u) { /* QEMU: "Guest moved used index from %u to %u" */
        /* §2.6.6.1: idx went back past entries the device already took: "unexposing". */
        machine_break_device(m, "split.avail.idx-no-decrement", (int)qi,
                             "queue %u: avail.idx went back to %u after the device had taken "
                             "entries up to %u", qi, avail_idx, q->last_avail_idx);
        return SR_BROKEN;
    }
    if (pending > n) { /* QEMU: "Guest moved used index from %u to %u" */
        machine_break_device(m, "split.avail.idx-jump", (int)qi,
                             "queue %u: avail.idx moved from %u to %u, %u entries ahead of a "
                             "queue of %u", qi, q->last_avail_idx, avail_idx, pending, n);
        return SR_BROKEN;
    }
    if (pending == 0) {
        pace_ring_empty(m, qi);
        return SR_EMPTY;
    }
    if (!pace_may_take(m, qi))
        return SR_EMPTY; /* a replay: the recorded device had not taken this one yet */

    uint16_t head;
    uint64_t slot = q->avail + 4 + 2ull * (q->last_avail_idx % n);
    gm_read16(&m->mem, slot, &head);
    if (head >= n) { /* QEMU: "Guest says index %u is available" */
        machine_break_device(m, "split.avail.head-in-range", (int)qi,
                             "queue %u: avail.ring[%u] = %u, but the queue has %u descriptors",
                             qi, q->last_avail_idx % n, head, n);
        return SR_BROKEN;
    }
    c->head = head;
    c->indirect = false;
    c->table = 0;
    c->table_len = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
    uint32_t i = head, count = 0;
    struct sr_desc d;
    sr_read_desc(m, q->desc, i, &d);
    if (d.flags & VIRTQ_DESC_F_INDIRECT) {
        /* §2.6.5.3: the head names a table; QEMU ignores its NEXT flag and walks the table. */
        enum sr_result r = ind_walk(m, qi, c, head, &d);
        if (r != SR_OK)
            return r;
    } else {
        for (;;) {
            if (++count > n) { /* QEMU: "Looped descriptor" */
                machine_break_device(m, "split.desc.no-loops", (int)qi,
                                     "queue %u: chain from head %u has more than %u descriptors: "
                                     "it loops", qi, head, n);
                return SR_BROKEN;
            }
            ind_check_ring_desc(m, qi, i, &d);  /* INDIRECT further down: a plain buffer */
            in_order_check_ring_next(m, qi, i, &d);
            if (sr_take_desc(m, qi, c, i, &d, "descriptor") != SR_OK)
                return SR_BROKEN;
            if (!(d.flags & VIRTQ_DESC_F_NEXT))
                break;
            if (d.next >= n) { /* QEMU: "Desc next is %u" */
                machine_break_device(m, "split.desc.next-in-range", (int)qi,
                                     "queue %u: descriptor %u links to %u, but the queue has %u "
                                     "descriptors", qi, i, d.next, n);
                return SR_BROKEN;
            }
            i = d.next;
            sr_read_desc(m, q->desc, i, &d);
        }
    }
    /* §2.6.5.2: at most 2^32 bytes in a chain (QEMU sums lengths in 32 bits and does not check). */
    if (c->readable + c->writable > (1ull << 32))
        machine_violation(m, "split.desc.chain-max-4g", (int)qi,
                          "queue %u: the chain from head %u holds %llu bytes, more than 2^32", qi,
                          head, (unsigned long long)(c->readable + c->writable));
    struct trace_event *e = machine_trace(m, TR_POP, head, avail_idx, 0, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = q->last_avail_idx;
    }
    q->last_avail_idx++;
    notify_device_popped(m, qi);
    q->inuse++;
    q->pops++;
    if (device_faults_on_pop(m, qi, head)) /* an injected fault reset or broke the device */
        return m->dev.broken ? SR_BROKEN : SR_EMPTY;
    return SR_OK;
}

bool sr_push(struct machine *m, uint32_t qi, uint16_t head, uint32_t len)
{
    unsigned parts = SR_PUSH_ELEM | SR_PUSH_IDX;
    if (device_faults_on_push(m, qi, head, len, &parts))
        return true; /* an injected device fault holds this answer back, or drops it */
    if (pace_hold(m, qi, head, len, parts))
        return false; /* a replay: published when the recorded device published it */
    sr_push_parts(m, qi, head, len, parts);
    return true;
}

void sr_push_parts(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->live_num;
    if (!q->live || n == 0)
        return;
    uint64_t elem = q->used + 4 + 8ull * (q->used_idx % n);
    if (parts & SR_PUSH_ELEM) {
        uint32_t old_id = 0, old_len = 0; /* for weak-memory mode: what a stale read would see */
        gm_read32(&m->mem, elem, &old_id);
        gm_read32(&m->mem, elem + 4, &old_len);
        bc_device_push(m, qi, elem, old_id, old_len);
        gm_write32(&m->mem, elem, head);
        gm_write32(&m->mem, elem + 4, len);
    }
    /* The trace shows the two stores in the order they happen: the element, then the idx. */
    struct trace_event *e = machine_trace(m, TR_USED, elem, len, 8, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = head;
        if (!(parts & SR_PUSH_IDX))
            e->note = "element written, used.idx not advanced (injected device fault)";
        else if (!(parts & SR_PUSH_ELEM))
            e->note = "used.idx advanced, element not written (injected device fault)";
    }
    /* §2.6.8.1: the element (and len) before the idx that publishes it. */
    q->used_idx++;
    if (parts & SR_PUSH_IDX) {
        gm_write16(&m->mem, q->used + 2, q->used_idx);
        e = machine_trace(m, TR_DEVICE, q->used + 2, q->used_idx, 2, "used.idx");
        if (e)
            e->queue = (uint8_t)qi;
    }
    /* The device is done with the chain (a later idx store may publish it): not exposed now. */
    exposed_on_used(m, qi, head);
    if (q->inuse)
        q->inuse--;
    q->pushes++;
}

size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (s->write)
            continue;
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        size_t n = s->len - offset < len - done ? s->len - offset : len - done;
        const void *src = gm_ptr(&m->mem, s->gpa + offset, n);
        if (!src)
            break;
        memcpy((uint8_t *)dst + done, src, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t sr_write(struct machine *m, const struct sr_chain *c, const void *src, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        size_t n = s->len < len - done ? s->len : len - done;
        void *d = gm_ptr(&m->mem, s->gpa, n);
        if (!d)
            break;
        memcpy(d, (const uint8_t *)src + done, n);
        done += n;
    }
    return done;
}

const char sr_f_desc_addr[] = "desc.addr", sr_f_desc_len[] = "desc.len",
           sr_f_desc_flags[] = "desc.flags", sr_f_desc_next[] = "desc.next",
           sr_f_avail_flags[] = "avail.flags", sr_f_avail_idx[] = "avail.idx",
           sr_f_avail_ring[] = "avail.ring", sr_f_avail_used_event[] = "avail.used_event",
           sr_f_used_flags[] = "used.flags", sr_f_used_idx[] = "used.idx",
           sr_f_used_id[] = "used.id", sr_f_used_len[] = "used.len",
           sr_f_used_avail_event[] = "used.avail_event";

const char *sr_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index)
{
    return sr_locate(m, qi, gpa, index); /* ring_locate.h */
}
