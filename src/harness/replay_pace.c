/* replay_pace.c — the model's device keeping pace with QEMU's (replay_internal.h; replay.c says
 * why): virtual time advanced until the model has done what the guest saw QEMU's device do, and
 * the bounds of device_pace.h set from QEMU's trace and the guest's loads. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness/replay_internal.h"
#include "spec/virtio_spec.h"

/* Only forward: a model ahead of what the guest saw (it answered sooner than QEMU did) is
 * timing, not a difference. */
static bool behind(uint16_t have, uint16_t want)
{
    uint16_t d = (uint16_t)(want - have);
    return d != 0 && d <= 0x8000;
}

/* Advance virtual time in doubling steps (1 µs, 2 µs, 4 µs…) until done() holds or CATCH_UP_NS
 * have passed: the model's device doing what QEMU's had done by the time the guest looked.
 * Returns done(). */
bool replay_advance_until(struct machine *m,
                          bool (*done)(const struct machine *m, const void *arg),
                          const void *arg)
{
    uint64_t step = 1000, spent = 0;
    while (!done(m, arg) && spent < CATCH_UP_NS) {
        machine_advance(m, m->now + step);
        spent += step;
        step *= 2;
    }
    return done(m, arg);
}

struct used_want {
    uint64_t gpa;
    uint16_t idx;
};

/* The 16-bit field at gpa (used.idx, avail_event) has reached what the guest saw (or cannot be
 * read: nothing to wait for) */
static bool used_reached(const struct machine *m, const void *arg)
{
    const struct used_want *u = arg;
    uint16_t have;
    return !gm_read16(&m->mem, u->gpa, &have) || !behind(have, u->idx);
}

bool replay_isr_has(const struct machine *m, const void *arg)
{
    uint32_t want = *(const uint32_t *)arg;
    return (m->dev.isr & want) == want;
}

bool replay_status_is(const struct machine *m, const void *arg)
{
    return m->dev.status == *(const uint8_t *)arg;
}

/* A queue the device fills with what it originates (input's eventq: device.h standing_queues):
 * the guest saw used.idx reach u.idx, so the host's device had filled that many buffers, which
 * no request of the guest's explains: the model's fills them (its rules judging each). */
static void host_fill(struct machine *m, uint32_t qi, const char *field, struct used_want u)
{
    const struct device_ops *ops = m->device.ops;
    uint16_t have = 0;
    if (strcmp(field, "used.idx") || !ops || !ops->host_fill || qi >= MMIO_NUM_QUEUES ||
        !(ops->standing_queues >> qi & 1u) || !gm_read16(&m->mem, u.gpa, &have))
        return;
    uint16_t n = (uint16_t)(u.idx - have);
    if (n && n <= 0x8000)
        ops->host_fill(m->device.state, m, qi, n);
}

/* The guest saw `it`'s value in a field only the device writes (used.idx; avail_event with
 * VIRTIO_F_EVENT_IDX): the model's device must have got there too. `failed` notes it once. */
void replay_catch_up_field(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                           uint32_t qi, const char *field, bool *failed)
{
    struct used_want u = {it->ev.addr, (uint16_t)it->ev.value};
    host_fill(m, qi, field, u);
    if (replay_advance_until(m, used_reached, &u) || *failed)
        return;
    uint16_t have = 0;
    gm_read16(&m->mem, u.gpa, &have);
    *failed = true; /* said once per queue: the guest polls on */
    replay_note(rp, it, "the guest read %s %u at 0x%llx (queue %u); the model's is %u there "
                        "after %llu ms: QEMU answered where the model did not", field, u.idx,
                (unsigned long long)u.gpa, qi, have, (unsigned long long)(CATCH_UP_NS / 1000000));
}

struct flags_want {
    uint64_t gpa;
    uint16_t flags;
};

static bool flags_reached(const struct machine *m, const void *arg)
{
    const struct flags_want *u = arg;
    uint16_t have;
    return !gm_read16(&m->mem, u->gpa, &have) || have == u->flags;
}

bool replay_release_packed(struct replay *rp, struct machine *m)
{
    for (uint32_t qi = 0; qi < RUN_MAX_QUEUES && qi < MMIO_NUM_QUEUES; qi++) {
        const struct dev_queue *q = &m->dev.q[qi];
        if (!q->live || ring_is_split(q))
            continue;
        uint16_t next = (uint16_t)(ring_published(q) + 1);
        replay_seen_device(rp, m, qi, next, true);
        if (ring_published(q) == next)
            return true;
    }
    return false;
}

bool replay_packed_of(const struct machine *m, uint64_t gpa, uint32_t *qi, bool *event_area)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES && k < MMIO_NUM_QUEUES; k++) {
        const struct dev_queue *q = &m->dev.q[k];
        if (!q->live || ring_is_split(q))
            continue;
        *qi = k;
        *event_area = (gpa >= q->avail && gpa < q->avail + 4) ||
                      (gpa >= q->used && gpa < q->used + 4);
        if (*event_area || (gpa >= q->desc && gpa < q->desc + 16ull * q->live_num))
            return true;
    }
    return false;
}

