/* gpu_blob.c — what VirtIO 1.2 adds to the gpu (1.2 §5.7.6.8), as QEMU 7.2's
 * virtio-gpu-device does it (hw/display/virtio-gpu.c):
 *   - RESOURCE_CREATE_BLOB and SET_SCANOUT_BLOB, answered only with blob=true (here: the scenario's
 *     `offer: [resource_blob]`; QEMU's default, blob=false, answers both ERR_INVALID_PARAMETER).
 *     A blob resource has no host image: the display reads its guest pages (QEMU wraps them in
 *     a display surface), so there is no transfer, and a flush has no rectangle check.
 *   - RESOURCE_ASSIGN_UUID: QEMU 7.2 has no such command (ERR_UNSPEC, its default case) and
 *     never offers RESOURCE_UUID. With `offer: [resource_uuid]` the model answers it as the spec
 *     says (and later QEMU does): a UUID per resource, the same every time it is asked.
 *   - Every other command 1.2 documents (the 3D ones, MAP_BLOB / UNMAP_BLOB, which need VIRGL
 *     and a host visible memory region QEMU 7.2's 2D device does not have) falls to QEMU's
 *     default case: ERR_UNSPEC, nothing read past the header. Their names are here.
 * The driver's rules on the blob bodies (blob_mem, the scanout format) are checked here, where
 * the body is parsed; the rules on the header (which feature a command needs) in
 * checks/gpu_feature_checks.c.
 */
#include <stdlib.h>
#include <string.h>

#include "model/devices/gpu_internal.h"

const char *gpu_cmd_name_1_2(uint32_t type)
{
    static const char *const cmd2d[] = {"RESOURCE_ASSIGN_UUID", "RESOURCE_CREATE_BLOB",
                                        "SET_SCANOUT_BLOB"};
    static const char *const cmd3d[] = {
        "CTX_CREATE",          "CTX_DESTROY",          "CTX_ATTACH_RESOURCE",
        "CTX_DETACH_RESOURCE", "RESOURCE_CREATE_3D",   "TRANSFER_TO_HOST_3D",
        "TRANSFER_FROM_HOST_3D", "SUBMIT_3D",          "RESOURCE_MAP_BLOB",
        "RESOURCE_UNMAP_BLOB"};
    if (type == VIRTIO_GPU_CMD_GET_CAPSET_INFO)
        return "GET_CAPSET_INFO";
    if (type == VIRTIO_GPU_CMD_GET_CAPSET)
        return "GET_CAPSET";
    if (type >= VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID && type <= VIRTIO_GPU_CMD_SET_SCANOUT_BLOB)
        return cmd2d[type - VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID];
    if (type >= VIRTIO_GPU_CMD_CTX_CREATE && type <= VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB)
        return cmd3d[type - VIRTIO_GPU_CMD_CTX_CREATE];
    return NULL;
}

/* 1.2 §5.7.6.8: "blob_mem … MUST be non-zero"; HOST3D and HOST3D_GUEST "only if VIRTIO_GPU_F_VIRGL
 * is supported" (the 2D device never offers it). */
static void check_blob_mem(struct machine *m, const struct virtio_gpu_resource_create_blob *cmd)
{
    bool virgl = m->dev.guest_features >> VIRTIO_GPU_F_VIRGL & 1u;
    const char *why = cmd->blob_mem == 0 ? "0 (it MUST be non-zero)"
                      : cmd->blob_mem > VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST
                          ? "not a VIRTIO_GPU_BLOB_MEM_* value"
                      : cmd->blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST && !virgl
                          ? "host memory (HOST3D / HOST3D_GUEST), which needs VIRTIO_GPU_F_VIRGL, "
                            "not negotiated"
                          : NULL;
    if (why)
        machine_violation(m, "gpu.blob.mem", VIRTIO_GPU_QUEUE_CONTROL,
                          "RESOURCE_CREATE_BLOB of resource %u: blob_mem %u is %s",
                          cmd->resource_id, cmd->blob_mem, why);
}

