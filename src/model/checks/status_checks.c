/* status_checks.c — see status_checks.h.
 *
 * The device sees the initialization sequence only as register accesses. It follows it with the
 * Status values the driver writes (not the Status the device shows: DEVICE_NEEDS_RESET is the
 * device's) and with the feature and queue registers in between. Each event is reported under the
 * most specific rule it breaks, and only under that one, so a scenario that replays one mistake
 * fires exactly one rule.
 */
#include "model/checks/status_checks.h"

#include <stdio.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"

#define ST_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define ST_DRIVER VIRTIO_STATUS_DRIVER
#define ST_FOK VIRTIO_STATUS_FEATURES_OK
#define ST_DOK VIRTIO_STATUS_DRIVER_OK
#define ST_FAILED VIRTIO_STATUS_FAILED
/* The bits that stand for a step of §3.1.1 (or FAILED): the ones a driver sets. */
#define ST_DRIVER_BITS (ST_ACK | ST_DRIVER | ST_FOK | ST_DOK | ST_FAILED)

static bool strict(const struct machine *m) { return m->cfg.profile == PROFILE_STRICT; }

/* The driver's bits as the device holds them: what the driver wrote and the device took (a write
 * the device refused or ignored set nothing). */
static uint8_t held(const struct machine *m) { return m->dev.status & ST_DRIVER_BITS; }

/* Registers that hand a queue to the device (§3.1.1 step 7, §4.2.3.2, §4.2.4). */
static bool queue_setup_reg(const struct machine *m, uint32_t off)
{
    if (off == VIRTIO_MMIO_QUEUE_NUM)
        return true;
    if (m->dev.version == 1)
        return off == VIRTIO_MMIO_QUEUE_ALIGN || off == VIRTIO_MMIO_QUEUE_PFN;
    return off == VIRTIO_MMIO_QUEUE_READY ||
           (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH &&
            off % 16 <= 4);
}

/* Step 7 or 8 begins (a queue register write, or DRIVER_OK): steps 5 and 6 must be done. */
static void before_setup(struct machine *m, uint8_t status)
{
    struct status_check_state *s = &m->status_checks;
    if (m->dev.version == 2 && !(status & ST_FOK) && !s->step5_reported) {
        s->step5_reported = true;
        machine_violation(m, "init.step5-features-ok", -1,
                          "device setup began with Status 0x%02x: FEATURES_OK was never set "
                          "(§3.1.1 step 5)", status);
    }
    if (s->reread_pending) {
        s->reread_pending = false;
        machine_violation(m, "init.step6-reread-features-ok", -1,
                          "FEATURES_OK was written but Status was not read back before device "
                          "setup went on (§3.1.1 step 6)");
    }
}

/* FEATURES_OK on a modern device: what the driver accepted. True if the device accepts it. */
static bool check_features(struct machine *m, const char **note)
{
    struct mmio_device *d = &m->dev;
    uint64_t want = (uint64_t)d->guest_features_reg[1] << 32 | d->guest_features_reg[0];
    uint64_t offered = d->host_features;
    const uint64_t sriov = 1ull << VIRTIO_F_SR_IOV, v1 = 1ull << VIRTIO_F_VERSION_1;
    bool bad = false;
    if (want & sriov) {
        bad = true;
        machine_violation(m, "feat.sr-iov-not-non-pci", -1,
                          "the driver accepted VIRTIO_F_SR_IOV (bit 37) on a virtio-mmio device");
    }
    if (want & ~offered & ~sriov) {
        bad = true;
        machine_violation(m, "feat.accept-only-offered", -1,
                          "at FEATURES_OK the driver accepted 0x%llx, offered were 0x%llx: bits "
                          "0x%llx were not offered",
                          (unsigned long long)want, (unsigned long long)offered,
                          (unsigned long long)(want & ~offered & ~sriov));
    }
    if ((offered & v1) && !(want & v1)) {
        bad = true;
        machine_violation(m, "feat.version1-accept", -1,
                          "VIRTIO_F_VERSION_1 was offered but not accepted (features 0x%llx)",
                          (unsigned long long)want);
    }
    m->status_checks.accepted = want & offered;
    if (bad && strict(m)) {
        *note = "strict profile: FEATURES_OK refused (the accepted features are not a subset "
                "this device can accept); Status unchanged";
        return false;
    }
    return true;
}

