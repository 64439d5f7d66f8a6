/* runner.c — see runner.h. */
#include "runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver/virtio_hal.h"
#include "../util/sha256.h"
#include "png_writer.h"
#include "test_pattern.h"

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
    uint32_t mode_w, mode_h; /* from GET_DISPLAY_INFO, else QEMU's default 1024x768 */
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

/* Encode a colour as the kernel would, in the resource's byte order. Written apart from the
 * model's decoder (gpu_format_to_rgb) on purpose: the harness plays the guest. */
static void put_pixel(struct fb *f, uint32_t x, uint32_t y, uint32_t rgb)
{
    uint8_t *p = f->mem + ((uint64_t)y * f->width + x) * 4;
    uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
    uint8_t px[4] = {0xff, 0xff, 0xff, 0xff};
    int ri, gi, bi; /* byte order per format name (see gpu_format_to_rgb) */
    switch (f->format) {
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM: ri = 1, gi = 2, bi = 3; break;
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: ri = 0, gi = 1, bi = 2; break;
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM: ri = 3, gi = 2, bi = 1; break;
    default: ri = 2, gi = 1, bi = 0; break;
    }
    /* Assembled in a register, not byte by byte in memory: a 4-byte load right after byte
     * stores at variable offsets stalls store forwarding, per pixel (bench/ table 3). */
    uint32_t v = 0xffffffffu;
    v = (v & ~(0xffu << 8 * ri)) | (uint32_t)r << 8 * ri;
    v = (v & ~(0xffu << 8 * gi)) | (uint32_t)g << 8 * gi;
    v = (v & ~(0xffu << 8 * bi)) | (uint32_t)b << 8 * bi;
    memcpy(px, &v, 4); /* little-endian host: byte i of px is bits 8i..8i+7 (virtio_spec.h) */
    memcpy(p, px, 4);
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
        if (!f) {
            snprintf(sr->detail, sizeof(sr->detail), "no resource %u was created", st->id);
            return VIRTIO_ERR_INVALID;
        }
        uint64_t bytes = (uint64_t)f->width * f->height * 4;
        if (!f->mem)
            f->mem = vhal_dma_alloc(bytes, 4096, VHAL_DMA_FRAMEBUFFER, &f->phys);
        if (!f->mem) {
            snprintf(sr->detail, sizeof(sr->detail), "no guest memory for a %llu-byte framebuffer",
                     (unsigned long long)bytes);
            return VIRTIO_ERR_NOMEM;
        }
        struct virtio_gpu_mem_entry e = {f->phys, (uint32_t)bytes, 0};
        snprintf(sr->detail, sizeof(sr->detail), "resource %u: 1 entry at 0x%llx, %llu bytes",
                 st->id, (unsigned long long)f->phys, (unsigned long long)bytes);
        return vgpu_attach_backing(g, st->id, &e, 1);
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
        uint32_t *row = malloc((f->width ? f->width : 1) * sizeof(*row));
        if (!row) {
            snprintf(sr->detail, sizeof(sr->detail), "out of memory");
            return VIRTIO_ERR_NOMEM;
        }
        for (uint32_t y = 0; y < f->height; y++) {
            pattern_row(st->pattern, y, f->width, f->height, row);
            for (uint32_t x = 0; x < f->width; x++)
                put_pixel(f, x, y, row[x]);
        }
        free(row);
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
    }
    return VIRTIO_ERR_INVALID;
}

static enum step_status classify(int rc)
{
    switch (rc) {
    case VIRTIO_OK: return ST_OK;
    case VIRTIO_ERR_TIMEOUT: return ST_TIMEOUT;
    case VIRTIO_ERR_RESPONSE: return ST_DEVICE_ERROR;
    default: return ST_DRIVER_ERROR;
    }
}

static void finish_step(struct run_ctx *c, struct step_result *sr, int rc)
{
    sr->driver_status = rc;
    sr->status = classify(rc);
    sr->t_end = c->r->m.now;
    if (rc != VIRTIO_OK && !sr->detail[0])
        snprintf(sr->detail, sizeof(sr->detail), "%s", virtio_status_name(rc));
    else if (rc != VIRTIO_OK) {
        size_t l = strlen(sr->detail);
        snprintf(sr->detail + l, sizeof(sr->detail) - l, ": %s", virtio_status_name(rc));
    }
    if (rc == VIRTIO_ERR_TIMEOUT && !c->r->has_diag) {
        diagnose_timeout(&c->r->m, VIRTIO_GPU_QUEUE_CONTROL, sr->t, &c->r->diag);
        c->r->has_diag = true;
    }
}

static void display_hash(struct run_result *r)
{
    const struct gpu_scanout *s = &r->m.gpu.scanout;
    struct sha256 h;
    uint8_t d[32];
    sha256_init(&h);
    if (s->fb)
        sha256_update(&h, s->fb, (size_t)s->width * s->height * 3);
    sha256_final(&h, d);
    sha256_hex(d, r->sha256);
}

