/* gpu_device.c — the virtio-gpu as a device model (device.h): its type and what QEMU 7.2's
 * offers, its lifecycle and reset, its configuration space (§5.7.4) and the host's display
 * changes; the names reports give its commands. The queues are gpu_queues.c's. See
 * gpu_device.h and gpu_internal.h.
 */
#include "model/devices/gpu_device.h"

#include <stdlib.h>
#include <string.h>

#include "model/devices/gpu_internal.h"

#define GPU_MAX_HOSTMEM (256ull << 20) /* QEMU's max_hostmem default: for all resources together */

const char gpu_note_short_header[] = "command shorter than the 24-byte header: never answered";
const char gpu_note_resp_truncated[] = "response truncated: the writable buffer is too short";

const char *scanout_state_name(enum scanout_state s)
{
    switch (s) {
    case SCANOUT_ACTIVE: return "active";
    case SCANOUT_INACTIVE: return "inactive";
    default: return "not-initialized";
    }
}

const char *gpu_cmd_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO: return "GET_DISPLAY_INFO";
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: return "RESOURCE_CREATE_2D";
    case VIRTIO_GPU_CMD_RESOURCE_UNREF: return "RESOURCE_UNREF";
    case VIRTIO_GPU_CMD_SET_SCANOUT: return "SET_SCANOUT";
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH: return "RESOURCE_FLUSH";
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: return "TRANSFER_TO_HOST_2D";
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: return "RESOURCE_ATTACH_BACKING";
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: return "RESOURCE_DETACH_BACKING";
    case VIRTIO_GPU_CMD_GET_EDID: return "GET_EDID";
    default: return gpu_cmd_name_1_2(type); /* gpu_blob.c */
    }
}

const char *gpu_resp_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_GPU_RESP_ERR_UNSPEC: return "ERR_UNSPEC";
    case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY: return "ERR_OUT_OF_MEMORY";
    case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID: return "ERR_INVALID_SCANOUT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID: return "ERR_INVALID_RESOURCE_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID: return "ERR_INVALID_CONTEXT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER: return "ERR_INVALID_PARAMETER";
    default: return NULL;
    }
}

bool gpu_device_add_scanout(struct gpu_device *g, uint32_t width, uint32_t height)
{
    if (g->n_scanouts >= VIRTIO_GPU_MAX_SCANOUTS)
        return false;
    struct gpu_scanout *s = &g->scanouts[g->n_scanouts++];
    memset(s, 0, sizeof(*s));
    s->width = width;
    s->height = height;
    s->enabled = true;
    s->fb = calloc((size_t)width * height, 3);
    return true;
}

static int gpu_create(const struct machine_config *cfg, void **state)
{
    struct gpu_device *g = calloc(1, sizeof(*g));
    if (!g)
        return -1;
    gpu_device_add_scanout(g, cfg->display_width, cfg->display_height);
    g->max_hostmem = GPU_MAX_HOSTMEM;
    /* VirtIO 1.2 (gpu_blob.c): a scenario's `offer:` enables them, as QEMU's blob=true would */
    g->blob_enabled = cfg->offer_add >> VIRTIO_GPU_F_RESOURCE_BLOB & 1u;
    g->uuid_enabled = cfg->offer_add >> VIRTIO_GPU_F_RESOURCE_UUID & 1u;
    for (uint32_t i = 0; i < cfg->n_extra_scanouts && i < 15; i++)
        gpu_device_add_scanout(g, cfg->extra_width[i], cfg->extra_height[i]);
    *state = g;
    return 0;
}

static void gpu_destroy(void *state)
{
    struct gpu_device *g = state;
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        gpu_present_discard(&g->scanouts[i]);
    for (uint32_t i = 0; i < g->n_res; i++)
        gpu_resource_free(&g->res[i]);
    free(g->res);
    for (uint32_t i = 0; i < g->n_scanouts; i++) {
        free(g->scanouts[i].fb);
        free(g->scanouts[i].cursor.rgba);
    }
    free(g);
}

