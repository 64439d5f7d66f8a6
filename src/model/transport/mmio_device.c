/* mmio_device.c — see mmio_device.h. */
#include "model/transport/mmio_device.h"

#include <assert.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"
#include "model/transport/mmio_queue_reset.h"
#include "spec/ring_layout.h"

/* The register map, indexed by offset / 4 (a NULL name: no register there), so a lookup on every
 * MMIO access is one load, not a scan; `only` is the one version that has the register (0: both),
 * and `note` why the device ignores it on the other version (QEMU logs a guest error). */
#define ONLY_V1(off, name) \
    [(off) / 4] = {off, name, 1, "ignored: " name " exists only on version 1 (legacy)"}
#define ONLY_V2(off, name) [(off) / 4] = {off, name, 2, "ignored: " name " exists only on version 2"}
static const struct {
    uint32_t off;
    const char *name;
    uint8_t only;
    const char *note;
} regs[VIRTIO_MMIO_CONFIG / 4] = { /* indexed by offset / 4: one load per lookup */
    [VIRTIO_MMIO_MAGIC_VALUE / 4] = {VIRTIO_MMIO_MAGIC_VALUE, "MagicValue"},
    [VIRTIO_MMIO_VERSION / 4] = {VIRTIO_MMIO_VERSION, "Version"},
    [VIRTIO_MMIO_DEVICE_ID / 4] = {VIRTIO_MMIO_DEVICE_ID, "DeviceID"},
    [VIRTIO_MMIO_VENDOR_ID / 4] = {VIRTIO_MMIO_VENDOR_ID, "VendorID"},
    [VIRTIO_MMIO_DEVICE_FEATURES / 4] = {VIRTIO_MMIO_DEVICE_FEATURES, "DeviceFeatures"},
    [VIRTIO_MMIO_DEVICE_FEATURES_SEL / 4] = {VIRTIO_MMIO_DEVICE_FEATURES_SEL, "DeviceFeaturesSel"},
    [VIRTIO_MMIO_DRIVER_FEATURES / 4] = {VIRTIO_MMIO_DRIVER_FEATURES, "DriverFeatures"},
    [VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4] = {VIRTIO_MMIO_DRIVER_FEATURES_SEL, "DriverFeaturesSel"},
    ONLY_V1(VIRTIO_MMIO_GUEST_PAGE_SIZE, "GuestPageSize"),
    [VIRTIO_MMIO_QUEUE_SEL / 4] = {VIRTIO_MMIO_QUEUE_SEL, "QueueSel"},
    [VIRTIO_MMIO_QUEUE_NUM_MAX / 4] = {VIRTIO_MMIO_QUEUE_NUM_MAX, "QueueNumMax"},
    [VIRTIO_MMIO_QUEUE_NUM / 4] = {VIRTIO_MMIO_QUEUE_NUM, "QueueNum"},
    ONLY_V1(VIRTIO_MMIO_QUEUE_ALIGN, "QueueAlign"),
    ONLY_V1(VIRTIO_MMIO_QUEUE_PFN, "QueuePFN"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_READY, "QueueReady"),
    [VIRTIO_MMIO_QUEUE_NOTIFY / 4] = {VIRTIO_MMIO_QUEUE_NOTIFY, "QueueNotify"},
    [VIRTIO_MMIO_INTERRUPT_STATUS / 4] = {VIRTIO_MMIO_INTERRUPT_STATUS, "InterruptStatus"},
    [VIRTIO_MMIO_INTERRUPT_ACK / 4] = {VIRTIO_MMIO_INTERRUPT_ACK, "InterruptACK"},
    [VIRTIO_MMIO_STATUS / 4] = {VIRTIO_MMIO_STATUS, "Status"},
    ONLY_V2(VIRTIO_MMIO_QUEUE_DESC_LOW, "QueueDescLow"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_DESC_HIGH, "QueueDescHigh"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_DRIVER_LOW, "QueueDriverLow"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, "QueueDriverHigh"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_DEVICE_LOW, "QueueDeviceLow"),
    ONLY_V2(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, "QueueDeviceHigh"),
    ONLY_V2(VIRTIO_MMIO_CONFIG_GENERATION, "ConfigGeneration"),
};

