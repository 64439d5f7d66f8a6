/* scenario_steps.c — `steps:`: what the built-in driver does in a scenario, in order (each step
 * a name, or a one-key mapping name: {arguments}; `repeat` runs one step N times), and the names
 * of the gpu's responses and the driver's statuses a step may expect. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_gpu.h"
#include "harness/patterns.h"
#include "harness/scenario_internal.h"
#include "model/devices/gpu_device.h"

static int parse_rect(struct scn_ctx *c, const struct ynode *n, struct step_rect *r)
{
    static const char *const keys[] = {"x", "y", "width", "height", NULL};
    if (scn_check_keys(c, n, "rect", keys))
        return -1;
    r->set = true;
    r->x = r->y = 0;
    if (!ymap_get(n, "width") || !ymap_get(n, "height"))
        return scn_fail(c, n, "rect needs width and height");
    return scn_get_u32(c, n, "x", 0, 65535, &r->x) || scn_get_u32(c, n, "y", 0, 65535, &r->y) ||
                   scn_get_u32(c, n, "width", 0, 65535, &r->width) ||
                   scn_get_u32(c, n, "height", 0, 65535, &r->height)
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
    "reset", "init", "reset_queue", "resource_create_blob", "set_scanout_blob", "assign_uuid",
    "gpu_command", "blk_read", "blk_write", "blk_flush", "blk_discard",
    "rng_read", "input_events", "net_send", "net_receive", "net_ctrl", NULL};

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
    {"OK_RESOURCE_UUID", VIRTIO_GPU_RESP_OK_RESOURCE_UUID},
    {"OK_MAP_INFO", VIRTIO_GPU_RESP_OK_MAP_INFO},
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

static int parse_step(struct scn_ctx *c, const struct ynode *n, struct scenario_step *st);

/* `- repeat: {count: N, step: <one step>}` runs the step N times (index wrap-around needs more
 * than 65536 requests). */
static int parse_repeat(struct scn_ctx *c, const struct ynode *n, const struct ynode *args,
                        struct scenario_step *st)
{
    static const char *const keys[] = {"count", "step", NULL};
    if (!args || scn_check_keys(c, args, "repeat", keys))
        return args ? -1 : scn_fail(c, n, "repeat needs 'count' and 'step'");
    const struct ynode *inner = ymap_get(args, "step");
    if (!inner || !ymap_get(args, "count"))
        return scn_fail(c, args, "repeat needs 'count' and 'step'");
    if (inner->kind == YN_MAP && inner->n == 1 && !strcmp(ymap_key(inner, 0)->str, "repeat"))
        return scn_fail(c, inner, "repeat cannot nest");
    uint32_t count = 1;
    if (scn_get_u32(c, args, "count", 1, 10000000, &count) || parse_step(c, inner, st))
        return -1;
    st->repeat = count;
    st->line = n->line;
    return 0;
}

/* The keys a step of kind k takes (expect_status aside: every step takes it). */
static const char *const *step_keys(enum step_kind k)
{
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
    static const char *const kqueue[] = {"queue", NULL};
    static const char *const kblob[] = {"id", "format", "width", "height", "entries",
                                        "blob_mem", "blob_flags", "raw", XR, NULL};
    static const char *const kscanb[] = {"id", "scanout", "format", "rect", "raw", XR, NULL};
    static const char *const kuuid[] = {"id", "raw", XR, NULL};
    static const char *const kcmd[] = {"type", "id", "flags", "ring_idx", XR, NULL};
#define XB "sector", "expect_blk_status", "raw"
    static const char *const kblk[] = {XB, "count", "bytes", "seed", "status", NULL};
    static const char *const kblkf[] = {XB, NULL};
    static const char *const kblkd[] = {XB, "count", "bytes", "zeroes", "unmap", NULL};
    static const char *const krng[] = {"bytes", "buffers", "readable", NULL};
    static const char *const kinput[] = {"count", NULL};
    static const char *const knsend[] = {"bytes", "seed", "header_bytes", "flags", "gso_type",
                                         "num_buffers", NULL};
    static const char *const knctrl[] = {"class", "command", "data", "readable", "writable",
                                         "expect_ack", NULL};
#undef XB
    static const char *const *allowed[] = {kinfo, kcreate, kattach, kscan, kdraw, kxfer, kflush,
                                           kpoke, kid, kid, kedid, kcur, kmove, kchange, knone,
                                           kmode, kfbdraw, kfill, kfb, kfb, knone, knone,
                                           kqueue, kblob, kscanb, kuuid, kcmd, kblk, kblk,
                                           kblkf, kblkd, krng, kinput, knsend, kinput,
                                           knctrl};
    _Static_assert(sizeof(allowed) / sizeof(allowed[0]) == STEP_KIND_COUNT, "one per step");
#undef XR
    return allowed[k];
}

