/* scenario.c — see scenario.h. */
#include "harness/scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis.h"
#include "model/transport/mmio_device.h"
#include "spec/rules.h"
#include "util/yaml_tree.h"
#include "spec/feature_names.h"
#include "harness/patterns.h"

#define SCENARIO_MAX_BYTES (1u << 20)

struct ctx {
    const char *file;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const struct ynode *at, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%d:%d: %s", c->file, at ? at->line : 1, at ? at->col : 1, msg);
    return -1;
}

/* Every key of `map` must be one of `allowed` (NULL-terminated). */
static int check_keys(struct ctx *c, const struct ynode *map, const char *where,
                      const char *const *allowed)
{
    if (!map || map->kind != YN_MAP)
        return fail(c, map, "%s must be a mapping", where);
    for (size_t i = 0; i < map->n; i++) {
        const struct ynode *k = ymap_key(map, i);
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, k->str) == 0;
        if (!ok) {
            char list[300] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof(list) - strlen(list) - 1);
                if (a[1])
                    strncat(list, ", ", sizeof(list) - strlen(list) - 1);
            }
            return fail(c, k, "unknown key '%s' in %s (expected one of: %s)", k->str, where, list);
        }
    }
    return 0;
}

static int get_u64(struct ctx *c, const struct ynode *map, const char *key, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0; /* absent: keep the default */
    uint64_t v;
    if (!yscalar_u64(n, &v))
        return fail(c, n, "'%s' must be a number (decimal or 0x hex)", key);
    if (v < min || v > max)
        return fail(c, n, "'%s' is %llu, outside %llu..%llu", key, (unsigned long long)v,
                    (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

/* driver.place.KEY: one address (the first allocation of that kind) or a list of them (the
 * first, second… allocation, as a real driver's log shows several buffers at fixed places). */
static int get_pins(struct ctx *c, const struct ynode *map, const char *key, struct scenario *s,
                    int use)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n || n->kind != YN_SEQ)
        return get_u64(c, map, key, 0, UINT64_MAX, &s->place[use]);
    if (n->n == 0 || n->n > SCENARIO_MAX_PINS)
        return fail(c, n, "'%s' takes 1 to %u addresses", key, SCENARIO_MAX_PINS);
    for (size_t i = 0; i < n->n; i++) {
        uint64_t v;
        if (!yscalar_u64(n->items[i], &v) || v == 0)
            return fail(c, n->items[i], "'%s' entries must be non-zero addresses (decimal or "
                        "0x hex)", key);
        if (i == 0)
            s->place[use] = v;
        else
            s->place_next[use][i - 1] = v;
    }
    s->n_place_next[use] = (uint32_t)n->n - 1;
    return 0;
}

static int get_u32(struct ctx *c, const struct ynode *map, const char *key, uint32_t min,
                   uint32_t max, uint32_t *out)
{
    uint64_t v = *out;
    if (get_u64(c, map, key, min, max, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_str(struct ctx *c, const struct ynode *map, const char *key, const char **out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SCALAR)
        return fail(c, n, "'%s' must be a string", key);
    *out = n->str;
    return 0;
}

static int choose(struct ctx *c, const struct ynode *map, const char *key,
                  const char *const *names, int *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    for (int i = 0; n->kind == YN_SCALAR && names[i]; i++) {
        if (strcmp(names[i], n->str) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[600] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
        if (names[i + 1])
            strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    }
    return fail(c, n, "'%s' must be one of: %s", key, list);
}

static char *dupstr(const char *s) { return s ? strdup(s) : NULL; }

/* A list of feature names (feature_names.h) into a bit mask. */
static int get_features(struct ctx *c, const struct ynode *map, const char *key, uint64_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SEQ)
        return fail(c, n, "'%s' must be a list of feature names, e.g. [event_idx, indirect_desc]",
                    key);
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        int bit = it->kind == YN_SCALAR ? feature_bit(it->str) : -1;
        if (bit < 0) {
            char list[300] = "";
            for (const struct feature_name *f = feature_names; f->name; f++) {
                strncat(list, f->name, sizeof(list) - strlen(list) - 1);
                if (f[1].name)
                    strncat(list, ", ", sizeof(list) - strlen(list) - 1);
            }
            return fail(c, it, "unknown feature in '%s'; known: %s", key, list);
        }
        *out |= 1ull << bit;
    }
    return 0;
}

static int parse_device(struct ctx *c, const struct ynode *d, struct scenario *s)
{
    static const char *const keys[] = {"transport", "profile", "display", "latency_us", "ram",
                                       "mmio_base", "offer", "withhold", "magic", "version",
                                       "device_id", "config_change", "memory", NULL};
    if (check_keys(c, d, "device", keys))
        return -1;
    static const char *const transports[] = {"legacy", "modern", NULL};
    const struct ynode *t = ymap_get(d, "transport");
    if (!t)
        return fail(c, d, "device needs 'transport: modern' or 'transport: legacy'");
    int tr = 0;
    if (choose(c, d, "transport", transports, &tr))
        return -1;
    s->transport_version = (uint32_t)tr + 1;
    static const char *const profiles[] = {"qemu", "strict", NULL};
    int prof = 0;
    if (choose(c, d, "profile", profiles, &prof))
        return -1;
    s->profile = (uint32_t)prof;
    if (get_u32(c, d, "magic", 1, UINT32_MAX, &s->magic) ||
        get_u32(c, d, "version", 1, UINT32_MAX, &s->version_shown))
        return -1;
    if (ymap_get(d, "device_id")) {
        s->device_id_set = true;
        if (get_u32(c, d, "device_id", 0, UINT32_MAX, &s->device_id))
            return -1;
    }
    const struct ynode *cc = ymap_get(d, "config_change");
    if (cc) {
        static const char *const ck[] = {"after_reads", NULL};
        if (check_keys(c, cc, "device.config_change", ck))
            return -1;
        if (!ymap_get(cc, "after_reads"))
            return fail(c, cc, "config_change needs 'after_reads'");
        if (get_u32(c, cc, "after_reads", 1, 1000000, &s->config_change_after))
            return -1;
    }
    const struct ynode *disp = ymap_get(d, "display");
    if (disp && disp->kind == YN_SEQ) { /* one mode per scanout */
        if (disp->n == 0 || disp->n > VIRTIO_GPU_MAX_SCANOUTS)
            return fail(c, disp, "device.display lists 1 to %u scanouts", VIRTIO_GPU_MAX_SCANOUTS);
        static const char *const dk[] = {"width", "height", NULL};
        for (size_t i = 0; i < disp->n; i++) {
            uint32_t *w = i ? &s->extra_width[i - 1] : &s->display_width;
            uint32_t *h = i ? &s->extra_height[i - 1] : &s->display_height;
            if (i) {
                *w = QEMU_GPU_XRES;
                *h = QEMU_GPU_YRES;
            }
            if (check_keys(c, disp->items[i], "device.display[]", dk) ||
                get_u32(c, disp->items[i], "width", 16, 8192, w) ||
                get_u32(c, disp->items[i], "height", 16, 8192, h))
                return -1;
        }
        s->n_extra_scanouts = (uint32_t)disp->n - 1;
    } else if (disp) {
        static const char *const dk[] = {"width", "height", NULL};
        if (check_keys(c, disp, "device.display", dk) ||
            get_u32(c, disp, "width", 16, 8192, &s->display_width) ||
            get_u32(c, disp, "height", 16, 8192, &s->display_height))
            return -1;
    }
    uint64_t lat = s->latency_ns / 1000;
    if (get_u64(c, d, "latency_us", 0, 60000000, &lat))
        return -1;
    s->latency_ns = lat * 1000;
    const struct ynode *ram = ymap_get(d, "ram");
    if (ram) {
        static const char *const rk[] = {"base", "size", NULL};
        if (check_keys(c, ram, "device.ram", rk) ||
            get_u64(c, ram, "base", 0, 0xffff00000000ull, &s->ram_base) ||
            get_u64(c, ram, "size", 1u << 24, 1ull << 34, &s->ram_size))
            return -1;
        if (s->ram_base % 4096 || s->ram_size % 4096)
            return fail(c, ram, "RAM base and size must be multiples of 4096");
    }
    if (get_u64(c, d, "mmio_base", 0, UINT32_MAX, &s->mmio_base))
        return -1;
    if (s->mmio_base % 4)
        return fail(c, ymap_get(d, "mmio_base"), "mmio_base must be 4-byte aligned");
    if (s->mmio_base + VIRTIO_MMIO_WINDOW_SIZE > s->ram_base && s->mmio_base < s->ram_base + s->ram_size)
        return fail(c, d, "the MMIO window overlaps guest RAM");
    if (get_features(c, d, "offer", &s->device_offer) ||
        get_features(c, d, "withhold", &s->device_withhold))
        return -1;
    if (s->device_offer & s->device_withhold)
        return fail(c, d, "a feature is both in 'offer' and in 'withhold'");
    static const char *const memories[] = {"strong", "weak", NULL}; /* barrier_check.h */
    int mem = s->weak_memory;
    if (choose(c, d, "memory", memories, &mem))
        return -1;
    s->weak_memory = mem == 1;
    return 0;
}

static int parse_driver(struct ctx *c, const struct ynode *d, struct scenario *s)
{
    static const char *const keys[] = {"queue_size", "layout", "queue_align", "timeout_ms",
                                       "place", "wait", "features", "fences", "ring_access",
                                       "used_len", NULL};
    if (check_keys(c, d, "driver", keys))
        return -1;
    uint32_t qs = s->queue_size;
    if (get_u32(c, d, "queue_size", 1, 32768, &qs))
        return -1;
    s->queue_size = (uint16_t)qs;
    static const char *const layouts[] = {"separate", "packed", NULL};
    int lay = (int)s->layout;
    if (choose(c, d, "layout", layouts, &lay))
        return -1;
    s->layout = (enum vq_layout_kind)lay;
    static const char *const waits[] = {"poll", "interrupt", NULL};
    int wait = (int)s->wait;
    if (choose(c, d, "wait", waits, &wait))
        return -1;
    s->wait = wait ? VGPU_WAIT_INTERRUPT : VGPU_WAIT_POLL;
    const struct ynode *qa = ymap_get(d, "queue_align");
    if (get_u32(c, d, "queue_align", 1, 1u << 16, &s->queue_align))
        return -1;
    if (s->queue_align & (s->queue_align - 1))
        return fail(c, qa, "queue_align must be a power of two");
    uint64_t ms = s->timeout_ns / 1000000;
    if (get_u64(c, d, "timeout_ms", 1, 3600000, &ms))
        return -1;
    s->timeout_ns = ms * 1000000;
    const struct ynode *p = ymap_get(d, "place");
    if (p) {
        static const char *const pk[] = {"rings", "buffers", "framebuffer", NULL};
        if (check_keys(c, p, "driver.place", pk) ||
            get_pins(c, p, "rings", s, VHAL_DMA_RING) ||
            get_pins(c, p, "buffers", s, VHAL_DMA_BUFFER) ||
            get_pins(c, p, "framebuffer", s, VHAL_DMA_FRAMEBUFFER))
            return -1;
    }
    const struct ynode *fe = ymap_get(d, "fences");
    if (fe && !yscalar_bool(fe, &s->fences))
        return fail(c, fe, "'fences' must be true or false");
    static const char *const accesses[] = {"accessors", "plain", NULL}; /* enum bc_mode */
    if (choose(c, d, "ring_access", accesses, &s->ring_access))
        return -1;
    static const char *const lens[] = {"strict", "lenient", NULL}; /* enum vq_used_len_policy */
    if (choose(c, d, "used_len", lens, &s->used_len))
        return -1;
    return get_features(c, d, "features", &s->driver_features);
}

/* Barrier and notification bugs (faults.h: drop-barrier, rewrite-ring-load, ring-init). */
static int parse_barrier_bug(struct ctx *c, const char *kind, const struct ynode *a,
                             struct fault *f)
{
    if (!strcmp(kind, "drop-barrier")) {
        static const char *const k[] = {"kind", "nth", NULL};
        if (check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "kind"))
            return fail(c, a, "drop-barrier needs 'kind' (wmb, rmb or mb)");
        int bk = 0;
        if (choose(c, a, "kind", fault_barrier_kinds, &bk) ||
            get_u32(c, a, "nth", 0, 100000000, &f->nth))
            return -1;
        f->kind = FAULT_DROP_BARRIER;
        f->reg = (uint32_t)bk;
        f->label = "drop-barrier";
        return 0;
    }
    bool load = !strcmp(kind, "rewrite-ring-load");
    static const char *const kl[] = {"field", "value", "nth", "queue", NULL};
    static const char *const ki[] = {"field", "value", "queue", NULL};
    if (check_keys(c, a, kind, load ? kl : ki))
        return -1;
    if (!ymap_get(a, "field") || !ymap_get(a, "value"))
        return fail(c, a, "%s needs 'field' and 'value'", kind);
    const char *const *fields = load ? fault_ring_load_fields : fault_ring_init_fields;
    int field = 0;
    if (choose(c, a, "field", fields, &field))
        return -1;
    f->kind = load ? FAULT_REWRITE_RING_LOAD : FAULT_RING_INIT;
    f->field = fields[field];
    f->label = load ? "rewrite-ring-load" : "ring-init";
    return get_u64(c, a, "value", 0, load ? UINT32_MAX : UINT16_MAX, &f->value) ||
                   get_u32(c, a, "nth", 0, 100000000, &f->nth) ||
                   get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue)
               ? -1
               : 0;
}

