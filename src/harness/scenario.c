/* scenario.c — see scenario.h. The file and its top level; the typed getters and errors every
 * section uses (scenario_internal.h lists the files of the sections). */
#include "harness/scenario.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/scenario_internal.h"
#include "spec/feature_names.h"
#include "spec/spec_version.h"
#include "util/yaml_tree.h"

#define SCENARIO_MAX_BYTES (1u << 20)

int scn_fail(struct scn_ctx *c, const struct ynode *at, const char *fmt, ...)
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
int scn_check_keys(struct scn_ctx *c, const struct ynode *map, const char *where,
                   const char *const *allowed)
{
    if (!map || map->kind != YN_MAP)
        return scn_fail(c, map, "%s must be a mapping", where);
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
            return scn_fail(c, k, "unknown key '%s' in %s (expected one of: %s)", k->str, where,
                            list);
        }
    }
    return 0;
}

int scn_get_u64(struct scn_ctx *c, const struct ynode *map, const char *key, uint64_t min,
                uint64_t max, uint64_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0; /* absent: keep the default */
    uint64_t v;
    if (!yscalar_u64(n, &v))
        return scn_fail(c, n, "'%s' must be a number (decimal or 0x hex)", key);
    if (v < min || v > max)
        return scn_fail(c, n, "'%s' is %llu, outside %llu..%llu", key, (unsigned long long)v,
                        (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

int scn_get_u32(struct scn_ctx *c, const struct ynode *map, const char *key, uint32_t min,
                uint32_t max, uint32_t *out)
{
    uint64_t v = *out;
    if (scn_get_u64(c, map, key, min, max, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int scn_get_str(struct scn_ctx *c, const struct ynode *map, const char *key,
                const char **out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SCALAR)
        return scn_fail(c, n, "'%s' must be a string", key);
    *out = n->str;
    return 0;
}

int scn_choose(struct scn_ctx *c, const struct ynode *map, const char *key,
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
    return scn_fail(c, n, "'%s' must be one of: %s", key, list);
}

static char *dupstr(const char *s) { return s ? strdup(s) : NULL; }

/* A list of feature names (feature_names.h) into a bit mask. */
int scn_get_features(struct scn_ctx *c, const struct ynode *map, const char *key,
                     uint64_t *out)
{
    const struct ynode *n = ymap_get(map, key);
    if (!n)
        return 0;
    if (n->kind != YN_SEQ)
        return scn_fail(c, n,
                        "'%s' must be a list of feature names, e.g. [event_idx, indirect_desc]",
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
            return scn_fail(c, it, "unknown feature in '%s'; known: %s", key, list);
        }
        *out |= 1ull << bit;
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
    s->device_type = "gpu";
    s->input_event_buffers = -1;
    s->net_rx_buffers = -1;
}

/* `qemu: {skip: "reason"}`: the differential run on real QEMU (tools/qemu_diff.py) leaves this
 * scenario out, for the reason given. vqsim run only records it in the JSON. */
static int parse_qemu(struct scn_ctx *c, const struct ynode *q, struct scenario *s)
{
    static const char *const keys[] = {"skip", NULL};
    if (!q)
        return 0;
    if (scn_check_keys(c, q, "qemu", keys))
        return -1;
    const char *why = NULL;
    if (scn_get_str(c, q, "skip", &why))
        return -1;
    if (!why || !why[0])
        return scn_fail(c, q, "qemu needs 'skip' with the reason QEMU cannot show what this "
                              "scenario tests");
    s->qemu_skip = dupstr(why);
    return 0;
}

/* spec: "1.1" .. "1.4" | qemu — the VirtIO version the run is judged against. */
static int parse_spec(struct scn_ctx *c, const struct ynode *n, struct scenario *s)
{
    enum spec_version v = SPEC_QEMU;
    if (n && (n->kind != YN_SCALAR || !spec_version_parse(n->str, &v)))
        return scn_fail(c, n, "spec is \"1.1\", \"1.2\", \"1.3\", \"1.4\" or qemu (QEMU 7.2's: "
                              "1.1 and the later rules it answers)");
    s->spec = (uint32_t)v;
    return 0;
}

static int parse(struct scn_ctx *c, const struct ynode *root, struct scenario *s)
{
    static const char *const keys[] = {"name", "description", "device", "driver", "bugs",
                                       "device_faults", "steps", "expect", "qemu", "spec",
                                       "transport", NULL};
    if (scn_check_keys(c, root, "the scenario", keys))
        return -1;
    const char *name = NULL, *desc = NULL;
    if (scn_get_str(c, root, "name", &name) || scn_get_str(c, root, "description", &desc))
        return -1;
    if (!name || !name[0])
        return scn_fail(c, root, "the scenario needs a 'name'");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return scn_fail(c, ymap_get(root, "name"),
                            "name '%s' may hold only a-z, 0-9, '-' and '_' (it names output files)",
                            name);
    s->name = dupstr(name);
    s->description = dupstr(desc ? desc : "");
    if (parse_qemu(c, ymap_get(root, "qemu"), s) || parse_spec(c, ymap_get(root, "spec"), s))
        return -1;
    const struct ynode *dev = ymap_get(root, "device");
    if (!dev)
        return scn_fail(c, root, "the scenario needs a 'device' section");
    if (scn_parse_device(c, dev, s))
        return -1;
    const struct ynode *drv = ymap_get(root, "driver");
    if (drv && scn_parse_driver(c, drv, s))
        return -1;
    if (s->transport_version == 1 && drv && ymap_get(drv, "layout"))
        return scn_fail(c, ymap_get(drv, "layout"), "'layout' applies to modern devices; a legacy "
                                                    "ring's layout is set by queue_align");
    const struct ynode *bugs = ymap_get(root, "bugs");
    if (bugs && scn_parse_bugs(c, bugs, s))
        return -1;
    if (scn_parse_transport(c, root, s))
        return -1;
    const struct ynode *dfl = ymap_get(root, "device_faults");
    if (dfl && scn_parse_device_faults(c, dfl, s))
        return -1;
    if (scn_parse_steps(c, root, ymap_get(root, "steps"), s))
        return -1;
    const struct ynode *e = ymap_get(root, "expect");
    if (!e)
        return scn_fail(c, root, "the scenario needs an 'expect' section: a test that does not "
                                 "check the outcome checks nothing");
    return scn_parse_expect(c, e, s);
}

/* The text of a scenario (already read) into *s; `c->file` names it in errors. */
static int parse_text(struct scn_ctx *c, const char *buf, size_t len, struct scenario *s)
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

/* s zeroed but for its steps (19 KB of the 27): each step is zeroed as it is parsed
 * (parse_step), and a step past n_steps is never read, so a scenario's load touches only the
 * pages of the steps it has (vqsim run loads every scenario into fresh memory first). */
static void zero_but_steps(struct scenario *s)
{
    size_t at = offsetof(struct scenario, steps), after = at + sizeof(s->steps);
    memset(s, 0, at);
    memset((char *)s + after, 0, sizeof(*s) - after);
}

int scenario_parse_buffer(const char *name, const char *buf, size_t len, struct scenario *s,
                          char *err, size_t errlen)
{
    zero_but_steps(s);
    defaults(s);
    s->file = strdup(name);
    struct scn_ctx c = {name, err, errlen};
    return parse_text(&c, buf, len, s);
}

int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen)
{
    zero_but_steps(s);
    defaults(s);
    s->file = strdup(path);
    struct scn_ctx c = {path, err, errlen};
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
    free(s->disk_image);
    free(s->input_script);
    for (uint32_t i = 0; i < s->net_frames_len; i++)
        free((void *)s->net_frames[i].data);
    free(s->net_frames);
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
    zero_but_steps(s);
}
