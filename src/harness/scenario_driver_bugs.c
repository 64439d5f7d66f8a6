/* scenario_driver_bugs.c — `bugs:`: the replayed driver bugs of a scenario, each a one-key
 * mapping (kind: {selectors}) into a struct fault (model/inject/driver_bugs.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/scenario_internal.h"
#include "model/inject/driver_bugs.h"
#include "model/transport/mmio_device.h"
#include "spec/virtio_spec.h"

/* Barrier and notification bugs (driver_bugs.h: drop-barrier, rewrite-ring-load, ring-init). */
static int parse_barrier_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                             struct fault *f)
{
    if (!strcmp(kind, "drop-barrier")) {
        static const char *const k[] = {"kind", "nth", NULL};
        if (scn_check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "kind"))
            return scn_fail(c, a, "drop-barrier needs 'kind' (wmb, rmb or mb)");
        int bk = 0;
        if (scn_choose(c, a, "kind", fault_barrier_kinds, &bk) ||
            scn_get_u32(c, a, "nth", 0, 100000000, &f->nth))
            return -1;
        f->kind = FAULT_DROP_BARRIER;
        f->reg = (uint32_t)bk;
        f->label = "drop-barrier";
        return 0;
    }
    bool load = !strcmp(kind, "rewrite-ring-load");
    static const char *const kl[] = {"field", "value", "nth", "queue", NULL};
    static const char *const ki[] = {"field", "value", "queue", NULL};
    if (scn_check_keys(c, a, kind, load ? kl : ki))
        return -1;
    if (!ymap_get(a, "field") || !ymap_get(a, "value"))
        return scn_fail(c, a, "%s needs 'field' and 'value'", kind);
    const char *const *fields = load ? fault_ring_load_fields : fault_ring_init_fields;
    int field = 0;
    if (scn_choose(c, a, "field", fields, &field))
        return -1;
    f->kind = load ? FAULT_REWRITE_RING_LOAD : FAULT_RING_INIT;
    f->field = fields[field];
    f->label = load ? "rewrite-ring-load" : "ring-init";
    return scn_get_u64(c, a, "value", 0, load ? UINT32_MAX : UINT16_MAX, &f->value) ||
                   scn_get_u32(c, a, "nth", 0, 100000000, &f->nth) ||
                   scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue)
               ? -1
               : 0;
}

/* A register: its §4.2.2 name, "Config+0xN" (device config space), or an offset (0x72: the
 * added-access bugs reach undefined and unaligned offsets too). */
static int parse_reg(struct scn_ctx *c, const struct ynode *map, const char *key, uint32_t *off)
{
    const struct ynode *n = ymap_get(map, key);
    uint64_t v;
    if (!n || n->kind != YN_SCALAR)
        return scn_fail(c, n ? n : map, "'%s' must be a register name or offset", key);
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
    return scn_fail(c, n, "unknown register '%s' (a name such as QueueNotify, Config+0x4, or an "
                          "offset below 0x%x)", n->str, VIRTIO_MMIO_WINDOW_SIZE);
}

/* A list of descriptor flag names (NEXT, WRITE, INDIRECT) into bits. */
static int get_desc_flags(struct scn_ctx *c, const struct ynode *map, const char *key,
                          uint16_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SEQ)
        return scn_fail(c, n, "'%s' must be a list of flag names, e.g. [INDIRECT, NEXT]", key);
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        int bit = -1;
        for (int k = 0; it->kind == YN_SCALAR && fault_desc_flag_names[k]; k++)
            if (!strcmp(fault_desc_flag_names[k], it->str))
                bit = k;
        if (bit < 0)
            return scn_fail(c, it,
                            "unknown descriptor flag in '%s' (expected NEXT, WRITE, INDIRECT)",
                            key);
        *out |= (uint16_t)(1u << bit);
    }
    return 0;
}

