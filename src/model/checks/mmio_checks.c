/* mmio_checks.c — see mmio_checks.h. */
#include "model/checks/mmio_checks.h"

#include <assert.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"
#include "model/transport/mmio_queue_reset.h"

/* §4.2.2 and §4.2.4: the direction of each register. Which version has which register is the
 * register file's one table (mmio_reg_other_version); only the direction is added here. */
enum { R = 1, W = 2, RW = 3 };
static const uint8_t direction[VIRTIO_MMIO_CONFIG / 4] = { /* indexed by offset / 4; 0: none */
    [VIRTIO_MMIO_MAGIC_VALUE / 4] = R,         [VIRTIO_MMIO_VERSION / 4] = R,
    [VIRTIO_MMIO_DEVICE_ID / 4] = R,           [VIRTIO_MMIO_VENDOR_ID / 4] = R,
    [VIRTIO_MMIO_DEVICE_FEATURES / 4] = R,     [VIRTIO_MMIO_DEVICE_FEATURES_SEL / 4] = W,
    [VIRTIO_MMIO_DRIVER_FEATURES / 4] = W,     [VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4] = W,
    [VIRTIO_MMIO_GUEST_PAGE_SIZE / 4] = W,     [VIRTIO_MMIO_QUEUE_SEL / 4] = W,
    [VIRTIO_MMIO_QUEUE_NUM_MAX / 4] = R,       [VIRTIO_MMIO_QUEUE_NUM / 4] = W,
    [VIRTIO_MMIO_QUEUE_ALIGN / 4] = W,         [VIRTIO_MMIO_QUEUE_PFN / 4] = RW,
    [VIRTIO_MMIO_QUEUE_READY / 4] = RW,        [VIRTIO_MMIO_QUEUE_NOTIFY / 4] = W,
    [VIRTIO_MMIO_INTERRUPT_STATUS / 4] = R,    [VIRTIO_MMIO_INTERRUPT_ACK / 4] = W,
    [VIRTIO_MMIO_STATUS / 4] = RW,             [VIRTIO_MMIO_QUEUE_DESC_LOW / 4] = W,
    [VIRTIO_MMIO_QUEUE_DESC_HIGH / 4] = W,     [VIRTIO_MMIO_QUEUE_DRIVER_LOW / 4] = W,
    [VIRTIO_MMIO_QUEUE_DRIVER_HIGH / 4] = W,   [VIRTIO_MMIO_QUEUE_DEVICE_LOW / 4] = W,
    [VIRTIO_MMIO_QUEUE_DEVICE_HIGH / 4] = W,   [VIRTIO_MMIO_CONFIG_GENERATION / 4] = R,
};

static bool strict(const struct machine *m) { return m->cfg.profile == PROFILE_STRICT; }

/* Direction of a control register this device's version has; 0 if the offset is not one. */
static uint8_t reg_dir(const struct machine *m, uint32_t off)
{
    if (mmio_reg_other_version(off, m->dev.version))
        return 0;
    return off < VIRTIO_MMIO_CONFIG && off % 4 == 0 ? direction[off / 4] : 0;
}

static bool id_reg(uint32_t off)
{
    return off == VIRTIO_MMIO_MAGIC_VALUE || off == VIRTIO_MMIO_VERSION ||
           off == VIRTIO_MMIO_DEVICE_ID || off == VIRTIO_MMIO_VENDOR_ID;
}

/* The registers §4.2.2.2 forbids while QueueReady is set. */
static bool ready_locked_reg(uint32_t off)
{
    return off == VIRTIO_MMIO_QUEUE_NUM ||
           (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH &&
            off % 16 <= 4);
}

