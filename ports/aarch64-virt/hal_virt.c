/* hal_virt.c — src/driver/virtio_hal.h on QEMU's aarch64 `virt` machine, bare metal.
 *
 * - MMIO: 32-bit volatile loads and stores. With the MMU off every data access is
 *   Device-nGnRnE, so register accesses are never merged, reordered or speculated.
 * - DMA memory: identity-mapped (guest-physical = the pointer; with the MMU alias of mmu.c, the
 *   pointer is the alias and vhal_virt_to_phys translates), bump-allocated from four arenas
 *   at the same RAM offsets the simulator uses (src/model/machine.c), honouring a scenario's
 *   `driver.place` pins, so ring addresses match the simulator's and a probe of "where the
 *   device wrote the used ring" means the same address on both.
 * - Barriers: DMB/DSB with the full-system domain (QEMU's device is another observer of RAM).
 *   Under TCG they change nothing visible, but they are the instructions a kernel would use.
 * - Interrupts: the GIC is not enabled; vhal_irq_take samples the level of the device's SPI in
 *   GICD_ISPENDR (a level-sensitive line reads pending while high) and counts a rise when it is
 *   high and was low at the previous sample or was acknowledged since (InterruptACK write).
 * - Time: the generic timer's virtual counter (CNTVCT_EL0 at CNTFRQ_EL0 Hz).
 * - PCI (`transport: pci`): configuration space through the ECAM (VIRT_PCIE_ECAM, 32-bit
 *   accesses); the 8- and 16-bit accesses the virtio-pci structures need are plain volatile
 *   loads and stores. Replayed bugs apply to virtio-mmio accesses only.
 * - Replayed driver bugs (`bugs:` of the scenario, the MMIO and barrier kinds of
 *   src/model/inject/driver_bugs.h): applied here, at the seam, as the simulator's bus applies them,
 *   so the unchanged driver runs buggy on real QEMU exactly as in the model.
 */
#include "../../src/driver/virtio_hal.h"
#include "../../src/spec/virtio_spec.h"
#include "../../src/model/inject/driver_bugs.h"
#include "platform.h"

static const struct vqst_table *tab;
static struct vqst_bug bug[VQST_MAX_BUGS];
static uint32_t seen[VQST_MAX_BUGS], after_seen[VQST_MAX_BUGS], fired[VQST_MAX_BUGS];
static uint32_t held_value[VQST_MAX_BUGS];
static uint8_t held[VQST_MAX_BUGS], bit_meant[VQST_MAX_BUGS];
static uint32_t n_bugs;
static int started;

/* Default arenas as offsets into RAM: rings, buffers, framebuffers, driver-private (the
 * simulator's machine.c uses the same four). */
static const uint64_t arena_offset[4] = {0x00100000, 0x00200000, 0x01000000, 0x00300000};
static uint64_t arena_next[4], arena_pin[4];

void hal_init(const struct vqst_table *t)
{
    tab = t;
    n_bugs = t->n_bugs < VQST_MAX_BUGS ? t->n_bugs : VQST_MAX_BUGS;
    for (uint32_t i = 0; i < n_bugs; i++)
        bug[i] = t->bugs[i];
    for (int i = 0; i < 4; i++) {
        arena_next[i] = VIRT_RAM_BASE + arena_offset[i];
        arena_pin[i] = t->place[i];
    }
    ring_bugs_init(t->transport);
}

uint32_t hal_bugs_fired(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_bugs; i++)
        n += fired[i];
    return n;
}

/* ---- raw bus ------------------------------------------------------------------------------ */

static uint32_t raw_read(uint32_t off)
{
    return *(volatile uint32_t *)(uintptr_t)(tab->mmio_base + off);
}

static uint32_t irq_level(void);
static uint32_t irq_prev;

static void raw_write(uint32_t off, uint32_t v)
{
    /* Where QEMU puts the rings with this write. Followed before the write: a ring-init bug's
     * value must be in memory before the device takes the ring, as stale memory would be. */
    ring_bugs_mmio_write(off, v);
    *(volatile uint32_t *)(uintptr_t)(tab->mmio_base + off) = v;
    if (off == VIRTIO_MMIO_INTERRUPT_ACK) { /* the line may drop: a later rise is a new one */
        __asm__ volatile("dsb sy" ::: "memory");
        irq_prev = irq_level();
    }
}

/* ---- replayed bugs (src/model/inject/driver_bugs.c semantics) --------------------------------- */

static int hit(uint32_t i)
{
    seen[i]++;
    if (bug[i].nth != 0 && seen[i] != bug[i].nth)
        return 0;
    fired[i]++;
    return 1;
}

uint32_t hal_n_bugs(void) { return n_bugs; }
const struct vqst_bug *hal_bug(uint32_t i) { return &bug[i]; }
int hal_bug_hit(uint32_t i) { return hit(i); }

