/* scenario_device.c — `device:`: the virtio-mmio device a scenario runs against (transport,
 * profile, what it offers and withholds, its displays) and the machine around it (RAM, window,
 * memory model, latency). */
#include <stdbool.h>
#include <stdint.h>

#include "harness/scenario_internal.h"
#include "model/transport/mmio_device.h"
#include "spec/virtio_spec.h"

/* device.display: one mode ({width, height}), or a list of them, one per scanout. */
static int parse_display_modes(struct scn_ctx *c, const struct ynode *disp, struct scenario *s)
{
    if (disp && disp->kind == YN_SEQ) { /* one mode per scanout */
        if (disp->n == 0 || disp->n > VIRTIO_GPU_MAX_SCANOUTS)
            return scn_fail(c, disp, "device.display lists 1 to %u scanouts",
                            VIRTIO_GPU_MAX_SCANOUTS);
        static const char *const dk[] = {"width", "height", NULL};
        for (size_t i = 0; i < disp->n; i++) {
            uint32_t *w = i ? &s->extra_width[i - 1] : &s->display_width;
            uint32_t *h = i ? &s->extra_height[i - 1] : &s->display_height;
            if (i) {
                *w = QEMU_GPU_XRES;
                *h = QEMU_GPU_YRES;
            }
            if (scn_check_keys(c, disp->items[i], "device.display[]", dk) ||
                scn_get_u32(c, disp->items[i], "width", 16, 8192, w) ||
                scn_get_u32(c, disp->items[i], "height", 16, 8192, h))
                return -1;
        }
        s->n_extra_scanouts = (uint32_t)disp->n - 1;
    } else if (disp) {
        static const char *const dk[] = {"width", "height", NULL};
        if (scn_check_keys(c, disp, "device.display", dk) ||
            scn_get_u32(c, disp, "width", 16, 8192, &s->display_width) ||
            scn_get_u32(c, disp, "height", 16, 8192, &s->display_height))
            return -1;
    }
    return 0;
}

/* device.ram and device.mmio_base: where guest RAM and the device's register window lie. */
static int parse_memory_map(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    const struct ynode *ram = ymap_get(d, "ram");
    if (ram) {
        static const char *const rk[] = {"base", "size", NULL};
        if (scn_check_keys(c, ram, "device.ram", rk) ||
            scn_get_u64(c, ram, "base", 0, 0xffff00000000ull, &s->ram_base) ||
            scn_get_u64(c, ram, "size", 1u << 24, 1ull << 34, &s->ram_size))
            return -1;
        if (s->ram_base % 4096 || s->ram_size % 4096)
            return scn_fail(c, ram, "RAM base and size must be multiples of 4096");
    }
    if (scn_get_u64(c, d, "mmio_base", 0, UINT32_MAX, &s->mmio_base))
        return -1;
    if (s->mmio_base % 4)
        return scn_fail(c, ymap_get(d, "mmio_base"), "mmio_base must be 4-byte aligned");
    if (s->mmio_base + VIRTIO_MMIO_WINDOW_SIZE > s->ram_base &&
        s->mmio_base < s->ram_base + s->ram_size)
        return scn_fail(c, d, "the MMIO window overlaps guest RAM");
    return 0;
}

int scn_parse_device(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    static const char *const keys[] = {"transport", "profile", "display", "latency_us", "ram",
                                       "mmio_base", "offer", "withhold", "magic", "version",
                                       "device_id", "config_change", "memory", "type", "disk",
                                       "entropy", "input", "ring", "net", NULL};
    if (scn_check_keys(c, d, "device", keys) || scn_parse_device_type(c, d, s))
        return -1;
    static const char *const transports[] = {"legacy", "modern", NULL};
    const struct ynode *t = ymap_get(d, "transport");
    if (!t)
        return scn_fail(c, d, "device needs 'transport: modern' or 'transport: legacy'");
    int tr = 0;
    if (scn_choose(c, d, "transport", transports, &tr))
        return -1;
    s->transport_version = (uint32_t)tr + 1;
    static const char *const profiles[] = {"qemu", "strict", NULL};
    int prof = 0;
    if (scn_choose(c, d, "profile", profiles, &prof))
        return -1;
    s->profile = (uint32_t)prof;
    if (scn_get_u32(c, d, "magic", 1, UINT32_MAX, &s->magic) ||
        scn_get_u32(c, d, "version", 1, UINT32_MAX, &s->version_shown))
        return -1;
    if (ymap_get(d, "device_id")) {
        s->device_id_set = true;
        if (scn_get_u32(c, d, "device_id", 0, UINT32_MAX, &s->device_id))
            return -1;
    }
    const struct ynode *cc = ymap_get(d, "config_change");
    if (cc) {
        static const char *const ck[] = {"after_reads", NULL};
        if (scn_check_keys(c, cc, "device.config_change", ck))
            return -1;
        if (!ymap_get(cc, "after_reads"))
            return scn_fail(c, cc, "config_change needs 'after_reads'");
        if (scn_get_u32(c, cc, "after_reads", 1, 1000000, &s->config_change_after))
            return -1;
    }
    if (parse_display_modes(c, ymap_get(d, "display"), s))
        return -1;
    uint64_t lat = s->latency_ns / 1000;
    if (scn_get_u64(c, d, "latency_us", 0, 60000000, &lat))
        return -1;
    s->latency_ns = lat * 1000;
    if (parse_memory_map(c, d, s))
        return -1;
    if (scn_get_features(c, d, "offer", &s->device_offer) ||
        scn_get_features(c, d, "withhold", &s->device_withhold))
        return -1;
    /* `ring: packed` is QEMU's packed=on: the device offers VIRTIO_F_RING_PACKED (§2.7). */
    static const char *const rings[] = {"split", "packed", NULL};
    int ring = 0;
    if (scn_choose(c, d, "ring", rings, &ring))
        return -1;
    s->ring_packed = ring == 1;
    if (s->ring_packed)
        s->device_offer |= 1ull << VIRTIO_F_RING_PACKED;
    if (s->device_offer & s->device_withhold)
        return scn_fail(c, d, "a feature is both in 'offer' and in 'withhold'");
    static const char *const memories[] = {"strong", "weak", NULL}; /* barrier_check.h */
    int mem = s->weak_memory;
    if (scn_choose(c, d, "memory", memories, &mem))
        return -1;
    s->weak_memory = mem == 1;
    return 0;
}