/* A register: its §4.2.2 name, "Config+0xN" (device config space), or an offset (0x72: the
 * added-access bugs reach undefined and unaligned offsets too). */
static int parse_reg(struct ctx *c, const struct ynode *map, const char *key, uint32_t *off)
{
    const struct ynode *n = ymap_get(map, key);
    uint64_t v;
    if (!n || n->kind != YN_SCALAR)
        return fail(c, n ? n : map, "'%s' must be a register name or offset", key);
    int named = mmio_reg_offset(n->str);
    if (named >= 0) {
        *off = (uint32_t)named;
        return 0;
    }
    if (!strncmp(n->str, "Config+", 7)) {
        char *end = NULL;
        unsigned long cv = strtoul(n->str + 7, &end, 0);
        if (end && !*end && end != n->str + 7 && cv < VIRTIO_MMIO_WINDOW_SIZE - VIRTIO_MMIO_CONFIG) {
            *off = VIRTIO_MMIO_CONFIG + (uint32_t)cv;
            return 0;
        }
    } else if (yscalar_u64(n, &v) && v < VIRTIO_MMIO_WINDOW_SIZE) {
        *off = (uint32_t)v;
        return 0;
    }
    return fail(c, n, "unknown register '%s' (a name such as QueueNotify, Config+0x4, or an "
                      "offset below 0x%x)", n->str, VIRTIO_MMIO_WINDOW_SIZE);
}

/* A list of descriptor flag names (NEXT, WRITE, INDIRECT) into bits. */
static int get_desc_flags(struct ctx *c, const struct ynode *map, const char *key, uint16_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SEQ)
        return fail(c, n, "'%s' must be a list of flag names, e.g. [INDIRECT, NEXT]", key);
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        int bit = -1;
        for (int k = 0; it->kind == YN_SCALAR && fault_desc_flag_names[k]; k++)
            if (!strcmp(fault_desc_flag_names[k], it->str))
                bit = k;
        if (bit < 0)
            return fail(c, it, "unknown descriptor flag in '%s' (expected NEXT, WRITE, INDIRECT)",
                        key);
        *out |= (uint16_t)(1u << bit);
    }
    return 0;
}

