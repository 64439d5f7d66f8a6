/* pci_function.h — the virtio-pci transport of the simulated device (VirtIO 1.1 §4.1), laid out
 * as QEMU 7.2's virtio-pci proxy lays out a modern device on the `virt` machine's PCIe root bus:
 *
 *   configuration space  vendor 0x1af4, device 0x1040 + id, revision 1, subsystem 0x1af4:0x1100,
 *                        INTA; capabilities (the list's head first, as QEMU links them):
 *                        0x98 MSI-X (3 vectors), 0x84 PCI-cfg access, 0x70 notify,
 *                        0x60 device, 0x50 ISR, 0x40 common
 *   BAR1                 32-bit memory, 4 KiB: the MSI-X table at 0, the PBA at 0x800
 *   BAR4 (+BAR5)         64-bit prefetchable memory, 16 KiB: common 0x0000, ISR 0x1000,
 *                        device 0x2000, notify 0x3000 (notify_off_multiplier 4,
 *                        queue_notify_off = the queue's index)
 *
 * The virtio state behind it (features, status, queues, ISR, config generation, the device model)
 * is the machine's one virtio device core (struct mmio_device with the modern register file): an
 * access to a virtio structure is decoded here to the operation it is — a common-configuration
 * field, a notify, an ISR read, a device-config access — and applied to that core at its
 * equivalent register (struct pci_hit.virtio_off), so every transport-neutral rule (§2, §3) and the
 * diagnosis see the same operations on either transport. What is PCI's own (configuration space,
 * BARs, the command register, MSI-X vectors and table, num_queues, queue_notify_off, access
 * widths) lives here.
 *
 * Behaviour as QEMU 7.2: BAR accesses reach the device only while memory space decoding is on
 * (command bit 1; else they read all-ones); an access not aligned to its own size is refused
 * (the regions are not valid.unaligned); the common configuration accepts aligned 1-, 2- and
 * 4-byte accesses and dispatches by the access's start offset (a wrong width at a field's start
 * acts on that field, truncated; an access starting inside a field is ignored and reads 0); a
 * notify names its queue by address (offset / multiplier), the value written is not used; reading the
 * ISR clears it; a vector write below the table size (3) is kept, any other reads back
 * VIRTIO_MSI_NO_VECTOR; a device reset unmaps every vector.
 */
#ifndef PCI_FUNCTION_H
#define PCI_FUNCTION_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"
#include "spec/virtio_pci.h"

struct machine;

#define PCI_FN_BDF 0x0008u          /* 00:01.0: where QEMU's virt puts the first -device */
#define PCI_FN_ECAM_BASE 0x3f000000ull /* virt's (low) ECAM: configuration accesses are traced
                                      * at ECAM + (bdf << 12) + offset */
#define PCI_FN_ECAM_SIZE 0x1000000ull  /* 16 buses */
#define PCI_FN_MODERN_BAR 4u
#define PCI_FN_MSIX_BAR 1u
#define PCI_FN_MODERN_SIZE 0x4000u
#define PCI_FN_MSIX_SIZE 0x1000u
#define PCI_FN_COMMON_OFF 0x0000u
#define PCI_FN_ISR_OFF 0x1000u
#define PCI_FN_DEVICE_OFF 0x2000u
#define PCI_FN_NOTIFY_OFF 0x3000u
#define PCI_FN_REGION_SIZE 0x1000u
#define PCI_FN_NOTIFY_MULT 4u        /* QEMU 7.2 default (page-per-vq=off) */
#define PCI_FN_MSIX_VECTORS 3u       /* the most "vectors" of a device modelled (the gpu's, net's);
                                        a function's own: pci_function.n_vectors */
#define PCI_FN_MSIX_PBA_OFF 0x800u

/* Capability offsets in configuration space (see the header comment). */
#define PCI_FN_CAP_COMMON 0x40u
#define PCI_FN_CAP_ISR 0x50u
#define PCI_FN_CAP_DEVICE 0x60u
#define PCI_FN_CAP_NOTIFY 0x70u
#define PCI_FN_CAP_PCI_CFG 0x84u
#define PCI_FN_CAP_MSIX 0x98u

enum pci_region {
    PCI_R_NONE = 0,  /* no BAR, or memory decoding off */
    PCI_R_COMMON,
    PCI_R_ISR,
    PCI_R_DEVICE,
    PCI_R_NOTIFY,
    PCI_R_MSIX_TABLE,
    PCI_R_MSIX_PBA,
    PCI_R_UNUSED,    /* inside a BAR, outside every structure */
};

