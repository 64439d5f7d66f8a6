/* gpu_resources.c — the gpu's commands on resources, their backing and the scanouts that show
 * them: create, unref, attach and detach backing, set scanout, transfer to host, flush (where
 * the pixels reach a display). Validation and error codes follow QEMU 7.2 (hw/display/
 * virtio-gpu.c). See gpu_device.h and gpu_internal.h.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/devices/gpu_internal.h"
#include "model/guest_zero.h"
#include "util/stream_copy.h"

#define GPU_MAX_BACKING_ENTRIES 16384u
#define GPU_MIN_SCANOUT 16u            /* QEMU refuses smaller scanout rectangles */

void gpu_resource_free(struct gpu_resource *r)
{
    free(r->pixels);
    free(r->spare);
    free(r->backing);
    memset(r, 0, sizeof(*r));
}

void gpu_scanout_disable(struct gpu_scanout *s)
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
            gpu_scanout_disable(&g->scanouts[i]);
}

const struct gpu_resource *gpu_find_resource(const struct gpu_device *g, uint32_t id)
{
    for (uint32_t i = 0; i < g->n_res; i++)
        if (g->res[i].id == id)
            return &g->res[i];
    return NULL;
}

struct gpu_resource *gpu_find_res(struct gpu_device *g, uint32_t id)
{
    for (uint32_t i = 0; i < g->n_res; i++)
        if (g->res[i].id == id)
            return &g->res[i];
    return NULL;
}

uint32_t gpu_refuse(struct gpu_device *g, uint32_t code, uint32_t resource, uint32_t scanout,
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

/* QEMU's find_check_resource(require_backing = true): the resource, or NULL with the error
 * code to answer (and its reason). */
static struct gpu_resource *find_backed(struct gpu_device *g, uint32_t id, uint32_t *err)
{
    struct gpu_resource *r = gpu_find_res(g, id);
    if (!r) {
        *err = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, id, NO_SCANOUT,
                          "resource %u does not exist", id);
        return NULL;
    }
    if (!r->backing) {
        *err = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
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
size_t gpu_backing_read(struct machine *m, const struct gpu_resource *res, uint64_t offset,
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
        stream_copy(dst + done, src, n); /* read back only when shown (util/stream_copy.h) */
        done += n;
        offset = 0;
    }
    return done;
}

struct gpu_resource *gpu_new_resource(struct gpu_device *g, uint32_t id)
{
    if (g->n_res == g->cap_res) {
        uint32_t cap = g->cap_res ? 2 * g->cap_res : 8;
        struct gpu_resource *n = realloc(g->res, cap * sizeof(*n));
        if (!n)
            return NULL;
        g->res = n;
        g->cap_res = cap;
    }
    struct gpu_resource *r = &g->res[g->n_res++];
    memset(r, 0, sizeof(*r));
    r->id = id;
    return r;
}

uint32_t gpu_cmd_create_2d(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_create_2d cmd;
    FILL_CMD(m, c, cmd);
    uint8_t rgb[3], px[4] = {0};
    if (cmd.resource_id == 0)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, 0, NO_SCANOUT,
                          "resource id 0 is reserved (it means \"no resource\")");
    if (gpu_find_res(g, cmd.resource_id))
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                          "resource %u already exists (created earlier and not unreferenced)",
                          cmd.resource_id);
    if (!gpu_format_to_rgb(cmd.format, px, rgb))
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, cmd.resource_id, NO_SCANOUT,
                          "format %u is not a 2D format", cmd.format);
    /* QEMU counts every resource against one budget, and creates only while the total stays
     * below it; a per-resource limit let a guest pile up any number of 256 MiB images. */
    uint64_t bytes = (uint64_t)cmd.width * cmd.height * 4;
    if (bytes == 0 || g->hostmem >= g->max_hostmem || bytes >= g->max_hostmem - g->hostmem)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                          "a %ux%u image (%llu bytes) does not fit the host memory left (%llu of "
                          "%llu bytes used)", cmd.width, cmd.height, (unsigned long long)bytes,
                          (unsigned long long)g->hostmem, (unsigned long long)g->max_hostmem);
    uint8_t *pixels = calloc(1, (size_t)bytes);
    struct gpu_resource *r = pixels ? gpu_new_resource(g, cmd.resource_id) : NULL;
    if (!r) {
        free(pixels);
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, cmd.resource_id, NO_SCANOUT,
                          "the host ran out of memory");
    }
    r->format = cmd.format;
    r->width = cmd.width;
    r->height = cmd.height;
    r->pixels = pixels;
    r->zero = true;
    g->hostmem += bytes;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_unref(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_unref cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_resource *r = gpu_find_res(g, cmd.resource_id);
    if (!r)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                          "resource %u does not exist", cmd.resource_id);
    disable_showing(g, r->id);
    g->hostmem -= (uint64_t)r->width * r->height * 4;
    gpu_present_resource_gone(g, r);
    gpu_resource_free(r);
    *r = g->res[--g->n_res];
    return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_read_entries(struct gpu_device *g, struct machine *m, const struct sr_chain *c,
                          size_t at, uint32_t n, uint32_t id, struct virtio_gpu_mem_entry **out)
{
    if (n > GPU_MAX_BACKING_ENTRIES)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                          "%u backing entries, more than QEMU's %u", n,
                          GPU_MAX_BACKING_ENTRIES);
    size_t bytes = sizeof(struct virtio_gpu_mem_entry) * n;
    struct virtio_gpu_mem_entry *e = malloc(bytes ? bytes : 1);
    if (!e)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                          "the host ran out of memory");
    if (sr_read(m, c, at, e, bytes) != bytes) {
        free(e);
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                          "the request holds fewer than the %u backing entries it announces",
                          n);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].length == 0 || !gm_contains(&m->mem, e[i].addr, e[i].length)) {
            machine_trace(m, TR_DEVICE, e[i].addr, e[i].length, 0,
                          "backing entry cannot be mapped: ERR_UNSPEC");
            uint64_t a = e[i].addr;
            uint32_t l = e[i].length;
            free(e);
            return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                              "backing entry %u (0x%llx, %u bytes) %s", i, (unsigned long long)a, l,
                              l == 0 ? "is empty" : "is not guest RAM");
        }
    }
    *out = e;
    return 0;
}

