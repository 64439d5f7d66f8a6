/* blk_device.h — virtio-blk (VirtIO 1.1 §5.2) as QEMU 7.2's virtio-blk-device with a raw image
 * (`-drive file=IMG,format=raw,if=none -device virtio-blk-device`): one request queue of 256,
 * the features and config QEMU offers by default, and QEMU's answer to every request, malformed
 * ones included (hw/block/virtio-blk.c, virtio_blk_handle_request).
 *
 * The disk is the raw image file machine_config.disk_image names, read whole at create (at most
 * BLK_MAX_IMAGE_BYTES; capacity = its size / 512, a partial last sector is not part of the disk).
 * Writes change the model's copy; they reach the file too only when machine_config.disk_writes_
 * to_file is set (a scenario's `disk: {writes: file}`), each write as it completes.
 * machine_config.disk_read_only offers VIRTIO_BLK_F_RO (QEMU's readonly=on) and fails writes.
 * Without an image, machine_config.disk_sectors makes a disk of that many zero sectors (`vqsim
 * check`: the capacity the recorded guest read; what QEMU's disk held is not in a recording).
 *
 * The driver rules of §5.2 it checks (spec/rules.yaml, blk.*): the request header readable, the
 * status byte writable, data in whole sectors within capacity, FLUSH with sector 0 and only when
 * negotiated, DISCARD without unmap.
 */
#ifndef BLK_DEVICE_H
#define BLK_DEVICE_H

#include <stdint.h>

#include "model/device.h"

extern const struct device_ops blk_device_ops;

#define BLK_QUEUE_SIZE 256u                      /* QEMU 7.2's queue-size default */
#define BLK_MAX_IMAGE_BYTES (256ull << 20)        /* the largest image the model loads */

struct machine;

/* The disk as the model holds it now (the image's bytes with the writes applied), for a test
 * or a judge to compare: NULL when the machine's device is not a blk. */
const uint8_t *blk_disk_bytes(const struct machine *m, uint64_t *size);

#endif /* BLK_DEVICE_H */
