/* mmu.c — optional: turn the MMU and caches on with an identity map, so a scenario can also
 * run the way a kernel does (the step table's `mmu` flag, tools/qemu_diff.py --mmu).
 * With `alias` (step table mmu = 2) RAM is mapped a second time at VIRT_RAM_ALIAS, 1 GiB above
 * its physical address, and hal_virt.c hands the driver its DMA memory through that alias:
 * the driver's pointers are virtual, vhal_virt_to_phys returns the guest-physical address, as
 * a kernel's dma_alloc_coherent does; `vqsim record` must then record physical addresses.
 *
 * 4 KiB granule, 39-bit addresses (T0SZ 25), one level-1 table of 1 GiB blocks:
 *   0x00000000-0x3fffffff  Device-nGnRE (flash, GIC, PL011, virtio-mmio)
 *   0x40000000-0x7fffffff  Normal write-back cacheable, inner shareable (RAM)
 *   0x80000000-0xbfffffff  (alias only) the same RAM again, Normal write-back */
#include "platform.h"

#define MAIR_DEVICE_nGnRE 0x04ull
#define MAIR_NORMAL_WB 0xffull
#define ATTR_IDX(i) ((uint64_t)(i) << 2)
#define BLOCK 0x1ull
#define AF (1ull << 10)
#define SH_INNER (3ull << 8)
#define PXN (1ull << 53)
#define UXN (1ull << 54)

static uint64_t l1[512] __attribute__((aligned(4096)));

static int alias_on;

void *mmu_virt(uint64_t pa)
{
    return (void *)(uintptr_t)(alias_on ? pa + (VIRT_RAM_ALIAS - VIRT_RAM_BASE) : pa);
}

uint64_t mmu_phys(const void *va)
{
    uint64_t a = (uint64_t)(uintptr_t)va;
    return alias_on && a >= VIRT_RAM_ALIAS ? a - (VIRT_RAM_ALIAS - VIRT_RAM_BASE) : a;
}

void psci_system_off(void)
{
    register uint64_t x0 __asm__("x0") = 0x84000008u; /* PSCI 0.2 SYSTEM_OFF */
    __asm__ volatile("hvc #0" : "+r"(x0)::"memory");
}

void mmu_enable(int alias)
{
    l1[0] = 0x00000000ull | BLOCK | AF | ATTR_IDX(0) | PXN | UXN;
    l1[1] = 0x40000000ull | BLOCK | AF | ATTR_IDX(1) | SH_INNER;
    if (alias)
        l1[2] = 0x40000000ull | BLOCK | AF | ATTR_IDX(1) | SH_INNER | PXN | UXN;
    uint64_t mair = MAIR_DEVICE_nGnRE | MAIR_NORMAL_WB << 8;
    uint64_t tcr = 25ull               /* T0SZ: 39-bit VA, walk starts at level 1 */
                   | 1ull << 8         /* IRGN0 write-back write-allocate */
                   | 1ull << 10        /* ORGN0 write-back write-allocate */
                   | 3ull << 12        /* SH0 inner shareable */
                   | 0ull << 14        /* TG0 4 KiB */
                   | 1ull << 23        /* EPD1: no TTBR1 walks */
                   | 2ull << 32;       /* IPS 40 bits */
    uint64_t sctlr;
    __asm__ volatile("msr mair_el1, %0" ::"r"(mair));
    __asm__ volatile("msr tcr_el1, %0" ::"r"(tcr));
    __asm__ volatile("msr ttbr0_el1, %0" ::"r"((uint64_t)(uintptr_t)l1));
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    sctlr |= 1ull << 0 | 1ull << 2 | 1ull << 12; /* M, C, I */
    __asm__ volatile("msr sctlr_el1, %0; isb" ::"r"(sctlr) : "memory");
    alias_on = alias;
}
