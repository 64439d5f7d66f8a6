/* runner.c — see runner.h. */
#include "harness/runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/gpu_fb.h"
#include "driver/virtio_hal.h"
#include "model/checks/access_checks.h"
#include "model/devices/gpu_device.h"
#include "record/recording_writer.h"
#include "util/sha256.h"
#include "harness/png_writer.h"
#include "harness/patterns.h"

/* The harness keeps, per resource it created, the guest framebuffer that backs it. */
struct fb {
    uint32_t id, format, width, height;
    uint8_t *mem;
    uint64_t phys;
};

#define RUN_MAX_FB 8

struct run_ctx {
    const struct scenario *s;
    struct run_result *r;
    struct fb fb[RUN_MAX_FB];
    uint32_t n_fb;
    uint32_t mode_w, mode_h; /* from GET_DISPLAY_INFO, else QEMU's default mode */
    struct gpu_fb fbs[VIRTIO_GPU_MAX_SCANOUTS]; /* the framebuffer API, one per scanout */
    struct rf_mark step_mark;  /* the run's counters when the current step began (run_facts.h) */
    struct vgpu_config gc;     /* the driver's configuration (an `init` step probes again) */
};

const char *step_status_name(enum step_status s)
{
    static const char *n[] = {"ok", "timeout", "device-error", "driver-error", "skipped"};
    return n[s];
}

