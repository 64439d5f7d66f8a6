/* virtio_gpu.h — virtio-gpu 2D driver (§5.7) over any transport (virtio_transport.h): a probed
 * transport the caller gives (vgpu_config.transport), or virtio-mmio at vgpu_config.mmio_base.
 *
 * Control commands (§5.7.6.8) are built in DMA request slots and sent as two-descriptor chains
 * (readable command, writable response). One command is normally sent and waited for with a
 * bounded poll of the used ring; between vgpu_batch_begin and vgpu_batch_end up to
 * VGPU_MAX_INFLIGHT commands are queued, published with one notification, and then collected
 * in any order the device returns them. A command that gets no answer before the deadline
 * returns VIRTIO_ERR_TIMEOUT; its buffers stay owned by the device, so the driver refuses
 * further commands (VIRTIO_ERR_BROKEN) until it is initialised again.
 *
 * Fences (§5.7.6.7): with `fences` set, every control command carries VIRTIO_GPU_FLAG_FENCE and
 * a fresh fence id; an answer that does not echo both is VGPU_ERR_FENCE.
 *
 * Every error response code maps to its own status (enum vgpu_status), so a caller can tell
 * ERR_INVALID_RESOURCE_ID from ERR_INVALID_PARAMETER without looking at the wire.
 *
 * The cursor queue (queue 1, §5.7.6.9) is set up when `cursor` is asked for in the config.
 * Cursor commands get no response payload (used.len 0); the driver waits for the element only
 * to reclaim the buffer.
 */
#ifndef VIRTIO_GPU_H
#define VIRTIO_GPU_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"

/* Driver status values beyond enum virtio_status: one per gpu response code (§5.7.6.7). */
enum vgpu_status {
    VGPU_ERR_UNSPEC = -100,              /* VIRTIO_GPU_RESP_ERR_UNSPEC */
    VGPU_ERR_OUT_OF_MEMORY = -101,       /* VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY */
    VGPU_ERR_INVALID_SCANOUT_ID = -102,  /* VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID */
    VGPU_ERR_INVALID_RESOURCE_ID = -103, /* VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID */
    VGPU_ERR_INVALID_CONTEXT_ID = -104,  /* VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID */
    VGPU_ERR_INVALID_PARAMETER = -105,   /* VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER */
    VGPU_ERR_UNEXPECTED_RESPONSE = -106, /* an OK of another kind, or an unknown code */
    VGPU_ERR_SHORT_RESPONSE = -107,      /* used.len shorter than the response needs */
    VGPU_ERR_FENCE = -108,               /* the fence flag or id was not echoed */
    VGPU_ERR_BAD_EDID = -109,            /* EDID block with a bad header, size or checksum */
    VGPU_ERR_BAD_DISPLAY_INFO = -110,    /* GET_DISPLAY_INFO with an impossible rectangle */
};

/* The largest display edge the driver believes (QEMU caps a mode at 16384 per edge). */
#define VGPU_MAX_DISPLAY_EDGE 16384u

/* Name of a driver status (virtio_status or vgpu_status). */
const char *vgpu_status_name(int rc);
/* True when rc says the device answered with an error or an unusable response. */
bool vgpu_is_device_error(int rc);
/* True when rc says the request got no answer: VIRTIO_ERR_TIMEOUT, or the deadline's Status
 * read found DEVICE_NEEDS_RESET (VIRTIO_ERR_NEEDS_RESET) or a device that reset itself
 * (VIRTIO_ERR_DEVICE_RESET). A harness counts all three as a timeout. */
bool vgpu_is_no_answer(int rc);
/* The driver status for a response type (VIRTIO_OK for `expect`). */
int vgpu_status_from_response(uint32_t type, uint32_t expect);

