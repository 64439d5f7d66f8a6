/* gpu_commands.c — the 2D commands that tear down and describe (§5.7.6.8: RESOURCE_UNREF,
 * RESOURCE_DETACH_BACKING, GET_EDID), several commands in flight, and the display-change event
 * of the configuration space (§5.7.4.2). See virtio_gpu.h. */
#include "driver/gpu_internal.h"
#include "driver/virtio_hal.h"

static int simple(struct vgpu *g, uint32_t type, uint32_t id)
{
    struct vgpu_slot *s = g ? vgpu_slot_get(g) : NULL;
    if (!s)
        return vgpu_no_slot(g);
    /* unref and detach_backing share one layout: header, resource id, padding */
    struct virtio_gpu_resource_unref *c = s->req;
    vgpu_hdr_init(&c->hdr, type);
    c->resource_id = id;
    c->padding = 0;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}

_Static_assert(sizeof(struct virtio_gpu_resource_unref) ==
                   sizeof(struct virtio_gpu_resource_detach_backing), "same layout");

int vgpu_resource_unref(struct vgpu *g, uint32_t id)
{
    return simple(g, VIRTIO_GPU_CMD_RESOURCE_UNREF, id);
}

int vgpu_detach_backing(struct vgpu *g, uint32_t id)
{
    return simple(g, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, id);
}

/* An EDID base block: the fixed 8-byte header and a byte sum of 0 over its 128 bytes. */
static bool edid_valid(const uint8_t *e, uint32_t size)
{
    static const uint8_t header[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    if (size < 128 || size > 1024 || size % 128)
        return false;
    uint8_t sum = 0;
    for (uint32_t i = 0; i < 128; i++)
        sum = (uint8_t)(sum + e[i]);
    for (uint32_t i = 0; i < 8; i++)
        if (e[i] != header[i])
            return false;
    return sum == 0;
}

int vgpu_get_edid(struct vgpu *g, uint32_t scanout, uint8_t *edid, uint32_t cap, uint32_t *size)
{
    if (!g || !edid || !size || g->batching)
        return VIRTIO_ERR_INVALID;
    if (!(g->t->features & (1ull << VIRTIO_GPU_F_EDID)))
        return VIRTIO_ERR_INVALID; /* §5.7.6.8: only with VIRTIO_GPU_F_EDID */
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_get_edid *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_GET_EDID);
    c->scanout = scanout;
    c->padding = 0;
    int rc = vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_resp_edid),
                         VIRTIO_GPU_RESP_OK_EDID);
    if (rc != VIRTIO_OK)
        return rc;
    const struct virtio_gpu_resp_edid *r = s->resp;
    if (!edid_valid(r->edid, r->size))
        return VGPU_ERR_BAD_EDID;
    uint32_t n = r->size < cap ? r->size : cap;
    vgpu_copy(edid, r->edid, n);
    *size = r->size;
    return VIRTIO_OK;
}

int vgpu_edid_preferred_mode(const uint8_t *edid, uint32_t size, uint32_t *width,
                             uint32_t *height)
{
    if (!edid || !width || !height || !edid_valid(edid, size))
        return VGPU_ERR_BAD_EDID;
    const uint8_t *d = edid + 54; /* first detailed timing descriptor */
    if (d[0] == 0 && d[1] == 0)
        return VGPU_ERR_BAD_EDID; /* a display descriptor, not a timing */
    *width = d[2] | (uint32_t)(d[4] >> 4) << 8;
    *height = d[5] | (uint32_t)(d[7] >> 4) << 8;
    return VIRTIO_OK;
}

int vgpu_handle_config_event(struct vgpu *g, uint32_t *events)
{
    if (!g || !events)
        return VIRTIO_ERR_INVALID;
    if (vgpu_is_broken(g))
        return VIRTIO_ERR_BROKEN;
    /* §2.4.1 generation protocol (in the transport's config_read32); events_read is read-only (§5.7.4.1) */
    uint32_t ev = 0;
    int rc = vtr_config_read32(g->t, 0, &ev);
    *events = ev;
    if (rc != VIRTIO_OK) { /* §2.4.1: no consistent read: nothing to act on */
        rc = vgpu_latch(g, rc);
    } else if (ev & ~(uint32_t)VIRTIO_GPU_EVENT_DISPLAY) {
        /* §5.7.4: DISPLAY is the only event; other bits are garbage, not news to act on (and
         * never echoed into events_clear). */
        rc = vgpu_latch(g, VIRTIO_ERR_BAD_CONFIG);
    } else if (ev & VIRTIO_GPU_EVENT_DISPLAY) {
        vtr_config_write32(g->t, 4, VIRTIO_GPU_EVENT_DISPLAY); /* events_clear */
        uint32_t n = 0;
        if (vtr_config_read32(g->t, 8, &n) != VIRTIO_OK || n == 0 ||
            n > VIRTIO_GPU_MAX_SCANOUTS) /* §5.7.4: 1..16, checked before use */
            rc = vgpu_latch(g, VIRTIO_ERR_BAD_CONFIG);
        else
            g->num_scanouts = n;
    }
    vtr_ack_interrupt(g->t); /* the configuration-change event is handled (§4.2.3.4, §4.1.5.3) */
    return rc;
}