static void failure(struct run_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure(struct run_result *r, const char *fmt, ...)
{
    if (r->n_failures >= RUN_MAX_FAILURES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->failures[r->n_failures++], sizeof(r->failures[0]), fmt, ap);
    va_end(ap);
}

static struct fb *find_fb(struct run_ctx *c, uint32_t id)
{
    for (uint32_t i = 0; i < c->n_fb; i++)
        if (c->fb[i].id == id)
            return &c->fb[i];
    return NULL;
}

static struct virtio_gpu_rect full_rect(struct run_ctx *c, const struct scenario_step *st)
{
    struct virtio_gpu_rect r = {0, 0, c->mode_w, c->mode_h};
    struct fb *f = find_fb(c, st->id);
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

/* Row y of the framebuffer from rgb[0..width), the format decided once per row. */
static void put_row(struct fb *f, uint32_t y, const uint32_t *rgb)
{
    int ri, gi, bi;
    format_positions(f->format, &ri, &gi, &bi);
    uint8_t *p = f->mem + (uint64_t)y * f->width * 4;
    for (uint32_t x = 0; x < f->width; x++, p += 4) {
        uint32_t v = encode(rgb[x], ri, gi, bi);
        memcpy(p, &v, 4);
    }
}

/* Encode a colour as the kernel would, in the resource's byte order. */
static void put_pixel(struct fb *f, uint32_t x, uint32_t y, uint32_t rgb)
{
    uint8_t *p = f->mem + ((uint64_t)y * f->width + x) * 4;
    int ri, gi, bi;
    format_positions(f->format, &ri, &gi, &bi);
    uint32_t v = encode(rgb, ri, gi, bi);
    memcpy(p, &v, 4);
}

/* Draw a test pattern row by row into `sink` (the kernel's framebuffer of a raw resource, or the
 * driver's framebuffer API); -1 when the row buffer cannot be had. */
static int draw_pattern(const char *pattern, uint32_t w, uint32_t h,
                        void (*sink)(void *fb, uint32_t y, const uint32_t *rgb), void *fb)
{
    uint32_t *row = malloc((w ? w : 1) * sizeof(*row));
    if (!row)
        return -1;
    for (uint32_t y = 0; y < h; y++) {
        pattern_row(pattern, y, w, h, row);
        sink(fb, y, row);
    }
    free(row);
    return 0;
}

static void sink_resource(void *fb, uint32_t y, const uint32_t *rgb) { put_row(fb, y, rgb); }

static void sink_gpu_fb(void *fb, uint32_t y, const uint32_t *rgb)
{
    struct gpu_fb *f = fb;
    for (uint32_t x = 0; x < f->width; x++)
        gpu_fb_put_pixel(f, x, y, rgb[x]);
}

/* Run one step through the driver; returns the driver status. */
static int do_step(struct run_ctx *c, const struct scenario_step *st, struct step_result *sr)
{
    struct vgpu *g = &c->r->gpu;
    switch (st->kind) {
    case STEP_GET_DISPLAY_INFO: {
        struct virtio_gpu_resp_display_info info;
        int rc = vgpu_get_display_info(g, &info);
        if (rc == VIRTIO_OK) {
            if (info.pmodes[0].enabled && info.pmodes[0].r.width && info.pmodes[0].r.height) {
                c->mode_w = info.pmodes[0].r.width;
                c->mode_h = info.pmodes[0].r.height;
            }
            snprintf(sr->detail, sizeof(sr->detail), "scanout 0: %ux%u %s", info.pmodes[0].r.width,
                     info.pmodes[0].r.height, info.pmodes[0].enabled ? "enabled" : "disabled");
        }
        return rc;
    }
    case STEP_RESOURCE_CREATE_2D: {
        uint32_t w = st->width ? st->width : c->mode_w, h = st->height ? st->height : c->mode_h;
        snprintf(sr->detail, sizeof(sr->detail), "resource %u: %ux%u format %u", st->id, w, h,
                 st->format);
        int rc = vgpu_resource_create_2d(g, st->id, st->format, w, h);
        if (rc == VIRTIO_OK && c->n_fb < RUN_MAX_FB && !find_fb(c, st->id))
            c->fb[c->n_fb++] = (struct fb){st->id, st->format, w, h, NULL, 0};
        return rc;
    }
    case STEP_ATTACH_BACKING: {
        struct fb *f = find_fb(c, st->id);
        if (!f && c->n_fb < RUN_MAX_FB) { /* never created: guest memory of the mode's size */
            f = &c->fb[c->n_fb++];
            *f = (struct fb){st->id, st->format, c->mode_w, c->mode_h, NULL, 0};
        }
        if (!f) {
            snprintf(sr->detail, sizeof(sr->detail), "too many resources for the harness");
            return VIRTIO_ERR_INVALID;
        }
        uint64_t bytes = (uint64_t)f->width * f->height * 4;
        if (st->has_entry) { /* replay a driver that describes its pages wrongly */
            struct virtio_gpu_mem_entry one = {st->entry_addr, st->entry_length, 0};
            snprintf(sr->detail, sizeof(sr->detail), "resource %u: 1 entry at 0x%llx, %u bytes",
                     st->id, (unsigned long long)st->entry_addr, st->entry_length);
            return vgpu_attach_backing(g, st->id, &one, 1);
        }
        if (!f->mem)
            f->mem = vhal_dma_alloc(bytes, 4096, VHAL_DMA_FRAMEBUFFER, &f->phys);
        if (!f->mem) {
            snprintf(sr->detail, sizeof(sr->detail), "no guest memory for a %llu-byte framebuffer",
                     (unsigned long long)bytes);
            return VIRTIO_ERR_NOMEM;
        }
        /* Split into `entries` pieces of whole pixels (the last takes the rest). */
        static struct virtio_gpu_mem_entry e[254];
        uint32_t n = st->entries;
        uint64_t piece = ((bytes + n - 1) / n + 3) & ~3ull, off = 0;
        uint32_t k = 0;
        for (; k < n && off < bytes; k++, off += piece) {
            e[k].addr = f->phys + off;
            e[k].length = (uint32_t)(k + 1 == n || bytes - off < piece ? bytes - off : piece);
            e[k].padding = 0;
            if (k + 1 == n)
                off = bytes;
        }
        snprintf(sr->detail, sizeof(sr->detail), "resource %u: %u entr%s at 0x%llx, %llu bytes",
                 st->id, k, k == 1 ? "y" : "ies", (unsigned long long)f->phys,
                 (unsigned long long)bytes);
        return vgpu_attach_backing(g, st->id, e, k);
    }
    case STEP_SET_SCANOUT: {
        struct virtio_gpu_rect r = full_rect(c, st);
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u ← resource %u (%u,%u %ux%u)",
                 st->scanout, st->id, r.x, r.y, r.width, r.height);
        return vgpu_set_scanout(g, st->scanout, st->id, r);
    }
    case STEP_DRAW:
    case STEP_POKE_PIXEL: {
        struct fb *f = find_fb(c, st->id);
        if (!f || !f->mem) {
            snprintf(sr->detail, sizeof(sr->detail), "resource %u has no framebuffer", st->id);
            return VIRTIO_ERR_INVALID;
        }
        if (st->kind == STEP_POKE_PIXEL) {
            if (st->x >= f->width || st->y >= f->height) {
                snprintf(sr->detail, sizeof(sr->detail), "pixel (%u,%u) outside %ux%u", st->x,
                         st->y, f->width, f->height);
                return VIRTIO_ERR_INVALID;
            }
            put_pixel(f, st->x, st->y, st->color);
            snprintf(sr->detail, sizeof(sr->detail), "pixel (%u,%u) = #%06x", st->x, st->y,
                     st->color);
            return VIRTIO_OK;
        }
        if (draw_pattern(st->pattern, f->width, f->height, sink_resource, f) != 0) {
            snprintf(sr->detail, sizeof(sr->detail), "out of memory");
            return VIRTIO_ERR_NOMEM;
        }
        snprintf(sr->detail, sizeof(sr->detail), "pattern '%s' into the %ux%u framebuffer",
                 st->pattern, f->width, f->height);
        return VIRTIO_OK;
    }
    case STEP_TRANSFER_TO_HOST_2D: {
        struct virtio_gpu_rect r = full_rect(c, st);
        struct fb *f = find_fb(c, st->id);
        uint64_t off = st->has_offset ? st->offset
                                      : ((uint64_t)r.y * (f ? f->width : c->mode_w) + r.x) * 4;
        snprintf(sr->detail, sizeof(sr->detail), "resource %u (%u,%u %ux%u) from offset %llu",
                 st->id, r.x, r.y, r.width, r.height, (unsigned long long)off);
        return vgpu_transfer_to_host_2d(g, st->id, r, off);
    }
    case STEP_RESOURCE_FLUSH: {
        struct virtio_gpu_rect r = full_rect(c, st);
        snprintf(sr->detail, sizeof(sr->detail), "resource %u (%u,%u %ux%u)", st->id, r.x, r.y,
                 r.width, r.height);
        return vgpu_resource_flush(g, st->id, r);
    }
    case STEP_RESOURCE_UNREF:
        snprintf(sr->detail, sizeof(sr->detail), "resource %u", st->id);
        return vgpu_resource_unref(g, st->id);
    case STEP_DETACH_BACKING:
        snprintf(sr->detail, sizeof(sr->detail), "resource %u", st->id);
        return vgpu_detach_backing(g, st->id);
    case STEP_GET_EDID: {
        uint8_t edid[1024];
        uint32_t size = 0, w = 0, h = 0;
        int rc = vgpu_get_edid(g, st->scanout, edid, sizeof(edid), &size);
        if (rc == VIRTIO_OK && vgpu_edid_preferred_mode(edid, size, &w, &h) == VIRTIO_OK)
            snprintf(sr->detail, sizeof(sr->detail), "scanout %u: %u-byte EDID, preferred %ux%u",
                     st->scanout, size, w, h);
        else if (rc == VIRTIO_ERR_INVALID)
            snprintf(sr->detail, sizeof(sr->detail), "VIRTIO_GPU_F_EDID was not negotiated");
        return rc;
    }
    case STEP_UPDATE_CURSOR:
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u: resource %u at (%u,%u) hot (%u,%u)",
                 st->scanout, st->id, st->x, st->y, st->hot_x, st->hot_y);
        return vgpu_update_cursor(g, st->scanout, st->id, st->x, st->y, st->hot_x, st->hot_y);
    case STEP_MOVE_CURSOR:
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u: to (%u,%u)", st->scanout, st->x,
                 st->y);
        return vgpu_move_cursor(g, st->scanout, st->x, st->y);
    case STEP_DISPLAY_CHANGE: /* the host's monitor, not the driver */
        snprintf(sr->detail, sizeof(sr->detail), "device: scanout %u becomes %ux%u%s",
                 st->scanout, st->width, st->height, st->enabled ? "" : " (disabled)");
        return gpu_device_display_change(&c->r->m, st->scanout, st->width, st->height,
                                         st->enabled) == 0 ? VIRTIO_OK : VIRTIO_ERR_NOMEM;
    case STEP_HANDLE_CONFIG_EVENT: {
        uint32_t ev = 0;
        int rc = vgpu_handle_config_event(g, &ev);
        snprintf(sr->detail, sizeof(sr->detail), "events_read 0x%x, num_scanouts %u", ev,
                 g->num_scanouts);
        return rc;
    }
    case STEP_FB_SET_MODE: {
        uint32_t w = st->width, h = st->height;
        if (!w || !h) { /* the mode GET_DISPLAY_INFO reported for this scanout */
            struct virtio_gpu_resp_display_info info;
            int rc = vgpu_get_display_info(g, &info);
            if (rc != VIRTIO_OK)
                return rc;
            w = w ? w : info.pmodes[st->scanout].r.width;
            h = h ? h : info.pmodes[st->scanout].r.height;
        }
        int rc = gpu_fb_set_mode(&c->fbs[st->scanout], g, st->scanout, st->id, w, h);
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u: %ux%u as resource %u (%u entries)",
                 st->scanout, w, h, st->id, c->fbs[st->scanout].n_entries);
        return rc;
    }
    case STEP_FB_DRAW: {
        struct gpu_fb *f = &c->fbs[st->scanout];
        if (draw_pattern(st->pattern, f->width, f->height, sink_gpu_fb, f) != 0) {
            snprintf(sr->detail, sizeof(sr->detail), "out of memory");
            return VIRTIO_ERR_NOMEM;
        }
        snprintf(sr->detail, sizeof(sr->detail), "pattern '%s' on scanout %u", st->pattern,
                 st->scanout);
        return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
    }
    case STEP_FB_FILL: {
        struct gpu_fb *f = &c->fbs[st->scanout];
        gpu_fb_fill_rect(f, st->rect.x, st->rect.y, st->rect.width, st->rect.height, st->color);
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u: (%u,%u %ux%u) = #%06x",
                 st->scanout, st->rect.x, st->rect.y, st->rect.width, st->rect.height, st->color);
        return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
    }
    case STEP_FB_PRESENT: {
        struct gpu_fb *f = &c->fbs[st->scanout];
        struct virtio_gpu_rect d = f->damage;
        bool dirty = f->dirty;
        int rc = gpu_fb_present(f);
        if (dirty)
            snprintf(sr->detail, sizeof(sr->detail), "scanout %u: transfer+flush (%u,%u %ux%u), "
                     "%u in flight", st->scanout, d.x, d.y, d.width, d.height, g->max_inflight);
        else
            snprintf(sr->detail, sizeof(sr->detail), "scanout %u: nothing changed", st->scanout);
        return rc;
    }
    case STEP_RESET:
        snprintf(sr->detail, sizeof(sr->detail), "Status = 0: the device drops every resource");
        return vgpu_reset(g);
    case STEP_INIT: /* the kernel probes the device again: the whole §3.1.1 sequence, new rings */
        snprintf(sr->detail, sizeof(sr->detail), "initialised again (reset, features, queues)");
        c->n_fb = 0;
        memset(c->fbs, 0, sizeof(c->fbs));
        return vgpu_init(g, &c->gc);
    case STEP_FB_DISABLE:
        snprintf(sr->detail, sizeof(sr->detail), "scanout %u off, resource %u released",
                 st->scanout, c->fbs[st->scanout].id);
        return gpu_fb_disable(&c->fbs[st->scanout]);
    }
    return VIRTIO_ERR_INVALID;
}