/* Layout rules common to reads and writes; false when the access is not to a defined register. */
static bool layout_ok(struct machine *m, uint32_t off, bool write)
{
    const char *what = write ? "write" : "read";
    if (off >= VIRTIO_MMIO_CONFIG) {
        /* the device's configuration space: 32-bit words, config_size bytes (device.h) */
        const struct device_ops *dev = m->device.ops;
        uint32_t c = off - VIRTIO_MMIO_CONFIG;
        if (c % 4) {
            machine_violation(m, "mmio.config-access-width", -1,
                              "config space %s at offset 0x%x: the %s's fields are 32-bit and "
                              "need 32-bit aligned accesses", what, c, dev->name);
            return false;
        }
        if (c >= dev->config_size) {
            machine_violation(m, "mmio.no-undefined-offsets", -1,
                              "config space %s at offset 0x%x, past the %s's %u bytes", what, c,
                              dev->name, dev->config_size);
            return false;
        }
        return true;
    }
    if (off % 4) {
        machine_violation(m, "mmio.reg-access-32bit-aligned", -1,
                          "register %s at 0x%03x is not 32-bit aligned", what, off);
        return false;
    }
    uint8_t dir = reg_dir(m, off);
    if (!dir && off == VIRTIO_MMIO_QUEUE_RESET && mmio_queue_reset_active(m))
        dir = RW; /* VirtIO 1.2, RING_RESET negotiated: a register of this device */
    const struct mmio_later_reg *later = mmio_reg_later(off);
    if (!dir && later && m->dev.version == 2) {
        /* a register of a later version (a driver written to it may use it): said, with the
         * version; not a 1.1 MUST NOT */
        machine_inform(m, "mmio.later-version-register", -1,
                       "%s at 0x%03x: %s, a register VirtIO %s defines for a version 2 device "
                       "(%s) and VirtIO 1.1 does not; QEMU 7.2 %s", what, off, later->name,
                       later->since,
                       later->readable && later->writable ? "read-write"
                       : later->readable                  ? "read-only"
                                                          : "write-only",
                       later->all_ones && !write ? "answers 0xffffffff: no such region"
                                                 : "ignores it (reads 0)");
        return false;
    }
    if (!dir) {
        const char *name = mmio_reg_name(off);
        machine_violation(m, "mmio.no-undefined-offsets", -1,
                          "%s at 0x%03x%s%s%s: not a register of a version %u device", what, off,
                          name ? " (" : "", name ? name : "", name ? ")" : "", m->dev.version);
        return false;
    }
    if (write && dir == R) {
        machine_violation(m, "mmio.no-write-ro", -1, "write of 0x%03x (%s), a read-only register",
                          off, mmio_reg_name(off));
        return false;
    }
    if (!write && dir == W) {
        machine_violation(m, "mmio.no-read-wo", -1, "read of 0x%03x (%s), a write-only register",
                          off, mmio_reg_name(off));
        return false;
    }
    return true;
}

/* The probe (§4.2.3.1.1) and a device the driver must ignore (§4.2.2.2). */
static void probe(struct machine *m, uint32_t off, bool write, uint32_t value)
{
    struct mmio_check_state *s = &m->mmio_checks;
    s->n_access++;
    if (s->ignore != IGNORE_NONE) {
        bool dev0 = s->ignore == IGNORE_DEVICE_ID_0;
        /* Re-reading what identifies the device is not using it; after DeviceID 0 not even
         * VendorID may be read (§4.2.3.1.1). */
        if (!write && id_reg(off) && !(dev0 && off == VIRTIO_MMIO_VENDOR_ID))
            return;
        const char *name = mmio_reg_name(off) ? mmio_reg_name(off) : "an undefined offset";
        if (s->ignore == IGNORE_MAGIC)
            machine_violation(m, "mmio.ignore-bad-magic", -1, "MagicValue was wrong, yet the "
                              "driver went on to %s %s", write ? "write" : "read", name);
        else if (s->ignore == IGNORE_VERSION)
            machine_violation(m, "mmio.ignore-bad-version", -1, "Version was neither 2 nor "
                              "(legacy) 1, yet the driver went on to %s %s",
                              write ? "write" : "read", name);
        else if (write && off == VIRTIO_MMIO_STATUS)
            machine_violation(m, "mmio.init.device-id-0-abort", -1, "DeviceID was 0, yet the "
                              "driver began initialization (Status 0x%02x)", value & 0xffu);
        else
            machine_violation(m, "mmio.init.device-id-0-no-access", -1, "DeviceID was 0, yet the "
                              "driver went on to %s %s", write ? "write" : "read", name);
        s->ignore = IGNORE_NONE;
        return;
    }
    if (!s->probe_done) {
        uint32_t want = s->n_access == 1 ? VIRTIO_MMIO_MAGIC_VALUE : VIRTIO_MMIO_VERSION;
        if (write || off != want) {
            s->probe_done = true;
            machine_violation(m, "mmio.init.read-magic-version-first", -1,
                              "access %u of the driver is a %s of %s, not a read of %s",
                              s->n_access, write ? "write" : "read",
                              mmio_reg_name(off) ? mmio_reg_name(off) : "?", mmio_reg_name(want));
        }
        return;
    }
    if (s->id_pending && !(off != VIRTIO_MMIO_DEVICE_ID && !write && id_reg(off))) {
        s->id_pending = false;
        if (write || off != VIRTIO_MMIO_DEVICE_ID)
            machine_violation(m, "mmio.init.read-device-id", -1,
                              "after magic and version the driver went on to %s %s without "
                              "reading DeviceID", write ? "write" : "read",
                              mmio_reg_name(off) ? mmio_reg_name(off) : "?");
    }
}