uint32_t gpu_cmd_attach_backing(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_attach_backing cmd;
    FILL_CMD(m, c, cmd);
    uint32_t id = cmd.resource_id;
    struct gpu_resource *r = gpu_find_res(g, id);
    if (!r)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, id, NO_SCANOUT,
                          "resource %u does not exist", id);
    if (r->backing)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, id, NO_SCANOUT,
                          "resource %u already has backing attached", id);
    struct virtio_gpu_mem_entry *e;
    uint32_t err = gpu_read_entries(g, m, c, sizeof(cmd), cmd.nr_entries, id, &e);
    if (err)
        return err;
    r->backing = e;
    r->n_backing = cmd.nr_entries;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_detach_backing(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_detach_backing cmd;
    FILL_CMD(m, c, cmd);
    uint32_t err;
    struct gpu_resource *r = find_backed(g, cmd.resource_id, &err);
    if (!r)
        return err;
    free(r->backing);
    r->backing = NULL;
    r->n_backing = 0;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_scanout_select(struct gpu_device *g, uint32_t scanout_id, uint32_t resource_id,
                            struct gpu_scanout **out)
{
    *out = NULL;
    if (scanout_id >= g->n_scanouts)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, resource_id, scanout_id,
                          "scanout %u does not exist (the device has %u)", scanout_id,
                          g->n_scanouts);
    if (resource_id == 0) {
        gpu_scanout_disable(&g->scanouts[scanout_id]);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }
    *out = &g->scanouts[scanout_id];
    return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_set_scanout(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_set_scanout cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_scanout *s;
    uint32_t t = gpu_scanout_select(g, cmd.scanout_id, cmd.resource_id, &s);
    if (!s)
        return t;
    uint32_t err; /* QEMU ≥ 6 requires backing before a resource can be shown */
    struct gpu_resource *r = find_backed(g, cmd.resource_id, &err);
    if (!r)
        return err;
    if (r->blob) /* QEMU 7.2 takes the format of a host image the blob does not have */
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, cmd.scanout_id,
                          "resource %u is a blob: it is shown with SET_SCANOUT_BLOB (QEMU 7.2 "
                          "reads a NULL image here)", r->id);
    if (!rect_inside(&cmd.r, r) || cmd.r.width < GPU_MIN_SCANOUT || cmd.r.height < GPU_MIN_SCANOUT)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, cmd.scanout_id,
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

/* TRANSFER_TO_HOST_2D's copy: row h of the rectangle comes from backing offset
 * `offset + stride*h` (QEMU). Rows as wide as the image are contiguous on both sides: one read.
 * A short backing copies what it has (row h partly) and stops; `before`: the image as it was, when
 * the transfer writes into a new buffer (gpu_present_before_transfer), for the bytes not copied. */
static void copy_rows(struct machine *m, struct gpu_resource *r,
                      const struct virtio_gpu_transfer_to_host_2d *cmd, const uint8_t *before)
{
    uint64_t stride = (uint64_t)r->width * 4;
    size_t row = (size_t)cmd->r.width * 4;
    bool full_rows = cmd->r.x == 0 && cmd->r.width == r->width;
    uint32_t rows = full_rows ? (cmd->r.height ? 1 : 0) : cmd->r.height;
    size_t len = full_rows ? row * cmd->r.height : row;
    for (uint32_t h = 0; h < rows; h++) {
        uint8_t *dst = r->pixels + ((uint64_t)(cmd->r.y + h) * r->width + cmd->r.x) * 4;
        size_t got = gpu_backing_read(m, r, cmd->offset + stride * h, dst, len);
        if (got < len) {
            if (before) { /* the pixels not copied keep what they held */
                size_t at = (size_t)(dst + got - r->pixels);
                memcpy(r->pixels + at, before + at, (size_t)stride * r->height - at);
            }
            machine_trace(m, TR_DEVICE, cmd->resource_id, full_rows ? got / row : h, 0,
                          "transfer ran past the backing: partial copy (QEMU: no error)");
            return;
        }
    }
}

/* Are the n bytes at p all 0? Compared with a page of zeros, both sides in the cache. */
static bool zero_bytes(const uint8_t *p, uint64_t n)
{
    static const uint8_t zeros[4096];
    for (uint64_t at = 0; at < n; at += sizeof(zeros)) {
        size_t k = n - at < sizeof(zeros) ? (size_t)(n - at) : sizeof(zeros);
        if (memcmp(p + at, zeros, k))
            return false;
    }
    return true;
}

/* Are the n bytes at p (guest-physical gpa) all 0? (`pixels`: the resource's bytes there, which
 * are: asserted in test builds.) Pages the host says nobody wrote (z: guest_zero.h) are not read
 * (test builds assert they are 0); the rest is compared: a resource never written need not be
 * read. */
static bool all_zero(const struct gm_zero_map *z, uint64_t gpa, const uint8_t *p, uint64_t n,
                     const uint8_t *pixels)
{
    (void)pixels; /* (read by the assertion only) */
    assert(zero_bytes(pixels, n));
    if (gm_zero_known(z, gpa, gpa + n)) {
        assert(zero_bytes(p, n));
        return true;
    }
    return zero_bytes(p, n);
}

/* The pages the backing of r spans, asked about once per transfer of `bytes` (a never-written
 * resource's transfer then reads only the pages the host says may hold something). Asking walks
 * the host's page tables over the span (a Linux guest's framebuffer: 76 pieces over 89 MB of its
 * RAM, about 7 us), where comparing a 4 MB frame with zeros costs about 90 us: asked only when
 * the transfer compares at least 1/32 of the span (a frame, not a glyph), where even a span
 * whose every page table is there (about 5 ns a page) costs at most about twice the compare.
 * Either way the answer is the same. */
static void backing_zero_scan(const struct machine *m, const struct gpu_resource *r,
                              uint64_t bytes, struct gm_zero_map *z)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t i = 0; i < r->n_backing; i++) {
        uint64_t a = r->backing[i].addr, e = a + r->backing[i].length;
        if (!r->backing[i].length || e < a)
            continue; /* (read through gm_ptr, which refuses it) */
        lo = a < lo ? a : lo;
        hi = e > hi ? e : hi;
    }
    if (hi > lo && bytes >= (hi - lo) / 32)
        gm_zero_scan(&m->mem, lo, hi - lo, z);
}

