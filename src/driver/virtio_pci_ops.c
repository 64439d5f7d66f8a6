/* virtio_pci_ops.c — the virtio-pci transport operations (§4.1.4.3 common configuration, §4.1.4.4
 * notifications, §4.1.4.5 ISR, §4.1.4.6 device configuration, §4.1.5 initialisation). Every field
 * is accessed at its own width (§4.1.3.1). See virtio_pci.h. */
#include <stddef.h>

#include "driver/virtio_hal.h"
#include "driver/virtio_pci.h"
#include "spec/virtio_pci.h"
#include "spec/virtio_spec.h"

_Static_assert(offsetof(struct vpci, t) == 0, "struct vpci begins with its transport");

static struct vpci *of(struct virtio_transport *t) { return (struct vpci *)t; }

static uintptr_t cc(const struct vpci *d, uint32_t field) { return d->common.addr + field; }
static uint32_t rd32(const struct vpci *d, uint32_t f) { return vhal_mmio_read32(cc(d, f)); }
static uint16_t rd16(const struct vpci *d, uint32_t f) { return vhal_mmio_read16(cc(d, f)); }
static uint8_t rd8(const struct vpci *d, uint32_t f) { return vhal_mmio_read8(cc(d, f)); }
static void wr32(const struct vpci *d, uint32_t f, uint32_t v) { vhal_mmio_write32(cc(d, f), v); }
static void wr16(const struct vpci *d, uint32_t f, uint16_t v) { vhal_mmio_write16(cc(d, f), v); }
static void wr8(const struct vpci *d, uint32_t f, uint8_t v) { vhal_mmio_write8(cc(d, f), v); }

static void set_status(struct vpci *d, uint8_t bits)
{
    d->status = (uint8_t)(d->status | bits); /* §2.1.1: never clear a bit the driver set */
    wr8(d, VPCI_COMMON(device_status), d->status);
}

static int begin_init(struct virtio_transport *t)
{
    struct vpci *d = of(t);
    /* §3.1.1 step 1; §4.1.4.3.2: after writing 0, wait for device_status to read 0. */
    d->status = 0;
    wr8(d, VPCI_COMMON(device_status), 0);
    uint64_t deadline = vhal_now_ns() + t->timeout_ns;
    uint64_t delay = 1000;
    while (rd8(d, VPCI_COMMON(device_status)) != 0) {
        if (vhal_now_ns() >= deadline)
            return VIRTIO_ERR_TIMEOUT;
        vhal_delay_ns(delay);
        if (delay < 1000000)
            delay *= 2;
    }
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE); /* step 2 */
    set_status(d, VIRTIO_STATUS_DRIVER);      /* step 3 */
    return VIRTIO_OK;
}

static void set_failed(struct virtio_transport *t) { set_status(of(t), VIRTIO_STATUS_FAILED); }

static int negotiate(struct virtio_transport *t, uint64_t wanted)
{
    struct vpci *d = of(t);
    /* Step 4: both halves, each selected before it is read (§4.1.4.3). */
    wr32(d, VPCI_COMMON(device_feature_select), 0);
    uint64_t offered = rd32(d, VPCI_COMMON(device_feature));
    wr32(d, VPCI_COMMON(device_feature_select), 1);
    offered |= (uint64_t)rd32(d, VPCI_COMMON(device_feature)) << 32;
    t->device_features = offered;
    if (!(offered & (1ull << VIRTIO_F_VERSION_1))) { /* §6.1: the modern interface needs it */
        set_failed(t);
        return VIRTIO_ERR_FEATURES;
    }
    wanted |= 1ull << VIRTIO_F_VERSION_1;
    uint64_t accept = wanted & offered; /* §2.2.1 */
    t->features = accept;
    wr32(d, VPCI_COMMON(driver_feature_select), 0);
    wr32(d, VPCI_COMMON(driver_feature), (uint32_t)accept);
    wr32(d, VPCI_COMMON(driver_feature_select), 1);
    wr32(d, VPCI_COMMON(driver_feature), (uint32_t)(accept >> 32));
    set_status(d, VIRTIO_STATUS_FEATURES_OK); /* step 5 */
    uint8_t st = rd8(d, VPCI_COMMON(device_status)); /* step 6 */
    if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
        d->status = (uint8_t)(st & (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER));
        set_failed(t);
        return VIRTIO_ERR_FEATURES;
    }
    return VIRTIO_OK;
}

static void wr64(const struct vpci *d, uint32_t lo, uint64_t v)
{
    wr32(d, lo, (uint32_t)v); /* §4.1.3.1: 64-bit fields as two 32-bit halves */
    wr32(d, lo + 4u, (uint32_t)(v >> 32));
}

/* §4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier, checked against the notify
 * structure's length before it is believed. */
