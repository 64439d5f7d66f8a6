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

struct machine;

/* Before the device applies a driver write at `off`. False: the device must ignore it. */
bool access_checks_write(struct machine *m, uint32_t off, uint32_t value, const char **note);
/* After the device answered a driver read at `off` with `value` (the device's own value). */
void access_checks_read(struct machine *m, uint32_t off, uint32_t value);
/* The run is over: rules about something the driver never did. */
void access_checks_finish(struct machine *m);

#endif /* ACCESS_CHECKS_H */
