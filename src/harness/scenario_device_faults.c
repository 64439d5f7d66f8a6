/* scenario_device_faults.c — `device_faults:`: the injected device faults of a scenario, each a
 * name or a one-key mapping (name: {selectors}) into a struct device_fault
 * (model/inject/device_faults.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness/scenario_internal.h"
#include "model/inject/device_faults.h"
#include "model/transport/mmio_device.h"

/* garbage-config: {field: num_scanouts | events_read, value: V, after_us: T} (both required). */
static int parse_garbage_config(struct scn_ctx *c, const struct ynode *where, const struct ynode *a,
                                struct scenario *s)
{
    static const char *const keys[] = {"field", "value", "after_us", NULL};
    struct device_fault *f = &s->dfaults.f[s->dfaults.n];
    if (!a || !ymap_get(a, "field") || !ymap_get(a, "value"))
        return scn_fail(c, where, "garbage-config needs 'field' (num_scanouts, events_read or "
                                  "generation) and 'value'");
    if (scn_check_keys(c, a, "garbage-config", keys))
        return -1;
    const struct ynode *fl = ymap_get(a, "field");
    if (fl->kind == YN_SCALAR && !strcmp(fl->str, "events_read"))
        f->field = 0;
    else if (fl->kind == YN_SCALAR && !strcmp(fl->str, "num_scanouts"))
        f->field = 8;
    else if (fl->kind == YN_SCALAR && !strcmp(fl->str, "generation"))
        f->field = DF_FIELD_GENERATION; /* ConfigGeneration never reads the same twice */
    else
        return scn_fail(c, fl, "unknown config field (expected num_scanouts, events_read or "
                               "generation)");
    uint64_t after = 0;
    if (scn_get_u32(c, a, "value", 0, UINT32_MAX, &f->value) ||
        scn_get_u64(c, a, "after_us", 0, 3600000000ull, &after))
        return -1;
    f->has_value = true;
    f->after_ns = after * 1000;
    return 0;
}

/* event-index: {field: avail_event | used_event, value: V | offset: D} (one of the two). */
static int parse_event_index(struct scn_ctx *c, const struct ynode *a, struct device_fault *f)
{
    static const char *const fields[] = {"avail_event", "used_event", NULL}; /* df_event_field */
    int fi = 0;
    if (scn_choose(c, a, "field", fields, &fi))
        return -1;
    f->field = (uint32_t)fi;
    const struct ynode *v = ymap_get(a, "value"), *o = ymap_get(a, "offset");
    if (v && o)
        return scn_fail(c, o, "give 'value' or 'offset', not both");
    if (v) {
        f->has_value = true;
        return scn_get_u32(c, a, "value", 0, 65535, &f->value);
    }
    /* a signed number: an optional '-' before what yscalar_u64 reads */
    bool neg = o->kind == YN_SCALAR && o->str[0] == '-';
    struct ynode mag = *o;
    if (neg)
        mag.str = o->str + 1;
    uint64_t off;
    if (!yscalar_u64(&mag, &off) || off > 65535)
        return scn_fail(c, o, "'offset' must be a number from -65535 to 65535");
    f->offset = neg ? -(int32_t)off : (int32_t)off;
    return 0;
}

/* The selectors of a per-request fault (which queue, which request, from when) and the keys
 * its kind adds (delay_us, by, type, len, field, value, offset). */