/* The device-wide registers: Status (a reset clears what the rules track), the feature selectors,
 * DriverFeatures, InterruptACK (§4.2.2.2, §4.2.3.4). */
static void device_regs_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct mmio_check_state *s = &m->mmio_checks;
    const uint32_t both = VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG;
    switch (off) {
    case VIRTIO_MMIO_STATUS:
        if ((value & 0xff) == 0) {
            s->dev_sel_written = s->drv_sel_written = false;
            for (uint32_t i = 0; i < MMIO_CHECK_QUEUES; i++)
                s->stop_pending[i] = false;
            s->isr_unacked = 0; /* a reset clears InterruptStatus */
        }
        return;
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: s->dev_sel_written = true; return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: s->drv_sel_written = true; return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (!s->drv_sel_written)
            machine_violation(m, "mmio.driver-features-sel-before-write", -1,
                              "DriverFeatures written (0x%08x) with no DriverFeaturesSel write "
                              "since reset", value);
        return;
    default: /* InterruptACK */
        if (value & ~both)
            machine_violation(m, "mmio.ack-no-undefined-bits", -1,
                              "InterruptACK 0x%x sets undefined bits 0x%x", value, value & ~both);
        if (!s->isr_read_since_ack)
            machine_violation(m, "mmio.irq.read-status", -1,
                              "InterruptACK 0x%x without reading InterruptStatus first", value);
        s->isr_read_since_ack = false;
        if (value & both)
            s->isr_unacked = 0;
        return;
    }
}

/* QueueNum for the selected queue: a MUST on version 2 (§4.2.2.2); a lower-case should on the
 * legacy interface (§4.2.4). */
static void queue_num_write(struct machine *m, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    uint32_t q = d->queue_sel;
    uint32_t max = q < d->n_queues ? MMIO_QUEUE_NUM_MAX : 0;
    if (value <= max)
        return;
    if (d->version == 2)
        machine_violation(m, "mmio.queue-num-le-max", (int)(q & 0xff),
                          "QueueNum %u for queue %u exceeds QueueNumMax %u", value, q, max);
    else
        machine_violation(m, "mmio.legacy.queue-num-le-max", (int)(q & 0xff),
                          "QueueNum %u for queue %u exceeds QueueNumMax %u", value, q, max);
}

/* The legacy registers (§4.2.4; layout_ok let them through only on a version 1 device):
 * GuestPageSize, QueueAlign, QueuePFN. */
static void legacy_regs_write(struct machine *m, uint32_t off, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    uint32_t q = d->queue_sel;
    if (off == VIRTIO_MMIO_GUEST_PAGE_SIZE) {
        if (value == 0 || (value & (value - 1)))
            machine_violation(m, "mmio.legacy.page-size-pow2", -1,
                              "GuestPageSize %u is not a power of two (the device uses only its "
                              "lowest set bit)", value);
    } else if (off == VIRTIO_MMIO_QUEUE_ALIGN) {
        if (value & (value - 1))
            machine_violation(m, "mmio.legacy.align-pow2", (int)(q & 0xff),
                              "QueueAlign %u is not a power of two", value);
    } else if (value != 0 && !d->guest_page_size_written) { /* QueuePFN */
        machine_violation(m, "mmio.legacy.page-size-first", (int)(q & 0xff),
                          "QueuePFN 0x%x written before any GuestPageSize: the device "
                          "takes the page size as 1 byte (ring at 0x%x)", value, value);
    }
}

/* §4.2.2.2 on a version 2 device: the registers locked while QueueReady is set, and a stop
 * (QueueReady = 0) read back before the queue is set up again. False: the strict profile's
 * device ignores the write. */
static bool ready_rules_write(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    struct mmio_check_state *s = &m->mmio_checks;
    const struct mmio_device *d = &m->dev;
    uint32_t q = d->queue_sel;
    if (d->version != 2 || q >= MMIO_CHECK_QUEUES)
        return true;
    if (s->stop_pending[q] && (ready_locked_reg(off) || off == VIRTIO_MMIO_QUEUE_READY)) {
        s->stop_pending[q] = false;
        machine_violation(m, "mmio.queue-stop-read-back", (int)q,
                          "queue %u: QueueReady=0 was not read back before writing %s", q,
                          mmio_reg_name(off));
    }
    if (ready_locked_reg(off) && d->q[q].ready) {
        machine_violation(m, "mmio.no-queue-regs-while-ready", (int)q,
                          "queue %u: %s written while QueueReady is 1", q, mmio_reg_name(off));
        if (strict(m)) {
            *note = "strict profile: ignored while QueueReady is set";
            return false;
        }
    }
    if (off == VIRTIO_MMIO_QUEUE_READY && value == 0 && d->q[q].ready)
        s->stop_pending[q] = true;
    return true;
}


