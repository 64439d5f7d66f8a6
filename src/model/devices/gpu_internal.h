/* gpu_internal.h — what the gpu model's own files share (not for anyone else: the public face is
 * gpu_device.h). The files:
 *   gpu_device.c     the device ops (device.h): lifecycle, reset, config space, display changes
 *   gpu_queues.c     the queues: taking requests, running each command, answering it; the
 *                    commands that only read state (GET_DISPLAY_INFO, GET_EDID) and the cursor
 *   gpu_resources.c  the commands on resources, backing and scanouts: create, unref, attach,
 *                    detach, set scanout, transfer, flush (the pixels)
 *   gpu_display.c    what a person looking at a scanout sees, and why it is dark
 *   gpu_present.c    a flush reaching the display: recorded, converted when looked at
 */
#ifndef GPU_INTERNAL_H
#define GPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "model/devices/gpu_device.h"
#include "model/machine.h"

/* The scanout named by an error answer when the command named none. */
#define NO_SCANOUT UINT32_MAX

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

/* gpu_resources.c */
void gpu_resource_free(struct gpu_resource *r);
/* A scanout goes dark ("Display output is not active." once it was active). */
void gpu_scanout_disable(struct gpu_scanout *s);
/* An error answer `code` and the device's reason for it (kept for the diagnosis: which resource
 * or scanout the command named, and why the device refused it); returns `code`. */
uint32_t gpu_refuse(struct gpu_device *g, uint32_t code, uint32_t resource, uint32_t scanout,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct gpu_resource *gpu_find_res(struct gpu_device *g, uint32_t id);
/* The resource commands: each returns the response type (VIRTIO_GPU_RESP_*). */
uint32_t gpu_cmd_create_2d(struct gpu_device *g, struct machine *m, const struct sr_chain *c);
uint32_t gpu_cmd_unref(struct gpu_device *g, struct machine *m, const struct sr_chain *c);
uint32_t gpu_cmd_attach_backing(struct gpu_device *g, struct machine *m,
                                const struct sr_chain *c);
uint32_t gpu_cmd_detach_backing(struct gpu_device *g, struct machine *m,
                                const struct sr_chain *c);
uint32_t gpu_cmd_set_scanout(struct gpu_device *g, struct machine *m, const struct sr_chain *c);
uint32_t gpu_cmd_transfer_to_host_2d(struct gpu_device *g, struct machine *m,
                                     const struct sr_chain *c);
uint32_t gpu_cmd_resource_flush(struct gpu_device *g, struct machine *m,
                                const struct sr_chain *c);

/* gpu_resources.c, shared with gpu_blob.c: read `n` backing entries at byte `at` of the request
 * and check each is guest RAM (QEMU's virtio_gpu_create_mapping_iov): 0 with *out malloc'd, or
 * the error code to answer (and its reason) */
uint32_t gpu_read_entries(struct gpu_device *g, struct machine *m, const struct sr_chain *c,
                          size_t at, uint32_t n, uint32_t id, struct virtio_gpu_mem_entry **out);
/* `len` bytes of the backing from byte `offset` (fewer when it runs out) */
size_t gpu_backing_read(struct machine *m, const struct gpu_resource *res, uint64_t offset,
                        uint8_t *dst, size_t len);
struct gpu_resource *gpu_new_resource(struct gpu_device *g, uint32_t id);
/* The start of SET_SCANOUT and SET_SCANOUT_BLOB (QEMU): *out the scanout to set; NULL with the
 * answer when it does not exist (ERR_INVALID_SCANOUT_ID) or resource 0 turned it off (OK). */
uint32_t gpu_scanout_select(struct gpu_device *g, uint32_t scanout_id, uint32_t resource_id,
                            struct gpu_scanout **out);

/* gpu_blob.c: what VirtIO 1.2 adds (RESOURCE_BLOB, RESOURCE_UUID), as QEMU 7.2 with blob=true
 * does; a blob resource's flush; the 3D commands' names */
uint32_t gpu_cmd_create_blob(struct gpu_device *g, struct machine *m, const struct sr_chain *c);
uint32_t gpu_cmd_set_scanout_blob(struct gpu_device *g, struct machine *m,
                                  const struct sr_chain *c);
uint32_t gpu_cmd_assign_uuid(struct gpu_device *g, struct machine *m, const struct sr_chain *c,
                             struct virtio_gpu_resp_resource_uuid *resp);
bool gpu_blob_to_display(struct machine *m, const struct gpu_resource *r, struct gpu_scanout *s);
const char *gpu_cmd_name_1_2(uint32_t type);

/* gpu_present.c (see there): flushes recorded, converted when they must be. */
/* A flush of rectangle f of r on s (s shows r): recorded, clipped to what s shows. */
void gpu_flush_pend(struct gpu_device *g, const struct gpu_resource *r, struct gpu_scanout *s,
                    const struct virtio_gpu_rect *f);
/* Convert s's pending flush into its display now (before the display is written or resized). */
void gpu_present(struct gpu_device *g, struct gpu_scanout *s);
/* A transfer is about to write r's pixels (`whole`: every pixel of r). Pending flushes that read
 * them are converted first, or — one of them, a whole-image transfer — keep the buffer: then r
 * writes into a new one and the old is returned (a short transfer copies the rest from it);
 * else NULL. */
uint8_t *gpu_present_before_transfer(struct gpu_device *g, struct gpu_resource *r, bool whole);
/* r's pixels are about to be freed: convert the pending flushes that read them. */
void gpu_present_resource_gone(struct gpu_device *g, const struct gpu_resource *r);
/* The device is destroyed: drop s's pending flush. */
void gpu_present_discard(struct gpu_scanout *s);

/* gpu_queues.c: the process_queue op (device.h). */
uint32_t gpu_process_queue(void *state, struct machine *m, uint32_t qi);

#endif /* GPU_INTERNAL_H */
