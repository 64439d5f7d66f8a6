/* kernel_net.c — see kernel_net.h. */
#include "harness/kernel_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_net.h"
#include "harness/hal_sim.h"
#include "harness/patterns.h"
#include "model/devices/net_device.h"
#include "util/sha256.h"

struct kernel_net {
    struct vnet drv;
    struct vnet_config cfg;
    uint8_t mac[6];                    /* the mac the device must show */
    const struct net_frame *source;
    uint32_t source_len, played;       /* frames of the source delivered so far */
    uint32_t sent;                     /* frames sent (the sink's count, if all went out) */
    uint8_t frame[12 + VNET_MAX_FRAME];/* header and frame as the device must see them */
    uint8_t got[VNET_MAX_FRAME];
};

uint8_t kernel_net_frame_byte(uint32_t seed, uint32_t i)
{
    return pattern_net_byte(seed, i); /* (the bare-metal port makes the same frames) */
}

static void *net_open(const struct scenario *sc, char *failure)
{
    (void)failure;
    struct kernel_net *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->cfg = (struct vnet_config){
        .mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
        .layout = sc->layout, .legacy_align = sc->queue_align, .timeout_ns = sc->timeout_ns,
        .features = scenario_driver_features(sc) | 1ull << VIRTIO_NET_F_MAC |
                    1ull << VIRTIO_NET_F_STATUS,
        .rx_buffers = sc->net_rx_buffers, .rx_buffer_bytes = sc->net_rx_buffer_bytes};
    static const uint8_t qemu_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(k->mac, sc->net_mac_set ? sc->net_mac : qemu_mac, 6);
    k->source = sc->net_frames;
    k->source_len = sc->net_frames_len;
    return k;
}

static void net_close(void *k) { free(k); }

static int net_init(void *kk, struct virtio_transport *t, struct step_result *sr, char *failure)
{
    struct kernel_net *k = kk;
    k->cfg.transport = t;
    /* QEMU's queues hold 256 (virtio-pci shows it as queue_size); a kernel sizes its rings by
     * what the device holds, as Linux does */
    if (k->cfg.queue_size > 256)
        k->cfg.queue_size = 256;
    int rc = vnet_init(&k->drv, &k->cfg);
    const uint8_t *m = k->drv.mac;
    if (rc == VIRTIO_OK)
        snprintf(sr->detail, sizeof(sr->detail), "%s version %u, net %02x:%02x:%02x:%02x:%02x:"
                 "%02x link %s, %u-byte header, %u receive buffer(s) of %u bytes%s",
                 k->drv.t->ops->name, k->drv.t->version, m[0], m[1], m[2], m[3], m[4], m[5],
                 k->drv.link_up ? "up" : "down", k->drv.hdr_size, k->drv.n_rx, k->drv.rx_bytes,
                 k->drv.mergeable ? ", mergeable" : "");
    if (rc == VIRTIO_OK && memcmp(m, k->mac, 6))
        snprintf(failure, KERNEL_FAILURE_LEN, "the device's mac is %02x:%02x:%02x:%02x:%02x:%02x, "
                 "the scenario's %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                 m[5], k->mac[0], k->mac[1], k->mac[2], k->mac[3], k->mac[4], k->mac[5]);
    return rc;
}

/* ", sha256 <first 16 hex digits>" of what *s hashed, after the step's detail. */
static void say_sha(struct step_result *sr, struct sha256 *s)
{
    uint8_t d[32];
    char hex[65];
    sha256_final(s, d);
    sha256_hex(d, hex);
    size_t l = strlen(sr->detail);
    snprintf(sr->detail + l, sizeof(sr->detail) - l, ", sha256 %.16s", hex);
}

/* The frame the device's sink must hold now: what follows the negotiated header in what was
 * sent (with the driver's own header, the frame itself). Its hash goes into the detail. */
static void check_sent(struct kernel_net *k, uint32_t total, struct step_result *sr,
                       char *failure)
{
    const uint8_t *data = NULL;
    uint32_t len = 0, full = 0, hdr = k->drv.hdr_size;
    uint32_t want = total > hdr ? total - hdr : 0;
    if (!net_device_sent(hal_sim_bound(), k->sent++, &data, &len, &full)) {
        snprintf(failure, KERNEL_FAILURE_LEN, "frame %u was used by the device and never reached "
                 "its sink", k->sent - 1);
        return;
    }
    for (uint32_t i = 0; i < want || i < full; i++)
        if (full != want || i >= len || data[i] != k->frame[hdr + i]) {
            snprintf(failure, KERNEL_FAILURE_LEN, "frame %u out: %u byte(s), byte %u is 0x%02x; "
                     "sent: %u byte(s), byte %u 0x%02x", k->sent - 1, full, i,
                     i < len ? data[i] : 0, want, i, i < want ? k->frame[hdr + i] : 0);
            return;
        }
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, data, len);
    say_sha(sr, &s); /* of the frame the sink got */
}