/* The kind of the step named `name` (n for errors). */
static int step_kind_of(struct scn_ctx *c, const struct ynode *n, const char *name, int *kind)
{
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
        return scn_fail(c, n, "unknown step '%s' (expected one of: %s)", name, list);
    }
    *kind = k;
    return 0;
}

/* expect_status: NAME, which any step may give: the driver status it must return. */
static int parse_expect_status(struct scn_ctx *c, const struct ynode *args,
                               struct scenario_step *st)
{
    const struct ynode *xs = ymap_get(args, "expect_status");
    if (xs) {
        if (xs->kind != YN_SCALAR || !driver_status_lookup(xs->str, &st->expect_status))
            return scn_fail(c, xs, "unknown driver status (a name such as ok, timeout, "
                                   "used-id-out-of-range, gpu-unexpected-response; README lists "
                                   "them)");
        st->has_expect_status = true;
    }
    return 0;
}

/* expect_response: TYPE: the response type the step must get. */
static int parse_expect_response(struct scn_ctx *c, const struct ynode *args,
                                 struct scenario_step *st)
{
    const struct ynode *xr = ymap_get(args, "expect_response");
    if (xr) {
        bool ok = false;
        for (size_t i = 0; xr->kind == YN_SCALAR && i < sizeof(responses) / sizeof(responses[0]);
             i++)
            if (!strcmp(responses[i].name, xr->str)) {
                st->expect_response = responses[i].type;
                ok = true;
            }
        if (!ok)
            return scn_fail(c, xr, "unknown response (OK_NODATA, OK_DISPLAY_INFO, OK_EDID, "
                                   "OK_RESOURCE_UUID, OK_MAP_INFO, "
                                   "ERR_UNSPEC, ERR_OUT_OF_MEMORY, ERR_INVALID_SCANOUT_ID, "
                                   "ERR_INVALID_RESOURCE_ID, ERR_INVALID_CONTEXT_ID, "
                                   "ERR_INVALID_PARAMETER)");
        st->has_expect_response = true;
    }
    return 0;
}

/* format: a pixel format's name, or a number (raw numbers test bad formats). */
static int parse_format(struct scn_ctx *c, const struct ynode *args, struct scenario_step *st)
{
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
            return scn_fail(c, f, "unknown format (B8G8R8X8, B8G8R8A8, X8R8G8B8, A8R8G8B8, "
                                  "R8G8B8X8, R8G8B8A8, X8B8G8R8, A8B8G8R8, or a number)");
    }
    return 0;
}

/* blk_read / blk_write / blk_flush: which sectors, what is written, and the driver bugs a step
 * replays (raw: sent unchecked; bytes: data not in whole sectors; status: readonly). */
