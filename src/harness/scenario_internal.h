/* scenario_internal.h — shared by the scenario parser's files (scenario.h's scenario_load):
 *   scenario.c               the file, its top level, file:line:col errors, the typed getters
 *   scenario_device.c        device:         the virtio-mmio device and the machine around it
 *   scenario_driver.c        driver:         the built-in driver's settings (sizes, pins, waits)
 *   scenario_driver_bugs.c   bugs:           replayed driver bugs (model/inject/driver_bugs.h)
 *   scenario_device_faults.c device_faults:  injected device faults (model/inject/device_faults.h)
 *   scenario_steps.c         steps:          what the driver does, in order
 *   scenario_expect.c        expect:         what must come out
 * Not part of the harness's interface.
 */
#ifndef SCENARIO_INTERNAL_H
#define SCENARIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "harness/scenario.h"
#include "util/yaml_tree.h"

/* The file being parsed, and where its first error goes. */
struct scn_ctx {
    const char *file;
    char *err;
    size_t errlen;
};

/* "FILE:LINE:COL: message" into c->err, at node `at` (1:1 when NULL). Returns -1. */
int scn_fail(struct scn_ctx *c, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Every key of `map` must be one of `allowed` (NULL-terminated); `where` names the map. */
int scn_check_keys(struct scn_ctx *c, const struct ynode *map, const char *where,
                   const char *const *allowed);

/* The getters: the value of `key` in `map` into *out. An absent key keeps *out (the default).
 * 0, or -1 with the error (wrong type, out of range) in c->err. */
int scn_get_u64(struct scn_ctx *c, const struct ynode *map, const char *key, uint64_t min,
                uint64_t max, uint64_t *out);
int scn_get_u32(struct scn_ctx *c, const struct ynode *map, const char *key, uint32_t min,
                uint32_t max, uint32_t *out);
int scn_get_str(struct scn_ctx *c, const struct ynode *map, const char *key, const char **out);
/* One of `names` (NULL-terminated): its index. */
int scn_choose(struct scn_ctx *c, const struct ynode *map, const char *key,
               const char *const *names, int *out);
/* A list of feature names (spec/feature_names.h), OR-ed into the bit mask *out. */
int scn_get_features(struct scn_ctx *c, const struct ynode *map, const char *key, uint64_t *out);

/* The sections, each filling its part of *s: 0, or -1 with the error in c->err. */
int scn_parse_device(struct scn_ctx *c, const struct ynode *d, struct scenario *s);
/* device.type and what backs it (device.disk): scenario_device_type.c */
int scn_parse_device_type(struct scn_ctx *c, const struct ynode *d, struct scenario *s);
int scn_parse_driver(struct scn_ctx *c, const struct ynode *d, struct scenario *s);
int scn_parse_expect(struct scn_ctx *c, const struct ynode *e, struct scenario *s);
/* The list sections (`list` the bugs: or device_faults: node; steps: may be absent (NULL),
 * an error at `root`). */
int scn_parse_bugs(struct scn_ctx *c, const struct ynode *list, struct scenario *s);
int scn_parse_device_faults(struct scn_ctx *c, const struct ynode *list, struct scenario *s);
int scn_parse_steps(struct scn_ctx *c, const struct ynode *root, const struct ynode *steps,
                    struct scenario *s);

/* scenario_pci.c: the top-level `transport:` (after the device and the bugs); a pci-* bug
 * (1: not a PCI bug's name). */
int scn_parse_transport(struct scn_ctx *c, const struct ynode *root, struct scenario *s);
int scn_parse_pci_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                      struct scenario *s);

#endif /* SCENARIO_INTERNAL_H */
