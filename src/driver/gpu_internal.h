/* gpu_internal.h — what the virtio-gpu driver's files share (not part of the driver's API). */
#ifndef GPU_INTERNAL_H
#define GPU_INTERNAL_H

#include "driver/virtio_gpu.h"

void vgpu_zero(void *p, uint32_t n);
void vgpu_copy(void *dst, const void *src, uint32_t n);
void vgpu_hdr_init(struct virtio_gpu_ctrl_hdr *h, uint32_t type);
/* The slot the next command is built in: slot 0 outside a batch, a free one inside (NULL when
 * all are in flight). */
struct vgpu_slot *vgpu_slot_get(struct vgpu *g);
/* Why no slot was free: VIRTIO_ERR_BROKEN after a timeout or a latched error, else
 * VIRTIO_ERR_NOSPC. */
int vgpu_no_slot(const struct vgpu *g);
/* Send the command in s->req (req_len bytes) expecting `expect_type` in a response of resp_len
 * bytes. Outside a batch: notify, wait, return the command's status. Inside: queue only. */
int vgpu_submit(struct vgpu *g, struct vgpu_slot *s, uint32_t req_len, uint32_t resp_len,
                uint32_t expect_type);
/* The same with the request as n_out device-readable pieces out[] (inside s->req). */
int vgpu_submit_parts(struct vgpu *g, struct vgpu_slot *s, const struct vq_buf *out,
                      unsigned n_out, uint32_t resp_len, uint32_t expect_type);
/* Publish what was added to vq and notify queue `queue` unless the device suppressed it; in
 * interrupt mode, first ask for the interrupt the driver is about to sleep on. */
void vgpu_kick(struct vgpu *g, struct virtq *vq, uint32_t queue);
/* Bounded wait for an element of `vq` (back-off polling, or interrupt then ring in interrupt
 * mode); VIRTIO_ERR_TIMEOUT at the deadline. */
int vgpu_wait_used(struct vgpu *g, struct virtq *vq, void **token, uint32_t *len);

/* Latch the driver broken with `status` (kept in broken_status); returns status. */
int vgpu_latch(struct vgpu *g, int status);

#endif /* GPU_INTERNAL_H */
