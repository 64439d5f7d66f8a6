/* guest_devices.h — the blk and rng steps on real QEMU (guest_devices.c). */
#ifndef VQ_GUEST_DEVICES_H
#define VQ_GUEST_DEVICES_H

#include <stdint.h>

#include "step_table.h"

struct gdev_result {
    uint32_t used_len;
    uint32_t blk_status;  /* the request's status byte (0xff: none, or not a blk) */
    uint32_t net_rx;      /* net: the frames received, each compared with the source's */
};

struct virtio_transport;
/* The table's device (VQST_DEV_BLK / _RNG / _INPUT / _NET) initialised through its driver, on
 * `transport` (virtio-pci, probed by the caller) or NULL (virtio-mmio at the table's mmio_base):
 * a VIRTIO_* code; *version: the transport's version. */
int gdev_init(const struct vqst_table *t, struct virtio_transport *transport, uint32_t *version);
/* One blk / rng step: a VIRTIO_* code, what the driver saw in *out. */
int gdev_step(const struct vqst_step *st, struct gdev_result *out);
/* Before a step's line: an input step says which script events the host is to play now
 * (`VQ inject from=F n=N`, a line of its own; tools/qemu_diff.py plays them). */
void gdev_announce(const struct vqst_step *st);
/* The first difference the content checks found: `what/A/B/C` (hex), as gdev_content says it. */
void gdev_say(const char *what, uint64_t a, uint64_t b, uint64_t c);
/* "ok", or what the content checks found first (capacity, a byte read). */
const char *gdev_content(void);

#endif /* VQ_GUEST_DEVICES_H */
