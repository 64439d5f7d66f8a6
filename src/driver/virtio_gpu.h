/* virtio_gpu.h — virtio-gpu 2D driver (§5.7) over virtio-mmio.
 *
 * One control request in flight at a time: each command is built in a DMA request buffer, sent as
 * a two-descriptor chain (readable command, writable response), and waited for with a bounded
 * poll of the used ring. A command that gets no answer before the deadline returns
 * VIRTIO_ERR_TIMEOUT; its buffers stay owned by the device, so the driver refuses further
 * commands (VIRTIO_ERR_BROKEN) until it is initialised again.
 */
#ifndef VIRTIO_GPU_H
#define VIRTIO_GPU_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"
#include "virtqueue.h"

struct vgpu_config {
    uintptr_t mmio_base;
    uint16_t queue_size;        /* control queue entries (≤ QueueNumMax) */
    enum vq_layout_kind layout; /* modern devices: SEPARATE or PACKED */
    uint32_t legacy_align;      /* legacy devices: QueueAlign (a power of two, usually 4096) */
    uint64_t timeout_ns;        /* per command and per register wait */
    uint64_t features;          /* optional features to accept when offered (§2.2) */
};

struct vgpu {
    struct vmmio mmio;
    struct virtq ctrl;
    uint64_t timeout_ns;
    void *req;                  /* request buffer (device-readable) */
    void *resp;                 /* response buffer (device-writable) */
    uint64_t req_phys, resp_phys;
    uint32_t num_scanouts;
    bool stalled;               /* a command timed out: its buffers still belong to the device */
    /* About the last command, for callers that report: */
    uint32_t last_resp_type;    /* response type the device wrote (0 if none) */
    uint32_t last_used_len;     /* used.len of the answer */
    uint64_t last_wait_ns;      /* how long the driver waited */
};

#define VGPU_REQ_BYTES 4096u
#define VGPU_RESP_BYTES 4096u

/* Probe, reset, negotiate, set up the control queue, DRIVER_OK, read num_scanouts. */
int vgpu_init(struct vgpu *g, const struct vgpu_config *cfg);

int vgpu_get_display_info(struct vgpu *g, struct virtio_gpu_resp_display_info *out);
int vgpu_resource_create_2d(struct vgpu *g, uint32_t id, uint32_t format, uint32_t width,
                            uint32_t height);
int vgpu_attach_backing(struct vgpu *g, uint32_t id, const struct virtio_gpu_mem_entry *entries,
                        uint32_t n);
int vgpu_set_scanout(struct vgpu *g, uint32_t scanout, uint32_t id, struct virtio_gpu_rect r);
int vgpu_transfer_to_host_2d(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r,
                             uint64_t offset);
int vgpu_resource_flush(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r);

#endif /* VIRTIO_GPU_H */
