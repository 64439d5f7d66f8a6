/* diagnosis_irq.c — causes in the interrupt path, for a driver that sleeps until an interrupt
 * instead of polling used.idx: the driver suppressed the interrupt it waits for (D12), or never
 * acknowledged the last one, so the level-triggered line never rises again (D13). A polling
 * driver would have found the answer; so these come last in causal order. */
#include <stdio.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis_internal.h"

static bool waits_for_interrupt(const struct machine *m, const struct diag_facts *f)
{
    return f->rq->driver.waits_for_interrupt ||
           (m->irq_wait.checks && m->irq_wait.last_check_at >= f->rq->since);
}

/* D12: avail.flags NO_INTERRUPT set while the driver waits for an interrupt. */
static void suppressed(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    uint32_t n = f->c.irq_suppressed;
    if (!n || !f->used || !waits_for_interrupt(m, f))
        return;
    /* the first suppressed interrupt since the request */
    const struct rf_queue *fq = f->fq;
    const struct rf_suppressed *e = rf_first_since(fq->suppressed, n, fq->c.irq_suppressed);
    struct diag_cause *c = diag_add(d, f, "interrupt-suppressed", "2.6.7",
                                    "Used Buffer Notification Suppression");
    bool by_event = e->by_event;
    if (by_event) {
        diag_ev(c, "used_event", "%llu", (unsigned long long)e->value);
        diag_ev(c, "used_event_at", "0x%llx", (unsigned long long)e->addr);
    } else {
        diag_ev(c, "avail_flags", "0x%llx", (unsigned long long)e->value);
        diag_ev(c, "avail_flags_at", "0x%llx", (unsigned long long)e->addr);
    }
    diag_ev(c, "interrupts_suppressed", "%u", n);
    diag_ev(c, "answered_at_ns", "%llu", (unsigned long long)e->t);
    diag_ev(c, "device_used_idx", "%u", f->q ? f->q->used_idx : 0);
    diag_ev(c, "driver_wait", "interrupt");
    if (by_event) {
        /* vring_need_event: an interrupt when used.idx moves past used_event, i.e. when
         * old <= used_event < new (16-bit); else used_event is behind old, or ahead of new */
        bool behind = (uint16_t)(e->old - (uint16_t)e->value - 1) < 0x8000;
        diag_say(c, "The device answered at t=%llu ns (used.idx is now %u) but raised no "
                    "interrupt: VIRTIO_F_EVENT_IDX was negotiated, and used_event at 0x%llx reads "
                    "%llu, ",
                 (unsigned long long)e->t, f->q ? f->q->used_idx : 0,
                 (unsigned long long)e->addr, (unsigned long long)e->value);
        if (behind)
            diag_more(c, "which used.idx had already passed at the last interrupt, so the device "
                         "must not interrupt again");
        else
            diag_more(c, "which used.idx has not reached (this answer moved it from %u to %u), "
                         "so the device must not interrupt yet", e->old, e->used_idx);
        diag_more(c, " (§2.6.7.2). The driver sleeps until an interrupt, so it never looked at "
                     "the used ring. ");
        if (e->device_value) {
            diag_ev(c, "used_event_written_by", "the device (event-index fault, t=%llu ns)",
                    (unsigned long long)e->device_t);
            diag_more(c, "That is the value the device itself wrote over used_event at t=%llu ns "
                         "(the injected event-index fault, above).",
                      (unsigned long long)e->device_t);
        } else {
            diag_more(c, "With EVENT_IDX, write used_event = the used index you wait for (the "
                         "last one you consumed) before waiting, then re-check used.idx "
                         "(§2.6.7.1); or do not accept EVENT_IDX.");
        }
    } else {
        diag_say(c, "The device answered at t=%llu ns (used.idx is now %u) but raised no "
                    "interrupt: avail.flags at 0x%llx is 0x%llx, and VIRTQ_AVAIL_F_NO_INTERRUPT "
                    "asks the device not to interrupt (§2.6.7). The driver sleeps until an "
                    "interrupt, so it never looked at the used ring. Clear NO_INTERRUPT before "
                    "waiting for an interrupt, or poll used.idx while it is set (§2.6.7.1).",
                 (unsigned long long)e->t, f->q ? f->q->used_idx : 0,
                 (unsigned long long)e->addr, (unsigned long long)e->value);
    }
}

/* D13: InterruptStatus never acknowledged: the line stays high, the next interrupt never rises. */
static void not_acknowledged(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    /* with MSI-X and no vector, no interrupt was sent at all (diagnosis_pci.c) */
    if (!waits_for_interrupt(m, f) || !f->used || diag_has(d, "pci-msix-no-vector"))
        return;
    const struct run_facts *rf = &m->facts;
    const struct rf_queue *fq = f->fq;
    if (!f->c.irq_hidden || m->dev.isr == 0)
        return;
    /* the first interrupt since the request that found the line high */
    uint64_t hidden_at = f->c.irq_hidden == fq->c.irq_hidden ? fq->first_hidden_at
                                                             : fq->last_hidden_at;
    uint32_t acks_lost = rf->acks_lost;
    struct diag_cause *c = diag_add(d, f, "interrupt-not-acknowledged", "4.2.3.4",
                                    "Notifications From The Device");
    diag_ev(c, "InterruptStatus", "0x%x", m->dev.isr);
    diag_ev(c, "interrupt_raised_at_ns", "%llu", (unsigned long long)hidden_at);
    diag_ev(c, "line_rose_last_at_ns", "%llu",
            rf->irq_edge_seen ? (unsigned long long)rf->last_irq_edge_at : 0ull);
    if (rf->ack_seen)
        diag_ev(c, "last_ack_at_ns", "%llu", (unsigned long long)rf->last_ack_at);
    else
        diag_ev(c, "last_ack_at_ns", "never");
    diag_ev(c, "ack_writes_lost", "%u", acks_lost);
    diag_ev(c, "driver_wait", "interrupt");
    diag_say(c, "The device answered and raised its interrupt at t=%llu ns, but InterruptStatus "
                "was still 0x%x from an earlier interrupt that was never acknowledged%s. The "
                "interrupt line is level-triggered: it stays high while InterruptStatus is "
                "non-zero, so it never rose again and the driver, waiting for it, slept through "
                "the answer. After handling an interrupt, write the handled bits to InterruptACK "
                "(§4.2.3.4.1).", (unsigned long long)hidden_at, m->dev.isr,
             acks_lost ? " (the InterruptACK writes were lost)" : "");
}

void diag_irq_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    suppressed(m, f, d);
    not_acknowledged(m, f, d);
}