/* Device reset: resources destroyed; a shown scanout becomes inactive. */
static void gpu_reset(void *state, struct machine *m)
{
    (void)m;
    struct gpu_device *g = state;
    for (uint32_t i = 0; i < g->n_res; i++) {
        gpu_present_resource_gone(g, &g->res[i]);
        gpu_resource_free(&g->res[i]);
    }
    g->n_res = 0;
    g->hostmem = 0;
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        gpu_scanout_disable(&g->scanouts[i]);
    /* QEMU's reset leaves virtio_config (events_read) alone */
}

/* §5.7.4: events_read, events_clear, num_scanouts, num_capsets. */
static uint32_t gpu_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)m;
    const struct gpu_device *g = state;
    switch (off) {
    case 0: return g->events_read;
    case 8: return g->n_scanouts; /* num_scanouts */
    default: return 0;            /* events_clear, num_capsets (2D only): 0 */
    }
}

static void gpu_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                             const char **note)
{
    struct gpu_device *g = state;
    if (off == 4) {
        g->events_read &= ~value; /* §5.7.4: events_clear */
        return;
    }
    if (off == 0) /* §5.7.4.1: events_read is the device's; QEMU ignores the write */
        machine_violation(m, "gpu.events-read-no-write", -1,
                          "the driver wrote 0x%x to events_read (config offset 0); events are "
                          "acknowledged through events_clear (offset 4)", value);
    *note = "ignored: read-only gpu config field";
}

/* The host's configuration changes (device.config_change): a display was plugged in. */
static const char *gpu_config_change(void *state, struct machine *m)
{
    (void)m;
    struct gpu_device *g = state;
    g->events_read |= VIRTIO_GPU_EVENT_DISPLAY;
    return "configuration changed (device.config_change): events_read |= DISPLAY";
}

/* QEMU 7.2's virtio-gpu-device: EDID (on by default) besides what every device offers. */
static uint64_t gpu_offered_features(uint32_t transport_version)
{
    return (1ull << VIRTIO_GPU_F_EDID) | device_qemu_common_features(transport_version);
}

const struct device_ops gpu_device_ops = {
    .name = "gpu",
    .device_id = VIRTIO_ID_GPU,
    .pci_class = 0x0380, /* virtio-gpu-pci: display, other; vectors 3 */
    .pci_vectors = 3,
    .n_queues = 2,                                  /* controlq, cursorq (§5.7.2) */
    .queue_size = {64, 16},                         /* QEMU's virtio_add_queue sizes */
    .config_size = sizeof(struct virtio_gpu_config), /* four 32-bit words (§5.7.4) */
    .offered_features = gpu_offered_features,
    .create = gpu_create,
    .destroy = gpu_destroy,
    .reset = gpu_reset,
    .config_read = gpu_config_read,
    .config_write = gpu_config_write,
    .config_change = gpu_config_change,
    .process_queue = gpu_process_queue,
};

struct gpu_device *gpu_of(const struct machine *m)
{
    return m->device.ops == &gpu_device_ops ? m->device.state : NULL;
}

int gpu_device_display_change(struct machine *m, uint32_t scanout, uint32_t width,
                              uint32_t height, bool enabled)
{
    struct gpu_device *g = gpu_of(m);
    if (!g || scanout >= g->n_scanouts || width == 0 || height == 0)
        return -1;
    struct gpu_scanout *s = &g->scanouts[scanout];
    gpu_present(g, s); /* the old picture, complete, is what the new mode keeps */
    uint8_t *fb = calloc((size_t)width * height, 3);
    if (!fb)
        return -1;
    /* The monitor's new picture keeps what fits of the old one until the guest redraws. */
    for (uint32_t y = 0; y < height && y < s->height; y++)
        memcpy(fb + (size_t)y * width * 3, s->fb + (size_t)y * s->width * 3,
               (size_t)(width < s->width ? width : s->width) * 3);
    free(s->fb);
    s->fb = fb;
    s->width = width;
    s->height = height;
    s->enabled = enabled;
    g->events_read |= VIRTIO_GPU_EVENT_DISPLAY;
    g->display_events++;
    machine_trace(m, TR_DEVICE, scanout, (uint64_t)width << 32 | height, 0,
                  "display changed: events_read |= VIRTIO_GPU_EVENT_DISPLAY");
    mmio_device_notify_config(m);
    return 0;
}
