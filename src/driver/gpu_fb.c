/* gpu_fb.c — see gpu_fb.h. */
#include "driver/gpu_fb.h"

#include "driver/gpu_internal.h"
#include "driver/virtio_hal.h"

#define FB_MAX_ENTRIES 64u       /* a request slot holds (4096 - 32) / 16 = 254 */
#define FB_CHUNK_MIN (64u << 10) /* backing entries of at least 64 KiB */

int gpu_fb_set_mode(struct gpu_fb *fb, struct vgpu *g, uint32_t scanout, uint32_t id,
                    uint32_t width, uint32_t height)
{
    if (!fb || !g || id == 0 || width == 0 || height == 0 || width > 16384 || height > 16384)
        return VIRTIO_ERR_INVALID;
    if (fb->g && fb->id == id)
        return VIRTIO_ERR_INVALID; /* the new mode needs a resource of its own */
    struct gpu_fb old = *fb;
    bool had = fb->g && fb->id;
    uint64_t bytes = (uint64_t)width * height * 4;
    uint64_t phys = 0;
    uint8_t *mem = vhal_dma_alloc(bytes, 4096, VHAL_DMA_FRAMEBUFFER, &phys);
    if (!mem)
        return VIRTIO_ERR_NOMEM;
    int rc = vgpu_resource_create_2d(g, id, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, width, height);
    if (rc != VIRTIO_OK) {
        vhal_dma_free(mem, bytes);
        return rc;
    }
    /* The backing in several entries, as a kernel's scattered pages would be (§5.7.6.8). */
    uint64_t chunk = (bytes + FB_MAX_ENTRIES - 1) / FB_MAX_ENTRIES;
    chunk = (chunk + 4095) & ~4095ull;
    if (chunk < FB_CHUNK_MIN)
        chunk = FB_CHUNK_MIN;
    struct virtio_gpu_mem_entry e[FB_MAX_ENTRIES];
    uint32_t n = 0;
    for (uint64_t off = 0; off < bytes && n < FB_MAX_ENTRIES; off += chunk, n++) {
        e[n].addr = phys + off;
        e[n].length = (uint32_t)(bytes - off < chunk ? bytes - off : chunk);
        e[n].padding = 0;
    }
    rc = vgpu_attach_backing(g, id, e, n);
    struct virtio_gpu_rect r = {0, 0, width, height};
    if (rc == VIRTIO_OK)
        rc = vgpu_set_scanout(g, scanout, id, r);
    if (rc != VIRTIO_OK) {
        vgpu_resource_unref(g, id); /* best effort: the mode failed anyway */
        vhal_dma_free(mem, bytes);
        return rc;
    }
    fb->g = g;
    fb->scanout = scanout;
    fb->id = id;
    fb->width = width;
    fb->height = height;
    fb->stride = width * 4;
    fb->mem = mem;
    fb->phys = phys;
    fb->bytes = bytes;
    fb->n_entries = n;
    fb->dirty = false;
    if (had) { /* the old resource is replaced (on another scanout, that one goes dark) */
        if ((rc = vgpu_detach_backing(g, old.id)) != VIRTIO_OK ||
            (rc = vgpu_resource_unref(g, old.id)) != VIRTIO_OK)
            return rc;
        vhal_dma_free(old.mem, old.bytes);
    }
    return VIRTIO_OK;
}

static void damage(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    if (!fb->dirty) {
        fb->damage = (struct virtio_gpu_rect){x, y, w, h};
        fb->dirty = true;
        return;
    }
    struct virtio_gpu_rect *d = &fb->damage;
    uint32_t x1 = d->x + d->width > x + w ? d->x + d->width : x + w;
    uint32_t y1 = d->y + d->height > y + h ? d->y + d->height : y + h;
    d->x = d->x < x ? d->x : x;
    d->y = d->y < y ? d->y : y;
    d->width = x1 - d->x;
    d->height = y1 - d->y;
}