/* The ring-side bugs (driver_bugs.h); 1 when `kind` is not one of them. */
static int parse_ring_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                          struct fault *f)
{
    if (!strcmp(kind, "rewrite-ring-store")) {
        static const char *const k[] = {"field", "value", "nth", "queue", NULL};
        if (scn_check_keys(c, a, kind, k))
            return -1;
        int field = -1;
        if (!ymap_get(a, "field") || !ymap_get(a, "value"))
            return scn_fail(c, a, "rewrite-ring-store needs 'field' and 'value'");
        if (scn_choose(c, a, "field", (const char *const *)fault_ring_fields, &field))
            return -1;
        f->kind = FAULT_REWRITE_RING_STORE;
        f->field = fault_ring_fields[field];
        f->label = "rewrite-ring-store";
        if (scn_get_u64(c, a, "value", 0, UINT64_MAX, &f->value) ||
            scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
            scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue))
            return -1;
        return 0;
    }
    if (!strcmp(kind, "clear-write-flag")) {
        static const char *const k[] = {"nth", "queue", NULL};
        f->kind = FAULT_CLEAR_WRITE_FLAG;
        f->label = "clear-write-flag";
        return scn_check_keys(c, a, kind, k) || scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
    }
    if (!strcmp(kind, "set-desc-flags")) {
        static const char *const k[] = {"in", "add", "remove", "nth", "queue", NULL};
        static const char *const where[] = {"ring", "indirect", NULL};
        int in = 0;
        f->kind = FAULT_SET_DESC_FLAGS;
        f->label = "set-desc-flags";
        if (scn_check_keys(c, a, kind, k) || scn_choose(c, a, "in", where, &in) ||
            get_desc_flags(c, a, "add", &f->add) || get_desc_flags(c, a, "remove", &f->remove) ||
            scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
            scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue))
            return -1;
        if (!f->add && !f->remove)
            return scn_fail(c, a, "set-desc-flags needs 'add' or 'remove' (flag names)");
        f->in_table = in == 1;
        return 0;
    }
    if (!strcmp(kind, "virt-as-phys")) {
        static const char *const k[] = {"offset", "nth", "queue", NULL};
        f->kind = FAULT_VIRT_AS_PHYS;
        f->label = "virt-as-phys";
        if (scn_check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "offset"))
            return scn_fail(c, a, "virt-as-phys needs 'offset' (virtual minus physical address)");
        return scn_get_u64(c, a, "offset", 1, UINT64_MAX, &f->value) ||
               scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
    }
    if (!strcmp(kind, "alter-exposed-desc")) {
        static const char *const k[] = {"field", "value", "nth", "queue", NULL};
        int field = -1;
        f->kind = FAULT_ALTER_EXPOSED_DESC;
        f->label = "alter-exposed-desc";
        if (scn_check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "field") || !ymap_get(a, "value"))
            return scn_fail(c, a, "alter-exposed-desc needs 'field' and 'value'");
        if (scn_choose(c, a, "field", (const char *const *)fault_desc_fields, &field))
            return -1;
        faults_set_desc_field(f, field);
        uint64_t max = f->field_size == 8 ? UINT64_MAX : (1ull << (8 * f->field_size)) - 1;
        return scn_get_u64(c, a, "value", 0, max, &f->value) ||
               scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
               scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ? -1 : 0;
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

/* The bugs on a register access (drop, rewrite, redirect a write; rewrite a read; leave out a
 * status bit); 1 when `kind` is not one of them. */
