/* scenario_driver.c — `driver:`: the built-in driver's settings in a scenario (queue size and
 * layout, where its allocations are pinned, how it waits, the features it accepts, how it
 * accesses its rings). */
#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_hal.h"
#include "harness/scenario_internal.h"

/* driver.place.KEY: one address (the first allocation of that kind) or a list of them (the
 * first, second… allocation, as a real driver's log shows several buffers at fixed places). */
static int get_pins(struct scn_ctx *c, const struct ynode *map, const char *key,
                    struct scenario *s, int use)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n || n->kind != YN_SEQ)
        return scn_get_u64(c, map, key, 0, UINT64_MAX, &s->place[use]);
    if (n->n == 0 || n->n > SCENARIO_MAX_PINS)
        return scn_fail(c, n, "'%s' takes 1 to %u addresses", key, SCENARIO_MAX_PINS);
    for (size_t i = 0; i < n->n; i++) {
        uint64_t v;
        if (!yscalar_u64(n->items[i], &v) || v == 0)
            return scn_fail(c, n->items[i], "'%s' entries must be non-zero addresses (decimal "
                            "or 0x hex)", key);
        if (i == 0)
            s->place[use] = v;
        else
            s->place_next[use][i - 1] = v;
    }
    s->n_place_next[use] = (uint32_t)n->n - 1;
    return 0;
}

int scn_parse_driver(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    static const char *const keys[] = {"queue_size", "layout", "queue_align", "timeout_ms",
                                       "place", "wait", "features", "fences", "ring_access",
                                       "used_len", "event_buffers", "event_bytes", "rx_buffers",
                                       "rx_buffer_bytes", NULL};
    if (scn_check_keys(c, d, "driver", keys))
        return -1;
    /* an input driver's eventq (virtio_input.h): buffers posted, and their size */
    uint32_t eb = 0;
    if (ymap_get(d, "event_buffers")) {
        if (scn_get_u32(c, d, "event_buffers", 0, 64, &eb))
            return -1;
        s->input_event_buffers = (int32_t)eb;
    }
    if (scn_get_u32(c, d, "event_bytes", 1, 8, &s->input_event_bytes))
        return -1;
    /* a net driver's receiveq (virtio_net.h): buffers posted, and their size */
    if (ymap_get(d, "rx_buffers")) {
        if (scn_get_u32(c, d, "rx_buffers", 0, 256, &eb))
            return -1;
        s->net_rx_buffers = (int32_t)eb;
    }
    if (scn_get_u32(c, d, "rx_buffer_bytes", 1, 65562, &s->net_rx_buffer_bytes))
        return -1;
    uint32_t qs = s->queue_size;
    if (scn_get_u32(c, d, "queue_size", 1, 32768, &qs))
        return -1;
    s->queue_size = (uint16_t)qs;
    static const char *const layouts[] = {"separate", "packed", NULL};
    int lay = (int)s->layout;
    if (scn_choose(c, d, "layout", layouts, &lay))
        return -1;
    s->layout = (enum vq_layout_kind)lay;
    static const char *const waits[] = {"poll", "interrupt", NULL};
    int wait = (int)s->wait;
    if (scn_choose(c, d, "wait", waits, &wait))
        return -1;
    s->wait = wait ? VGPU_WAIT_INTERRUPT : VGPU_WAIT_POLL;
    const struct ynode *qa = ymap_get(d, "queue_align");
    if (scn_get_u32(c, d, "queue_align", 1, 1u << 16, &s->queue_align))
        return -1;
    if (s->queue_align & (s->queue_align - 1))
        return scn_fail(c, qa, "queue_align must be a power of two");
    uint64_t ms = s->timeout_ns / 1000000;
    if (scn_get_u64(c, d, "timeout_ms", 1, 3600000, &ms))
        return -1;
    s->timeout_ns = ms * 1000000;
    const struct ynode *p = ymap_get(d, "place");
    if (p) {
        static const char *const pk[] = {"rings", "buffers", "framebuffer", NULL};
        if (scn_check_keys(c, p, "driver.place", pk) ||
            get_pins(c, p, "rings", s, VHAL_DMA_RING) ||
            get_pins(c, p, "buffers", s, VHAL_DMA_BUFFER) ||
            get_pins(c, p, "framebuffer", s, VHAL_DMA_FRAMEBUFFER))
            return -1;
    }
    const struct ynode *fe = ymap_get(d, "fences");
    if (fe && !yscalar_bool(fe, &s->fences))
        return scn_fail(c, fe, "'fences' must be true or false");
    static const char *const accesses[] = {"accessors", "plain", NULL}; /* enum bc_mode */
    if (scn_choose(c, d, "ring_access", accesses, &s->ring_access))
        return -1;
    static const char *const lens[] = {"strict", "lenient", NULL}; /* enum vq_used_len_policy */
    if (scn_choose(c, d, "used_len", lens, &s->used_len))
        return -1;
    if (scn_get_features(c, d, "features", &s->driver_features))
        return -1;
    /* §2.6: a split queue's size is a power of 2 (vq_create refuses any other); a packed
     * ring's is any size up to 32768 (§2.7.10.1). Said here, rather than as a driver error at
     * run time. A driver that writes another size is replayed with a bug (rewrite-mmio-write). */
    bool packed = (scenario_driver_features(s) >> VIRTIO_F_RING_PACKED) & 1;
    if (!packed && (qs & (qs - 1)))
        return scn_fail(c, ymap_get(d, "queue_size"),
                        "queue_size %u is not a power of two, which a split ring's size must be "
                        "(§2.6); a packed ring (device ring: packed) takes any size", qs);
    return 0;
}