/* Registers of a version 2 device that VirtIO 1.1 does not define and 1.2 does (§4.2.2 of 1.2:
 * shared memory regions, queue reset), with what QEMU 7.2 does with them on either transport:
 * SHMLenLow/High read all ones ("no such region", as Linux's vm_get_shm_region reads it); SHMSel,
 * SHMBase and QueueReset are not implemented (reads 0, writes dropped, a "bad register offset"
 * guest error) — recorded from QEMU 7.2.22. */
static const struct mmio_later_reg later_regs[] = {
    {0x0ac, "SHMSel", "1.2", false, true, false},
    {0x0b0, "SHMLenLow", "1.2", true, false, true},
    {0x0b4, "SHMLenHigh", "1.2", true, false, true},
    {0x0b8, "SHMBaseLow", "1.2", true, false, false},
    {0x0bc, "SHMBaseHigh", "1.2", true, false, false},
    {0x0c0, "QueueReset", "1.2", true, true, false},
};

/* later_regs lie at consecutive word offsets (so a lookup is a subtraction and a compare). */
#define LATER_FIRST 0x0acu
#define N_LATER (sizeof(later_regs) / sizeof(later_regs[0]))
_Static_assert(LATER_FIRST + 4 * (N_LATER - 1) == 0x0c0 &&
                   LATER_FIRST + 4 * N_LATER <= VIRTIO_MMIO_CONFIG,
               "later_regs: consecutive words below the config space");

const struct mmio_later_reg *mmio_reg_later(uint32_t off)
{
    uint32_t i = (off - LATER_FIRST) / 4; /* wraps for off below: out of range */
    if (off % 4 || i >= N_LATER)
        return NULL;
    assert(later_regs[i].off == off);
    return &later_regs[i];
}

const char *mmio_reg_name(uint32_t off)
{
    static const char *cfg[] = {"Config+0x0", "Config+0x4", "Config+0x8", "Config+0xc"};
    const struct mmio_later_reg *later = mmio_reg_later(off);
    if (later)
        return later->name;
    if (off < VIRTIO_MMIO_CONFIG && off % 4 == 0)
        return regs[off / 4].name;
    if (off >= VIRTIO_MMIO_CONFIG && off < VIRTIO_MMIO_CONFIG + 16 && off % 4 == 0)
        return cfg[(off - VIRTIO_MMIO_CONFIG) / 4];
    return NULL;
}

/* The note for a register only the other version has, or NULL. */
static const char *other_version_note(uint32_t off, uint32_t version)
{
    if (!mmio_reg_other_version(off, version))
        return NULL;
    assert(regs[off / 4].only != 0 && regs[off / 4].only != version);
    return regs[off / 4].note;
}

/* mmio_device.h's masks, bit offset / 4: the registers only version 1 / only version 2 has. */
#define BIT(off) (1ull << ((off) / 4))
const uint64_t mmio_regs_only_v1 =
    BIT(VIRTIO_MMIO_GUEST_PAGE_SIZE) | BIT(VIRTIO_MMIO_QUEUE_ALIGN) | BIT(VIRTIO_MMIO_QUEUE_PFN);
const uint64_t mmio_regs_only_v2 =
    BIT(VIRTIO_MMIO_QUEUE_READY) | BIT(VIRTIO_MMIO_QUEUE_DESC_LOW) |
    BIT(VIRTIO_MMIO_QUEUE_DESC_HIGH) | BIT(VIRTIO_MMIO_QUEUE_DRIVER_LOW) |
    BIT(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) | BIT(VIRTIO_MMIO_QUEUE_DEVICE_LOW) |
    BIT(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) | BIT(VIRTIO_MMIO_CONFIG_GENERATION);
#undef BIT