static enum step_status classify(int rc)
{
    switch (rc) {
    case VIRTIO_OK: return ST_OK;
    default:
        /* no answer came (a Status read may have said why: the step's driver status names it) */
        if (vgpu_is_no_answer(rc))
            return ST_TIMEOUT;
        return vgpu_is_device_error(rc) ? ST_DEVICE_ERROR : ST_DRIVER_ERROR;
    }
}

static void finish_step(struct run_ctx *c, struct step_result *sr, int rc)
{
    sr->driver_status = rc;
    sr->status = classify(rc);
    sr->t_end = c->r->m.now;
    if (rc != VIRTIO_OK && !sr->detail[0])
        snprintf(sr->detail, sizeof(sr->detail), "%s", vgpu_status_name(rc));
    else if (rc != VIRTIO_OK) {
        size_t l = strlen(sr->detail);
        snprintf(sr->detail + l, sizeof(sr->detail) - l, ": %s", vgpu_status_name(rc));
    }
}

/* Diagnose the first request that got no answer (or one the driver could not use), once the
 * step is judged: an error answer the step expected is the step doing its job. */
static void diagnose_step(struct run_ctx *c, const struct step_result *sr, uint32_t queue)
{
    if ((sr->status == ST_TIMEOUT || sr->status == ST_DEVICE_ERROR) && !c->r->has_diag) {
        const struct vgpu *g = &c->r->gpu;
        struct diag_request rq = {
            .kind = sr->status != ST_TIMEOUT ? DIAG_BAD_RESPONSE
                    : !c->r->driver_up && !g->ctrl.state ? DIAG_REGISTER_WAIT /* init: no request */
                                                         : DIAG_TIMEOUT,
            .queue = queue, .since = sr->t, .mark = &c->step_mark};
        if (g->ctrl.state) { /* the kernel knows where its driver put the queue */
            rq.driver = (struct diag_driver_view){true, g->ctrl.desc_phys, g->ctrl.avail_phys,
                                                  g->ctrl.used_phys, g->ctrl.num,
                                                  g->wait == VGPU_WAIT_INTERRUPT};
        } else {
            rq.driver.waits_for_interrupt = c->s->wait == VGPU_WAIT_INTERRUPT;
        }
        diagnose(&c->r->m, &rq, &c->r->diag);
        bc_explain(&c->r->m, queue, &c->r->diag); /* a broken barrier pairing behind it */
        c->r->has_diag = c->r->diag.n_causes > 0;
    }
}