static int net_send(struct kernel_net *k, const struct scenario_step *st, struct step_result *sr,
                    char *failure)
{
    uint8_t *frame = k->frame + 12;
    for (uint32_t i = 0; i < st->bytes; i++)
        frame[i] = kernel_net_frame_byte(st->seed, i);
    struct virtio_net_hdr h = {.flags = (uint8_t)st->net_flags,
                               .gso_type = (uint8_t)st->net_gso_type,
                               .num_buffers = (uint16_t)st->net_num_buffers};
    uint32_t hb = !st->net_raw_header || st->net_header_bytes > 12 ? k->drv.hdr_size
                                                                   : st->net_header_bytes;
    int rc = st->net_raw_header ? vnet_send_raw(&k->drv, &h, hb, frame, st->bytes)
                                : vnet_send(&k->drv, frame, st->bytes);
    snprintf(sr->detail, sizeof(sr->detail), "frame of %u byte(s) (seed %u) sent after a %u-byte "
             "header%s", st->bytes, st->seed, hb, st->net_raw_header ? " given by the step" : "");
    /* what the device sees: the header then the frame, from k->frame + 12 - hb */
    memmove(k->frame, k->frame + 12 - hb, hb + st->bytes);
    memcpy(k->frame, &h, hb);
    if (rc == VIRTIO_OK)
        check_sent(k, hb + st->bytes, sr, failure);
    return rc;
}

/* The source's next `count` frames arrive; the driver must receive exactly them. */
static int net_receive(struct kernel_net *k, const struct scenario_step *st,
                       struct step_result *sr, char *failure)
{
    uint32_t first = k->played, got = 0;
    uint32_t n = net_device_inject(hal_sim_bound(), st->count ? st->count : 1);
    k->played += n;
    int rc = VIRTIO_OK;
    struct sha256 s;
    sha256_init(&s);
    for (; got < n; got++) {
        uint32_t len = 0;
        if ((rc = vnet_receive(&k->drv, k->got, sizeof(k->got), &len)) != VIRTIO_OK)
            break;
        sha256_update(&s, k->got, len);
        const struct net_frame *want = &k->source[first + got];
        uint32_t i = 0;
        while (i < len && i < want->len && k->got[i] == want->data[i])
            i++;
        if (!failure[0] && (len != want->len || i < len))
            snprintf(failure, KERNEL_FAILURE_LEN, "frame %u received: %u byte(s), the source's "
                     "%u; they differ from byte %u", first + got, len, want->len, i);
    }
    snprintf(sr->detail, sizeof(sr->detail), "frames %u..%u of the source arrived, %u received",
             first, first + n, got);
    if (got)
        say_sha(sr, &s); /* of the frames the driver got, one after the other */
    if (n == 0)
        snprintf(failure, KERNEL_FAILURE_LEN, "the packet source has no frame left");
    return rc;
}

