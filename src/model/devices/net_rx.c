/* net_rx.c — the network device's receive side (net_device.h): frames from the packet source
 * into the receiveq's buffers, as QEMU 7.2's virtio_net_receive_rcu places them, the checks of
 * §5.1.6.3.1 on each buffer, and the device's account of frames that could not be placed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/devices/net_internal.h"
#include "model/machine.h"
#include "model/transport/mmio_device.h"

enum rx_result { RX_WAIT, RX_DELIVERED, RX_DROPPED };

static uint64_t features(const struct machine *m) { return m->dev.guest_features; }

/* §5.1.6.3.1 on a receive chain the device takes. False: the device broke on it. */
static bool rx_check_chain(struct machine *m, const struct sr_chain *c)
{
    uint64_t f = features(m);
    uint32_t hdr = virtio_net_hdr_size(f);
    if (c->writable == 0) {
        machine_break_device(m, "net.rx.writable", VIRTIO_NET_QUEUE_RX,
                             "receive chain (head %u) has no device-writable buffer (%llu "
                             "readable byte(s)): nowhere to put a packet; QEMU: virtio_error "
                             "(\"virtio-net receive queue contains no in buffers\")", c->head,
                             (unsigned long long)c->readable);
        return false;
    }
    if (f >> VIRTIO_NET_F_MRG_RXBUF & 1u) {
        if (c->writable < hdr)
            machine_violation(m, "net.rx.buffer-header", VIRTIO_NET_QUEUE_RX,
                              "receive buffer (head %u) holds %llu byte(s): with MRG_RXBUF each "
                              "buffer must hold at least the %u-byte header (§5.1.6.3.1)",
                              c->head, (unsigned long long)c->writable, hdr);
        return true;
    }
    bool gso = f & (1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6 |
                    1ull << VIRTIO_NET_F_GUEST_UFO);
    uint32_t least = gso ? VIRTIO_NET_RX_MIN_BYTES_GSO : VIRTIO_NET_RX_MIN_BYTES;
    if (c->writable < least)
        machine_violation(m, "net.rx.buffer-size", VIRTIO_NET_QUEUE_RX,
                          "receive buffer (head %u) holds %llu byte(s): without MRG_RXBUF %s "
                          "the driver should post buffers of at least %u bytes (§5.1.6.3.1); "
                          "QEMU drops a frame that does not fit and leaves the buffer",
                          c->head, (unsigned long long)c->writable,
                          gso ? "and with GUEST_TSO4/TSO6/UFO" : "or guest segmentation", least);
    return true;
}

/* Receive chain k of the frame being placed into *c: one taken before and unused, else the next
 * the driver made available (checked once, when taken). False: none (or the device broke). */
static bool rx_chain(struct net_state *s, struct machine *m, uint32_t k, struct sr_chain *c)
{
    uint32_t i = s->held_first + k;
    if (i < s->held.n) {
        sr_batch_get(&s->held, i, c);
        return true;
    }
    if (ring_pop(&m->dev.q[VIRTIO_NET_QUEUE_RX], c) != RING_OK || !rx_check_chain(m, c))
        return false;
    return sr_batch_add(&s->held, c);
}

/* The chains 0..k-1 get header and frame as one stream, each filled whole but the last; *pushed
 * grows by the pushes with an interrupt due. False: the host had no memory (the chains stay
 * held, the frame waits). */
