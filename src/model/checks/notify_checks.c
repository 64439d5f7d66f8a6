/* notify_checks.c — see notify_checks.h. Rule ids: spec/rules.yaml, area notifications. */
#include "model/checks/notify_checks.h"

#include "spec/virtio_spec.h"
#include "model/machine.h"

bool notify_event_idx(const struct machine *m)
{
    return (m->dev.guest_features >> VIRTIO_RING_F_EVENT_IDX) & 1u;
}

void notify_check_avail_flags(struct machine *m, uint32_t qi, uint16_t flags, const char *how)
{
    if (notify_event_idx(m)) {
        if (flags != 0) /* §2.6.7.1: with EVENT_IDX only used_event suppresses */
            machine_violation(m, "split.usednotif.event-idx-flags-0", (int)qi,
                              "queue %u: %s avail.flags = 0x%x with VIRTIO_F_EVENT_IDX "
                              "negotiated; it must be 0", qi, how, flags);
    } else if (flags > 1) {
        machine_violation(m, "split.usednotif.flags-0-or-1", (int)qi,
                          "queue %u: %s avail.flags = 0x%x; without VIRTIO_F_EVENT_IDX only 0 or "
                          "1 (NO_INTERRUPT) is allowed", qi, how, flags);
    }
}

void notify_queue_live(struct machine *m, uint32_t qi)
{
    const struct dev_queue *dq = &m->dev.q[qi];
    struct notify_queue *n = &m->notify.q[qi];
    *n = (struct notify_queue){0};
    if (!ring_is_split(dq))
        return; /* the rules below are the split ring's (§2.6.7, §2.6.10) */
    uint16_t used_flags = 0, avail_flags = 0;
    gm_read16(&m->mem, dq->used, &used_flags);
    gm_read16(&m->mem, dq->avail, &avail_flags);
    /* §2.6.10.1: the device has written nothing yet, so whatever is there is the driver's. */
    if (used_flags != 0)
        machine_violation(m, "split.availnotif.init-used-flags", (int)qi,
                          "queue %u: used.flags reads 0x%x when the ring goes live; the driver "
                          "must set it to 0 when it allocates the used ring (a stale NO_NOTIFY "
                          "makes it skip every kick)", qi, used_flags);
    notify_check_avail_flags(m, qi, avail_flags, "the ring went live with");
}

void notify_avail_event(struct machine *m, uint32_t qi, uint16_t value)
{
    (void)value;
    if (qi >= MMIO_NUM_QUEUES || !ring_is_split(&m->dev.q[qi]))
        return;
    struct notify_queue *n = &m->notify.q[qi];
    n->ev_written = true;
    gm_read16(&m->mem, m->dev.q[qi].avail + 2, &n->ev_avail_idx);
}

/* How far idx b is behind cur (16-bit ring arithmetic). */
static uint16_t behind(uint16_t cur, uint16_t b) { return (uint16_t)(cur - b); }

void notify_check_driver_waits(struct machine *m)
{
    if (m->dev.broken)
        return;
    for (uint32_t qi = 0; qi < m->dev.n_queues; qi++) {
        const struct dev_queue *dq = &m->dev.q[qi];
        struct notify_queue *n = &m->notify.q[qi];
        if (!dq->live || dq->pending || !ring_is_split(dq))
            continue;
        uint16_t cur = 0;
        gm_read16(&m->mem, dq->avail + 2, &cur);
        if (cur == dq->last_avail_idx || (n->missed_reported && n->missed_idx == cur))
            continue;
        /* What the device was told about: up to the last kick, or what it consumed anyway. */
        uint16_t base = dq->last_avail_idx;
        if (n->kicked && behind(cur, n->kick_avail_idx) < behind(cur, base))
            base = n->kick_avail_idx;
        /* …or what was published when the device last wrote avail_event: a driver that read
         * the value before that write judged its kick by it, and entries published before the
         * write are the device's to see (it must look at avail.idx again after publishing
         * avail_event, as QEMU does): the missed kick is judged from there. */
        if (n->ev_written && behind(cur, n->ev_avail_idx) < behind(cur, base))
            base = n->ev_avail_idx;
        if (base == cur || behind(cur, base) > dq->live_num)
            continue; /* told already; or an idx jump, which split.avail.idx-jump reports */
        struct ring_suppress why;
        if (!ring_need_notify(dq, base, cur, &why))
            continue; /* the device asked for no kick (split_ring.c: §2.6.10) */
        n->missed_reported = true;
        n->missed_idx = cur;
        if (why.by_event)
            machine_violation(m, "split.availnotif.event-idx-must-notify", (int)qi,
                              "queue %u: missed kick: avail.idx moved from %u to %u past "
                              "avail_event = %u, and the driver waits without notifying", qi,
                              base, cur, why.value);
        else
            machine_violation(m, "split.availnotif.flags0-must-notify", (int)qi,
                              "queue %u: missed kick: avail.idx moved from %u to %u while "
                              "used.flags is 0, and the driver waits without notifying", qi,
                              base, cur);
    }
}