static int parse_register_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                              struct fault *f)
{
    if (!strcmp(kind, "drop-mmio-write") || !strcmp(kind, "rewrite-mmio-write") ||
        !strcmp(kind, "rewrite-mmio-read")) {
        bool drop = kind[0] == 'd', read = !strcmp(kind, "rewrite-mmio-read");
        static const char *const k1[] = {"reg", "nth", NULL};
        static const char *const k2[] = {"reg", "value", "nth", NULL};
        if (scn_check_keys(c, a, kind, drop ? k1 : k2))
            return -1;
        const char *reg = NULL;
        if (scn_get_str(c, a, "reg", &reg))
            return -1;
        if (!reg)
            return scn_fail(c, a, "%s needs 'reg' (a register name such as QueueNotify)", kind);
        int off = mmio_reg_offset(reg);
        if (off < 0)
            return scn_fail(c, ymap_get(a, "reg"), "unknown register '%s'", reg);
        f->kind = drop ? FAULT_DROP_MMIO_WRITE
                  : read ? FAULT_REWRITE_MMIO_READ : FAULT_REWRITE_MMIO_WRITE;
        f->reg = (uint32_t)off;
        f->label = drop ? "drop-mmio-write" : read ? "rewrite-mmio-read" : "rewrite-mmio-write";
        if (!drop && !ymap_get(a, "value"))
            return scn_fail(c, a, "%s needs 'value'", kind);
        if (scn_get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            scn_get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "redirect-mmio-write")) {
        static const char *const k[] = {"reg", "to", "nth", NULL};
        if (scn_check_keys(c, a, kind, k))
            return -1;
        const char *from = NULL, *to = NULL;
        if (scn_get_str(c, a, "reg", &from) || scn_get_str(c, a, "to", &to))
            return -1;
        if (!from || !to)
            return scn_fail(c, a, "redirect-mmio-write needs 'reg' and 'to' (register names, or "
                                  "Config+0xN for a device config offset)");
        int o1 = reg_offset_any(from), o2 = reg_offset_any(to);
        if (o1 < 0 || o2 < 0)
            return scn_fail(c, ymap_get(a, o1 < 0 ? "reg" : "to"), "unknown register '%s'",
                            o1 < 0 ? from : to);
        f->kind = FAULT_REDIRECT_MMIO_WRITE;
        f->reg = (uint32_t)o1;
        f->to = (uint32_t)o2;
        f->label = "redirect-mmio-write";
        if (scn_get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "skip-status-bit")) {
        static const char *const k[] = {"bit", NULL};
        static const char *const bits[] = {"ACKNOWLEDGE", "DRIVER", "FEATURES_OK", "DRIVER_OK",
                                           NULL};
        static const uint32_t bitval[] = {VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DRIVER,
                                          VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_DRIVER_OK};
        int bit = -1;
        if (scn_check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "bit"))
            return scn_fail(c, a, "skip-status-bit needs 'bit'");
        if (scn_choose(c, a, "bit", bits, &bit))
            return -1;
        f->kind = FAULT_SKIP_STATUS_BIT;
        f->label = "skip-status-bit";
        f->value = bitval[bit];
    } else {
        return 1;
    }
    return 0;
}

/* The bugs that skip a register read, or add or delay a register access; 1 when `kind` is not
 * one of them. */