/* The ring-side bugs (faults.h); 1 when `kind` is not one of them. */
static int parse_ring_bug(struct ctx *c, const char *kind, const struct ynode *a, struct fault *f)
{
    if (!strcmp(kind, "clear-write-flag")) {
        static const char *const k[] = {"nth", "queue", NULL};
        f->kind = FAULT_CLEAR_WRITE_FLAG;
        f->label = "clear-write-flag";
        return check_keys(c, a, kind, k) || get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
    }
    if (!strcmp(kind, "set-desc-flags")) {
        static const char *const k[] = {"in", "add", "remove", "nth", "queue", NULL};
        static const char *const where[] = {"ring", "indirect", NULL};
        int in = 0;
        f->kind = FAULT_SET_DESC_FLAGS;
        f->label = "set-desc-flags";
        if (check_keys(c, a, kind, k) || choose(c, a, "in", where, &in) ||
            get_desc_flags(c, a, "add", &f->add) || get_desc_flags(c, a, "remove", &f->remove) ||
            get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
            get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue))
            return -1;
        if (!f->add && !f->remove)
            return fail(c, a, "set-desc-flags needs 'add' or 'remove' (flag names)");
        f->in_table = in == 1;
        return 0;
    }
    if (!strcmp(kind, "virt-as-phys")) {
        static const char *const k[] = {"offset", "nth", "queue", NULL};
        f->kind = FAULT_VIRT_AS_PHYS;
        f->label = "virt-as-phys";
        if (check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "offset"))
            return fail(c, a, "virt-as-phys needs 'offset' (virtual minus physical address)");
        return get_u64(c, a, "offset", 1, UINT64_MAX, &f->value) ||
               get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
    }
    if (!strcmp(kind, "alter-exposed-desc")) {
        static const char *const k[] = {"field", "value", "nth", "queue", NULL};
        int field = -1;
        f->kind = FAULT_ALTER_EXPOSED_DESC;
        f->label = "alter-exposed-desc";
        if (check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "field") || !ymap_get(a, "value"))
            return fail(c, a, "alter-exposed-desc needs 'field' and 'value'");
        if (choose(c, a, "field", (const char *const *)fault_desc_fields, &field))
            return -1;
        faults_set_desc_field(f, field);
        uint64_t max = f->field_size == 8 ? UINT64_MAX : (1ull << (8 * f->field_size)) - 1;
        return get_u64(c, a, "value", 0, max, &f->value) ||
               get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
    }
    return 1;
}

/* A register name (§4.2.2) or "Config+0xN" (device config space, N < 0x100, 4-aligned). */
static int reg_offset_any(const char *name)
{
    int off = mmio_reg_offset(name);
    if (off >= 0)
        return off;
    if (strncmp(name, "Config+0x", 9) != 0 || !name[9])
        return -1;
    char *end;
    unsigned long v = strtoul(name + 9, &end, 16);
    if (*end || v >= 0x100 || v % 4)
        return -1;
    return (int)(VIRTIO_MMIO_CONFIG + v);
}

static int parse_bug(struct ctx *c, const struct ynode *b, struct scenario *s)
{
    if (b->kind != YN_MAP || b->n != 1)
        return fail(c, b, "a bug is a one-key mapping, e.g. '- drop-mmio-write: {reg: QueueReady}'");
    if (s->faults.n >= FAULT_MAX)
        return fail(c, b, "at most %d bugs per scenario", FAULT_MAX);
    const char *kind = ymap_key(b, 0)->str;
    const struct ynode *a = ymap_val(b, 0);
    struct fault *f = &s->faults.f[s->faults.n];
    memset(f, 0, sizeof(*f));
    f->nth = 1;
    if (!strcmp(kind, "drop-mmio-write") || !strcmp(kind, "rewrite-mmio-write") ||
        !strcmp(kind, "rewrite-mmio-read")) {
        bool drop = kind[0] == 'd', read = !strcmp(kind, "rewrite-mmio-read");
        static const char *const k1[] = {"reg", "nth", NULL};
        static const char *const k2[] = {"reg", "value", "nth", NULL};
        if (check_keys(c, a, kind, drop ? k1 : k2))
            return -1;
        const char *reg = NULL;
        if (get_str(c, a, "reg", &reg))
            return -1;
        if (!reg)
            return fail(c, a, "%s needs 'reg' (a register name such as QueueNotify)", kind);
        int off = mmio_reg_offset(reg);
        if (off < 0)
            return fail(c, ymap_get(a, "reg"), "unknown register '%s'", reg);
        f->kind = drop ? FAULT_DROP_MMIO_WRITE
                  : read ? FAULT_REWRITE_MMIO_READ : FAULT_REWRITE_MMIO_WRITE;
        f->reg = (uint32_t)off;
        f->label = drop ? "drop-mmio-write" : read ? "rewrite-mmio-read" : "rewrite-mmio-write";
        if (!drop && !ymap_get(a, "value"))
            return fail(c, a, "%s needs 'value'", kind);
        if (get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "redirect-mmio-write")) {
        static const char *const k[] = {"reg", "to", "nth", NULL};
        if (check_keys(c, a, kind, k))
            return -1;
        const char *from = NULL, *to = NULL;
        if (get_str(c, a, "reg", &from) || get_str(c, a, "to", &to))
            return -1;
        if (!from || !to)
            return fail(c, a, "redirect-mmio-write needs 'reg' and 'to' (register names, or "
                              "Config+0xN for a device config offset)");
        int o1 = reg_offset_any(from), o2 = reg_offset_any(to);
        if (o1 < 0 || o2 < 0)
            return fail(c, ymap_get(a, o1 < 0 ? "reg" : "to"), "unknown register '%s'",
                        o1 < 0 ? from : to);
        f->kind = FAULT_REDIRECT_MMIO_WRITE;
        f->reg = (uint32_t)o1;
        f->to = (uint32_t)o2;
        f->label = "redirect-mmio-write";
        if (get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "rewrite-ring-store")) {
        static const char *const k[] = {"field", "value", "nth", "queue", NULL};
        if (check_keys(c, a, kind, k))
            return -1;
        int field = -1;
        if (!ymap_get(a, "field") || !ymap_get(a, "value"))
            return fail(c, a, "rewrite-ring-store needs 'field' and 'value'");
        if (choose(c, a, "field", (const char *const *)fault_ring_fields, &field))
            return -1;
        f->kind = FAULT_REWRITE_RING_STORE;
        f->field = fault_ring_fields[field];
        f->label = "rewrite-ring-store";
        if (get_u64(c, a, "value", 0, UINT64_MAX, &f->value) ||
            get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
            get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue))
            return -1;
    } else if (!strcmp(kind, "drop-barrier") || !strcmp(kind, "rewrite-ring-load") ||
               !strcmp(kind, "ring-init")) {
        if (parse_barrier_bug(c, kind, a, f))
            return -1;
    } else if (!strcmp(kind, "skip-mmio-read")) {
        static const char *const k[] = {"reg", "value", "nth", NULL};
        if (check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "reg") || !ymap_get(a, "value"))
            return fail(c, a, "skip-mmio-read needs 'reg' and 'value'");
        f->kind = FAULT_SKIP_MMIO_READ;
        f->label = "skip-mmio-read";
        if (parse_reg(c, a, "reg", &f->reg) || get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "add-mmio-write") || !strcmp(kind, "add-mmio-read") ||
               !strcmp(kind, "delay-mmio-write")) {
        bool add_w = !strcmp(kind, "add-mmio-write"), delay = kind[0] == 'd';
        static const char *const kw[] = {"reg", "value", "after", NULL};
        static const char *const kr[] = {"reg", "after", NULL};
        static const char *const kd[] = {"reg", "nth", "after", NULL};
        if (check_keys(c, a, kind, add_w ? kw : delay ? kd : kr))
            return -1;
        if (!ymap_get(a, "reg") || (add_w && !ymap_get(a, "value")) ||
            (delay && !ymap_get(a, "after")))
            return fail(c, a, "%s needs %s", kind,
                        add_w ? "'reg' and 'value'" : delay ? "'reg' and 'after'" : "'reg'");
        f->kind = add_w ? FAULT_ADD_MMIO_WRITE : delay ? FAULT_DELAY_MMIO_WRITE
                                                       : FAULT_ADD_MMIO_READ;
        f->label = add_w ? "add-mmio-write" : delay ? "delay-mmio-write" : "add-mmio-read";
        if (parse_reg(c, a, "reg", &f->reg) || get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            get_u32(c, a, "nth", 1, 1000000, &f->nth))
            return -1;
        const struct ynode *af = ymap_get(a, "after");
        if (af) {
            static const char *const ka[] = {"reg", "nth", "op", NULL};
            static const char *const ops[] = {"write", "read", NULL};
            int op = 0;
            if (check_keys(c, af, "after", ka))
                return -1;
            if (!ymap_get(af, "reg"))
                return fail(c, af, "after needs 'reg' (the access after which it happens)");
            f->has_after = true;
            f->after_nth = 1;
            if (parse_reg(c, af, "reg", &f->after_reg) ||
                get_u32(c, af, "nth", 1, 1000000, &f->after_nth) || choose(c, af, "op", ops, &op))
                return -1;
            f->after_read = op == 1;
        }
    } else if (!strcmp(kind, "skip-status-bit")) {
        static const char *const k[] = {"bit", NULL};
        static const char *const bits[] = {"ACKNOWLEDGE", "DRIVER", "FEATURES_OK", "DRIVER_OK",
                                           NULL};
        static const uint32_t bitval[] = {VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DRIVER,
                                          VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_DRIVER_OK};
        int bit = -1;
        if (check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "bit"))
            return fail(c, a, "skip-status-bit needs 'bit'");
        if (choose(c, a, "bit", bits, &bit))
            return -1;
        f->kind = FAULT_SKIP_STATUS_BIT;
        f->label = "skip-status-bit";
        f->value = bitval[bit];
    } else {
        int rc = parse_ring_bug(c, kind, a, f);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return fail(c, ymap_key(b, 0),
                        "unknown bug '%s' (expected drop-mmio-write, rewrite-mmio-write, "
                        "rewrite-mmio-read, redirect-mmio-write, skip-mmio-read, add-mmio-write, "
                        "add-mmio-read, delay-mmio-write, skip-status-bit, rewrite-ring-store, "
                        "clear-write-flag, set-desc-flags, virt-as-phys, alter-exposed-desc, "
                        "drop-barrier, rewrite-ring-load or ring-init)",
                        kind);
    }
    s->faults.n++;
    return 0;
}

