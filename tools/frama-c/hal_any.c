/* hal_any.c — virtio_hal.h for Frama-C: a device (and a platform) that may answer anything the
 * HAL contract allows. Every MMIO read, every ring load (the device writes the used ring) and the
 * interrupt count is any value of its type; each DMA allocation is a zeroed block of exactly the
 * size asked, or NULL (the contract lets a platform refuse); time is monotonic and moves by any
 * amount.
 * Each access the driver makes is checked by Eva to be valid (the loads and stores below touch
 * the pointer they are given), so an out-of-bounds ring access is an alarm. */
#include "__fc_builtin.h"
#include <stdlib.h>
#include "driver/virtio_hal.h"

/* Each allocation is a block of its own of exactly the size asked (Eva's calloc builtin: one base
 * per call stack), so an access one byte past what the driver allocated is an alarm. */
static unsigned n_alloc;

uint32_t vhal_mmio_read32(uintptr_t addr)
{
    (void)addr;
    return Frama_C_unsigned_int_interval(0u, 0xffffffffu);
}

void vhal_mmio_write32(uintptr_t addr, uint32_t value)
{
    (void)addr;
    (void)value;
}

void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys)
{
    (void)use;
    if (Frama_C_nondet(0, 1) || align > 4096 || size == 0)
        return (void *)0; /* the contract lets a platform refuse */
    void *p = calloc(1, size); /* zeroed */
    if (!p)
        return (void *)0;
    *phys = 0x40000000u + (uint64_t)n_alloc * 0x01000000u;
    n_alloc++;
    return p;
}

void vhal_dma_free(void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
}

uint64_t vhal_virt_to_phys(const void *ptr)
{
    (void)ptr;
    return Frama_C_unsigned_long_interval(0x40000000u, 0x7fffffffu);
}

uint16_t vhal_ring_load16(const volatile uint16_t *p)
{
    (void)*p; /* the driver's pointer must be valid... */
    return (uint16_t)Frama_C_unsigned_int_interval(0u, 0xffffu); /* ...the device's value is any */
}

uint32_t vhal_ring_load32(const volatile uint32_t *p)
{
    (void)*p;
    return Frama_C_unsigned_int_interval(0u, 0xffffffffu);
}

void vhal_ring_store16(volatile uint16_t *p, uint16_t v) { *p = v; }
void vhal_ring_store32(volatile uint32_t *p, uint32_t v) { *p = v; }
void vhal_ring_store64(volatile uint64_t *p, uint64_t v) { *p = v; }

void vhal_mb(void) {}
void vhal_rmb(void) {}
void vhal_wmb(void) {}

uint32_t vhal_irq_take(void) { return Frama_C_unsigned_int_interval(0u, 0xffffffffu); }

static uint64_t now;

uint64_t vhal_now_ns(void)
{
    now += Frama_C_unsigned_int_interval(0u, 1000000u);
    return now;
}

void vhal_delay_ns(uint64_t ns) { now += ns; }