static int parse_blk_args(struct scn_ctx *c, const struct ynode *args, struct scenario_step *st)
{
    if (scn_get_u64(c, args, "sector", 0, UINT64_MAX / 512, &st->sector) ||
        scn_get_u32(c, args, "count", 1, 128, &st->count) ||
        scn_get_u32(c, args, "bytes", 1, 128 * 512, &st->bytes) ||
        scn_get_u32(c, args, "seed", 0, UINT32_MAX, &st->seed))
        return -1;
    static const char *const flags[] = {"raw", "zeroes", "unmap"};
    bool *const out[] = {&st->raw, &st->zeroes, &st->unmap};
    for (int i = 0; i < 3; i++) {
        const struct ynode *f = ymap_get(args, flags[i]);
        if (f && !yscalar_bool(f, out[i]))
            return scn_fail(c, f, "'%s' must be true or false", flags[i]);
    }
    static const char *const placements[] = {"writable", "readonly", NULL};
    int pl = 0;
    if (scn_choose(c, args, "status", placements, &pl))
        return -1;
    st->status_readonly = pl == 1;
    if (st->bytes && ymap_get(args, "count") && st->kind != STEP_BLK_DISCARD)
        return scn_fail(c, args, "give 'count' (sectors) or 'bytes', not both");
    st->raw = st->raw || st->bytes || st->status_readonly ||
              (st->kind == STEP_BLK_FLUSH && st->sector != 0) || (st->unmap && !st->zeroes);
    static const char *const statuses[] = {"OK", "IOERR", "UNSUPP", NULL};
    int bs = 0;
    if (ymap_get(args, "expect_blk_status")) {
        if (scn_choose(c, args, "expect_blk_status", statuses, &bs))
            return -1;
        st->has_expect_blk_status = true;
        st->expect_blk_status = (uint32_t)bs; /* VIRTIO_BLK_S_OK, _IOERR, _UNSUPP */
    }
    return 0;
}

/* rng_read: how many bytes in how many buffers, and how many of them (the first) device-readable
 * (§5.4.6.1 forbids it: a replayed bug). */
static int parse_rng_args(struct scn_ctx *c, const struct ynode *args, struct scenario_step *st)
{
    if (scn_get_u32(c, args, "bytes", 1, 65536, &st->bytes) ||
        scn_get_u32(c, args, "buffers", 1, 4, &st->count) ||
        scn_get_u32(c, args, "readable", 0, 4, &st->readable))
        return -1;
    if (st->readable > st->count)
        return scn_fail(c, args, "'readable' counts buffers of the request: at most 'buffers'");
    if (st->bytes < st->count)
        return scn_fail(c, args, "'bytes' is shared by the buffers: at least one each");
    return 0;
}

/* The VirtIO 1.2 gpu steps' own keys: raw, blob_mem, blob_flags; gpu_command's type (a command
 * name: RESOURCE_CREATE_BLOB, CTX_CREATE, … or a number), flags and ring_idx. */
static int parse_gpu_1_2_args(struct scn_ctx *c, const struct ynode *args,
                              struct scenario_step *st)
{
    const struct ynode *f = ymap_get(args, "raw");
    if (f && !yscalar_bool(f, &st->raw))
        return scn_fail(c, f, "'raw' must be true or false");
    if (scn_get_u32(c, args, "blob_mem", 0, UINT32_MAX, &st->blob_mem) ||
        scn_get_u32(c, args, "blob_flags", 0, UINT32_MAX, &st->blob_flags) ||
        scn_get_u32(c, args, "flags", 0, UINT32_MAX, &st->cmd_flags) ||
        scn_get_u32(c, args, "ring_idx", 0, 63, &st->ring_idx))
        return -1;
    st->raw = st->raw || ymap_get(args, "blob_mem") || ymap_get(args, "blob_flags");
    if (st->kind != STEP_GPU_COMMAND)
        return 0;
    const struct ynode *t = ymap_get(args, "type");
    if (!t)
        return scn_fail(c, args, "gpu_command needs 'type' (a command name such as CTX_CREATE)");
    uint64_t num;
    for (uint32_t v = 0x100; v < 0x400 && t->kind == YN_SCALAR && !st->cmd_type; v++)
        if (gpu_cmd_name(v) && !strcmp(gpu_cmd_name(v), t->str))
            st->cmd_type = v;
    if (!st->cmd_type && yscalar_u64(t, &num) && num <= UINT32_MAX)
        st->cmd_type = (uint32_t)num;
    if (!st->cmd_type)
        return scn_fail(c, t, "unknown gpu command (a name such as GET_DISPLAY_INFO, CTX_CREATE, "
                              "SUBMIT_3D, RESOURCE_MAP_BLOB, or a number)");
    return 0;
}

