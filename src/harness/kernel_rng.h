/* kernel_rng.h — the steps of an entropy scenario (rng_read), done as a kernel does them through
 * the built-in driver (driver/virtio_rng.h), each outcome checked by content: the bytes the
 * driver got must be the scenario's seeded stream (device.entropy.seed), in order, from where
 * the last read left it — the stream written here apart from the model's (rng_device.c), as the
 * harness plays the guest that knows what the host was told to give. Plugged in through
 * kernel_device.h.
 */
#ifndef KERNEL_RNG_H
#define KERNEL_RNG_H

#include <stdint.h>

#include "harness/kernel_device.h"

extern const struct kernel_device_ops kernel_rng_ops;

/* Byte `pos` of the stream a device seeded with `seed` gives (splitmix64, 8 bytes a word,
 * little-endian). */
uint8_t kernel_rng_expected(uint64_t seed, uint64_t pos);

#endif /* KERNEL_RNG_H */
