/* gpu_device.h — the virtio-gpu 2D device model (§5.7), with real pixels.
 *
 * Resources are host images; RESOURCE_ATTACH_BACKING records guest pages; TRANSFER_TO_HOST_2D
 * copies from those pages into the image; RESOURCE_FLUSH copies the flushed rectangle of the
 * image into the scanout's framebuffer — the picture a monitor would show, which the verdict
 * hashes. Validation and error codes follow QEMU 7.2 (hw/display/virtio-gpu.c): truncated
 * bodies are answered OK_NODATA and ignored, truncated headers are never answered.
 */
#ifndef GPU_DEVICE_H
#define GPU_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "../driver/virtio_spec.h"

struct machine;

enum scanout_state { SCANOUT_NOT_INITIALIZED = 0, SCANOUT_ACTIVE, SCANOUT_INACTIVE };

struct gpu_resource {
    uint32_t id, format, width, height;
    uint8_t *pixels;                       /* width*height*4 bytes in the resource's format */
    struct virtio_gpu_mem_entry *backing;
    uint32_t n_backing;
};

struct gpu_scanout {
    enum scanout_state state;
    uint32_t resource_id;
    struct virtio_gpu_rect r;              /* the part of the resource shown */
    uint32_t width, height;                /* the display mode */
    uint8_t *fb;                           /* what the display shows: width*height*3, R,G,B */
    uint32_t flushes;
};

struct gpu_device {
    struct gpu_resource *res;
    uint32_t n_res, cap_res;
    struct gpu_scanout scanout;            /* one scanout, as QEMU's default max_outputs */
    uint32_t events_read;
    uint32_t commands, errors;
};

/* Trace `what` strings the diagnosis looks for (compare by pointer): a command shorter than the
 * 24-byte header (addr = head, value = readable bytes; never answered, as QEMU parks it), and a
 * response cut short by a small writable buffer (addr = head, value = response size, aux =
 * bytes written). */
extern const char gpu_note_short_header[];
extern const char gpu_note_resp_truncated[];

void gpu_device_init(struct gpu_device *g, uint32_t width, uint32_t height);
void gpu_device_destroy(struct gpu_device *g);
/* Device reset: resources destroyed; a shown scanout becomes inactive. */
void gpu_device_reset(struct machine *m);
/* Pop and execute every available request of queue qi, then interrupt once. */
void gpu_device_process_queue(struct machine *m, uint32_t qi);
uint32_t gpu_device_config_read(struct machine *m, uint32_t off);
void gpu_device_config_write(struct machine *m, uint32_t off, uint32_t value, const char **note);
const char *scanout_state_name(enum scanout_state s);
/* Convert one pixel of a 2D format to R,G,B; false for an unknown format. */
bool gpu_format_to_rgb(uint32_t format, const uint8_t *px, uint8_t rgb[3]);

#endif /* GPU_DEVICE_H */
