/* hal_sim_internal.h — what hal_sim.c and hal_sim_pci.c share (not for other callers). */
#ifndef HAL_SIM_INTERNAL_H
#define HAL_SIM_INTERNAL_H

#include <stdint.h>

struct machine;

/* A register access takes bus time on real hardware; charging it keeps the timeline readable and
 * lets a device answer while the driver is busy with registers. */
#define HAL_ACCESS_NS 100u

/* A memory access of `size` bytes when the device is on PCI (hal_sim_pci.c). */
uint32_t hal_pci_mem_read(struct machine *m, uint64_t addr, uint8_t size);
void hal_pci_mem_write(struct machine *m, uint64_t addr, uint8_t size, uint32_t value);

/* An 8- or 16-bit access on virtio-mmio (hal_sim_narrow.c): the config space takes it, a
 * control register does not. */
uint32_t hal_mmio_narrow_read(struct machine *m, uint64_t addr, uint8_t size);
void hal_mmio_narrow_write(struct machine *m, uint64_t addr, uint8_t size, uint32_t value);

#endif /* HAL_SIM_INTERNAL_H */