/* One pixel at p: bytes B, G, R, X. On a little-endian CPU that is one word store. */
static inline void store_at(uint8_t *p, uint32_t rgb)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v = (rgb & 0xffffffu) | 0xff000000u;
    __builtin_memcpy(p, &v, 4); /* inlined: a fixed size (no libc in the driver) */
#else
    p[0] = (uint8_t)rgb;         /* B */
    p[1] = (uint8_t)(rgb >> 8);  /* G */
    p[2] = (uint8_t)(rgb >> 16); /* R */
    p[3] = 0xff;                 /* X */
#endif
}

static void store(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t rgb)
{
    store_at(fb->mem + (uint64_t)y * fb->stride + (uint64_t)x * 4, rgb);
}

/* Row y's first pixel: computed once per row (a byte store may alias *fb: the compiler would
 * reload fb->mem and fb->stride for every pixel). */
static uint8_t *row_at(const struct gpu_fb *fb, uint32_t y)
{
    return fb->mem + (uint64_t)y * fb->stride;
}

void gpu_fb_put_pixel(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t rgb)
{
    if (!fb || !fb->mem || x >= fb->width || y >= fb->height)
        return;
    store(fb, x, y, rgb);
    damage(fb, x, y, 1, 1);
}

void gpu_fb_put_row(struct gpu_fb *fb, uint32_t y, const uint32_t *rgb, uint32_t n)
{
    if (!fb || !fb->mem || !rgb || y >= fb->height || !n)
        return;
    if (n > fb->width)
        n = fb->width;
    uint8_t *row = row_at(fb, y);
    for (uint32_t x = 0; x < n; x++)
        store_at(row + (uint64_t)x * 4, rgb[x]);
    damage(fb, 0, y, n, 1);
}

void gpu_fb_fill_rect(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                      uint32_t rgb)
{
    if (!fb || !fb->mem || x >= fb->width || y >= fb->height || !w || !h)
        return;
    if (w > fb->width - x)
        w = fb->width - x;
    if (h > fb->height - y)
        h = fb->height - y;
    for (uint32_t j = 0; j < h; j++) {
        uint8_t *row = row_at(fb, y + j) + (uint64_t)x * 4;
        for (uint32_t i = 0; i < w; i++)
            store_at(row + (uint64_t)i * 4, rgb);
    }
    damage(fb, x, y, w, h);
}

int gpu_fb_present(struct gpu_fb *fb)
{
    if (!fb || !fb->g || !fb->id)
        return VIRTIO_ERR_INVALID;
    if (!fb->dirty)
        return VIRTIO_OK;
    struct virtio_gpu_rect r = fb->damage;
    uint64_t offset = (uint64_t)r.y * fb->stride + (uint64_t)r.x * 4;
    vgpu_batch_begin(fb->g);
    int rc = vgpu_transfer_to_host_2d(fb->g, fb->id, r, offset);
    if (rc == VIRTIO_OK)
        rc = vgpu_resource_flush(fb->g, fb->id, r);
    int end = vgpu_batch_end(fb->g);
    if (rc == VIRTIO_OK)
        rc = end;
    if (rc == VIRTIO_OK)
        fb->dirty = false;
    return rc;
}

int gpu_fb_disable(struct gpu_fb *fb)
{
    if (!fb || !fb->g || !fb->id)
        return VIRTIO_ERR_INVALID;
    struct virtio_gpu_rect none = {0, 0, 0, 0};
    int rc = vgpu_set_scanout(fb->g, fb->scanout, 0, none);
    if (rc == VIRTIO_OK)
        rc = vgpu_detach_backing(fb->g, fb->id);
    if (rc == VIRTIO_OK)
        rc = vgpu_resource_unref(fb->g, fb->id);
    if (rc == VIRTIO_OK) {
        vhal_dma_free(fb->mem, fb->bytes);
        fb->id = 0;
        fb->mem = 0;
        fb->dirty = false;
    }
    return rc;
}