static void make_added(uint32_t i)
{
    fired[i]++;
    if (bug[i].kind == FAULT_ADD_MMIO_WRITE)
        raw_write(bug[i].reg, (uint32_t)bug[i].value);
    else
        (void)raw_read(bug[i].reg);
}

static void before_access(void)
{
    if (started)
        return;
    started = 1;
    for (uint32_t i = 0; i < n_bugs; i++)
        if ((bug[i].kind == FAULT_ADD_MMIO_WRITE || bug[i].kind == FAULT_ADD_MMIO_READ) &&
            !bug[i].has_after)
            make_added(i);
}

static void after_access(uint32_t off, int write)
{
    for (uint32_t i = 0; i < n_bugs; i++) {
        struct vqst_bug *f = &bug[i];
        if (f->kind != FAULT_ADD_MMIO_WRITE && f->kind != FAULT_ADD_MMIO_READ &&
            f->kind != FAULT_DELAY_MMIO_WRITE)
            continue;
        if (!f->has_after || f->after_reg != off || (int)f->after_read == write)
            continue;
        after_seen[i]++;
        if (f->after_nth != 0 && after_seen[i] != f->after_nth)
            continue;
        if (f->kind != FAULT_DELAY_MMIO_WRITE) {
            make_added(i);
        } else if (held[i]) {
            held[i] = 0;
            raw_write(f->reg, held_value[i]);
        }
    }
}

uint32_t vhal_mmio_read32(uintptr_t addr)
{
    uint32_t off = (uint32_t)(addr - tab->mmio_base);
    before_access();
    for (uint32_t i = 0; i < n_bugs; i++)
        if (bug[i].kind == FAULT_SKIP_MMIO_READ && bug[i].reg == off && hit(i))
            return (uint32_t)bug[i].value; /* the driver never made this read */
    uint32_t v = *(volatile uint32_t *)addr;
    for (uint32_t i = 0; i < n_bugs; i++) {
        struct vqst_bug *f = &bug[i];
        if (f->kind == FAULT_SKIP_STATUS_BIT && off == VIRTIO_MMIO_STATUS && bit_meant[i] &&
            !(v & f->value)) {
            v |= (uint32_t)f->value; /* the driver believes the bit it left out is set */
            continue;
        }
        if (f->kind == FAULT_REWRITE_MMIO_READ && f->reg == off && hit(i))
            v = (uint32_t)f->value;
    }
    after_access(off, 0);
    return v;
}

void vhal_mmio_write32(uintptr_t addr, uint32_t value)
{
    uint32_t off = (uint32_t)(addr - tab->mmio_base), driver_off = off;
    int keep = 1;
    before_access();
    for (uint32_t i = 0; i < n_bugs; i++) {
        struct vqst_bug *f = &bug[i];
        if (f->kind == FAULT_SKIP_STATUS_BIT && off == VIRTIO_MMIO_STATUS) {
            bit_meant[i] = (value & f->value) != 0;
            if (bit_meant[i]) {
                value &= ~(uint32_t)f->value;
                fired[i]++;
            }
            continue;
        }
        if (f->kind == FAULT_DELAY_MMIO_WRITE && f->reg == off && hit(i)) {
            held[i] = 1;
            held_value[i] = value;
            keep = 0;
            continue;
        }
        if ((f->kind != FAULT_DROP_MMIO_WRITE && f->kind != FAULT_REWRITE_MMIO_WRITE &&
             f->kind != FAULT_REDIRECT_MMIO_WRITE) || f->reg != off || !hit(i))
            continue;
        if (f->kind == FAULT_REDIRECT_MMIO_WRITE) {
            off = f->to;
            break;
        }
        if (f->kind == FAULT_DROP_MMIO_WRITE)
            keep = 0;
        else
            value = (uint32_t)f->value;
    }
    if (keep)
        raw_write(off, value);
    after_access(driver_off, 1);
}

/* ---- DMA memory --------------------------------------------------------------------------- */

static void zero(void *p, size_t n)
{
    /* Aligned 64-bit stores where possible: with the MMU off this is Device memory, where an
     * unaligned access faults and DC ZVA is not allowed. */
    uint8_t *b = p;
    while (n && ((uintptr_t)b & 7)) {
        *(volatile uint8_t *)b++ = 0;
        n--;
    }
    for (; n >= 8; n -= 8, b += 8)
        *(volatile uint64_t *)b = 0;
    while (n--)
        *(volatile uint8_t *)b++ = 0;
}

extern char __image_end[];

void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys)
{
    if ((unsigned)use > 3 || size == 0 || align == 0 || (align & (align - 1)) || !phys)
        return (void *)0;
    uint64_t addr;
    if (arena_pin[use]) {
        addr = arena_pin[use];
        arena_pin[use] = 0;
    } else {
        addr = (arena_next[use] + align - 1) & ~(uint64_t)(align - 1);
    }
    /* RAM only, never over the image or the step table. */
    if (addr < (uint64_t)(uintptr_t)__image_end || addr + size > VQST_ADDR)
        return (void *)0;
    arena_next[use] = addr + size;
    void *va = mmu_virt(addr); /* the alias when mmu.c turned it on */
    zero(va, size);
    *phys = addr;
    return va;
}

