/* pci_structures.c — the virtio structures inside the function's BARs (§4.1.4.3 common
 * configuration, §4.1.4.4 notifications, §4.1.4.5 ISR, §4.1.4.6 device configuration) and the
 * MSI-X table, decoded to the virtio core's operations as QEMU 7.2's virtio-pci does. See
 * pci_function.h. */
#include "model/transport/pci_function.h"

#include <assert.h>
#include <string.h>

#include "model/machine.h"
#include "spec/virtio_pci.h"
#include "spec/virtio_spec.h"

/* The common configuration's fields: start, width, name, and the virtio core register they are
 * (-1: PCI's own). */
static const struct common_field {
    uint32_t off, size;
    const char *name;
    int32_t virtio_off;
} fields[] = {
    {0x00, 4, "common.device_feature_select", VIRTIO_MMIO_DEVICE_FEATURES_SEL},
    {0x04, 4, "common.device_feature", VIRTIO_MMIO_DEVICE_FEATURES},
    {0x08, 4, "common.driver_feature_select", VIRTIO_MMIO_DRIVER_FEATURES_SEL},
    {0x0c, 4, "common.driver_feature", VIRTIO_MMIO_DRIVER_FEATURES},
    {0x10, 2, "common.msix_config", -1},
    {0x12, 2, "common.num_queues", -1},
    {0x14, 1, "common.device_status", VIRTIO_MMIO_STATUS},
    {0x15, 1, "common.config_generation", VIRTIO_MMIO_CONFIG_GENERATION},
    {0x16, 2, "common.queue_select", VIRTIO_MMIO_QUEUE_SEL},
    {0x18, 2, "common.queue_size", VIRTIO_MMIO_QUEUE_NUM},
    {0x1a, 2, "common.queue_msix_vector", -1},
    {0x1c, 2, "common.queue_enable", VIRTIO_MMIO_QUEUE_READY},
    {0x1e, 2, "common.queue_notify_off", -1},
    {0x20, 4, "common.queue_desc_lo", VIRTIO_MMIO_QUEUE_DESC_LOW},
    {0x24, 4, "common.queue_desc_hi", VIRTIO_MMIO_QUEUE_DESC_HIGH},
    {0x28, 4, "common.queue_driver_lo", VIRTIO_MMIO_QUEUE_DRIVER_LOW},
    {0x2c, 4, "common.queue_driver_hi", VIRTIO_MMIO_QUEUE_DRIVER_HIGH},
    {0x30, 4, "common.queue_device_lo", VIRTIO_MMIO_QUEUE_DEVICE_LOW},
    {0x34, 4, "common.queue_device_hi", VIRTIO_MMIO_QUEUE_DEVICE_HIGH},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct common_field *field_at(uint32_t off)
{
    for (uint32_t i = 0; i < N_FIELDS; i++)
        if (fields[i].off == off)
            return &fields[i];
    return NULL;
}

const char *pci_common_field_name(uint32_t off, uint32_t *size)
{
    const struct common_field *f = field_at(off);
    if (size)
        *size = f ? f->size : 0;
    return f ? f->name : NULL;
}

int32_t pci_common_virtio_off(uint32_t off)
{
    const struct common_field *f = field_at(off);
    return f ? f->virtio_off : -1;
}

int pci_common_field_offset(const char *name, uint32_t *size)
{
    for (uint32_t i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].name, name)) {
            *size = fields[i].size;
            return (int)fields[i].off;
        }
    return -1;
}

static const char *const device_names[] = {"device+0x0", "device+0x4", "device+0x8",
                                           "device+0xc", "device+0x10", "device+0x14",
                                           "device+0x18", "device+0x1c"};

static const char notify_field[] = "notify"; /* (one string: the fast decode's is the same) */