static void judge(const struct scenario *sc, struct run_result *r)
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
    if (sc->expect_cause) {
        const char *got = r->has_diag ? r->diag.cause : NULL;
        if (!got || strcmp(got, sc->expect_cause) != 0)
            failure(r, "expected diagnosis %s, got %s", sc->expect_cause, got ? got : "none");
    }
    if (!sc->expect_display)
        return;
    const struct gpu_scanout *s = &r->m.gpu.scanout;
    bool active = s->state == SCANOUT_ACTIVE;
    if (sc->expect_active_set && active != sc->expect_active)
        failure(r, "expected the display %s, it is %s", sc->expect_active ? "active" : "not active",
                scanout_state_name(s->state));
    if (sc->expect_sha256 && strcmp(sc->expect_sha256, r->sha256) != 0)
        failure(r, "display sha256 is %s, expected %s", r->sha256, sc->expect_sha256);
    if (sc->expect_pattern && s->fb) {
        uint64_t bad = 0;
        uint32_t fx = 0, fy = 0, got = 0, want = 0;
        uint32_t *row = malloc((s->width ? s->width : 1) * sizeof(*row));
        if (!row) {
            failure(r, "out of memory comparing the display with pattern '%s'", sc->expect_pattern);
            return;
        }
        for (uint32_t y = 0; y < s->height; y++) {
            pattern_row(sc->expect_pattern, y, s->width, s->height, row);
            for (uint32_t x = 0; x < s->width; x++) {
                const uint8_t *p = s->fb + ((uint64_t)y * s->width + x) * 3;
                uint32_t g = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
                uint32_t w = row[x];
                if (g != w && bad++ == 0) {
                    fx = x, fy = y, got = g, want = w;
                }
            }
        }
        free(row);
        if (bad)
            failure(r, "display differs from pattern '%s' in %llu of %u pixels; first at (%u,%u): "
                       "#%06x instead of #%06x", sc->expect_pattern, (unsigned long long)bad,
                    s->width * s->height, fx, fy, got, want);
    }
}

int run_scenario(const struct scenario *sc, const struct run_options *o, struct run_result *r)
{
    memset(r, 0, sizeof(*r));
    r->outcome = "driver-error";
    char err[256];
    const struct rule_catalogue *cat = rules_builtin(err, sizeof(err));
    struct machine_config cfg = {
        .ram_base = sc->ram_base, .ram_size = sc->ram_size, .mmio_base = sc->mmio_base,
        .transport_version = sc->transport_version, .display_width = sc->display_width,
        .display_height = sc->display_height, .device_latency_ns = sc->latency_ns,
        .profile = PROFILE_QEMU, .offer_add = sc->device_offer,
        .offer_remove = sc->device_withhold};
    memcpy(cfg.place, sc->place, sizeof(cfg.place));
    if (!cat || machine_init(&r->m, &cfg, cat) != 0) {
        failure(r, "cannot build the machine: %s", cat ? "out of memory" : err);
        return -1;
    }
    r->machine_ok = true;
    r->m.faults = sc->faults;
    machine_set_current(&r->m);

    struct run_ctx c = {.s = sc, .r = r, .mode_w = 1024, .mode_h = 768};
    struct vgpu_config gc = {.mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
                             .layout = sc->layout, .legacy_align = sc->queue_align,
                             .timeout_ns = sc->timeout_ns, .features = sc->driver_features};
    struct step_result *init = &r->steps[r->n_steps++];
    init->name = "init";
    init->t = r->m.now;
    machine_trace(&r->m, TR_STEP, 0, 0, 0, "init");
    int rc = vgpu_init(&r->gpu, &gc);
    if (rc == VIRTIO_OK)
        snprintf(init->detail, sizeof(init->detail), "virtio-mmio version %u, gpu, queue 0 of %u",
                 r->gpu.mmio.version, sc->queue_size);
    finish_step(&c, init, rc);
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
        r->gpu.last_resp_type = 0;
        rc = do_step(&c, &sc->steps[i], sr);
        sr->response = r->gpu.last_resp_type;
        finish_step(&c, sr, rc);
        stop = rc != VIRTIO_OK;
    }
    /* Let the device finish whatever is still due (a late answer still lands in the trace). */
    machine_advance(&r->m, r->m.now + sc->latency_ns);
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
    display_hash(r);
    if (o && o->png_dir) {
        size_t n = strlen(o->png_dir) + strlen(sc->name) + 8;
        r->png = malloc(n);
        if (r->png) {
            snprintf(r->png, n, "%s/%s.png", o->png_dir, sc->name);
            const struct gpu_scanout *s = &r->m.gpu.scanout;
            if (!s->fb || png_write_rgb(r->png, s->fb, s->width, s->height, err, sizeof(err))) {
                failure(r, "cannot write %s: %s", r->png, s->fb ? err : "no framebuffer");
                free(r->png);
                r->png = NULL;
            }
        }
    }
    judge(sc, r);
    r->passed = r->n_failures == 0;
    return 0;
}

void run_result_free(struct run_result *r)
{
    if (r->machine_ok)
        machine_destroy(&r->m);
    free(r->png);
    memset(r, 0, sizeof(*r));
}
