/* virtio_net.c — see virtio_net.h. */
#include "driver/virtio_net.h"

#include "driver/virtio_device.h"
#include "driver/virtio_hal.h"

static int latch(struct vnet *n, int status)
{
    if (!n->broken) {
        n->broken = true;
        n->broken_status = status;
    }
    return status;
}

static void copy_bytes(uint8_t *dst, const volatile uint8_t *src, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        dst[i] = src[i];
}

/* §5.1.4: mac (with VIRTIO_NET_F_MAC) and the link status (with VIRTIO_NET_F_STATUS). */
static int read_config(struct vnet *n)
{
    uint32_t w0 = 0, w1 = 0;
    int rc = vtr_config_read32(n->t, 0, &w0);
    if (rc == VIRTIO_OK)
        rc = vtr_config_read32(n->t, 4, &w1);
    if (rc != VIRTIO_OK)
        return rc;
    if (vtr_has_feature(n->t, VIRTIO_NET_F_MAC))
        for (uint32_t i = 0; i < 6; i++)
            n->mac[i] = (uint8_t)((i < 4 ? w0 >> 8 * i : w1 >> 8 * (i - 4)) & 0xffu);
    n->link_up = !vtr_has_feature(n->t, VIRTIO_NET_F_STATUS) || (w1 >> 16 & VIRTIO_NET_S_LINK_UP);
    return VIRTIO_OK;
}

static int setup_queues(struct vnet *n, const struct vnet_config *cfg)
{
    int rc = vtr_setup_queue(n->t, &n->rxq, VIRTIO_NET_QUEUE_RX, cfg->queue_size, cfg->layout,
                             cfg->legacy_align);
    if (rc == VIRTIO_OK)
        rc = vtr_setup_queue(n->t, &n->txq, VIRTIO_NET_QUEUE_TX, cfg->queue_size, cfg->layout,
                             cfg->legacy_align);
    if (rc == VIRTIO_OK && vtr_has_feature(n->t, VIRTIO_RING_F_INDIRECT_DESC))
        rc = vq_enable_indirect(&n->txq); /* §2.6.5.3.1: only when negotiated */
    n->has_ctrl = rc == VIRTIO_OK && vtr_has_feature(n->t, VIRTIO_NET_F_CTRL_VQ);
    if (n->has_ctrl) /* §5.1.2: controlq after the one pair */
        rc = vtr_setup_queue(n->t, &n->ctrlq, VIRTIO_NET_QUEUE_CTRL,
                             cfg->queue_size < VNET_CTRL_QUEUE_MAX ? cfg->queue_size
                                                                   : VNET_CTRL_QUEUE_MAX,
                             cfg->layout, cfg->legacy_align);
    bool event_idx = vtr_has_feature(n->t, VIRTIO_RING_F_EVENT_IDX);
    vq_set_event_idx(&n->rxq, event_idx);
    vq_set_event_idx(&n->txq, event_idx);
    if (n->has_ctrl)
        vq_set_event_idx(&n->ctrlq, event_idx);
    return rc;
}

static int post_rx(struct vnet *n, uint32_t i)
{
    struct vq_buf in = {n->rx_phys + (uint64_t)i * n->rx_bytes, n->rx_bytes};
    return vq_add(&n->rxq, 0, 0, &in, 1, n->rx + (uint64_t)i * n->rx_bytes);
}

/* §5.1.6.3: the receiveq filled (cfg->rx_buffers of cfg->rx_buffer_bytes), then notified. */
static int fill_rx(struct vnet *n, const struct vnet_config *cfg)
{
    uint32_t count = cfg->rx_buffers < 0 ? cfg->queue_size : (uint32_t)cfg->rx_buffers;
    n->rx_bytes = cfg->rx_buffer_bytes ? cfg->rx_buffer_bytes : VIRTIO_NET_RX_MIN_BYTES;
    if (count > cfg->queue_size || count > VNET_MAX_RX || n->rx_bytes > VNET_MAX_FRAME + 12u)
        return VIRTIO_ERR_INVALID;
    n->rx = vhal_dma_alloc((uint64_t)VNET_MAX_RX * n->rx_bytes, 64, VHAL_DMA_BUFFER, &n->rx_phys);
    n->tx = vhal_dma_alloc(12u + VNET_MAX_FRAME, 64, VHAL_DMA_BUFFER, &n->tx_phys);
    if (n->has_ctrl)
        n->ctrl = vhal_dma_alloc(VNET_CTRL_MAX + 64u, 64, VHAL_DMA_BUFFER, &n->ctrl_phys);
    if (!n->rx || !n->tx || (n->has_ctrl && !n->ctrl))
        return VIRTIO_ERR_NOMEM;
    for (uint32_t i = 0; i < count; i++) {
        int rc = post_rx(n, i);
        if (rc != VIRTIO_OK)
            return rc;
    }
    n->n_rx = count;
    if (count && vq_kick_prepare(&n->rxq))
        vtr_notify(n->t, VIRTIO_NET_QUEUE_RX);
    return VIRTIO_OK;
}

