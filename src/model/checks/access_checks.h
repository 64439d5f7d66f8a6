/* access_checks.h — the rule checks that watch the register file (§2.1, §2.2, §2.4, §3.1, §4.2).
 *
 * hal_sim.c calls these for every MMIO access that reaches the device (a replayed bug's rewritten
 * or added access included; a dropped or skipped one is never seen, as a device would not see it).
 * They record violations in both profiles; in the strict profile a write they return false for is
 * ignored by the device (*note says why). The state lives in struct machine (status_checks.h,
 * mmio_checks.h, config_checks.h).
 */
#ifndef ACCESS_CHECKS_H
#define ACCESS_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/virtio_spec.h"

struct machine;

/* Before the device applies a driver write at `off`. False: the device must ignore it.
 * QueueNotify, the write of every round trip, is decoded here once: it goes straight to the
 * checks that have a rule about it (access_checks_notify), each with its own entry point; any
 * other register goes through every family (access_checks_write_reg, which also takes
 * QueueNotify: tests/unit/test_notify_decode.c proves the two paths leave the same state and
 * the same findings). */
bool access_checks_write_reg(struct machine *m, uint32_t off, uint32_t value, const char **note);
bool access_checks_notify(struct machine *m, uint32_t value, const char **note);
static inline bool access_checks_write(struct machine *m, uint32_t off, uint32_t value,
                                       const char **note)
{
    return off == VIRTIO_MMIO_QUEUE_NOTIFY ? access_checks_notify(m, value, note)
                                           : access_checks_write_reg(m, off, value, note);
}
/* After the device answered a driver read at `off` with `value` (the device's own value). */
void access_checks_read(struct machine *m, uint32_t off, uint32_t value);
/* The run is over: rules about something the driver never did. */
void access_checks_finish(struct machine *m);

#endif /* ACCESS_CHECKS_H */