/* What one memory access reached, for the checks, the trace and the diagnosis. */
struct pci_hit {
    enum pci_region region;
    uint32_t off;          /* offset inside the region */
    const char *field;     /* static: "common.queue_select", "notify", "isr", "device+0x8"... */
    int32_t virtio_off;    /* the equivalent register of the virtio core (a VIRTIO_MMIO_*
                            * offset), or -1 when the access is PCI's own or was ignored */
    uint32_t queue;        /* a notify: the queue its address names */
    const char *note;      /* static: why the device ignored it, else NULL */
    bool decode_off;       /* the address is inside an assigned BAR, memory decoding off */
};

struct pci_function {
    uint8_t cfg[256];                   /* configuration space as read (BARs, command aside) */
    uint32_t bar[6];                    /* what each BAR register holds */
    uint32_t bar_mask[6];               /* its size mask (0: not implemented) */
    uint16_t command;
    uint16_t msix_control;              /* enable and mask-all bits */
    uint32_t msix_table[PCI_FN_MSIX_VECTORS][4];
    uint16_t config_vector;
    uint16_t queue_vector[DEVICE_MAX_QUEUES];
    uint32_t n_queues;
    uint32_t n_vectors;                 /* its MSI-X table's entries (device_ops.pci_vectors) */
    /* Where the notify structure decodes at this BAR layout and command register (0: nowhere,
     * BAR4 unassigned or memory decoding off): set by pci_function_layout_changed on every
     * write that may move it, so a notify, every round trip's write, is decoded by one compare
     * (pci_function_decode; builds with assertions compare it with the general decode). */
    uint64_t notify_at;
};

/* The function of device type `dev`, as after power-on (BARs unassigned, decoding off). */
void pci_function_init(struct pci_function *f, const struct device_ops *dev);
/* A BAR or the command register changed: where the notify structure decodes (notify_at). */
void pci_function_layout_changed(struct pci_function *f);

/* Configuration space (vhal_pci_cfg_*): 32-bit accesses at 4-byte aligned `off` of function
 * `bdf`; another bdf reads all-ones. *note: why a write was ignored, else NULL. */
uint32_t pci_function_cfg_read(struct machine *m, uint32_t bdf, uint32_t off);
void pci_function_cfg_write(struct machine *m, uint32_t bdf, uint32_t off, uint32_t value,
                            const char **note);

/* A memory access of `size` bytes (1, 2, 4) at guest-physical `addr`: decoded into *hit, then
 * applied. Virtio-core operations go through the register file (mmio_device_read/write at
 * hit->virtio_off); the caller (the HAL) runs the checks around them. */
void pci_function_decode(const struct machine *m, uint64_t addr, uint8_t size, bool write,
                         struct pci_hit *hit);
uint32_t pci_function_read(struct machine *m, const struct pci_hit *hit, uint8_t size,
                           const char **note);
void pci_function_write(struct machine *m, const struct pci_hit *hit, uint8_t size,
                        uint32_t value, const char **note);

/* The device raises an interrupt for queue `qi` (-1: a configuration change); `line_edge`: the
 * INTx line rose. True when the CPU gets an interrupt: with MSI-X enabled, a message on the
 * event's vector unless it is VIRTIO_MSI_NO_VECTOR or masked (§4.1.5.1.2: "the ISR Status is
 * unused"; QEMU sends one message per event); else INTx, as the line rose, unless the command
 * register disables it. */
bool pci_function_signal(struct machine *m, int qi, bool line_edge);

/* The device was reset (QEMU virtio_reset): every vector unmapped. */
void pci_function_on_reset(struct pci_function *f);

/* The address BAR i decodes at (0: unassigned), and whether memory decoding is on. */
static inline uint64_t pci_function_bar_addr(const struct pci_function *f, uint32_t i)
{
    if (i >= 6 || !f->bar_mask[i])
        return 0;
    uint64_t a = f->bar[i] & PCI_BAR_MEM_MASK;
    if (i == PCI_FN_MODERN_BAR)
        a |= (uint64_t)f->bar[i + 1] << 32;
    return a;
}

/* Name of a common-configuration field at `off` (its start), or NULL; and the reverse (-1). */
const char *pci_common_field_name(uint32_t off, uint32_t *size);
int pci_common_field_offset(const char *name, uint32_t *size);
/* The virtio core register (VIRTIO_MMIO_*) the common-configuration field at `off` stands for;
 * -1 when it is PCI's own or no field starts there. */
int32_t pci_common_virtio_off(uint32_t off);

#endif /* PCI_FUNCTION_H */