/* A step with `expect_response`: the device's answer must be exactly that; an expected error
 * response is the step doing its job (the run goes on). */
static void check_response(struct run_ctx *c, const struct scenario_step *st,
                           struct step_result *sr, uint32_t index)
{
    if (!st->has_expect_response)
        return;
    const char *want = response_name(st->expect_response);
    const char *got = response_name(sr->response);
    if (sr->response == st->expect_response) {
        if (sr->status == ST_DEVICE_ERROR && vgpu_status_from_response(sr->response, 0) ==
                                                 sr->driver_status)
            sr->status = ST_OK;
        return;
    }
    if (got)
        failure(c->r, "step %u (%s, line %d): expected response %s, got %s", index, sr->name,
                st->line, want, got);
    else
        failure(c->r, "step %u (%s, line %d): expected response %s, got none (%s)", index,
                sr->name, st->line, want, vgpu_status_name(sr->driver_status));
}

/* A step with `expect_status`: the driver must return exactly that status. */
static void check_status(struct run_ctx *c, const struct scenario_step *st,
                         const struct step_result *sr, uint32_t index)
{
    if (st->has_expect_status && sr->driver_status != st->expect_status)
        failure(c->r, "step %u (%s, line %d): expected driver status %s, got %s", index,
                sr->name, st->line, vgpu_status_name(st->expect_status),
                vgpu_status_name(sr->driver_status));
}