/* net_send: the frame (bytes, seed) and a header of the scenario's instead of the driver's when
 * any of its fields is given (a replayed bug: header_bytes 0..12, flags, gso_type, num_buffers). */
static int parse_net_send_args(struct scn_ctx *c, const struct ynode *args,
                               struct scenario_step *st)
{
    st->bytes = 64;
    if (scn_get_u32(c, args, "bytes", 1, 65550, &st->bytes) ||
        scn_get_u32(c, args, "seed", 0, UINT32_MAX, &st->seed) ||
        scn_get_u32(c, args, "header_bytes", 0, 12, &st->net_header_bytes) ||
        scn_get_u32(c, args, "flags", 0, 255, &st->net_flags) ||
        scn_get_u32(c, args, "gso_type", 0, 255, &st->net_gso_type) ||
        scn_get_u32(c, args, "num_buffers", 0, 65535, &st->net_num_buffers))
        return -1;
    st->net_raw_header = ymap_get(args, "header_bytes") || ymap_get(args, "flags") ||
                         ymap_get(args, "gso_type") || ymap_get(args, "num_buffers");
    if (st->net_raw_header && !ymap_get(args, "header_bytes"))
        st->net_header_bytes = 0xffffffffu; /* the negotiated size (the kernel knows it) */
    return 0;
}

/* net_ctrl: {class: N, command: N, data: "hex", expect_ack: OK|ERR}, and as a replayed bug
 * `readable: N` (bytes of class, command and data, 0..2 + data) and `writable: N` (0..64). */
static int parse_net_ctrl_args(struct scn_ctx *c, const struct ynode *args,
                               struct scenario_step *st)
{
    const char *hex = NULL, *ack = NULL;
    st->net_ctrl_writable = 1;
    if (scn_get_u32(c, args, "class", 0, 255, &st->net_class) ||
        scn_get_u32(c, args, "command", 0, 255, &st->net_command) ||
        scn_get_str(c, args, "data", &hex) || scn_get_str(c, args, "expect_ack", &ack) ||
        scn_get_u32(c, args, "writable", 0, 64, &st->net_ctrl_writable))
        return -1;
    if (!ymap_get(args, "class") || !ymap_get(args, "command"))
        return scn_fail(c, args, "net_ctrl needs 'class' and 'command' (§5.1.6.5)");
    size_t hl = hex ? strlen(hex) : 0;
    if (hl % 2 || hl / 2 > sizeof(st->net_ctrl_data) ||
        strspn(hex ? hex : "", "0123456789abcdefABCDEF") != hl)
        return scn_fail(c, ymap_get(args, "data"), "'data' is an even number of hex digits "
                        "(at most %zu bytes)", sizeof(st->net_ctrl_data));
    st->net_ctrl_len = (uint32_t)(hl / 2);
    for (uint32_t i = 0; i < st->net_ctrl_len; i++) {
        char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
        st->net_ctrl_data[i] = (uint8_t)strtoul(two, NULL, 16);
    }
    st->net_ctrl_readable = 2 + st->net_ctrl_len;
    if (scn_get_u32(c, args, "readable", 0, 2 + st->net_ctrl_len, &st->net_ctrl_readable))
        return -1;
    st->net_ctrl_raw = ymap_get(args, "readable") || ymap_get(args, "writable");
    st->has_expect_ack = ack != NULL;
    if (ack && strcmp(ack, "OK") && strcmp(ack, "ERR"))
        return scn_fail(c, ymap_get(args, "expect_ack"), "expect_ack is OK or ERR");
    st->expect_ack = ack && !strcmp(ack, "ERR") ? 1u : 0u; /* VIRTIO_NET_OK 0, ERR 1 */
    return 0;
}