/* A Status write that starts the initialisation over (ACKNOWLEDGE, perhaps with DRIVER, and
 * nothing else) on a device that holds more than that: the driver re-initialises it without a
 * reset. QEMU stores the value and keeps every queue live with its indices. */
static bool restarts_without_reset(uint8_t had, uint8_t v)
{
    return (v & ST_ACK) && !(v & ~(ST_ACK | ST_DRIVER)) && (had & ~v);
}

/* DRIVER_OK on a legacy device: the driver commits to the features it wrote (§3.1.2). */
static void legacy_commit(struct machine *m)
{
    struct status_check_state *s = &m->status_checks;
    const struct mmio_device *d = &m->dev;
    if (d->version != 1 || !s->legacy_features_written)
        return;
    uint32_t value = s->legacy_features;
    if (value & ~(uint32_t)d->host_features)
        machine_violation(m, "feat.accept-only-offered", -1,
                          "at DRIVER_OK the driver had accepted 0x%08x, offered were 0x%08x",
                          value, (uint32_t)d->host_features);
    if ((d->host_features & (1ull << VIRTIO_F_ANY_LAYOUT)) && !(value & (1u << VIRTIO_F_ANY_LAYOUT)))
        machine_violation(m, "feat.legacy.accept-any-layout", -1,
                          "the legacy device offers ANY_LAYOUT (bit 27); at DRIVER_OK the driver "
                          "had accepted 0x%08x without it (§6.3)", value);
}

/* The driver set FAILED (§2.1): it gave up on the device. Not a breach of anything: said as an
 * informational finding, with the Status sequence and, where the bus shows it, why. */
static void driver_failed(struct machine *m, uint8_t v)
{
    const struct status_check_state *s = &m->status_checks;
    const struct mmio_device *d = &m->dev;
    char seq[200] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < d->n_status_history && used < sizeof(seq); i++)
        used += (size_t)snprintf(seq + used, sizeof(seq) - used, "%s0x%02x", i ? " -> " : "",
                                 d->status_history[i]);
    if (used < sizeof(seq) && (!d->n_status_history || d->status_history[d->n_status_history - 1] != v))
        snprintf(seq + used, sizeof(seq) - used, "%s0x%02x", used ? " -> " : "", v);
    const uint64_t v1 = 1ull << VIRTIO_F_VERSION_1;
    uint64_t accepted = d->version == 1 ? s->legacy_features
                                        : (uint64_t)d->guest_features_reg[1] << 32 |
                                              d->guest_features_reg[0];
    char why[400];
    if (s->features_ok_refused)
        snprintf(why, sizeof(why), "the device refused FEATURES_OK (it did not keep the bit: the "
                 "features accepted, 0x%llx, are a set it does not take)",
                 (unsigned long long)accepted);
    else if (!(d->host_features & v1))
        snprintf(why, sizeof(why), "the device does not offer VIRTIO_F_VERSION_1 (bit 32)%s, "
                 "and a driver that requires it (Linux's virtio-gpu does) refuses such a device; "
                 "QEMU offers it on a version 2 device (-global virtio-mmio.force-legacy=false)",
                 d->version == 1 ? ": a version 1 (legacy) device has no feature bits above 31"
                                 : "");
    else
        snprintf(why, sizeof(why), "the bus does not show why: the device offered 0x%llx, the "
                 "driver had accepted 0x%llx", (unsigned long long)d->host_features,
                 (unsigned long long)accepted);
    machine_inform(m, "status.driver-failed", -1, "the driver %s: it set FAILED%s; Status %s. "
                   "Why: %s", s->driver_ok_seen ? "gave up on the device after DRIVER_OK"
                                                : "refused the device",
                   s->driver_ok_seen ? "" : " without ever setting DRIVER_OK", seq, why);
}

/* The first Status write, a reset (Status 0: a new session), and the first write after a reset
 * the driver did not read back. True when the write was a reset: nothing more to judge. */
