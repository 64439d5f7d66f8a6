/* kernel_steps.c — see kernel_steps.h. */
#include "harness/kernel_steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "model/devices/gpu_device.h"
#include "harness/patterns.h"

void kernel_init(struct kernel *k, struct vgpu *g, struct machine *m,
                 const struct vgpu_config *gc)
{
    memset(k, 0, sizeof(*k));
    k->g = g;
    k->m = m;
    k->gc = *gc;
    k->mode_w = QEMU_GPU_XRES;
    k->mode_h = QEMU_GPU_YRES;
}

/* The step's one sentence of what was done. */
static void say(struct step_result *sr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct step_result *sr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sr->detail, sizeof(sr->detail), fmt, ap);
    va_end(ap);
}

struct kernel_fb *kernel_find_fb(struct kernel *k, uint32_t id)
{
    for (uint32_t i = 0; i < k->n_fb; i++)
        if (k->fb[i].id == id)
            return &k->fb[i];
    return NULL;
}

struct virtio_gpu_rect kernel_full_rect(struct kernel *k, const struct scenario_step *st)
{
    struct virtio_gpu_rect r = {0, 0, k->mode_w, k->mode_h};
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    if (f) {
        r.width = f->width;
        r.height = f->height;
    }
    if (st->rect.set) {
        r.x = st->rect.x;
        r.y = st->rect.y;
        r.width = st->rect.width;
        r.height = st->rect.height;
    }
    return r;
}

/* Byte positions of red, green and blue in a pixel of the resource's format, per the format's
 * name (written apart from the model's decoder, gpu_format_to_rgb, on purpose: the harness plays
 * the guest). */
static void format_positions(uint32_t format, int *ri, int *gi, int *bi)
{
    switch (format) {
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM: *ri = 1, *gi = 2, *bi = 3; break;
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: *ri = 0, *gi = 1, *bi = 2; break;
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM: *ri = 3, *gi = 2, *bi = 1; break;
    default: *ri = 2, *gi = 1, *bi = 0; break;
    }
}

/* One pixel word: 0xff everywhere but the three colour bytes. Assembled in a register: byte
 * stores followed by a word load would stall store forwarding, per pixel (bench/ table 3). */
static inline uint32_t encode(uint32_t rgb, int ri, int gi, int bi)
{
    uint32_t v = 0xffffffffu;
    v = (v & ~(0xffu << 8 * ri)) | (rgb >> 16 & 0xffu) << 8 * ri;
    v = (v & ~(0xffu << 8 * gi)) | (rgb >> 8 & 0xffu) << 8 * gi;
    v = (v & ~(0xffu << 8 * bi)) | (rgb & 0xffu) << 8 * bi;
    return v; /* little-endian host: byte i is bits 8i..8i+7 (virtio_spec.h) */
}

/* Pixels [x0, x1) of a framebuffer row at p from rgb, the format's byte positions given. */
static void encode_span(uint8_t *p, const uint32_t *rgb, uint32_t x0, uint32_t x1, int ri, int gi,
                        int bi)
{
    uint32_t last = 0, v = encode(0, ri, gi, bi);
    for (uint32_t x = x0; x < x1; x++) {
        if (rgb[x] != last) /* a pattern's row is runs of one colour: encode each run once */
            v = encode(last = rgb[x], ri, gi, bi);
        memcpy(p + (size_t)x * 4, &v, 4);
    }
}

/* Row y of the framebuffer from rgb[0..width), the format decided once per row. A pattern's row
 * mostly repeats the row before (prev: its colours, or NULL): that row's words are copied, and
 * only the pieces of PUT_ROW_PIECE pixels whose colours differ are encoded again. */
#define PUT_ROW_PIECE 16u
static void put_row(struct kernel_fb *f, uint32_t y, const uint32_t *rgb, const uint32_t *prev)
{
    int ri, gi, bi;
    format_positions(f->format, &ri, &gi, &bi);
    size_t bytes = (size_t)f->width * 4;
    uint8_t *p = f->mem + (uint64_t)y * bytes;
    if (!prev || y == 0) {
        encode_span(p, rgb, 0, f->width, ri, gi, bi);
        return;
    }
    memcpy(p, p - bytes, bytes);
    for (uint32_t x = 0; x < f->width; x += PUT_ROW_PIECE) {
        uint32_t e = f->width - x < PUT_ROW_PIECE ? f->width : x + PUT_ROW_PIECE;
        if (memcmp(rgb + x, prev + x, (size_t)(e - x) * 4) != 0)
            encode_span(p, rgb, x, e, ri, gi, bi);
    }
}

