/* net_device.c — see net_device.h. The receive side is net_rx.c. */
#include "model/devices/net_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/devices/net_internal.h"
#include "model/machine.h"

static const uint8_t qemu_default_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* QEMU 7.2's virtio_net_properties (hw/net/virtio-net.c): csum, guest_csum, gso, guest_tso4/6,
 * guest_ecn, guest_ufo, guest_announce, host_tso4/6, host_ecn, host_ufo, mrg_rxbuf, status,
 * ctrl_vq, ctrl_rx, ctrl_vlan, ctrl_rx_extra, ctrl_mac_addr, ctrl_guest_offloads default on; mq,
 * rss, hash, guest_rsc_ext off; MTU and SPEED_DUPLEX only with host_mtu / speed / duplex set
 * (virtio_net_device_realize). virtio_net_get_features adds MAC and, for a peer without a vnet
 * header (-netdev user, socket, none), clears CSUM, HOST_TSO4/6, HOST_ECN, GUEST_CSUM,
 * GUEST_TSO4/6, GUEST_ECN, GUEST_UFO and HOST_UFO. GSO (bit 6) is in the class's
 * legacy_features (virtio_net_class_init): virtio-mmio and virtio-pci show it to a legacy driver
 * only ("host_features & ~vdc->legacy_features" for version 2 / the modern common config), as
 * Linux 6.1's recording shows (DeviceFeatures 0x30bf8024 on a version 2 window). */
static uint64_t net_offered_features(uint32_t transport_version)
{
    uint64_t f = device_qemu_common_features(transport_version) | 1ull << VIRTIO_NET_F_MAC |
                 1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_STATUS |
                 1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX |
                 1ull << VIRTIO_NET_F_CTRL_VLAN | 1ull << VIRTIO_NET_F_CTRL_RX_EXTRA |
                 1ull << VIRTIO_NET_F_GUEST_ANNOUNCE | 1ull << VIRTIO_NET_F_CTRL_MAC_ADDR |
                 1ull << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS;
    if (transport_version == 1)
        f |= 1ull << VIRTIO_NET_F_GSO;
    return f;
}

static int net_create(const struct machine_config *cfg, void **state)
{
    struct net_state *s = calloc(1, sizeof(*s));
    if (!s || cfg->net_frames_len > NET_MAX_SOURCE) {
        free(s);
        return -1;
    }
    memcpy(s->conf_mac, cfg->net_mac ? cfg->net_mac : qemu_default_mac, 6);
    memcpy(s->mac, s->conf_mac, 6);
    s->source = cfg->net_frames;
    s->source_len = cfg->net_frames_len;
    net_filter_reset(&s->filter);
    *state = s;
    return 0;
}

static void net_destroy(void *state)
{
    struct net_state *s = state;
    for (uint32_t i = 0; i < s->n_sink; i++)
        free(s->sink[i].data);
    free(s->sink);
    sr_batch_free(&s->held);
    free(s->arrived);
    free(s);
}

/* QEMU's virtio_net_reset: the mac back to the NIC's, the receive filter promiscuous with empty
 * tables; the frames a stopped queue held are purged (virtio_net_set_status), the chains taken
 * are lost with the rings. */
static void net_reset(void *state, struct machine *m)
{
    (void)m;
    struct net_state *s = state;
    memcpy(s->mac, s->conf_mac, 6);
    s->pending = s->next;
    s->held.n = s->held.nsegs = 0;
    s->held_first = 0;
    net_filter_reset(&s->filter);
}

/* config_len 8 (mac, status: the offered MAC and STATUS); past it QEMU reads all ones. */
static uint32_t net_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)m;
    const struct net_state *s = state;
    struct virtio_net_config c = {.status = VIRTIO_NET_S_LINK_UP, .max_virtqueue_pairs = 1};
    memcpy(c.mac, s->mac, 6);
    uint32_t v = 0xffffffffu;
    if (off + 4 <= NET_CONFIG_LEN)
        memcpy(&v, (const uint8_t *)&c + off, 4);
    return v;
}