/* Builds with assertions: the masks say what the register map's `only` says. */
static void check_only_masks(void)
{
#ifndef NDEBUG
    for (uint32_t i = 0; i < VIRTIO_MMIO_CONFIG / 4; i++) {
        assert((regs[i].only == 1) == (mmio_regs_only_v1 >> i & 1));
        assert((regs[i].only == 2) == (mmio_regs_only_v2 >> i & 1));
    }
#endif
}

int mmio_reg_offset(const char *name)
{
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        if (regs[i].name && strcmp(regs[i].name, name) == 0)
            return (int)regs[i].off;
    for (size_t i = 0; i < sizeof(later_regs) / sizeof(later_regs[0]); i++) /* VirtIO 1.2's */
        if (strcmp(later_regs[i].name, name) == 0)
            return (int)later_regs[i].off;
    return -1;
}

static void reset_device(struct mmio_device *d)
{
    /* QEMU virtio_reset: status, features, queue state, broken flag. GuestPageSize and
     * QueueAlign survive (vring.align is never reset); keep them. */
    uint32_t shift = d->guest_page_shift;
    bool written = d->guest_page_size_written;
    uint32_t align[MMIO_NUM_QUEUES];
    for (uint32_t i = 0; i < d->n_queues; i++)
        align[i] = d->q[i].align;
    d->status = 0;
    d->guest_features = 0;
    d->guest_features_reg[0] = d->guest_features_reg[1] = 0;
    d->queue_sel = 0;
    d->isr = 0;
    d->broken = false;
    d->broken_rule = NULL;
    d->broken_fault = NULL;
    d->broken_signalled = false;
    for (uint32_t i = 0; i < d->n_queues; i++) {
        d->reset_pending[i] = false; /* a queue reset still ongoing ends with the device's */
        ring_reset(&d->q[i], d->queue_size[i]);
        if (align[i])
            d->q[i].align = align[i];
    }
    d->guest_page_shift = shift;
    d->guest_page_size_written = written;
}

void mmio_device_init(struct mmio_device *d, uint32_t version, const struct device_ops *dev)
{
    check_only_masks();
    memset(d, 0, sizeof(*d));
    d->version = version;
    d->device_id = dev->device_id;
    d->magic = VIRTIO_MMIO_MAGIC;
    d->version_shown = version;
    d->host_features = dev->offered_features(version); /* QEMU 7.2's offer (device.h) */
    d->n_queues = dev->n_queues;
    for (uint32_t i = 0; i < d->n_queues; i++) {
        d->queue_size[i] = dev->queue_size[i];
        ring_reset(&d->q[i], d->queue_size[i]);
    }
}

static bool version_1_negotiated(const struct mmio_device *d)
{
    return d->guest_features & (1ull << VIRTIO_F_VERSION_1);
}

/* The configuration-change interrupt (InterruptStatus bit 1); the line rises only if it was low. */
static void raise_config_irq(struct machine *m)
{
    struct mmio_device *d = &m->dev;
    bool edge = d->isr == 0;
    if (m->cfg.transport == TRANSPORT_PCI) /* INTx or an MSI-X message (pci_function.h) */
        edge = pci_function_signal(m, -1, edge);
    d->isr |= VIRTIO_MMIO_INT_CONFIG;
    d->irq_edges += edge;
    struct trace_event *e = machine_trace(m, TR_IRQ, 0, d->isr, 0, "config");
    if (e)
        e->aux = edge;
    rf_irq(&m->facts, RF_QUEUES, m->now, edge);
}

/* Broken until reset (by a rule's fatal error, or an injected fault); NEEDS_RESET and the
 * config interrupt after DRIVER_OK when `signal`. */
static void break_device(struct machine *m, const char *rule_id, const char *fault, bool signal)
{
    struct mmio_device *d = &m->dev;
    if (d->broken)
        return;
    d->broken = true;
    d->broken_rule = rule_id;
    d->broken_fault = fault;
    d->broken_at = m->now;
    machine_trace(m, TR_DEVICE, 0, 0, 0, "device broken: notifies ignored until reset");
    if (!signal)
        return;
    d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    d->broken_signalled = true;
    if (d->status & VIRTIO_STATUS_DRIVER_OK)
        raise_config_irq(m);
}

