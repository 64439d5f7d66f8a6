/* virtio_net_ctrl.c — the network driver's controlq (virtio_net.h: vnet_ctrl, vnet_ctrl_raw). */
#include "driver/virtio_device.h"
#include "driver/virtio_hal.h"
#include "driver/virtio_net.h"

/* §5.1.6.5: the readable part (class, command, data) then the writable part (the ack) in one
 * chain; wait (bounded) for the device to use it. The device's ack is the writable part's first
 * byte, read only after the used element (§2.6.8: the device's writes precede used.idx). */
int vnet_ctrl_raw(struct vnet *n, const void *out, uint32_t out_len, uint32_t in_len,
                  uint8_t *ack)
{
    if (!n || !ack || (out_len && !out) || out_len > VNET_CTRL_MAX || in_len > 64u ||
        out_len + in_len == 0)
        return VIRTIO_ERR_INVALID;
    if (!n->has_ctrl)
        return VIRTIO_ERR_QUEUE;
    if (n->broken)
        return VIRTIO_ERR_BROKEN;
    const uint8_t *src = out;
    for (uint32_t i = 0; i < out_len; i++)
        n->ctrl[i] = src[i];
    volatile uint8_t *in = n->ctrl + VNET_CTRL_MAX;
    for (uint32_t i = 0; i < in_len; i++)
        in[i] = 0xff; /* not an ack value: a device that wrote nothing shows */
    struct vq_buf rd = {n->ctrl_phys, out_len};
    struct vq_buf wr = {n->ctrl_phys + VNET_CTRL_MAX, in_len};
    int rc = vq_add(&n->ctrlq, out_len ? &rd : 0, out_len ? 1 : 0, in_len ? &wr : 0,
                    in_len ? 1 : 0, n->ctrl);
    if (rc != VIRTIO_OK)
        return rc;
    if (vq_kick_prepare(&n->ctrlq))
        vtr_notify(n->t, VIRTIO_NET_QUEUE_CTRL);
    void *token = 0;
    uint32_t used = 0;
    rc = vdev_wait_used(n->t, &n->ctrlq, n->timeout_ns, &token, &used);
    if (rc != VIRTIO_OK)
        return rc;
    if (token != n->ctrl)
        return VIRTIO_ERR_BAD_USED;
    if (used > in_len) /* §2.6.8.1: never more than the writable bytes */
        return VIRTIO_ERR_USED_LEN;
    *ack = in_len ? in[0] : 0xff;
    return used >= 1 ? VIRTIO_OK : VIRTIO_ERR_RESPONSE;
}

int vnet_ctrl(struct vnet *n, uint8_t cls, uint8_t cmd, const void *data, uint32_t len,
              uint8_t *ack)
{
    if (!n || len > VNET_CTRL_MAX - 2u || (len && !data))
        return VIRTIO_ERR_INVALID;
    if (!n->has_ctrl)
        return VIRTIO_ERR_QUEUE;
    const uint8_t *d = data;
    n->ctrl[0] = cls; /* struct virtio_net_ctrl_hdr */
    n->ctrl[1] = cmd;
    for (uint32_t i = 0; i < len; i++)
        n->ctrl[2 + i] = d[i];
    return vnet_ctrl_raw(n, n->ctrl, 2u + len, 1u, ack); /* (copies the buffer onto itself) */
}