/* Does the backing hold, for every row of the transfer, exactly the bytes the resource already
 * has there (every row backed in full)? Then the transfer changes nothing: a flush still to be
 * shown reads the same pixels after it as before, and the copy is not needed. A Linux guest's
 * console redraws rectangles whose bytes did not change (and a recording holds no framebuffer
 * bytes: its transfers copy the zeros the resource holds), so a check compares where it would
 * convert and copy (bench/README.md, table 6). Stops at the first difference. */
static bool transfer_unchanged(struct machine *m, const struct gpu_resource *r,
                               const struct virtio_gpu_transfer_to_host_2d *cmd)
{
    uint64_t stride = (uint64_t)r->width * 4, row = (uint64_t)cmd->r.width * 4;
    uint64_t start = 0; /* of backing entry i: rows go forward, so the walk does too */
    uint32_t i = 0, rows = cmd->r.height;
    struct gm_zero_map z = {.known = false};
    if (r->zero)
        backing_zero_scan(m, r, row * rows, &z);
    if (cmd->r.x == 0 && cmd->r.width == r->width) { /* whole rows: one run on both sides */
        row *= rows;
        rows = rows ? 1 : 0;
    }
    bool same = true;
    for (uint32_t h = 0; h < rows && same; h++) {
        uint64_t off = cmd->offset + stride * h, done = 0;
        const uint8_t *dst = r->pixels + ((uint64_t)(cmd->r.y + h) * r->width + cmd->r.x) * 4;
        while (done < row && same) { /* the row across the backing's entries */
            while (i < r->n_backing && start + r->backing[i].length <= off + done)
                start += r->backing[i++].length;
            if (i >= r->n_backing) {
                same = false; /* short backing: the copy's own path says so */
                break;
            }
            uint64_t at = off + done - start, left = r->backing[i].length - at;
            uint64_t n = left < row - done ? left : row - done, gpa = r->backing[i].addr + at;
            const uint8_t *src = gm_ptr(&m->mem, gpa, n);
            same = src && (r->zero ? all_zero(&z, gpa, src, n, dst + done)
                                   : !memcmp(dst + done, src, n));
            done += n;
        }
    }
    gm_zero_free(&z);
    return same;
}