/* The optional features this driver implements and so may accept (§2.2): cfg->features is
 * masked with it, so a feature the driver has no code for is never accepted, whatever the caller
 * asks. INDIRECT_DESC: vq_enable_indirect. IN_ORDER: vq_set_in_order (descriptors in ring order,
 * batched used elements). EVENT_IDX: vq_set_event_idx (kicks by avail_event, interrupts by
 * used_event). EDID: GET_EDID. NOTIFY_ON_EMPTY, ANY_LAYOUT (legacy): they bind the device, not
 * the driver. RING_PACKED: every queue a packed ring (§2.7, vq_packed.c). RESOURCE_BLOB,
 * RESOURCE_UUID (1.2): gpu_blob_uuid.c. Not here: VIRGL (no 3D), CONTEXT_INIT (contexts are 3D),
 * ACCESS_PLATFORM (no IOMMU translation in the HAL), ORDER_PLATFORM, SR_IOV (PCI).
 * VERSION_1 is added by the transport on modern devices. One mask, so other features join by
 * extending it. */
#define VGPU_DRIVER_FEATURES                                                                    \
    ((1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_GPU_F_EDID) |                      \
     (1ull << VIRTIO_F_NOTIFY_ON_EMPTY) | (1ull << VIRTIO_F_ANY_LAYOUT) |                        \
     (1ull << VIRTIO_F_IN_ORDER) | (1ull << VIRTIO_RING_F_EVENT_IDX) |                          \
     (1ull << VIRTIO_F_RING_PACKED) | (1ull << VIRTIO_F_NOTIFICATION_DATA) |                      \
     (1ull << VIRTIO_F_RING_RESET) | (1ull << VIRTIO_GPU_F_RESOURCE_UUID) |                       \
     (1ull << VIRTIO_GPU_F_RESOURCE_BLOB))

/* How the driver waits for an answer (§2.6.14 allows both). */
enum vgpu_wait {
    VGPU_WAIT_POLL = 0,      /* read used.idx until it moves (interrupts acknowledged after) */
    VGPU_WAIT_INTERRUPT = 1, /* sleep until the interrupt line rises; the handler reads
                              * interrupt status and acknowledges it (§4.2.3.4), then used.idx */
};

struct vgpu_config {
    struct virtio_transport *transport; /* probed by the caller (vpci_probe, ...), or NULL: */
    uintptr_t mmio_base;        /* virtio-mmio probed here by vgpu_init */
    uint16_t queue_size;        /* control queue entries (2 … QueueNumMax) */
    enum vq_layout_kind layout; /* modern devices: SEPARATE or PACKED */
    uint32_t legacy_align;      /* legacy devices: QueueAlign (a power of two, usually 4096) */
    uint64_t timeout_ns;        /* per command and per register wait */
    enum vgpu_wait wait;
    uint64_t features;          /* optional features to accept when offered (§2.2), within
                                 * VGPU_DRIVER_FEATURES */
    bool fences;                /* fence every control command (§5.7.6.7) */
    bool cursor;                /* set up the cursor queue (queue 1) */
    enum vq_used_len_policy used_len; /* used len above the writable bytes: strict (error,
                                 * default) or lenient (clamped) — see virtqueue.h */
};

#define VGPU_MAX_INFLIGHT 8u
#define VGPU_REQ_BYTES 4096u
#define VGPU_RESP_BYTES 2048u

struct vgpu_slot {
    void *req, *resp;           /* device-readable request, device-writable response */
    uint64_t req_phys, resp_phys;
    bool busy;                  /* posted, answer not collected yet */
    bool done;
    uint32_t expect_type, resp_len;
    uint64_t fence_id;          /* 0: not fenced */
    int status;                 /* when done */
    uint32_t resp_type, used_len;
};

