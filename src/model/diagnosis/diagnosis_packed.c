/* diagnosis_packed.c — the ways a packed queue (§2.7) goes silent, named from the device's side
 * of the ring (its next offset and wrap counters, packed_ring.h) and the descriptor flags in
 * memory, never from a split ring's indices:
 *   - packed-unpublished: notified, the device looked at its next offset and the
 *     descriptor there shows neither lap available (AVAIL = USED): the list's head flags were
 *     never stored (or stored without the AVAIL/USED bits);
 *   - packed-wrap-out-of-step: the descriptor there shows available for the other lap (AVAIL !=
 *     USED, AVAIL != the device's wrap counter): the driver's wrap counter and the device's
 *     disagree (not flipped at the end of the ring, flipped twice, or started at 0);
 *   - packed-interrupt-suppressed: the driver sleeps for an interrupt its own Driver Area event
 *     suppression turned off (flags DISABLE, or DESC with an offset the used index has not
 *     passed in the device's lap).
 * The split ring's causes in these places (avail-idx-not-advanced, interrupt-suppressed) do not
 * run on a packed queue. */
#include <stdio.h>

#include "model/diagnosis/diagnosis_internal.h"
#include "model/rings/packed_ring.h"
#include "model/rings/packed_walk.h"
#include "spec/virtio_spec.h"

/* A descriptor past the device's next offset that shows available for its own lap: the driver
 * made lists available beyond the one the device is stuck at. */
static bool later_available(const struct machine *m, const struct dev_queue *q)
{
    uint32_t pos = q->last_avail_idx;
    bool lap = packed_avail_wrap(q);
    struct sr_desc d;
    for (uint32_t k = 1; k < q->live_num; k++) {
        if (++pos == q->live_num) {
            pos = 0;
            lap = !lap;
        }
        packed_read_desc(&m->mem, q->desc, pos, &d);
        if (packed_desc_avail(d.flags, lap))
            return true;
    }
    return false;
}

/* The device looked (a notify since the request, and nothing taken since it — or lists made
 * available beyond where it stopped, or the driver waiting on that very descriptor's flags, as
 * one does for the answer to a list it made available there) and found no list at its next
 * offset. */
static void head_not_available(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct dev_queue *q = f->q;
    if (f->rq->kind != DIAG_TIMEOUT || !q->live || f->notifies == 0 || m->dev.broken ||
        f->resets || f->setup_explains || f->layout_explains ||
        diag_has(d, "queue-num-mismatch"))
        return;
    uint64_t flags_at = q->desc + 16ull * q->last_avail_idx + 14;
    bool waits_there = f->poll.seen && f->poll.addr == flags_at;
    if (f->pops && f->fq->last_pop_at >= f->last_notify_at && !later_available(m, q) &&
        !waits_there)
        return;
    struct sr_desc desc;
    packed_read_desc(&m->mem, q->desc, q->last_avail_idx, &desc);
    bool wrap = packed_avail_wrap(q), a = (desc.flags >> 7) & 1u, u = (desc.flags >> 15) & 1u;
    if (packed_desc_avail(desc.flags, wrap))
        return; /* it is there now: a later store, after the last notify (no-notify's case) */
    bool other_lap = a != u;
    struct diag_cause *c =
        other_lap ? diag_add(d, f, "packed-wrap-out-of-step", "2.7.1",
                             "Driver and Device Ring Wrap Counters")
                  : diag_add(d, f, "packed-unpublished", "2.7.21.1",
                             "Placing Available Buffers Into The Descriptor Ring");
    uint64_t at = flags_at;
    diag_ev(c, "notifies_for_queue", "%u", f->notifies);
    diag_ev(c, "notified_at_ns", "%llu", (unsigned long long)f->last_notify_at);
    diag_ev(c, "device_next_offset", "%u", q->last_avail_idx);
    diag_ev(c, "device_wrap_counter", "%u", wrap);
    diag_ev(c, "desc_flags", "0x%04x", desc.flags);
    diag_ev(c, "desc_flags_at", "0x%llx", (unsigned long long)at);
    diag_ev(c, "avail_bit", "%u", a);
    diag_ev(c, "used_bit", "%u", u);
    if (other_lap)
        diag_say(c, "The device was notified %u time(s) and looked at descriptor %u, the next it "
                    "takes, with its wrap counter at %u; the descriptor's flags (0x%04x at "
                    "0x%llx) read AVAIL %u, USED %u: available for the lap with wrap counter %u, "
                    "not this one. The driver's wrap counter is out of step with the device's: a "
                    "driver flips it each time it passes the end of the ring (also in the middle "
                    "of a list), starting at 1, and makes a descriptor available with AVAIL = its "
                    "wrap counter, USED = the opposite (§2.7.1).", f->notifies,
                 q->last_avail_idx, wrap, desc.flags, (unsigned long long)at, a, u, !wrap);
    else
        diag_say(c, "The device was notified %u time(s) and looked at descriptor %u, the next it "
                    "takes, with its wrap counter at %u; the descriptor's flags (0x%04x at "
                    "0x%llx) read AVAIL %u, USED %u: a descriptor the device used (or never "
                    "made available), not a new list. The driver never published the list's "
                    "head: its flags are stored last, after a write barrier, with AVAIL = the "
                    "driver's wrap counter and USED = the opposite (§2.7.21.1, §2.7.1).",
                 f->notifies, q->last_avail_idx, wrap, desc.flags, (unsigned long long)at, a, u);
}