bool replay_catch_up_packed(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                            uint32_t *which)
{
    const struct vqrec_event *e = &it->ev;
    for (uint32_t qi = 0; qi < RUN_MAX_QUEUES && qi < MMIO_NUM_QUEUES; qi++) {
        const struct dev_queue *q = &m->dev.q[qi];
        if (!q->live || ring_is_split(q) || e->size != 2 || e->addr < q->desc ||
            e->addr >= q->desc + 16ull * q->live_num || (e->addr - q->desc) % 16 != 14)
            continue;
        struct flags_want u = {e->addr, (uint16_t)e->value};
        bool a = u.flags & VIRTQ_DESC_F_AVAIL, used = u.flags & VIRTQ_DESC_F_USED;
        *which = qi;
        if (a != used)
            return true; /* the driver's own descriptor, not an answer */
        /* QEMU logs no flush for a packed ring (its virtqueue_packed_flush has no trace line):
         * the guest seeing an answer is what says QEMU had published it. The model's answers
         * held back by the pace go out one by one until this one is there. */
        for (uint32_t k = 0; k < q->live_num && !flags_reached(m, &u); k++) {
            uint16_t next = (uint16_t)(ring_published(q) + 1);
            replay_seen_device(rp, m, qi, next, true);
            if (ring_published(q) != next)
                break; /* nothing held: the model's device has yet to get there */
        }
        if (replay_advance_until(m, flags_reached, &u) || rp->q[qi].catch_up_failed)
            return true; /* the model has it now */
        rp->q[qi].catch_up_failed = true;
        replay_note(rp, it, "the guest read used descriptor flags 0x%04x at 0x%llx (queue %u); "
                            "the model's device had not written them after %llu ms: QEMU "
                            "answered where the model did not", u.flags,
                    (unsigned long long)u.gpa, qi, (unsigned long long)(CATCH_UP_NS / 1000000));
        return true;
    }
    return false;
}

/* Is gpa the avail_event of a live gpu queue (VIRTIO_F_EVENT_IDX: the device's, §2.6.10)? */
bool replay_avail_event_of(const struct machine *m, uint64_t gpa, uint32_t *qi)
{
    if (!notify_event_idx(m))
        return false;
    for (uint32_t k = 0; k < MMIO_NUM_QUEUES; k++)
        if (m->dev.q[k].live && gpa == m->dev.q[k].used + 4 + 8ull * m->dev.q[k].live_num) {
            *qi = k;
            return true;
        }
    return false;
}

/* ---- pacing: the device takes a chain when QEMU's did ----
 *
 * QEMU's device runs in its main loop, while the vCPUs run: it takes the chains available when it
 * gets to the queue, published before or after the notify that woke it, and not those published
 * later. The model takes exactly those: no chain past what QEMU's had taken by then, as QEMU's
 * trace (a virtqueue_pop per chain, of a VirtQueue the recorder tied to the gpu's window) and the
 * guest's loads of used.idx and avail_event show — whichever shows more. (Without QEMU's trace,
 * an older recording, the model answers lazily and catches up on the guest's loads.) */

/* a is behind b (16-bit ring arithmetic) */
static bool before16(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(b - a);
    return d != 0 && d < 0x8000u;
}

static uint16_t later16(uint16_t a, uint16_t b) { return before16(a, b) ? b : a; }

/* The device's bounds for every queue, from what is known of QEMU's (device_pace.h). */
void replay_pace(struct replay *rp, struct machine *m)
{
    if (!rp->paced)
        return;
    for (uint32_t k = 0; k < RUN_MAX_QUEUES && k < MMIO_NUM_QUEUES; k++) {
        const struct replay_queue *q = &rp->q[k];
        uint16_t published = later16(q->qemu_flushed, q->seen_published);
        pace_set(m, k, later16(later16(q->qemu_pops, q->seen_taken), published), published);
    }
}

/* The guest saw QEMU's device at `taken` chains taken (avail_event), or `published` answers
 * published (used.idx: that many taken, too) on queue qi. */
void replay_seen_device(struct replay *rp, struct machine *m, uint32_t qi, uint16_t taken,
                        bool published)
{
    struct replay_queue *q = &rp->q[qi];
    if (qi >= RUN_MAX_QUEUES ||
        !(before16(q->seen_taken, taken) || (published && before16(q->seen_published, taken))))
        return;
    q->seen_taken = later16(q->seen_taken, taken);
    if (published)
        q->seen_published = later16(q->seen_published, taken);
    replay_pace(rp, m);
}

/* A device reset, or a ring set up anew: QEMU counts from 0 again. */
void replay_pace_restart(struct replay *rp, struct machine *m, uint32_t qi)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++)
        if (qi == RUN_MAX_QUEUES || k == qi) {
            rp->q[k].pk_lists = rp->q[k].qemu_pops = rp->q[k].qemu_flushed = rp->q[k].seen_taken =
                rp->q[k].seen_published = rp->q[k].decided_idx = 0;
            rp->q[k].n_popped = 0;
        }
    replay_pace(rp, m);
}

/* The guest published (stored avail.idx) and now reads what tells it whether to notify: avail_event
 * (VIRTIO_F_EVENT_IDX) or used.flags. When what it read says the device is still at work (it has
 * not taken everything up to the previous decision: no kick needed, §2.6.10), QEMU's device will
 * take the new chains without a notify, and so does the model's (device_pace.h). */
void replay_notify_decision(struct replay *rp, struct machine *m, const struct vqrec_event *e,
                            uint8_t cpu)
{
    for (uint32_t qi = 0; rp->paced && qi < MMIO_NUM_QUEUES; qi++) {
        struct replay_queue *q = &rp->q[qi];
        const struct dev_queue *dq = &m->dev.q[qi];
        if (!q->publish_open || q->publish_cpu != cpu || !dq->live || e->size != 2)
            continue;
        bool need;
        if (notify_event_idx(m) && e->addr == dq->used + 4 + 8ull * dq->live_num)
            need = vring_need_event((uint16_t)e->value, q->avail_idx, q->decided_idx);
        else if (!notify_event_idx(m) && e->addr == dq->used)
            need = !(e->value & VIRTQ_USED_F_NO_NOTIFY);
        else
            continue;
        q->decided_idx = q->avail_idx;
        if (!need)
            pace_arm(m, qi);
    }
}

