/* virtio_blk.h — a virtio-blk driver (VirtIO 1.1 §5.2) over any transport (virtio_transport.h): freestanding C11, every
 * platform access through virtio_hal.h, errors as values (virtio_status.h).
 *
 * One request queue, one request in flight at a time (a boot loader's or a small kernel's disk):
 * vblk_read / vblk_write move whole 512-byte sectors between the disk and DMA memory the caller
 * allocated (vhal_dma_alloc), vblk_flush commits the device's write cache. Each request is one
 * chain: the 16-byte header (device-readable), the data, the status byte (device-writable, last),
 * as §5.2.6 lays it out. Nothing the device says is trusted: capacity is read once (§2.4.1) and
 * every request checked against it before it is sent; a used element is matched to the request
 * in flight (virtqueue.c); a status other than OK is VIRTIO_ERR_RESPONSE with the byte kept in
 * last_status; no answer within timeout_ns is VIRTIO_ERR_TIMEOUT (or what Status says, §2.1.2).
 *
 * vblk_submit is the same request with nothing checked and its buffers given by the caller: a
 * pass-through for tools that must send what a buggy driver sends (the scenario harness).
 */
#ifndef VIRTIO_BLK_DRIVER_H
#define VIRTIO_BLK_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"
#include "spec/virtio_blk.h"

/* Optional features this driver uses when offered (§5.2.3): RO (it must know), BLK_SIZE,
 * FLUSH, DISCARD, WRITE_ZEROES; and the ring's INDIRECT_DESC / EVENT_IDX when the caller asks
 * for them. */
#define VBLK_DEVICE_FEATURES                                                                     \
    (1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |       \
     1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES)
#define VBLK_DRIVER_FEATURES                                                                     \
    (VBLK_DEVICE_FEATURES | 1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_RING_F_EVENT_IDX)

struct vblk_config {
    struct virtio_transport *transport; /* probed by the caller (vpci_probe, ...), or NULL: */
    uintptr_t mmio_base;                /* virtio-mmio probed here */
    uint16_t queue_size;        /* 3.. (a request is a chain of 3 buffers) */
    enum vq_layout_kind layout; /* modern layouts; legacy uses legacy_align */
    uint32_t legacy_align;
    uint64_t timeout_ns;        /* 0: 5 s */
    uint64_t features;          /* optional features wanted (∩ VBLK_DRIVER_FEATURES ∩ offered) */
};

struct vblk {
    struct virtio_transport *t; /* the transport every access goes through */
    struct vmmio mmio;          /* its storage when the config names no transport */
    struct virtq vq;
    uint64_t capacity;          /* sectors (§5.2.4), read at init */
    bool read_only;             /* VIRTIO_BLK_F_RO negotiated */
    bool can_flush;             /* VIRTIO_BLK_F_FLUSH negotiated */
    bool can_discard;           /* VIRTIO_BLK_F_DISCARD negotiated */
    bool can_write_zeroes;      /* VIRTIO_BLK_F_WRITE_ZEROES negotiated */
    uint64_t timeout_ns;
    struct virtio_blk_outhdr *hdr;   /* the header and status of the request in flight */
    uint64_t hdr_phys;
    uint8_t *status;
    uint64_t status_phys;
    uint8_t last_status;        /* the status byte of the last answer */
    uint32_t last_used_len;
    bool broken;                /* a hostile answer or a timeout: every call fails until init */
    int broken_status;
};

/* §3.1.1 on the device at cfg->mmio_base: probe (VIRTIO_ERR_WRONG_DEVICE when it is not a block
 * device), features, the request queue, DRIVER_OK; then capacity. */
int vblk_init(struct vblk *b, const struct vblk_config *cfg);

/* `n` sectors from `sector` into / from buf (DMA memory at buf_phys, n * 512 bytes).
 * VIRTIO_ERR_INVALID when the range is not on the disk or n is 0; a write on a read-only disk
 * is VIRTIO_ERR_INVALID too (§5.2.6.2: the device would fail it). */
int vblk_read(struct vblk *b, uint64_t sector, uint32_t n, void *buf, uint64_t buf_phys);
int vblk_write(struct vblk *b, uint64_t sector, uint32_t n, const void *buf, uint64_t buf_phys);

/* VIRTIO_BLK_T_FLUSH (§5.2.6): VIRTIO_ERR_INVALID when VIRTIO_BLK_F_FLUSH was not negotiated. */
int vblk_flush(struct vblk *b);

/* VIRTIO_BLK_T_DISCARD / WRITE_ZEROES (§5.2.6) of `n` sectors from `sector`, one segment, in
 * DMA memory the caller gives (16 bytes at seg_phys; `seg` is its pointer): VIRTIO_ERR_INVALID
 * without the feature or beyond capacity. unmap applies to write zeroes only (§5.2.6.1). */
int vblk_discard(struct vblk *b, uint64_t sector, uint32_t n, void *seg, uint64_t seg_phys);
int vblk_write_zeroes(struct vblk *b, uint64_t sector, uint32_t n, bool unmap, void *seg,
                      uint64_t seg_phys);

/* One request exactly as given: `hdr` (copied into the driver's header buffer), the data
 * buffers, and where the status goes: in its own device-writable buffer (status_writable), or —
 * what a buggy driver does — in a device-readable one. Waits for the answer like the others. */
struct vblk_raw {
    struct virtio_blk_outhdr hdr;
    const struct vq_buf *data;  /* data buffers, all readable (a write) or all writable */
    uint32_t n_data;
    bool data_writable;
    bool status_writable;
};
int vblk_submit(struct vblk *b, const struct vblk_raw *r);

#endif /* VIRTIO_BLK_DRIVER_H */
