/* virtio_mmio.h — the virtio-mmio transport, driver side (§4.2), version 1 (legacy, §4.2.4) and
 * version 2. Handles probing, the status sequence of §3.1.1, feature negotiation, queue setup,
 * notification, interrupt acknowledgement and device-config reads. All access via virtio_hal.h.
 * vmmio_probe makes it a struct virtio_transport (`d->t`, virtio_transport.h): device drivers
 * use it only through that interface; the vmmio_* functions stay for tests and tools that drive
 * the registers themselves.
 */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"

struct vmmio {
    struct virtio_transport t; /* version: 1 = legacy, 2 = modern; device_id, features, ... */
    uintptr_t base;
    uint8_t status;            /* what the driver last wrote */
};

/* §4.2.3.1.1: read MagicValue, Version and DeviceID, in that order; VIRTIO_ERR_NO_DEVICE for a
 * bad magic, an unknown version or device id 0 (the driver then touches nothing else). On
 * VIRTIO_OK, d->t is a transport (ops, device_id, version, legacy, timeout_ns filled). */
int vmmio_probe(struct vmmio *d, uintptr_t base, uint64_t timeout_ns);

/* §3.1.1 steps 1–3: reset (and wait, bounded by timeout_ns, for Status to read back 0 —
 * VIRTIO_ERR_TIMEOUT otherwise, §4.2.2.1), ACKNOWLEDGE, DRIVER. */
int vmmio_begin_init(struct vmmio *d);

/* §3.1.1 steps 4–6: read the offered features, accept `wanted` ∩ offered (VERSION_1 is required
 * on version 2), and on version 2 set FEATURES_OK and read it back. */
int vmmio_negotiate(struct vmmio *d, uint64_t wanted);

/* §4.2.3.2 (version 2) / §4.2.4 (version 1): create `vq` with `num` entries in the layout the
 * transport needs and tell the device where it is. For version 1 `kind` is ignored and the
 * legacy layout with `legacy_align` is used (written to QueueAlign). */
int vmmio_setup_queue(struct vmmio *d, struct virtq *vq, uint16_t index, uint16_t num,
                      enum vq_layout_kind kind, uint32_t legacy_align);

/* §3.1.1 step 8. */
int vmmio_driver_ok(struct vmmio *d);

/* §3.1.1: on an unrecoverable error, set FAILED. */
void vmmio_fail(struct vmmio *d);

/* §4.2.3.3: write the queue index to QueueNotify. */
void vmmio_notify(struct vmmio *d, uint16_t queue);
/* §4.2.3.3: notify `queue`; with VIRTIO_F_NOTIFICATION_DATA negotiated the value carries `next`
 * (vq_notify_next) in its high half, else it is the queue index alone. */
void vmmio_notify_next(struct vmmio *d, uint16_t queue, uint16_t next);

/* VirtIO 1.2 §4.2.2 / §2.6.1 (VIRTIO_F_RING_RESET negotiated, version 2): reset queue `index` —
 * write 1 to QueueReset and wait, bounded by timeout_ns, until it reads 0 (1.2 §4.2.2.2).
 * VIRTIO_ERR_INVALID without the feature, VIRTIO_ERR_TIMEOUT if it never reads 0. The queue is
 * then not ready; re-enable it with vmmio_setup_queue (1.2 §2.6.1.2.2: as at discovery). */
int vmmio_reset_queue(struct vmmio *d, uint16_t index);

/* §4.2.3.4: read InterruptStatus and acknowledge the bits this driver handles; returns the bits. */
uint32_t vmmio_ack_interrupt(struct vmmio *d);

/* One read of Status, judged: VIRTIO_ERR_NEEDS_RESET (§2.1.2, version 2), VIRTIO_ERR_DEVICE_RESET
 * when the driver had set DRIVER_OK and Status no longer shows it (the device reset itself),
 * else VIRTIO_OK. */
int vmmio_check_alive(struct vmmio *d);

/* 32-bit read of device config at `offset` (§4.2.2 config space starts at 0x100), with the
 * §2.4.1 generation protocol on version 2: up to VMMIO_CONFIG_TRIES rounds of ConfigGeneration,
 * field, ConfigGeneration. The checked form returns VIRTIO_ERR_BAD_CONFIG when the generation
 * never read the same twice around the field (*value then holds the last, untrusted read). */
#define VMMIO_CONFIG_TRIES 16
int vmmio_config_read32_checked(struct vmmio *d, uint32_t offset, uint32_t *value);
uint32_t vmmio_config_read32(struct vmmio *d, uint32_t offset);
/* 32-bit write of device config at `offset` (a device-defined writable field). */
void vmmio_config_write32(struct vmmio *d, uint32_t offset, uint32_t value);

#endif /* VIRTIO_MMIO_H */
