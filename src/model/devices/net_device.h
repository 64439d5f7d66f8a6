/* net_device.h — the network device (VirtIO 1.1 §5.1) as QEMU 7.2's virtio-net-device with a
 * backend that has no vnet header (`-netdev user` or `socket`, the backends the differential
 * can use): receiveq and transmitq of 256 (rx_queue_size, tx_queue_size), one queue pair.
 *
 * Offered: MAC, GSO (legacy bit 6, QEMU's "gso" property), MRG_RXBUF and STATUS beside the
 * transport's bits. QEMU clears CSUM, GUEST_CSUM, the TSO/ECN/UFO bits for a peer without a vnet
 * header (virtio_net_get_features). Known difference: QEMU's default also offers CTRL_VQ and the
 * bits that need it (CTRL_RX, CTRL_VLAN, CTRL_RX_EXTRA, GUEST_ANNOUNCE, CTRL_MAC_ADDR,
 * CTRL_GUEST_OFFLOADS); the controlq is a third queue (DEVICE_MAX_QUEUES is 2), not modelled,
 * so the model is QEMU's `ctrl_vq=off` with those bits off, as the device must not offer bits
 * whose queue it lacks (§5.1.3.1). The config is mac and status (config_len 8 from the offered
 * features; a read past it gives all ones, as QEMU's virtio_config_readl); status is LINK_UP.
 * The mac is writable on a legacy device only (QEMU: without CTRL_MAC_ADDR and VERSION_1).
 *
 * Frames in come from the scenario's packet source (machine_config.net_frames), one by one as
 * the host side injects them (net_device_inject: a scenario's net_receive step). As QEMU's
 * virtio_net_receive: the header (§5.1.6: 12 bytes with VERSION_1 or MRG_RXBUF, else 10) with
 * flags 0 and gso_type NONE, then the frame. Without MRG_RXBUF one chain must hold both, else the
 * frame is dropped and the chain left for the next (QEMU's virtqueue_unpop), num_buffers 1;
 * with MRG_RXBUF the frame spreads over as many chains as it needs, each filled whole but the
 * last, num_buffers their count. A frame that finds no buffer (or, mergeable, too few bytes) or
 * comes before DRIVER_OK waits, as QEMU's net queue holds it, until the driver adds buffers and
 * notifies the receiveq. The model pops the chains it cannot use yet and keeps them (QEMU would
 * leave them in the ring: last_avail_idx differs, the driver sees no difference).
 *
 * Frames out: every transmitq chain is a header and a frame in its device-readable buffers
 * (§5.1.6.2); the frame after the header goes to the sink (net_device_sent), used length 0.
 * A chain with fewer readable bytes than the header breaks the device (virtio_error: "virtio-net
 * header not in first element" / "header is invalid"). The header's fields are checked against
 * §5.1.6.2.1 (net.tx.*), the receive buffers against §5.1.6.3.1 (net.rx.*); explain names the
 * frames waiting with no buffer (no-buffers-posted) or dropped for want of room
 * (rx-buffer-too-small).
 */
#ifndef NET_DEVICE_H
#define NET_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"
#include "spec/virtio_net.h"

extern const struct device_ops net_device_ops;

#define NET_QUEUE_SIZE 256u        /* QEMU 7.2: rx_queue_size and tx_queue_size default 256 */
#define NET_CTRL_QUEUE_SIZE 64u    /* QEMU 7.2: the controlq's 64 (virtio_net_device_realize) */
#define NET_MAX_FRAME 65550u       /* the largest frame the model carries (64 KiB + Ethernet) */
#define NET_MAX_SOURCE 256u        /* frames a packet source may hold */
#define NET_MAX_SINK 1024u         /* frames out the sink keeps */

/* A frame of the packet source: its bytes (the caller's, alive while the machine is). */
struct net_frame {
    const uint8_t *data;
    uint32_t len;
};

struct machine;

/* The source's next `n` frames arrive (the host receives them for the guest): returns how many
 * arrived (fewer at the source's end), 0 when the machine's device is not a network device.
 * Delivered frames raise the used-buffer interrupt. */
uint32_t net_device_inject(struct machine *m, uint32_t n);

/* Frame i that the driver sent (in order), into *data / *len (the bytes kept, at most
 * NET_MAX_FRAME; *full_len the frame's whole length); false past the last. */
bool net_device_sent(const struct machine *m, uint32_t i, const uint8_t **data, uint32_t *len,
                     uint32_t *full_len);

#endif /* NET_DEVICE_H */
