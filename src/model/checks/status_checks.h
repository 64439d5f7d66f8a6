/* status_checks.h — the device status field and the initialization sequence, as the device sees
 * them on the bus: §2.1.1 (status bits), §2.2.1 and §6.1 (features accepted at FEATURES_OK),
 * §3.1.1 (the eight steps, no notify before DRIVER_OK, nothing after FAILED).
 *
 * The driver's progress is read from the Status the device holds: a bit the device refused (QEMU
 * dropping a FEATURES_OK write) or ignored (the strict profile) was never set, so a driver that
 * leaves it out afterwards clears nothing.
 */
#ifndef STATUS_CHECKS_H
#define STATUS_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/virtio_spec.h"

struct machine;

struct status_check_state {
    bool any_status_write;     /* a Status write since power-on */
    bool dev_features_read;    /* DeviceFeatures read since DRIVER was set */
    bool drv_features_written; /* DriverFeatures written since DRIVER was set */
    bool reread_pending;       /* FEATURES_OK written, Status not read since */
    bool step5_reported;
    bool queue_live;           /* a queue was handed to the device since the last reset */
    bool notified;             /* a QueueNotify since the last reset */
    uint64_t accepted;         /* the features in force at FEATURES_OK */
    bool reset_unread;         /* Status = 0 written and not read back as 0 since */
    uint64_t reset_at;
    /* This initialisation began without a reset, on a device still holding the last one's
     * state (init.step1-reset): when, and the Status the device held then. */
    bool reinit;
    uint64_t reinit_at;
    uint8_t reinit_from;
    uint16_t reinit_avail_idx[3];  /* per queue, the device's last_avail_idx and used_idx then */
    uint16_t reinit_used_idx[3];
    bool reinit_live[3];           /* …and whether it was live */
    /* legacy: the DriverFeatures written (low word), judged when the driver commits to them at
     * DRIVER_OK — a driver that sets FAILED instead accepted nothing (§3.1.2) */
    bool legacy_features_written;
    uint32_t legacy_features;
    bool driver_ok_seen;       /* DRIVER_OK was set since the last reset */
    bool features_ok_refused;  /* FEATURES_OK was written and the device did not keep it */
};

/* See access_checks.h; `apply` false: the strict profile ignores the write. */
bool status_checks_write(struct machine *m, uint32_t off, uint32_t value, const char **note);
/* status_checks_write for QueueNotify (access_checks_notify). */
bool status_checks_notify(struct machine *m, uint32_t value, const char **note);
/* The usual notify, inline: with DRIVER_OK held and FAILED not (device_status, the Status the
 * device holds) there is nothing to say but that a notify came; true when so handled, false
 * when status_checks_notify must judge it. */
static inline bool status_checks_notify_quiet(struct status_check_state *s, uint8_t device_status)
{
    if ((device_status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DRIVER_OK)) !=
        VIRTIO_STATUS_DRIVER_OK)
        return false;
    s->notified = true;
    return true;
}
void status_checks_read(struct machine *m, uint32_t off, uint32_t value);
void status_checks_finish(struct machine *m);
/* Queue qi went live in an initialisation that began without a reset: the device kept its
 * state from before (QEMU keeps last_avail_idx, used_idx and inuse across a queue setup). */
bool status_checks_reinit_live(const struct machine *m, uint32_t qi);

#endif /* STATUS_CHECKS_H */