void vhal_dma_free(void *ptr, size_t size)
{
    (void)ptr; /* bump allocation, as in the simulator: one run per boot */
    (void)size;
}

uint64_t vhal_virt_to_phys(const void *ptr) { return mmu_phys(ptr); }

/* ---- shared ring accessors ---------------------------------------------------------------- */

/* Single-copy atomic for their width (aligned, one instruction); the ring-side replayed bugs
 * rewrite the value on its way, as the model's bus does. */
uint16_t vhal_ring_load16(const volatile uint16_t *p)
{
    uint64_t v = *p;
    ring_bugs_load(mmu_phys((const void *)p), &v);
    return (uint16_t)v;
}

uint32_t vhal_ring_load32(const volatile uint32_t *p)
{
    uint64_t v = *p;
    ring_bugs_load(mmu_phys((const void *)p), &v);
    return (uint32_t)v;
}

void vhal_ring_store16(volatile uint16_t *p, uint16_t v)
{
    uint64_t w = v;
    ring_bugs_store(mmu_phys((const void *)p), &w);
    *p = (uint16_t)w;
    ring_bugs_after_store(mmu_phys((const void *)p));
}

void vhal_ring_store32(volatile uint32_t *p, uint32_t v)
{
    uint64_t w = v;
    ring_bugs_store(mmu_phys((const void *)p), &w);
    *p = (uint32_t)w;
    ring_bugs_after_store(mmu_phys((const void *)p));
}

void vhal_ring_store64(volatile uint64_t *p, uint64_t v)
{
    ring_bugs_store(mmu_phys((const void *)p), &v);
    *p = v;
    ring_bugs_after_store(mmu_phys((const void *)p));
}

/* ---- barriers ----------------------------------------------------------------------------- */

/* drop-barrier: enum bc_barrier order is mb, rmb, wmb (fault_barrier_kinds). */
static int barrier_dropped(uint32_t kind)
{
    int drop = 0;
    for (uint32_t i = 0; i < n_bugs; i++)
        if (bug[i].kind == FAULT_DROP_BARRIER && bug[i].reg == kind && hit(i))
            drop = 1;
    return drop;
}

void vhal_mb(void)
{
    if (!barrier_dropped(0))
        __asm__ volatile("dsb sy" ::: "memory"); /* also orders the MMIO notify after ring stores */
}

void vhal_rmb(void)
{
    if (!barrier_dropped(1))
        __asm__ volatile("dmb ld" ::: "memory");
}

void vhal_wmb(void)
{
    if (!barrier_dropped(2))
        __asm__ volatile("dmb st" ::: "memory");
}

/* ---- interrupts --------------------------------------------------------------------------- */

static uint32_t irq_level(void)
{
    uint32_t slot = (uint32_t)((tab->mmio_base - VIRT_MMIO_BASE) / VIRT_MMIO_SLOT);
    uint32_t intid = 32 + VIRT_MMIO_SPI0 + slot;
    volatile uint32_t *ispendr = (volatile uint32_t *)(uintptr_t)(VIRT_GICD + 0x200 + 4 * (intid / 32));
    return (*ispendr >> (intid % 32)) & 1u;
}

static uint32_t irq_rises;

uint32_t hal_irq_rises(void) { return irq_rises; }

uint32_t vhal_irq_take(void)
{
    uint32_t now = irq_level();
    uint32_t rose = now && !irq_prev;
    irq_prev = now;
    irq_rises += rose;
    return rose;
}

/* ---- time --------------------------------------------------------------------------------- */

uint64_t vhal_now_ns(void)
{
    uint64_t cnt, frq;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt)::"memory");
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    if (!frq)
        frq = 62500000u; /* QEMU's value, if firmware left the register unset */
    return cnt / frq * 1000000000ull + cnt % frq * 1000000000ull / frq;
}

void vhal_delay_ns(uint64_t ns)
{
    uint64_t end = vhal_now_ns() + ns;
    while (vhal_now_ns() < end)
        ;
}

/* ---- PCI ---------------------------------------------------------------------------------- */

uint8_t vhal_mmio_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
uint16_t vhal_mmio_read16(uintptr_t addr) { return *(volatile uint16_t *)addr; }
void vhal_mmio_write8(uintptr_t addr, uint8_t value) { *(volatile uint8_t *)addr = value; }
void vhal_mmio_write16(uintptr_t addr, uint16_t value) { *(volatile uint16_t *)addr = value; }

static volatile uint32_t *ecam(uint32_t bdf, uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(VIRT_PCIE_ECAM + (bdf << 12) + (off & 0xffcu));
}
uint32_t vhal_pci_cfg_read32(uint32_t bdf, uint32_t off) { return *ecam(bdf, off); }
void vhal_pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t value) { *ecam(bdf, off) = value; }
