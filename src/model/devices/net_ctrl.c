/* net_ctrl.c — the network device's controlq (VirtIO 1.1 §5.1.6.5) as QEMU 7.2's
 * virtio_net_handle_ctrl runs it (hw/net/virtio-net.c, Debian's 1:7.2+dfsg-7+deb12u18), the receive
 * filter its commands set (receive_filter), and the rules §5.1.6.5 puts on the driver's commands.
 *
 * Per chain (virtio_net_handle_ctrl_iov): fewer than 1 device-writable byte or 2 device-readable
 * ones is virtio_error ("virtio-net ctrl missing headers"): the device breaks, the chain is not
 * used. Else the command runs (RX mode, MAC table / address, VLAN, ANNOUNCE, MQ, guest
 * offloads), the ack (VIRTIO_NET_OK / VIRTIO_NET_ERR) goes to the first device-writable byte and
 * the chain is used with length 1. QEMU checks a feature for MQ and GUEST_OFFLOADS only; the
 * rules check every class's feature (§5.1.6.5.1.2, §5.1.6.5.2.2, ...). */
#include <string.h>

#include "model/devices/net_internal.h"
#include "model/machine.h"
#include "spec/feature_names.h"

#define MAC_LEN 6u

static bool negotiated(const struct machine *m, uint32_t bit)
{
    return m->dev.guest_features >> bit & 1u;
}

/* QEMU's virtio_net_reset: promiscuous "for compatibility", no filter, empty tables. */
void net_filter_reset(struct net_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->promisc = true;
}

