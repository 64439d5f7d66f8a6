/* virtio_net.h — the network device's structures and constants (VirtIO 1.1 §5.1), declared once
 * for the driver and the model. Little-endian fields (the model and the driver run on
 * little-endian hosts, as virtio_spec.h says; a legacy device's fields are the guest's endian,
 * §5.1.6.1, which is the same here).
 */
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_NET 1u /* §5.1.1 */

/* §5.1.2: receiveq1, transmitq1, … receiveqN, transmitqN, controlq. */
#define VIRTIO_NET_QUEUE_RX 0u
#define VIRTIO_NET_QUEUE_TX 1u
#define VIRTIO_NET_QUEUE_CTRL 2u /* one queue pair (no VIRTIO_NET_F_MQ): controlq is queue 2 */

/* §5.1.3 feature bits (GSO, 6, is legacy: §5.1.3.1). */
#define VIRTIO_NET_F_CSUM 0u
#define VIRTIO_NET_F_GUEST_CSUM 1u
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2u
#define VIRTIO_NET_F_MTU 3u
#define VIRTIO_NET_F_MAC 5u
#define VIRTIO_NET_F_GSO 6u
#define VIRTIO_NET_F_GUEST_TSO4 7u
#define VIRTIO_NET_F_GUEST_TSO6 8u
#define VIRTIO_NET_F_GUEST_ECN 9u
#define VIRTIO_NET_F_GUEST_UFO 10u
#define VIRTIO_NET_F_HOST_TSO4 11u
#define VIRTIO_NET_F_HOST_TSO6 12u
#define VIRTIO_NET_F_HOST_ECN 13u
#define VIRTIO_NET_F_HOST_UFO 14u
#define VIRTIO_NET_F_MRG_RXBUF 15u
#define VIRTIO_NET_F_STATUS 16u
#define VIRTIO_NET_F_CTRL_VQ 17u
#define VIRTIO_NET_F_CTRL_RX 18u
#define VIRTIO_NET_F_CTRL_VLAN 19u
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20u
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21u
#define VIRTIO_NET_F_MQ 22u
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23u
#define VIRTIO_NET_F_SPEED_DUPLEX 63u

#define VIRTIO_NET_S_LINK_UP 1u /* §5.1.4 status */
#define VIRTIO_NET_S_ANNOUNCE 2u

/* §5.1.4 */
struct virtio_net_config {
    uint8_t mac[6];
    uint16_t status;               /* exists with VIRTIO_NET_F_STATUS */
    uint16_t max_virtqueue_pairs;  /* with VIRTIO_NET_F_MQ */
    uint16_t mtu;                  /* with VIRTIO_NET_F_MTU */
    uint32_t speed;                /* with VIRTIO_NET_F_SPEED_DUPLEX (VirtIO 1.1 §5.1.4) */
    uint8_t duplex;
} __attribute__((packed));
_Static_assert(offsetof(struct virtio_net_config, status) == 6, "§5.1.4");
_Static_assert(offsetof(struct virtio_net_config, mtu) == 10, "§5.1.4");
_Static_assert(offsetof(struct virtio_net_config, speed) == 12, "§5.1.4");
_Static_assert(sizeof(struct virtio_net_config) == 17, "§5.1.4: duplex ends at byte 17");

/* §5.1.6.5: a controlq command is class, command, command-specific data (device-readable), then
 * the ack byte (device-writable). */
struct virtio_net_ctrl_hdr {
    uint8_t class_;
    uint8_t cmd;
};
_Static_assert(sizeof(struct virtio_net_ctrl_hdr) == 2, "§5.1.6.5");
#define VIRTIO_NET_OK 0u
#define VIRTIO_NET_ERR 1u

#define VIRTIO_NET_CTRL_RX 0u              /* §5.1.6.5.1: data u8 on/off */
#define VIRTIO_NET_CTRL_RX_PROMISC 0u
#define VIRTIO_NET_CTRL_RX_ALLMULTI 1u
#define VIRTIO_NET_CTRL_RX_ALLUNI 2u       /* these four: VIRTIO_NET_F_CTRL_RX_EXTRA */
#define VIRTIO_NET_CTRL_RX_NOMULTI 3u
#define VIRTIO_NET_CTRL_RX_NOUNI 4u
#define VIRTIO_NET_CTRL_RX_NOBCAST 5u
#define VIRTIO_NET_CTRL_MAC 1u             /* §5.1.6.5.2 */
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0u   /* le32 n, n macs, le32 m, m macs */
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1u    /* 6 bytes: VIRTIO_NET_F_CTRL_MAC_ADDR */
#define VIRTIO_NET_CTRL_VLAN 2u            /* §5.1.6.5.3: le16 vid */
#define VIRTIO_NET_CTRL_VLAN_ADD 0u
#define VIRTIO_NET_CTRL_VLAN_DEL 1u
#define VIRTIO_NET_CTRL_ANNOUNCE 3u        /* §5.1.6.5.4 */
#define VIRTIO_NET_CTRL_ANNOUNCE_ACK 0u
#define VIRTIO_NET_CTRL_MQ 4u              /* §5.1.6.5.5: le16 virtqueue_pairs */
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0u
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS 5u  /* §5.1.6.5.6: le64 offloads */
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET 0u

/* §5.1.6: the header before every packet, both ways. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO 4u
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;          /* §5.1.6.1: absent (10 bytes) on a legacy device without
                                    * MRG_RXBUF */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "§5.1.6");
_Static_assert(offsetof(struct virtio_net_hdr, num_buffers) == 10, "§5.1.6");

/* The header's size for the features in force: 12 with VERSION_1 or MRG_RXBUF, else 10
 * (§5.1.6, §5.1.6.1). */
static inline uint32_t virtio_net_hdr_size(uint64_t features)
{
    bool version_1 = features >> 32 & 1u; /* VIRTIO_F_VERSION_1 (§6) */
    return version_1 || (features >> VIRTIO_NET_F_MRG_RXBUF & 1u) ? 12u : 10u;
}

/* §5.1.6.3.1: the least a receive buffer should hold without MRG_RXBUF (1514-byte frame + a
 * 12-byte header), and with GUEST_TSO4/TSO6/UFO (a 65550-byte frame + header). */
#define VIRTIO_NET_RX_MIN_BYTES 1526u
#define VIRTIO_NET_RX_MIN_BYTES_GSO 65562u

#endif /* VIRTIO_NET_H */
