/* indirect.c — see indirect.h. */
#include "model/rings/indirect.h"

#include "spec/virtio_spec.h"
#include "model/checks/in_order_check.h"
#include "model/machine.h"
#include "model/checks/phys_addr_check.h"

void ind_check_ring_desc(struct machine *m, uint32_t qi, uint32_t i, const struct sr_desc *d)
{
    if (!(d->flags & VIRTQ_DESC_F_INDIRECT))
        return;
    /* §2.6.5.3.1: only with VIRTIO_RING_F_INDIRECT_DESC (QEMU follows the table regardless). */
    if (!(m->dev.guest_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)))
        machine_violation(m, "split.indirect.requires-feature", (int)qi,
                          "queue %u: descriptor %u has INDIRECT, but VIRTIO_RING_F_INDIRECT_DESC "
                          "was not negotiated", qi, i);
    /* §2.6.5.3.1: never INDIRECT and NEXT together (QEMU ignores the NEXT). */
    if (d->flags & VIRTQ_DESC_F_NEXT)
        machine_violation(m, "split.indirect.not-with-next", (int)qi,
                          "queue %u: descriptor %u has both INDIRECT and NEXT (next = %u)", qi, i,
                          d->next);
}

enum sr_result ind_walk(struct machine *m, uint32_t qi, struct sr_chain *c, uint32_t head,
                        const struct sr_desc *d)
{
    uint32_t n = m->dev.q[qi].live_num;
    ind_check_ring_desc(m, qi, head, d);
    /* §2.6.5.3: len is the table's size in bytes, 16 per entry. */
    if (d->len == 0 || d->len % 16) { /* QEMU: "Invalid size for indirect buffer table" */
        machine_break_device(m, "split.indirect.table-size", (int)qi,
                             "queue %u: descriptor %u names an indirect table of %u bytes, not a "
                             "non-zero multiple of 16", qi, head, d->len);
        return SR_BROKEN;
    }
    if (pa_check_virtual(m, qi, "an indirect table address", d->addr, d->len))
        return SR_BROKEN;
    if (!gm_contains(&m->mem, d->addr, d->len)) { /* QEMU: "Cannot map indirect buffer" */
        machine_break_device(m, "split.desc.addr-in-ram", (int)qi,
                             "queue %u: descriptor %u names an indirect table at 0x%llx (+%u "
                             "bytes), outside guest RAM [0x%llx, 0x%llx)", qi, head,
                             (unsigned long long)d->addr, d->len, (unsigned long long)m->mem.base,
                             (unsigned long long)(m->mem.base + m->mem.size));
        return SR_BROKEN;
    }
    c->indirect = true;
    c->table = d->addr;
    c->table_len = d->len;
    uint32_t max = d->len / 16, k = 0, count = 0;
    bool too_long = false;
    struct sr_desc e;
    sr_read_desc(m, d->addr, k, &e);
    for (;;) {
        /* §2.6.5.3.1: nested tables are forbidden; QEMU reads the entry as a plain buffer. */
        if (e.flags & VIRTQ_DESC_F_INDIRECT)
            machine_violation(m, "split.indirect.no-nesting", (int)qi,
                              "queue %u: entry %u of the indirect table at 0x%llx has INDIRECT",
                              qi, k, (unsigned long long)d->addr);
        in_order_check_table_next(m, qi, k, &e);
        if (sr_take_desc(m, qi, c, k, &e, "indirect entry") != SR_OK)
            return SR_BROKEN;
        if (++count > max) { /* QEMU: "Looped descriptor" (max = the table's entries) */
            machine_break_device(m, "split.desc.no-loops", (int)qi,
                                 "queue %u: the chain in the indirect table at 0x%llx has more "
                                 "than its %u entries: it loops", qi, (unsigned long long)d->addr,
                                 max);
            return SR_BROKEN;
        }
        /* §2.6.5.3.1: a chain is never longer than the queue, in a table too (QEMU allows up
         * to 1024 buffers whatever the queue size). */
        if (count > n && !too_long) {
            too_long = true;
            machine_violation(m, "split.desc.chain-len-le-queue-size", (int)qi,
                              "queue %u: the chain in the indirect table at 0x%llx has more than "
                              "%u descriptors, the queue size", qi, (unsigned long long)d->addr, n);
        }
        if (!(e.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (e.next >= max) { /* QEMU: "Desc next is %u" (against the table's entries) */
            machine_break_device(m, "split.desc.next-in-range", (int)qi,
                                 "queue %u: entry %u of the indirect table at 0x%llx links to %u, "
                                 "but the table has %u entries", qi, k,
                                 (unsigned long long)d->addr, e.next, max);
            return SR_BROKEN;
        }
        k = e.next;
        sr_read_desc(m, d->addr, k, &e);
    }
    return SR_OK;
}

const char *ind_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index)
{
    const struct dev_queue *q = &m->dev.q[qi];
    if (!q->live)
        return NULL;
    for (uint32_t i = 0; i < q->live_num; i++) {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint64_t da = q->desc + 16ull * i;
        if (!gm_read16(&m->mem, da + 12, &flags) || !(flags & VIRTQ_DESC_F_INDIRECT))
            continue;
        gm_read64(&m->mem, da, &addr);
        gm_read32(&m->mem, da + 8, &len);
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
