/* pci_function.c — the virtio-pci function's configuration space: ids, BARs (sized and assigned
 * by the driver), the command register, the capability list and the MSI-X capability. The
 * structures inside the BARs: pci_structures.c. See pci_function.h. */
#include "model/transport/pci_function.h"

#include <string.h>

#include "model/machine.h"
#include "spec/virtio_pci.h"

static void put16(uint8_t *c, uint32_t off, uint16_t v)
{
    c[off] = (uint8_t)v;
    c[off + 1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *c, uint32_t off, uint32_t v)
{
    put16(c, off, (uint16_t)v);
    put16(c, off + 2, (uint16_t)(v >> 16));
}
static uint32_t get32(const uint8_t *c, uint32_t off)
{
    return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
           (uint32_t)c[off + 3] << 24;
}

/* One virtio vendor capability (§4.1.4) at `at`, linked to `next`. */
static void virtio_cap(uint8_t *c, uint8_t at, uint8_t next, uint8_t len, uint8_t type,
                       uint32_t offset, uint32_t length)
{
    c[at] = PCI_CAP_ID_VNDR;
    c[at + 1] = next;
    c[at + 2] = len;
    c[at + 3] = type;
    c[at + 4] = type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : PCI_FN_MODERN_BAR;
    put32(c, at + 8, type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : offset);
    put32(c, at + 12, type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : length);
}

void pci_function_init(struct pci_function *f, const struct device_ops *dev)
{
    memset(f, 0, sizeof(*f));
    uint8_t *c = f->cfg;
    put16(c, PCI_CFG_VENDOR_ID, VIRTIO_PCI_VENDOR);
    put16(c, PCI_CFG_DEVICE_ID, (uint16_t)(VIRTIO_PCI_MODERN_BASE + dev->device_id));
    put16(c, PCI_CFG_STATUS, PCI_STATUS_CAP_LIST);
    c[PCI_CFG_REVISION] = 1;   /* §4.1.2.1: non-transitional devices SHOULD have 1 or higher */
    f->n_vectors = dev->pci_vectors && dev->pci_vectors <= PCI_FN_MSIX_VECTORS
                       ? dev->pci_vectors : PCI_FN_MSIX_VECTORS;
    put16(c, PCI_CFG_CLASS + 1, dev->pci_class ? dev->pci_class : 0xff80); /* QEMU's class_id */
    put16(c, PCI_CFG_SUBSYS_VENDOR, VIRTIO_PCI_VENDOR);
    put16(c, PCI_CFG_SUBSYS_ID, 0x1100); /* QEMU's PCI_SUBDEVICE_ID_QEMU */
    c[PCI_CFG_INT_PIN] = 1; /* INTA */
    c[PCI_CFG_CAP_PTR] = PCI_FN_CAP_MSIX;
    /* The list as QEMU links it: each capability added becomes the head. */
    c[PCI_FN_CAP_MSIX] = PCI_CAP_ID_MSIX;
    c[PCI_FN_CAP_MSIX + 1] = PCI_FN_CAP_PCI_CFG;
    put16(c, PCI_FN_CAP_MSIX + PCI_MSIX_FLAGS, (uint16_t)(f->n_vectors - 1u));
    put32(c, PCI_FN_CAP_MSIX + PCI_MSIX_TABLE, PCI_FN_MSIX_BAR);
    put32(c, PCI_FN_CAP_MSIX + PCI_MSIX_PBA, PCI_FN_MSIX_PBA_OFF | PCI_FN_MSIX_BAR);
    virtio_cap(c, PCI_FN_CAP_PCI_CFG, PCI_FN_CAP_NOTIFY, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
    virtio_cap(c, PCI_FN_CAP_NOTIFY, PCI_FN_CAP_DEVICE, 20, VIRTIO_PCI_CAP_NOTIFY_CFG,
               PCI_FN_NOTIFY_OFF, PCI_FN_REGION_SIZE);
    put32(c, PCI_FN_CAP_NOTIFY + 16, PCI_FN_NOTIFY_MULT);
    virtio_cap(c, PCI_FN_CAP_DEVICE, PCI_FN_CAP_ISR, 16, VIRTIO_PCI_CAP_DEVICE_CFG,
               PCI_FN_DEVICE_OFF, PCI_FN_REGION_SIZE);
    virtio_cap(c, PCI_FN_CAP_ISR, PCI_FN_CAP_COMMON, 16, VIRTIO_PCI_CAP_ISR_CFG, PCI_FN_ISR_OFF,
               PCI_FN_REGION_SIZE);
    virtio_cap(c, PCI_FN_CAP_COMMON, 0, 16, VIRTIO_PCI_CAP_COMMON_CFG, PCI_FN_COMMON_OFF,
               PCI_FN_REGION_SIZE);
    f->bar_mask[PCI_FN_MSIX_BAR] = ~(PCI_FN_MSIX_SIZE - 1u);
    f->bar_mask[PCI_FN_MODERN_BAR] = ~(PCI_FN_MODERN_SIZE - 1u);
    f->bar_mask[PCI_FN_MODERN_BAR + 1] = 0xffffffffu; /* the high half */
    f->bar[PCI_FN_MODERN_BAR] = PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH;
    f->n_queues = dev->n_queues;
    for (uint32_t v = 0; v < f->n_vectors; v++) /* the Mask Bit is 1 after reset (PCI */
        f->msix_table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* 3.0 §6.8.2.9; QEMU msix_mask_all) */
    pci_function_on_reset(f);
    pci_function_layout_changed(f);
}

void pci_function_layout_changed(struct pci_function *f)
{
    uint64_t modern = pci_function_bar_addr(f, PCI_FN_MODERN_BAR);
    f->notify_at = modern && (f->command & PCI_COMMAND_MEMORY) ? modern + PCI_FN_NOTIFY_OFF : 0;
}

void pci_function_on_reset(struct pci_function *f)
{
    f->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (uint32_t q = 0; q < DEVICE_MAX_QUEUES; q++)
        f->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
}


uint32_t pci_function_cfg_read(struct machine *m, uint32_t bdf, uint32_t off)
{
    const struct pci_function *f = &m->pci;
    if (bdf != PCI_FN_BDF || off >= PCI_CFG_SIZE)
        return 0xffffffffu; /* nothing at this function */
    off &= ~3u;
    if (off >= PCI_CFG_BAR0 && off < PCI_CFG_BAR0 + 24)
        return f->bar[(off - PCI_CFG_BAR0) / 4];
    uint32_t v = get32(f->cfg, off);
    if (off == PCI_CFG_COMMAND)
        return (v & 0xffff0000u) | f->command;
    if (off == PCI_FN_CAP_MSIX)
        return (v & 0x0000ffffu) | (uint32_t)((f->n_vectors - 1u) | f->msix_control) << 16;
    return v;
}

/* A BAR register write: the size mask keeps the type bits and drops the bits below the size. */
static void bar_write(struct pci_function *f, uint32_t i, uint32_t value)
{
    uint32_t type = i == PCI_FN_MODERN_BAR ? (PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH) : 0;
    f->bar[i] = (value & f->bar_mask[i]) | type;
}

void pci_function_cfg_write(struct machine *m, uint32_t bdf, uint32_t off, uint32_t value,
                            const char **note)
{
    struct pci_function *f = &m->pci;
    *note = NULL;
    if (bdf != PCI_FN_BDF || off >= PCI_CFG_SIZE) {
        *note = "ignored: no function at this address";
        return;
    }
    off &= ~3u;
    if (off >= PCI_CFG_BAR0 && off < PCI_CFG_BAR0 + 24) {
        bar_write(f, (off - PCI_CFG_BAR0) / 4, value);
        pci_function_layout_changed(f);
    } else if (off == PCI_CFG_COMMAND) {
        f->command = (uint16_t)(value & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                         PCI_COMMAND_INTX_DISABLE));
        pci_function_layout_changed(f);
    } else if (off == PCI_FN_CAP_MSIX) {
        f->msix_control = (uint16_t)((value >> 16) & (PCI_MSIX_FLAGS_ENABLE |
                                                      PCI_MSIX_FLAGS_MASKALL));
    } else if (off >= PCI_FN_CAP_PCI_CFG + 4 && off < PCI_FN_CAP_PCI_CFG + 20) {
        put32(f->cfg, off, value); /* §4.1.4.7: bar, offset, length, data are the driver's */
    } else {
        *note = "ignored: a read-only part of configuration space";
    }
}

bool pci_function_signal(struct machine *m, int qi, bool line_edge)
{
    const struct pci_function *f = &m->pci;
    if (!(f->msix_control & PCI_MSIX_FLAGS_ENABLE))
        return line_edge && !(f->command & PCI_COMMAND_INTX_DISABLE);
    uint16_t v = qi < 0 ? f->config_vector
                        : (uint32_t)qi < DEVICE_MAX_QUEUES ? f->queue_vector[qi]
                                                           : VIRTIO_MSI_NO_VECTOR;
    bool masked = (f->msix_control & PCI_MSIX_FLAGS_MASKALL) ||
                  (v < f->n_vectors && (f->msix_table[v][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT));
    if (v == VIRTIO_MSI_NO_VECTOR || masked) {
        rf_pci_msix_lost(m, qi, v);
        return false;
    }
    return true;
}
