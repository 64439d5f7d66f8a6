/* vqrec_pci.c — the virtio-pci functions of the guest (VirtIO 1.1 §4.1), as QEMU 7.2 lays them out
 * (virtio-pci modern, page-per-vq off): what the plugin records of them and what it follows.
 *
 * Configuration space: QEMU traces an ECAM access at its offset in the ECAM (the region is only
 * aliased into the address space), so the first one matched tells the ECAM's base
 * (vqrec_qemu_log.c: take_mmio). A function's accesses are recorded from the read of its vendor
 * id that shows 0x1af4 on (virtio, §4.1.2): a guest enumerating the bus reads every function's
 * vendor id first, and other functions' accesses are not the checker's business. The ECAM event
 * (recording.h: VQREC_PCI_ECAM) precedes the first recorded one.
 *
 * BARs: every access to a region QEMU names "virtio-pci-{common,isr,device,notify}-<device>"
 * or "msix-table" / "msix-pba" is recorded at its address. The plugin follows the common
 * configuration and the notifies of each function (its structures BAR: 16 KiB, naturally
 * aligned, so the function is the address rounded down to it) as it follows a virtio-mmio
 * window: the field a common-configuration access reaches is the same virtio operation as a
 * virtio-mmio register (queue_desc = QueueDesc…), and a notify names its queue by its address
 * (QEMU: offset / 4). The replay decodes all of it again through the model's function; this only
 * finds the rings and dumps what the device reads. */
#include <stdbool.h>
#include <stdint.h>

#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"

#define VENDOR_VIRTIO 0x1af4u
#define ECAM_MAX 0x10000000ull   /* 256 buses of 1 MiB */
#define NOTIFY_MULT 4u           /* QEMU 7.2's notify_off_multiplier (page-per-vq off) */

static uint8_t virtio_fn[65536 / 8]; /* functions whose vendor id read 0x1af4 */
static int ecam_told;

/* The common-configuration field at `off` as the virtio-mmio register it stands for (§4.1.4.3 vs
 * §4.2.2), or 0 when the plugin need not follow it. */
static uint32_t common_as_register(uint32_t off, int store)
{
    switch (off) {
    case 0x08: return R_DRIVER_FEATURES_SEL;
    case 0x0c: return R_DRIVER_FEATURES;
    case 0x14: return R_STATUS;
    case 0x16: return R_QUEUE_SEL;
    case 0x18: return store ? R_QUEUE_NUM : R_QUEUE_NUM_MAX; /* queue_size */
    case 0x1c: return R_QUEUE_READY;                         /* queue_enable */
    case 0x20: return R_DESC_LO;
    case 0x24: return R_DESC_HI;
    case 0x28: return R_DRIVER_LO;
    case 0x2c: return R_DRIVER_HI;
    case 0x30: return R_DEVICE_LO;
    case 0x34: return R_DEVICE_HI;
    default: return 0;
    }
}

bool pci_common_is_status(uint64_t pa)
{
    return common_as_register((uint32_t)(pa & 0xfff), 1) == R_STATUS;
}

static void ecam_access(unsigned cpu, uint64_t pa, unsigned size, int store, uint64_t value,
                        uint64_t pc, uint8_t flags)
{
    uint64_t base = ecam_base(), off = pa - base;
    uint32_t bdf = (uint32_t)(off >> 12) & 0xffffu;
    if (!store && (off & 0xfff) == 0 && size >= 2 && (value & 0xffff) == VENDOR_VIRTIO)
        virtio_fn[bdf / 8] |= (uint8_t)(1u << bdf % 8);
    if (!(virtio_fn[bdf / 8] >> bdf % 8 & 1))
        return;
    if (!ecam_told) { /* its size: ECAM is aligned to it (256 buses at most) */
        uint64_t align = base ? base & -base : ECAM_MAX;
        emit(VQREC_PCI_ECAM, 0, 0, cpu, base, align < ECAM_MAX ? align : ECAM_MAX, 0, NULL, 0);
        ecam_told = 1;
    }
    emit_access(store ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, (uint8_t)size, flags, cpu, pa, value,
                pc);
}

void pci_access(unsigned cpu, int kind, uint64_t pa, unsigned size, int store, uint64_t value,
                uint64_t pc, uint8_t flags)
{
    if (kind == MR_ECAM) {
        ecam_access(cpu, pa, size, store, value, pc, flags);
        return;
    }
    emit_access(store ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, (uint8_t)size, flags, cpu, pa, value,
                pc);
    if (kind != MR_PCI_COMMON && !(kind == MR_PCI_NOTIFY && store))
        return;
    struct window *w = pci_window_of(pa & ~(uint64_t)(PCI_BAR_STRUCTS - 1));
    if (!w)
        return;
    uint32_t off = (uint32_t)(pa & 0xfff);
    if (kind == MR_PCI_NOTIFY) {
        mmio_access(cpu, w, R_QUEUE_NOTIFY, 1, off / NOTIFY_MULT);
        return;
    }
    uint32_t reg = common_as_register(off, store);
    if (reg)
        mmio_access(cpu, w, reg, store, value);
}
