/* net_device.h — the network device (VirtIO 1.1 §5.1) as QEMU 7.2's virtio-net-device with a
 * backend that has no vnet header (`-netdev user` or `socket`, the backends the differential
 * can use), checked against QEMU 7.2's hw/net/virtio-net.c (Debian's 1:7.2+dfsg-7+deb12u18):
 * receiveq and transmitq of 256 (rx_queue_size, tx_queue_size), one queue pair, and the
 * controlq of 64 that virtio_net_device_realize always adds (net_ctrl.c).
 *
 * Offered (net_offered_features): QEMU's property defaults less what virtio_net_get_features
 * clears for a peer without a vnet header — MAC, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX, CTRL_VLAN,
 * CTRL_RX_EXTRA, GUEST_ANNOUNCE, CTRL_MAC_ADDR, CTRL_GUEST_OFFLOADS, and GSO (bit 6) to a legacy
 * driver only (the class's legacy_features, hidden by virtio-mmio version 2 and modern
 * virtio-pci). The config is mac and status (config_len 8: MQ, MTU and SPEED_DUPLEX are not
 * offered; a read past it gives all ones, as QEMU's virtio_config_readl); status is LINK_UP;
 * mac six 1-byte fields and status a 16-bit one (config_field). The mac is writable through the
 * config only without CTRL_MAC_ADDR and VERSION_1 (virtio_net_set_config), and by the
 * controlq's MAC_ADDR_SET.
 *
 * Frames in come from the scenario's packet source (machine_config.net_frames), one by one as
 * the host side injects them (net_device_inject: a scenario's net_receive step). As QEMU's
 * virtio_net_receive: the header (§5.1.6: 12 bytes with VERSION_1 or MRG_RXBUF, else 10) with
 * flags 0 and gso_type NONE, then the frame. Without MRG_RXBUF one chain must hold both, else the
 * frame is dropped and the chain left for the next (QEMU's virtqueue_unpop), num_buffers 1;
 * with MRG_RXBUF the frame spreads over as many chains as it needs, each filled whole but the
 * last, num_buffers their count. A frame that finds no buffer (or, mergeable, too few bytes) or
 * comes before DRIVER_OK waits, as QEMU's net queue holds it, until the driver adds buffers and
 * notifies the receiveq. A frame the receive filter refuses (the controlq's RX mode, MAC table
 * and VLANs: QEMU's receive_filter) is dropped once buffers were found. The model pops the
 * chains it cannot use yet and keeps them (QEMU would leave them in the ring: last_avail_idx
 * differs, the driver sees no difference). Known difference: without MRG_RXBUF the model writes
 * num_buffers 1 as §5.1.6.4 asks; QEMU 7.2 writes the 10-byte virtio_net_hdr only and leaves
 * bytes 10-11 of a 12-byte header as they were. A recording's arrivals (bytes unknown, lengths
 * from QEMU's trace) come through device_ops.host_arrival.
 *
 * Frames out: every transmitq chain is a header and a frame in its device-readable buffers
 * (§5.1.6.2); the frame after the header goes to the sink (net_device_sent), used length 0.
 * A chain with no byte after the header breaks the device (virtio_error: "virtio-net header not
 * in first element" with none readable, else "virtio-net nothing to send"). The header's fields
 * are checked against §5.1.6.2.1 (net.tx.*), the receive buffers against §5.1.6.3.1 (net.rx.*),
 * the controlq's commands against §5.1.6.5 (net.ctrl.*); explain names the frames waiting with
 * no buffer (no-buffers-posted), dropped for want of room (rx-buffer-too-small) or by the
 * receive filter (rx-frame-filtered).
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
