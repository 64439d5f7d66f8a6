/* gpu_cursor.c — the cursor queue (§5.7.6.9): UPDATE_CURSOR and MOVE_CURSOR. See virtio_gpu.h.
 *
 * Both commands use struct virtio_gpu_update_cursor and get no response payload: the device
 * returns the buffer with used.len 0. The driver waits for it only to reuse the buffer. */
#include "driver/gpu_internal.h"
#include "driver/virtio_hal.h"

static int cursor_cmd(struct vgpu *g, uint32_t type, uint32_t scanout, uint32_t id, uint32_t x,
                      uint32_t y, uint32_t hot_x, uint32_t hot_y)
{
    if (!g || !g->has_cursor)
        return VIRTIO_ERR_INVALID;
    if (vgpu_is_broken(g))
        return VIRTIO_ERR_BROKEN;
    struct virtio_gpu_update_cursor *c = g->cur_req;
    vgpu_hdr_init(&c->hdr, type);
    c->pos.scanout_id = scanout;
    c->pos.x = x;
    c->pos.y = y;
    c->pos.padding = 0;
    c->resource_id = id;
    c->hot_x = hot_x;
    c->hot_y = hot_y;
    c->padding = 0;
    struct vq_buf out = {g->cur_req_phys, sizeof(*c)};
    int rc = vq_add(&g->cursorq, &out, 1, NULL, 0, g->cur_req);
    if (rc != VIRTIO_OK)
        return rc;
    vgpu_kick(g, &g->cursorq, VIRTIO_GPU_QUEUE_CURSOR);
    g->last_resp_type = 0;
    g->last_fence_id = 0;
    void *token = 0;
    uint32_t len = 0;
    rc = vgpu_wait_used(g, &g->cursorq, &token, &len);
    if (rc != VIRTIO_OK)
        return rc;
    if (token != g->cur_req)
        return vgpu_latch(g, VIRTIO_ERR_BAD_USED);
    g->last_used_len = len;
    return VIRTIO_OK;
}

int vgpu_update_cursor(struct vgpu *g, uint32_t scanout, uint32_t id, uint32_t x, uint32_t y,
                       uint32_t hot_x, uint32_t hot_y)
{
    return cursor_cmd(g, VIRTIO_GPU_CMD_UPDATE_CURSOR, scanout, id, x, y, hot_x, hot_y);
}

int vgpu_move_cursor(struct vgpu *g, uint32_t scanout, uint32_t x, uint32_t y)
{
    return cursor_cmd(g, VIRTIO_GPU_CMD_MOVE_CURSOR, scanout, 0, x, y, 0, 0);
}