uint32_t gpu_cmd_transfer_to_host_2d(struct gpu_device *g, struct machine *m,
                                     const struct sr_chain *c)
{
    struct virtio_gpu_transfer_to_host_2d cmd;
    FILL_CMD(m, c, cmd);
    uint32_t err;
    struct gpu_resource *r = find_backed(g, cmd.resource_id, &err);
    if (!r)
        return err;
    if (r->blob) { /* QEMU 7.2: a blob has no host copy to transfer into; answered OK */
        machine_trace(m, TR_DEVICE, r->id, 0, 0, "TRANSFER_TO_HOST_2D on a blob resource: "
                      "nothing to do (the device reads the blob's pages)");
        return VIRTIO_GPU_RESP_OK_NODATA;
    }
    if (!rect_inside(&cmd.r, r))
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, NO_SCANOUT,
                          "the rectangle %u,%u %ux%u is not inside resource %u (%ux%u)", cmd.r.x,
                          cmd.r.y, cmd.r.width, cmd.r.height, r->id, r->width, r->height);
    if (transfer_unchanged(m, r, &cmd)) {
        r->transfers++;
        r->transfer_seq = g->seq;
        return VIRTIO_GPU_RESP_OK_NODATA;
    }
    r->zero = false;
    /* A flush still to be shown may read the pixels this overwrites (gpu_present.c). */
    bool whole = !cmd.r.x && !cmd.r.y && cmd.r.width == r->width && cmd.r.height == r->height;
    uint8_t *before = gpu_present_before_transfer(g, r, whole);
    copy_rows(m, r, &cmd, before);
    r->transfers++;
    r->transfer_seq = g->seq;
    return VIRTIO_GPU_RESP_OK_NODATA;
}

static void flush_to(struct gpu_device *g, struct gpu_scanout *s, const struct gpu_resource *r,
                     const struct virtio_gpu_rect *fr)
{
    if (s->state != SCANOUT_ACTIVE || s->resource_id != r->id || !s->fb)
        return;
    gpu_flush_pend(g, r, s, fr); /* converted when looked at (gpu_present.c) */
    s->flushes++;
    s->flushes_shown++;
}

uint32_t gpu_cmd_resource_flush(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_resource_flush cmd;
    FILL_CMD(m, c, cmd);
    struct gpu_resource *r = gpu_find_res(g, cmd.resource_id);
    if (!r)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, cmd.resource_id, NO_SCANOUT,
                          "resource %u does not exist", cmd.resource_id);
    if (r->blob) { /* QEMU 7.2: no rectangle check; the display shows the blob's pages */
        r->flushes++;
        for (uint32_t i = 0; i < g->n_scanouts; i++)
            if (gpu_blob_to_display(m, r, &g->scanouts[i])) {
                g->scanouts[i].flushes++;
                g->scanouts[i].flushes_shown++;
            }
        return VIRTIO_GPU_RESP_OK_NODATA;
    }
    if (!rect_inside(&cmd.r, r))
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, r->id, NO_SCANOUT,
                          "the rectangle %u,%u %ux%u is not inside resource %u (%ux%u)", cmd.r.x,
                          cmd.r.y, cmd.r.width, cmd.r.height, r->id, r->width, r->height);
    r->flushes++;
    /* A resource not shown anywhere: a no-op. Else the flushed rectangle, clipped to what each
     * scanout showing it shows, reaches that display. */
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        flush_to(g, &g->scanouts[i], r, &cmd.r);
    return VIRTIO_GPU_RESP_OK_NODATA;
}