static bool waits_for_interrupt(const struct machine *m, const struct diag_facts *f)
{
    return f->rq->driver.waits_for_interrupt ||
           (m->irq_wait.checks && m->irq_wait.last_check_at >= f->rq->since);
}

static void interrupt_suppressed(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    uint32_t n = f->c.irq_suppressed;
    if (!n || !f->used || !waits_for_interrupt(m, f))
        return;
    const struct rf_queue *fq = f->fq;
    const struct rf_suppressed *e = rf_first_since(fq->suppressed, n, fq->c.irq_suppressed);
    struct diag_cause *c = diag_add(d, f, "packed-interrupt-suppressed", "2.7.10",
                                    "Driver and Device Event Suppression");
    diag_ev(c, e->by_event ? "driver_event_off_wrap" : "driver_event_flags", "0x%04llx",
            (unsigned long long)e->value);
    diag_ev(c, "driver_event_at", "0x%llx", (unsigned long long)f->q->avail);
    diag_ev(c, "interrupts_suppressed", "%u", n);
    diag_ev(c, "answered_at_ns", "%llu", (unsigned long long)e->t);
    diag_ev(c, "device_used_offset", "%u", e->used_idx);
    diag_ev(c, "driver_wait", "interrupt");
    if (e->by_event)
        diag_say(c, "The device marked the request used at t=%llu ns (its used offset now %u) but "
                    "raised no interrupt: the Driver Area at 0x%llx asks for one only at the "
                    "descriptor named by off_wrap = 0x%04llx (offset %llu, wrap %llu), which the "
                    "device's used offset has not passed in its lap (§2.7.10). The driver sleeps "
                    "until an interrupt, so it never looked at the ring. Before waiting, write "
                    "off_wrap = the offset and wrap counter of the next used descriptor you "
                    "expect, then the flags, then re-check the ring.",
                 (unsigned long long)e->t, e->used_idx, (unsigned long long)f->q->avail,
                 (unsigned long long)e->value, (unsigned long long)(e->value & 0x7fff),
                 (unsigned long long)(e->value >> 15));
    else
        diag_say(c, "The device marked the request used at t=%llu ns (its used offset now %u) but "
                    "raised no interrupt: the Driver Area's flags at 0x%llx read 0x%llx, "
                    "VIRTQ_PEVENT_F_DISABLE, which asks the device not to interrupt (§2.7.10). "
                    "The driver sleeps until an interrupt, so it never looked at the ring. Set "
                    "the flags to ENABLE (or DESC with EVENT_IDX) before waiting, or poll.",
                 (unsigned long long)e->t, e->used_idx, (unsigned long long)(f->q->avail + 2),
                 (unsigned long long)e->value);
}

void diag_packed_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    if (!f->q || ring_is_split(f->q))
        return;
    head_not_available(m, f, d);
    interrupt_suppressed(m, f, d);
}