/* After an acknowledged MAC_ADDR_SET the device's config shows the new mac (QEMU: n->mac). */
static void check_mac_set(struct kernel_net *k, const struct scenario_step *st, char *failure)
{
    uint32_t w0 = 0, w1 = 0;
    if (vtr_config_read32(k->drv.t, 0, &w0) != VIRTIO_OK ||
        vtr_config_read32(k->drv.t, 4, &w1) != VIRTIO_OK)
        return;
    uint8_t mac[6] = {(uint8_t)w0, (uint8_t)(w0 >> 8), (uint8_t)(w0 >> 16), (uint8_t)(w0 >> 24),
                      (uint8_t)w1, (uint8_t)(w1 >> 8)};
    if (memcmp(mac, st->net_ctrl_data, 6))
        snprintf(failure, KERNEL_FAILURE_LEN, "MAC_ADDR_SET acknowledged, but the config's mac "
                 "is %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
}

/* A controlq command (§5.1.6.5): the ack the device wrote must be the step's expect_ack. */
static int net_ctrl(struct kernel_net *k, const struct scenario_step *st, struct step_result *sr,
                    char *failure)
{
    uint8_t ack = 0xff;
    int rc;
    if (st->net_ctrl_raw) {
        uint8_t cmd[2 + sizeof(st->net_ctrl_data)] = {(uint8_t)st->net_class,
                                                      (uint8_t)st->net_command};
        memcpy(cmd + 2, st->net_ctrl_data, st->net_ctrl_len);
        rc = vnet_ctrl_raw(&k->drv, cmd, st->net_ctrl_readable, st->net_ctrl_writable, &ack);
    } else {
        rc = vnet_ctrl(&k->drv, (uint8_t)st->net_class, (uint8_t)st->net_command,
                       st->net_ctrl_data, st->net_ctrl_len, &ack);
    }
    snprintf(sr->detail, sizeof(sr->detail), "control class %u command %u, %u data byte(s)%s: "
             "ack %u", st->net_class, st->net_command, st->net_ctrl_len,
             st->net_ctrl_raw ? " (chain as given)" : "", ack);
    if (rc == VIRTIO_OK && st->has_expect_ack && ack != st->expect_ack)
        snprintf(failure, KERNEL_FAILURE_LEN, "the device acked %u (%s), the step expects %s",
                 ack, ack == VIRTIO_NET_OK ? "OK" : ack == VIRTIO_NET_ERR ? "ERR" : "neither",
                 st->expect_ack == VIRTIO_NET_OK ? "OK" : "ERR");
    if (rc == VIRTIO_OK && ack == VIRTIO_NET_OK && st->net_class == VIRTIO_NET_CTRL_MAC &&
        st->net_command == VIRTIO_NET_CTRL_MAC_ADDR_SET && st->net_ctrl_len == 6)
        check_mac_set(k, st, failure);
    return rc;
}

static int net_step(void *kk, const struct scenario_step *st, struct step_result *sr,
                    char *failure)
{
    struct kernel_net *k = kk;
    if (st->kind == STEP_NET_CTRL)
        return net_ctrl(k, st, sr, failure);
    return st->kind == STEP_NET_SEND ? net_send(k, st, sr, failure)
                                     : net_receive(k, st, sr, failure);
}

static const struct virtq *net_queue(const void *kk, uint32_t q)
{
    const struct kernel_net *k = kk;
    return q == VIRTIO_NET_QUEUE_RX   ? &k->drv.rxq
           : q == VIRTIO_NET_QUEUE_TX ? &k->drv.txq
           : q == VIRTIO_NET_QUEUE_CTRL && k->drv.has_ctrl ? &k->drv.ctrlq : NULL;
}

static uint32_t net_step_queue(const void *k, const struct scenario_step *st)
{
    (void)k;
    return st->kind == STEP_NET_SEND   ? VIRTIO_NET_QUEUE_TX
           : st->kind == STEP_NET_CTRL ? VIRTIO_NET_QUEUE_CTRL : VIRTIO_NET_QUEUE_RX;
}

static bool net_broken(const void *kk, int *status)
{
    const struct kernel_net *k = kk;
    *status = k->drv.broken_status;
    return k->drv.broken;
}

const struct kernel_device_ops kernel_net_ops = {
    .device = "net",
    .open = net_open,
    .init = net_init,
    .step = net_step,
    .queue = net_queue,
    .broken = net_broken,
    .close = net_close,
    .step_queue = net_step_queue,
};
