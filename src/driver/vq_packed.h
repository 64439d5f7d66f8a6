/* vq_packed.h — the packed ring (§2.7) behind virtqueue.h's API: virtqueue.c calls these when
 * vq->kind is VQ_LAYOUT_PACKED_RING; each has the contract of the vq_* function of its name
 * (virtqueue.h). Internal to the driver. */
#ifndef VQ_PACKED_H
#define VQ_PACKED_H

#include "driver/virtqueue.h"

/* Allocate and zero the descriptor ring (16-byte aligned) and the two event suppression
 * structures (4-byte aligned), wrap counters 1 (§2.7.1). vq->num, index, kind, state set. */
int vqp_create(struct virtq *vq);
int vqp_add(struct virtq *vq, const struct vq_buf *out, unsigned n_out, const struct vq_buf *in,
            unsigned n_in, void *token);
bool vqp_kick_prepare(struct virtq *vq);
int vqp_get_used(struct virtq *vq, void **token, uint32_t *len);
bool vqp_enable_interrupts(struct virtq *vq);
bool vqp_has_used(struct virtq *vq);
/* EVENT_IDX on: the Driver Area asks for interrupts by offset (flags DESC); off: ENABLE. */
void vqp_set_event_idx(struct virtq *vq, bool on);

#endif /* VQ_PACKED_H */