static int parse_fault_selectors(struct scn_ctx *c, const char *name, const struct ynode *a,
                                 struct device_fault *f)
{
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
    if (scn_check_keys(c, a, name, allowed))
        return -1;
    f->by = 2;
    if (scn_get_u32(c, a, "by", 1, 65535, &f->by) ||
        scn_get_u32(c, a, "type", 0, UINT32_MAX, &f->value) ||
        scn_get_u32(c, a, "len", 0, 4096, &f->value))
        return -1;
    f->has_value = ymap_get(a, "type") || ymap_get(a, "len");
    if (f->kind == DF_GARBAGE_RESPONSE) {
        static const char *const fields[] = {"display.width", "display.height",
                                             "display.enabled", "edid.size", NULL};
        int fi = -1;
        if (scn_choose(c, a, "field", fields, &fi) ||
            scn_get_u32(c, a, "value", 0, UINT32_MAX, &f->value))
            return -1;
        f->field = (uint32_t)fi; /* enum df_response_field */
        f->has_value = true;
    }
    if (f->kind == DF_EVENT_INDEX && parse_event_index(c, a, f))
        return -1;
    uint64_t after = 0, delay = 0;
    if (scn_get_u32(c, a, "queue", 0, MMIO_NUM_QUEUES - 1, &f->queue) ||
        scn_get_u32(c, a, "nth", 0, 1000000, &f->nth) ||
        scn_get_u32(c, a, "from_nth", 1, 1000000, &f->from_nth) ||
        scn_get_u64(c, a, "after_us", 0, 3600000000ull, &after) ||
        scn_get_u64(c, a, "delay_us", 1, 3600000000ull, &delay))
        return -1;
    if (ymap_get(a, "nth") && ymap_get(a, "from_nth"))
        return scn_fail(c, ymap_get(a, "from_nth"), "give 'nth' or 'from_nth', not both");
    f->after_ns = after * 1000;
    f->delay_ns = delay * 1000;
    return 0;
}

/* One entry of `device_faults:` — a name, or a one-key mapping name: {selectors…}. */
static int parse_device_fault(struct scn_ctx *c, const struct ynode *b, struct scenario *s)
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
        return scn_fail(c, b, "a device fault is a name or a one-key mapping, e.g. "
                              "'- never-respond: {nth: 2}'");
    }
    if (s->dfaults.n >= DF_MAX)
        return scn_fail(c, b, "at most %d device faults per scenario", DF_MAX);
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
        return scn_fail(c, b->kind == YN_MAP ? ymap_key(b, 0) : b,
                        "unknown device fault '%s' (expected one of: %s)", name, list);
    }
    const char *split_only = device_fault_split_field((enum df_kind)k);
    if (split_only && s->ring_packed)
        return scn_fail(c, b->kind == YN_MAP ? ymap_key(b, 0) : b,
                        "device fault '%s' writes %s, which only a split ring has; this "
                        "scenario's ring is packed (device.ring)", name, split_only);
    struct device_fault *f = &s->dfaults.f[s->dfaults.n];
    memset(f, 0, sizeof(*f));
    f->kind = (enum df_kind)k;
    f->nth = 1;
    if (f->kind == DF_RESPOND_LATE && (!a || !ymap_get(a, "delay_us")))
        return scn_fail(c, a ? a : b, "respond-late needs 'delay_us'");
    if (f->kind == DF_GARBAGE_CONFIG) /* not per request: its own keys */
        return parse_garbage_config(c, a ? a : b, a, s) ? -1 : (s->dfaults.n++, 0);
    if (f->kind == DF_EVENT_INDEX && (!a || !(ymap_get(a, "value") || ymap_get(a, "offset"))))
        return scn_fail(c, a ? a : b, "event-index needs 'value' (the index written) or 'offset' "
                                      "(added to what QEMU would write)");
    if (f->kind == DF_GARBAGE_RESPONSE && (!a || !ymap_get(a, "field") || !ymap_get(a, "value")))
        return scn_fail(c, a ? a : b, "garbage-response needs 'field' (display.width, "
                                      "display.height, display.enabled or edid.size) and 'value'");
    if (a && parse_fault_selectors(c, name, a, f))
        return -1;
    s->dfaults.n++;
    return 0;
}

int scn_parse_device_faults(struct scn_ctx *c, const struct ynode *list, struct scenario *s)
{
    if (list->kind != YN_SEQ)
        return scn_fail(c, list, "'device_faults' must be a list");
    for (size_t i = 0; i < list->n; i++)
        if (parse_device_fault(c, list->items[i], s))
            return -1;
    return 0;
}