void mmio_device_notify_config(struct machine *m)
{
    struct mmio_device *d = &m->dev;
    if (!(d->status & VIRTIO_STATUS_DRIVER_OK)) {
        /* QEMU: no configuration interrupt before DRIVER_OK, and no new generation either. A
         * conforming device moves ConfigGeneration whenever a driver could read a torn
         * configuration (§4.2.2.1): the strict profile does. */
        if (m->cfg.profile == PROFILE_STRICT)
            d->config_generation++;
        return;
    }
    d->config_generation++;
    raise_config_irq(m);
}

void mmio_device_set_broken(struct machine *m, const char *rule_id)
{
    /* legacy (no VERSION_1): QEMU sets no NEEDS_RESET and raises nothing */
    break_device(m, rule_id, NULL, version_1_negotiated(&m->dev));
}

const char mmio_note_irq_suppressed[] = "interrupt suppressed by avail.flags";
const char mmio_note_irq_suppressed_event[] = "interrupt suppressed by used_event";
const char mmio_note_reset[] = "device reset";

void mmio_device_fault_break(struct machine *m, const char *fault)
{
    break_device(m, NULL, fault, true); /* the fault is "set NEEDS_RESET": on any version */
}

void mmio_device_read_done(struct machine *m, uint32_t off)
{
    struct mmio_device *d = &m->dev;
    if (off < VIRTIO_MMIO_CONFIG || off >= VIRTIO_MMIO_WINDOW_SIZE)
        return;
    if (++d->config_reads == d->config_change_after) { /* the host changes the config */
        const struct device *dv = &m->device;
        const char *what = dv->ops->config_change ? dv->ops->config_change(dv->state, m)
                                                  : "configuration changed (device.config_change)";
        machine_trace(m, TR_DEVICE, 0, d->config_reads, 0, what);
        mmio_device_notify_config(m);
    }
}

void mmio_device_raise_used_irq(struct machine *m, uint32_t qi)
{
    struct dev_queue *q = &m->dev.q[qi];
    if (!q->live || device_faults_on_irq(m, &m->dfaults, qi, q->used_idx))
        return;
    struct ring_suppress why; /* §2.6.7: the driver suppressed it (flags, or used_event) */
    if (!ring_need_interrupt(q, &why)) {
        struct trace_event *s = machine_trace(m, TR_DEVICE, why.at, why.value, 2,
                                              why.by_event ? mmio_note_irq_suppressed_event
                                                           : mmio_note_irq_suppressed);
        if (s) {
            s->queue = (uint8_t)qi;
            if (why.by_event)
                s->aux = why.now;
        }
        rf_irq_suppressed(m, qi, why.by_event, why.at, why.value, why.now, why.old);
        return;
    }
    bool edge = m->dev.isr == 0; /* the line rises only if it was low: an unacknowledged
                                  * interrupt hides the next one from an edge-waiting driver */
    if (m->cfg.transport == TRANSPORT_PCI) /* INTx or an MSI-X message (pci_function.h) */
        edge = pci_function_signal(m, (int)qi, edge);
    m->dev.isr |= VIRTIO_MMIO_INT_VRING;
    m->dev.irq_edges += edge;
    struct trace_event *e = machine_trace(m, TR_IRQ, 0, m->dev.isr, 0, "used");
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = edge;
    }
    rf_irq(&m->facts, qi, m->now, edge);
}

/* Version 1: QEMU's virtio_queue_update_rings, on every QueueNum/QueueAlign/QueuePFN write. */
static void legacy_update_rings(struct machine *m, uint32_t qi)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint64_t desc = (uint64_t)q->pfn << m->dev.guest_page_shift;
    if (!q->num || !desc || !q->align)
        return;
    uint64_t avail = desc + 16ull * q->num;
    /* QEMU's round-up (used_event left out, any QueueAlign): ring_layout.c, shared with
     * `vqsim explain --layout`. */
    ring_configure(q, q->num, desc, avail, rl_legacy_used(desc, q->num, q->align));
}

static struct dev_queue *selected(struct mmio_device *d)
{
    return d->queue_sel < d->n_queues ? &d->q[d->queue_sel] : NULL;
}

