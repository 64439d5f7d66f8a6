/* device_registry.h — the device types vqsim ships, by name (device.h is the contract each
 * implements). A scenario's machine names one (machine_config.device); machine_init finds it
 * here. Adding a device model: its file in model/devices/ and one line in device_registry.c's
 * table — nothing in the machine, the transport, the rings or the harness.
 */
#ifndef DEVICE_REGISTRY_H
#define DEVICE_REGISTRY_H

#include <stddef.h>

#include "model/device.h"

/* The name the machine uses when a configuration names none: the gpu, the one device type vqsim
 * had before device types had names. */
#define DEVICE_DEFAULT_NAME "gpu"

/* The built-in device type called `name`, or NULL. */
const struct device_ops *device_registry_find(const char *name);
/* The built-in types in order, for listings and error messages: type i, or NULL past the end. */
const struct device_ops *device_registry_at(size_t i);

#endif /* DEVICE_REGISTRY_H */