/* expect.driver and expect.memory_outside_buffers (the hostile-device scenarios). */
static void judge_hostile(const struct scenario *sc, struct run_result *r)
{
    const struct vgpu *g = &r->gpu;
    bool broken = vgpu_is_broken(g);
    if (sc->expect_broken_set && broken != sc->expect_broken)
        failure(r, "expected the driver %s, it is %s", sc->expect_broken ? "latched broken" :
                "not broken", broken ? "broken" : "not broken");
    if (sc->expect_broken_status_set && (!g->broken || g->broken_status != sc->expect_broken_status))
        failure(r, "expected the driver latched broken by %s, got %s",
                vgpu_status_name(sc->expect_broken_status),
                g->broken ? vgpu_status_name(g->broken_status) : "no latch");
    uint32_t qb = (g->ctrl.state && g->ctrl.broken ? 1u : 0u) |
                  (g->cursorq.state && g->cursorq.broken ? 2u : 0u);
    static const char *const sets[] = {"[]", "[control]", "[cursor]", "[control, cursor]"};
    if (sc->expect_queues_broken_set && qb != sc->expect_queues_broken)
        failure(r, "expected the queues latched broken to be %s, they are %s",
                sets[sc->expect_queues_broken & 3u], sets[qb]);
    if (!sc->expect_memory)
        return;
    const struct mg_result *mr = &r->memory;
    if (!mr->judged)
        failure(r, "guest memory outside the driver's buffers could not be judged (%u "
                   "allocations)", mr->allocations);
    else if (!strcmp(sc->expect_memory, "untouched") && mr->changed_bytes)
        failure(r, "%llu bytes of guest memory outside the driver's buffers changed, the first "
                   "at 0x%llx", (unsigned long long)mr->changed_bytes,
                (unsigned long long)mr->first_changed);
    else if (!strcmp(sc->expect_memory, "changed") && !mr->changed_bytes)
        failure(r, "expected guest memory outside the driver's buffers to change; it did not");
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w[8];
        memcpy(w, p + i, sizeof(w));
        acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
        if ((i & 4095) == 0 && acc)
            return false;
    }
    for (; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* SHA-256 of a picture as lower-case hex. Most scenarios never light a display, and looking for
 * a non-zero byte is far cheaper than hashing: an all-black picture of a size already hashed in
 * this process reuses that digest (bench/ table 3). */
static void picture_sha256(const uint8_t *pic, size_t n, char out[65])
{
    static struct {
        size_t n;
        char hex[65];
    } black[4];
    static unsigned n_black;
    bool zero = pic && all_zero(pic, n);
    for (unsigned k = 0; zero && k < n_black; k++)
        if (black[k].n == n) {
            memcpy(out, black[k].hex, 65);
            return;
        }
    struct sha256 h;
    uint8_t d[32];
    sha256_init(&h);
    if (pic)
        sha256_update(&h, pic, n);
    sha256_final(&h, d);
    sha256_hex(d, out);
    if (zero) { /* remember it; the oldest of four sizes gives way */
        if (n_black == 4) {
            memmove(black, black + 1, 3 * sizeof(black[0]));
            n_black = 3;
        }
        black[n_black].n = n;
        memcpy(black[n_black].hex, out, 65);
        n_black++;
    }
}

/* Per scanout: the picture (cursor composited), its hash, whether it is dark and why. */
static void display_results(struct run_result *r, const struct run_options *o,
                            const struct scenario *sc)
{
    const struct gpu_device *g = gpu_of(&r->m);
    r->n_scanouts = g ? g->n_scanouts : 0; /* a device with no display has no scanout */
    for (uint32_t i = 0; i < r->n_scanouts; i++) {
        struct scanout_result *so = &r->scanouts[i];
        const struct gpu_scanout *s = &g->scanouts[i];
        uint8_t *pic = gpu_display_compose(g, i);
        picture_sha256(pic, pic ? (size_t)s->width * s->height * 3 : 0, so->sha256);
        so->dark = gpu_display_explain_dark(g, i, so->dark_reason, sizeof(so->dark_reason));
        if (o && o->png_dir && pic) {
            size_t n = strlen(o->png_dir) + strlen(sc->name) + 24;
            so->png = malloc(n);
            char err[256];
            if (so->png) { /* scanout 0 keeps the plain name */
                if (i == 0)
                    snprintf(so->png, n, "%s/%s.png", o->png_dir, sc->name);
                else
                    snprintf(so->png, n, "%s/%s-scanout%u.png", o->png_dir, sc->name, i);
                if (png_write_rgb(so->png, pic, s->width, s->height, err, sizeof(err))) {
                    failure(r, "cannot write %s: %s", so->png, err);
                    free(so->png);
                    so->png = NULL;
                }
            }
        }
        free(pic);
    }
    memcpy(r->sha256, r->scanouts[0].sha256, sizeof(r->sha256));
    r->png = r->scanouts[0].png ? strdup(r->scanouts[0].png) : NULL;
}

/* Compare a scanout with a reference PNG; on a mismatch write the actual picture (when no PNG
 * was written yet) and a diff image (differing pixels red over a dimmed picture). */
static void compare_png(struct run_result *r, const struct run_options *o,
                        const struct scenario *sc, const struct display_expect *x,
                        const uint8_t *pic, uint32_t w, uint32_t h)
{
    char err[256];
    uint8_t *ref = NULL;
    uint32_t rw = 0, rh = 0;
    if (png_read_rgb(x->png, &ref, &rw, &rh, err, sizeof(err))) {
        failure(r, "scanout %u: cannot read reference %s: %s", x->scanout, x->png, err);
        return;
    }
    uint64_t bad = 0;
    uint32_t fx = 0, fy = 0;
    if (rw != w || rh != h) {
        failure(r, "scanout %u is %ux%u, reference %s is %ux%u", x->scanout, w, h, x->png, rw, rh);
        free(ref);
        return;
    }
    for (uint64_t i = 0; i < (uint64_t)w * h; i++)
        if (memcmp(pic + i * 3, ref + i * 3, 3) && bad++ == 0)
            fx = (uint32_t)(i % w), fy = (uint32_t)(i / w);
    if (!bad) {
        free(ref);
        return;
    }
    struct scanout_result *so = &r->scanouts[x->scanout];
    const char *dir = o && o->png_dir ? o->png_dir : ".";
    size_t n = strlen(dir) + strlen(sc->name) + 40;
    if (!so->png && (so->png = malloc(n))) {
        snprintf(so->png, n, "%s/%s-scanout%u-actual.png", dir, sc->name, x->scanout);
        if (png_write_rgb(so->png, pic, w, h, err, sizeof(err))) {
            free(so->png);
            so->png = NULL;
        }
    }
    uint8_t *diff = malloc((size_t)w * h * 3);
    if (diff && (so->diff_png = malloc(n))) {
        for (uint64_t i = 0; i < (uint64_t)w * h; i++) {
            bool differs = memcmp(pic + i * 3, ref + i * 3, 3) != 0;
            for (int k = 0; k < 3; k++)
                diff[i * 3 + k] = differs ? (k == 0 ? 255 : 0) : (uint8_t)(pic[i * 3 + k] / 4);
        }
        snprintf(so->diff_png, n, "%s/%s-scanout%u-diff.png", dir, sc->name, x->scanout);
        if (png_write_rgb(so->diff_png, diff, w, h, err, sizeof(err))) {
            free(so->diff_png);
            so->diff_png = NULL;
        }
    }
    free(diff);
    const uint8_t *g = pic + ((uint64_t)fy * w + fx) * 3, *e = ref + ((uint64_t)fy * w + fx) * 3;
    failure(r, "scanout %u differs from %s in %llu of %u pixels; first at (%u,%u): #%02x%02x%02x "
               "instead of #%02x%02x%02x (actual: %s, diff: %s)", x->scanout, x->png,
            (unsigned long long)bad, w * h, fx, fy, g[0], g[1], g[2], e[0], e[1], e[2],
            so->png ? so->png : "not written", so->diff_png ? so->diff_png : "not written");
    if (r->scanouts[0].png && x->scanout == 0 && !r->png)
        r->png = strdup(r->scanouts[0].png);
    free(ref);
}

static void judge_display(const struct scenario *sc, const struct run_options *o,
                          struct run_result *r, const struct display_expect *x)
{
    const struct gpu_device *g = gpu_of(&r->m);
    if (!g || x->scanout >= g->n_scanouts) {
        failure(r, "expected scanout %u, the device has %u", x->scanout, g ? g->n_scanouts : 0);
        return;
    }
    const struct gpu_scanout *s = &g->scanouts[x->scanout];
    const struct scanout_result *so = &r->scanouts[x->scanout];
    bool active = s->state == SCANOUT_ACTIVE;
    if (x->active_set && active != x->active)
        failure(r, "expected scanout %u %s, it is %s%s%s", x->scanout,
                x->active ? "active" : "not active", scanout_state_name(s->state),
                so->dark ? ": " : "", so->dark ? so->dark_reason : "");
    if (x->state && strcmp(x->state, scanout_state_name(s->state)) != 0)
        failure(r, "expected scanout %u %s, it is %s%s%s", x->scanout, x->state,
                scanout_state_name(s->state), so->dark ? ": " : "",
                so->dark ? so->dark_reason : "");
    if (x->dark_set && so->dark != x->dark)
        failure(r, "expected scanout %u %s, it %s", x->scanout, x->dark ? "dark" : "lit",
                so->dark ? so->dark_reason : "shows what the driver flushed");
    if (x->cursor_set && (s->cursor.visible && active) != x->cursor)
        failure(r, "expected %s cursor on scanout %u", x->cursor ? "a" : "no", x->scanout);
    if (x->sha256 && strcmp(x->sha256, so->sha256) != 0)
        failure(r, "display sha256 is %s, expected %s%s%s", so->sha256, x->sha256,
                so->dark ? "; " : "", so->dark ? so->dark_reason : "");
    uint8_t *pic = (x->pattern || x->png) ? gpu_display_compose(g, x->scanout) : NULL;
    if (x->pattern && pic) {
        uint64_t bad = 0;
        uint32_t fx = 0, fy = 0, got = 0, want = 0;
        uint32_t *row = malloc((s->width ? s->width : 1) * sizeof(*row));
        for (uint32_t y = 0; row && y < s->height; y++) {
            pattern_row(x->pattern, y, s->width, s->height, row);
            for (uint32_t xx = 0; xx < s->width; xx++) {
                const uint8_t *p = pic + ((uint64_t)y * s->width + xx) * 3;
                uint32_t gv = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
                uint32_t w = row[xx];
                if (gv != w && bad++ == 0) {
                    fx = xx, fy = y, got = gv, want = w;
                }
            }
        }
        if (!row)
            failure(r, "out of memory comparing scanout %u with pattern '%s'", x->scanout,
                    x->pattern);
        free(row);
        if (bad)
            failure(r, "display differs from pattern '%s' in %llu of %u pixels; first at (%u,%u): "
                       "#%06x instead of #%06x%s%s", x->pattern, (unsigned long long)bad,
                    s->width * s->height, fx, fy, got, want, so->dark ? "; " : "",
                    so->dark ? so->dark_reason : "");
    }
    if (x->png && pic)
        compare_png(r, o, sc, x, pic, s->width, s->height);
    free(pic);
}

static void judge(const struct scenario *sc, const struct run_options *o, struct run_result *r)
{
    if (strcmp(sc->expect_outcome, r->outcome) != 0)
        failure(r, "expected outcome %s, got %s", sc->expect_outcome, r->outcome);
    /* Violations: exactly the expected set of rule ids fired. */
    for (uint32_t i = 0; i < sc->n_expect_violations; i++) {
        bool fired = false;
        for (uint32_t k = 0; k < r->m.n_violations; k++)
            fired |= !strcmp(r->m.violations[k].rule->id, sc->expect_violations[i]);
        if (!fired)
            failure(r, "expected rule %s to fire; it did not", sc->expect_violations[i]);
    }
    for (uint32_t k = 0; k < r->m.n_violations; k++) {
        const char *id = r->m.violations[k].rule->id;
        bool expected = false, dup = false;
        for (uint32_t i = 0; i < sc->n_expect_violations; i++)
            expected |= !strcmp(id, sc->expect_violations[i]);
        for (uint32_t j = 0; j < k; j++)
            dup |= !strcmp(id, r->m.violations[j].rule->id);
        if (!expected && !dup)
            failure(r, "unexpected violation of %s (§%s): %s", id, r->m.violations[k].rule->section,
                    r->m.violations[k].message);
    }
    /* Informational findings: exactly the expected set, when the scenario names one. */
    for (uint32_t i = 0; sc->expect_informational_set && i < sc->n_expect_informational; i++) {
        bool found = false;
        for (uint32_t k = 0; k < r->m.n_informational; k++)
            found |= !strcmp(r->m.informational[k].rule->id, sc->expect_informational[i]);
        if (!found)
            failure(r, "expected the informational finding %s; it was not reported",
                    sc->expect_informational[i]);
    }
    for (uint32_t k = 0; sc->expect_informational_set && k < r->m.n_informational; k++) {
        bool expected = false;
        for (uint32_t i = 0; i < sc->n_expect_informational; i++)
            expected |= !strcmp(r->m.informational[k].rule->id, sc->expect_informational[i]);
        if (!expected)
            failure(r, "unexpected informational finding %s: %s", r->m.informational[k].rule->id,
                    r->m.informational[k].message);
    }
    if (sc->expect_cause) {
        const char *got = r->has_diag ? r->diag.cause : NULL;
        if (!got || strcmp(got, sc->expect_cause) != 0)
            failure(r, "expected diagnosis %s, got %s", sc->expect_cause, got ? got : "none");
    }
    if (sc->expect_causes_set) {
        char want[400] = "", got[400] = "";
        for (uint32_t i = 0; i < sc->n_expect_causes; i++)
            snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? ", " : "",
                     sc->expect_causes[i]);
        for (int i = 0; r->has_diag && i < r->diag.n_causes; i++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? ", " : "",
                     r->diag.causes[i].id);
        if (strcmp(want, got) != 0)
            failure(r, "expected the causes [%s], got [%s]", want, got);
    }
    for (uint32_t i = 0; i < sc->n_expect_evidence; i++) {
        const char *k = sc->expect_evidence[i].key, *v = sc->expect_evidence[i].value;
        const char *got = r->has_diag ? diag_evidence_get(&r->diag, k) : NULL;
        if (!got || strcmp(got, v) != 0)
            failure(r, "expected diagnosis evidence %s = %s, got %s", k, v, got ? got : "none");
    }
    for (uint32_t i = 0; i < sc->n_displays; i++)
        judge_display(sc, o, r, &sc->displays[i]);
    judge_hostile(sc, r);
}