static bool rx_write(struct net_state *s, struct machine *m, const struct net_frame *f,
                     uint32_t k, uint32_t hdr_size, uint32_t *pushed)
{
    uint64_t total = (uint64_t)hdr_size + f->len;
    uint8_t *stream = malloc(total);
    if (!stream)
        return false;
    struct virtio_net_hdr h = {.gso_type = VIRTIO_NET_HDR_GSO_NONE, .num_buffers = (uint16_t)k};
    memcpy(stream, &h, hdr_size); /* flags 0: no GUEST_CSUM from a backend without vnet header */
    if (f->len)
        memcpy(stream + hdr_size, f->data, f->len);
    struct sr_chain *c = &m->chain;
    uint64_t off = 0;
    for (uint32_t i = 0; i < k; i++) {
        sr_batch_get(&s->held, s->held_first + i, c);
        uint64_t n = total - off < c->writable ? total - off : c->writable;
        size_t done = sr_write(m, c, stream + off, n);
        off += n;
        *pushed += ring_push(&m->dev.q[VIRTIO_NET_QUEUE_RX], c->head, (uint32_t)done);
    }
    free(stream);
    s->held_first += k;
    if (s->held_first == s->held.n)
        s->held.n = s->held.nsegs = s->held_first = 0;
    machine_trace(m, TR_DEVICE, VIRTIO_NET_QUEUE_RX, f->len, 0, "net frame received");
    return true;
}

/* One frame into the receiveq (virtio_net_receive_rcu): *pushed grows by the chains used. */
static enum rx_result rx_one(struct net_state *s, struct machine *m, const struct net_frame *f,
                             uint32_t *pushed)
{
    if (!(m->dev.status & VIRTIO_STATUS_DRIVER_OK) || m->dev.broken) /* can_receive */
        return RX_WAIT;
    uint32_t hdr_size = virtio_net_hdr_size(features(m));
    bool mergeable = features(m) >> VIRTIO_NET_F_MRG_RXBUF & 1u;
    uint64_t need = (uint64_t)hdr_size + f->len, room = 0;
    uint32_t k = 0;
    struct sr_chain *c = &m->chain;
    do {
        if (!rx_chain(s, m, k, c))
            return RX_WAIT; /* no buffer, or (mergeable) too few bytes yet: the frame waits */
        room += c->writable;
        k++;
    } while (mergeable && room < need);
    /* QEMU's receive_filter, after virtio_net_has_buffers found room */
    if (!s->unfiltered && !net_filter_accepts(s, m, f->data, f->len)) {
        if (!s->filtered++) {
            s->first_filtered_at = m->now;
            memcpy(s->first_filtered_dest, f->data, f->len < 6 ? f->len : 6);
        }
        machine_trace(m, TR_DEVICE, VIRTIO_NET_QUEUE_RX, f->len, 0,
                      "net frame filtered out (controlq receive filter)");
        return RX_DROPPED;
    }
    if (room < need) { /* one chain and it is short: dropped, the chain left (virtqueue_unpop) */
        if (!s->dropped.frames++) {
            s->dropped.first_at = m->now;
            s->dropped.need = (uint32_t)need;
            s->dropped.room = (uint32_t)room;
        }
        machine_trace(m, TR_DEVICE, VIRTIO_NET_QUEUE_RX, f->len, 0,
                      "net frame dropped: receive buffer too small");
        return RX_DROPPED;
    }
    return rx_write(s, m, f, k, hdr_size, pushed) ? RX_DELIVERED : RX_WAIT;
}

uint32_t net_rx_flush(struct net_state *s, struct machine *m)
{
    uint32_t pushed = 0;
    while (s->pending < s->next) {
        if (rx_one(s, m, &s->source[s->pending], &pushed) == RX_WAIT)
            break;
        s->pending++;
        s->waiting_since = m->now; /* the next one waits from now, if it waits */
    }
    return pushed;
}

uint32_t net_device_inject(struct machine *m, uint32_t n)
{
    if (m->device.ops != &net_device_ops)
        return 0;
    struct net_state *s = m->device.state;
    uint32_t done = 0;
    for (; done < n && s->next < s->source_len; done++) {
        if (s->pending == s->next)
            s->waiting_since = m->now;
        s->next++;
    }
    if (net_rx_flush(s, m))
        mmio_device_raise_used_irq(m, VIRTIO_NET_QUEUE_RX);
    return done;
}

