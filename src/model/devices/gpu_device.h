/* gpu_device.h — the virtio-gpu 2D device model (§5.7), with real pixels: its public face. The
 * machine runs it through device.h (gpu_device_ops, listed in device_registry.c) and never names
 * it; the harness, the results and the diagnosis read its state here (gpu_of: scanouts, pixels,
 * why a display is dark) and drive the host's side of it (a display changing mode).
 *
 * Resources are host images; RESOURCE_ATTACH_BACKING records guest pages; TRANSFER_TO_HOST_2D
 * copies from those pages into the image; RESOURCE_FLUSH copies the flushed rectangle of the
 * image into the framebuffer of every scanout that shows it — the picture a monitor would show,
 * which the verdict hashes (converted when it is looked at: gpu_present.c). Validation and error codes follow QEMU 7.2 (hw/display/virtio-gpu.c):
 * truncated bodies are answered OK_NODATA and ignored, truncated headers are never answered,
 * cursor commands are returned with used.len 0 and no payload.
 *
 * Each scanout is in one of QEMU's three display states: not initialized ("Guest has not
 * initialized the display (yet)."), active, or not active ("Display output is not active.",
 * after SET_SCANOUT with resource 0, unref of the shown resource, or a reset).
 */
#ifndef GPU_DEVICE_H
#define GPU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/device.h"
#include "spec/virtio_spec.h"

struct machine;

enum scanout_state { SCANOUT_NOT_INITIALIZED = 0, SCANOUT_ACTIVE, SCANOUT_INACTIVE };

struct gpu_resource {
    uint32_t id, format, width, height;
    uint8_t *pixels;                       /* width*height*4 bytes in the resource's format */
    bool zero;                             /* every byte of pixels 0 (as created; nothing
                                            * written since): a transfer compares against 0 */
    uint8_t *spare;                        /* a buffer of that size for a transfer to write into
                                            * while a pending flush reads `pixels` (gpu_present.c);
                                            * NULL until needed */
    struct virtio_gpu_mem_entry *backing;
    uint32_t n_backing;
    uint32_t transfers, flushes;           /* commands that succeeded on it */
    uint64_t transfer_seq;                 /* command number of the last transfer (0: none) */
    /* VirtIO 1.2 (gpu_blob.c): a blob resource has no host image (pixels NULL, width and height
     * 0): its bytes are the guest pages of `backing`, blob_size of them, read when shown */
    bool blob;
    uint64_t blob_size;
    bool has_uuid;                         /* RESOURCE_ASSIGN_UUID answered for it */
    uint8_t uuid[16];
};

struct gpu_cursor {
    bool visible;
    uint32_t resource_id;
    uint32_t x, y, hot_x, hot_y;
    uint8_t *rgba; /* R,G,B,A, 64x64 (VIRTIO_GPU_CURSOR_SIZE): allocated by the first image
                    * shown, so a device whose cursors never show one stays small (a machine
                    * per fuzz input) */
    uint32_t updates, moves;
};

/* Flushes recorded and not yet converted into the display (gpu_present.c): each rectangle,
 * rows [y0, y1) and columns [x0, x1), of the image at src (src_width pixels a row, the resource's
 * pixels, unchanged since each of these flushes), landing at (x - org_x, y - org_y) of the
 * display; pos: the R, G, B byte positions. */
#define GPU_PENDING_RECTS 16u
struct gpu_pending_rect {
    uint64_t x0, x1, y0, y1;
};
struct gpu_pending {
    uint8_t *src;                          /* NULL: nothing pending */
    bool owned;                            /* src is no longer the resource's: freed with it */
    uint64_t bytes;                        /* …and its size */
    uint32_t res_id;
    uint64_t src_width, org_x, org_y;
    uint8_t pos[3];
    uint32_t n;                            /* rectangles (1..GPU_PENDING_RECTS while src) */
    struct gpu_pending_rect r[GPU_PENDING_RECTS];
};

struct gpu_scanout {
    enum scanout_state state;
    bool enabled;                          /* reported enabled by GET_DISPLAY_INFO */
    uint32_t resource_id;
    uint32_t last_resource_id;             /* the resource shown most recently (for the verdict) */
    struct virtio_gpu_rect r;              /* the part of the resource shown */
    uint32_t width, height;                /* the display mode */
    uint8_t *fb;                           /* what the display shows: width*height*3, R,G,B,
                                            * once `pending` is presented (gpu_scanout_pixels) */
    struct gpu_pending pending;            /* the last flush, not converted yet */
    uint32_t flushes;                      /* flushes that reached this display */
    uint32_t flushes_shown;                /* … of the resource shown now, since SET_SCANOUT */
    struct gpu_cursor cursor;
    /* SET_SCANOUT_BLOB (1.2): how the blob shown is laid out (format 0: a 2D resource shown) */
    struct { uint32_t format, width, height, stride, offset; } blob;
};