/* Encode a colour as the kernel would, in the resource's byte order. */
static void put_pixel(struct kernel_fb *f, uint32_t x, uint32_t y, uint32_t rgb)
{
    uint8_t *p = f->mem + ((uint64_t)y * f->width + x) * 4;
    int ri, gi, bi;
    format_positions(f->format, &ri, &gi, &bi);
    uint32_t v = encode(rgb, ri, gi, bi);
    memcpy(p, &v, 4);
}

/* Draw a test pattern row by row into `sink` (the kernel's framebuffer of a raw resource, or the
 * driver's framebuffer API), each row with the one before (NULL for the first); -1 when the row
 * buffers cannot be had. */
static int draw_pattern(const char *pattern, uint32_t w, uint32_t h,
                        void (*sink)(void *fb, uint32_t y, const uint32_t *rgb,
                                     const uint32_t *prev),
                        void *fb)
{
    uint32_t *row = malloc((w ? w : 1) * sizeof(*row) * 2);
    uint32_t *kinds = malloc((w ? w : 1) * sizeof(*kinds) * PATTERN_ROW_KINDS);
    if (!row || !kinds) {
        free(row);
        free(kinds);
        return -1;
    }
    struct pattern_rows rows;
    pattern_rows_init(&rows, pattern, w, h, kinds, NULL);
    uint32_t *cur = row, *prev = NULL;
    for (uint32_t y = 0; y < h; y++) {
        pattern_rows_get(&rows, y, cur);
        sink(fb, y, cur, prev);
        prev = cur;
        cur = cur == row ? row + (w ? w : 1) : row; /* the two halves in turn */
    }
    free(kinds);
    free(row);
    return 0;
}

static void sink_resource(void *fb, uint32_t y, const uint32_t *rgb, const uint32_t *prev)
{
    put_row(fb, y, rgb, prev);
}

static void sink_gpu_fb(void *fb, uint32_t y, const uint32_t *rgb, const uint32_t *prev)
{
    (void)prev; /* the driver's framebuffer API takes whole rows */
    struct gpu_fb *f = fb;
    gpu_fb_put_row(f, y, rgb, f->width);
}

/* ---- the steps ---- */

static int step_display_info(struct kernel *k, struct step_result *sr)
{
    struct virtio_gpu_resp_display_info info;
    int rc = vgpu_get_display_info(k->g, &info);
    if (rc == VIRTIO_OK) {
        if (info.pmodes[0].enabled && info.pmodes[0].r.width && info.pmodes[0].r.height) {
            k->mode_w = info.pmodes[0].r.width;
            k->mode_h = info.pmodes[0].r.height;
        }
        if (!k->quiet)
            say(sr, "scanout 0: %ux%u %s", info.pmodes[0].r.width, info.pmodes[0].r.height,
                info.pmodes[0].enabled ? "enabled" : "disabled");
    }
    return rc;
}

static int step_create(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    uint32_t w = st->width ? st->width : k->mode_w, h = st->height ? st->height : k->mode_h;
    say(sr, "resource %u: %ux%u format %u", st->id, w, h, st->format);
    int rc = vgpu_resource_create_2d(k->g, st->id, st->format, w, h);
    if (rc == VIRTIO_OK && k->n_fb < KERNEL_MAX_FB && !kernel_find_fb(k, st->id))
        k->fb[k->n_fb++] = (struct kernel_fb){st->id, st->format, w, h, NULL, 0};
    return rc;
}