/* garbage-config: {field: num_scanouts | events_read, value: V, after_us: T} (both required). */
static int parse_garbage_config(struct ctx *c, const struct ynode *where, const struct ynode *a,
                                struct scenario *s)
{
    static const char *const keys[] = {"field", "value", "after_us", NULL};
    struct device_fault *f = &s->dfaults.f[s->dfaults.n];
    if (!a || !ymap_get(a, "field") || !ymap_get(a, "value"))
        return fail(c, where, "garbage-config needs 'field' (num_scanouts, events_read or "
                              "generation) and 'value'");
    if (check_keys(c, a, "garbage-config", keys))
        return -1;
    const struct ynode *fl = ymap_get(a, "field");
    if (fl->kind == YN_SCALAR && !strcmp(fl->str, "events_read"))
        f->field = 0;
    else if (fl->kind == YN_SCALAR && !strcmp(fl->str, "num_scanouts"))
        f->field = 8;
    else if (fl->kind == YN_SCALAR && !strcmp(fl->str, "generation"))
        f->field = DF_FIELD_GENERATION; /* ConfigGeneration never reads the same twice */
    else
        return fail(c, fl, "unknown config field (expected num_scanouts, events_read or "
                           "generation)");
    uint64_t after = 0;
    if (get_u32(c, a, "value", 0, UINT32_MAX, &f->value) ||
        get_u64(c, a, "after_us", 0, 3600000000ull, &after))
        return -1;
    f->has_value = true;
    f->after_ns = after * 1000;
    return 0;
}

/* event-index: {field: avail_event | used_event, value: V | offset: D} (one of the two). */
static int parse_event_index(struct ctx *c, const struct ynode *a, struct device_fault *f)
{
    static const char *const fields[] = {"avail_event", "used_event", NULL}; /* df_event_field */
    int fi = 0;
    if (choose(c, a, "field", fields, &fi))
        return -1;
    f->field = (uint32_t)fi;
    const struct ynode *v = ymap_get(a, "value"), *o = ymap_get(a, "offset");
    if (v && o)
        return fail(c, o, "give 'value' or 'offset', not both");
    if (v) {
        f->has_value = true;
        return get_u32(c, a, "value", 0, 65535, &f->value);
    }
    /* a signed number: an optional '-' before what yscalar_u64 reads */
    bool neg = o->kind == YN_SCALAR && o->str[0] == '-';
    struct ynode mag = *o;
    if (neg)
        mag.str = o->str + 1;
    uint64_t off;
    if (!yscalar_u64(&mag, &off) || off > 65535)
        return fail(c, o, "'offset' must be a number from -65535 to 65535");
    f->offset = neg ? -(int32_t)off : (int32_t)off;
    return 0;
}

/* One entry of `device_faults:` — a name, or a one-key mapping name: {selectors…}. */
static int parse_device_fault(struct ctx *c, const struct ynode *b, struct scenario *s)
{
    const char *name;
    const struct ynode *a = NULL;
    if (b->kind == YN_SCALAR) {
        name = b->str;
    } else if (b->kind == YN_MAP && b->n == 1) {
        name = ymap_key(b, 0)->str;
        a = ymap_val(b, 0);
        if (yscalar_is_null(a))
            a = NULL;
    } else {
        return fail(c, b, "a device fault is a name or a one-key mapping, e.g. "
                          "'- never-respond: {nth: 2}'");
    }
    if (s->dfaults.n >= DF_MAX)
        return fail(c, b, "at most %d device faults per scenario", DF_MAX);
    int k = -1;
    for (int i = 0; device_fault_names[i]; i++)
        if (!strcmp(device_fault_names[i], name))
            k = i;
    if (k < 0) {
        char list[300] = "";
        for (int i = 0; device_fault_names[i]; i++) {
            strncat(list, device_fault_names[i], sizeof(list) - strlen(list) - 1);
            if (device_fault_names[i + 1])
                strncat(list, ", ", sizeof(list) - strlen(list) - 1);
        }
        return fail(c, b->kind == YN_MAP ? ymap_key(b, 0) : b,
                    "unknown device fault '%s' (expected one of: %s)", name, list);
    }
    struct device_fault *f = &s->dfaults.f[s->dfaults.n];
    memset(f, 0, sizeof(*f));
    f->kind = (enum df_kind)k;
    f->nth = 1;
    if (f->kind == DF_RESPOND_LATE && (!a || !ymap_get(a, "delay_us")))
        return fail(c, a ? a : b, "respond-late needs 'delay_us'");
    if (f->kind == DF_GARBAGE_CONFIG) /* not per request: its own keys */
        return parse_garbage_config(c, a ? a : b, a, s) ? -1 : (s->dfaults.n++, 0);
    if (f->kind == DF_EVENT_INDEX && (!a || !(ymap_get(a, "value") || ymap_get(a, "offset"))))
        return fail(c, a ? a : b, "event-index needs 'value' (the index written) or 'offset' "
                                  "(added to what QEMU would write)");
    if (f->kind == DF_GARBAGE_RESPONSE && (!a || !ymap_get(a, "field") || !ymap_get(a, "value")))
        return fail(c, a ? a : b, "garbage-response needs 'field' (display.width, "
                                  "display.height, display.enabled or edid.size) and 'value'");
    if (a) {
        static const char *const k1[] = {"queue", "nth", "from_nth", "after_us", NULL};
        static const char *const k2[] = {"queue", "nth", "from_nth", "after_us", "delay_us", NULL};
        static const char *const kby[] = {"queue", "nth", "from_nth", "after_us", "by", NULL};
        static const char *const ktype[] = {"queue", "nth", "from_nth", "after_us", "type", NULL};
        static const char *const klen[] = {"queue", "nth", "from_nth", "after_us", "len", NULL};
        static const char *const kgr[] = {"queue", "nth", "from_nth", "after_us", "field",
                                          "value", NULL};
        static const char *const kev[] = {"queue", "nth", "from_nth", "after_us", "field",
                                          "value", "offset", NULL};
        const char *const *allowed = f->kind == DF_RESPOND_LATE          ? k2
                                     : f->kind == DF_USED_IDX_JUMP       ? kby
                                     : f->kind == DF_WRONG_RESPONSE_TYPE ? ktype
                                     : f->kind == DF_WRONG_RESPONSE_SIZE ? klen
                                     : f->kind == DF_GARBAGE_RESPONSE    ? kgr
                                     : f->kind == DF_EVENT_INDEX         ? kev
                                                                         : k1;
        if (check_keys(c, a, name, allowed))
            return -1;
        f->by = 2;
        if (get_u32(c, a, "by", 1, 65535, &f->by) ||
            get_u32(c, a, "type", 0, UINT32_MAX, &f->value) ||
            get_u32(c, a, "len", 0, 4096, &f->value))
            return -1;
        f->has_value = ymap_get(a, "type") || ymap_get(a, "len");
        if (f->kind == DF_GARBAGE_RESPONSE) {
            static const char *const fields[] = {"display.width", "display.height",
                                                 "display.enabled", "edid.size", NULL};
            int fi = -1;
            if (choose(c, a, "field", fields, &fi) ||
                get_u32(c, a, "value", 0, UINT32_MAX, &f->value))
                return -1;
            f->field = (uint32_t)fi; /* enum df_response_field */
            f->has_value = true;
        }
        if (f->kind == DF_EVENT_INDEX && parse_event_index(c, a, f))
            return -1;
        uint64_t after = 0, delay = 0;
        if (get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ||
            get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
            get_u32(c, a, "from_nth", 1, 1000000, &f->from_nth) ||
            get_u64(c, a, "after_us", 0, 3600000000ull, &after) ||
            get_u64(c, a, "delay_us", 1, 3600000000ull, &delay))
            return -1;
        if (ymap_get(a, "nth") && ymap_get(a, "from_nth"))
            return fail(c, ymap_get(a, "from_nth"), "give 'nth' or 'from_nth', not both");
        f->after_ns = after * 1000;
        f->delay_ns = delay * 1000;
    }
    s->dfaults.n++;
    return 0;
}