/* A write to a writable control register of this device's version: what layout_ok finds
 * nothing to say about, decoded by one table lookup. */
static bool plain_write_reg(const struct machine *m, uint32_t off)
{
    return off < VIRTIO_MMIO_CONFIG && off % 4 == 0 && (direction[off / 4] & W) &&
           !mmio_reg_other_version(off, m->dev.version);
}

bool mmio_checks_write(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    if (mmio_checks_probe_over(&m->mmio_checks))
        m->mmio_checks.n_access++;
    else
        probe(m, off, true, value);
    bool plain = plain_write_reg(m, off);
    assert(!plain || layout_ok(m, off, true)); /* (which then reports nothing) */
    if (!plain && !layout_ok(m, off, true))
        return true; /* the device ignores it in both profiles */
    switch (off) {
    case VIRTIO_MMIO_STATUS:
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES:
    case VIRTIO_MMIO_INTERRUPT_ACK:
        device_regs_write(m, off, value);
        return true;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE:
    case VIRTIO_MMIO_QUEUE_ALIGN:
    case VIRTIO_MMIO_QUEUE_PFN:
        legacy_regs_write(m, off, value);
        return true;
    case VIRTIO_MMIO_QUEUE_NUM:
        queue_num_write(m, value);
        break;
    default:
        break;
    }
    return ready_rules_write(m, off, value, note);
}

bool mmio_checks_notify(struct machine *m, uint32_t value)
{
    /* What mmio_checks_write finds for it: plain (layout_ok silent), no case of its own, and
     * ready_rules_write has no rule about it. */
    assert(plain_write_reg(m, VIRTIO_MMIO_QUEUE_NOTIFY) &&
           !ready_locked_reg(VIRTIO_MMIO_QUEUE_NOTIFY));
    if (mmio_checks_probe_over(&m->mmio_checks))
        m->mmio_checks.n_access++;
    else
        probe(m, VIRTIO_MMIO_QUEUE_NOTIFY, true, value);
    return true;
}

void mmio_checks_read(struct machine *m, uint32_t off, uint32_t value)
{
    struct mmio_check_state *s = &m->mmio_checks;
    struct mmio_device *d = &m->dev;
    probe(m, off, false, value);
    /* What the device showed arms the probe rules (its own value: a driver that misreads it is
     * still wrong). */
    if (off == VIRTIO_MMIO_MAGIC_VALUE && value != VIRTIO_MMIO_MAGIC)
        s->ignore = IGNORE_MAGIC;
    else if (off == VIRTIO_MMIO_VERSION && value != 1 && value != 2)
        s->ignore = IGNORE_VERSION; /* 1 is the legacy interface: a transitional driver's */
    else if (off == VIRTIO_MMIO_DEVICE_ID && value == 0)
        s->ignore = IGNORE_DEVICE_ID_0;
    if (!s->probe_done && s->n_access == 2 && off == VIRTIO_MMIO_VERSION) {
        s->probe_done = true;
        s->id_pending = s->ignore == IGNORE_NONE;
    }
    if (!layout_ok(m, off, false))
        return;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (!s->dev_sel_written)
            machine_violation(m, "mmio.features-sel-before-read", -1,
                              "DeviceFeatures read with no DeviceFeaturesSel write since reset");
        break;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        if (s->isr_unacked)
            machine_violation(m, "mmio.ack-handled-events", -1,
                              "InterruptStatus showed 0x%x, and no InterruptACK followed before "
                              "it was read again", s->isr_unacked);
        s->isr_read_since_ack = true;
        s->isr_unacked = value & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (d->queue_sel < MMIO_CHECK_QUEUES)
            s->stop_pending[d->queue_sel] = false;
        break;
    default: /* the registers locked while QueueReady is set are all write-only */
        break;
    }
}

void mmio_checks_finish(struct machine *m)
{
    struct mmio_check_state *s = &m->mmio_checks;
    if (s->isr_unacked)
        machine_violation(m, "mmio.ack-handled-events", -1,
                          "InterruptStatus showed 0x%x and the driver never acknowledged it",
                          s->isr_unacked);
}
