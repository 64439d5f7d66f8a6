/* virtio_mmio.c — virtio-mmio transport, driver side (§4.2). See virtio_mmio.h. */
#include "driver/virtio_mmio.h"

#include <stddef.h>

#include "driver/virtio_hal.h"

_Static_assert(offsetof(struct vmmio, t) == 0, "struct vmmio begins with its transport");

static uint32_t rd(struct vmmio *d, uint32_t off) { return vhal_mmio_read32(d->base + off); }
static void wr(struct vmmio *d, uint32_t off, uint32_t v) { vhal_mmio_write32(d->base + off, v); }

/* Poll a register until (value & mask) == want, or the deadline passes. */
static int wait_reg(struct vmmio *d, uint32_t off, uint32_t mask, uint32_t want)
{
    uint64_t deadline = vhal_now_ns() + d->t.timeout_ns;
    uint64_t delay = 1000;
    for (;;) {
        if ((rd(d, off) & mask) == want)
            return VIRTIO_OK;
        if (vhal_now_ns() >= deadline)
            return VIRTIO_ERR_TIMEOUT;
        vhal_delay_ns(delay);
        if (delay < 1000000)
            delay *= 2;
    }
}

static const struct virtio_transport_ops vmmio_transport_ops;

int vmmio_probe(struct vmmio *d, uintptr_t base, uint64_t timeout_ns)
{
    if (!d)
        return VIRTIO_ERR_INVALID;
    struct vmmio z = {0};
    *d = z;
    d->base = base;
    d->t.timeout_ns = timeout_ns ? timeout_ns : 1000000000ull;
    /* §4.2.3.1.1: magic and version first; ignore the device if either is wrong. */
    if (rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
        return VIRTIO_ERR_NO_DEVICE;
    d->t.version = rd(d, VIRTIO_MMIO_VERSION);
    if (d->t.version != 1 && d->t.version != 2)
        return VIRTIO_ERR_NO_DEVICE;
    d->t.device_id = rd(d, VIRTIO_MMIO_DEVICE_ID);
    if (d->t.device_id == 0) /* a placeholder slot: touch nothing else */
        return VIRTIO_ERR_NO_DEVICE;
    d->t.legacy = d->t.version == 1;
    d->t.ops = &vmmio_transport_ops;
    return VIRTIO_OK;
}

static void set_status(struct vmmio *d, uint8_t bits)
{
    d->status = (uint8_t)(d->status | bits); /* §2.1.1: never clear a bit the driver set */
    wr(d, VIRTIO_MMIO_STATUS, d->status);
}

int vmmio_begin_init(struct vmmio *d)
{
    if (!d || !d->base)
        return VIRTIO_ERR_INVALID;
    /* Step 1: reset. Wait for the device to read back 0 (§4.2.2.1: it may take time). */
    d->status = 0;
    wr(d, VIRTIO_MMIO_STATUS, 0);
    int rc = wait_reg(d, VIRTIO_MMIO_STATUS, 0xffu, 0);
    if (rc != VIRTIO_OK)
        return rc;
    if (d->t.version == 1) /* §4.2.4: the legacy device needs the page size before any QueuePFN */
        wr(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTQ_LEGACY_PAGE_SIZE);
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE); /* step 2 */
    set_status(d, VIRTIO_STATUS_DRIVER);      /* step 3 */
    return VIRTIO_OK;
}

int vmmio_negotiate(struct vmmio *d, uint64_t wanted)
{
    if (!d)
        return VIRTIO_ERR_INVALID;
    /* Step 4: both 32-bit halves, selecting each before reading it (§4.2.2.2). A legacy device
     * shows only the low half. */
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    if (d->t.version == 2) {
        wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        offered |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    d->t.device_features = offered;
    if (d->t.version == 2) {
        /* §6.1: a driver for a modern device MUST accept VERSION_1; without it, give up. */
        if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
            vmmio_fail(d);
            return VIRTIO_ERR_FEATURES;
        }
        wanted |= 1ull << VIRTIO_F_VERSION_1;
    }
    if (d->t.version == 1) /* §6.3: a transitional driver accepts ANY_LAYOUT from a legacy device */
        wanted |= 1ull << VIRTIO_F_ANY_LAYOUT;
    uint64_t accept = wanted & offered; /* §2.2.1: never accept what was not offered */
    d->t.features = accept;
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
    if (d->t.version == 1) /* §3.1.2: legacy has no FEATURES_OK step */
        return VIRTIO_OK;
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    set_status(d, VIRTIO_STATUS_FEATURES_OK); /* step 5 */
    /* Step 6: the device may refuse the subset; it says so by not keeping the bit. One read
     * (§3.1.1 asks for a re-read, not a wait): a device that has not taken it yet refused it. */
    uint32_t st = rd(d, VIRTIO_MMIO_STATUS);
    if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
        /* FAILED goes on top of the Status the device kept: the refused FEATURES_OK was never
         * set, and a write that sets it again is refused again (QEMU drops the whole write), so
         * the device would never learn that the driver gave up (§3.1.1). */
        d->status = (uint8_t)(st & (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER));
        vmmio_fail(d);
        return VIRTIO_ERR_FEATURES;
    }
    return VIRTIO_OK;
}