static bool session_write(struct machine *m, uint8_t v)
{
    struct status_check_state *s = &m->status_checks;
    if (!s->any_status_write) {
        s->any_status_write = true;
        if (v != 0)
            machine_violation(m, "init.step1-reset", -1,
                              "the first Status write is 0x%02x: the driver did not reset the "
                              "device first", v);
    }
    if (v == 0) { /* reset: a new session */
        *s = (struct status_check_state){.any_status_write = true, .reset_unread = true,
                                         .reset_at = m->now};
        return true;
    }
    if (s->reset_unread && (v & ST_ACK)) { /* the initialisation starts over (without ACKNOWLEDGE,
                                            * init.step2-acknowledge says what is wrong) */
        s->reset_unread = false;
        machine_violation(m, "init.reset-read-back", -1,
                          "Status 0x%02x written %llu ns after the reset (Status = 0 at t=%llu ns) "
                          "without reading Status back as 0 in between: the driver took the reset "
                          "as complete without seeing it complete", v,
                          (unsigned long long)(m->now - s->reset_at),
                          (unsigned long long)s->reset_at);
    }
    return false;
}

/* The initialisation starts again without a reset (restarts_without_reset): a new session that
 * remembers where the device's queues stood. */
static void reinit_write(struct machine *m, uint8_t v, uint8_t had)
{
    struct status_check_state *s = &m->status_checks;
    uint32_t live = 0;
    for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++)
        live |= (uint32_t)m->dev.q[i].live << i;
    machine_violation(m, "init.step1-reset", -1,
                      "Status 0x%02x starts the initialisation again while the device still "
                      "holds Status 0x%02x from the last one: no reset (Status = 0) came "
                      "between, so the device keeps its state (%s; queue 0's next avail "
                      "index is %u)", v, had,
                      live ? "its queues stay live with their indices" : "no queue is live",
                      m->dev.q[0].last_avail_idx);
    *s = (struct status_check_state){.any_status_write = true, .reinit = true,
                                     .reinit_at = m->now, .reinit_from = had};
    for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++) {
        s->reinit_avail_idx[i] = m->dev.q[i].last_avail_idx;
        s->reinit_used_idx[i] = m->dev.q[i].used_idx;
        s->reinit_live[i] = m->dev.q[i].live;
    }
}

/* A write after FAILED, a restart without a reset, a write that clears driver bits: each ends the
 * judging of this write. True when one applies; *accept then says whether the device takes the
 * write (false only in the strict profile). */
static bool stopped_write(struct machine *m, uint8_t v, const char **note, bool *accept)
{
    uint8_t had = held(m);
    bool failed = had & ST_FAILED;
    /* (DEVICE_NEEDS_RESET echoed back in a read-modify-write is not new: it is in the status) */
    uint8_t newbits = (uint8_t)(v & ~m->dev.status);
    *accept = true;
    if (failed && !(v & ST_FAILED)) {
        machine_violation(m, "status.failed-then-reset", -1,
                          "after FAILED the driver wrote Status 0x%02x without resetting first", v);
        return true;
    }
    if (failed && (newbits & ~ST_FAILED)) {
        machine_violation(m, "init.no-continue-after-error", -1,
                          "after FAILED the driver went on: Status 0x%02x adds bits 0x%02x", v,
                          newbits & ~ST_FAILED);
        if (strict(m)) {
            *note = "strict profile: ignored, the driver set FAILED";
            *accept = false;
        }
        return true;
    }
    if (restarts_without_reset(had, v)) {
        reinit_write(m, v, had);
        return true;
    }
    if (had & ~v) {
        machine_violation(m, "status.no-clear-bits", -1,
                          "Status 0x%02x clears bits 0x%02x the driver had set (0x%02x)", v,
                          had & ~v, had);
        if (strict(m)) {
            *note = "strict profile: a Status write that clears driver bits is ignored";
            *accept = false;
        }
        return true;
    }
    return false;
}

/* The bits a write adds (`newbits`), against the order of §3.1.1: bits that stand for no step,
 * a step without the one before, FEATURES_OK (steps 4-6). False: the device refuses the write
 * (the strict profile's refusal of the features). */