struct gpu_device {
    struct gpu_resource *res;
    uint32_t n_res, cap_res;
    uint64_t hostmem;                      /* bytes of all resources' images (QEMU's g->hostmem) */
    uint64_t max_hostmem;                  /* their budget: QEMU's max_hostmem, 256 MiB (a
                                            * harness may lower it, as the fuzz target does) */
    struct gpu_scanout scanouts[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t n_scanouts;
    uint32_t events_read;
    uint32_t commands, errors;
    uint64_t seq;                          /* control commands processed */
    uint64_t fenced_seq;                   /* number of the last fenced command answered */
    uint32_t display_events;
    bool blob_enabled;                     /* QEMU's blob=true: RESOURCE_BLOB offered, the blob
                                            * commands answered (else ERR_INVALID_PARAMETER) */
    bool uuid_enabled;                     /* RESOURCE_UUID offered (beyond QEMU 7.2, which
                                            * answers ASSIGN_UUID ERR_UNSPEC) */
    uint32_t uuid_serial;                  /* UUIDs handed out */
    char why[200];                         /* why the last error answer (gpu_refuse) */
    uint32_t why_resource, why_scanout;    /* …and what it named (UINT32_MAX: no scanout) */
};

/* Trace `what` strings the diagnosis looks for (compare by pointer): a command shorter than the
 * 24-byte header (addr = head, value = readable bytes; never answered, as QEMU parks it), and a
 * response cut short by a small writable buffer (addr = head, value = response size, aux =
 * bytes written). */
extern const char gpu_note_short_header[];
extern const char gpu_note_resp_truncated[];

/* The gpu's device type (device.h): what device_registry.c lists as "gpu". */
extern const struct device_ops gpu_device_ops;

/* The gpu machine m holds, or NULL when its device is not a gpu (or m was never set up). Const
 * in, mutable out, as strchr: the harness reads it, tests and the fuzz target also set it up. */
struct gpu_device *gpu_of(const struct machine *m);

/* One more scanout (QEMU's max_outputs), reported enabled: as QEMU once its display UI has
 * sized that output (at realize QEMU enables only output 0). False when there are
 * VIRTIO_GPU_MAX_SCANOUTS already. */
bool gpu_device_add_scanout(struct gpu_device *g, uint32_t width, uint32_t height);
/* The host's display changes mode (a monitor resized): the new mode is reported by
 * GET_DISPLAY_INFO, events_read gets VIRTIO_GPU_EVENT_DISPLAY and a configuration interrupt is
 * raised (§5.7.4.2), as QEMU's virtio_gpu_ui_info → virtio_notify_config. 0, or -1 when m's
 * device is not a gpu, the scanout does not exist, a size is 0 or memory ran out. */
int gpu_device_display_change(struct machine *m, uint32_t scanout, uint32_t width,
                              uint32_t height, bool enabled);
const char *scanout_state_name(enum scanout_state s);
/* The name of a control command type ("RESOURCE_CREATE_2D") and of a response type
 * ("ERR_INVALID_RESOURCE_ID"), or NULL. */
const char *gpu_cmd_name(uint32_t type);
const char *gpu_resp_name(uint32_t type);
/* Convert one pixel of a 2D format to R,G,B; false for an unknown format. */
bool gpu_format_to_rgb(uint32_t format, const uint8_t *px, uint8_t rgb[3]);
const struct gpu_resource *gpu_find_resource(const struct gpu_device *g, uint32_t id);

/* gpu_display.c: what a person would see. */
/* The scanout's picture with its cursor composited: width*height*3 bytes (malloc'd), or NULL. */
uint8_t *gpu_display_compose(struct gpu_device *g, uint32_t scanout);
/* The same picture without a copy where no cursor is blended over it: the scanout's framebuffer
 * (valid until the device next changes it), *owned NULL; else the composed copy, also in *owned
 * (the caller frees it). NULL when there is no picture. */
const uint8_t *gpu_display_view(struct gpu_device *g, uint32_t scanout, uint8_t **owned);
/* gpu_present.c: the scanout's framebuffer (width*height*3, R,G,B) with every flush so far in
 * it, or NULL (no such scanout). Read the display through this, not through scanouts[i].fb: a
 * flush is converted when the display is looked at. */
const uint8_t *gpu_scanout_pixels(struct gpu_device *g, uint32_t scanout);
/* Why a scanout shows nothing (or nothing new): one sentence into buf; false when the display
 * got at least one flush of the resource it shows. */
bool gpu_display_explain_dark(const struct gpu_device *g, uint32_t scanout, char *buf,
                              size_t len);

#endif /* GPU_DEVICE_H */
