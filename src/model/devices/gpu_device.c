/* gpu_device.c — see gpu_device.h. */
#include "model/devices/gpu_device.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/machine.h"

#define GPU_MAX_HOSTMEM (256ull << 20) /* QEMU's max_hostmem default: for all resources together */
#define GPU_MAX_BACKING_ENTRIES 16384u
#define GPU_MIN_SCANOUT 16u            /* QEMU refuses smaller scanout rectangles */

const char gpu_note_short_header[] = "command shorter than the 24-byte header: never answered";
const char gpu_note_resp_truncated[] = "response truncated: the writable buffer is too short";

const char *scanout_state_name(enum scanout_state s)
{
    switch (s) {
    case SCANOUT_ACTIVE: return "active";
    case SCANOUT_INACTIVE: return "inactive";
    default: return "not-initialized";
    }
}

const char *gpu_cmd_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO: return "GET_DISPLAY_INFO";
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: return "RESOURCE_CREATE_2D";
    case VIRTIO_GPU_CMD_RESOURCE_UNREF: return "RESOURCE_UNREF";
    case VIRTIO_GPU_CMD_SET_SCANOUT: return "SET_SCANOUT";
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH: return "RESOURCE_FLUSH";
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: return "TRANSFER_TO_HOST_2D";
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: return "RESOURCE_ATTACH_BACKING";
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: return "RESOURCE_DETACH_BACKING";
    case VIRTIO_GPU_CMD_GET_EDID: return "GET_EDID";
    default: return NULL;
    }
}

const char *gpu_resp_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_GPU_RESP_ERR_UNSPEC: return "ERR_UNSPEC";
    case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY: return "ERR_OUT_OF_MEMORY";
    case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID: return "ERR_INVALID_SCANOUT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID: return "ERR_INVALID_RESOURCE_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID: return "ERR_INVALID_CONTEXT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER: return "ERR_INVALID_PARAMETER";
    default: return NULL;
    }
}

bool gpu_device_add_scanout(struct gpu_device *g, uint32_t width, uint32_t height)
{
    if (g->n_scanouts >= VIRTIO_GPU_MAX_SCANOUTS)
        return false;
    struct gpu_scanout *s = &g->scanouts[g->n_scanouts++];
    memset(s, 0, sizeof(*s));
    s->width = width;
    s->height = height;
    s->enabled = true;
    s->fb = calloc((size_t)width * height, 3);
    return true;
}

void gpu_device_init(struct gpu_device *g, uint32_t width, uint32_t height)
{
    memset(g, 0, sizeof(*g));
    gpu_device_add_scanout(g, width, height);
    g->max_hostmem = GPU_MAX_HOSTMEM;
}

static void resource_free(struct gpu_resource *r)
{
    free(r->pixels);
    free(r->backing);
    memset(r, 0, sizeof(*r));
}

void gpu_device_destroy(struct gpu_device *g)
{
    for (uint32_t i = 0; i < g->n_res; i++)
        resource_free(&g->res[i]);
    free(g->res);
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        free(g->scanouts[i].fb);
    memset(g, 0, sizeof(*g));
}

static void scanout_disable(struct gpu_scanout *s)
{
    if (s->state == SCANOUT_ACTIVE)
        s->state = SCANOUT_INACTIVE; /* QEMU: "Display output is not active." */
    s->resource_id = 0;
    s->cursor.visible = false;
}

/* Every scanout showing resource `id` goes dark (QEMU's virtio_gpu_disable_scanout). */
static void disable_showing(struct gpu_device *g, uint32_t id)
{
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        if (g->scanouts[i].resource_id == id)
            scanout_disable(&g->scanouts[i]);
}

void gpu_device_reset(struct machine *m)
{
    struct gpu_device *g = &m->gpu;
    for (uint32_t i = 0; i < g->n_res; i++)
        resource_free(&g->res[i]);
    g->n_res = 0;
    g->hostmem = 0;
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        scanout_disable(&g->scanouts[i]);
    /* QEMU's reset leaves virtio_config (events_read) alone */
}

const struct gpu_resource *gpu_find_resource(const struct gpu_device *g, uint32_t id)
{
    for (uint32_t i = 0; i < g->n_res; i++)
        if (g->res[i].id == id)
            return &g->res[i];
    return NULL;
}

