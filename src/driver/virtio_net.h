/* virtio_net.h — a network device driver (VirtIO 1.1 §5.1) over any transport
 * (virtio_transport.h): freestanding C11, every platform access through virtio_hal.h, errors as
 * values (virtio_status.h), nothing trusted from the device.
 *
 * One queue pair (receiveq1, transmitq1) and, when the caller asks for VIRTIO_NET_F_CTRL_VQ and
 * the device offers it, the controlq (§5.1.2: queue 2 with one pair). vnet_init negotiates MAC,
 * STATUS and, when the caller asks, MRG_RXBUF, CTRL_VQ and the controlq classes' bits (CTRL_RX,
 * CTRL_RX_EXTRA, CTRL_VLAN, CTRL_MAC_ADDR, CTRL_GUEST_OFFLOADS; with the ring features asked),
 * reads the mac and the link status, sets up the queues, sets DRIVER_OK and fills the receiveq
 * (§5.1.5: before any frame is wanted; §5.1.6.3: kept populated), each buffer
 * VIRTIO_NET_RX_MIN_BYTES (§5.1.6.3.1).
 *
 * vnet_ctrl sends one controlq command (§5.1.6.5): class and command and its data in one
 * device-readable buffer, the ack in a one-byte device-writable buffer after it; it waits
 * (bounded) for the device to use the chain and returns the ack the device wrote.
 *
 * vnet_send sends one frame with the header §5.1.6.2.1 asks for (flags 0, gso_type NONE,
 * num_buffers 0; 12 bytes with VERSION_1 or MRG_RXBUF, else 10), header and frame in one
 * device-readable buffer, and waits (bounded) for the device to use it. vnet_receive waits for
 * the next frame and copies it out: with MRG_RXBUF it takes num_buffers buffers (§5.1.6.4), each
 * checked (used length at least the header in the first, at most the buffer, num_buffers within
 * what is posted); the buffers go back to the receiveq. The used length of a transmit buffer is
 * ignored (§5.1.6.1: legacy devices put junk there).
 *
 * The configuration also lets a tool replay a driver's bugs (rx_buffers, rx_buffer_bytes, and
 * vnet_send_raw's header as given): the §5.1.6 rules the model checks.
 */
#ifndef VIRTIO_NET_DRIVER_H
#define VIRTIO_NET_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"
#include "spec/virtio_net.h"

#define VNET_MAX_RX 256u          /* receive buffers at most */
#define VNET_MAX_FRAME 65550u     /* the largest frame sent or received */

/* The net features the driver can use (beyond the ring's). */
#define VNET_DRIVER_FEATURES                                                                     \
    (1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_MRG_RXBUF |   \
     1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX |                               \
     1ull << VIRTIO_NET_F_CTRL_RX_EXTRA | 1ull << VIRTIO_NET_F_CTRL_VLAN |                       \
     1ull << VIRTIO_NET_F_CTRL_MAC_ADDR | 1ull << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS |             \
     1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_RING_F_EVENT_IDX |                     \
     1ull << VIRTIO_F_RING_PACKED)
#define VNET_CTRL_QUEUE_MAX 64u   /* the controlq's size at most (QEMU's is 64) */
#define VNET_CTRL_MAX 1024u       /* a command's bytes (header, data) at most */

struct vnet_config {
    struct virtio_transport *transport; /* probed by the caller (vpci_probe, ...), or NULL: */
    uintptr_t mmio_base;                /* virtio-mmio probed here */
    uint16_t queue_size;                /* both queues (at most the device's) */
    enum vq_layout_kind layout;
    uint32_t legacy_align;
    uint64_t timeout_ns;                /* 0: 5 s */
    uint64_t features;                  /* wanted (∩ VNET_DRIVER_FEATURES ∩ offered) */
    int32_t rx_buffers;                 /* receive buffers posted (-1: the queue's size) */
    uint32_t rx_buffer_bytes;           /* each one's size (0: VIRTIO_NET_RX_MIN_BYTES) */
};

struct vnet {
    struct virtio_transport *t;
    struct vmmio mmio;
    struct virtq rxq, txq, ctrlq;
    bool has_ctrl;                      /* CTRL_VQ negotiated: ctrlq set up */
    uint64_t timeout_ns;
    uint32_t hdr_size;                  /* 12 or 10 (virtio_net_hdr_size) */
    bool mergeable;                     /* MRG_RXBUF negotiated */
    uint8_t mac[6];                     /* the device's (VIRTIO_NET_F_MAC), else 0 */
    bool link_up;                       /* status & LINK_UP (VIRTIO_NET_F_STATUS), else true */
    uint8_t *rx;                        /* the receive buffers (DMA), rx_bytes each */
    uint64_t rx_phys;
    uint32_t rx_bytes, n_rx;
    uint8_t *tx;                        /* the transmit buffer (DMA): header and frame */
    uint64_t tx_phys;
    uint8_t *ctrl;                      /* the controlq's buffer (DMA): command, then the ack */
    uint64_t ctrl_phys;
    bool broken;
    int broken_status;
};

/* §3.1.1 and §5.1.5 on the device (VIRTIO_ERR_WRONG_DEVICE: not a network device). */
int vnet_init(struct vnet *n, const struct vnet_config *cfg);

/* Send `len` bytes of frame (1..VNET_MAX_FRAME) and wait until the device used them. */
int vnet_send(struct vnet *n, const uint8_t *frame, uint32_t len);

/* The same with the header as given, its first `hdr_bytes` bytes only (0..12): a pass-through
 * for tools that must send what a buggy driver sends. */
int vnet_send_raw(struct vnet *n, const struct virtio_net_hdr *h, uint32_t hdr_bytes,
                  const uint8_t *frame, uint32_t len);

/* One controlq command (§5.1.6.5): class `cls`, command `cmd` and `len` bytes of data
 * (len + 2 <= VNET_CTRL_MAX); *ack gets the device's VIRTIO_NET_OK / VIRTIO_NET_ERR.
 * VIRTIO_ERR_QUEUE without a controlq (CTRL_VQ not negotiated). */
int vnet_ctrl(struct vnet *n, uint8_t cls, uint8_t cmd, const void *data, uint32_t len,
              uint8_t *ack);

/* The same as given: `out_len` device-readable bytes from `out` (0: no readable buffer) and
 * `in_len` device-writable bytes (0: none; *ack gets the first), whatever the command: a
 * pass-through for tools that must send what a buggy driver sends. */
int vnet_ctrl_raw(struct vnet *n, const void *out, uint32_t out_len, uint32_t in_len,
                  uint8_t *ack);

/* The next frame received into out (cap bytes): *len its length. VIRTIO_ERR_RESPONSE when the
 * device used buffers that cannot hold a frame (used length below the header, num_buffers 0 or
 * more than posted, a frame longer than cap). */
int vnet_receive(struct vnet *n, uint8_t *out, uint32_t cap, uint32_t *len);

#endif /* VIRTIO_NET_DRIVER_H */
