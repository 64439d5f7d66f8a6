/* packed_exposed.h — who owns a packed ring's descriptors when the driver stores into one
 * (§2.7.16), checked at each driver store to a descriptor ring (harness/hal_sim.c, and the
 * replayed bugs that store behind the driver's back):
 *   - packed.change-only-after-used: the descriptor is one the device took and has not marked
 *     used (the ring offsets from the device's used index, as many as it holds);
 *   - packed.no-change-after-avail: the descriptor belongs to a list the driver made available
 *     that the device has not taken yet (from the device's next offset on, list by list while
 *     the head shows available) — except the store of a head's flags that makes it available.
 * The model's own indices say what the device holds and where it looks next: no guess from the
 * driver's side. In-order use is what these windows assume; a device that uses lists out of
 * order (not this one) would make the held window an over-approximation.
 */
#ifndef PACKED_EXPOSED_H
#define PACKED_EXPOSED_H

#include <stdint.h>

struct machine;

/* A driver store of `size` bytes at gpa, from `old` to `v`. */
void packed_on_driver_store(struct machine *m, uint64_t gpa, uint64_t old, uint64_t v,
                            uint32_t size);

#endif /* PACKED_EXPOSED_H */