/* The arguments of a step (its keys already checked), each where its kind reads it. */
static int parse_step_args(struct scn_ctx *c, const struct ynode *args, struct scenario_step *st)
{
    if (parse_expect_status(c, args, st))
        return -1;
    if (st->kind == STEP_RNG_READ)
        return parse_rng_args(c, args, st);
    if (st->kind == STEP_INPUT_EVENTS || st->kind == STEP_NET_RECEIVE) /* the script's or the
                                                                          * source's next `count` */
        return scn_get_u32(c, args, "count", 1, 256, &st->count);
    if (st->kind == STEP_NET_SEND)
        return parse_net_send_args(c, args, st);
    if (st->kind == STEP_NET_CTRL)
        return parse_net_ctrl_args(c, args, st);
    if (st->kind >= STEP_BLK_READ)
        return parse_blk_args(c, args, st);
    if (st->kind >= STEP_RESOURCE_CREATE_BLOB && parse_gpu_1_2_args(c, args, st))
        return -1;
    if (scn_get_u32(c, args, "hot_x", 0, 63, &st->hot_x) ||
        scn_get_u32(c, args, "hot_y", 0, 63, &st->hot_y) ||
        scn_get_u32(c, args, "entries", 1, 254, &st->entries) ||
        scn_get_u64(c, args, "addr", 0, UINT64_MAX, &st->entry_addr) ||
        scn_get_u32(c, args, "length", 0, UINT32_MAX, &st->entry_length))
        return -1;
    st->has_entry = ymap_get(args, "addr") || ymap_get(args, "length");
    if (st->has_entry && (!ymap_get(args, "addr") || !ymap_get(args, "length") ||
                          ymap_get(args, "entries")))
        return scn_fail(c, args, "attach_backing with an explicit entry needs both 'addr' and "
                                 "'length' (and no 'entries')");
    const struct ynode *en = ymap_get(args, "enabled");
    if (en && !yscalar_bool(en, &st->enabled))
        return scn_fail(c, en, "'enabled' must be true or false");
    if (parse_expect_response(c, args, st))
        return -1;
    if (scn_get_u32(c, args, "id", 0, UINT32_MAX, &st->id) ||
        scn_get_u32(c, args, "width", 1, 16384, &st->width) ||
        scn_get_u32(c, args, "height", 1, 16384, &st->height) ||
        scn_get_u32(c, args, "scanout", 0, 15, &st->scanout) ||
        scn_get_u32(c, args, "queue", 0, 1, &st->queue) ||
        scn_get_u32(c, args, "x", 0, 16383, &st->x) ||
        scn_get_u32(c, args, "y", 0, 16383, &st->y) ||
        scn_get_u32(c, args, "color", 0, 0xffffff, &st->color) ||
        scn_get_u64(c, args, "offset", 0, UINT64_MAX, &st->offset))
        return -1;
    st->has_offset = ymap_get(args, "offset") != NULL;
    if (parse_format(c, args, st))
        return -1;
    const struct ynode *p = ymap_get(args, "pattern");
    if (p && (p->kind != YN_SCALAR || !(st->pattern = pattern_lookup(p->str))))
        return scn_fail(c, p, "unknown pattern (expected bars or black)");
    const struct ynode *r = ymap_get(args, "rect");
    if (r && parse_rect(c, r, &st->rect))
        return -1;
    if (st->kind == STEP_POKE_PIXEL && (!ymap_get(args, "x") || !ymap_get(args, "y") ||
                                        !ymap_get(args, "color")))
        return scn_fail(c, args, "poke_pixel needs x, y and color");
    if (st->kind == STEP_DISPLAY_CHANGE && (!ymap_get(args, "width") || !ymap_get(args, "height")))
        return scn_fail(c, args, "display_change needs width and height");
    if (st->kind == STEP_DISPLAY_CHANGE && (scn_get_u32(c, args, "width", 16, 8192, &st->width) ||
                                            scn_get_u32(c, args, "height", 16, 8192, &st->height)))
        return -1; /* the same range as device.display */
    if (st->kind == STEP_FB_FILL && (!st->rect.set || !ymap_get(args, "color")))
        return scn_fail(c, args, "fb_fill needs rect and color");
    if (st->kind == STEP_FB_SET_MODE && st->id == 0)
        return scn_fail(c, ymap_get(args, "id"), "fb_set_mode needs a resource id other than 0");
    return 0;
}