/* device_ops.host_arrival: a frame of `bytes` − header bytes arrived (a recording's QEMU placed
 * it): zeros, past the receive filter (QEMU's filter let it through), in the device's order. */
uint32_t net_host_arrival(void *state, struct machine *m, uint32_t qi, uint64_t bytes)
{
    static const uint8_t unknown[NET_MAX_FRAME];
    struct net_state *s = state;
    uint32_t hdr = virtio_net_hdr_size(features(m));
    if (qi != VIRTIO_NET_QUEUE_RX || bytes <= hdr || bytes - hdr > NET_MAX_FRAME)
        return 0;
    if (s->source != s->arrived) { /* the recording's arrivals replace a scenario's source */
        s->source = s->arrived;
        s->source_len = s->next = s->pending = 0;
    }
    if (s->source_len == s->cap_arrived) {
        uint32_t cap = s->cap_arrived ? 2 * s->cap_arrived : 64;
        struct net_frame *p = realloc(s->arrived, cap * sizeof(*p));
        if (!p)
            return 0;
        s->arrived = p;
        s->source = p;
        s->cap_arrived = cap;
    }
    s->arrived[s->source_len++] = (struct net_frame){unknown, (uint32_t)(bytes - hdr)};
    s->unfiltered = true;
    uint16_t before = m->dev.q[VIRTIO_NET_QUEUE_RX].used_idx;
    net_device_inject(m, 1);
    return (uint16_t)(m->dev.q[VIRTIO_NET_QUEUE_RX].used_idx - before);
}

static void evidence(struct device_silence *out, const char *key, uint64_t v)
{
    if (out->n_evidence >= DEVICE_SILENCE_EVIDENCE)
        return;
    out->evidence[out->n_evidence].key = key;
    snprintf(out->evidence[out->n_evidence++].value, sizeof(out->evidence[0].value), "%llu",
             (unsigned long long)v);
}

/* Frames arrived and wait: no buffer (or, mergeable, too few bytes) in the receiveq. */
static void explain_waiting(const struct net_state *s, const struct machine *m,
                            struct device_silence *out)
{
    uint32_t hdr = virtio_net_hdr_size(features(m));
    uint32_t avail = ring_avail_chains(&m->dev.q[VIRTIO_NET_QUEUE_RX], NET_QUEUE_SIZE);
    uint32_t held = s->held.n - s->held_first;
    uint64_t room = 0;
    for (uint32_t i = s->held_first; i < s->held.n; i++)
        room += s->held.chains[i].writable;
    out->cause = "no-buffers-posted";
    out->section = "5.1.6.3";
    out->title = "Setting Up Receive Buffers";
    evidence(out, "frames_waiting", s->next - s->pending);
    evidence(out, "buffers_available", avail + held);
    evidence(out, "bytes_available", room);
    evidence(out, "bytes_needed", (uint64_t)hdr + s->source[s->pending].len);
    evidence(out, "waiting_since_ns", s->waiting_since);
    snprintf(out->message, sizeof(out->message),
             "The network device has %u frame(s) for the driver, the first waiting since t=%llu "
             "ns, and the receiveq has %u buffer(s) with %llu byte(s) for it (it needs %llu: a "
             "%u-byte header and the frame): QEMU's virtio-net holds the frames in its net queue "
             "until the driver adds receive buffers and notifies the receiveq, so the driver "
             "waits for frames that never come. A driver fills the receiveq before DRIVER_OK's "
             "first frame and keeps it populated (§5.1.6.3).",
             s->next - s->pending, (unsigned long long)s->waiting_since, avail + held,
             (unsigned long long)room, (unsigned long long)hdr + s->source[s->pending].len, hdr);
}

