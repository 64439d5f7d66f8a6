/* gpu_blob_uuid.c — the gpu commands VirtIO 1.2 adds for a 2D driver (1.2 §5.7.6.8): blob resources
 * (VIRTIO_GPU_F_RESOURCE_BLOB: RESOURCE_CREATE_BLOB, SET_SCANOUT_BLOB), resource UUIDs
 * (VIRTIO_GPU_F_RESOURCE_UUID: RESOURCE_ASSIGN_UUID), and vgpu_send_raw for a harness that
 * replays another driver's commands. See virtio_gpu.h. */
#include "driver/gpu_internal.h"

static bool negotiated(const struct vgpu *g, uint32_t bit)
{
    return (g->t->features >> bit) & 1u;
}

int vgpu_resource_create_blob(struct vgpu *g, uint32_t id, uint64_t size,
                              const struct virtio_gpu_mem_entry *entries, uint32_t n)
{
    uint32_t max = (VGPU_REQ_BYTES - sizeof(struct virtio_gpu_resource_create_blob)) /
                   sizeof(struct virtio_gpu_mem_entry);
    if (!g || !entries || n == 0 || n > max || id == 0 || size == 0)
        return VIRTIO_ERR_INVALID;
    if (!negotiated(g, VIRTIO_GPU_F_RESOURCE_BLOB)) /* 1.2 §5.7.6.8: negotiated by the feature */
        return VIRTIO_ERR_INVALID;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += entries[i].length;
    if (total < size) /* the guest pages must hold the whole blob */
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_resource_create_blob *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB);
    c->resource_id = id;
    /* 1.2 §5.7.6.8: blob_mem non-zero; guest memory only (HOST3D needs VIRGL, which this driver
     * never takes); shareable, as Linux marks a scanout buffer */
    c->blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST;
    c->blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE;
    c->nr_entries = n;
    c->blob_id = 0;
    c->size = size;
    struct virtio_gpu_mem_entry *e = (struct virtio_gpu_mem_entry *)(c + 1);
    for (uint32_t i = 0; i < n; i++) {
        e[i].addr = entries[i].addr;
        e[i].length = entries[i].length;
        e[i].padding = 0;
    }
    return vgpu_submit(g, s, (uint32_t)(sizeof(*c) + n * sizeof(*e)),
                       sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

/* One of §5.7.6.8's 2D formats (1.2 §5.7.6.8: "The format MUST be one of enum
 * virtio_gpu_formats"). */
static bool known_format(uint32_t f)
{
    switch (f) {
    case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
    case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: return true;
    default: return false;
    }
}

int vgpu_set_scanout_blob(struct vgpu *g, const struct vgpu_blob_scanout *b)
{
    if (!g || !b || !negotiated(g, VIRTIO_GPU_F_RESOURCE_BLOB))
        return VIRTIO_ERR_INVALID;
    if (b->id != 0 && (!known_format(b->format) || b->stride < (uint64_t)b->width * 4))
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_set_scanout_blob *c = s->req;
    vgpu_zero(c, sizeof(*c));
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_SET_SCANOUT_BLOB);
    c->r = b->r;
    c->scanout_id = b->scanout;
    c->resource_id = b->id;
    c->width = b->width;
    c->height = b->height;
    c->format = b->format;
    c->strides[0] = b->stride; /* one plane: the 2D formats have no others */
    c->offsets[0] = b->offset;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_assign_uuid(struct vgpu *g, uint32_t id, uint8_t uuid[16])
{
    if (!g || !uuid || g->batching) /* the answer is needed now */
        return VIRTIO_ERR_INVALID;
    if (!negotiated(g, VIRTIO_GPU_F_RESOURCE_UUID)) /* 1.2 §5.7.6.8 */
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_resource_assign_uuid *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID);
    c->resource_id = id;
    c->padding = 0;
    int rc = vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_resp_resource_uuid),
                         VIRTIO_GPU_RESP_OK_RESOURCE_UUID);
    if (rc == VIRTIO_OK)
        vgpu_copy(uuid, ((const struct virtio_gpu_resp_resource_uuid *)s->resp)->uuid, 16);
    return rc;
}

int vgpu_send_raw(struct vgpu *g, const void *cmd, uint32_t len, uint32_t resp_len,
                  uint32_t expect_type)
{
    if (!g || !cmd || len < sizeof(struct virtio_gpu_ctrl_hdr) || len > VGPU_REQ_BYTES ||
        resp_len < sizeof(struct virtio_gpu_ctrl_hdr) || resp_len > VGPU_RESP_BYTES)
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    vgpu_copy(s->req, cmd, len);
    return vgpu_submit(g, s, len, resp_len, expect_type);
}