/* device_ops.config_field: mac is 6 one-byte fields, status a 16-bit one (§5.1.4); nothing past
 * config_len 8. */
static uint32_t net_config_field(const void *state, uint32_t off, uint32_t *start)
{
    (void)state;
    if (off < 6) {
        *start = off;
        return 1;
    }
    if (off < NET_CONFIG_LEN) {
        *start = 6;
        return 2;
    }
    return 0;
}

static void net_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                             const char **note)
{
    struct net_state *s = state;
    uint64_t f = m->dev.guest_features;
    if (off >= 8) {
        *note = "ignored: past the network device's configuration (mac, status)";
        return;
    }
    if (f >> VIRTIO_F_VERSION_1 & 1u || f >> VIRTIO_NET_F_CTRL_MAC_ADDR & 1u) {
        *note = "ignored: QEMU takes a mac written to the config only without VERSION_1 and "
                "CTRL_MAC_ADDR (virtio_net_set_config)";
        return;
    }
    for (uint32_t i = 0; i < 4 && off + i < 6; i++) /* status (bytes 6, 7) is read-only */
        s->mac[off + i] = (uint8_t)(value >> 8 * i);
}

/* §5.1.6.2.1: the header's fields as the driver must set them on transmit. */
static void tx_check_header(struct machine *m, uint32_t qi, uint16_t head,
                            const struct virtio_net_hdr *h, uint32_t hdr_size)
{
    uint64_t f = m->dev.guest_features;
    if (hdr_size == 12 && h->num_buffers != 0)
        machine_violation(m, "net.tx.num-buffers-zero", (int)qi,
                          "transmit header (head %u) has num_buffers %u: the driver sets it to "
                          "zero (§5.1.6.2.1); QEMU ignores it", head, h->num_buffers);
    if (!(f >> VIRTIO_NET_F_CSUM & 1u) && h->flags != 0)
        machine_violation(m, "net.tx.flags-zero", (int)qi,
                          "transmit header (head %u) has flags 0x%02x without VIRTIO_NET_F_CSUM "
                          "negotiated: the driver sets flags to zero (§5.1.6.2.1); QEMU's "
                          "backend without a vnet header drops the header unread", head, h->flags);
    static const struct {
        uint8_t type;
        uint32_t feature;
        const char *name;
    } gso[] = {{VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_F_HOST_TSO4, "TCPV4 without HOST_TSO4"},
               {VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_F_HOST_TSO6, "TCPV6 without HOST_TSO6"},
               {VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_F_HOST_UFO, "UDP without HOST_UFO"}};
    uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    for (size_t i = 0; i < sizeof(gso) / sizeof(gso[0]); i++)
        if (type == gso[i].type && !(f >> gso[i].feature & 1u))
            machine_violation(m, "net.tx.gso-negotiated", (int)qi,
                              "transmit header (head %u) has gso_type 0x%02x (%s negotiated): "
                              "the driver must not ask for a segmentation it did not negotiate "
                              "(§5.1.6.2.1)", head, h->gso_type, gso[i].name);
    if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(f >> VIRTIO_NET_F_HOST_ECN & 1u))
        machine_violation(m, "net.tx.gso-negotiated", (int)qi,
                          "transmit header (head %u) has the GSO_ECN bit in gso_type 0x%02x "
                          "without VIRTIO_NET_F_HOST_ECN negotiated (§5.1.6.2.1)", head,
                          h->gso_type);
}

/* Keep the frame after the header in the sink. */
static void tx_sink(struct net_state *s, struct machine *m, const struct sr_chain *c,
                    uint32_t hdr_size)
{
    uint64_t full = c->readable - hdr_size;
    uint32_t keep = full < NET_MAX_FRAME ? (uint32_t)full : NET_MAX_FRAME;
    if (s->n_sink == NET_MAX_SINK)
        return;
    if (s->n_sink == s->cap_sink) {
        uint32_t cap = s->cap_sink ? 2 * s->cap_sink : 16;
        void *p = realloc(s->sink, cap * sizeof(*s->sink));
        if (!p)
            return;
        s->sink = p;
        s->cap_sink = cap;
    }
    uint8_t *data = malloc(keep ? keep : 1);
    if (!data)
        return;
    size_t got = sr_read(m, c, hdr_size, data, keep);
    s->sink[s->n_sink++] = (struct net_sent){data, (uint32_t)got, (uint32_t)full};
    machine_trace(m, TR_DEVICE, VIRTIO_NET_QUEUE_TX, (uint32_t)full, 0, "net frame sent");
}

