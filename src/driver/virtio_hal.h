/* virtio_hal.h — the seam: every platform access the driver makes goes through these functions.
 *
 * A kernel implements this header with real loads, stores and barrier instructions; vqsim
 * implements it on top of the simulated machine (src/harness/hal_sim.c), which records every
 * call in program order. The driver includes nothing else from the platform, so the same driver
 * source runs against the model, bare metal, or a foreign kernel.
 *
 * Contract:
 * - MMIO: naturally aligned 32-bit accesses at `addr` (the register window's address as the
 *   driver sees it plus the register offset). Accesses are ordered with respect to each other
 *   and to the barriers below, as device memory is on every architecture. The 8- and 16-bit
 *   forms are for virtio-pci, whose structures have fields of those widths and want each
 *   accessed at its own width (§4.1.3.1); virtio-mmio uses only the 32-bit ones.
 * - PCI configuration space (virtio-pci, §4.1): vhal_pci_cfg_read32 / write32 reach function
 *   `bdf` (bus << 8 | device << 3 | function) at a 4-byte aligned `off` below 0x100 (ECAM on
 *   arm64, mechanism #1 on x86). A function that is not there reads all-ones and ignores
 *   writes. A platform without PCI need not implement them (nothing links them in unless the
 *   PCI transport, virtio_pci.c, is used).
 * - DMA memory: vhal_dma_alloc returns zeroed memory the device can reach, aligned to `align`
 *   (a power of two), and its device-visible (guest-physical) address in *phys. It returns NULL
 *   when it cannot; the driver treats that as an error, never a crash. `use` says what the memory
 *   is for so a platform (or a scenario) can place it.
 * - Shared-ring accessors: every load and store of ring memory the device also reads or writes
 *   (descriptor table, available ring, used ring) goes through vhal_ring_*. They are single-copy
 *   atomic for their width and imply no ordering: ordering is the barriers' job (§2.6.13, §2.6.14).
 * - Barriers: vhal_mb orders all earlier loads and stores before all later ones; vhal_rmb orders
 *   loads before loads; vhal_wmb orders stores before stores. (Linux virtio_mb/rmb/wmb.)
 * - Interrupts: vhal_irq_take returns how many times the device's interrupt line rose since the
 *   last call (0: none) — what a kernel's IRQ handler would have set for a sleeping waiter. The
 *   line is level-triggered (high while InterruptStatus is non-zero), so an interrupt the driver
 *   never acknowledges hides the next one.
 * - Time: vhal_now_ns is a monotonic clock; vhal_delay_ns waits at least ns nanoseconds and lets
 *   the device make progress (on the simulator it advances virtual time).
 */
#ifndef VIRTIO_HAL_H
#define VIRTIO_HAL_H

#include <stddef.h>
#include <stdint.h>

enum vhal_dma_use {
    VHAL_DMA_RING = 0,        /* virtqueue rings (one or three regions per queue) */
    VHAL_DMA_BUFFER = 1,      /* command and response buffers */
    VHAL_DMA_FRAMEBUFFER = 2, /* resource backing pages */
    VHAL_DMA_PRIVATE = 3,     /* driver bookkeeping the device never sees */
};

uint32_t vhal_mmio_read32(uintptr_t addr);
void vhal_mmio_write32(uintptr_t addr, uint32_t value);
uint8_t vhal_mmio_read8(uintptr_t addr);
uint16_t vhal_mmio_read16(uintptr_t addr);
void vhal_mmio_write8(uintptr_t addr, uint8_t value);
void vhal_mmio_write16(uintptr_t addr, uint16_t value);

uint32_t vhal_pci_cfg_read32(uint32_t bdf, uint32_t off);
void vhal_pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t value);

void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys);
void vhal_dma_free(void *ptr, size_t size);
/* Device-visible address of a pointer inside memory from vhal_dma_alloc. */
uint64_t vhal_virt_to_phys(const void *ptr);

uint16_t vhal_ring_load16(const volatile uint16_t *p);
uint32_t vhal_ring_load32(const volatile uint32_t *p);
void vhal_ring_store16(volatile uint16_t *p, uint16_t v);
void vhal_ring_store32(volatile uint32_t *p, uint32_t v);
void vhal_ring_store64(volatile uint64_t *p, uint64_t v);

void vhal_mb(void);
void vhal_rmb(void);
void vhal_wmb(void);

uint32_t vhal_irq_take(void);

uint64_t vhal_now_ns(void);
void vhal_delay_ns(uint64_t ns);

#endif /* VIRTIO_HAL_H */