struct vgpu {
    struct virtio_transport *t; /* the transport every access goes through: set by vgpu_init
                                 * once its arguments pass, also when the probe then fails */
    struct vmmio mmio;          /* its storage when vgpu_config.transport is NULL */
    struct virtq ctrl;
    struct virtq cursorq;
    bool has_cursor;
    uint64_t timeout_ns;
    struct vgpu_slot slot[VGPU_MAX_INFLIGHT];
    void *req;                  /* slot 0's buffers: the one-at-a-time path */
    void *resp;
    enum vgpu_wait wait;
    uint64_t req_phys, resp_phys;
    void *cur_req;              /* cursor request buffer */
    uint64_t cur_req_phys;
    uint32_t num_scanouts;      /* §5.7.4, read at init and on display events */
    bool fences;
    uint64_t next_fence;        /* last fence id used */
    uint64_t last_fence_done;   /* highest fence id the device completed */
    bool batching;              /* between vgpu_batch_begin and vgpu_batch_end */
    bool stalled;               /* a command timed out: its buffers still belong to the device */
    bool broken;                /* the device proved hostile or broken (a queue latched broken,
                                 * DEVICE_NEEDS_RESET, a self-reset, garbage config): every
                                 * call returns VIRTIO_ERR_BROKEN until vgpu_init */
    int broken_status;          /* the error that latched it */
    /* About the last command, for callers that report: */
    uint32_t last_resp_type;    /* response type the device wrote (0 if none) */
    uint32_t last_used_len;     /* used.len of the answer */
    uint64_t last_wait_ns;      /* how long the driver waited */
    uint64_t last_fence_id;     /* fence id the last command carried (0: none) */
    uint32_t max_inflight;      /* most commands ever in flight at once */
};

/* Probe, reset, negotiate, set up the control queue (and the cursor queue when asked),
 * DRIVER_OK, read num_scanouts (1..16, §5.7.4; anything else is VIRTIO_ERR_BAD_CONFIG and
 * the device is FAILED).
 *
 * What the driver trusts of the device: nothing it can re-check. Every used element is judged
 * against the driver's private state (virtqueue.h), config values are range-checked before use,
 * responses are checked for type, length and fence, and every wait is bounded. A device error
 * latches the driver broken (vgpu_is_broken) rather than being retried. */
int vgpu_init(struct vgpu *g, const struct vgpu_config *cfg);

int vgpu_get_display_info(struct vgpu *g, struct virtio_gpu_resp_display_info *out);
int vgpu_resource_create_2d(struct vgpu *g, uint32_t id, uint32_t format, uint32_t width,
                            uint32_t height);
/* Several scatter-gather entries are allowed (§5.7.6.8: the backing need not be contiguous). */
int vgpu_attach_backing(struct vgpu *g, uint32_t id, const struct virtio_gpu_mem_entry *entries,
                        uint32_t n);
/* Resource 0 disables the scanout. */
int vgpu_set_scanout(struct vgpu *g, uint32_t scanout, uint32_t id, struct virtio_gpu_rect r);
/* Copy rectangle r of the backing into the host resource; row h of r is read from backing
 * offset `offset + h * width * 4` (the resource's stride). */
int vgpu_transfer_to_host_2d(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r,
                             uint64_t offset);
int vgpu_resource_flush(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r);

/* Reset the device (Status = 0, §2.1): it drops every resource and turns its scanouts off.
 * The driver must be initialised again before the next command (VIRTIO_ERR_BROKEN until then). */
int vgpu_reset(struct vgpu *g);

/* VirtIO 1.2 §2.6.1 (VIRTIO_F_RING_RESET negotiated): reset queue `queue` (control or cursor)
 * alone — QueueReset written and read back as 0 — and enable it again with new rings as `cfg`
 * (the one vgpu_init was given) sets them up. What was in flight on it is lost. VIRTIO_ERR_INVALID
 * without the feature; the device's resources and scanouts are untouched. */
int vgpu_reset_queue(struct vgpu *g, const struct vgpu_config *cfg, uint32_t queue);

/* True when every command will return VIRTIO_ERR_BROKEN (a timed-out command still owned by
 * the device, or a latched device error) until vgpu_init. */
bool vgpu_is_broken(const struct vgpu *g);