uint32_t kernel_fb_entries(struct kernel *k, struct kernel_fb *f, uint32_t n,
                           struct step_result *sr)
{
    uint64_t bytes = (uint64_t)f->width * f->height * 4;
    if (!f->mem)
        f->mem = vhal_dma_alloc(bytes, 4096, VHAL_DMA_FRAMEBUFFER, &f->phys);
    if (!f->mem) {
        say(sr, "no guest memory for a %llu-byte framebuffer", (unsigned long long)bytes);
        return 0;
    }
    struct virtio_gpu_mem_entry *e = k->entries;
    uint64_t piece = ((bytes + n - 1) / n + 3) & ~3ull, off = 0;
    uint32_t i = 0;
    for (; i < n && off < bytes; i++, off += piece) {
        e[i].addr = f->phys + off;
        e[i].length = (uint32_t)(i + 1 == n || bytes - off < piece ? bytes - off : piece);
        e[i].padding = 0;
        if (i + 1 == n)
            off = bytes;
    }
    say(sr, "resource %u: %u entr%s at 0x%llx, %llu bytes", f->id, i, i == 1 ? "y" : "ies",
        (unsigned long long)f->phys, (unsigned long long)bytes);
    return i;
}

/* Back resource f with its framebuffer (allocated on first use), described in `entries`
 * pieces of whole pixels (the last takes the rest). */
static int attach_framebuffer(struct kernel *k, struct kernel_fb *f,
                              const struct scenario_step *st, struct step_result *sr)
{
    uint32_t n = kernel_fb_entries(k, f, st->entries, sr);
    return n ? vgpu_attach_backing(k->g, st->id, k->entries, n) : VIRTIO_ERR_NOMEM;
}

static int step_attach(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    if (!f && k->n_fb < KERNEL_MAX_FB) { /* never created: guest memory of the mode's size */
        f = &k->fb[k->n_fb++];
        *f = (struct kernel_fb){st->id, st->format, k->mode_w, k->mode_h, NULL, 0};
    }
    if (!f) {
        say(sr, "too many resources for the harness");
        return VIRTIO_ERR_INVALID;
    }
    if (st->has_entry) { /* replay a driver that describes its pages wrongly */
        struct virtio_gpu_mem_entry one = {st->entry_addr, st->entry_length, 0};
        say(sr, "resource %u: 1 entry at 0x%llx, %u bytes", st->id,
            (unsigned long long)st->entry_addr, st->entry_length);
        return vgpu_attach_backing(k->g, st->id, &one, 1);
    }
    return attach_framebuffer(k, f, st, sr);
}

static int step_set_scanout(struct kernel *k, const struct scenario_step *st,
                            struct step_result *sr)
{
    struct virtio_gpu_rect r = kernel_full_rect(k, st);
    say(sr, "scanout %u ← resource %u (%u,%u %ux%u)", st->scanout, st->id, r.x, r.y, r.width,
        r.height);
    return vgpu_set_scanout(k->g, st->scanout, st->id, r);
}

/* `draw` (a pattern) and `poke_pixel` (one pixel) into a resource's framebuffer: guest memory
 * only, nothing reaches the device. */
static int step_draw(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    if (!f || !f->mem) {
        say(sr, "resource %u has no framebuffer", st->id);
        return VIRTIO_ERR_INVALID;
    }
    if (st->kind == STEP_POKE_PIXEL) {
        if (st->x >= f->width || st->y >= f->height) {
            say(sr, "pixel (%u,%u) outside %ux%u", st->x, st->y, f->width, f->height);
            return VIRTIO_ERR_INVALID;
        }
        put_pixel(f, st->x, st->y, st->color);
        say(sr, "pixel (%u,%u) = #%06x", st->x, st->y, st->color);
        return VIRTIO_OK;
    }
    if (draw_pattern(st->pattern, f->width, f->height, sink_resource, f) != 0) {
        say(sr, "out of memory");
        return VIRTIO_ERR_NOMEM;
    }
    say(sr, "pattern '%s' into the %ux%u framebuffer", st->pattern, f->width, f->height);
    return VIRTIO_OK;
}

static int step_transfer(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    struct virtio_gpu_rect r = kernel_full_rect(k, st);
    struct kernel_fb *f = kernel_find_fb(k, st->id);
    uint64_t off = st->has_offset ? st->offset
                                  : ((uint64_t)r.y * (f ? f->width : k->mode_w) + r.x) * 4;
    say(sr, "resource %u (%u,%u %ux%u) from offset %llu", st->id, r.x, r.y, r.width, r.height,
        (unsigned long long)off);
    return vgpu_transfer_to_host_2d(k->g, st->id, r, off);
}