static bool sequence_write(struct machine *m, uint8_t v, uint8_t newbits, const char **note)
{
    struct status_check_state *s = &m->status_checks;
    uint8_t foreign = (uint8_t)(newbits & ~ST_DRIVER_BITS);
    if (foreign)
        machine_violation(m, "status.set-bits-per-sequence", -1,
                          "Status 0x%02x sets bits 0x%02x, which stand for no initialization "
                          "step (reserved, or DEVICE_NEEDS_RESET, which only the device sets)", v,
                          foreign);
    if (newbits && !(v & ST_ACK))
        machine_violation(m, "init.step2-acknowledge", -1,
                          "Status 0x%02x sets bits without ACKNOWLEDGE (§3.1.1 step 2)", v);
    else if ((newbits & (ST_FOK | ST_DOK)) && !(v & ST_DRIVER))
        machine_violation(m, "init.step3-driver", -1,
                          "Status 0x%02x sets FEATURES_OK/DRIVER_OK without DRIVER (§3.1.1 step 3)",
                          v);
    if (newbits & ST_DRIVER)
        s->dev_features_read = s->drv_features_written = false;
    if ((newbits & ST_FOK) && m->dev.version == 1)
        machine_violation(m, "init.legacy.skip-features-ok", -1,
                          "Status 0x%02x sets FEATURES_OK on a legacy (version 1) device, whose "
                          "initialization has no steps 5 and 6 (§3.1.2)", v);
    if ((newbits & ST_FOK) && m->dev.version == 2) {
        if (!s->dev_features_read || !s->drv_features_written) {
            machine_violation(m, "init.step4-negotiate", -1,
                              "FEATURES_OK without negotiating first: since DRIVER the driver %s "
                              "DeviceFeatures and %s DriverFeatures",
                              s->dev_features_read ? "read" : "never read",
                              s->drv_features_written ? "wrote" : "never wrote");
        } else if (!(v & ST_FAILED) && !check_features(m, note)) {
            /* (with FAILED the driver is giving up: its features no longer matter) */
            return false;
        }
        s->reread_pending = true;
    }
    return true;
}

/* DRIVER_OK (§3.1.1 step 8): the steps before it must be done. */
static void driver_ok_write(struct machine *m, uint8_t v)
{
    struct status_check_state *s = &m->status_checks;
    s->driver_ok_seen = true;
    legacy_commit(m);
    if (m->dev.version == 1 && !s->drv_features_written)
        machine_violation(m, "init.step4-negotiate", -1,
                          "DRIVER_OK on a legacy device without writing DriverFeatures since "
                          "DRIVER (§3.1.1 step 4)");
    before_setup(m, v);
    if (!s->queue_live)
        machine_violation(m, "init.step7-device-setup", -1,
                          "DRIVER_OK with no virtqueue handed to the device (§3.1.1 step 7)");
}

/* (out of line: the frame of a Status write is not every register write's) */
static __attribute__((noinline)) bool status_write(struct machine *m, uint8_t v,
                                                  const char **note)
{
    bool accept;
    if (session_write(m, v))
        return true;
    if (stopped_write(m, v, note, &accept))
        return accept;
    uint8_t newbits = (uint8_t)(v & ~m->dev.status);
    if (!sequence_write(m, v, newbits, note))
        return false;
    if (newbits & ST_FAILED)
        driver_failed(m, v);
    if (newbits & ST_DOK)
        driver_ok_write(m, v);
    return true;
}

