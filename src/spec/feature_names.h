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

/* NULL-terminated table: the gpu, blk and generic names in bit order, then virtio-net's
 * (bits shared with them are found by name, shown by the first). */
extern const struct feature_name feature_names[];

/* The bit named `name`, or -1. */
int feature_bit(const char *name);
/* The name of `bit`, or NULL. */
const char *feature_name(uint32_t bit);

#endif /* FEATURE_NAMES_H */