static void decode_modern(uint32_t off, uint8_t size, struct pci_hit *h)
{
    h->region = off < PCI_FN_ISR_OFF      ? PCI_R_COMMON
                : off < PCI_FN_DEVICE_OFF ? PCI_R_ISR
                : off < PCI_FN_NOTIFY_OFF ? PCI_R_DEVICE
                : off < PCI_FN_NOTIFY_OFF + PCI_FN_REGION_SIZE ? PCI_R_NOTIFY
                                                               : PCI_R_UNUSED;
    h->off = off % PCI_FN_REGION_SIZE;
    switch (h->region) {
    case PCI_R_COMMON: {
        const struct common_field *f = field_at(h->off);
        h->field = f ? f->name : "common (no field starts here)";
        h->virtio_off = f ? f->virtio_off : -1;
        if (!f)
            h->note = "ignored: no common-configuration field starts at this offset (QEMU)";
        break;
    }
    case PCI_R_ISR: h->field = "isr"; h->virtio_off = VIRTIO_MMIO_INTERRUPT_STATUS; break;
    case PCI_R_DEVICE:
        h->field = h->off / 4 < 8 ? device_names[h->off / 4] : "device";
        h->virtio_off = (int32_t)(VIRTIO_MMIO_CONFIG + (h->off & ~3u));
        if (h->off + size > 0x100u) {
            h->virtio_off = -1;
            h->note = "ignored: past the device configuration";
        }
        break;
    case PCI_R_NOTIFY:
        h->field = notify_field;
        h->queue = h->off / PCI_FN_NOTIFY_MULT; /* QEMU: the address names the queue */
        h->virtio_off = VIRTIO_MMIO_QUEUE_NOTIFY;
        break;
    default: h->field = "BAR4 (no structure)"; h->note = "ignored: no virtio structure here"; break;
    }
}

/* The general decode: any address, any BAR layout. */
static void decode_general(const struct machine *m, uint64_t addr, uint8_t size,
                           struct pci_hit *h)
{
    const struct pci_function *f = &m->pci;
    *h = (struct pci_hit){.virtio_off = -1};
    uint64_t modern = pci_function_bar_addr(f, PCI_FN_MODERN_BAR);
    uint64_t msix = pci_function_bar_addr(f, PCI_FN_MSIX_BAR);
    bool in_modern = modern && addr >= modern && addr - modern < PCI_FN_MODERN_SIZE;
    bool in_msix = msix && addr >= msix && addr - msix < PCI_FN_MSIX_SIZE;
    if ((in_modern || in_msix) && !(f->command & PCI_COMMAND_MEMORY)) {
        h->decode_off = true;
        h->field = in_modern ? "BAR4 (memory decoding off)" : "BAR1 (memory decoding off)";
        h->note = "no device answers: memory space decoding is off in the command register";
        return;
    }
    if (in_modern) {
        decode_modern((uint32_t)(addr - modern), size, h);
        if ((addr - modern) & (size - 1u)) { /* QEMU: the regions are not valid.unaligned */
            h->virtio_off = -1;
            h->note = "ignored: an unaligned access (QEMU 7.2's virtio-pci regions refuse it; "
                      "on arm64 QEMU also raises an external abort, x86 drops it)";
        }
    } else if (in_msix) {
        uint32_t off = (uint32_t)(addr - msix);
        h->region = off < PCI_FN_MSIX_PBA_OFF ? PCI_R_MSIX_TABLE : PCI_R_MSIX_PBA;
        h->off = off % PCI_FN_MSIX_PBA_OFF;
        h->field = h->region == PCI_R_MSIX_TABLE ? "msix.table" : "msix.pba";
    } else {
        h->field = NULL;
        h->note = "no device at this address";
    }
}

#ifndef NDEBUG
/* Builds with assertions: the notify window decodes an access as the general decode does. */
static void check_notify_hit(const struct machine *m, uint64_t addr, uint8_t size,
                             const struct pci_hit *h)
{
    struct pci_hit g;
    decode_general(m, addr, size, &g);
    assert(g.region == h->region && g.off == h->off && g.field == h->field &&
           g.virtio_off == h->virtio_off && g.queue == h->queue && g.note == h->note &&
           g.decode_off == h->decode_off);
}
#else
#define check_notify_hit(m, addr, size, h) ((void)0)
#endif

/* §4.1.4.4: an aligned access inside the notify structure (every round trip's write) by the
 * window cached for this BAR layout (pci_function.notify_at); anything else the general way. */
void pci_function_decode(const struct machine *m, uint64_t addr, uint8_t size, bool write,
                         struct pci_hit *h)
{
    (void)write;
    uint64_t at = m->pci.notify_at, off = addr - at;
    if (at && addr >= at && off < PCI_FN_REGION_SIZE && !(off & (size - 1u))) {
        *h = (struct pci_hit){.region = PCI_R_NOTIFY, .off = (uint32_t)off,
                              .field = notify_field, .virtio_off = VIRTIO_MMIO_QUEUE_NOTIFY,
                              .queue = (uint32_t)off / PCI_FN_NOTIFY_MULT};
        check_notify_hit(m, addr, size, h);
        return;
    }
    decode_general(m, addr, size, h);
}