uint32_t gpu_cmd_create_blob(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    if (!g->blob_enabled) /* QEMU: !virtio_gpu_blob_enabled, before the body is read */
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 0, NO_SCANOUT,
                          "blob resources are not enabled (QEMU's blob=false, its default: "
                          "RESOURCE_BLOB not offered)");
    struct virtio_gpu_resource_create_blob cmd;
    FILL_CMD(m, c, cmd);
    if (cmd.resource_id == 0)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, 0, NO_SCANOUT,
                          "resource id 0 is reserved (it means \"no resource\")");
    check_blob_mem(m, &cmd);
    /* QEMU 7.2's test, `&&` and all: refused only when neither the memory is guest memory nor the
     * flags are exactly USE_SHAREABLE (a HOST3D blob marked shareable is taken as guest memory) */
    if (cmd.blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST &&
        cmd.blob_flags != VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, cmd.resource_id, NO_SCANOUT,
                          "blob_mem %u with blob_flags 0x%x: the device has guest memory blobs "
                          "only", cmd.blob_mem, cmd.blob_flags);
    if (gpu_find_res(g, cmd.resource_id))
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                          "resource %u already exists (created earlier and not unreferenced)",
                          cmd.resource_id);
    struct virtio_gpu_mem_entry *e;
    uint32_t err = gpu_read_entries(g, m, c, sizeof(cmd), cmd.nr_entries, cmd.resource_id, &e);
    if (err)
        return err;
    struct gpu_resource *r = gpu_new_resource(g, cmd.resource_id);
    if (!r) {
        free(e);
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                          "the host ran out of memory");
    }
    r->blob = true;
    r->blob_size = cmd.size; /* QEMU does not compare it with the entries: neither does this */
    r->backing = cmd.nr_entries ? e : NULL; /* none: ATTACH_BACKING may come later */
    r->n_backing = cmd.nr_entries;
    if (!cmd.nr_entries)
        free(e);
    return VIRTIO_GPU_RESP_OK_NODATA;
}

/* What the display shows of blob r on s: row y of the shown rectangle is at byte
 * offset + (r.y + y) * stride + r.x * 4 of the blob (QEMU's framebuffer of SET_SCANOUT_BLOB).
 * False when s does not show r. */
bool gpu_blob_to_display(struct machine *m, const struct gpu_resource *r, struct gpu_scanout *s)
{
    if (s->state != SCANOUT_ACTIVE || s->resource_id != r->id || !s->fb || !s->blob.format)
        return false;
    gpu_present(gpu_of(m), s); /* an earlier flush lands first */
    uint32_t w = s->r.width < s->width ? s->r.width : s->width;
    uint32_t h = s->r.height < s->height ? s->r.height : s->height;
    uint8_t *row = malloc((size_t)w * 4);
    if (!row)
        return false;
    for (uint32_t y = 0; y < h; y++) {
        uint64_t at = s->blob.offset + (uint64_t)(s->r.y + y) * s->blob.stride +
                      (uint64_t)s->r.x * 4;
        size_t got = gpu_backing_read(m, r, at, row, (size_t)w * 4);
        uint8_t *out = s->fb + (size_t)y * s->width * 3;
        for (uint32_t x = 0; x < w && (size_t)x * 4 + 4 <= got; x++)
            gpu_format_to_rgb(s->blob.format, row + x * 4, out + x * 3);
    }
    free(row);
    return true;
}

/* QEMU's framebuffer test of SET_SCANOUT_BLOB: the shown rectangle's last byte inside the blob,
 * then virtio_gpu_do_set_scanout's (at least 16x16, inside width x height). */
static const char *blob_rect_problem(const struct virtio_gpu_set_scanout_blob *c,
                                     const struct gpu_resource *r)
{
    uint64_t end = c->offsets[0] + (uint64_t)c->r.x * 4 + (uint64_t)c->r.y * c->strides[0];
    if (c->r.height)
        end += (uint64_t)c->strides[0] * (c->r.height - 1);
    end += (uint64_t)c->r.width * 4;
    if (end > r->blob_size)
        return "ends past the blob";
    if (c->r.width < 16 || c->r.height < 16)
        return "smaller than 16x16, QEMU's least";
    if ((uint64_t)c->r.x + c->r.width > c->width || (uint64_t)c->r.y + c->r.height > c->height)
        return "not inside the framebuffer's width x height";
    return NULL;
}