uint32_t mmio_device_read(struct machine *m, uint32_t off, const char **note)
{
    struct mmio_device *d = &m->dev;
    struct dev_queue *q = selected(d);
    *note = NULL;
    if ((*note = other_version_note(off, d->version)))
        return 0;
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return d->magic;
    case VIRTIO_MMIO_VERSION: return d->version_shown;
    case VIRTIO_MMIO_DEVICE_ID: return d->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return MMIO_VENDOR_QEMU;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (d->version == 1) /* legacy shows only the low half */
            return d->dev_features_sel ? 0 : (uint32_t)d->host_features;
        return d->dev_features_sel ? (uint32_t)(d->host_features >> 32) : (uint32_t)d->host_features;
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? MMIO_QUEUE_NUM_MAX : 0;
    case VIRTIO_MMIO_QUEUE_PFN:
        return q ? (uint32_t)(q->desc >> d->guest_page_shift) : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr;
    case VIRTIO_MMIO_STATUS: return d->status;
    case VIRTIO_MMIO_CONFIG_GENERATION: {
        uint32_t v = d->config_generation;
        device_faults_on_config_read(m, DF_FIELD_GENERATION, &v); /* garbage-config generation */
        return v;
    }
    default:
        break;
    }
    if (off >= VIRTIO_MMIO_CONFIG && off < VIRTIO_MMIO_WINDOW_SIZE) {
        uint32_t v = m->device.ops->config_read(m->device.state, m, off - VIRTIO_MMIO_CONFIG);
        device_faults_on_config_read(m, off - VIRTIO_MMIO_CONFIG, &v); /* garbage-config */
        return v;
    }
    if (off == VIRTIO_MMIO_QUEUE_RESET && mmio_queue_reset_active(m)) /* offered: VirtIO 1.2 */
        return mmio_queue_reset_read(m, note);
    const struct mmio_later_reg *later = mmio_reg_later(off);
    if (later && later->all_ones) {
        *note = "answered as QEMU 7.2 does: all ones, no shared memory region (VirtIO 1.2)";
        return 0xffffffffu;
    }
    *note = later ? "ignored: QEMU 7.2 does not implement this VirtIO 1.2 register (reads 0)"
                  : "ignored: not a readable register";
    return 0;
}

void mmio_device_reset(struct machine *m, const char *by)
{
    /* What the reset throws away: requests taken and not answered, or available and not yet
     * taken (QEMU frees them without a used element). */
    uint64_t lost = 0, lost_q[MMIO_NUM_QUEUES] = {0};
    uint32_t live = 0;
    for (uint32_t i = 0; i < m->dev.n_queues; i++) {
        const struct dev_queue *q = &m->dev.q[i];
        if (!q->live)
            continue;
        live |= 1u << i;
        lost_q[i] = q->inuse + ring_avail_chains(q, UINT32_MAX); /* whatever the ring's format */
        lost += lost_q[i];
    }
    reset_device(&m->dev);
    if (m->cfg.transport == TRANSPORT_PCI) /* the transport's own state: vectors unmapped */
        pci_function_on_reset(&m->pci);
    m->device.ops->reset(m->device.state, m);
    device_faults_on_reset(m);
    pace_on_reset(m);
    struct trace_event *e = machine_trace(m, TR_DEVICE, 0, lost, 0, mmio_note_reset);
    if (e) {
        e->aux = live;
        e->note = by;
    }
    rf_reset(m, by, lost_q, live);
}