/* The scenario's machine, made current; -1 when it cannot be built (the failure is in r). */
static int build_machine(const struct scenario *sc, struct run_result *r)
{
    memset(r, 0, sizeof(*r));
    r->outcome = "driver-error";
    char err[256];
    const struct rule_catalogue *cat = rules_builtin(err, sizeof(err));
    struct machine_config cfg = {
        .ram_base = sc->ram_base, .ram_size = sc->ram_size, .mmio_base = sc->mmio_base,
        .transport_version = sc->transport_version, .display_width = sc->display_width,
        .display_height = sc->display_height, .device_latency_ns = sc->latency_ns,
        .n_extra_scanouts = sc->n_extra_scanouts,
        .profile = sc->profile == 1 ? PROFILE_STRICT : PROFILE_QEMU, .offer_add = sc->device_offer,
        .offer_remove = sc->device_withhold, .weak_memory = sc->weak_memory,
        .ring_access = (enum bc_mode)sc->ring_access};
    memcpy(cfg.place, sc->place, sizeof(cfg.place));
    _Static_assert(sizeof(cfg.place_next) == sizeof(sc->place_next), "pins");
    memcpy(cfg.place_next, sc->place_next, sizeof(cfg.place_next));
    memcpy(cfg.n_place_next, sc->n_place_next, sizeof(cfg.n_place_next));
    memcpy(cfg.extra_width, sc->extra_width, sizeof(cfg.extra_width));
    memcpy(cfg.extra_height, sc->extra_height, sizeof(cfg.extra_height));
    cfg.magic = sc->magic;
    cfg.version_shown = sc->version_shown;
    cfg.device_id_set = sc->device_id_set;
    cfg.device_id = sc->device_id;
    cfg.config_change_after = sc->config_change_after;
    cfg.memory_canary = sc->expect_memory != NULL; /* memory_guard.h: only where asserted */
    if (!cat || machine_init(&r->m, &cfg, cat) != 0) {
        failure(r, "cannot build the machine: %s", cat ? "out of memory" : err);
        return -1;
    }
    r->machine_ok = true;
    r->m.faults = sc->faults;
    memcpy(r->m.dfaults.f, sc->dfaults.f, sizeof(sc->dfaults.f));
    r->m.dfaults.n = sc->dfaults.n;
    machine_set_current(&r->m);
    return 0;
}