static int step_flush(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    struct virtio_gpu_rect r = kernel_full_rect(k, st);
    say(sr, "resource %u (%u,%u %ux%u)", st->id, r.x, r.y, r.width, r.height);
    return vgpu_resource_flush(k->g, st->id, r);
}

static int step_edid(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    uint8_t edid[1024];
    uint32_t size = 0, w = 0, h = 0;
    int rc = vgpu_get_edid(k->g, st->scanout, edid, sizeof(edid), &size);
    if (rc == VIRTIO_OK && vgpu_edid_preferred_mode(edid, size, &w, &h) == VIRTIO_OK)
        say(sr, "scanout %u: %u-byte EDID, preferred %ux%u", st->scanout, size, w, h);
    else if (rc == VIRTIO_ERR_INVALID)
        say(sr, "VIRTIO_GPU_F_EDID was not negotiated");
    return rc;
}

static int step_cursor(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    if (st->kind == STEP_MOVE_CURSOR) {
        say(sr, "scanout %u: to (%u,%u)", st->scanout, st->x, st->y);
        return vgpu_move_cursor(k->g, st->scanout, st->x, st->y);
    }
    say(sr, "scanout %u: resource %u at (%u,%u) hot (%u,%u)", st->scanout, st->id, st->x, st->y,
        st->hot_x, st->hot_y);
    return vgpu_update_cursor(k->g, st->scanout, st->id, st->x, st->y, st->hot_x, st->hot_y);
}

/* The host's monitor changes mode: the device's side, not the driver's. */
static int step_display_change(struct kernel *k, const struct scenario_step *st,
                               struct step_result *sr)
{
    say(sr, "device: scanout %u becomes %ux%u%s", st->scanout, st->width, st->height,
        st->enabled ? "" : " (disabled)");
    return gpu_device_display_change(k->m, st->scanout, st->width, st->height, st->enabled) == 0
               ? VIRTIO_OK : VIRTIO_ERR_NOMEM;
}

static int step_config_event(struct kernel *k, struct step_result *sr)
{
    uint32_t ev = 0;
    int rc = vgpu_handle_config_event(k->g, &ev);
    say(sr, "events_read 0x%x, num_scanouts %u", ev, k->g->num_scanouts);
    return rc;
}

/* ---- the framebuffer API (driver/gpu_fb.h), one per scanout ---- */

static int step_fb_set_mode(struct kernel *k, const struct scenario_step *st,
                            struct step_result *sr)
{
    uint32_t w = st->width, h = st->height;
    if (!w || !h) { /* the mode GET_DISPLAY_INFO reported for this scanout */
        struct virtio_gpu_resp_display_info info;
        int rc = vgpu_get_display_info(k->g, &info);
        if (rc != VIRTIO_OK)
            return rc;
        w = w ? w : info.pmodes[st->scanout].r.width;
        h = h ? h : info.pmodes[st->scanout].r.height;
    }
    int rc = gpu_fb_set_mode(&k->fbs[st->scanout], k->g, st->scanout, st->id, w, h);
    say(sr, "scanout %u: %ux%u as resource %u (%u entries)", st->scanout, w, h, st->id,
        k->fbs[st->scanout].n_entries);
    return rc;
}

/* `fb_draw` (a pattern) and `fb_fill` (a rectangle): the framebuffer's memory only. */
static int step_fb_draw(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    struct gpu_fb *f = &k->fbs[st->scanout];
    if (st->kind == STEP_FB_FILL) {
        gpu_fb_fill_rect(f, st->rect.x, st->rect.y, st->rect.width, st->rect.height, st->color);
        say(sr, "scanout %u: (%u,%u %ux%u) = #%06x", st->scanout, st->rect.x, st->rect.y,
            st->rect.width, st->rect.height, st->color);
        return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
    }
    if (draw_pattern(st->pattern, f->width, f->height, sink_gpu_fb, f) != 0) {
        say(sr, "out of memory");
        return VIRTIO_ERR_NOMEM;
    }
    say(sr, "pattern '%s' on scanout %u", st->pattern, st->scanout);
    return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
}