static int notify_address(struct vpci *d, uint16_t index)
{
    uint64_t at = (uint64_t)rd16(d, VPCI_COMMON(queue_notify_off)) * d->notify_off_multiplier;
    if (at + 2u > d->notify.length)
        return VIRTIO_ERR_BAD_CONFIG;
    d->notify_addr[index] = d->notify.addr + (uintptr_t)at;
    return VIRTIO_OK;
}

/* §4.1.5.1.3: select, read the size, check it is not in use, allocate, tell the device the size
 * and the three addresses, and only then enable (§4.1.4.3.2: queue_enable last). */
static int setup_queue(struct virtio_transport *t, struct virtq *vq, uint16_t index, uint16_t num,
                       enum vq_layout_kind kind, uint32_t legacy_align)
{
    struct vpci *d = of(t);
    if (!vq || num == 0 || index >= VPCI_MAX_QUEUES)
        return VIRTIO_ERR_INVALID;
    wr16(d, VPCI_COMMON(queue_select), index);
    uint16_t max = rd16(d, VPCI_COMMON(queue_size));
    if (max == 0 || num > max || rd16(d, VPCI_COMMON(queue_enable)) != 0)
        return VIRTIO_ERR_QUEUE; /* no such queue, too small, or already in use */
    if ((num & (num - 1u)) != 0) /* §4.1.4.3.2: a power of 2 (split ring) */
        return VIRTIO_ERR_INVALID;
    int rc = notify_address(d, index);
    if (rc != VIRTIO_OK)
        return rc;
    if ((rc = vq_create(vq, index, num, kind, legacy_align)) != VIRTIO_OK)
        return rc;
    wr16(d, VPCI_COMMON(queue_size), num);
    wr64(d, VPCI_COMMON(queue_desc), vq->desc_phys);
    wr64(d, VPCI_COMMON(queue_driver), vq->avail_phys);
    wr64(d, VPCI_COMMON(queue_device), vq->used_phys);
    wr16(d, VPCI_COMMON(queue_enable), 1);
    return VIRTIO_OK;
}

static int driver_ok(struct virtio_transport *t)
{
    set_status(of(t), VIRTIO_STATUS_DRIVER_OK);
    return VIRTIO_OK;
}

static void notify(struct virtio_transport *t, uint16_t queue)
{
    struct vpci *d = of(t);
    if (queue < VPCI_MAX_QUEUES && d->notify_addr[queue]) /* §4.1.5.2: the 16-bit index */
        vhal_mmio_write16(d->notify_addr[queue], queue);
}

/* §4.1.4.5: reading the ISR status acknowledges it (the device clears it on read). */
static uint32_t ack_interrupt(struct virtio_transport *t)
{
    struct vpci *d = of(t);
    return vhal_mmio_read8(d->isr.addr) & (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
}

static int check_alive(struct virtio_transport *t)
{
    struct vpci *d = of(t);
    uint8_t st = rd8(d, VPCI_COMMON(device_status));
    if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET) /* §2.1.2 */
        return VIRTIO_ERR_NEEDS_RESET;
    if ((d->status & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_DRIVER_OK))
        return VIRTIO_ERR_DEVICE_RESET;
    return VIRTIO_OK;
}

/* §2.4.1 around a 32-bit device-configuration read, bounded as virtio-mmio's. */
#define VPCI_CONFIG_TRIES 16
static int config_read32(struct virtio_transport *t, uint32_t offset, uint32_t *value)
{
    struct vpci *d = of(t);
    uint32_t v = 0;
    if (!d->device.found || (uint64_t)offset + 4u > d->device.length) {
        *value = 0;
        return VIRTIO_ERR_BAD_CONFIG;
    }
    for (int tries = 0; tries < VPCI_CONFIG_TRIES; tries++) {
        uint8_t g0 = rd8(d, VPCI_COMMON(config_generation));
        v = vhal_mmio_read32(d->device.addr + offset);
        if (rd8(d, VPCI_COMMON(config_generation)) == g0) {
            *value = v;
            return VIRTIO_OK;
        }
    }
    *value = v;
    return VIRTIO_ERR_BAD_CONFIG;
}

static void config_write32(struct virtio_transport *t, uint32_t offset, uint32_t value)
{
    struct vpci *d = of(t);
    if (d->device.found && (uint64_t)offset + 4u <= d->device.length)
        vhal_mmio_write32(d->device.addr + offset, value);
}

const struct virtio_transport_ops vpci_transport_ops = {
    .name = "virtio-pci", .begin_init = begin_init, .negotiate = negotiate,
    .setup_queue = setup_queue, .driver_ok = driver_ok, .set_failed = set_failed,
    .notify = notify, .ack_interrupt = ack_interrupt, .check_alive = check_alive,
    .config_read32 = config_read32, .config_write32 = config_write32,
};