bool status_checks_write(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    struct status_check_state *s = &m->status_checks;
    struct mmio_device *d = &m->dev;
    if (off == VIRTIO_MMIO_STATUS)
        return status_write(m, (uint8_t)value, note);
    /* (QueueReady = 0 stops a queue: teardown, not setup) */
    bool setup = queue_setup_reg(m, off) && !(off == VIRTIO_MMIO_QUEUE_READY && value == 0);
    bool features = off == VIRTIO_MMIO_DRIVER_FEATURES;
    bool notify = off == VIRTIO_MMIO_QUEUE_NOTIFY;
    if ((held(m) & ST_FAILED) && (setup || features || notify)) {
        machine_violation(m, "init.no-continue-after-error", -1,
                          "after FAILED the driver went on writing %s", mmio_reg_name(off));
        if (strict(m)) {
            *note = "strict profile: ignored, the driver set FAILED";
            return false;
        }
        return true;
    }
    if (setup && d->version == 1 && off == VIRTIO_MMIO_QUEUE_PFN && value == 0 &&
        d->queue_sel < d->n_queues) {
        /* QEMU resets the whole legacy device on QueuePFN 0: a new session, as after Status 0 */
        *s = (struct status_check_state){.any_status_write = s->any_status_write};
        return true;
    }
    if (setup) {
        before_setup(m, held(m));
        if ((off == VIRTIO_MMIO_QUEUE_READY || off == VIRTIO_MMIO_QUEUE_PFN) && value != 0 &&
            d->queue_sel < d->n_queues)
            s->queue_live = true;
        return true;
    }
    if (features) {
        s->drv_features_written = true;
        if (d->version == 1 && d->drv_features_sel == 0) { /* applied at once on legacy… */
            s->legacy_features_written = true; /* …and judged at DRIVER_OK (legacy_commit) */
            s->legacy_features = value;
        }
        if (d->version == 2 && (held(m) & ST_FOK)) {
            uint32_t had = (uint32_t)(s->accepted >> (32 * d->drv_features_sel));
            if (value & ~had)
                machine_violation(m, "init.step5-no-new-features", -1,
                                  "after FEATURES_OK the driver wrote DriverFeatures[%u] = 0x%08x, "
                                  "adding bits 0x%08x", d->drv_features_sel, value, value & ~had);
        }
        return true;
    }
    if (notify) {
        s->notified = true;
        if (!(held(m) & ST_DOK)) {
            machine_violation(m, "init.no-notify-before-driver-ok", (int)(value & 0xff),
                              "QueueNotify(%u) while DRIVER_OK is not set (Status 0x%02x)", value,
                              m->dev.status);
            if (strict(m)) {
                *note = "strict profile: a notify before DRIVER_OK is ignored";
                return false;
            }
        }
        return true;
    }
    if (off >= VIRTIO_MMIO_CONFIG && d->version == 2 && !(held(m) & ST_FOK)) {
        machine_violation(m, "init.step4-no-config-write", -1,
                          "config space written at 0x%x before FEATURES_OK", off - VIRTIO_MMIO_CONFIG);
        if (strict(m)) {
            *note = "strict profile: a config write before FEATURES_OK is ignored";
            return false;
        }
    }
    return true;
}

bool status_checks_notify(struct machine *m, uint32_t value, const char **note)
{
    /* The usual notify: DRIVER_OK held, FAILED not: nothing to say (status_checks_write's
     * notify case); any other state takes the whole path. */
    if (status_checks_notify_quiet(&m->status_checks, m->dev.status))
        return true;
    return status_checks_write(m, VIRTIO_MMIO_QUEUE_NOTIFY, value, note);
}

void status_checks_read(struct machine *m, uint32_t off, uint32_t value)
{
    struct status_check_state *s = &m->status_checks;
    if (off == VIRTIO_MMIO_STATUS) {
        if (s->reread_pending && !(value & ST_FOK))
            s->features_ok_refused = true; /* the re-read of step 6 shows the refusal */
        s->reread_pending = false;
        if (value == 0)
            s->reset_unread = false;
    }
    else if (off == VIRTIO_MMIO_DEVICE_FEATURES)
        s->dev_features_read = true;
}

void status_checks_finish(struct machine *m)
{
    struct status_check_state *s = &m->status_checks;
    if (s->queue_live && !(held(m) & (ST_FAILED | ST_DOK)) && !s->notified)
        machine_violation(m, "init.step8-driver-ok", -1,
                          "a virtqueue was set up but DRIVER_OK was never set (Status 0x%02x)",
                          m->dev.status);
}

bool status_checks_reinit_live(const struct machine *m, uint32_t qi)
{
    const struct status_check_state *s = &m->status_checks;
    return s->reinit && qi < RF_QUEUES && m->facts.q[qi].live_once &&
           m->facts.q[qi].live_at >= s->reinit_at;
}