static struct gpu_resource *find_res(struct gpu_device *g, uint32_t id)
{
    for (uint32_t i = 0; i < g->n_res; i++)
        if (g->res[i].id == id)
            return &g->res[i];
    return NULL;
}

/* An error answer and the device's reason for it (kept for the diagnosis: which resource or
 * scanout the command named, and why the device refused it). */
static uint32_t refuse(struct gpu_device *g, uint32_t code, uint32_t resource, uint32_t scanout,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static uint32_t refuse(struct gpu_device *g, uint32_t code, uint32_t resource, uint32_t scanout,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->why, sizeof(g->why), fmt, ap);
    va_end(ap);
    g->why_resource = resource;
    g->why_scanout = scanout;
    return code;
}
#define NO_SCANOUT UINT32_MAX

/* QEMU's find_check_resource(require_backing = true): the resource, or NULL with the error
 * code to answer (and its reason). */
static struct gpu_resource *find_backed(struct gpu_device *g, uint32_t id, uint32_t *err)
{
    struct gpu_resource *r = find_res(g, id);
    if (!r) {
        *err = refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, id, NO_SCANOUT,
                      "resource %u does not exist", id);
        return NULL;
    }
    if (!r->backing) {
        *err = refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                      "resource %u has no backing attached", id);
        return NULL;
    }
    return r;
}

bool gpu_format_to_rgb(uint32_t format, const uint8_t *px, uint8_t rgb[3])
{
    int r, gr, b; /* byte positions in memory, per the format's name */
    switch (format) {
    case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
    case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM: r = 2, gr = 1, b = 0; break;
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM: r = 1, gr = 2, b = 3; break;
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: r = 0, gr = 1, b = 2; break;
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM: r = 3, gr = 2, b = 1; break;
    default: return false;
    }
    rgb[0] = px[r];
    rgb[1] = px[gr];
    rgb[2] = px[b];
    return true;
}

/* QEMU's rectangle test: inside the resource (no minimum size). */
static bool rect_inside(const struct virtio_gpu_rect *r, const struct gpu_resource *res)
{
    return r->x <= res->width && r->y <= res->height && r->width <= res->width &&
           r->height <= res->height && r->x + (uint64_t)r->width <= res->width &&
           r->y + (uint64_t)r->height <= res->height;
}

/* Copy `len` bytes from the backing at byte `offset`; returns the bytes copied (short backing
 * copies less, silently, as QEMU's iov_to_buf). */
static size_t backing_read(struct machine *m, const struct gpu_resource *res, uint64_t offset,
                           uint8_t *dst, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < res->n_backing && done < len; i++) {
        uint64_t elen = res->backing[i].length;
        if (offset >= elen) {
            offset -= elen;
            continue;
        }
        size_t n = elen - offset < len - done ? (size_t)(elen - offset) : len - done;
        const void *src = gm_ptr(&m->mem, res->backing[i].addr + offset, n);
        if (!src)
            break;
        memcpy(dst + done, src, n);
        done += n;
        offset = 0;
    }
    return done;
}

/* Each handler reads its body from the chain and returns the response type. A body shorter than
 * the command struct gets OK_NODATA with no effect (QEMU's VIRTIO_GPU_FILL_CMD). */
#define FILL_CMD(m, c, cmd)                                                                      \
    do {                                                                                         \
        if (sr_read((m), (c), 0, &(cmd), sizeof(cmd)) < sizeof(cmd)) {                           \
            machine_trace((m), TR_DEVICE, 0, sizeof(cmd), 0,                                     \
                          "command body truncated: answered OK_NODATA, nothing done");           \
            return VIRTIO_GPU_RESP_OK_NODATA;                                                    \
        }                                                                                        \
    } while (0)

static uint32_t cmd_get_display_info(struct machine *m, struct virtio_gpu_resp_display_info *resp)
{
    memset(resp->pmodes, 0, sizeof(resp->pmodes));
    for (uint32_t i = 0; i < m->gpu.n_scanouts; i++) {
        const struct gpu_scanout *s = &m->gpu.scanouts[i];
        if (!s->enabled)
            continue; /* QEMU fills only the outputs in enabled_output_bitmask */
        resp->pmodes[i].r.width = s->width;
        resp->pmodes[i].r.height = s->height;
        resp->pmodes[i].enabled = 1;
    }
    return VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
}

