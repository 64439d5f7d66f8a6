/* scenario_device_type.c — `device.type` (which device model the scenario runs: gpu, blk, rng,
 * device_registry.h) and what backs it (`device.disk` for a blk: the raw image file;
 * `device.entropy` for an rng: the stream's seed). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/scenario_internal.h"
#include "model/devices/blk_device.h"
#include "model/devices/device_registry.h"

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

int scn_parse_device_type(struct scn_ctx *c, const struct ynode *d, struct scenario *s)
{
    const struct ynode *t = ymap_get(d, "type");
    s->device_type = DEVICE_DEFAULT_NAME;
    if (t) {
        const struct device_ops *ops =
            t->kind == YN_SCALAR ? device_registry_find(t->str) : NULL;
        if (!ops)
            return scn_fail(c, t, "unknown device type (expected gpu, blk or rng)");
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
    return disk ? parse_disk(c, disk, s) : 0;
}
