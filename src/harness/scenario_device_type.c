/* scenario_device_type.c — `device.type` (which device model the scenario runs: gpu, blk, rng,
 * device_registry.h) and what backs it (`device.disk` for a blk: the raw image file;
 * `device.entropy` for an rng: the stream's seed). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
                        "takes 512 bytes to %llu MiB", s->disk_image, (long long)st.st_size,
                        BLK_MAX_IMAGE_BYTES >> 20);
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

int scn_parse_device_type(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    const struct ynode *t = ymap_get(d, "type");
    s->device_type = DEVICE_DEFAULT_NAME;
    if (t) {
        const struct device_ops *ops =
            t->kind == YN_SCALAR ? device_registry_find(t->str) : NULL;
        if (!ops)
            return scn_fail(c, t, "unknown device type (expected gpu, blk, rng or input)");
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
    return disk ? parse_disk(c, disk, s) : 0;
}