/* A 128-byte EDID base block naming the scanout's mode as its preferred timing, no extension
 * blocks, the rest of the 1024-byte array zero (QEMU's qemu_edid_generate says more: a CTA
 * extension, ranges, a name). */
static void edid_generate(uint8_t *e, uint32_t width, uint32_t height)
{
    static const uint8_t header[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    memset(e, 0, 128);
    memcpy(e, header, 8);
    e[8] = 0x49, e[9] = 0x14;   /* manufacturer "RHT", as QEMU */
    e[10] = 0x34, e[11] = 0x12; /* product code */
    e[16] = 1, e[17] = 32;      /* week 1 of 2022 */
    e[18] = 1, e[19] = 4;       /* EDID 1.4 */
    e[20] = 0xa5;               /* digital input, 8 bits per colour, DisplayPort */
    uint8_t *d = e + 54;        /* detailed timing descriptor 1: the preferred mode */
    uint32_t hblank = 160, vblank = 30;
    uint64_t clock = ((uint64_t)(width + hblank) * (height + vblank) * 60) / 10000;
    d[0] = (uint8_t)clock, d[1] = (uint8_t)(clock >> 8);
    d[2] = (uint8_t)width, d[3] = (uint8_t)hblank;
    d[4] = (uint8_t)(((width >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf));
    d[5] = (uint8_t)height, d[6] = (uint8_t)vblank;
    d[7] = (uint8_t)(((height >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf));
    d[17] = 0x18;
    for (int i = 1; i < 4; i++) /* the other three descriptors: dummy (tag 0x10) */
        e[54 + 18 * i + 3] = 0x10;
    uint8_t sum = 0;
    for (int i = 0; i < 127; i++)
        sum = (uint8_t)(sum + e[i]);
    e[127] = (uint8_t)(0x100 - sum);
}

static uint32_t cmd_get_edid(struct machine *m, const struct sr_chain *c,
                             struct virtio_gpu_resp_edid *resp)
{
    struct virtio_gpu_get_edid cmd;
    FILL_CMD(m, c, cmd);
    if (cmd.scanout >= m->gpu.n_scanouts)
        return refuse(&m->gpu, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 0, cmd.scanout,
                      "scanout %u does not exist (the device has %u)", cmd.scanout,
                      m->gpu.n_scanouts);
    const struct gpu_scanout *s = &m->gpu.scanouts[cmd.scanout];
    edid_generate(resp->edid, s->width, s->height);
    resp->size = sizeof(resp->edid); /* QEMU reports the whole 1024-byte array */
    return VIRTIO_GPU_RESP_OK_EDID;
}

static uint32_t cmd_create_2d(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_create_2d cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_device *g = &m->gpu;
    uint8_t rgb[3], px[4] = {0};
    if (cmd.resource_id == 0)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, 0, NO_SCANOUT,
                      "resource id 0 is reserved (it means \"no resource\")");
    if (find_res(g, cmd.resource_id))
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                      "resource %u already exists (created earlier and not unreferenced)",
                      cmd.resource_id);
    if (!gpu_format_to_rgb(cmd.format, px, rgb))
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, cmd.resource_id, NO_SCANOUT,
                      "format %u is not a 2D format", cmd.format);
    /* QEMU counts every resource against one budget, and creates only while the total stays
     * below it; a per-resource limit let a guest pile up any number of 256 MiB images. */
    uint64_t bytes = (uint64_t)cmd.width * cmd.height * 4;
    if (bytes == 0 || g->hostmem >= g->max_hostmem || bytes >= g->max_hostmem - g->hostmem)
        return refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                      "a %ux%u image (%llu bytes) does not fit the host memory left (%llu of "
                      "%llu bytes used)", cmd.width, cmd.height, (unsigned long long)bytes,
                      (unsigned long long)g->hostmem, (unsigned long long)g->max_hostmem);
    if (g->n_res == g->cap_res) {
        uint32_t cap = g->cap_res ? 2 * g->cap_res : 8;
        struct gpu_resource *n = realloc(g->res, cap * sizeof(*n));
        if (!n)
            return refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                          "the host ran out of memory");
        g->res = n;
        g->cap_res = cap;
    }
    uint8_t *pixels = calloc(1, (size_t)bytes);
    if (!pixels)
        return refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                      "the host ran out of memory");
    struct gpu_resource *r = &g->res[g->n_res++];
    memset(r, 0, sizeof(*r));
    r->id = cmd.resource_id;
    r->format = cmd.format;
    r->width = cmd.width;
    r->height = cmd.height;
    r->pixels = pixels;
    g->hostmem += bytes;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_unref(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_unref cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_device *g = &m->gpu;
    struct gpu_resource *r = find_res(g, cmd.resource_id);
    if (!r)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                      "resource %u does not exist", cmd.resource_id);
    disable_showing(g, r->id);
    g->hostmem -= (uint64_t)r->width * r->height * 4;
    resource_free(r);
    *r = g->res[--g->n_res];
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_attach_backing(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_attach_backing cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_device *g = &m->gpu;
    uint32_t id = cmd.resource_id;
    struct gpu_resource *r = find_res(g, id);
    if (!r)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, id, NO_SCANOUT,
                      "resource %u does not exist", id);
    if (r->backing)
        return refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                      "resource %u already has backing attached", id);
    if (cmd.nr_entries > GPU_MAX_BACKING_ENTRIES)
        return refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                      "%u backing entries, more than QEMU's %u", cmd.nr_entries,
                      GPU_MAX_BACKING_ENTRIES);
    size_t bytes = sizeof(struct virtio_gpu_mem_entry) * cmd.nr_entries;
    struct virtio_gpu_mem_entry *e = malloc(bytes ? bytes : 1);
    if (!e)
        return refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                      "the host ran out of memory");
    if (sr_read(m, c, sizeof(cmd), e, bytes) != bytes) {
        free(e);
        return refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                      "the request holds fewer than the %u backing entries it announces",
                      cmd.nr_entries);
    }
    for (uint32_t i = 0; i < cmd.nr_entries; i++) {
        if (e[i].length == 0 || !gm_contains(&m->mem, e[i].addr, e[i].length)) {
            machine_trace(m, TR_DEVICE, e[i].addr, e[i].length, 0,
                          "backing entry cannot be mapped: ERR_UNSPEC");
            uint64_t a = e[i].addr;
            uint32_t l = e[i].length;
            free(e);
            return refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                          "backing entry %u (0x%llx, %u bytes) %s", i, (unsigned long long)a, l,
                          l == 0 ? "is empty" : "is not guest RAM");
        }
    }
    r->backing = e;
    r->n_backing = cmd.nr_entries;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_detach_backing(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_detach_backing cmd;
    FILL_CMD(m, c, cmd);
    uint32_t err;
    struct gpu_resource *r = find_backed(&m->gpu, cmd.resource_id, &err);
    if (!r)
        return err;
    free(r->backing);
    r->backing = NULL;
    r->n_backing = 0;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_set_scanout(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_set_scanout cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_device *g = &m->gpu;
    if (cmd.scanout_id >= g->n_scanouts)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, cmd.resource_id, cmd.scanout_id,
                      "scanout %u does not exist (the device has %u)", cmd.scanout_id,
                      g->n_scanouts);
    struct gpu_scanout *s = &g->scanouts[cmd.scanout_id];
    if (cmd.resource_id == 0) {
        scanout_disable(s);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }
    uint32_t err; /* QEMU ≥ 6 requires backing before a resource can be shown */
    struct gpu_resource *r = find_backed(g, cmd.resource_id, &err);
    if (!r)
        return err;
    if (!rect_inside(&cmd.r, r) || cmd.r.width < GPU_MIN_SCANOUT || cmd.r.height < GPU_MIN_SCANOUT)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, cmd.scanout_id,
                      "the rectangle %u,%u %ux%u is %s resource %u (%ux%u)", cmd.r.x, cmd.r.y,
                      cmd.r.width, cmd.r.height,
                      rect_inside(&cmd.r, r) ? "smaller than 16x16, QEMU's least, on"
                                             : "not inside", r->id, r->width, r->height);
    if (s->resource_id != r->id)
        s->flushes_shown = 0;
    s->state = SCANOUT_ACTIVE;
    s->resource_id = r->id;
    s->last_resource_id = r->id;
    s->r = cmd.r;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_transfer_to_host_2d(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_transfer_to_host_2d cmd;
    FILL_CMD(m, c, cmd);
    uint32_t err;
    struct gpu_resource *r = find_backed(&m->gpu, cmd.resource_id, &err);
    if (!r)
        return err;
    if (!rect_inside(&cmd.r, r))
        return refuse(&m->gpu, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, NO_SCANOUT,
                      "the rectangle %u,%u %ux%u is not inside resource %u (%ux%u)", cmd.r.x,
                      cmd.r.y, cmd.r.width, cmd.r.height, r->id, r->width, r->height);
    /* Row h of the rectangle comes from backing offset `offset + stride*h` (QEMU). */
    uint64_t stride = (uint64_t)r->width * 4;
    size_t row = (size_t)cmd.r.width * 4;
    for (uint32_t h = 0; h < cmd.r.height; h++) {
        uint8_t *dst = r->pixels + ((uint64_t)(cmd.r.y + h) * r->width + cmd.r.x) * 4;
        if (backing_read(m, r, cmd.offset + stride * h, dst, row) < row) {
            machine_trace(m, TR_DEVICE, cmd.resource_id, h, 0,
                          "transfer ran past the backing: partial copy (QEMU: no error)");
            break;
        }
    }
    r->transfers++;
    r->transfer_seq = m->gpu.seq;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

/* One row of pixels to R,G,B; the byte positions are constants at each call site below, so the
 * compiler builds a loop per format without a per-pixel switch. */
static inline __attribute__((always_inline)) void row_to_rgb(const uint8_t *src, uint8_t *out,
                                                             uint32_t n, int pr, int pg, int pb)
{
    for (uint32_t i = 0; i < n; i++, src += 4, out += 3) {
        out[0] = src[pr];
        out[1] = src[pg];
        out[2] = src[pb];
    }
}

/* Copy rectangle `f` of resource r to the display, clipped to the part the scanout shows: a
 * pixel (x, y) lands when s->r contains it and (x - s->r.x, y - s->r.y) is inside the mode. The
 * clipping is done once per rectangle, not per pixel (bench/ table 2). */
static void flush_to_display(const struct gpu_resource *r, struct gpu_scanout *s,
                             const struct virtio_gpu_rect *f)
{
    uint8_t probe[4] = {0, 1, 2, 3}, pos[3];
    if (!gpu_format_to_rgb(r->format, probe, pos))
        return;
    uint64_t y0 = f->y > s->r.y ? f->y : s->r.y, x0 = f->x > s->r.x ? f->x : s->r.x;
    uint64_t y1 = (uint64_t)f->y + f->height, x1 = (uint64_t)f->x + f->width;
    uint64_t ylim = (uint64_t)s->r.y + (s->r.height < s->height ? s->r.height : s->height);
    uint64_t xlim = (uint64_t)s->r.x + (s->r.width < s->width ? s->r.width : s->width);
    if (y1 > ylim)
        y1 = ylim;
    if (x1 > xlim)
        x1 = xlim;
    if (y0 >= y1 || x0 >= x1)
        return;
    uint32_t n = (uint32_t)(x1 - x0);
    for (uint64_t y = y0; y < y1; y++) {
        const uint8_t *src = r->pixels + (y * r->width + x0) * 4;
        uint8_t *out = s->fb + ((y - s->r.y) * s->width + (x0 - s->r.x)) * 3;
        switch (pos[0] << 4 | pos[1] << 2 | pos[2]) {
        case 2 << 4 | 1 << 2 | 0: row_to_rgb(src, out, n, 2, 1, 0); break; /* B8G8R8X8 / A8 */
        case 1 << 4 | 2 << 2 | 3: row_to_rgb(src, out, n, 1, 2, 3); break;
        case 0 << 4 | 1 << 2 | 2: row_to_rgb(src, out, n, 0, 1, 2); break;
        case 3 << 4 | 2 << 2 | 1: row_to_rgb(src, out, n, 3, 2, 1); break;
        default: row_to_rgb(src, out, n, pos[0], pos[1], pos[2]); break;
        }
    }
}

static void flush_to(struct gpu_scanout *s, const struct gpu_resource *r,
                     const struct virtio_gpu_rect *fr)
{
    if (s->state != SCANOUT_ACTIVE || s->resource_id != r->id || !s->fb)
        return;
    flush_to_display(r, s, fr);
    s->flushes++;
    s->flushes_shown++;
}

static uint32_t cmd_resource_flush(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_flush cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_device *g = &m->gpu;
    struct gpu_resource *r = find_res(g, cmd.resource_id);
    if (!r)
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                      "resource %u does not exist", cmd.resource_id);
    if (!rect_inside(&cmd.r, r))
        return refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, NO_SCANOUT,
                      "the rectangle %u,%u %ux%u is not inside resource %u (%ux%u)", cmd.r.x,
                      cmd.r.y, cmd.r.width, cmd.r.height, r->id, r->width, r->height);
    r->flushes++;
    /* A resource not shown anywhere: a no-op. Else the flushed rectangle, clipped to what each
     * scanout showing it shows, reaches that display. */
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        flush_to(&g->scanouts[i], r, &cmd.r);
    return VIRTIO_GPU_RESP_OK_NODATA;
}

