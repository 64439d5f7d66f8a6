/* virtio_rng.h — an entropy device driver (VirtIO 1.1 §5.4) over any transport (virtio_transport.h): freestanding C11,
 * every platform access through virtio_hal.h, errors as values (virtio_status.h).
 *
 * One request at a time: vrng_read posts one device-writable buffer (§5.4.6.1: never a
 * device-readable one) and waits, bounded, for the device to use it; the number of random bytes
 * is the used length (§5.4.6.1: the driver examines it), at least 1 and at most the buffer
 * (virtqueue.c refuses more). vrng_submit posts buffers as given, readable ones included: a
 * pass-through for tools that must send what a buggy driver sends.
 */
#ifndef VIRTIO_RNG_DRIVER_H
#define VIRTIO_RNG_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"
#include "spec/virtio_rng.h"

struct vrng_config {
    struct virtio_transport *transport; /* probed by the caller (vpci_probe, ...), or NULL: */
    uintptr_t mmio_base;                /* virtio-mmio probed here */
    uint16_t queue_size;
    enum vq_layout_kind layout;
    uint32_t legacy_align;
    uint64_t timeout_ns;        /* 0: 5 s */
    uint64_t features;          /* ring features wanted: INDIRECT_DESC, EVENT_IDX */
};

struct vrng {
    struct virtio_transport *t; /* the transport every access goes through */
    struct vmmio mmio;          /* its storage when the config names no transport */
    struct virtq vq;
    uint64_t timeout_ns;
    uint32_t last_len;          /* random bytes of the last answer */
    bool broken;
    int broken_status;
};

/* §3.1.1 on the device at cfg->mmio_base (VIRTIO_ERR_WRONG_DEVICE: not an entropy device). */
int vrng_init(struct vrng *r, const struct vrng_config *cfg);

/* Random bytes into buf (DMA memory at phys, len > 0): *got says how many (1..len).
 * VIRTIO_ERR_RESPONSE when the device used the buffer with no byte in it. */
int vrng_read(struct vrng *r, uint64_t phys, uint32_t len, uint32_t *got);

/* One request of `n` buffers exactly as given (readable ones too); waits like vrng_read. */
int vrng_submit(struct vrng *r, const struct vq_buf *bufs, const bool *writable, uint32_t n,
                uint32_t *got);

#endif /* VIRTIO_RNG_DRIVER_H */