static void wr64(struct vmmio *d, uint32_t lo_off, uint64_t v)
{
    wr(d, lo_off, (uint32_t)v);
    wr(d, lo_off + 4u, (uint32_t)(v >> 32));
}

int vmmio_setup_queue(struct vmmio *d, struct virtq *vq, uint16_t index, uint16_t num,
                      enum vq_layout_kind kind, uint32_t legacy_align)
{
    if (!d || !vq || num == 0)
        return VIRTIO_ERR_INVALID;
    wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
    /* Not already in use (§4.2.3.2 step 2 / §4.2.4 step 2). */
    if (d->t.version == 2 ? rd(d, VIRTIO_MMIO_QUEUE_READY) != 0 : rd(d, VIRTIO_MMIO_QUEUE_PFN) != 0)
        return VIRTIO_ERR_QUEUE;
    uint32_t max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0 || num > max) /* §4.2.2.2: QueueNum MUST NOT exceed QueueNumMax */
        return VIRTIO_ERR_QUEUE;
    int rc = vq_create(vq, index, num, d->t.version == 1 ? VQ_LAYOUT_LEGACY : kind, legacy_align);
    if (rc != VIRTIO_OK)
        return rc;
    wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
    if (d->t.version == 1) {
        wr(d, VIRTIO_MMIO_QUEUE_ALIGN, legacy_align);
        wr(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(vq->desc_phys / VIRTQ_LEGACY_PAGE_SIZE));
        return VIRTIO_OK;
    }
    wr64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, vq->desc_phys);
    wr64(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, vq->avail_phys);
    wr64(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, vq->used_phys);
    /* Last: the device latches the addresses now. Not read back: §4.2.3.2 asks for no
     * read-back, and a device that did not take it shows up as a bounded command timeout. */
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return VIRTIO_OK;
}

int vmmio_driver_ok(struct vmmio *d)
{
    if (!d)
        return VIRTIO_ERR_INVALID;
    set_status(d, VIRTIO_STATUS_DRIVER_OK);
    return VIRTIO_OK;
}

void vmmio_fail(struct vmmio *d)
{
    if (d)
        set_status(d, VIRTIO_STATUS_FAILED);
}

void vmmio_notify(struct vmmio *d, uint16_t queue)
{
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

void vmmio_notify_next(struct vmmio *d, uint16_t queue, uint16_t next)
{
    if (d->t.features & (1ull << VIRTIO_F_NOTIFICATION_DATA)) /* le32 {vqn:16; next_off:15; wrap:1} */
        wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)next << 16 | queue);
    else
        wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

int vmmio_reset_queue(struct vmmio *d, uint16_t index)
{
    if (!d || d->t.version != 2 || !(d->t.features & (1ull << VIRTIO_F_RING_RESET)))
        return VIRTIO_ERR_INVALID; /* 1.2 §4.2.2: QueueReset exists only with RING_RESET */
    wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
    wr(d, VIRTIO_MMIO_QUEUE_RESET, 1);
    /* 1.2 §4.2.2.2: not complete until QueueReset reads back 0 (bounded wait) */
    return wait_reg(d, VIRTIO_MMIO_QUEUE_RESET, 1, 0);
}

uint32_t vmmio_ack_interrupt(struct vmmio *d)
{
    uint32_t isr = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    uint32_t handled = isr & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
    if (handled) /* §4.2.2.2: acknowledge what was handled, never undefined bits */
        wr(d, VIRTIO_MMIO_INTERRUPT_ACK, handled);
    return isr;
}

