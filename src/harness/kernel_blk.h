/* kernel_blk.h — the steps of a blk scenario (blk_read, blk_write, blk_flush, blk_discard), done
 * as a kernel does them through the built-in driver (driver/virtio_blk.h), each outcome checked
 * by content: the kernel keeps its own view of the disk — the image file, read by the harness
 * apart from the model (sparsely: the sectors a read needs), with the kernel's own completed
 * writes applied — and every sector read must equal it (discarded sectors: not judged,
 * §5.2.6.1; with `writes: file`, neither are the sectors of a write the driver did not see
 * done, which the device may have written to the file).
 * Plugged in through kernel_device.h.
 */
#ifndef KERNEL_BLK_H
#define KERNEL_BLK_H

#include <stdint.h>

#include "harness/kernel_device.h"

#define KERNEL_BLK_MAX_SECTORS 128u /* one step's data */

extern const struct kernel_device_ops kernel_blk_ops;

/* Byte i of the data a blk_write with `seed` writes at `sector` (sector-relative index i). */
uint8_t kernel_blk_pattern(uint32_t seed, uint64_t sector, uint32_t i);

/* For a test that must show the content check speak: the kernel's expectation of byte `off`
 * of the disk (k from kernel_blk_ops.open), or NULL past the disk. */
uint8_t *kernel_blk_expected(void *k, uint64_t off);

#endif /* KERNEL_BLK_H */
