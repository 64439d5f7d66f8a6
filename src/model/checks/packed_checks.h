/* packed_checks.h — the packed ring's descriptor rules that QEMU 7.2 lets pass (§2.7.19):
 * INDIRECT only with VIRTIO_RING_F_INDIRECT_DESC, never in a list linked by NEXT, and no flag but
 * WRITE inside an indirect table. QEMU follows the table regardless (a NEXT beside INDIRECT is
 * ignored: the device then takes the next ring descriptor as a new list), maps an INDIRECT
 * further down a list as a plain buffer, and ignores reserved flags in tables; the model does
 * the same (rings/packed_walk.c) and records the violation. Run from the ring's `descriptor`
 * hook (machine_rings.c) for a packed queue, where split queues run indirect_checks.h.
 */
#ifndef PACKED_CHECKS_H
#define PACKED_CHECKS_H

#include <stdint.h>

#include "model/rings/ring_hooks.h"

struct machine;

void packed_check_desc(struct machine *m, uint32_t qi, enum ring_desc_at at, uint64_t table,
                       uint32_t i, const struct sr_desc *d);

#endif /* PACKED_CHECKS_H */
