/* kernel_gpu_1_2.c — the kernel's steps for what VirtIO 1.2 adds to the gpu (1.2 §5.7.6.8):
 * resource_create_blob, set_scanout_blob, assign_uuid through the driver's API (gpu_blob_uuid.c), and
 * the replayed driver that sends what the built-in driver never would: `raw: true` builds the
 * command here and sends it with vgpu_send_raw, and gpu_command sends any control command by
 * name (the 3D ones, MAP_BLOB, a flag the driver did not negotiate). See kernel_steps.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/kernel_steps.h"
#include "model/devices/gpu_device.h"

static void say(struct step_result *sr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct step_result *sr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sr->detail, sizeof(sr->detail), fmt, ap);
    va_end(ap);
}

/* The blob's framebuffer: the kernel's resource `id`, made on first use at the step's size (else
 * the mode), in the step's format. */
static struct kernel_fb *blob_fb(struct kernel *k, const struct scenario_step *st)
{
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    if (!f && k->n_fb < KERNEL_MAX_FB) {
        f = &k->fb[k->n_fb++];
        memset(f, 0, sizeof(*f));
        f->id = st->id;
        f->format = st->format;
        f->width = st->width ? st->width : k->mode_w;
        f->height = st->height ? st->height : k->mode_h;
    }
    return f;
}

static int step_create_blob(struct kernel *k, const struct scenario_step *st,
                            struct step_result *sr)
{
    struct kernel_fb *f = blob_fb(k, st);
    uint32_t n = f ? kernel_fb_entries(k, f, st->entries, sr) : 0;
    if (!n)
        return f ? VIRTIO_ERR_NOMEM : VIRTIO_ERR_INVALID;
    uint64_t size = (uint64_t)f->width * f->height * 4;
    char detail[sizeof(sr->detail)];
    snprintf(detail, sizeof(detail), "%s", sr->detail);
    say(sr, "blob %u: %ux%u, %llu bytes, blob_mem %u flags 0x%x, %s%s", st->id, f->width,
        f->height, (unsigned long long)size, st->blob_mem, st->blob_flags, detail,
        st->raw ? " (raw)" : "");
    if (!st->raw)
        return vgpu_resource_create_blob(k->g, st->id, size, k->entries, n);
    uint8_t buf[VGPU_REQ_BYTES];
    struct virtio_gpu_resource_create_blob c = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .resource_id = st->id,
        .blob_mem = st->blob_mem, .blob_flags = st->blob_flags, .nr_entries = n, .size = size};
    memcpy(buf, &c, sizeof(c));
    memcpy(buf + sizeof(c), k->entries, n * sizeof(k->entries[0]));
    return vgpu_send_raw(k->g, buf, (uint32_t)(sizeof(c) + n * sizeof(k->entries[0])),
                         sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_RESP_OK_NODATA);
}

static int step_set_scanout_blob(struct kernel *k, const struct scenario_step *st,
                                 struct step_result *sr)
{
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    uint32_t w = f ? f->width : k->mode_w, h = f ? f->height : k->mode_h;
    struct vgpu_blob_scanout b = {.scanout = st->scanout, .id = st->id, .format = st->format,
                                  .width = w, .height = h, .stride = w * 4, .offset = 0,
                                  .r = kernel_full_rect(k, st)};
    say(sr, "scanout %u ← blob %u (%u,%u %ux%u of %ux%u, format %u, stride %u)%s", st->scanout,
        st->id, b.r.x, b.r.y, b.r.width, b.r.height, w, h, st->format, b.stride,
        st->raw ? " (raw)" : "");
    if (!st->raw)
        return vgpu_set_scanout_blob(k->g, &b);
    struct virtio_gpu_set_scanout_blob c = {
        .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT_BLOB, .r = b.r, .scanout_id = b.scanout,
        .resource_id = b.id, .width = w, .height = h, .format = b.format,
        .strides = {b.stride}, .offsets = {0}};
    return vgpu_send_raw(k->g, &c, sizeof(c), sizeof(struct virtio_gpu_ctrl_hdr),
                         VIRTIO_GPU_RESP_OK_NODATA);
}

/* The UUID the driver read back must be the one the device holds for the resource, and the same
 * each time it is asked (the check is on the bytes, not on "an answer came"). */
