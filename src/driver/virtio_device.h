/* virtio_device.h — what every device driver of this directory does the same way, whatever its
 * device type: find its transport (the one the caller probed, or virtio-mmio probed at a base
 * address), and wait, bounded, for the device to use a buffer. Freestanding, HAL only, errors as
 * values, like the drivers that use it (virtio_blk.h, virtio_rng.h, virtio_input.h).
 */
#ifndef VIRTIO_DEVICE_H
#define VIRTIO_DEVICE_H

#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"

/* *t = `given` when the caller probed a transport, else virtio-mmio probed at `mmio_base` into
 * `mmio` (vmmio_probe's status on failure). Then VIRTIO_ERR_WRONG_DEVICE unless the device is
 * `device_id` (§5): the driver leaves a device not its own untouched. */
int vdev_attach(struct virtio_transport *given, struct vmmio *mmio, uintptr_t mmio_base,
                uint64_t timeout_ns, uint32_t device_id, struct virtio_transport **t);

/* The next used element of vq, waiting at most timeout_ns (polling, backing off from 1 µs to
 * 1 ms); then the interrupt is acknowledged (§4.2.3.4) and a read barrier orders what the device
 * wrote before used.idx (pairs with its write barrier). At the deadline one status read says why
 * the device is silent: VIRTIO_ERR_NEEDS_RESET / VIRTIO_ERR_DEVICE_RESET (§2.1.2), else
 * VIRTIO_ERR_TIMEOUT. Otherwise vq_get_used's status. */
int vdev_wait_used(struct virtio_transport *t, struct virtq *vq, uint64_t timeout_ns,
                   void **token, uint32_t *len);

#endif /* VIRTIO_DEVICE_H */
