/* gpu_display.c — what a person looking at each scanout would see, and, when it is dark, why.
 * See gpu_device.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/devices/gpu_device.h"

uint8_t *gpu_display_compose(struct gpu_device *g, uint32_t scanout)
{
    if (scanout >= g->n_scanouts || !gpu_scanout_pixels(g, scanout))
        return NULL;
    const struct gpu_scanout *s = &g->scanouts[scanout];
    size_t bytes = (size_t)s->width * s->height * 3;
    uint8_t *out = malloc(bytes);
    if (!out)
        return NULL;
    memcpy(out, s->fb, bytes);
    const struct gpu_cursor *c = &s->cursor;
    if (!c->visible || !c->rgba || s->state != SCANOUT_ACTIVE)
        return out;
    /* The cursor's hot spot sits at (x, y); alpha-blend its 64x64 image over the picture. */
    int64_t ox = (int64_t)c->x - c->hot_x, oy = (int64_t)c->y - c->hot_y;
    for (uint32_t j = 0; j < VIRTIO_GPU_CURSOR_SIZE; j++) {
        int64_t y = oy + j;
        if (y < 0 || y >= s->height)
            continue;
        for (uint32_t i = 0; i < VIRTIO_GPU_CURSOR_SIZE; i++) {
            int64_t x = ox + i;
            if (x < 0 || x >= s->width)
                continue;
            const uint8_t *p = c->rgba + (j * VIRTIO_GPU_CURSOR_SIZE + i) * 4;
            uint8_t *o = out + ((size_t)y * s->width + (size_t)x) * 3;
            for (int k = 0; k < 3; k++)
                o[k] = (uint8_t)((p[k] * p[3] + o[k] * (255 - p[3]) + 127) / 255);
        }
    }
    return out;
}

const uint8_t *gpu_display_view(struct gpu_device *g, uint32_t scanout, uint8_t **owned)
{
    *owned = NULL;
    if (scanout >= g->n_scanouts || !gpu_scanout_pixels(g, scanout))
        return NULL;
    const struct gpu_scanout *s = &g->scanouts[scanout];
    const struct gpu_cursor *c = &s->cursor;
    if (!c->visible || !c->rgba || s->state != SCANOUT_ACTIVE) /* as gpu_display_compose */
        return s->fb;
    return *owned = gpu_display_compose(g, scanout);
}

bool gpu_display_explain_dark(const struct gpu_device *g, uint32_t scanout, char *buf,
                              size_t len)
{
    if (scanout >= g->n_scanouts) {
        snprintf(buf, len, "scanout %u does not exist (the device has %u)", scanout,
                 g->n_scanouts);
        return true;
    }
    const struct gpu_scanout *s = &g->scanouts[scanout];
    if (s->state == SCANOUT_NOT_INITIALIZED) {
        snprintf(buf, len, "scanout %u was never set up: no SET_SCANOUT succeeded, so QEMU "
                           "shows \"Guest has not initialized the display (yet).\"", scanout);
        return true;
    }
    if (s->state == SCANOUT_INACTIVE) {
        snprintf(buf, len, "scanout %u is not active: it showed resource %u until SET_SCANOUT "
                           "with resource 0, an unref of that resource or a reset turned it "
                           "off (QEMU: \"Display output is not active.\")",
                 scanout, s->last_resource_id);
        return true;
    }
    const struct gpu_resource *r = gpu_find_resource(g, s->resource_id);
    if (!r) {
        snprintf(buf, len, "scanout %u shows resource %u, which no longer exists", scanout,
                 s->resource_id);
        return true;
    }
    if (!r->transfers && !s->flushes_shown) {
        snprintf(buf, len, "the display is dark: resource %u was attached and set as scanout %u "
                           "but never transferred (no TRANSFER_TO_HOST_2D: the host copy is "
                           "still all zero) and never flushed (no RESOURCE_FLUSH: the display "
                           "was never updated)", r->id, scanout);
        return true;
    }
    if (!r->transfers) {
        snprintf(buf, len, "the display is dark: resource %u on scanout %u was flushed but "
                           "never transferred (no TRANSFER_TO_HOST_2D), so the flush showed "
                           "the host copy, which is still all zero", r->id, scanout);
        return true;
    }
    if (!s->flushes_shown) {
        snprintf(buf, len, "the display is dark: resource %u on scanout %u was transferred "
                           "but never flushed (no RESOURCE_FLUSH of it while it was shown), so "
                           "the display %s", r->id, scanout,
                 s->flushes ? "still shows what an earlier resource left there"
                            : "was never updated");
        return true;
    }
    buf[0] = 0;
    return false;
}
