/* virtio_transport.h — the driver's transport interface: what a device driver (gpu, blk, ...)
 * needs of a transport, whatever the transport is (virtio-mmio §4.2, virtio-pci §4.1).
 *
 * A transport is probed by its own constructor (vmmio_probe for virtio-mmio, vpci_probe for
 * virtio-pci), which fills the common part below and points `ops` at its table. From then on a
 * device driver holds only a `struct virtio_transport *` and calls the vtr_* wrappers; it never
 * names a transport's registers.
 *
 * Contract of the operations (all return enum virtio_status values unless stated):
 * - begin_init: §3.1.1 steps 1–3 — reset (waiting, bounded by timeout_ns, for the device status
 *   to read back 0), ACKNOWLEDGE, DRIVER.
 * - negotiate: §3.1.1 steps 4–6 — read the offered features, accept `wanted` ∩ offered (VERSION_1
 *   added and required on a modern device), FEATURES_OK and its read-back (modern only).
 *   Fills device_features and features.
 * - setup_queue: create `vq` with `num` entries (≤ the device's maximum) in the layout the
 *   transport needs (a legacy device forces VQ_LAYOUT_LEGACY with `legacy_align`) and tell the
 *   device where it is; the queue is live when it returns VIRTIO_OK.
 * - driver_ok: §3.1.1 step 8. set_failed: set FAILED (§3.1.1).
 * - notify: §2.6.13 — tell the device queue `queue` has new buffers.
 * - ack_interrupt: read the interrupt status, acknowledge what the driver handles; returns the
 *   VIRTIO_ISR_* bits (a transport that needs no acknowledgement, e.g. MSI-X, returns what it
 *   can tell, possibly 0).
 * - check_alive: one status read, judged: VIRTIO_ERR_NEEDS_RESET (§2.1.2, modern),
 *   VIRTIO_ERR_DEVICE_RESET (DRIVER_OK set by the driver, gone from the device), else VIRTIO_OK.
 * - config_read32: 32-bit read of device-specific configuration at `offset`, inside the §2.4.1
 *   generation protocol on a modern device (VIRTIO_ERR_BAD_CONFIG when it never settles; *value
 *   then holds the last, untrusted read). config_write32: 32-bit write of a writable field.
 * - notify_next (optional, NULL: notify): a notification that also carries the available
 *   ring's next offset when VIRTIO_F_NOTIFICATION_DATA was negotiated (1.2 §2.9).
 * - reset_queue (optional, NULL: VIRTIO_ERR_INVALID): reset one queue (VIRTIO_F_RING_RESET,
 *   1.2 §2.6.1) and wait, bounded, for it to complete; the caller sets it up again.
 */
#ifndef VIRTIO_TRANSPORT_H
#define VIRTIO_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_status.h"
#include "driver/virtqueue.h"

/* Interrupt status bits, the same on every transport (§4.1.4.5 ISR, §4.2.2 InterruptStatus). */
#define VIRTIO_ISR_QUEUE 0x1u  /* a used buffer notification */
#define VIRTIO_ISR_CONFIG 0x2u /* a configuration change notification */

struct virtio_transport;

struct virtio_transport_ops {
    const char *name; /* "virtio-mmio", "virtio-pci", ... */
    int (*begin_init)(struct virtio_transport *t);
    int (*negotiate)(struct virtio_transport *t, uint64_t wanted);
    int (*setup_queue)(struct virtio_transport *t, struct virtq *vq, uint16_t index, uint16_t num,
                       enum vq_layout_kind kind, uint32_t legacy_align);
    int (*driver_ok)(struct virtio_transport *t);
    void (*set_failed)(struct virtio_transport *t);
    void (*notify)(struct virtio_transport *t, uint16_t queue);
    uint32_t (*ack_interrupt)(struct virtio_transport *t);
    int (*check_alive)(struct virtio_transport *t);
    int (*config_read32)(struct virtio_transport *t, uint32_t offset, uint32_t *value);
    void (*config_write32)(struct virtio_transport *t, uint32_t offset, uint32_t value);
    void (*notify_next)(struct virtio_transport *t, uint16_t queue, uint16_t next);
    int (*reset_queue)(struct virtio_transport *t, uint16_t index);
};

/* The common part every transport fills at probe time and keeps current. */
struct virtio_transport {
    const struct virtio_transport_ops *ops;
    uint32_t device_id;       /* §5: 16 = gpu, ... */
    bool legacy;              /* a legacy (pre-1.0) interface: no FEATURES_OK, legacy layout */
    uint32_t version;         /* the transport's own revision (virtio-mmio: 1 or 2; pci: 1) */
    uint64_t device_features; /* offered, after negotiate */
    uint64_t features;        /* negotiated */
    uint64_t timeout_ns;      /* bound on every wait for a register to read back */
};

static inline int vtr_begin_init(struct virtio_transport *t) { return t->ops->begin_init(t); }
static inline int vtr_negotiate(struct virtio_transport *t, uint64_t wanted)
{
    return t->ops->negotiate(t, wanted);
}
static inline int vtr_setup_queue(struct virtio_transport *t, struct virtq *vq, uint16_t index,
                                  uint16_t num, enum vq_layout_kind kind, uint32_t legacy_align)
{
    return t->ops->setup_queue(t, vq, index, num, kind, legacy_align);
}
static inline int vtr_driver_ok(struct virtio_transport *t) { return t->ops->driver_ok(t); }
static inline void vtr_fail(struct virtio_transport *t) { t->ops->set_failed(t); }
static inline void vtr_notify(struct virtio_transport *t, uint16_t queue)
{
    t->ops->notify(t, queue);
}
static inline uint32_t vtr_ack_interrupt(struct virtio_transport *t)
{
    return t->ops->ack_interrupt(t);
}
static inline int vtr_check_alive(struct virtio_transport *t) { return t->ops->check_alive(t); }
static inline int vtr_config_read32(struct virtio_transport *t, uint32_t offset, uint32_t *value)
{
    return t->ops->config_read32(t, offset, value);
}
static inline void vtr_config_write32(struct virtio_transport *t, uint32_t offset, uint32_t value)
{
    t->ops->config_write32(t, offset, value);
}
static inline void vtr_notify_next(struct virtio_transport *t, uint16_t queue, uint16_t next)
{
    if (t->ops->notify_next)
        t->ops->notify_next(t, queue, next);
    else
        t->ops->notify(t, queue);
}
static inline int vtr_reset_queue(struct virtio_transport *t, uint16_t index)
{
    return t->ops->reset_queue ? t->ops->reset_queue(t, index) : VIRTIO_ERR_INVALID;
}
static inline bool vtr_has_feature(const struct virtio_transport *t, unsigned bit)
{
    return (t->features >> bit) & 1u;
}

#endif /* VIRTIO_TRANSPORT_H */