/* The Status write; a note when the device refused it. */
static const char *set_status(struct machine *m, uint32_t value)
{
    struct mmio_device *d = &m->dev;
    if (d->n_status_history < MMIO_MAX_STATUS_HISTORY)
        d->status_history[d->n_status_history++] = (uint8_t)value;
    if ((value & 0xff) == 0) {
        mmio_device_reset(m, "the driver (Status = 0)");
        return NULL;
    }
    if (d->version == 2 && (value & VIRTIO_STATUS_FEATURES_OK) &&
        !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Apply the accepted features, dropping any not offered (QEMU masks silently). */
        uint64_t want = (uint64_t)d->guest_features_reg[1] << 32 | d->guest_features_reg[0];
        d->guest_features = want & d->host_features;
        /* QEMU's virtio_validate_features, with VERSION_1 negotiated: a device that offers
         * ACCESS_PLATFORM refuses a driver that does not accept it. The Status write is then
         * dropped whole, so FEATURES_OK reads back clear (§3.1.1 step 6). */
        const uint64_t ap = 1ull << VIRTIO_F_ACCESS_PLATFORM;
        if (version_1_negotiated(d) && (d->host_features & ap) && !(d->guest_features & ap))
            return "refused: ACCESS_PLATFORM offered but not accepted (QEMU's "
                   "virtio_validate_features); Status unchanged";
    }
    d->status = (uint8_t)value;
    return NULL;
}

/* DeviceFeaturesSel, DriverFeaturesSel, DriverFeatures (§4.2.2, §3.1.1 step 4); a note when the
 * device ignored the write. */
static const char *features_write(struct mmio_device *d, uint32_t off, uint32_t value)
{
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_features_sel = value ? 1 : 0; return NULL;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_features_sel = value ? 1 : 0; return NULL;
    default: break; /* DriverFeatures */
    }
    if (d->version == 1) {
        if (d->drv_features_sel)
            return "ignored: a legacy device has only the low 32 feature bits";
        d->guest_features = value & d->host_features; /* applied at once on legacy */
        return NULL;
    }
    if (d->status & VIRTIO_STATUS_FEATURES_OK)
        return "ignored: features cannot change after FEATURES_OK";
    d->guest_features_reg[d->drv_features_sel] = value;
    return NULL;
}

/* The legacy queue registers (§4.2.4): GuestPageSize, QueueAlign, QueuePFN. */
static const char *legacy_queue_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct mmio_device *d = &m->dev;
    struct dev_queue *q = selected(d);
    if (off == VIRTIO_MMIO_GUEST_PAGE_SIZE) {
        d->guest_page_shift = value ? (uint32_t)__builtin_ctz(value) : 0;
        if (d->guest_page_shift > 31)
            d->guest_page_shift = 0;
        d->guest_page_size_written = true;
        return NULL;
    }
    if (off == VIRTIO_MMIO_QUEUE_ALIGN) {
        if (!q || !value)
            return "ignored: no queue selected or QueueAlign 0";
        q->align = value;
        legacy_update_rings(m, d->queue_sel);
        return NULL;
    }
    if (!q) /* QueuePFN */
        return "ignored: the selected queue does not exist";
    if (value == 0) { /* QEMU: QueuePFN 0 resets the whole device */
        mmio_device_reset(m, "the driver (QueuePFN = 0, a legacy device reset)");
        return NULL;
    }
    q->pfn = value;
    legacy_update_rings(m, d->queue_sel);
    return NULL;
}

/* QueueSel, QueueNum, QueueReady and the ring address halves (§4.2.2, §4.2.3.2). */
static const char *queue_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct mmio_device *d = &m->dev;
    struct dev_queue *q = selected(d);
    if (off == VIRTIO_MMIO_QUEUE_SEL) {
        if (value >= MMIO_QUEUE_NUM_MAX)
            return "ignored: QueueSel >= 1024 (the previous selection stays)";
        d->queue_sel = value;
        return NULL;
    }
    if (!q)
        return "ignored: the selected queue does not exist";
    if (off == VIRTIO_MMIO_QUEUE_NUM) {
        if (value == 0 || value > MMIO_QUEUE_NUM_MAX)
            return "ignored: QueueNum must be 1..QueueNumMax (QEMU keeps the old value)";
        q->num = value;
        ring_layout_touch(q);
        if (d->version == 1)
            legacy_update_rings(m, d->queue_sel);
        return NULL;
    }
    if (off == VIRTIO_MMIO_QUEUE_READY) {
        if (value) { /* the only moment QEMU latches the three addresses */
            q->ready = true;
            ring_configure(q, q->num, q->reg_desc, q->reg_driver, q->reg_device);
        } else {
            q->ready = false; /* QEMU 7.2 keeps the rings live; it only clears `enabled` */
        }
        return NULL;
    }
    uint64_t *r = off < VIRTIO_MMIO_QUEUE_DRIVER_LOW ? &q->reg_desc /* an address half */
                  : off < VIRTIO_MMIO_QUEUE_DEVICE_LOW ? &q->reg_driver
                                                       : &q->reg_device;
    if (off % 8 == 0)
        *r = (*r & 0xffffffff00000000ull) | value;
    else
        *r = (*r & 0xffffffffull) | (uint64_t)value << 32;
    ring_layout_touch(q);
    return NULL;
}

