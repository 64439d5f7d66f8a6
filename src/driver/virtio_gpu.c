/* virtio_gpu.c — virtio-gpu 2D commands (§5.7.6) on the control queue. See virtio_gpu.h. */
#include "virtio_gpu.h"

#include "virtio_hal.h"

static void zero(void *p, uint32_t n)
{
    uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++)
        b[i] = 0;
}

int vgpu_init(struct vgpu *g, const struct vgpu_config *cfg)
{
    if (!g || !cfg || cfg->queue_size == 0)
        return VIRTIO_ERR_INVALID;
    zero(g, sizeof(*g));
    g->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    int rc = vmmio_probe(&g->mmio, cfg->mmio_base, g->timeout_ns);
    if (rc != VIRTIO_OK)
        return rc;
    if (g->mmio.device_id != VIRTIO_ID_GPU)
        return VIRTIO_ERR_WRONG_DEVICE; /* not ours: leave it untouched */
    if ((rc = vmmio_begin_init(&g->mmio)) != VIRTIO_OK)
        return rc;
    if ((rc = vmmio_negotiate(&g->mmio, cfg->features)) != VIRTIO_OK)
        return rc;
    g->req = vhal_dma_alloc(VGPU_REQ_BYTES, 64, VHAL_DMA_BUFFER, &g->req_phys);
    g->resp = vhal_dma_alloc(VGPU_RESP_BYTES, 64, VHAL_DMA_BUFFER, &g->resp_phys);
    if (!g->req || !g->resp) {
        vmmio_fail(&g->mmio);
        return VIRTIO_ERR_NOMEM;
    }
    rc = vmmio_setup_queue(&g->mmio, &g->ctrl, VIRTIO_GPU_QUEUE_CONTROL, cfg->queue_size,
                           cfg->layout, cfg->legacy_align);
    if (rc != VIRTIO_OK) {
        vmmio_fail(&g->mmio); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    if ((rc = vmmio_driver_ok(&g->mmio)) != VIRTIO_OK)
        return rc;
    g->num_scanouts = vmmio_config_read32(&g->mmio, 8); /* §5.7.4 num_scanouts */
    return VIRTIO_OK;
}

static void hdr_init(struct virtio_gpu_ctrl_hdr *h, uint32_t type)
{
    zero(h, sizeof(*h));
    h->type = type;
}

/* Send the request in g->req (req_len bytes), wait for the answer in g->resp, check its type. */
static int submit(struct vgpu *g, uint32_t req_len, uint32_t resp_len, uint32_t expect_type)
{
    if (g->stalled)
        return VIRTIO_ERR_BROKEN;
    struct virtio_gpu_ctrl_hdr *resp = g->resp;
    zero(resp, resp_len); /* a stale type must never pass for an answer */
    g->last_resp_type = 0;
    g->last_used_len = 0;

    struct vq_buf out = {g->req_phys, req_len};
    struct vq_buf in = {g->resp_phys, resp_len};
    int rc = vq_add(&g->ctrl, &out, 1, &in, 1, g->req);
    if (rc != VIRTIO_OK)
        return rc;
    if (vq_kick_prepare(&g->ctrl))
        vmmio_notify(&g->mmio, VIRTIO_GPU_QUEUE_CONTROL);

    /* Bounded poll: back off from 1 µs to 1 ms so a long deadline costs few iterations. */
    uint64_t start = vhal_now_ns();
    uint64_t deadline = start + g->timeout_ns;
    uint64_t delay = 1000;
    void *token = 0;
    uint32_t len = 0;
    for (;;) {
        rc = vq_get_used(&g->ctrl, &token, &len);
        if (rc != VIRTIO_ERR_EMPTY)
            break;
        if (vhal_now_ns() >= deadline) {
            g->last_wait_ns = vhal_now_ns() - start;
            g->stalled = true;
            return VIRTIO_ERR_TIMEOUT;
        }
        vhal_delay_ns(delay);
        if (delay < 1000000)
            delay *= 2;
    }
    g->last_wait_ns = vhal_now_ns() - start;
    vmmio_ack_interrupt(&g->mmio); /* §4.2.3.4: the used-buffer event is handled */
    if (rc != VIRTIO_OK)
        return rc;
    if (token != g->req)
        return VIRTIO_ERR_BAD_USED;
    g->last_used_len = len;
    if (len < sizeof(struct virtio_gpu_ctrl_hdr))
        return VIRTIO_ERR_RESPONSE;
    g->last_resp_type = resp->type;
    if (resp->type != expect_type)
        return VIRTIO_ERR_RESPONSE;
    return VIRTIO_OK;
}

int vgpu_get_display_info(struct vgpu *g, struct virtio_gpu_resp_display_info *out)
{
    if (!g || !out)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_ctrl_hdr *c = g->req;
    hdr_init(c, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
    int rc = submit(g, sizeof(*c), sizeof(*out), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
    if (rc != VIRTIO_OK)
        return rc;
    if (g->last_used_len < sizeof(*out))
        return VIRTIO_ERR_RESPONSE;
    const uint8_t *src = g->resp;
    uint8_t *dst = (uint8_t *)out;
    for (uint32_t i = 0; i < sizeof(*out); i++)
        dst[i] = src[i];
    return VIRTIO_OK;
}

int vgpu_resource_create_2d(struct vgpu *g, uint32_t id, uint32_t format, uint32_t width,
                            uint32_t height)
{
    if (!g || id == 0)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_resource_create_2d *c = g->req;
    hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
    c->resource_id = id;
    c->format = format;
    c->width = width;
    c->height = height;
    return submit(g, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_attach_backing(struct vgpu *g, uint32_t id, const struct virtio_gpu_mem_entry *entries,
                        uint32_t n)
{
    uint32_t max = (VGPU_REQ_BYTES - sizeof(struct virtio_gpu_resource_attach_backing)) /
                   sizeof(struct virtio_gpu_mem_entry);
    if (!g || !entries || n == 0 || n > max)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_resource_attach_backing *c = g->req;
    hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
    c->resource_id = id;
    c->nr_entries = n;
    struct virtio_gpu_mem_entry *e = (struct virtio_gpu_mem_entry *)(c + 1);
    for (uint32_t i = 0; i < n; i++) {
        e[i].addr = entries[i].addr;
        e[i].length = entries[i].length;
        e[i].padding = 0;
    }
    uint32_t len = (uint32_t)(sizeof(*c) + n * sizeof(*e));
    return submit(g, len, sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_set_scanout(struct vgpu *g, uint32_t scanout, uint32_t id, struct virtio_gpu_rect r)
{
    if (!g)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_set_scanout *c = g->req;
    hdr_init(&c->hdr, VIRTIO_GPU_CMD_SET_SCANOUT);
    c->r = r;
    c->scanout_id = scanout;
    c->resource_id = id;
    return submit(g, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_transfer_to_host_2d(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r,
                             uint64_t offset)
{
    if (!g)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_transfer_to_host_2d *c = g->req;
    hdr_init(&c->hdr, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
    c->r = r;
    c->offset = offset;
    c->resource_id = id;
    c->padding = 0;
    return submit(g, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_resource_flush(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r)
{
    if (!g)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_resource_flush *c = g->req;
    hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
    c->r = r;
    c->resource_id = id;
    c->padding = 0;
    return submit(g, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}
