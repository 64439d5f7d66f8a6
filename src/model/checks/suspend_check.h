/* suspend_check.h — VirtIO 1.4's device suspend (1.4 §3.4): rule status.suspend-negotiated
 * (spec/rules.yaml, specver2 block). Status value 16 (0x10) is SUSPEND in 1.4 (reserved before: the 1.1
 * rule status.set-bits-per-sequence speaks for it too); "The driver SHOULD NOT set SUSPEND bit if
 * DRIVER_OK is not set or VIRTIO_F_SUSPEND is not negotiated" (1.4 §3.4.1). Neither QEMU 7.2
 * nor vqsim offers VIRTIO_F_SUSPEND (bit 43), so what a suspended device must see (no new
 * buffers, no notifications) never arises.
 */
#ifndef SUSPEND_CHECK_H
#define SUSPEND_CHECK_H

#include <stdint.h>

struct machine;

/* A driver write of `value` at register `off` (the Status register is looked at). */
void suspend_check_write(struct machine *m, uint32_t off, uint32_t value);

#endif /* SUSPEND_CHECK_H */
