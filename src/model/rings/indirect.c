/* indirect.c — see indirect.h. */
#include "model/rings/indirect.h"

#include "model/guest_memory.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/split_ring.h"
#include "spec/virtio_spec.h"

/* The table itself: 16 bytes per entry, in RAM (QEMU maps it before it walks it). */
static enum ring_err check_table(struct dev_queue *q, uint32_t head, const struct sr_desc *d)
{
    const struct guest_memory *mem = q->env->mem;
    /* §2.6.5.3: len is the table's size in bytes, 16 per entry. */
    if (d->len == 0 || d->len % 16) { /* QEMU: "Invalid size for indirect buffer table" */
        ring_finding(q, RING_BREAK, "split.indirect.table-size",
                     "queue %u: descriptor %u names an indirect table of %u bytes, not a non-zero "
                     "multiple of 16", q->index, head, d->len);
        return RING_E_TABLE;
    }
    if (!gm_contains(mem, d->addr, d->len)) { /* QEMU: "Cannot map indirect buffer" */
        if (ring_ev_outside_ram(q, "an indirect table address", d->addr, d->len))
            return RING_E_REFUSED;
        ring_finding(q, RING_BREAK, "split.desc.addr-in-ram",
                     "queue %u: descriptor %u names an indirect table at 0x%llx (+%u bytes), "
                     "outside guest RAM [0x%llx, 0x%llx)", q->index, head,
                     (unsigned long long)d->addr, d->len, (unsigned long long)mem->base,
                     (unsigned long long)(mem->base + mem->size));
        return RING_E_ADDR;
    }
    return RING_OK;
}

enum ring_err ind_walk(struct dev_queue *q, struct sr_chain *c, uint32_t head,
                       const struct sr_desc *d)
{
    uint32_t n = q->live_num, qi = q->index;
    ring_ev_descriptor(q, RING_DESC_INDIRECT_HEAD, q->desc, head, d);
    enum ring_err r = check_table(q, head, d);
    if (r != RING_OK)
        return r;
    c->indirect = true;
    c->table = d->addr;
    c->table_len = d->len;
    uint32_t max = d->len / 16, k = 0, count = 0;
    bool too_long = false;
    struct sr_desc e;
    split_read_desc(q->env->mem, d->addr, k, &e);
    for (;;) {
        ring_ev_descriptor(q, RING_DESC_TABLE, d->addr, k, &e);
        if ((r = split_take_desc(q, c, k, &e, "indirect entry")) != RING_OK)
            return r;
        if (++count > max) { /* QEMU: "Looped descriptor" (max = the table's entries) */
            ring_finding(q, RING_BREAK, "split.desc.no-loops",
                         "queue %u: the chain in the indirect table at 0x%llx has more than its "
                         "%u entries: it loops", qi, (unsigned long long)d->addr, max);
            return RING_E_LOOP;
        }
        /* §2.6.5.3.1: a chain is never longer than the queue, in a table too (QEMU allows up
         * to 1024 buffers whatever the queue size). */
        if (count > n && !too_long) {
            too_long = true;
            ring_finding(q, RING_VIOLATION, "split.desc.chain-len-le-queue-size",
                         "queue %u: the chain in the indirect table at 0x%llx has more than %u "
                         "descriptors, the queue size", qi, (unsigned long long)d->addr, n);
        }
        if (!(e.flags & VIRTQ_DESC_F_NEXT))
            return RING_OK;
        if (e.next >= max) { /* QEMU: "Desc next is %u" (against the table's entries) */
            ring_finding(q, RING_BREAK, "split.desc.next-in-range",
                         "queue %u: entry %u of the indirect table at 0x%llx links to %u, but the "
                         "table has %u entries", qi, k, (unsigned long long)d->addr, e.next, max);
            return RING_E_NEXT;
        }
        k = e.next;
        split_read_desc(q->env->mem, d->addr, k, &e);
    }
}

const char *ind_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    const struct guest_memory *mem = q->env->mem;
    if (!q->live)
        return NULL;
    for (uint32_t i = 0; i < q->live_num; i++) {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint64_t da = q->desc + 16ull * i;
        if (!gm_read16(mem, da + 12, &flags) || !(flags & VIRTQ_DESC_F_INDIRECT))
            continue;
        gm_read64(mem, da, &addr);
        gm_read32(mem, da + 8, &len);
        if (gpa < addr || gpa - addr >= len)
            continue;
        static const char *f[] = {"indirect.addr", "indirect.len", "indirect.flags",
                                  "indirect.next"};
        uint64_t off = (gpa - addr) % 16;
        *index = (uint32_t)((gpa - addr) / 16);
        return f[off < 8 ? 0 : off < 12 ? 1 : off < 14 ? 2 : 3];
    }
    return NULL;
}
