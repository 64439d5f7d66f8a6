/* indirect_checks.c — see indirect_checks.h. */
#include "model/checks/indirect_checks.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

void indirect_check_indirect_desc(struct machine *m, uint32_t qi, uint32_t i,
                                  const struct sr_desc *d)
{
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

void indirect_check_table_entry(struct machine *m, uint32_t qi, uint64_t table, uint32_t k,
                                const struct sr_desc *e)
{
    /* §2.6.5.3.1: nested tables are forbidden; QEMU reads the entry as a plain buffer. */
    if (e->flags & VIRTQ_DESC_F_INDIRECT)
        machine_violation(m, "split.indirect.no-nesting", (int)qi,
                          "queue %u: entry %u of the indirect table at 0x%llx has INDIRECT", qi, k,
                          (unsigned long long)table);
}