/* UPDATE_CURSOR / MOVE_CURSOR (§5.7.6.9), as QEMU's update_cursor: a scanout out of range is
 * ignored silently; any type other than MOVE is an update; the image is copied only from a
 * 64x64 resource, from its host copy (so it must have been transferred). */
static void cmd_cursor(struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_update_cursor cmd;
    memset(&cmd, 0, sizeof(cmd));
    if (sr_read(m, c, 0, &cmd, sizeof(cmd)) != sizeof(cmd))
        machine_trace(m, TR_DEVICE, c->head, c->readable, 0,
                      "cursor command size is not 56: logged, processed anyway");
    struct gpu_device *g = &m->gpu;
    if (cmd.pos.scanout_id >= g->n_scanouts) {
        machine_trace(m, TR_DEVICE, c->head, cmd.pos.scanout_id, 0,
                      "cursor command for a scanout that does not exist: ignored");
        return;
    }
    struct gpu_cursor *cur = &g->scanouts[cmd.pos.scanout_id].cursor;
    cur->x = cmd.pos.x;
    cur->y = cmd.pos.y;
    if (cmd.hdr.type == VIRTIO_GPU_CMD_MOVE_CURSOR) {
        cur->moves++;
        return;
    }
    cur->updates++;
    cur->hot_x = cmd.hot_x;
    cur->hot_y = cmd.hot_y;
    cur->resource_id = cmd.resource_id;
    if (cmd.resource_id == 0) {
        cur->visible = false; /* resource 0 hides the cursor */
        return;
    }
    const struct gpu_resource *r = find_res(g, cmd.resource_id);
    /* §5.7.6.6: the cursor resource is created, backed and transferred, and a fence proved the
     * transfer complete, before UPDATE_CURSOR names it. */
    if (!r || !r->backing || !r->transfers)
        machine_violation(m, "gpu.cursor.resource-ready-fenced", VIRTIO_GPU_QUEUE_CURSOR,
                          "UPDATE_CURSOR names resource %u, which %s", cmd.resource_id,
                          !r ? "does not exist" : !r->backing ? "has no backing"
                                                              : "was never transferred");
    else if (g->fenced_seq < r->transfer_seq)
        machine_violation(m, "gpu.cursor.resource-ready-fenced", VIRTIO_GPU_QUEUE_CURSOR,
                          "UPDATE_CURSOR names resource %u, whose last transfer no fenced "
                          "command has completed after (driver cannot know it finished)",
                          cmd.resource_id);
    if (!r || r->width != VIRTIO_GPU_CURSOR_SIZE || r->height != VIRTIO_GPU_CURSOR_SIZE) {
        machine_trace(m, TR_DEVICE, cmd.resource_id, 0, 0,
                      "cursor resource missing or not 64x64: image ignored");
        return;
    }
    for (uint32_t i = 0; i < VIRTIO_GPU_CURSOR_SIZE * VIRTIO_GPU_CURSOR_SIZE; i++) {
        const uint8_t *px = r->pixels + i * 4;
        uint8_t *o = cur->rgba + i * 4;
        gpu_format_to_rgb(r->format, px, o);
        /* alpha: the byte the format names A (X formats are opaque) */
        switch (r->format) {
        case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
        case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM: o[3] = px[3]; break;
        case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
        case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM: o[3] = px[0]; break;
        default: o[3] = 0xff; break;
        }
    }
    cur->visible = true;
}

