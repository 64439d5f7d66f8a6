/* indirect_checks.h — the rules on INDIRECT descriptors that QEMU 7.2 lets pass (§2.6.5.3.1):
 * INDIRECT only with VIRTIO_RING_F_INDIRECT_DESC negotiated, never together with NEXT, never
 * inside an indirect table. QEMU follows the table regardless, ignores the NEXT and reads a
 * nested INDIRECT entry as a plain buffer; the model does the same (rings/indirect.c) and records
 * the violation. Run from the ring's `descriptor` hook (machine_rings.c).
 */
#ifndef INDIRECT_CHECKS_H
#define INDIRECT_CHECKS_H

#include <stdint.h>

#include "model/rings/ring.h"
#include "spec/virtio_spec.h"

struct machine;

/* A descriptor of the ring (a chain's, or a head naming a table): the rules of one with INDIRECT
 * (inline: most have not). */
void indirect_check_indirect_desc(struct machine *m, uint32_t qi, uint32_t i,
                                  const struct sr_desc *d);
static inline void indirect_check_ring_desc(struct machine *m, uint32_t qi, uint32_t i,
                                            const struct sr_desc *d)
{
    if (d->flags & VIRTQ_DESC_F_INDIRECT)
        indirect_check_indirect_desc(m, qi, i, d);
}
/* Entry k of the indirect table at `table`. */
void indirect_check_table_entry(struct machine *m, uint32_t qi, uint64_t table, uint32_t k,
                                const struct sr_desc *e);

#endif /* INDIRECT_CHECKS_H */
