/* guest_net.c — a scenario's virtio-net steps on real QEMU through the unchanged driver
 * (src/driver/virtio_net.h), as src/harness/kernel_net.c runs them on the model, each outcome
 * checked by content:
 *   init        the device's mac is the scenario's (QEMU's -device mac=, or its default);
 *   net_send    the frame is the scenario's (pattern_net_byte, as on the model); what QEMU's
 *               backend received is checked by the host (tools/qemu_diff.py owns the socket);
 *   net_receive the guest says which source frames it waits for (`VQ netrx from=F n=N`), the
 *               host sends them into QEMU's backend, and every frame the driver receives must
 *               equal the source's, byte for byte (struct vqst_net at VQST_DISK_ADDR).
 * A difference is the step's content: `mac/BYTE/DEVICE/SCENARIO` or
 * `frame/INDEX/LENGTH/OFFSET` (the first byte that differs; LENGTH what the driver got). */
#include "guest_net.h"

#include "../../src/driver/virtio_hal.h"
#include "../../src/driver/virtio_net.h"
#include "../../src/harness/patterns.h"
#include "../../src/harness/scenario.h"
#include <string.h>

#include "platform.h"

static struct vnet net;
static const struct vqst_net *frames; /* the host's copy: the source's frames, then tx */
static const uint8_t *rx_data[VQST_NET_MAX_FRAMES];
static uint32_t played;                /* source frames asked for so far */
static uint8_t frame[VNET_MAX_FRAME];
static uint8_t got[VNET_MAX_FRAME];

int gnet_init(const struct vqst_table *t, struct virtio_transport *transport,
              uint32_t *version)
{
    frames = (const struct vqst_net *)(uintptr_t)VQST_DISK_ADDR;
    if (frames->magic != VQST_NET_MAGIC || frames->n_rx > VQST_NET_MAX_FRAMES)
        return VIRTIO_ERR_INVALID;
    const uint8_t *p = (const uint8_t *)(frames + 1);
    for (uint32_t i = 0; i < frames->n_rx; i++) {
        rx_data[i] = p;
        p += frames->rx_len[i];
    }
    struct vnet_config c = {
        .transport = transport, .mmio_base = (uintptr_t)t->mmio_base, .queue_size = (uint16_t)t->queue_size,
        .layout = (enum vq_layout_kind)t->layout, .legacy_align = t->queue_align,
        .timeout_ns = t->timeout_ns,
        .features = t->features | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS,
        .rx_buffers = (int32_t)t->event_buffers, .rx_buffer_bytes = t->event_bytes};
    if (c.queue_size > 256) /* QEMU's queues hold 256 (kernel_net.c) */
        c.queue_size = 256;
    int rc = vnet_init(&net, &c);
    *version = net.t ? net.t->version : 0;
    for (uint32_t i = 0; rc == VIRTIO_OK && i < 6; i++)
        if (net.mac[i] != frames->mac[i]) {
            gdev_say("mac", i, net.mac[i], frames->mac[i]);
            break;
        }
    return rc;
}

/* The host sends the source's next frames into QEMU's backend on this line. */
void gnet_announce(const struct vqst_step *st)
{
    if (st->kind != STEP_NET_RECEIVE)
        return;
    uint32_t n = st->entries ? st->entries : 1;
    if (played + n > frames->n_rx)
        n = frames->n_rx - played;
    uart_puts("VQ netrx from=");
    uart_put_dec(played);
    uart_puts(" n=");
    uart_put_dec(n);
    uart_putc('\n');
}

/* kernel_net.c's net_send: the driver's header, or the step's (a replayed bug). */
static int net_send(const struct vqst_step *st)
{
    if (st->entry_length > VNET_MAX_FRAME)
        return VIRTIO_ERR_INVALID;
    for (uint32_t i = 0; i < st->entry_length; i++)
        frame[i] = pattern_net_byte(st->color, i);
    if (!(st->x & VQST_F_RAW))
        return vnet_send(&net, frame, st->entry_length);
    struct virtio_net_hdr h = {.flags = (uint8_t)st->width, .gso_type = (uint8_t)st->height,
                               .num_buffers = (uint16_t)st->scanout};
    uint32_t hb = st->y > 12 ? net.hdr_size : st->y;
    return vnet_send_raw(&net, &h, hb, frame, st->entry_length);
}

/* kernel_net.c's net_receive: the source's next `entries` frames, each byte for byte. */
static int net_receive(const struct vqst_step *st, uint32_t *received)
{
    uint32_t n = st->entries ? st->entries : 1, first = played;
    if (first + n > frames->n_rx)
        n = frames->n_rx - first;
    played += n;
    int rc = n ? VIRTIO_OK : VIRTIO_ERR_INVALID; /* the source has no frame left */
    for (uint32_t k = 0; k < n && rc == VIRTIO_OK; k++) {
        uint32_t len = 0, want = frames->rx_len[first + k], i = 0;
        if ((rc = vnet_receive(&net, got, sizeof(got), &len)) != VIRTIO_OK)
            break;
        ++*received;
        while (i < len && i < want && got[i] == rx_data[first + k][i])
            i++;
        if (gdev_content()[0] == 'o' && (len != want || i < len))
            gdev_say("frame", first + k, len, i);
    }
    return rc;
}

int gnet_step(const struct vqst_step *st, struct gdev_result *out)
{
    out->used_len = 0; /* (the simulator's step reports none for a net step) */
    out->blk_status = 0xff;
    return st->kind == STEP_NET_SEND ? net_send(st) : net_receive(st, &out->net_rx);
}