static uint32_t truncate(uint32_t v, uint8_t size)
{
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1u);
}

/* The common configuration's PCI-own fields and those whose value PCI shapes (§4.1.4.3). */
static uint32_t common_read(struct machine *m, const struct pci_hit *h, const char **note)
{
    struct pci_function *f = &m->pci;
    uint32_t sel = m->dev.queue_sel;
    bool q = sel < m->dev.n_queues;
    switch (h->off) {
    case 0x10: return f->config_vector;
    case 0x12: return f->n_queues;
    case 0x18: return q ? m->dev.q[sel].num : 0; /* virtio_queue_get_num */
    case 0x1a: return q ? f->queue_vector[sel] : VIRTIO_MSI_NO_VECTOR;
    case 0x1e: return sel; /* queue_notify_off: QEMU maps queues in order */
    case 0x16: return sel;
    default: break;
    }
    if (h->virtio_off < 0)
        return 0;
    return mmio_device_read(m, (uint32_t)h->virtio_off, note);
}

uint32_t pci_function_read(struct machine *m, const struct pci_hit *h, uint8_t size,
                           const char **note)
{
    struct pci_function *f = &m->pci;
    *note = h->note;
    if (h->decode_off || h->region == PCI_R_NONE)
        return truncate(0xffffffffu, size);
    switch (h->region) {
    case PCI_R_COMMON: return truncate(common_read(m, h, note), size);
    case PCI_R_ISR: {
        uint32_t v = m->dev.isr; /* §4.1.4.5: the device resets it to 0 on read */
        m->dev.isr = 0;
        return truncate(v, size);
    }
    case PCI_R_DEVICE: {
        uint32_t v = h->virtio_off < 0 ? 0 : mmio_device_read(m, (uint32_t)h->virtio_off, note);
        return truncate(v >> (8 * (h->off & 3u)), size);
    }
    case PCI_R_MSIX_TABLE:
        if (h->off / PCI_MSIX_ENTRY_SIZE < f->n_vectors)
            return truncate(f->msix_table[h->off / 16][(h->off % 16) / 4], size);
        return 0;
    default: return 0; /* notify reads 0; PBA: nothing pending is modelled */
    }
}

/* A vector write (msix_config, queue_msix_vector): kept below the table size, else NO_VECTOR
 * (QEMU 7.2, "make it possible for guest to discover an error took place"). */
static uint16_t vector_accept(const struct pci_function *f, uint32_t value)
{
    return value < f->n_vectors ? (uint16_t)value : VIRTIO_MSI_NO_VECTOR;
}

static void common_write(struct machine *m, const struct pci_hit *h, uint32_t value,
                         const char **note)
{
    struct pci_function *f = &m->pci;
    uint32_t sel = m->dev.queue_sel;
    switch (h->off) {
    case 0x10: f->config_vector = vector_accept(f, value & 0xffffu); return;
    case 0x1a:
        if (sel < m->dev.n_queues)
            f->queue_vector[sel] = vector_accept(f, value & 0xffffu);
        return;
    case 0x04: case 0x12: case 0x15: case 0x1e:
        *note = "ignored: a read-only field";
        return;
    default: break;
    }
    if (h->virtio_off < 0)
        return;
    mmio_device_write(m, (uint32_t)h->virtio_off, value, note); /* a reset unmaps the vectors */
}

void pci_function_write(struct machine *m, const struct pci_hit *h, uint8_t size, uint32_t value,
                        const char **note)
{
    struct pci_function *f = &m->pci;
    *note = h->note;
    value = truncate(value, size);
    if (h->decode_off || h->region == PCI_R_NONE || *note)
        return;
    switch (h->region) {
    case PCI_R_COMMON: common_write(m, h, value, note); return;
    case PCI_R_DEVICE:
        if (size != 4 || (h->off & 3u)) {
            *note = "ignored by the model: a device-configuration write narrower than 32 bits";
            return;
        }
        mmio_device_write(m, (uint32_t)h->virtio_off, value, note);
        return;
    case PCI_R_NOTIFY: mmio_device_write(m, VIRTIO_MMIO_QUEUE_NOTIFY, h->queue, note); return;
    case PCI_R_MSIX_TABLE:
        if (h->off / PCI_MSIX_ENTRY_SIZE < f->n_vectors && size == 4)
            f->msix_table[h->off / 16][(h->off % 16) / 4] = value;
        return;
    case PCI_R_ISR: *note = "ignored: the ISR status is read-only"; return;
    default: return;
    }
}
