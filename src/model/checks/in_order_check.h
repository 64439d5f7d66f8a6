/* in_order_check.h — descriptor placement under VIRTIO_F_IN_ORDER (§2.6.5.2, §2.6.5.3.1).
 *
 * With IN_ORDER negotiated a driver lays chains out sequentially: a ring descriptor x with NEXT
 * links to x + 1 (0 after the last one), an indirect table's entry k with NEXT links to k + 1.
 * QEMU 7.2 offers no IN_ORDER on virtio-gpu, so there is no QEMU reaction to copy: a violation
 * is recorded and the chain is followed as linked. Without IN_ORDER nothing is checked.
 */
#ifndef IN_ORDER_CHECK_H
#define IN_ORDER_CHECK_H

#include <stdint.h>

#include "model/rings/split_ring.h"
#include "spec/virtio_spec.h"

struct machine;

/* Descriptor x of the ring, read in a chain: with IN_ORDER, its NEXT links to x + 1 (inline:
 * the last of a chain has no NEXT). */
void in_order_check_linked(struct machine *m, uint32_t qi, uint32_t x, const struct sr_desc *d);
static inline void in_order_check_ring_next(struct machine *m, uint32_t qi, uint32_t x,
                                            const struct sr_desc *d)
{
    if (d->flags & VIRTQ_DESC_F_NEXT)
        in_order_check_linked(m, qi, x, d);
}
void in_order_check_table_next(struct machine *m, uint32_t qi, uint32_t k, const struct sr_desc *d);

#endif /* IN_ORDER_CHECK_H */
