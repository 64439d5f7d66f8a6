/* device_registry.c — see device_registry.h. */
#include "model/devices/device_registry.h"

#include <string.h>

#include "model/devices/blk_device.h"
#include "model/devices/gpu_device.h"
#include "model/devices/input_device.h"
#include "model/devices/net_device.h"
#include "model/devices/rng_device.h"

/* One line per device type. */
static const struct device_ops *const builtin[] = {
    &gpu_device_ops, /* "gpu": virtio-gpu 2D (§5.7), gpu_device.h */
    &blk_device_ops, /* "blk": virtio-blk (§5.2), blk_device.h */
    &rng_device_ops, /* "rng": the entropy device (§5.4), rng_device.h */
    &input_device_ops, /* "input": a keyboard (§5.8), input_device.h */
    &net_device_ops, /* "net": virtio-net (§5.1), net_device.h */
};

const struct device_ops *device_registry_at(size_t i)
{
    return i < sizeof(builtin) / sizeof(builtin[0]) ? builtin[i] : NULL;
}

const struct device_ops *device_registry_find(const char *name)
{
    for (size_t i = 0; name && device_registry_at(i); i++)
        if (strcmp(builtin[i]->name, name) == 0)
            return builtin[i];
    return NULL;
}