/* receive_filter: whether a frame reaches the guest (dropped silently when not). */
bool net_filter_accepts(const struct net_state *s, const struct machine *m, const uint8_t *p,
                        uint32_t len)
{
    const struct net_filter *f = &s->filter;
    if (f->promisc)
        return true;
    if (len >= 16 && p[12] == 0x81 && p[13] == 0x00 && negotiated(m, VIRTIO_NET_F_CTRL_VLAN)) {
        uint32_t vid = ((uint32_t)p[14] << 8 | p[15]) & 0xfffu; /* without CTRL_VLAN: all 1s */
        if (!(f->vlans[vid >> 5] >> (vid & 31u) & 1u))
            return false;
    }
    if (len < MAC_LEN)
        return false;
    static const uint8_t bcast[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    bool multi = p[0] & 1u;
    if (multi && !memcmp(p, bcast, MAC_LEN))
        return !f->nobcast;
    if (multi ? f->nomulti : f->nouni)
        return false;
    if (multi ? f->allmulti || f->multi_overflow : f->alluni || f->uni_overflow)
        return true;
    if (!multi && !memcmp(p, s->mac, MAC_LEN))
        return true;
    uint32_t from = multi ? f->first_multi : 0, to = multi ? f->in_use : f->first_multi;
    for (uint32_t i = from; i < to; i++)
        if (!memcmp(p, f->macs[i], MAC_LEN))
            return true;
    return false;
}

/* The feature a command needs (§5.1.6.5.*'s driver requirements), or -1 for none known. */
static int command_feature(uint8_t cls, uint8_t cmd)
{
    switch (cls) {
    case VIRTIO_NET_CTRL_RX: /* §5.1.6.5.1.2 */
        return cmd <= VIRTIO_NET_CTRL_RX_ALLMULTI ? (int)VIRTIO_NET_F_CTRL_RX
                                                  : (int)VIRTIO_NET_F_CTRL_RX_EXTRA;
    case VIRTIO_NET_CTRL_MAC: /* §5.1.6.5.2.2: the class needs CTRL_RX; ADDR_SET CTRL_MAC_ADDR */
        return cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET ? (int)VIRTIO_NET_F_CTRL_MAC_ADDR
                                                   : (int)VIRTIO_NET_F_CTRL_RX;
    case VIRTIO_NET_CTRL_VLAN: return VIRTIO_NET_F_CTRL_VLAN;          /* §5.1.6.5.3 */
    case VIRTIO_NET_CTRL_ANNOUNCE: return VIRTIO_NET_F_GUEST_ANNOUNCE; /* §5.1.6.5.4 */
    case VIRTIO_NET_CTRL_MQ: return VIRTIO_NET_F_MQ;                   /* §5.1.6.5.5 */
    case VIRTIO_NET_CTRL_GUEST_OFFLOADS: return VIRTIO_NET_F_CTRL_GUEST_OFFLOADS; /* §5.1.6.5.6 */
    default: return -1;
    }
}

/* net.ctrl.class-negotiated: the command's feature, and CTRL_VQ itself (§5.1.2). */
static void check_negotiated(struct machine *m, uint16_t head, uint8_t cls, uint8_t cmd)
{
    int bit = command_feature(cls, cmd);
    if (!negotiated(m, VIRTIO_NET_F_CTRL_VQ))
        machine_violation(m, "net.ctrl.class-negotiated", VIRTIO_NET_QUEUE_CTRL,
                          "controlq command (head %u) class %u command %u without "
                          "VIRTIO_NET_F_CTRL_VQ negotiated: the controlq exists only with it "
                          "(§5.1.2, §5.1.6.5)", head, cls, cmd);
    else if (bit >= 0 && !negotiated(m, (uint32_t)bit))
        machine_violation(m, "net.ctrl.class-negotiated", VIRTIO_NET_QUEUE_CTRL,
                          "controlq command (head %u) class %u command %u without %s "
                          "negotiated: the driver must not issue it (§5.1.6.5); QEMU answers "
                          "VIRTIO_NET_ERR for MQ and GUEST_OFFLOADS only", head, cls, cmd,
                          feature_name_of("net", (uint32_t)bit));
}

/* virtio_net_handle_rx_mode: one byte, on or off. */
static uint8_t do_rx_mode(struct net_state *s, uint8_t cmd, const uint8_t *d, uint32_t n)
{
    bool *flag[] = {&s->filter.promisc, &s->filter.allmulti, &s->filter.alluni,
                    &s->filter.nomulti, &s->filter.nouni, &s->filter.nobcast};
    if (n < 1 || cmd > VIRTIO_NET_CTRL_RX_NOBCAST)
        return VIRTIO_NET_ERR;
    *flag[cmd] = d[0] != 0;
    return VIRTIO_NET_OK;
}

static uint32_t le32_at(const uint8_t *d)
{
    return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

/* net.ctrl.mac-table (§5.1.6.5.2.2): le32 count, that many non-multicast macs, le32 count, that
 * many multicast macs, nothing more. Returns whether the sizes hold (QEMU's own test: it takes a
 * multicast address among the unicast ones, or the reverse, as given). */
static bool mac_table_layout(struct machine *m, uint16_t head, const uint8_t *d, uint32_t n)
{
    const char *why = NULL;
    uint32_t uni = n >= 4 ? le32_at(d) : 0, multi = 0;
    if (n < 4 || uni > (n - 4) / MAC_LEN || n - 4 - uni * MAC_LEN < 4) {
        why = "fewer bytes than its counts say";
    } else {
        uint32_t rest = n - 8 - uni * MAC_LEN; /* after the second count */
        multi = le32_at(d + 4 + uni * MAC_LEN);
        if (multi > rest / MAC_LEN)
            why = "fewer bytes than its counts say";
        else if (rest != multi * MAC_LEN)
            why = "bytes after the multicast entries";
    }
    bool sizes = !why;
    for (uint32_t i = 0; sizes && !why && i < uni + multi; i++) {
        const uint8_t *e = d + 4 + i * MAC_LEN + (i >= uni ? 4 : 0);
        if ((e[0] & 1u) != (i >= uni))
            why = i >= uni ? "a unicast address among the multicast entries"
                           : "a multicast address among the unicast entries";
    }
    if (why)
        machine_violation(m, "net.ctrl.mac-table", VIRTIO_NET_QUEUE_CTRL,
                          "VIRTIO_NET_CTRL_MAC_TABLE_SET (head %u, %u data byte(s)): %s; the "
                          "driver follows the command by a le32 count, that many non-multicast "
                          "macs, a le32 count and that many multicast macs (§5.1.6.5.2.2)", head,
                          n, why);
    return sizes;
}

/* virtio_net_handle_mac: MAC_ADDR_SET (exactly 6 bytes), MAC_TABLE_SET (64 entries, else the
 * overflow flag of that half). */
static uint8_t do_mac(struct net_state *s, struct machine *m, uint16_t head, uint8_t cmd,
                      const uint8_t *d, uint32_t n)
{
    if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
        if (n != MAC_LEN)
            return VIRTIO_NET_ERR;
        memcpy(s->mac, d, MAC_LEN);
        return VIRTIO_NET_OK;
    }
    if (cmd != VIRTIO_NET_CTRL_MAC_TABLE_SET || !mac_table_layout(m, head, d, n))
        return VIRTIO_NET_ERR;
    struct net_filter *f = &s->filter;
    uint32_t uni = le32_at(d), multi = le32_at(d + 4 + uni * MAC_LEN);
    f->uni_overflow = uni > NET_MAC_TABLE;
    f->in_use = f->uni_overflow ? 0 : uni;
    memcpy(f->macs, d + 4, (size_t)f->in_use * MAC_LEN);
    f->first_multi = f->in_use;
    f->multi_overflow = multi > NET_MAC_TABLE - f->in_use;
    if (!f->multi_overflow) {
        memcpy(f->macs[f->in_use], d + 8 + uni * MAC_LEN, (size_t)multi * MAC_LEN);
        f->in_use += multi;
    }
    return VIRTIO_NET_OK;
}

/* virtio_net_handle_offloads: net.ctrl.offloads-negotiated (§5.1.6.5.6.1), then QEMU's ERR for a
 * backend without a vnet header (has_vnet_hdr false: -netdev user, socket). */
static uint8_t do_offloads(struct machine *m, uint16_t head, uint8_t cmd, const uint8_t *d,
                           uint32_t n)
{
    if (!negotiated(m, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) || n < 8)
        return VIRTIO_NET_ERR;
    uint64_t want = le32_at(d) | (uint64_t)le32_at(d + 4) << 32;
    uint64_t guest = 1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_GUEST_TSO4 |
                     1ull << VIRTIO_NET_F_GUEST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_ECN |
                     1ull << VIRTIO_NET_F_GUEST_UFO;
    uint64_t bad = want & ~(guest & m->dev.guest_features);
    if (cmd == VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET && bad)
        machine_violation(m, "net.ctrl.offloads-negotiated", VIRTIO_NET_QUEUE_CTRL,
                          "VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET (head %u) enables offloads "
                          "0x%llx; 0x%llx of them are not negotiated guest offloads: a driver "
                          "must not enable an offload whose feature it did not negotiate "
                          "(§5.1.6.5.6.1)", head, (unsigned long long)want,
                          (unsigned long long)bad);
    return VIRTIO_NET_ERR;
}

/* One command's ack, QEMU's answer to it. */
static uint8_t run_command(struct net_state *s, struct machine *m, uint16_t head, uint8_t cls,
                           uint8_t cmd, const uint8_t *d, uint32_t n)
{
    switch (cls) {
    case VIRTIO_NET_CTRL_RX: return do_rx_mode(s, cmd, d, n);
    case VIRTIO_NET_CTRL_MAC: return do_mac(s, m, head, cmd, d, n);
    case VIRTIO_NET_CTRL_VLAN: { /* virtio_net_handle_vlan_table: le16 vid below 4096 */
        uint32_t vid = n >= 2 ? (uint32_t)(d[0] | d[1] << 8) : 0xffffu;
        if (vid >= 4096 || cmd > VIRTIO_NET_CTRL_VLAN_DEL)
            return VIRTIO_NET_ERR;
        if (cmd == VIRTIO_NET_CTRL_VLAN_ADD)
            s->filter.vlans[vid >> 5] |= 1u << (vid & 31u);
        else
            s->filter.vlans[vid >> 5] &= ~(1u << (vid & 31u));
        return VIRTIO_NET_OK;
    }
    /* ANNOUNCE_ACK is OK only while status has ANNOUNCE (never: the model does not migrate);
     * MQ_VQ_PAIRS_SET needs MQ and multiqueue (one pair: never). */
    case VIRTIO_NET_CTRL_GUEST_OFFLOADS: return do_offloads(m, head, cmd, d, n);
    default: return VIRTIO_NET_ERR;
    }
}

/* One chain: false when the device broke on it. */
static bool ctrl_one(struct net_state *s, struct machine *m, const struct sr_chain *c)
{
    if (c->writable < 1 || c->readable < sizeof(struct virtio_net_ctrl_hdr)) {
        machine_break_device(m, "net.ctrl.header", VIRTIO_NET_QUEUE_CTRL,
                             "controlq chain (head %u) has %llu device-readable and %llu "
                             "device-writable byte(s): a command is class and command "
                             "(device-readable), then the ack byte (device-writable) "
                             "(§5.1.6.5); QEMU: virtio_error (\"virtio-net ctrl missing "
                             "headers\")", c->head, (unsigned long long)c->readable,
                             (unsigned long long)c->writable);
        return false;
    }
    if (c->writable != 1)
        machine_violation(m, "net.ctrl.ack-size", VIRTIO_NET_QUEUE_CTRL,
                          "controlq chain (head %u) has %llu device-writable bytes: the ack is "
                          "one byte, the command's last (§5.1.6.5); QEMU writes it to the first "
                          "writable byte, where a driver reading the last would not find it",
                          c->head, (unsigned long long)c->writable);
    struct virtio_net_ctrl_hdr h;
    sr_read(m, c, 0, &h, sizeof(h));
    uint64_t nd = c->readable - sizeof(h);
    uint32_t n = nd < NET_CTRL_MAX_DATA ? (uint32_t)nd : NET_CTRL_MAX_DATA;
    sr_read(m, c, sizeof(h), s->ctrl_data, n);
    check_negotiated(m, c->head, h.class_, h.cmd);
    uint8_t ack = nd > NET_CTRL_MAX_DATA ? VIRTIO_NET_ERR /* no command is that long */
                                         : run_command(s, m, c->head, h.class_, h.cmd,
                                                       s->ctrl_data, n);
    sr_write(m, c, &ack, 1);
    machine_trace(m, TR_DEVICE, VIRTIO_NET_QUEUE_CTRL, (uint32_t)h.class_ << 8 | h.cmd, ack,
                  "net control command");
    s->ctrl_commands++;
    return true;
}

uint32_t net_ctrl_flush(struct net_state *s, struct machine *m)
{
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    while (ring_pop(&m->dev.q[VIRTIO_NET_QUEUE_CTRL], c) == RING_OK) {
        if (!ctrl_one(s, m, c))
            break; /* virtqueue_detach_element: the chain is never used */
        pushed += ring_push(&m->dev.q[VIRTIO_NET_QUEUE_CTRL], c->head, 1);
    }
    return pushed;
}
