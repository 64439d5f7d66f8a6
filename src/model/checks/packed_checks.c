/* packed_checks.c — see packed_checks.h. Rule ids: spec/rules.yaml, area packed. */
#include "model/checks/packed_checks.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

/* The flags a descriptor may carry besides AVAIL and USED: NEXT, WRITE, INDIRECT (§2.7.13). */
static void check_head(struct machine *m, uint32_t qi, uint32_t i, const struct sr_desc *d)
{
    /* §2.7.19: only with VIRTIO_RING_F_INDIRECT_DESC (QEMU follows the table regardless). */
    if (!(m->dev.guest_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)))
        machine_violation(m, "packed.indirect.requires-feature", (int)qi,
                          "queue %u: descriptor %u (buffer id %u) has INDIRECT, but "
                          "VIRTIO_RING_F_INDIRECT_DESC was not negotiated", qi, i, d->next);
    /* §2.7.19: not in a NEXT list; QEMU ignores the NEXT and takes the next descriptor as the
     * head of another list. */
    if (d->flags & VIRTQ_DESC_F_NEXT)
        machine_violation(m, "packed.indirect.not-in-next-list", (int)qi,
                          "queue %u: descriptor %u (buffer id %u) has both INDIRECT and NEXT "
                          "(flags 0x%04x)", qi, i, d->next, d->flags);
}

void packed_check_desc(struct machine *m, uint32_t qi, enum ring_desc_at at, uint64_t table,
                       uint32_t i, const struct sr_desc *d)
{
    switch (at) {
    case RING_DESC_INDIRECT_HEAD:
        check_head(m, qi, i, d);
        break;
    case RING_DESC_CHAIN: /* a head with INDIRECT is RING_DESC_INDIRECT_HEAD: this one is
                           * further down a NEXT list */
        if (d->flags & VIRTQ_DESC_F_INDIRECT)
            machine_violation(m, "packed.indirect.not-in-next-list", (int)qi,
                              "queue %u: descriptor %u has INDIRECT inside a list linked by NEXT "
                              "(flags 0x%04x); the device reads it as a plain buffer", qi, i,
                              d->flags);
        break;
    case RING_DESC_TABLE: /* §2.7.19: WRITE is the only flag of a table entry */
        if (d->flags & ~VIRTQ_DESC_F_WRITE)
            machine_violation(m, "packed.indirect.only-write-flag", (int)qi,
                              "queue %u: entry %u of the indirect table at 0x%llx has flags "
                              "0x%04x: only WRITE (0x2) may be set", qi, i,
                              (unsigned long long)table, d->flags);
        break;
    }
}