static int parse_rect(struct ctx *c, const struct ynode *n, struct step_rect *r)
{
    static const char *const keys[] = {"x", "y", "width", "height", NULL};
    if (check_keys(c, n, "rect", keys))
        return -1;
    r->set = true;
    r->x = r->y = 0;
    if (!ymap_get(n, "width") || !ymap_get(n, "height"))
        return fail(c, n, "rect needs width and height");
    return get_u32(c, n, "x", 0, 65535, &r->x) || get_u32(c, n, "y", 0, 65535, &r->y) ||
                   get_u32(c, n, "width", 0, 65535, &r->width) ||
                   get_u32(c, n, "height", 0, 65535, &r->height)
               ? -1
               : 0;
}

static const struct {
    const char *name;
    uint32_t value;
} formats[] = {
    {"B8G8R8A8", VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM}, {"B8G8R8X8", VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM},
    {"A8R8G8B8", VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM}, {"X8R8G8B8", VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM},
    {"R8G8B8A8", VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM}, {"X8B8G8R8", VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM},
    {"A8B8G8R8", VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM}, {"R8G8B8X8", VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM},
};

static const char *const step_names[] = {
    "get_display_info", "resource_create_2d", "attach_backing", "set_scanout",
    "draw", "transfer_to_host_2d", "resource_flush", "poke_pixel", "resource_unref",
    "detach_backing", "get_edid", "update_cursor", "move_cursor", "display_change",
    "handle_config_event", "fb_set_mode", "fb_draw", "fb_fill", "fb_present", "fb_disable",
    "reset", "init", NULL};

const char *step_name(enum step_kind k) { return step_names[k]; }

static const struct {
    const char *name;
    uint32_t type;
} responses[] = {
    {"OK_NODATA", VIRTIO_GPU_RESP_OK_NODATA},
    {"OK_DISPLAY_INFO", VIRTIO_GPU_RESP_OK_DISPLAY_INFO},
    {"OK_CAPSET_INFO", VIRTIO_GPU_RESP_OK_CAPSET_INFO},
    {"OK_CAPSET", VIRTIO_GPU_RESP_OK_CAPSET},
    {"OK_EDID", VIRTIO_GPU_RESP_OK_EDID},
    {"ERR_UNSPEC", VIRTIO_GPU_RESP_ERR_UNSPEC},
    {"ERR_OUT_OF_MEMORY", VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY},
    {"ERR_INVALID_SCANOUT_ID", VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID},
    {"ERR_INVALID_RESOURCE_ID", VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID},
    {"ERR_INVALID_CONTEXT_ID", VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID},
    {"ERR_INVALID_PARAMETER", VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER},
};

const char *response_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++)
        if (responses[i].type == type)
            return responses[i].name;
    return NULL;
}

static int parse_step(struct ctx *c, const struct ynode *n, struct scenario_step *st);

/* `- repeat: {count: N, step: <one step>}` runs the step N times (index wrap-around needs more
 * than 65536 requests). */
static int parse_repeat(struct ctx *c, const struct ynode *n, const struct ynode *args,
                        struct scenario_step *st)
{
    static const char *const keys[] = {"count", "step", NULL};
    if (!args || check_keys(c, args, "repeat", keys))
        return args ? -1 : fail(c, n, "repeat needs 'count' and 'step'");
    const struct ynode *inner = ymap_get(args, "step");
    if (!inner || !ymap_get(args, "count"))
        return fail(c, args, "repeat needs 'count' and 'step'");
    if (inner->kind == YN_MAP && inner->n == 1 && !strcmp(ymap_key(inner, 0)->str, "repeat"))
        return fail(c, inner, "repeat cannot nest");
    uint32_t count = 1;
    if (get_u32(c, args, "count", 1, 10000000, &count) || parse_step(c, inner, st))
        return -1;
    st->repeat = count;
    st->line = n->line;
    return 0;
}