/* Execute one control command and answer it; false when no answer is published now (a command
 * shorter than the header, which QEMU parks; a replay's pace holding the answer, device_pace.h). */
static bool control_command(struct machine *m, uint32_t qi, struct sr_chain *c)
{
    struct virtio_gpu_ctrl_hdr hdr;
    if (sr_read(m, c, 0, &hdr, sizeof(hdr)) < sizeof(hdr)) {
        /* QEMU parks such a command forever: it is never answered. */
        struct trace_event *e = machine_trace(m, TR_DEVICE, c->head, c->readable, 0,
                                              gpu_note_short_header);
        if (e)
            e->queue = (uint8_t)qi;
        rf_short_header(m, qi, c->head, c->readable);
        return false;
    }
    union {
        struct virtio_gpu_ctrl_hdr hdr;
        struct virtio_gpu_resp_display_info info;
        struct virtio_gpu_resp_edid edid;
    } resp;
    memset(&resp, 0, sizeof(resp));
    size_t resp_len = sizeof(resp.hdr);
    uint32_t type;
    m->gpu.commands++;
    m->gpu.seq++;
    switch (hdr.type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
        type = cmd_get_display_info(m, &resp.info);
        resp_len = sizeof(resp.info);
        break;
    case VIRTIO_GPU_CMD_GET_EDID:
        type = cmd_get_edid(m, c, &resp.edid);
        resp_len = sizeof(resp.edid);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: type = cmd_create_2d(m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_UNREF: type = cmd_unref(m, c); break;
    case VIRTIO_GPU_CMD_SET_SCANOUT: type = cmd_set_scanout(m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH: type = cmd_resource_flush(m, c); break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: type = cmd_transfer_to_host_2d(m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: type = cmd_attach_backing(m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: type = cmd_detach_backing(m, c); break;
    default:
        type = refuse(&m->gpu, VIRTIO_GPU_RESP_ERR_UNSPEC, 0, NO_SCANOUT,
                      "command type 0x%x is not a 2D command this device knows", hdr.type);
        break;
    }
    if (type >= VIRTIO_GPU_RESP_ERR_UNSPEC) {
        m->gpu.errors++;
        resp_len = sizeof(resp.hdr);
        struct rf_error e = {.t = m->now, .head = c->head, .cmd = hdr.type, .resp = type,
                             .resource = m->gpu.why_resource, .scanout = m->gpu.why_scanout};
        snprintf(e.reason, sizeof(e.reason), "%s", m->gpu.why);
        rf_error(m, qi, &e);
    }
    device_faults_on_response(m, qi, &type, &resp_len, &resp, sizeof(resp)); /* hostile */
    if (resp_len > sizeof(resp))
        resp_len = sizeof(resp);
    resp.hdr.type = type;
    if (hdr.flags & VIRTIO_GPU_FLAG_FENCE) { /* §5.7.6.7: echo the fence */
        resp.hdr.flags = VIRTIO_GPU_FLAG_FENCE;
        resp.hdr.fence_id = hdr.fence_id;
        resp.hdr.ctx_id = hdr.ctx_id;
        m->gpu.fenced_seq = m->gpu.seq; /* 2D: commands finish in order, fence with them */
    }
    /* used.len = bytes actually written (a short writable area truncates, as QEMU). */
    size_t written = sr_write(m, c, &resp, resp_len);
    if (written < resp_len) { /* QEMU: "response size incorrect", still returned */
        struct trace_event *e = machine_trace(m, TR_DEVICE, c->head, resp_len, 0,
                                              gpu_note_resp_truncated);
        if (e) {
            e->queue = (uint8_t)qi;
            e->aux = (uint32_t)written;
        }
        rf_truncated(m, qi, c->head, resp_len, (uint32_t)written);
    }
    return ring_push(&m->dev.q[qi], c->head, (uint32_t)written);
}

/* QEMU's virtio_gpu_handle_cursor: take a request, update the cursor, return it with no payload
 * (len 0), then the next. */
static uint32_t cursor_queue(struct machine *m, uint32_t qi)
{
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        cmd_cursor(m, c);
        pushed += ring_push(&m->dev.q[qi], c->head, 0);
    }
    return pushed;
}

/* QEMU's virtio_gpu_handle_ctrl: pop every available request first (virtqueue_pop until the ring
 * is empty or an error breaks the device), then execute them in order (virtio_gpu_process_cmdq).
 * Requests taken before an error that broke the device are still executed, and their answers
 * dropped (virtqueue_fill on a broken device writes nothing). */
static uint32_t control_queue(struct machine *m, uint32_t qi)
{
    struct sr_chain *c = &m->chain;
    struct sr_batch *b = &m->batch;
    uint32_t pushed = 0;
    b->n = b->nsegs = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        if (!sr_batch_add(b, c)) { /* out of memory: execute this one now */
            pushed += control_command(m, qi, c);
            continue;
        }
        b->chains[b->n - 1].request = m->dfaults.cur_request[qi];
        b->chains[b->n - 1].faults = m->dfaults.cur_mask[qi];
    }
    for (uint32_t i = 0; i < b->n; i++) {
        sr_batch_get(b, i, c);
        m->dfaults.cur_request[qi] = b->chains[i].request; /* the faults of this request */
        m->dfaults.cur_mask[qi] = b->chains[i].faults;
        pushed += control_command(m, qi, c);
    }
    b->n = b->nsegs = 0;
    return pushed;
}

void gpu_device_process_queue(struct machine *m, uint32_t qi)
{
    uint32_t pushed = qi == VIRTIO_GPU_QUEUE_CURSOR ? cursor_queue(m, qi) : control_queue(m, qi);
    if (pushed)
        mmio_device_raise_used_irq(m, qi);
}

uint32_t gpu_device_config_read(struct machine *m, uint32_t off)
{
    uint32_t v = 0;
    switch (off) {
    case 0: v = m->gpu.events_read; break;
    case 8: v = m->gpu.n_scanouts; break; /* num_scanouts */
    default: break;                       /* events_clear, num_capsets (2D only): 0 */
    }
    device_faults_on_config_read(m, off, &v); /* garbage-config */
    return v;
}

void gpu_device_config_write(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    if (off == 4) {
        m->gpu.events_read &= ~value; /* §5.7.4: events_clear */
        return;
    }
    if (off == 0) /* §5.7.4.1: events_read is the device's; QEMU ignores the write */
        machine_violation(m, "gpu.events-read-no-write", -1,
                          "the driver wrote 0x%x to events_read (config offset 0); events are "
                          "acknowledged through events_clear (offset 4)", value);
    *note = "ignored: read-only gpu config field";
}

int gpu_device_display_change(struct machine *m, uint32_t scanout, uint32_t width,
                              uint32_t height, bool enabled)
{
    struct gpu_device *g = &m->gpu;
    if (scanout >= g->n_scanouts || width == 0 || height == 0)
        return -1;
    struct gpu_scanout *s = &g->scanouts[scanout];
    uint8_t *fb = calloc((size_t)width * height, 3);
    if (!fb)
        return -1;
    /* The monitor's new picture keeps what fits of the old one until the guest redraws. */
    for (uint32_t y = 0; y < height && y < s->height; y++)
        memcpy(fb + (size_t)y * width * 3, s->fb + (size_t)y * s->width * 3,
               (size_t)(width < s->width ? width : s->width) * 3);
    free(s->fb);
    s->fb = fb;
    s->width = width;
    s->height = height;
    s->enabled = enabled;
    g->events_read |= VIRTIO_GPU_EVENT_DISPLAY;
    g->display_events++;
    machine_trace(m, TR_DEVICE, scanout, (uint64_t)width << 32 | height, 0,
                  "display changed: events_read |= VIRTIO_GPU_EVENT_DISPLAY");
    mmio_device_notify_config(m);
    return 0;
}