static int parse_access_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                            struct fault *f)
{
    if (!strcmp(kind, "skip-mmio-read")) {
        static const char *const k[] = {"reg", "value", "nth", NULL};
        if (scn_check_keys(c, a, kind, k))
            return -1;
        if (!ymap_get(a, "reg") || !ymap_get(a, "value"))
            return scn_fail(c, a, "skip-mmio-read needs 'reg' and 'value'");
        f->kind = FAULT_SKIP_MMIO_READ;
        f->label = "skip-mmio-read";
        if (parse_reg(c, a, "reg", &f->reg) ||
            scn_get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            scn_get_u32(c, a, "nth", 0, 1000000, &f->nth))
            return -1;
    } else if (!strcmp(kind, "add-mmio-write") || !strcmp(kind, "add-mmio-read") ||
               !strcmp(kind, "delay-mmio-write")) {
        bool add_w = !strcmp(kind, "add-mmio-write"), delay = kind[0] == 'd';
        static const char *const kw[] = {"reg", "value", "after", NULL};
        static const char *const kr[] = {"reg", "after", NULL};
        static const char *const kd[] = {"reg", "nth", "after", NULL};
        if (scn_check_keys(c, a, kind, add_w ? kw : delay ? kd : kr))
            return -1;
        if (!ymap_get(a, "reg") || (add_w && !ymap_get(a, "value")) ||
            (delay && !ymap_get(a, "after")))
            return scn_fail(c, a, "%s needs %s", kind,
                            add_w ? "'reg' and 'value'" : delay ? "'reg' and 'after'" : "'reg'");
        f->kind = add_w ? FAULT_ADD_MMIO_WRITE : delay ? FAULT_DELAY_MMIO_WRITE
                                                       : FAULT_ADD_MMIO_READ;
        f->label = add_w ? "add-mmio-write" : delay ? "delay-mmio-write" : "add-mmio-read";
        if (parse_reg(c, a, "reg", &f->reg) ||
            scn_get_u64(c, a, "value", 0, UINT32_MAX, &f->value) ||
            scn_get_u32(c, a, "nth", 1, 1000000, &f->nth))
            return -1;
        const struct ynode *af = ymap_get(a, "after");
        if (af) {
            static const char *const ka[] = {"reg", "nth", "op", NULL};
            static const char *const ops[] = {"write", "read", NULL};
            int op = 0;
            if (scn_check_keys(c, af, "after", ka))
                return -1;
            if (!ymap_get(af, "reg"))
                return scn_fail(c, af, "after needs 'reg' (the access after which it happens)");
            f->has_after = true;
            f->after_nth = 1;
            if (parse_reg(c, af, "reg", &f->after_reg) ||
                scn_get_u32(c, af, "nth", 1, 1000000, &f->after_nth) ||
                scn_choose(c, af, "op", ops, &op))
                return -1;
            f->after_read = op == 1;
        }
    } else {
        return 1;
    }
    return 0;
}

static int parse_bug(struct scn_ctx *c, const struct ynode *b, struct scenario *s)
{
    if (b->kind != YN_MAP || b->n != 1)
        return scn_fail(c, b, "a bug is a one-key mapping, e.g. '- drop-mmio-write: {reg: "
                              "QueueReady}'");
    if (s->faults.n >= FAULT_MAX)
        return scn_fail(c, b, "at most %d bugs per scenario", FAULT_MAX);
    const char *kind = ymap_key(b, 0)->str;
    const struct ynode *a = ymap_val(b, 0);
    int prc = scn_parse_pci_bug(c, kind, a, s); /* scenario_pci.c */
    if (prc <= 0)
        return prc;
    struct fault *f = &s->faults.f[s->faults.n];
    memset(f, 0, sizeof(*f));
    f->nth = 1;
    int rc;
    if (!strcmp(kind, "drop-barrier") || !strcmp(kind, "rewrite-ring-load") ||
        !strcmp(kind, "ring-init"))
        rc = parse_barrier_bug(c, kind, a, f);
    else if ((rc = parse_register_bug(c, kind, a, f)) > 0 &&
             (rc = parse_access_bug(c, kind, a, f)) > 0)
        rc = parse_ring_bug(c, kind, a, f);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return scn_fail(c, ymap_key(b, 0),
                        "unknown bug '%s' (expected drop-mmio-write, rewrite-mmio-write, "
                        "rewrite-mmio-read, redirect-mmio-write, skip-mmio-read, add-mmio-write, "
                        "add-mmio-read, delay-mmio-write, skip-status-bit, rewrite-ring-store, "
                        "clear-write-flag, set-desc-flags, virt-as-phys, alter-exposed-desc, "
                        "drop-barrier, rewrite-ring-load, ring-init, or pci-wide-access, "
                        "pci-notify-no-multiplier, pci-enable-early, pci-vector-no-readback, "
                        "pci-memory-off)",
                        kind);
    s->faults.n++;
    return 0;
}

int scn_parse_bugs(struct scn_ctx *c, const struct ynode *list, struct scenario *s)
{
    if (list->kind != YN_SEQ)
        return scn_fail(c, list, "'bugs' must be a list");
    for (size_t i = 0; i < list->n; i++)
        if (parse_bug(c, list->items[i], s))
            return -1;
    return 0;
}