/* QEMU's virtio_net_flush_tx: each chain's header, then its frame to the backend; used len 0.
 * With a peer without a vnet header (host_hdr_len 0) QEMU never reads the header: a chain with
 * no readable buffer is virtio_error "virtio-net header not in first element", one whose readable
 * bytes end at or before the header's end "virtio-net nothing to send" (the iov_copy past
 * guest_hdr_len is empty) — a header alone, with no frame, breaks the device too. */
static uint32_t tx_flush(struct net_state *s, struct machine *m, uint32_t qi)
{
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0, hdr_size = virtio_net_hdr_size(m->dev.guest_features);
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        if (c->readable <= hdr_size) {
            machine_break_device(m, "net.tx.header", (int)qi,
                                 "transmit chain (head %u) has %llu device-readable byte(s): "
                                 "each packet is the %u-byte header the negotiated features "
                                 "give (§5.1.6), then the frame; QEMU: virtio_error "
                                 "(\"virtio-net %s\")", c->head, (unsigned long long)c->readable,
                                 hdr_size, c->readable ? "nothing to send"
                                                       : "header not in first element");
            return pushed;
        }
        struct virtio_net_hdr h = {0};
        sr_read(m, c, 0, &h, hdr_size);
        tx_check_header(m, qi, c->head, &h, hdr_size);
        tx_sink(s, m, c, hdr_size);
        pushed += ring_push(&m->dev.q[qi], c->head, 0);
    }
    return pushed;
}

static uint32_t net_process_queue(void *state, struct machine *m, uint32_t qi)
{
    if (!(m->dev.status & VIRTIO_STATUS_DRIVER_OK)) /* QEMU: nothing before DRIVER_OK */
        return 0;
    if (qi == VIRTIO_NET_QUEUE_TX)
        return tx_flush(state, m, qi);
    if (qi == VIRTIO_NET_QUEUE_CTRL) /* virtio_net_handle_ctrl (net_ctrl.c) */
        return net_ctrl_flush(state, m);
    return net_rx_flush(state, m); /* QEMU's virtio_net_handle_rx: the queued frames go now */
}

bool net_device_sent(const struct machine *m, uint32_t i, const uint8_t **data, uint32_t *len,
                     uint32_t *full_len)
{
    if (m->device.ops != &net_device_ops)
        return false;
    const struct net_state *s = m->device.state;
    if (i >= s->n_sink)
        return false;
    *data = s->sink[i].data;
    *len = s->sink[i].len;
    *full_len = s->sink[i].full_len;
    return true;
}

const struct device_ops net_device_ops = {
    .name = "net",
    .device_id = VIRTIO_ID_NET,
    .pci_class = 0x0200, /* virtio-net-pci: ethernet; vectors 2 × queue pairs + 1 */
    .pci_vectors = 3,
    .n_queues = 3, /* receiveq1, transmitq1, controlq: QEMU adds the controlq whatever the
                    * features (virtio_net_device_realize: virtio_add_queue(vdev, 64, ...)) */
    .queue_size = {NET_QUEUE_SIZE, NET_QUEUE_SIZE, NET_CTRL_QUEUE_SIZE},
    .config_size = NET_CONFIG_LEN,
    .offered_features = net_offered_features,
    .create = net_create,
    .destroy = net_destroy,
    .reset = net_reset,
    .config_read = net_config_read,
    .config_write = net_config_write,
    .process_queue = net_process_queue,
    .config_field = net_config_field,
    .standing_queues = 1u << VIRTIO_NET_QUEUE_RX, /* frames come when the host has some */
    .host_arrival = net_host_arrival,
    .explain = net_explain,
};
