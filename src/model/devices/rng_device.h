/* rng_device.h — the entropy device (VirtIO 1.1 §5.4) as QEMU 7.2's virtio-rng-device: one
 * request queue of 8, no features of its own, no config; every request answered with as many
 * bytes as its device-writable buffers hold (the default rng-builtin backend and an unlimited
 * max-bytes), and nothing done before DRIVER_OK (QEMU's is_guest_ready).
 *
 * The entropy is a seeded stream (machine_config.rng_seed): byte p of the stream is
 * rng_stream_byte(seed, p), given out in order across requests and kept across a reset (the
 * backend is the host's). A scenario checks what the driver got against the stream.
 *
 * QEMU sizes its backend request by the device-writable bytes of every available chain
 * (virtqueue_get_avail_bytes): a chain with no writable byte that is all the queue holds is
 * never answered; one followed by a writable chain is popped and answered with length 0. The
 * model pops it (QEMU does not, while it is alone: last_avail_idx differs by it) and holds it,
 * answering it with 0 before the next writable chain. rng.buf.writable-only fires on every
 * chain with a device-readable buffer (§5.4.6.1); explain names a held request.
 */
#ifndef RNG_DEVICE_H
#define RNG_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "model/device.h"

extern const struct device_ops rng_device_ops;

#define RNG_QUEUE_SIZE 8u /* QEMU 7.2: virtio_add_queue(vdev, 8, handle_input) */

/* Byte `pos` of the entropy stream of `seed`. */
uint8_t rng_stream_byte(uint64_t seed, uint64_t pos);
/* Bytes pos .. pos + n - 1 of the same stream into dst (a word per eight bytes). */
void rng_stream_fill(uint64_t seed, uint64_t pos, uint8_t *dst, size_t n);

#endif /* RNG_DEVICE_H */