int vmmio_check_alive(struct vmmio *d)
{
    if (!d)
        return VIRTIO_ERR_INVALID;
    uint32_t st = rd(d, VIRTIO_MMIO_STATUS);
    /* §2.1.2: the device sets DEVICE_NEEDS_RESET when it can no longer work (version 2 only;
     * a legacy device has no such bit). */
    if (d->t.version == 2 && (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
        return VIRTIO_ERR_NEEDS_RESET;
    /* §2.1: DRIVER_OK stays set until the driver resets; a Status without it means the device
     * reset itself (and forgot the queues). */
    if ((d->status & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_DRIVER_OK))
        return VIRTIO_ERR_DEVICE_RESET;
    return VIRTIO_OK;
}

int vmmio_config_read32_checked(struct vmmio *d, uint32_t offset, uint32_t *value)
{
    if (d->t.version == 1) { /* no generation counter on legacy */
        *value = rd(d, VIRTIO_MMIO_CONFIG + offset);
        return VIRTIO_OK;
    }
    /* §2.4.1: read until ConfigGeneration is the same before and after. Bounded: a device
     * whose generation never settles gives no consistent value, and none is believed. */
    uint32_t v = 0;
    for (int tries = 0; tries < VMMIO_CONFIG_TRIES; tries++) {
        uint32_t g0 = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
        v = rd(d, VIRTIO_MMIO_CONFIG + offset);
        if (rd(d, VIRTIO_MMIO_CONFIG_GENERATION) == g0) {
            *value = v;
            return VIRTIO_OK;
        }
    }
    *value = v;
    return VIRTIO_ERR_BAD_CONFIG;
}

uint32_t vmmio_config_read32(struct vmmio *d, uint32_t offset)
{
    uint32_t v = 0;
    (void)vmmio_config_read32_checked(d, offset, &v);
    return v;
}

void vmmio_config_write32(struct vmmio *d, uint32_t offset, uint32_t value)
{
    wr(d, VIRTIO_MMIO_CONFIG + offset, value);
}

/* The transport interface (virtio_transport.h): struct vmmio begins with its transport. */
static struct vmmio *of(struct virtio_transport *t) { return (struct vmmio *)t; }
static int t_begin_init(struct virtio_transport *t) { return vmmio_begin_init(of(t)); }
static int t_negotiate(struct virtio_transport *t, uint64_t wanted)
{
    return vmmio_negotiate(of(t), wanted);
}
static int t_setup_queue(struct virtio_transport *t, struct virtq *vq, uint16_t index,
                         uint16_t num, enum vq_layout_kind kind, uint32_t legacy_align)
{
    return vmmio_setup_queue(of(t), vq, index, num, kind, legacy_align);
}
static int t_driver_ok(struct virtio_transport *t) { return vmmio_driver_ok(of(t)); }
static void t_fail(struct virtio_transport *t) { vmmio_fail(of(t)); }
static void t_notify(struct virtio_transport *t, uint16_t queue) { vmmio_notify(of(t), queue); }
static void t_notify_next(struct virtio_transport *t, uint16_t queue, uint16_t next)
{
    vmmio_notify_next(of(t), queue, next);
}
static int t_reset_queue(struct virtio_transport *t, uint16_t index)
{
    return vmmio_reset_queue(of(t), index);
}
static uint32_t t_ack_interrupt(struct virtio_transport *t) { return vmmio_ack_interrupt(of(t)); }
static int t_check_alive(struct virtio_transport *t) { return vmmio_check_alive(of(t)); }
static int t_config_read32(struct virtio_transport *t, uint32_t offset, uint32_t *value)
{
    return vmmio_config_read32_checked(of(t), offset, value);
}
static void t_config_write32(struct virtio_transport *t, uint32_t offset, uint32_t value)
{
    vmmio_config_write32(of(t), offset, value);
}

static const struct virtio_transport_ops vmmio_transport_ops = {
    .name = "virtio-mmio", .begin_init = t_begin_init, .negotiate = t_negotiate,
    .setup_queue = t_setup_queue, .driver_ok = t_driver_ok, .set_failed = t_fail, .notify = t_notify,
    .ack_interrupt = t_ack_interrupt, .check_alive = t_check_alive,
    .config_read32 = t_config_read32, .config_write32 = t_config_write32,
    .notify_next = t_notify_next, .reset_queue = t_reset_queue,
};