static int check_uuid(struct kernel *k, uint32_t id, const uint8_t u[16], struct step_result *sr)
{
    const struct gpu_device *gd = gpu_of(k->m);
    const struct gpu_resource *r = gd ? gpu_find_resource(gd, id) : NULL;
    struct kernel_fb *f = kernel_find_fb(k, id);
    char hex[40];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", u[i]);
    if (r && (!r->has_uuid || memcmp(r->uuid, u, 16))) {
        say(sr, "resource %u: UUID %s read back is not the device's", id, hex);
        return VGPU_ERR_UNEXPECTED_RESPONSE;
    }
    if (f && f->has_uuid && memcmp(f->uuid, u, 16)) {
        say(sr, "resource %u: UUID %s differs from the one assigned before", id, hex);
        return VGPU_ERR_UNEXPECTED_RESPONSE;
    }
    if (f) {
        memcpy(f->uuid, u, 16);
        f->has_uuid = true;
    }
    say(sr, "resource %u: UUID %.8s-%.4s-%.4s-%.4s-%.12s", id, hex, hex + 8, hex + 12, hex + 16,
        hex + 20);
    return VIRTIO_OK;
}

static int step_assign_uuid(struct kernel *k, const struct scenario_step *st,
                            struct step_result *sr)
{
    say(sr, "resource %u%s", st->id, st->raw ? " (raw)" : "");
    if (st->raw) {
        struct virtio_gpu_resource_assign_uuid c = {
            .hdr.type = VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID, .resource_id = st->id};
        return vgpu_send_raw(k->g, &c, sizeof(c), sizeof(struct virtio_gpu_resp_resource_uuid),
                             VIRTIO_GPU_RESP_OK_RESOURCE_UUID);
    }
    uint8_t u[16];
    int rc = vgpu_assign_uuid(k->g, st->id, u);
    return rc == VIRTIO_OK ? check_uuid(k, st->id, u, sr) : rc;
}

/* gpu_command: the command's request size and the answer a device that implements it gives. */
static void command_shape(uint32_t type, uint32_t *len, uint32_t *resp_len, uint32_t *ok)
{
    *len = 32; /* header, an id, padding: most commands */
    *resp_len = sizeof(struct virtio_gpu_ctrl_hdr);
    *ok = VIRTIO_GPU_RESP_OK_NODATA;
    switch (type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
        *len = sizeof(struct virtio_gpu_ctrl_hdr);
        *resp_len = sizeof(struct virtio_gpu_resp_display_info);
        *ok = VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
        break;
    case VIRTIO_GPU_CMD_CTX_CREATE: *len = sizeof(struct virtio_gpu_ctx_create); break;
    case VIRTIO_GPU_CMD_CTX_DESTROY: *len = sizeof(struct virtio_gpu_ctrl_hdr); break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_3D: /* 12 words after the header */
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D: /* box, offset, id, level, strides */
    case VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D: *len = 72; break;
    case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
        *len = sizeof(struct virtio_gpu_resource_map_blob);
        *resp_len = 32; /* struct virtio_gpu_resp_map_info */
        *ok = VIRTIO_GPU_RESP_OK_MAP_INFO;
        break;
    default: break;
    }
}

static int step_gpu_command(struct kernel *k, const struct scenario_step *st,
                            struct step_result *sr)
{
    uint32_t len, resp_len, ok;
    command_shape(st->cmd_type, &len, &resp_len, &ok);
    uint8_t buf[128] = {0};
    struct virtio_gpu_ctrl_hdr h = {.type = st->cmd_type, .flags = st->cmd_flags,
                                    .ring_idx = (uint8_t)st->ring_idx};
    if (st->cmd_type >= VIRTIO_GPU_CMD_CTX_CREATE && st->cmd_type < 0x0300)
        h.ctx_id = 1; /* a 3D command names its context */
    memcpy(buf, &h, sizeof(h));
    if (st->cmd_type == VIRTIO_GPU_CMD_CTX_CREATE) {
        struct virtio_gpu_ctx_create *c = (struct virtio_gpu_ctx_create *)buf;
        c->nlen = 5;
        memcpy(c->debug_name, "vqsim", 5);
    } else if (len >= 28) {
        memcpy(buf + sizeof(h), &st->id, 4); /* the resource the command names */
    }
    const char *name = gpu_cmd_name(st->cmd_type);
    say(sr, "%s (0x%x), %u bytes, flags 0x%x, ring_idx %u, sent raw", name ? name : "command",
        st->cmd_type, len, st->cmd_flags, st->ring_idx);
    return vgpu_send_raw(k->g, buf, len, resp_len, ok); /* expect_response: judge.c */
}

int kernel_step_1_2(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    switch (st->kind) {
    case STEP_RESOURCE_CREATE_BLOB: return step_create_blob(k, st, sr);
    case STEP_SET_SCANOUT_BLOB: return step_set_scanout_blob(k, st, sr);
    case STEP_ASSIGN_UUID: return step_assign_uuid(k, st, sr);
    case STEP_GPU_COMMAND: return step_gpu_command(k, st, sr);
    default: return VIRTIO_ERR_INVALID;
    }
}