static int parse_step(struct scn_ctx *c, const struct ynode *n, struct scenario_step *st)
{
    memset(st, 0, sizeof(*st));
    st->line = n->line;
    st->id = 1;
    st->format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
    st->blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST;
    st->blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE;
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
        return scn_fail(c, n, "a step is a name ('- get_display_info') or a one-key mapping "
                              "('- set_scanout: {id: 1}')");
    }
    if (!strcmp(name, "repeat"))
        return parse_repeat(c, n, args, st);
    int k = -1;
    if (step_kind_of(c, n, name, &k))
        return -1;
    st->kind = (enum step_kind)k;
    st->pattern = "bars";
    st->entries = 1;
    st->enabled = true;
    st->count = 1;
    if (!args) {
        if (st->kind == STEP_POKE_PIXEL)
            return scn_fail(c, n, "poke_pixel needs x, y and color");
        if (st->kind == STEP_DISPLAY_CHANGE || st->kind == STEP_FB_FILL ||
            st->kind == STEP_GPU_COMMAND || st->kind == STEP_NET_CTRL)
            return scn_fail(c, n, "%s needs its arguments (see README)", name);
        return 0;
    }
    /* expect_status: any step may name the driver status it must return */
    const char *const *keys = step_keys(st->kind);
    const char *with_status[24];
    size_t na = 0;
    for (; keys[na] && na < 22; na++)
        with_status[na] = keys[na];
    with_status[na++] = "expect_status";
    with_status[na] = NULL;
    if (scn_check_keys(c, args, name, with_status))
        return -1;
    return parse_step_args(c, args, st);
}

int scn_parse_steps(struct scn_ctx *c, const struct ynode *root, const struct ynode *steps,
                    struct scenario *s)
{
    if (!steps || steps->kind != YN_SEQ || steps->n == 0)
        return scn_fail(c, steps ? steps : root, "the scenario needs a non-empty 'steps' list");
    if (steps->n > SCENARIO_MAX_STEPS)
        return scn_fail(c, steps, "at most %d steps", SCENARIO_MAX_STEPS);
    for (size_t i = 0; i < steps->n; i++) {
        struct scenario_step *st = &s->steps[s->n_steps++];
        if (parse_step(c, steps->items[i], st))
            return -1;
        const char *owner = st->kind >= STEP_NET_SEND ? "net"
                            : st->kind == STEP_INPUT_EVENTS ? "input"
                            : st->kind == STEP_RNG_READ ? "rng"
                            : st->kind >= STEP_BLK_READ ? "blk" : "gpu";
        if (strcmp(owner, s->device_type))
            return scn_fail(c, steps->items[i], "step '%s' is not a step of a %s device",
                            step_name(st->kind), s->device_type);
        if (st->kind == STEP_UPDATE_CURSOR || st->kind == STEP_MOVE_CURSOR)
            s->cursor = true; /* the driver sets up the cursor queue only when it is used */
        uint32_t n_scanouts = s->n_extra_scanouts + 1;
        if ((st->kind == STEP_DISPLAY_CHANGE ||
             (st->kind >= STEP_FB_SET_MODE && st->kind <= STEP_FB_DISABLE)) &&
            st->scanout >= n_scanouts)
            return scn_fail(c, steps->items[i], "scanout %u: the device has %u", st->scanout,
                            n_scanouts);
    }
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
