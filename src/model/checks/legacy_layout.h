/* legacy_layout.h — split.legacy.layout (§2.6.2): on the legacy interface the device finds the
 * available and used rings from QueuePFN, QueueNum and QueueAlign alone, so the driver must lay
 * its ring out by the same formula. A driver that used another layout gives itself away when it
 * reads its used ring: the load lands outside the used ring the device writes (it polls memory
 * the device never touches). The device model sees every ring load at the seam; the first such
 * load on a legacy device with a live queue is recorded. QEMU cannot see loads and has no check.
 */
#ifndef LEGACY_LAYOUT_H
#define LEGACY_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

struct legacy_layout_state {
    bool reported;             /* split.legacy.layout fired (once per run) */
};

/* The driver's ring was found laid out unlike the device's (split.legacy.layout fired): its
 * used-ring loads are not the device's fields. */
bool legacy_layout_mismatch(const struct machine *m);

/* The driver loaded `size` bytes of ring memory at gpa. */
void legacy_layout_on_driver_load(struct machine *m, uint64_t gpa, uint32_t size);

struct sr_chain;
/* The device took chain c from queue qi. A buffer of it that lies on the used ring the device
 * writes is the same disagreement seen from the other side, and needs no load to see (plain
 * ring access too): the driver put its own data where the device will write used elements.
 * Recorded for the diagnosis (run_facts.h: overlap) on any transport; on a legacy device it is
 * split.legacy.layout, once. */
void legacy_layout_on_chain(struct machine *m, uint32_t qi, const struct sr_chain *c);

#endif /* LEGACY_LAYOUT_H */
