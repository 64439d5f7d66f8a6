/* packed_walk.c — see packed_walk.h. Rule ids are those of spec/rules.yaml (packed.*). */
#include "model/rings/packed_walk.h"

#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/packed_hot.h"
#include "model/rings/packed_ring.h"
#include "model/rings/ring_hooks.h"
#include "spec/virtio_spec.h"

void packed_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                      struct sr_desc *d)
{
    uint64_t da = table + 16ull * i;
    const uint8_t *p = gm_ptr(mem, da, 16);
    if (p) { /* the whole descriptor in RAM (the usual case): one bounds check (LE host) */
        memcpy(&d->addr, p, 8);
        memcpy(&d->len, p + 8, 4);
        memcpy(&d->next, p + 12, 2); /* the buffer id */
        memcpy(&d->flags, p + 14, 2);
        return;
    }
    d->addr = 0; /* field by field: a part outside RAM reads as 0 */
    d->len = 0;
    d->next = d->flags = 0;
    gm_read64(mem, da, &d->addr);
    gm_read32(mem, da + 8, &d->len);
    gm_read16(mem, da + 12, &d->next); /* the buffer id */
    gm_read16(mem, da + 14, &d->flags);
}

/* One buffer of a chain, checked as QEMU's virtqueue_map_desc (each refusal fatal). */
enum ring_err pk_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i,
                           const struct sr_desc *d, const char *where)
{
    uint32_t qi = q->index;
    const struct guest_memory *mem = q->env->mem;
    bool write = d->flags & VIRTQ_DESC_F_WRITE;
    if (!write && c->writable) { /* QEMU: "Incorrect order for descriptors" */
        ring_finding(q, RING_BREAK, "packed.writable-after-readable",
                     "queue %u: %s %u is device-readable but follows a device-writable one in "
                     "the list of buffer id %u", qi, where, i, c->head);
        return RING_E_ORDER;
    }
    if (d->len == 0) { /* QEMU: "zero sized buffers are not allowed" */
        ring_finding(q, RING_BREAK, "packed.desc.zero-length", "queue %u: %s %u has length 0",
                     qi, where, i);
        return RING_E_ZERO_LEN;
    }
    if (!gm_contains(mem, d->addr, d->len)) {
        if (ring_ev_outside_ram(q, "a buffer address", d->addr, d->len))
            return RING_E_REFUSED;
        ring_finding(q, RING_BREAK, "packed.desc.addr-in-ram",
                     "queue %u: %s %u points at 0x%llx (+%u bytes), outside guest RAM", qi, where,
                     i, (unsigned long long)d->addr, d->len);
        return RING_E_ADDR;
    }
    if (c->nseg >= SR_MAX_SEGS) {
        ring_finding(q, RING_BREAK, "packed.list-le-queue-size",
                     "queue %u: the list of buffer id %u has more than %u buffers, QEMU's limit",
                     qi, c->head, SR_MAX_SEGS);
        return RING_E_TOO_LONG;
    }
    struct sr_seg *s = &c->seg[c->nseg++];
    *s = (struct sr_seg){.gpa = d->addr, .len = d->len, .write = write,
                         .in_table = where[0] != 'd', .desc = (uint16_t)i};
    if (write)
        c->writable += d->len;
    else
        c->readable += d->len;
    return RING_OK;
}

/* §2.7.17: the rest of a list is made available before its first descriptor, so when the device
 * sees the head available, every later descriptor shows available for its lap too (QEMU does not
 * look: it reads them as they are). */
void pk_check_member_avail(struct dev_queue *q, struct sr_chain *c, uint32_t i, bool wrap,
                           const struct sr_desc *d, uint16_t at)
{
    if (packed_desc_avail(d->flags, wrap))
        return;
    ring_finding(q, RING_VIOLATION, "packed.first-desc-last",
                 "queue %u: the list of buffer id %u starts at descriptor %u, available, but its "
                 "descriptor %u is not (flags 0x%04x: AVAIL %u, USED %u; its wrap counter is %u) "
                 "when the device reads the list", q->index, c->head, at, i, d->flags,
                 (d->flags >> 7) & 1u, (d->flags >> 15) & 1u, wrap);
}


enum ring_err pk_walk_table(struct dev_queue *q, struct sr_chain *c, uint16_t at,
                            const struct sr_desc *d)
{
    const struct guest_memory *mem = q->env->mem;
    uint32_t qi = q->index;
    ring_ev_descriptor(q, RING_DESC_INDIRECT_HEAD, q->desc, at, d);
    if (d->len == 0 || d->len % 16) { /* QEMU: "Invalid size for indirect buffer table" */
        ring_finding(q, RING_BREAK, "packed.indirect.table-size",
                     "queue %u: descriptor %u names an indirect table of %u bytes, not a non-zero "
                     "multiple of 16", qi, at, d->len);
        return RING_E_TABLE;
    }
    if (!gm_contains(mem, d->addr, d->len)) { /* QEMU: "Cannot map indirect buffer" */
        if (ring_ev_outside_ram(q, "an indirect table address", d->addr, d->len))
            return RING_E_REFUSED;
        ring_finding(q, RING_BREAK, "packed.desc.addr-in-ram",
                     "queue %u: descriptor %u names an indirect table at 0x%llx (+%u bytes), "
                     "outside guest RAM", qi, at, (unsigned long long)d->addr, d->len);
        return RING_E_ADDR;
    }
    c->indirect = true;
    c->table = d->addr;
    c->table_len = d->len;
    /* §2.7.5: a list is no longer than the queue unless the device says so (this one does not),
     * in a table too; QEMU maps up to 1024 buffers (pk_take_desc). */
    if (d->len / 16 > q->live_num)
        ring_finding(q, RING_VIOLATION, "packed.list-le-queue-size",
                     "queue %u: the indirect table of descriptor %u (buffer id %u) holds %u "
                     "descriptors, more than the queue size %u", qi, at, d->next, d->len / 16,
                     q->live_num);
    struct sr_desc e;
    for (uint32_t k = 0; k < d->len / 16; k++) { /* §2.7.7: every entry, in order */
        packed_read_desc(mem, d->addr, k, &e);
        ring_ev_descriptor(q, RING_DESC_TABLE, d->addr, k, &e);
        enum ring_err r = pk_take_desc(q, c, k, &e, "indirect entry");
        if (r != RING_OK)
            return r;
    }
    return RING_OK;
}

const char *pk_classify_table(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    const struct guest_memory *mem = q->env->mem;
    if (!q->live)
        return NULL;
    for (uint32_t i = 0; i < q->live_num; i++) {
        struct sr_desc d;
        packed_read_desc(mem, q->desc, i, &d);
        /* A table a descriptor names, or the one the next head names while the driver writes it
         * (addr and len stored, flags not yet: a packed driver stores them last). */
        bool next_head = i == q->last_avail_idx && !packed_desc_avail(d.flags, packed_avail_wrap(q)) &&
                         d.len && d.len % 16 == 0;
        if (!(d.flags & VIRTQ_DESC_F_INDIRECT) && !next_head)
            continue;
        if (gpa < d.addr || gpa - d.addr >= d.len)
            continue;
        static const char *const f[] = {"indirect.addr", "indirect.len", "indirect.id",
                                        "indirect.flags"};
        uint64_t off = (gpa - d.addr) % 16;
        *index = (uint32_t)((gpa - d.addr) / 16);
        return f[off < 8 ? 0 : off < 12 ? 1 : off < 14 ? 2 : 3];
    }
    return NULL;
}