uint32_t gpu_cmd_set_scanout_blob(struct gpu_device *g, struct machine *m,
                                  const struct sr_chain *c)
{
    if (!g->blob_enabled)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 0, NO_SCANOUT,
                          "blob resources are not enabled (QEMU's blob=false, its default: "
                          "RESOURCE_BLOB not offered)");
    struct virtio_gpu_set_scanout_blob cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_scanout *s;
    uint32_t t = gpu_scanout_select(g, cmd.scanout_id, cmd.resource_id, &s);
    if (!s)
        return t;
    struct gpu_resource *r = gpu_find_res(g, cmd.resource_id);
    if (!r || !r->backing)
        return gpu_refuse(g, r ? VIRTIO_GPU_RESP_ERR_UNSPEC : VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
                          cmd.resource_id, cmd.scanout_id, "resource %u %s", cmd.resource_id,
                          r ? "has no backing" : "does not exist");
    uint8_t probe[4] = {0}, rgb[3];
    if (!gpu_format_to_rgb(cmd.format, probe, rgb)) {
        machine_violation(m, "gpu.set-scanout-blob.format", VIRTIO_GPU_QUEUE_CONTROL,
                          "SET_SCANOUT_BLOB of resource %u on scanout %u: format %u is not one "
                          "of enum virtio_gpu_formats", cmd.resource_id, cmd.scanout_id,
                          cmd.format);
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, cmd.scanout_id,
                          "format %u is not a format the device knows", cmd.format);
    }
    const char *bad = r->blob ? blob_rect_problem(&cmd, r) : "not a blob resource";
    if (bad)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, cmd.scanout_id,
                          "the rectangle %u,%u %ux%u of a %ux%u framebuffer (stride %u, offset "
                          "%u) on resource %u: %s", cmd.r.x, cmd.r.y, cmd.r.width, cmd.r.height,
                          cmd.width, cmd.height, cmd.strides[0], cmd.offsets[0], r->id, bad);
    if (s->resource_id != r->id)
        s->flushes_shown = 0;
    s->state = SCANOUT_ACTIVE;
    s->resource_id = s->last_resource_id = r->id;
    s->r = cmd.r;
    s->blob.format = cmd.format;
    s->blob.width = cmd.width;
    s->blob.height = cmd.height;
    s->blob.stride = cmd.strides[0];
    s->blob.offset = cmd.offsets[0];
    gpu_blob_to_display(m, r, s); /* QEMU's new surface is the guest's pages: shown at once */
    return VIRTIO_GPU_RESP_OK_NODATA;
}

/* A UUID of version 4's layout, from the resource id and how many were handed out (the same run
 * gives the same UUIDs: a replay is reproducible). */
static void make_uuid(uint8_t u[16], uint32_t id, uint32_t serial)
{
    uint64_t x = 0x9e3779b97f4a7c15ull ^ ((uint64_t)id << 32 | serial);
    for (int i = 0; i < 16; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 29;
        u[i] = (uint8_t)x;
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

uint32_t gpu_cmd_assign_uuid(struct gpu_device *g, struct machine *m, const struct sr_chain *c,
                             struct virtio_gpu_resp_resource_uuid *resp)
{
    if (!g->uuid_enabled) /* QEMU 7.2: no such command (its default case) */
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, 0, NO_SCANOUT,
                          "RESOURCE_ASSIGN_UUID is not a command QEMU 7.2's device knows "
                          "(RESOURCE_UUID not offered)");
    struct virtio_gpu_resource_assign_uuid cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_resource *r = gpu_find_res(g, cmd.resource_id);
    if (!r)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                          "resource %u does not exist", cmd.resource_id);
    if (!r->has_uuid) {
        make_uuid(r->uuid, r->id, ++g->uuid_serial);
        r->has_uuid = true;
    }
    memcpy(resp->uuid, r->uuid, sizeof(resp->uuid));
    return VIRTIO_GPU_RESP_OK_RESOURCE_UUID;
}