/* Frames dropped: the one chain a frame may use (no MRG_RXBUF) was too short. */
static void explain_dropped(const struct net_state *s, struct device_silence *out)
{
    out->cause = "rx-buffer-too-small";
    out->section = "5.1.6.3.1";
    out->title = "Driver Requirements: Setting Up Receive Buffers";
    evidence(out, "frames_dropped", s->dropped.frames);
    evidence(out, "bytes_needed", s->dropped.need);
    evidence(out, "buffer_bytes", s->dropped.room);
    evidence(out, "first_drop_ns", s->dropped.first_at);
    snprintf(out->message, sizeof(out->message),
             "The network device dropped %u frame(s): without MRG_RXBUF a frame and its header "
             "go into one receive buffer, and the first dropped needed %u bytes where the buffer "
             "held %u (t=%llu ns). QEMU's virtio-net drops such a frame and leaves the buffer "
             "for the next, so the driver waits for frames that were thrown away. Post buffers "
             "of at least 1526 bytes (65562 with GUEST_TSO4/TSO6/UFO), or negotiate MRG_RXBUF "
             "(§5.1.6.3.1).", s->dropped.frames, s->dropped.need, s->dropped.room,
             (unsigned long long)s->dropped.first_at);
}

/* A text item of evidence (a mac, the filter's state); its value, or "" when full. */
static const char *evidence_text(struct device_silence *out, const char *key, const char *fmt,
                                 ...) __attribute__((format(printf, 3, 4)));
static const char *evidence_text(struct device_silence *out, const char *key, const char *fmt,
                                 ...)
{
    if (out->n_evidence >= DEVICE_SILENCE_EVIDENCE)
        return "";
    char *v = out->evidence[out->n_evidence].value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(out->evidence[0].value), fmt, ap);
    va_end(ap);
    out->evidence[out->n_evidence++].key = key;
    return v;
}

/* Frames the receive filter dropped (QEMU's receive_filter, as the controlq set it). */
static void explain_filtered(const struct net_state *s, struct device_silence *out)
{
    const struct net_filter *f = &s->filter;
    const uint8_t *d = s->first_filtered_dest, *mac = s->mac;
    out->cause = "rx-frame-filtered";
    out->section = "5.1.6.5.1";
    out->title = "Packet Receive Filtering";
    evidence(out, "frames_filtered", s->filtered);
    evidence(out, "first_filtered_ns", s->first_filtered_at);
    const char *to = evidence_text(out, "first_destination", "%02x:%02x:%02x:%02x:%02x:%02x",
                                   d[0], d[1], d[2], d[3], d[4], d[5]);
    const char *own = evidence_text(out, "device_mac", "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                                    mac[1], mac[2], mac[3], mac[4], mac[5]);
    evidence_text(out, "filter", "promisc %u allmulti %u alluni %u nomulti %u nouni %u "
                  "nobcast %u, %u table entries (%u unicast)", f->promisc, f->allmulti,
                  f->alluni, f->nomulti, f->nouni, f->nobcast, f->in_use, f->first_multi);
    snprintf(out->message, sizeof(out->message),
             "The network device dropped %u frame(s) at its receive filter, the first (to %s) at "
             "t=%llu ns: the driver's controlq commands turned promiscuous mode off, and the "
             "frame's destination is neither the device's mac (%s), broadcast, nor in the MAC "
             "table or a mode the driver enabled. QEMU's virtio-net drops such frames without "
             "a trace, so the driver waits for frames that were filtered out. Set the MAC table, "
             "the mac (MAC_ADDR_SET) or the RX mode for the traffic wanted (§5.1.6.5.1, "
             "§5.1.6.5.2).", s->filtered, to, (unsigned long long)s->first_filtered_at, own);
}

bool net_explain(const void *state, const struct machine *m, uint32_t qi,
                 struct device_silence *out)
{
    const struct net_state *s = state;
    if (qi != VIRTIO_NET_QUEUE_RX || m->dev.broken) /* broken: the device-broken cause says why */
        return false;
    if (s->pending < s->next)
        explain_waiting(s, m, out);
    else if (s->dropped.frames)
        explain_dropped(s, out);
    else if (s->filtered)
        explain_filtered(s, out);
    else
        return false;
    return true;
}
