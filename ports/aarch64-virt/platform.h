/* platform.h — QEMU `virt` (aarch64) facts the port relies on, and the port's small services.
 *
 * Memory map (QEMU 7.2 hw/arm/virt.c): PL011 UART at 0x09000000, GICv2 distributor at
 * 0x08000000, 32 virtio-mmio slots of 0x200 bytes from 0x0a000000 with SPIs 16..47, RAM from
 * 0x40000000. The image is linked at 0x40080000 and must end below the first DMA arena
 * (0x40100000, the simulator's default ring arena).
 */
#ifndef VQ_PLATFORM_H
#define VQ_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "step_table.h"

#define VIRT_UART 0x09000000u
#define VIRT_GICD 0x08000000u
#define VIRT_MMIO_BASE 0x0a000000u
#define VIRT_MMIO_SLOT 0x200u
#define VIRT_MMIO_SPI0 16u         /* slot i raises SPI 16 + i, GIC interrupt id 32 + 16 + i */
#define VIRT_RAM_BASE 0x40000000u
/* PCIe on `-M virt,highmem=off` (QEMU 7.2 hw/arm/virt.c): the ECAM, and the 32-bit memory window
 * the port assigns BARs in (the bus address is the CPU address). */
#define VIRT_PCIE_ECAM 0x3f000000u
#define VIRT_PCIE_MMIO 0x10000000u
#define VIRT_PCIE_MMIO_SIZE 0x2eff0000u
#define VIRT_RAM_SIZE (256u << 20)  /* `-m 256M`, the simulator's default RAM */

/* uart.c */
void uart_puts(const char *s);
void uart_putc(char c);
void uart_put_dec(int64_t v);
void uart_put_hex(uint64_t v);

/* mmu.c: identity map, RAM cacheable, MMU and caches on; with alias, RAM is also mapped at
 * VIRT_RAM_ALIAS and the DMA arenas are used through that alias (virtual != physical). */
#define VIRT_RAM_ALIAS 0x80000000u
void mmu_enable(int alias);
/* The pointer the driver uses for guest-physical pa (the alias when it is on), and back. */
void *mmu_virt(uint64_t pa);
uint64_t mmu_phys(const void *va);
/* PSCI SYSTEM_OFF (QEMU `virt` implements PSCI over HVC for a guest started at EL1). */
void psci_system_off(void);

/* hal_virt.c: the replayed bugs and the used-ring probe read the table too. */
void hal_init(const struct vqst_table *t);
/* Number of replayed bugs that fired so far. */
uint32_t hal_bugs_fired(void);
/* Rises of the interrupt line vhal_irq_take reported so far. */
uint32_t hal_irq_rises(void);
/* The replayed bugs, for ring_bugs.c: count, the i-th, and "this occurrence fires" (nth). */
uint32_t hal_n_bugs(void);
const struct vqst_bug *hal_bug(uint32_t i);
int hal_bug_hit(uint32_t i);

/* ring_bugs.c: the ring-side bugs, classified by where QEMU put the rings. */
void ring_bugs_init(uint32_t transport);
void ring_bugs_mmio_write(uint32_t off, uint32_t value); /* every write QEMU saw */
void ring_bugs_store(uint64_t addr, uint64_t *value);    /* before a driver ring store */
void ring_bugs_after_store(uint64_t addr);
void ring_bugs_load(uint64_t addr, uint64_t *value);     /* after a driver ring load */

#endif /* VQ_PLATFORM_H */
