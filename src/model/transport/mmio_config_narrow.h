/* mmio_config_narrow.h — 8- and 16-bit accesses to a virtio-mmio device's configuration space
 * (§4.2.2: "the device-specific configuration space ... 8-bit wide accesses for 8-bit wide
 * fields, 16-bit ... for 16-bit wide fields"), as QEMU 7.2's virtio_mmio_read / _write take them
 * (virtio_config_readb / readw / writeb / writew; the control registers take 32-bit accesses
 * only).
 *
 * The device answers config in 32-bit words (device.h: config_read / config_write): a narrow
 * read takes its bytes from the word that holds them; a narrow write replaces its bytes in the
 * word the device answers now and writes the word back, so the device sees the field it would
 * have seen. The access is judged against the device's field layout (device_ops.config_field,
 * rule mmio.config-access-width) and the generation rules (config_checks.h) before it reaches
 * the device.
 */
#ifndef MMIO_CONFIG_NARROW_H
#define MMIO_CONFIG_NARROW_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Is `off` (window offset) in the device's configuration space? */
bool mmio_config_is_config(uint32_t off);

/* A `size`-byte (1 or 2) read at window offset `off` >= VIRTIO_MMIO_CONFIG: the bytes the
 * device holds there (judged first). */
uint32_t mmio_config_read_narrow(struct machine *m, uint32_t off, uint32_t size);

/* A `size`-byte (1 or 2) write of `value` at window offset `off` >= VIRTIO_MMIO_CONFIG (judged
 * first). *note: what the device said of it, or NULL. */
void mmio_config_write_narrow(struct machine *m, uint32_t off, uint32_t size, uint32_t value,
                              const char **note);

/* §4.2.2.2 on a config access of `size` bytes at config offset `c` (window offset - 0x100), by
 * the device's field layout: mmio.config-access-width when the width is not the field's (or not
 * a 32-bit half of a 64-bit field), mmio.no-undefined-offsets past the config. False when it
 * fired. */
bool mmio_config_width_ok(struct machine *m, uint32_t c, uint32_t size, bool write);

#endif /* MMIO_CONFIG_NARROW_H */