int vnet_init(struct vnet *n, const struct vnet_config *cfg)
{
    if (!n || !cfg || cfg->queue_size < 1)
        return VIRTIO_ERR_INVALID;
    uint8_t *zero = (uint8_t *)n;
    for (uint32_t i = 0; i < sizeof(*n); i++)
        zero[i] = 0;
    n->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    int rc = vdev_attach(cfg->transport, &n->mmio, cfg->mmio_base, n->timeout_ns, VIRTIO_ID_NET,
                         &n->t);
    if (rc != VIRTIO_OK)
        return rc; /* (not a network device: left untouched) */
    uint64_t want = cfg->features & VNET_DRIVER_FEATURES;
    if ((rc = vtr_begin_init(n->t)) != VIRTIO_OK || (rc = vtr_negotiate(n->t, want)) != VIRTIO_OK)
        return rc;
    n->hdr_size = virtio_net_hdr_size(n->t->features);
    n->mergeable = vtr_has_feature(n->t, VIRTIO_NET_F_MRG_RXBUF);
    if ((rc = setup_queues(n, cfg)) != VIRTIO_OK || (rc = read_config(n)) != VIRTIO_OK) {
        vtr_fail(n->t); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    if ((rc = vtr_driver_ok(n->t)) != VIRTIO_OK)
        return rc;
    return fill_rx(n, cfg); /* as Linux: after DRIVER_OK, before any frame is wanted */
}

int vnet_send_raw(struct vnet *n, const struct virtio_net_hdr *h, uint32_t hdr_bytes,
                  const uint8_t *frame, uint32_t len)
{
    if (!n || !h || hdr_bytes > sizeof(*h) || len > VNET_MAX_FRAME || (len && !frame) ||
        hdr_bytes + len == 0)
        return VIRTIO_ERR_INVALID;
    if (n->broken)
        return VIRTIO_ERR_BROKEN;
    copy_bytes(n->tx, (const uint8_t *)h, hdr_bytes);
    copy_bytes(n->tx + hdr_bytes, frame, len);
    struct vq_buf out = {n->tx_phys, hdr_bytes + len}; /* §5.1.6.2: one output descriptor */
    int rc = vq_add(&n->txq, &out, 1, 0, 0, n->tx);
    if (rc != VIRTIO_OK)
        return rc;
    if (vq_kick_prepare(&n->txq))
        vtr_notify(n->t, VIRTIO_NET_QUEUE_TX);
    void *token = 0;
    uint32_t used = 0; /* ignored (§5.1.6.1) */
    rc = vdev_wait_used(n->t, &n->txq, n->timeout_ns, &token, &used);
    if (rc != VIRTIO_OK)
        return latch(n, rc);
    return token == n->tx ? VIRTIO_OK : latch(n, VIRTIO_ERR_BAD_USED);
}

int vnet_send(struct vnet *n, const uint8_t *frame, uint32_t len)
{
    if (!n || len == 0)
        return VIRTIO_ERR_INVALID;
    const struct virtio_net_hdr h = {.gso_type = VIRTIO_NET_HDR_GSO_NONE}; /* §5.1.6.2.1 */
    return vnet_send_raw(n, &h, n->hdr_size, frame, len);
}

/* The next used receive buffer: its index in *i and used length in *used (checked). */
static int next_rx(struct vnet *n, uint32_t *i, uint32_t *used)
{
    void *token = 0;
    int rc = vdev_wait_used(n->t, &n->rxq, n->timeout_ns, &token, used);
    if (rc != VIRTIO_OK)
        return latch(n, rc);
    uint64_t off = (uint64_t)((uint8_t *)token - n->rx);
    if ((uint8_t *)token < n->rx || off % n->rx_bytes || off / n->rx_bytes >= n->n_rx)
        return latch(n, VIRTIO_ERR_BAD_USED);
    *i = (uint32_t)(off / n->rx_bytes);
    return *used <= n->rx_bytes ? VIRTIO_OK : latch(n, VIRTIO_ERR_USED_LEN);
}

/* Buffer i's `len` bytes from `from` appended to out (bounded by cap); the buffer goes back. */
static int take_rx(struct vnet *n, uint32_t i, uint32_t from, uint32_t len, uint8_t *out,
                   uint32_t cap, uint32_t *at)
{
    const volatile uint8_t *b = n->rx + (uint64_t)i * n->rx_bytes;
    bool fits = len <= cap - *at;
    if (fits)
        copy_bytes(out + *at, b + from, len);
    *at += fits ? len : 0;
    int rc = post_rx(n, i); /* §5.1.6.3: keep the receiveq populated */
    if (rc == VIRTIO_OK && vq_kick_prepare(&n->rxq))
        vtr_notify(n->t, VIRTIO_NET_QUEUE_RX);
    return rc != VIRTIO_OK ? rc : fits ? VIRTIO_OK : VIRTIO_ERR_RESPONSE;
}

int vnet_receive(struct vnet *n, uint8_t *out, uint32_t cap, uint32_t *len)
{
    if (!n || !out || !len)
        return VIRTIO_ERR_INVALID;
    if (n->broken)
        return VIRTIO_ERR_BROKEN;
    uint32_t i = 0, used = 0, at = 0;
    int rc = next_rx(n, &i, &used);
    if (rc != VIRTIO_OK)
        return rc;
    uint32_t count = 1;
    if (n->mergeable && used >= n->hdr_size) { /* §5.1.6.4: num_buffers, read once */
        const volatile uint8_t *b = n->rx + (uint64_t)i * n->rx_bytes;
        count = (uint32_t)b[10] | (uint32_t)b[11] << 8;
    }
    bool bad = used < n->hdr_size || count == 0 || count > n->n_rx;
    rc = take_rx(n, i, n->hdr_size, bad ? 0 : used - n->hdr_size, out, cap, &at);
    for (uint32_t k = 1; !bad && rc == VIRTIO_OK && k < count; k++) {
        if ((rc = next_rx(n, &i, &used)) == VIRTIO_OK)
            rc = take_rx(n, i, 0, used, out, cap, &at);
    }
    *len = at;
    return rc != VIRTIO_OK ? rc : bad ? VIRTIO_ERR_RESPONSE : VIRTIO_OK;
}
