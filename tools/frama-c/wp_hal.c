/* wp_hal.c — the HAL's contract for Frama-C WP (tools/frama-c/run_wp.py), on the declarations of
 * src/driver/virtio_hal.h (Frama-C merges a contract given on a second declaration).
 *
 * A load of ring memory is any value of its type (the device may have written anything); a store
 * or a barrier changes nothing the driver reads back: ring memory is shared with the device and
 * the driver never trusts it (it keeps private copies, struct vq_desc_state), and it is another
 * allocation than the driver's private state (VHAL_DMA_RING vs VHAL_DMA_PRIVATE), so no property
 * proven about the private state depends on what a store writes. Allocation is out of scope: the
 * functions proven here take a queue already created (predicate vq_mem, driver/virtqueue.h).
 */
#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "driver/vq_indirect.h"
#include "driver/vq_packed.h"

/*@ assigns \nothing; */
uint16_t vhal_ring_load16(const volatile uint16_t *p);
/*@ assigns \nothing; */
uint32_t vhal_ring_load32(const volatile uint32_t *p);
/*@ assigns \nothing; */
void vhal_ring_store16(volatile uint16_t *p, uint16_t v);
/*@ assigns \nothing; */
void vhal_ring_store32(volatile uint32_t *p, uint32_t v);
/*@ assigns \nothing; */
void vhal_ring_store64(volatile uint64_t *p, uint64_t v);
/*@ assigns \nothing; */
void vhal_mb(void);
/*@ assigns \nothing; */
void vhal_rmb(void);
/*@ assigns \nothing; */
void vhal_wmb(void);

/* The packed ring's entry points (vq_packed.c) are outside these proofs: the split ring's
 * behaviours assume kind != VQ_LAYOUT_PACKED_RING, so the calls are never reached there. */
/*@ assigns *vq, vq->state[0 .. vq->num - 1], *token, *len; */
int vqp_get_used(struct virtq *vq, void **token, uint32_t *len);