/* After the driver: let due device work land, run the end-of-run checks, name the outcome,
 * look at the displays, judge. */
static void conclude(const struct scenario *sc, const struct run_options *o, struct run_result *r,
                     bool judge_expect)
{
    /* Let the device finish whatever is still due (a late answer still lands in the trace). */
    machine_advance(&r->m, r->m.now + sc->latency_ns);
    char err[256];
    if (r->m.rec && vqrec_writer_close(&r->m, 0, err, sizeof(err)) != 0)
        failure(r, "%s", err);
    access_checks_finish(&r->m);
    memory_guard_check(&r->m, &r->memory);
    machine_set_current(NULL);

    /* The outcome: the strongest symptom the driver saw, else violations, else ok. */
    r->outcome = "ok";
    if (r->m.n_violations)
        r->outcome = "violation";
    for (uint32_t i = 0; i < r->n_steps; i++) {
        if (r->steps[i].status == ST_TIMEOUT) {
            r->outcome = "timeout";
            break;
        }
        if (r->steps[i].status == ST_DEVICE_ERROR)
            r->outcome = "device-error";
        else if (r->steps[i].status == ST_DRIVER_ERROR)
            r->outcome = "driver-error";
    }
    display_results(r, o, sc);
    if (judge_expect)
        judge(sc, o, r);
    r->passed = r->n_failures == 0;
}

int run_scenario(const struct scenario *sc, const struct run_options *o, struct run_result *r)
{
    if (build_machine(sc, r) != 0)
        return -1;
    if (o && o->record_dir) { /* vqsim run --record DIR */
        char path[4096], err[300];
        snprintf(path, sizeof(path), "%s/%s.vqrec", o->record_dir, sc->name);
        if (vqrec_writer_open(&r->m, path, err, sizeof(err)) != 0)
            failure(r, "%s", err);
    }
    struct run_ctx c = {.s = sc, .r = r, .mode_w = QEMU_GPU_XRES, .mode_h = QEMU_GPU_YRES};
    c.gc = (struct vgpu_config){.mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
                             .layout = sc->layout, .legacy_align = sc->queue_align,
                             .timeout_ns = sc->timeout_ns, .wait = sc->wait,
                             .features = sc->driver_features, .fences = sc->fences,
                             .cursor = sc->cursor,
                             .used_len = (enum vq_used_len_policy)sc->used_len};
    const struct vgpu_config gc = c.gc;
    struct step_result *init = &r->steps[r->n_steps++];
    init->name = "init";
    init->t = r->m.now;
    machine_trace(&r->m, TR_STEP, 0, 0, 0, "init");
    rf_mark(&r->m, &c.step_mark);
    int rc = vgpu_init(&r->gpu, &gc);
    if (rc == VIRTIO_OK)
        snprintf(init->detail, sizeof(init->detail), "virtio-mmio version %u, gpu, queue 0 of %u",
                 r->gpu.mmio.version, sc->queue_size);
    finish_step(&c, init, rc);
    diagnose_step(&c, init, VIRTIO_GPU_QUEUE_CONTROL);
    r->driver_up = rc == VIRTIO_OK;
    bool stop = rc != VIRTIO_OK;

    for (uint32_t i = 0; i < sc->n_steps; i++) {
        struct step_result *sr = &r->steps[r->n_steps++];
        sr->name = step_name(sc->steps[i].kind);
        sr->t = r->m.now;
        if (stop) {
            sr->status = ST_SKIPPED;
            continue;
        }
        machine_trace(&r->m, TR_STEP, 0, i + 1, 0, sr->name);
        rf_mark(&r->m, &c.step_mark);
        r->gpu.last_resp_type = 0;
        r->gpu.last_used_len = 0;
        r->gpu.last_fence_id = 0;
        const struct scenario_step *st = &sc->steps[i];
        bool device_event = st->kind == STEP_DISPLAY_CHANGE || st->kind == STEP_DRAW ||
                            st->kind == STEP_POKE_PIXEL || st->kind == STEP_FB_DRAW ||
                            st->kind == STEP_FB_FILL;
        rc = do_step(&c, st, sr);
        for (uint32_t k = 1; k < st->repeat && rc == VIRTIO_OK; k++) { /* repeat: {count: N} */
            sr->detail[0] = 0;
            rc = do_step(&c, st, sr);
        }
        if (st->repeat > 1) {
            size_t l = strlen(sr->detail);
            snprintf(sr->detail + l, sizeof(sr->detail) - l, " (×%u)", st->repeat);
        }
        if (!device_event) {
            sr->response = r->gpu.last_resp_type;
            sr->used_len = r->gpu.last_used_len;
            sr->fence_id = r->gpu.last_fence_id;
        }
        bool cursor = st->kind == STEP_UPDATE_CURSOR || st->kind == STEP_MOVE_CURSOR;
        uint32_t queue = cursor ? VIRTIO_GPU_QUEUE_CURSOR : VIRTIO_GPU_QUEUE_CONTROL;
        finish_step(&c, sr, rc);
        check_response(&c, st, sr, i + 1);
        check_status(&c, st, sr, i + 1);
        diagnose_step(&c, sr, queue); /* (an error response the step expected is ok by now) */
        /* An error the step expected (expect_status) is the step proving its point: the run
         * goes on (the next step may show the latch), the outcome still counts it. */
        stop = sr->status != ST_OK &&
               !(st->has_expect_status && sr->driver_status == st->expect_status);
    }
    conclude(sc, o, r, true);
    return 0;
}