/* gpu_commands.c */
int vgpu_resource_unref(struct vgpu *g, uint32_t id);
int vgpu_detach_backing(struct vgpu *g, uint32_t id);
/* VIRTIO_GPU_CMD_GET_EDID: only when VIRTIO_GPU_F_EDID was negotiated (VIRTIO_ERR_INVALID
 * otherwise). Copies up to `cap` bytes of the EDID into `edid`, its size into *size, and checks
 * the base block (header and checksum). */
int vgpu_get_edid(struct vgpu *g, uint32_t scanout, uint8_t *edid, uint32_t cap, uint32_t *size);
/* Preferred mode of an EDID base block (first detailed timing descriptor). */
int vgpu_edid_preferred_mode(const uint8_t *edid, uint32_t size, uint32_t *width,
                             uint32_t *height);
/* Several requests in flight: commands issued between begin and end are queued and published
 * together; end waits for all of them and returns the first failure (in issue order). */
void vgpu_batch_begin(struct vgpu *g);
int vgpu_batch_end(struct vgpu *g);
/* §5.7.4.2: read events_read (generation protocol), and when VIRTIO_GPU_EVENT_DISPLAY is set
 * clear it through events_clear, acknowledge the configuration interrupt and read num_scanouts
 * again. *events gets what was pending. The caller then asks GET_DISPLAY_INFO. Bits no event
 * defines, or num_scanouts outside 1..16, are VIRTIO_ERR_BAD_CONFIG (nothing is cleared, the
 * driver latches broken). */
int vgpu_handle_config_event(struct vgpu *g, uint32_t *events);

/* gpu_cursor.c (§5.7.6.9). The cursor resource must be 64x64, backed, transferred, and that
 * transfer completed (fenced) before UPDATE_CURSOR. */
int vgpu_update_cursor(struct vgpu *g, uint32_t scanout, uint32_t id, uint32_t x, uint32_t y,
                       uint32_t hot_x, uint32_t hot_y);
int vgpu_move_cursor(struct vgpu *g, uint32_t scanout, uint32_t x, uint32_t y);

/* gpu_blob_uuid.c: what VirtIO 1.2 adds (1.2 §5.7.6.8). Each returns VIRTIO_ERR_INVALID, sending
 * nothing, when its feature was not negotiated.
 * A blob resource (VIRTIO_GPU_F_RESOURCE_BLOB) is `size` bytes of guest memory, given in its
 * creation (blob_mem GUEST, blob_flags USE_SHAREABLE): the device reads the pixels from those
 * pages, there is no transfer; the entries must cover `size`. */
int vgpu_resource_create_blob(struct vgpu *g, uint32_t id, uint64_t size,
                              const struct virtio_gpu_mem_entry *entries, uint32_t n);
/* Show a blob resource: a width x height image of `format` (a 2D format) at byte `offset` of the
 * blob, rows `stride` bytes apart; r is the part shown. id 0 turns the scanout off. */
struct vgpu_blob_scanout {
    uint32_t scanout, id, format, width, height, stride, offset;
    struct virtio_gpu_rect r;
};
int vgpu_set_scanout_blob(struct vgpu *g, const struct vgpu_blob_scanout *b);
/* RESOURCE_ASSIGN_UUID (VIRTIO_GPU_F_RESOURCE_UUID): the UUID the device exports resource id
 * as, into uuid. */
int vgpu_assign_uuid(struct vgpu *g, uint32_t id, uint8_t uuid[16]);
/* Send a command exactly as given (len bytes, its header's type and flags untouched but for the
 * fence the driver adds when fencing), expecting `expect_type` in a response of resp_len bytes.
 * For a harness replaying another driver: nothing is checked against the features. */
int vgpu_send_raw(struct vgpu *g, const void *cmd, uint32_t len, uint32_t resp_len,
                  uint32_t expect_type);

#endif /* VIRTIO_GPU_H */