static int parse_step(struct ctx *c, const struct ynode *n, struct scenario_step *st)
{
    memset(st, 0, sizeof(*st));
    st->line = n->line;
    st->id = 1;
    st->format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
    const char *name;
    const struct ynode *args = NULL;
    if (n->kind == YN_SCALAR) {
        name = n->str;
    } else if (n->kind == YN_MAP && n->n == 1) {
        name = ymap_key(n, 0)->str;
        args = ymap_val(n, 0);
        if (yscalar_is_null(args))
            args = NULL;
    } else {
        return fail(c, n, "a step is a name ('- get_display_info') or a one-key mapping "
                          "('- set_scanout: {id: 1}')");
    }
    if (!strcmp(name, "repeat"))
        return parse_repeat(c, n, args, st);
    int k = -1;
    for (int i = 0; step_names[i]; i++)
        if (!strcmp(step_names[i], name))
            k = i;
    if (k < 0) {
        char list[600] = "";
        for (int i = 0; step_names[i]; i++) {
            strncat(list, step_names[i], sizeof(list) - strlen(list) - 1);
            if (step_names[i + 1])
                strncat(list, ", ", sizeof(list) - strlen(list) - 1);
        }
        return fail(c, n, "unknown step '%s' (expected one of: %s)", name, list);
    }
    st->kind = (enum step_kind)k;
#define XR "expect_response"
    static const char *const kinfo[] = {XR, NULL};
    static const char *const kcreate[] = {"id", "format", "width", "height", XR, NULL};
    static const char *const kattach[] = {"id", "entries", "addr", "length", XR, NULL};
    static const char *const kscan[] = {"id", "scanout", "rect", XR, NULL};
    static const char *const kdraw[] = {"id", "pattern", NULL};
    static const char *const kxfer[] = {"id", "rect", "offset", XR, NULL};
    static const char *const kflush[] = {"id", "rect", XR, NULL};
    static const char *const kpoke[] = {"id", "x", "y", "color", NULL};
    static const char *const kid[] = {"id", XR, NULL};
    static const char *const kedid[] = {"scanout", XR, NULL};
    static const char *const kcur[] = {"scanout", "id", "x", "y", "hot_x", "hot_y", NULL};
    static const char *const kmove[] = {"scanout", "x", "y", NULL};
    static const char *const kchange[] = {"scanout", "width", "height", "enabled", NULL};
    static const char *const knone[] = {NULL};
    static const char *const kmode[] = {"scanout", "id", "width", "height", NULL};
    static const char *const kfbdraw[] = {"scanout", "pattern", NULL};
    static const char *const kfill[] = {"scanout", "rect", "color", NULL};
    static const char *const kfb[] = {"scanout", NULL};
    static const char *const *allowed[] = {kinfo, kcreate, kattach, kscan, kdraw, kxfer, kflush,
                                           kpoke, kid, kid, kedid, kcur, kmove, kchange, knone,
                                           kmode, kfbdraw, kfill, kfb, kfb, knone, knone};
    _Static_assert(sizeof(allowed) / sizeof(allowed[0]) == STEP_INIT + 1, "one per step");
    st->pattern = "bars";
    st->entries = 1;
    st->enabled = true;
    if (!args) {
        if (st->kind == STEP_POKE_PIXEL)
            return fail(c, n, "poke_pixel needs x, y and color");
        if (st->kind == STEP_DISPLAY_CHANGE || st->kind == STEP_FB_FILL)
            return fail(c, n, "%s needs its arguments (see README)", name);
        return 0;
    }
    /* expect_status: any step may name the driver status it must return */
    const char *with_status[24];
    size_t na = 0;
    for (; allowed[k][na] && na < 22; na++)
        with_status[na] = allowed[k][na];
    with_status[na++] = "expect_status";
    with_status[na] = NULL;
    if (check_keys(c, args, name, with_status))
        return -1;
    const struct ynode *xs = ymap_get(args, "expect_status");
    if (xs) {
        if (xs->kind != YN_SCALAR || !driver_status_lookup(xs->str, &st->expect_status))
            return fail(c, xs, "unknown driver status (a name such as ok, timeout, "
                               "used-id-out-of-range, gpu-unexpected-response; README lists "
                               "them)");
        st->has_expect_status = true;
    }
    if (get_u32(c, args, "hot_x", 0, 63, &st->hot_x) ||
        get_u32(c, args, "hot_y", 0, 63, &st->hot_y) ||
        get_u32(c, args, "entries", 1, 254, &st->entries) ||
        get_u64(c, args, "addr", 0, UINT64_MAX, &st->entry_addr) ||
        get_u32(c, args, "length", 0, UINT32_MAX, &st->entry_length))
        return -1;
    st->has_entry = ymap_get(args, "addr") || ymap_get(args, "length");
    if (st->has_entry && (!ymap_get(args, "addr") || !ymap_get(args, "length") ||
                          ymap_get(args, "entries")))
        return fail(c, args, "attach_backing with an explicit entry needs both 'addr' and "
                             "'length' (and no 'entries')");
    const struct ynode *en = ymap_get(args, "enabled");
    if (en && !yscalar_bool(en, &st->enabled))
        return fail(c, en, "'enabled' must be true or false");
    const struct ynode *xr = ymap_get(args, XR);
    if (xr) {
        bool ok = false;
        for (size_t i = 0; xr->kind == YN_SCALAR && i < sizeof(responses) / sizeof(responses[0]);
             i++)
            if (!strcmp(responses[i].name, xr->str)) {
                st->expect_response = responses[i].type;
                ok = true;
            }
        if (!ok)
            return fail(c, xr, "unknown response (OK_NODATA, OK_DISPLAY_INFO, OK_EDID, "
                               "ERR_UNSPEC, ERR_OUT_OF_MEMORY, ERR_INVALID_SCANOUT_ID, "
                               "ERR_INVALID_RESOURCE_ID, ERR_INVALID_CONTEXT_ID, "
                               "ERR_INVALID_PARAMETER)");
        st->has_expect_response = true;
    }
#undef XR
    if (get_u32(c, args, "id", 0, UINT32_MAX, &st->id) ||
        get_u32(c, args, "width", 1, 16384, &st->width) ||
        get_u32(c, args, "height", 1, 16384, &st->height) ||
        get_u32(c, args, "scanout", 0, 15, &st->scanout) ||
        get_u32(c, args, "x", 0, 16383, &st->x) || get_u32(c, args, "y", 0, 16383, &st->y) ||
        get_u32(c, args, "color", 0, 0xffffff, &st->color) ||
        get_u64(c, args, "offset", 0, UINT64_MAX, &st->offset))
        return -1;
    st->has_offset = ymap_get(args, "offset") != NULL;
    const struct ynode *f = ymap_get(args, "format");
    if (f) {
        bool ok = false;
        for (size_t i = 0; f->kind == YN_SCALAR && i < sizeof(formats) / sizeof(formats[0]); i++)
            if (!strcmp(formats[i].name, f->str)) {
                st->format = formats[i].value;
                ok = true;
            }
        uint64_t num;
        if (!ok && yscalar_u64(f, &num) && num <= UINT32_MAX) { /* raw numbers test bad formats */
            st->format = (uint32_t)num;
            ok = true;
        }
        if (!ok)
            return fail(c, f, "unknown format (B8G8R8X8, B8G8R8A8, X8R8G8B8, A8R8G8B8, R8G8B8X8, "
                              "R8G8B8A8, X8B8G8R8, A8B8G8R8, or a number)");
    }
    const struct ynode *p = ymap_get(args, "pattern");
    if (p && (p->kind != YN_SCALAR || !(st->pattern = pattern_lookup(p->str))))
        return fail(c, p, "unknown pattern (expected bars or black)");
    const struct ynode *r = ymap_get(args, "rect");
    if (r && parse_rect(c, r, &st->rect))
        return -1;
    if (st->kind == STEP_POKE_PIXEL && (!ymap_get(args, "x") || !ymap_get(args, "y") ||
                                        !ymap_get(args, "color")))
        return fail(c, args, "poke_pixel needs x, y and color");
    if (st->kind == STEP_DISPLAY_CHANGE && (!ymap_get(args, "width") || !ymap_get(args, "height")))
        return fail(c, args, "display_change needs width and height");
    if (st->kind == STEP_DISPLAY_CHANGE && (get_u32(c, args, "width", 16, 8192, &st->width) ||
                                            get_u32(c, args, "height", 16, 8192, &st->height)))
        return -1; /* the same range as device.display */
    if (st->kind == STEP_FB_FILL && (!st->rect.set || !ymap_get(args, "color")))
        return fail(c, args, "fb_fill needs rect and color");
    if (st->kind == STEP_FB_SET_MODE && st->id == 0)
        return fail(c, ymap_get(args, "id"), "fb_set_mode needs a resource id other than 0");
    return 0;
}

bool driver_status_lookup(const char *name, int *out)
{
    for (int rc = 0; rc >= VGPU_ERR_BAD_DISPLAY_INFO; rc--) {
        if (rc < VIRTIO_ERR_DEVICE_RESET && rc > VGPU_ERR_UNSPEC)
            continue;
        if (!strcmp(vgpu_status_name(rc), name)) {
            *out = rc;
            return true;
        }
    }
    return false;
}

static const char *const outcomes[] = {"ok", "timeout", "violation", "device-error",
                                       "driver-error", NULL};
/* The cause ids are the diagnosis engine's. */
static const char *const *const causes = diag_cause_ids;

bool outcome_valid(const char *s)
{
    for (int i = 0; outcomes[i]; i++)
        if (!strcmp(outcomes[i], s))
            return true;
    return false;
}