/* QueueNotify (§4.2.3.3): the device will look at the queue after its latency. */
static const char *notify_write(struct machine *m, uint32_t value)
{
    struct mmio_device *d = &m->dev;
    /* §4.2.3.3: with VIRTIO_F_NOTIFICATION_DATA the queue is the low 16 bits (vqn), the rest is
     * next_off / next_wrap (notify_data_check.h judges them; the device goes by the ring) */
    if (d->version == 2 && (d->guest_features >> VIRTIO_F_NOTIFICATION_DATA & 1u))
        value &= 0xffffu;
    if (value >= MMIO_QUEUE_NUM_MAX)
        return "ignored: queue index >= 1024";
    if (value >= d->n_queues)
        return "ignored: no such queue on this device";
    if (d->broken)
        return "ignored: the device is broken by an earlier error (reset it)";
    if (!d->q[value].live)
        return "ignored: the queue is not set up on the device (no ring address)";
    d->q[value].notifies++;
    /* avail.idx as the notify found it, read once for the notify check and the run facts (a
     * live ring's driver area is in RAM, mapped: ring.h) */
    uint16_t idx = 0;
    const struct dev_queue *q = &d->q[value];
    assert(!q->avail_host || q->avail_host + 2 == gm_ptr(&m->mem, q->avail + 2, 2));
    if (q->avail_host)
        memcpy(&idx, q->avail_host + 2, 2);
    else
        gm_read16(&m->mem, q->avail + 2, &idx);
    notify_kicked(&m->notify, value, ring_is_split(&d->q[value]), idx);
    rf_notify(&m->facts, value, m->now, idx, d->q[value].last_avail_idx);
    m->pace.armed[value] = true; /* device_pace.h: a reason to look */
    struct trace_event *e = machine_trace(m, TR_NOTIFY, 0, value, 0, NULL);
    if (e)
        e->queue = (uint8_t)value;
    machine_schedule_queue(m, value);
    return NULL;
}

void mmio_device_write(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    struct mmio_device *d = &m->dev;
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY) { /* every round trip's write: decoded first */
        *note = notify_write(m, value);
        return;
    }
    if ((*note = other_version_note(off, d->version)))
        return;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES:
        *note = features_write(d, off, value);
        return;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE:
    case VIRTIO_MMIO_QUEUE_ALIGN:
    case VIRTIO_MMIO_QUEUE_PFN:
        *note = legacy_queue_write(m, off, value);
        return;
    case VIRTIO_MMIO_QUEUE_SEL:
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        *note = queue_write(m, off, value);
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK: d->isr &= ~value; return;
    case VIRTIO_MMIO_STATUS: *note = set_status(m, value); return;
    default: break;
    }
    if (off >= VIRTIO_MMIO_CONFIG && off < VIRTIO_MMIO_WINDOW_SIZE) {
        m->device.ops->config_write(m->device.state, m, off - VIRTIO_MMIO_CONFIG, value, note);
        return;
    }
    if (off == VIRTIO_MMIO_QUEUE_RESET && mmio_queue_reset_active(m)) { /* offered: VirtIO 1.2 */
        mmio_queue_reset_write(m, value, note);
        return;
    }
    *note = mmio_reg_later(off) ? "ignored: QEMU 7.2 does not implement this VirtIO 1.2 register"
                                : "ignored: not a writable register";
}
