/* feature_names.h — the names scenarios use for feature bits (§2.2, §6, §5.7.3).
 *
 * `driver.features` lists the optional features the real driver accepts when offered;
 * `device.offer` / `device.withhold` change what the device offers from QEMU 7.2's defaults.
 */
#ifndef FEATURE_NAMES_H
#define FEATURE_NAMES_H

#include <stdint.h>

struct feature_name {
    const char *name;
    uint32_t bit;
};

/* NULL-terminated table, in bit order. */
extern const struct feature_name feature_names[];

/* The bit named `name`, or -1. */
int feature_bit(const char *name);
/* The name of `bit`, or NULL. */
const char *feature_name(uint32_t bit);
/* The name of `bit` on a `device` ("gpu", "blk", …): bits 0-23 are the device type's own
 * (§6), so a device-specific bit takes only that device's name (a name "blk_…" is blk's, one
 * without a device prefix the gpu's); NULL when it has none. */
const char *feature_name_of(const char *device, uint32_t bit);

#endif /* FEATURE_NAMES_H */