static int parse_display(struct ctx *c, const struct ynode *d, struct scenario *s,
                         uint32_t default_scanout)
{
    static const char *const dk[] = {"scanout", "state", "active", "sha256", "pattern", "png",
                                     "dark", "cursor", NULL};
    static const char *const states[] = {"not-initialized", "active", "inactive", NULL};
    if (check_keys(c, d, "expect.display", dk))
        return -1;
    struct display_expect *x = &s->displays[s->n_displays++];
    x->scanout = default_scanout;
    if (get_u32(c, d, "scanout", 0, VIRTIO_GPU_MAX_SCANOUTS - 1, &x->scanout))
        return -1;
    for (uint32_t i = 0; i + 1 < s->n_displays; i++)
        if (s->displays[i].scanout == x->scanout)
            return fail(c, d, "scanout %u is expected twice", x->scanout);
    int st = -1;
    if (choose(c, d, "state", states, &st))
        return -1;
    x->state = st >= 0 ? states[st] : NULL;
    const struct ynode *a = ymap_get(d, "active");
    if (a) {
        if (!yscalar_bool(a, &x->active))
            return fail(c, a, "'active' must be true or false");
        x->active_set = true;
    }
    const struct ynode *dk2 = ymap_get(d, "dark");
    if (dk2) {
        if (!yscalar_bool(dk2, &x->dark))
            return fail(c, dk2, "'dark' must be true or false");
        x->dark_set = true;
    }
    const struct ynode *cu = ymap_get(d, "cursor");
    if (cu) {
        if (!yscalar_bool(cu, &x->cursor))
            return fail(c, cu, "'cursor' must be true or false");
        x->cursor_set = true;
    }
    const struct ynode *h = ymap_get(d, "sha256");
    if (h) {
        bool ok = h->kind == YN_SCALAR && strlen(h->str) == 64;
        for (size_t i = 0; ok && i < 64; i++)
            ok = (h->str[i] >= '0' && h->str[i] <= '9') || (h->str[i] >= 'a' && h->str[i] <= 'f');
        if (!ok)
            return fail(c, h, "'sha256' must be 64 lower-case hex digits");
        x->sha256 = strdup(h->str);
    }
    const struct ynode *p = ymap_get(d, "pattern");
    if (p && (p->kind != YN_SCALAR || !(x->pattern = pattern_lookup(p->str))))
        return fail(c, p, "unknown pattern (expected bars or black)");
    const struct ynode *png = ymap_get(d, "png");
    if (png) {
        size_t l = png->kind == YN_SCALAR ? strlen(png->str) : 0;
        if (l < 5 || strcmp(png->str + l - 4, ".png") != 0)
            return fail(c, png, "'png' must be the path of a .png reference image");
        x->png = strdup(png->str);
    }
    return 0;
}

/* A list of rule ids of the catalogue (expect.violations, expect.informational). */
static int rule_ids(struct ctx *c, const struct ynode *v, const char *key, char **out,
                    uint32_t *n)
{
    if (!v)
        return 0;
    if (v->kind != YN_SEQ)
        return fail(c, v, "'%s' must be a list of rule ids", key);
    char rerr[256];
    const struct rule_catalogue *cat = rules_builtin(rerr, sizeof(rerr));
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *id = v->items[i];
        if (id->kind != YN_SCALAR)
            return fail(c, id, "a rule id must be a string");
        if (cat && !rules_find(cat, id->str))
            return fail(c, id, "unknown rule id '%s' (see `vqsim rules`)", id->str);
        if (*n >= SCENARIO_MAX_EXPECT_VIOLATIONS)
            return fail(c, id, "too many expected %s", key);
        out[(*n)++] = strdup(id->str);
    }
    return 0;
}

static int parse_expect(struct ctx *c, const struct ynode *e, struct scenario *s)
{
    static const char *const keys[] = {"outcome", "violations", "informational", "cause",
                                       "causes", "evidence", "display",
                                       "memory_outside_buffers", "driver", NULL};
    if (check_keys(c, e, "expect", keys))
        return -1;
    static const char *const mem[] = {"untouched", "changed", NULL};
    int mi = -1;
    if (choose(c, e, "memory_outside_buffers", mem, &mi))
        return -1;
    s->expect_memory = mi >= 0 ? mem[mi] : NULL;
    const struct ynode *dr = ymap_get(e, "driver");
    if (dr) {
        static const char *const dk[] = {"broken", "broken_status", "queues_broken", NULL};
        if (check_keys(c, dr, "expect.driver", dk))
            return -1;
        const struct ynode *b = ymap_get(dr, "broken");
        if (b && !yscalar_bool(b, &s->expect_broken))
            return fail(c, b, "'broken' must be true or false");
        s->expect_broken_set = b != NULL;
        const struct ynode *bs = ymap_get(dr, "broken_status");
        if (bs && (bs->kind != YN_SCALAR ||
                   !driver_status_lookup(bs->str, &s->expect_broken_status)))
            return fail(c, bs, "unknown driver status");
        s->expect_broken_status_set = bs != NULL;
        const struct ynode *qb = ymap_get(dr, "queues_broken");
        if (qb) { /* exactly the set of queues the driver latched broken */
            if (qb->kind != YN_SEQ)
                return fail(c, qb, "'queues_broken' must be a list of queue names "
                                   "(control, cursor)");
            for (size_t i = 0; i < qb->n; i++) {
                const struct ynode *q = qb->items[i];
                bool ctl = q->kind == YN_SCALAR && !strcmp(q->str, "control");
                bool cur = q->kind == YN_SCALAR && !strcmp(q->str, "cursor");
                if (!ctl && !cur)
                    return fail(c, q, "unknown queue (expected control or cursor)");
                s->expect_queues_broken |= ctl ? 1u : 2u;
            }
            s->expect_queues_broken_set = true;
        }
    }
    int o = 0;
    if (choose(c, e, "outcome", outcomes, &o))
        return -1;
    s->expect_outcome = outcomes[o];
    if (rule_ids(c, ymap_get(e, "violations"), "violations", s->expect_violations,
                 &s->n_expect_violations) ||
        rule_ids(c, ymap_get(e, "informational"), "informational", s->expect_informational,
                 &s->n_expect_informational))
        return -1;
    s->expect_informational_set = ymap_get(e, "informational") != NULL;
    int cause = -1;
    if (ymap_get(e, "cause")) {
        if (choose(c, e, "cause", causes, &cause))
            return -1;
        s->expect_cause = strdup(causes[cause]);
    }
    const struct ynode *cl = ymap_get(e, "causes");
    if (cl) {
        if (cl->kind != YN_SEQ)
            return fail(c, cl, "'causes' must be a list of cause ids, first cause first");
        s->expect_causes_set = true;
        for (size_t i = 0; i < cl->n; i++) {
            const struct ynode *id = cl->items[i];
            int k = -1;
            for (int j = 0; id->kind == YN_SCALAR && causes[j]; j++)
                if (!strcmp(causes[j], id->str))
                    k = j;
            if (k < 0)
                return fail(c, id, "unknown cause id (expected one of the ids in README.md, "
                                   "e.g. queue-not-ready, no-notify, device-broken)");
            if (s->n_expect_causes >= SCENARIO_MAX_EXPECT_CAUSES)
                return fail(c, id, "at most %d causes", SCENARIO_MAX_EXPECT_CAUSES);
            s->expect_causes[s->n_expect_causes++] = strdup(causes[k]);
        }
    }
    const struct ynode *ev = ymap_get(e, "evidence");
    if (ev) {
        if (ev->kind != YN_MAP)
            return fail(c, ev, "'evidence' must be a mapping of evidence key to value");
        for (size_t i = 0; i < ev->n; i++) {
            const struct ynode *k = ymap_key(ev, i), *val = ymap_val(ev, i);
            if (val->kind != YN_SCALAR || yscalar_is_null(val))
                return fail(c, val, "evidence '%s' must be a scalar (the value as the diagnosis "
                                  "shows it, e.g. 0x40101000)", k->str);
            if (s->n_expect_evidence >= SCENARIO_MAX_EXPECT_EVIDENCE)
                return fail(c, k, "at most %d evidence keys", SCENARIO_MAX_EXPECT_EVIDENCE);
            s->expect_evidence[s->n_expect_evidence].key = strdup(k->str);
            s->expect_evidence[s->n_expect_evidence].value = strdup(val->str);
            s->expect_evidence[s->n_expect_evidence].line = k->line;
            s->n_expect_evidence++;
        }
    }
    const struct ynode *d = ymap_get(e, "display");
    if (d && d->kind == YN_SEQ) {
        if (d->n == 0 || d->n > SCENARIO_MAX_DISPLAYS)
            return fail(c, d, "expect.display lists 1 to %d scanouts", SCENARIO_MAX_DISPLAYS);
        for (size_t i = 0; i < d->n; i++)
            if (parse_display(c, d->items[i], s, (uint32_t)i))
                return -1;
    } else if (d && parse_display(c, d, s, 0)) {
        return -1;
    }
    return 0;
}