static int step_fb_present(struct kernel *k, const struct scenario_step *st,
                           struct step_result *sr)
{
    struct gpu_fb *f = &k->fbs[st->scanout];
    struct virtio_gpu_rect d = f->damage;
    bool dirty = f->dirty;
    int rc = gpu_fb_present(f);
    if (dirty)
        say(sr, "scanout %u: transfer+flush (%u,%u %ux%u), %u in flight", st->scanout, d.x, d.y,
            d.width, d.height, k->g->max_inflight);
    else
        say(sr, "scanout %u: nothing changed", st->scanout);
    return rc;
}

int kernel_step(struct kernel *k, const struct scenario_step *st, struct step_result *sr)
{
    switch (st->kind) {
    case STEP_GET_DISPLAY_INFO: return step_display_info(k, sr);
    case STEP_RESOURCE_CREATE_2D: return step_create(k, st, sr);
    case STEP_ATTACH_BACKING: return step_attach(k, st, sr);
    case STEP_SET_SCANOUT: return step_set_scanout(k, st, sr);
    case STEP_DRAW:
    case STEP_POKE_PIXEL: return step_draw(k, st, sr);
    case STEP_TRANSFER_TO_HOST_2D: return step_transfer(k, st, sr);
    case STEP_RESOURCE_FLUSH: return step_flush(k, st, sr);
    case STEP_RESOURCE_UNREF:
        say(sr, "resource %u", st->id);
        return vgpu_resource_unref(k->g, st->id);
    case STEP_DETACH_BACKING:
        say(sr, "resource %u", st->id);
        return vgpu_detach_backing(k->g, st->id);
    case STEP_GET_EDID: return step_edid(k, st, sr);
    case STEP_UPDATE_CURSOR:
    case STEP_MOVE_CURSOR: return step_cursor(k, st, sr);
    case STEP_DISPLAY_CHANGE: return step_display_change(k, st, sr);
    case STEP_HANDLE_CONFIG_EVENT: return step_config_event(k, sr);
    case STEP_FB_SET_MODE: return step_fb_set_mode(k, st, sr);
    case STEP_FB_DRAW:
    case STEP_FB_FILL: return step_fb_draw(k, st, sr);
    case STEP_FB_PRESENT: return step_fb_present(k, st, sr);
    case STEP_RESET:
        say(sr, "Status = 0: the device drops every resource");
        return vgpu_reset(k->g);
    case STEP_INIT: /* the kernel probes the device again: the whole §3.1.1 sequence, new rings */
        say(sr, "initialised again (reset, features, queues)");
        k->n_fb = 0;
        memset(k->fbs, 0, sizeof(k->fbs));
        return vgpu_init(k->g, &k->gc);
    case STEP_RESET_QUEUE: /* VirtIO 1.2 §2.6.1: the queue alone, resources kept */
        say(sr, "queue %u reset (QueueReset read back 0) and enabled again with new rings",
            st->queue);
        return vgpu_reset_queue(k->g, &k->gc, st->queue);
    case STEP_RESOURCE_CREATE_BLOB: /* VirtIO 1.2's gpu commands: kernel_gpu_1_2.c */
    case STEP_SET_SCANOUT_BLOB:
    case STEP_ASSIGN_UUID:
    case STEP_GPU_COMMAND: return kernel_step_1_2(k, st, sr);
    case STEP_BLK_READ: /* a blk scenario's steps: kernel_blk.c (the parser keeps them there) */
    case STEP_BLK_WRITE:
    case STEP_BLK_FLUSH:
    case STEP_BLK_DISCARD:
    case STEP_RNG_READ:
    case STEP_INPUT_EVENTS:
    case STEP_NET_SEND:
    case STEP_NET_RECEIVE:
    case STEP_NET_CTRL: break;
    case STEP_FB_DISABLE:
        say(sr, "scanout %u off, resource %u released", st->scanout, k->fbs[st->scanout].id);
        return gpu_fb_disable(&k->fbs[st->scanout]);
    }
    return VIRTIO_ERR_INVALID;
}
