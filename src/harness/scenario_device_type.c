/* scenario_device_type.c — `device.type` (which device model the scenario runs: gpu, blk, rng,
 * device_registry.h) and what backs it (`device.disk` for a blk: the raw image file;
 * `device.entropy` for an rng: the stream's seed; `device.net` for a net: its mac and the
 * packet source). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/kernel_net.h"
#include "harness/scenario_internal.h"
#include "model/devices/blk_device.h"
#include "model/devices/device_registry.h"
#include "model/devices/input_device.h"

/* `path` as the scenario names it, against the scenario file's folder when relative. */
static char *resolve(const char *scenario_file, const char *path)
{
    const char *slash = strrchr(scenario_file, '/');
    size_t dir = path[0] == '/' || !slash ? 0 : (size_t)(slash - scenario_file) + 1;
    char *out = malloc(dir + strlen(path) + 1);
    if (out) {
        memcpy(out, scenario_file, dir);
        strcpy(out + dir, path);
    }
    return out;
}

/* device.disk: {image: FILE, writes: model|file, read_only: bool}. */
static int parse_disk(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    static const char *const keys[] = {"image", "writes", "read_only", NULL};
    if (scn_check_keys(c, d, "device.disk", keys))
        return -1;
    const char *image = NULL;
    if (scn_get_str(c, d, "image", &image))
        return -1;
    if (!image || !image[0])
        return scn_fail(c, d, "device.disk needs 'image': a raw disk image file");
    s->disk_image = resolve(c->file, image);
    struct stat st;
    if (!s->disk_image || stat(s->disk_image, &st) != 0 || !S_ISREG(st.st_mode))
        return scn_fail(c, ymap_get(d, "image"), "disk image '%s' is not a readable file",
                        s->disk_image ? s->disk_image : image);
    if ((uint64_t)st.st_size > BLK_MAX_IMAGE_BYTES || st.st_size < 512)
        return scn_fail(c, ymap_get(d, "image"), "disk image '%s' has %lld bytes: the model "
                        "takes 512 bytes to %llu TiB", s->disk_image, (long long)st.st_size,
                        BLK_MAX_IMAGE_BYTES >> 40);
    static const char *const writes[] = {"model", "file", NULL};
    int w = 0;
    if (scn_choose(c, d, "writes", writes, &w))
        return -1;
    s->disk_writes_to_file = w == 1;
    const struct ynode *ro = ymap_get(d, "read_only");
    if (ro && !yscalar_bool(ro, &s->disk_read_only))
        return scn_fail(c, ro, "'read_only' must be true or false");
    return 0;
}

/* One event of device.input.events: {type: EV_KEY|EV_REL|EV_ABS|EV_SYN|N, code: N, value: N}. */
static int parse_event(struct scn_ctx *c, const struct ynode *e, struct virtio_input_event *ev)
{
    static const char *const keys[] = {"type", "code", "value", NULL};
    static const char *const types[] = {"EV_SYN", "EV_KEY", "EV_REL", "EV_ABS", NULL};
    if (scn_check_keys(c, e, "device.input.events[]", keys))
        return -1;
    const struct ynode *t = ymap_get(e, "type");
    uint32_t code = 0, type = 0;
    if (!t)
        return scn_fail(c, e, "an event needs 'type' (EV_SYN, EV_KEY, EV_REL, EV_ABS or a number)");
    int k = -1;
    for (int i = 0; t->kind == YN_SCALAR && types[i]; i++)
        if (!strcmp(types[i], t->str))
            k = i;
    if (k < 0 && scn_get_u32(c, e, "type", 0, 0x1f, &type))
        return -1;
    if (scn_get_u32(c, e, "code", 0, 0x2ff, &code))
        return -1;
    const struct ynode *v = ymap_get(e, "value");
    long long sv = 0;
    char *end = NULL;
    if (v && (v->kind != YN_SCALAR || (sv = strtoll(v->str, &end, 0), !end || *end || end == v->str) ||
              sv < INT32_MIN || sv > (long long)UINT32_MAX))
        return scn_fail(c, v, "'value' must be a 32-bit integer (negative for relative motion)");
    *ev = (struct virtio_input_event){(uint16_t)(k >= 0 ? (uint32_t)k : type), (uint16_t)code,
                                      (uint32_t)sv};
    return 0;
}

/* device.input: {events: [...]}: the script the host plays (input_events steps inject it). */
static int parse_input(struct scn_ctx *c, const struct ynode *in, struct scenario *s)
{
    static const char *const keys[] = {"events", NULL};
    if (scn_check_keys(c, in, "device.input", keys))
        return -1;
    const struct ynode *evs = ymap_get(in, "events");
    if (!evs || evs->kind != YN_SEQ || evs->n == 0 || evs->n > INPUT_MAX_SCRIPT)
        return scn_fail(c, evs ? evs : in, "device.input needs 'events': a list of 1 to %u "
                        "events", INPUT_MAX_SCRIPT);
    s->input_script = calloc(evs->n, sizeof(*s->input_script));
    if (!s->input_script)
        return scn_fail(c, in, "out of memory");
    for (size_t i = 0; i < evs->n; i++)
        if (parse_event(c, evs->items[i], &s->input_script[s->input_script_len++]))
            return -1;
    return 0;
}

