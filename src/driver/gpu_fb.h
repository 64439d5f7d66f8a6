/* gpu_fb.h — a framebuffer on one scanout, the API a kernel's display code calls: set a mode,
 * draw into guest memory, present what changed. Built on the virtio-gpu 2D commands (§5.7.6.1,
 * §5.7.6.2): a mode is a B8G8R8X8 resource with its backing in several scatter-gather entries,
 * shown on the scanout; present sends TRANSFER_TO_HOST_2D and RESOURCE_FLUSH of the changed
 * rectangle together (two requests in flight, one notification).
 */
#ifndef GPU_FB_H
#define GPU_FB_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_gpu.h"

struct gpu_fb {
    struct vgpu *g;
    uint32_t scanout;
    uint32_t id;                /* the resource shown; 0 when no mode is set */
    uint32_t width, height, stride;
    uint8_t *mem;               /* the framebuffer in guest memory (B,G,R,X per pixel) */
    uint64_t phys;
    uint64_t bytes;
    uint32_t n_entries;         /* scatter-gather entries of the backing */
    bool dirty;
    struct virtio_gpu_rect damage; /* union of what changed since the last present */
};

/* Show a width×height framebuffer on `scanout` as resource `id`. With a mode already set, the
 * new resource is shown first and the old one is then detached and unreferenced (its scanout,
 * if another, goes dark). */
int gpu_fb_set_mode(struct gpu_fb *fb, struct vgpu *g, uint32_t scanout, uint32_t id,
                    uint32_t width, uint32_t height);
/* Draw (guest memory only; nothing reaches the device before gpu_fb_present). Out-of-range
 * coordinates are clipped. */
void gpu_fb_put_pixel(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t rgb);
/* Pixels 0..n-1 of row y from rgb[] (0xRRGGBB each), as n gpu_fb_put_pixel calls would draw them
 * (the damage is the same union) at a fraction of the cost. */
void gpu_fb_put_row(struct gpu_fb *fb, uint32_t y, const uint32_t *rgb, uint32_t n);
void gpu_fb_fill_rect(struct gpu_fb *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                      uint32_t rgb);
/* Transfer and flush the damaged rectangle. Nothing to do: VIRTIO_OK. */
int gpu_fb_present(struct gpu_fb *fb);
/* Turn the scanout off (SET_SCANOUT resource 0), detach and unreference the resource. */
int gpu_fb_disable(struct gpu_fb *fb);

#endif /* GPU_FB_H */