int run_scenario_external(const struct scenario *sc, const struct run_options *o,
                          struct run_result *r, const struct run_external *x)
{
    if (build_machine(sc, r) != 0)
        return -1;
    r->external = true;
    struct step_result *sr = &r->steps[r->n_steps++];
    sr->name = x->step_name;
    sr->t = r->m.now;
    machine_trace(&r->m, TR_STEP, 0, 0, 0, x->step_name);
    rf_mark(&r->m, &r->request_mark); /* run() may move it to where its request began */
    uint32_t queue = VIRTIO_GPU_QUEUE_CONTROL;
    sr->status = x->run(x->ctx, r, sr, &queue);
    sr->t_end = r->m.now;
    for (uint32_t q = 0; x->queue_view && q < RUN_MAX_QUEUES; q++)
        if (!x->queue_view(x->ctx, q, &r->queue_view[q]))
            memset(&r->queue_view[q], 0, sizeof(r->queue_view[q]));
    r->view_source = x->view_source ? x->view_source : "reported";
    if ((sr->status == ST_TIMEOUT || sr->status == ST_DEVICE_ERROR) && queue < RUN_MAX_QUEUES) {
        struct diag_request rq = {.kind = sr->status != ST_TIMEOUT ? DIAG_BAD_RESPONSE
                                          : x->register_wait && *x->register_wait ? DIAG_REGISTER_WAIT
                                                                                  : DIAG_TIMEOUT,
                                  .queue = queue, .since = sr->t, .mark = &r->request_mark,
                                  .driver = r->queue_view[queue]};
        diagnose(&r->m, &rq, &r->diag);
        bc_explain(&r->m, queue, &r->diag);
        r->has_diag = r->diag.n_causes > 0;
    }
    conclude(sc, o, r, x->judge);
    return 0;
}

/* The driver polled queue q's used.idx where the device placed it (one of the 16-bit ring
 * addresses it loaded most): it reads the used ring the device writes. */
static bool polls_device_used(const struct run_result *r, uint32_t q)
{
    const struct run_facts *f = &r->m.facts;
    const struct dev_queue *dq = &r->m.dev.q[q];
    for (uint32_t i = 0; i < RF_POLL_SLOTS; i++)
        if (f->poll_count[i] && dq->live && f->poll_addr[i] == dq->used + 2)
            return true;
    return false;
}

void run_queue_view(const struct run_result *r, uint32_t q, struct run_queue_view *v)
{
    memset(v, 0, sizeof(*v));
    if (!r->external) { /* the built-in driver: its own state */
        const struct virtq *vq = q == 0 ? &r->gpu.ctrl : &r->gpu.cursorq;
        if (!vq->state)
            return;
        *v = (struct run_queue_view){true, "driver", true, true, true, true, vq->desc_phys,
                                     vq->avail_phys, vq->used_phys, vq->num};
        return;
    }
    const struct diag_driver_view *dv = &r->queue_view[q];
    if (dv->known) {
        *v = (struct run_queue_view){true, r->view_source, true, true, true, true, dv->desc,
                                     dv->avail, dv->used, dv->num};
        return;
    }
    /* Not told: what the driver wrote to the registers for this queue. */
    const struct dev_queue *dq = &r->m.dev.q[q];
    const struct mmio_device *d = &r->m.dev;
    v->source = "registers";
    if (d->version == 2) {
        if (!dq->reg_desc && !dq->reg_driver && !dq->reg_device && !dq->live)
            return;
        *v = (struct run_queue_view){true, "registers", true, true, true, true, dq->reg_desc,
                                     dq->reg_driver, dq->reg_device, dq->num};
        return;
    }
    if (!dq->pfn)
        return;
    v->shown = true;
    v->has_num = true;
    v->num = dq->num;
    if (d->guest_page_size_written) { /* QueuePFN counts pages of the size the driver wrote */
        v->has_desc = v->has_avail = true;
        v->desc = (uint64_t)dq->pfn << d->guest_page_shift;
        v->avail = v->desc + 16ull * dq->num;
    }
    if (polls_device_used(r, q)) { /* it reads the used ring where the device writes it */
        v->has_used = true;
        v->used = dq->used;
        v->source = "registers, polls";
    }
}

void run_result_free(struct run_result *r)
{
    if (r->machine_ok)
        machine_destroy(&r->m);
    free(r->png);
    for (uint32_t i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++) {
        free(r->scanouts[i].png);
        free(r->scanouts[i].diff_png);
    }
    memset(r, 0, sizeof(*r));
}