static void defaults(struct scenario *s)
{
    s->display_width = QEMU_GPU_XRES; /* QEMU's default mode */
    s->display_height = QEMU_GPU_YRES;
    s->latency_ns = 10000;
    s->ram_base = 0x40000000ull; /* aarch64 virt */
    s->ram_size = 256ull << 20;
    s->mmio_base = 0x0a003e00ull; /* virt: the last of the 32 virtio-mmio slots */
    s->queue_size = 16;
    s->layout = VQ_LAYOUT_SEPARATE;
    s->queue_align = 4096;
    s->timeout_ns = 1000000000ull;
    s->fences = true;
    s->expect_outcome = "ok";
}

/* `qemu: {skip: "reason"}`: the differential run on real QEMU (tools/qemu_diff.py) leaves this
 * scenario out, for the reason given. vqsim run only records it in the JSON. */
static int parse_qemu(struct ctx *c, const struct ynode *q, struct scenario *s)
{
    static const char *const keys[] = {"skip", NULL};
    if (!q)
        return 0;
    if (check_keys(c, q, "qemu", keys))
        return -1;
    const char *why = NULL;
    if (get_str(c, q, "skip", &why))
        return -1;
    if (!why || !why[0])
        return fail(c, q, "qemu needs 'skip' with the reason QEMU cannot show what this "
                          "scenario tests");
    s->qemu_skip = dupstr(why);
    return 0;
}

static int parse(struct ctx *c, const struct ynode *root, struct scenario *s)
{
    static const char *const keys[] = {"name", "description", "device", "driver", "bugs",
                                       "device_faults", "steps", "expect", "qemu", NULL};
    if (check_keys(c, root, "the scenario", keys))
        return -1;
    const char *name = NULL, *desc = NULL;
    if (get_str(c, root, "name", &name) || get_str(c, root, "description", &desc))
        return -1;
    if (!name || !name[0])
        return fail(c, root, "the scenario needs a 'name'");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return fail(c, ymap_get(root, "name"),
                        "name '%s' may hold only a-z, 0-9, '-' and '_' (it names output files)",
                        name);
    s->name = dupstr(name);
    s->description = dupstr(desc ? desc : "");
    if (parse_qemu(c, ymap_get(root, "qemu"), s))
        return -1;
    const struct ynode *dev = ymap_get(root, "device");
    if (!dev)
        return fail(c, root, "the scenario needs a 'device' section");
    if (parse_device(c, dev, s))
        return -1;
    const struct ynode *drv = ymap_get(root, "driver");
    if (drv && parse_driver(c, drv, s))
        return -1;
    if (s->transport_version == 1 && drv && ymap_get(drv, "layout"))
        return fail(c, ymap_get(drv, "layout"), "'layout' applies to modern devices; a legacy "
                                                "ring's layout is set by queue_align");
    const struct ynode *bugs = ymap_get(root, "bugs");
    if (bugs) {
        if (bugs->kind != YN_SEQ)
            return fail(c, bugs, "'bugs' must be a list");
        for (size_t i = 0; i < bugs->n; i++)
            if (parse_bug(c, bugs->items[i], s))
                return -1;
    }
    const struct ynode *dfl = ymap_get(root, "device_faults");
    if (dfl) {
        if (dfl->kind != YN_SEQ)
            return fail(c, dfl, "'device_faults' must be a list");
        for (size_t i = 0; i < dfl->n; i++)
            if (parse_device_fault(c, dfl->items[i], s))
                return -1;
    }
    const struct ynode *steps = ymap_get(root, "steps");
    if (!steps || steps->kind != YN_SEQ || steps->n == 0)
        return fail(c, steps ? steps : root, "the scenario needs a non-empty 'steps' list");
    if (steps->n > SCENARIO_MAX_STEPS)
        return fail(c, steps, "at most %d steps", SCENARIO_MAX_STEPS);
    for (size_t i = 0; i < steps->n; i++) {
        struct scenario_step *st = &s->steps[s->n_steps++];
        if (parse_step(c, steps->items[i], st))
            return -1;
        if (st->kind == STEP_UPDATE_CURSOR || st->kind == STEP_MOVE_CURSOR)
            s->cursor = true; /* the driver sets up the cursor queue only when it is used */
        uint32_t n_scanouts = s->n_extra_scanouts + 1;
        if ((st->kind == STEP_DISPLAY_CHANGE ||
             (st->kind >= STEP_FB_SET_MODE && st->kind <= STEP_FB_DISABLE)) &&
            st->scanout >= n_scanouts)
            return fail(c, steps->items[i], "scanout %u: the device has %u", st->scanout,
                        n_scanouts);
    }
    const struct ynode *e = ymap_get(root, "expect");
    if (!e)
        return fail(c, root, "the scenario needs an 'expect' section: a test that does not "
                             "check the outcome checks nothing");
    return parse_expect(c, e, s);
}

/* The text of a scenario (already read) into *s; `c->file` names it in errors. */
static int parse_text(struct ctx *c, const char *buf, size_t len, struct scenario *s)
{
    if (len > SCENARIO_MAX_BYTES) {
        snprintf(c->err, c->errlen, "%s: larger than 1 MiB; not a scenario", c->file);
        return -1;
    }
    char yerr[300];
    struct ynode *root = ytree_parse(buf, len, yerr, sizeof(yerr));
    if (!root) {
        snprintf(c->err, c->errlen, "%s:%s", c->file, yerr);
        return -1;
    }
    int rc = parse(c, root, s);
    ytree_free(root);
    return rc;
}

int scenario_parse_buffer(const char *name, const char *buf, size_t len, struct scenario *s,
                          char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    defaults(s);
    s->file = strdup(name);
    struct ctx c = {name, err, errlen};
    return parse_text(&c, buf, len, s);
}

int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    defaults(s);
    s->file = strdup(path);
    struct ctx c = {path, err, errlen};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(SCENARIO_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, SCENARIO_MAX_BYTES + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    int rc = parse_text(&c, buf, len, s);
    free(buf);
    return rc;
}

void scenario_free(struct scenario *s)
{
    free(s->file);
    free(s->name);
    free(s->description);
    free(s->qemu_skip);
    for (uint32_t i = 0; i < s->n_expect_violations; i++)
        free(s->expect_violations[i]);
    for (uint32_t i = 0; i < s->n_expect_informational; i++)
        free(s->expect_informational[i]);
    free(s->expect_cause);
    for (uint32_t i = 0; i < s->n_displays; i++) {
        free(s->displays[i].sha256);
        free(s->displays[i].png);
    }
    for (uint32_t i = 0; i < s->n_expect_causes; i++)
        free(s->expect_causes[i]);
    for (uint32_t i = 0; i < s->n_expect_evidence; i++) {
        free(s->expect_evidence[i].key);
        free(s->expect_evidence[i].value);
    }
    memset(s, 0, sizeof(*s));
}