/* One frame of device.net.frames: {bytes: N, seed: S} (kernel_net_frame_byte) or {hex: "…"}. */
static int parse_frame(struct scn_ctx *c, const struct ynode *f, struct net_frame *out)
{
    static const char *const keys[] = {"bytes", "seed", "hex", NULL};
    if (scn_check_keys(c, f, "device.net.frames[]", keys))
        return -1;
    const char *hex = NULL;
    uint32_t bytes = 0, seed = 0;
    if (scn_get_str(c, f, "hex", &hex) || scn_get_u32(c, f, "bytes", 1, NET_MAX_FRAME, &bytes) ||
        scn_get_u32(c, f, "seed", 0, UINT32_MAX, &seed))
        return -1;
    if (!hex == !ymap_get(f, "bytes"))
        return scn_fail(c, f, "a frame is either {bytes: N, seed: S} or {hex: \"…\"}");
    size_t hl = hex ? strlen(hex) : 0;
    if (hex && (hl == 0 || hl % 2 || hl / 2 > NET_MAX_FRAME ||
                strspn(hex, "0123456789abcdefABCDEF") != hl))
        return scn_fail(c, ymap_get(f, "hex"), "'hex' is an even number of hex digits (1 to %u "
                        "bytes)", NET_MAX_FRAME);
    uint32_t len = hex ? (uint32_t)(hl / 2) : bytes;
    uint8_t *data = malloc(len);
    if (!data)
        return scn_fail(c, f, "out of memory");
    for (uint32_t i = 0; i < len; i++) {
        char two[3] = {hex ? hex[2 * i] : 0, hex ? hex[2 * i + 1] : 0, 0};
        data[i] = hex ? (uint8_t)strtoul(two, NULL, 16) : kernel_net_frame_byte(seed, i);
    }
    *out = (struct net_frame){data, len};
    return 0;
}

/* device.net: {mac: "52:54:00:12:34:56", frames: [...]}: the NIC's address and the packet
 * source (net_receive steps deliver it). */
static int parse_net(struct scn_ctx *c, const struct ynode *n, struct scenario *s)
{
    static const char *const keys[] = {"mac", "frames", NULL};
    if (scn_check_keys(c, n, "device.net", keys))
        return -1;
    const char *mac = NULL;
    if (scn_get_str(c, n, "mac", &mac))
        return -1;
    unsigned b[6];
    char end;
    if (mac && (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                       &end) != 6))
        return scn_fail(c, ymap_get(n, "mac"), "'mac' is six hex bytes: 52:54:00:12:34:56");
    for (int i = 0; mac && i < 6; i++)
        s->net_mac[i] = (uint8_t)b[i];
    s->net_mac_set = mac != NULL;
    const struct ynode *fr = ymap_get(n, "frames");
    if (!fr)
        return 0;
    if (fr->kind != YN_SEQ || fr->n > NET_MAX_SOURCE)
        return scn_fail(c, fr, "'frames' is a list of at most %u frames", NET_MAX_SOURCE);
    s->net_frames = calloc(fr->n ? fr->n : 1, sizeof(*s->net_frames));
    if (!s->net_frames)
        return scn_fail(c, fr, "out of memory");
    for (size_t i = 0; i < fr->n; i++) {
        if (parse_frame(c, fr->items[i], &s->net_frames[i]))
            return -1;
        s->net_frames_len++;
    }
    return 0;
}

int scn_parse_device_type(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    const struct ynode *t = ymap_get(d, "type");
    s->device_type = DEVICE_DEFAULT_NAME;
    if (t) {
        const struct device_ops *ops =
            t->kind == YN_SCALAR ? device_registry_find(t->str) : NULL;
        if (!ops)
            return scn_fail(c, t, "unknown device type (expected gpu, blk, rng, input or net)");
        s->device_type = ops->name;
    }
    const struct ynode *disk = ymap_get(d, "disk"), *entropy = ymap_get(d, "entropy");
    bool blk = !strcmp(s->device_type, "blk");
    if (blk != (disk != NULL))
        return scn_fail(c, disk ? disk : d, blk ? "a blk device needs 'disk: {image: FILE}'"
                                                : "'disk' belongs to a blk device (type: blk)");
    if (entropy && strcmp(s->device_type, "rng"))
        return scn_fail(c, entropy, "'entropy' belongs to an entropy device (type: rng)");
    if (entropy) { /* device.entropy: {seed: N}: the stream the device gives (default 0) */
        static const char *const ek[] = {"seed", NULL};
        if (scn_check_keys(c, entropy, "device.entropy", ek) ||
            scn_get_u64(c, entropy, "seed", 0, UINT64_MAX, &s->rng_seed))
            return -1;
    }
    const struct ynode *input = ymap_get(d, "input");
    bool is_input = !strcmp(s->device_type, "input");
    if (is_input != (input != NULL))
        return scn_fail(c, input ? input : d, is_input ? "an input device needs 'input: {events: "
                                                         "[...]}'"
                                                       : "'input' belongs to an input device");
    if (input && parse_input(c, input, s))
        return -1;
    const struct ynode *net = ymap_get(d, "net");
    if (net && strcmp(s->device_type, "net"))
        return scn_fail(c, net, "'net' belongs to a network device (type: net)");
    if (net && parse_net(c, net, s))
        return -1;
    return disk ? parse_disk(c, disk, s) : 0;
}
