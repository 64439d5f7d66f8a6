/* gpu_queue_reset.c — reset one of the gpu's queues and enable it again (VirtIO 1.2 §2.6.1,
 * VIRTIO_F_RING_RESET): see vgpu_reset_queue in virtio_gpu.h. */
#include "driver/gpu_internal.h"

int vgpu_reset_queue(struct vgpu *g, const struct vgpu_config *cfg, uint32_t queue)
{
    if (!g || !cfg || cfg->queue_size < 2 ||
        (queue != VIRTIO_GPU_QUEUE_CONTROL && (queue != VIRTIO_GPU_QUEUE_CURSOR || !g->has_cursor)))
        return VIRTIO_ERR_INVALID;
    if (vgpu_is_broken(g))
        return VIRTIO_ERR_BROKEN;
    struct virtq *vq = queue == VIRTIO_GPU_QUEUE_CONTROL ? &g->ctrl : &g->cursorq;
    /* 1.2 §4.2.2.2: the reset is complete only once QueueReset reads back 0 */
    int rc = vtr_reset_queue(g->t, (uint16_t)queue);
    if (rc != VIRTIO_OK)
        return rc;
    /* 1.2 §2.6.1.1.2: reset, the queue's memory is the driver's again; 1.2 §2.6.1.2.2: enable it
     * as at discovery — new rings, every area written, the enable last (the transport's setup_queue) */
    vq_destroy(vq);
    rc = vtr_setup_queue(g->t, vq, (uint16_t)queue, cfg->queue_size, cfg->layout,
                         cfg->legacy_align);
    uint64_t f = g->t->features;
    if (rc == VIRTIO_OK && queue == VIRTIO_GPU_QUEUE_CONTROL &&
        (f & (1ull << VIRTIO_RING_F_INDIRECT_DESC)))
        rc = vq_enable_indirect(vq);
    if (rc == VIRTIO_OK && (f & (1ull << VIRTIO_F_IN_ORDER)))
        rc = vq_set_in_order(vq);
    if (rc != VIRTIO_OK)
        return rc;
    vq_set_event_idx(vq, (f >> VIRTIO_RING_F_EVENT_IDX) & 1u);
    vq_set_used_len_policy(vq, cfg->used_len);
    return VIRTIO_OK;
}
