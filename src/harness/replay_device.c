/* replay_device.c — QEMU's device as its trace lines in a recording show it (replay_internal.h):
 * which gpu queue a line names, a notify seen twice (the vCPU's register write and QEMU's line,
 * in either order) reaching the model's device once, and the chains QEMU's device took and
 * answered, which pace the model's (replay_pace.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "harness/replay_internal.h"
#include "spec/virtio_spec.h"

/* The VirtQueue a QEMU trace line names ("… vq 0x55ab4eb3b910 …"), 0 when none. */
static uint64_t line_vq(const struct replay_line *l)
{
    unsigned long long vq = 0;
    return replay_line_number(l, "vq 0x", 16, &vq) ? vq : 0;
}

uint64_t replay_device_vq(const struct vqrec_item *it)
{
    struct replay_line l;
    replay_line_of(it, &l);
    return line_vq(&l);
}

/* A trace line of QEMU's device: the gpu queue it names (RUN_MAX_QUEUES: none of the gpu's). */
static uint32_t gpu_queue_of(const struct replay *rp, const struct vqrec_item *it,
                             const struct replay_line *l)
{
    if (!rp->sum.n_gpu_vq || !it->payload)
        return RUN_MAX_QUEUES;
    uint64_t vq = line_vq(l);
    for (uint32_t k = 0; vq && k < rp->sum.n_gpu_vq; k++)
        if (rp->sum.gpu_vq[k].vq == vq)
            return rp->sum.gpu_vq[k].queue;
    return RUN_MAX_QUEUES;
}

/* The guest's QueueNotify of queue qi (the value written: qi, or with NOTIFICATION_DATA vqn and
 * next_off / next_wrap) reaches the model's device (once per notify: notify_seen). The guest's
 * own write (`e`), or without it (QEMU's trace line came first) a notify of qi as the guest's
 * transport lays it out. */
static void notify_device(struct replay *rp, struct machine *m, uint32_t qi,
                          const struct vqrec_event *e)
{
    if (qi < RUN_MAX_QUEUES && !rp->q[qi].notified) {
        rp->q[qi].notified = true;
        rp->q[qi].first_notify = m->now;
        rf_mark(m, &rp->q[qi].notify_mark);
    }
    if (e)
        replay_bus_write(rp, e->addr, e->size, (uint32_t)e->value);
    else if (rp->sum.pci)
        replay_pci_notify_canonical(rp, m, qi);
    else
        vhal_mmio_write32((uintptr_t)(rp->window + VIRTIO_MMIO_QUEUE_NOTIFY), qi);
}

/* One half of a notify of queue qi: the vCPU's register write (`write`) or QEMU's trace line.
 * True when the model's device is to be notified now: this is the first half. QEMU logs the
 * line only for a notify it acts on (a set-up queue, a device not broken), so a write the
 * model's device ignored waits for no line. */
static bool notify_seen(struct replay *rp, struct machine *m, uint32_t qi, bool write)
{
    if (!rp->paced || qi >= MMIO_NUM_QUEUES)
        return write; /* no trace lines: the write is the notify */
    struct replay_queue *q = &rp->q[qi];
    uint32_t *other = write ? &q->notify_lines_ahead : &q->notify_writes_ahead;
    if (*other) {
        (*other)--;
        return false; /* its other half came first and notified the device */
    }
    if (write && (!m->dev.q[qi].live || m->dev.broken))
        return true; /* ignored by both devices: no line will follow */
    (write ? &q->notify_writes_ahead : &q->notify_lines_ahead)[0]++;
    return true;
}

/* A register write of the gpu's, after the memory dumps that followed it were applied. */
void replay_gpu_write(struct replay *rp, const struct vqrec_item *it, struct machine *m)
{
    const struct vqrec_event *e = &it->ev;
    struct replay_reg r;
    replay_reg_of(rp, m, e, &r);
    uint32_t off = (uint32_t)r.off, qi = r.value;
    bool reset = (r.off == VIRTIO_MMIO_STATUS && (e->value & 0xff) == 0) ||
                 (off == VIRTIO_MMIO_QUEUE_PFN && e->value == 0);
    if (reset)
        replay_abandon_at_reset(rp, m); /* (before the model drops what it held) */
    else if (r.off == VIRTIO_MMIO_STATUS)
        replay_abandon_forget(rp, RUN_MAX_QUEUES); /* the driver sets the device up again */
    if (r.off == VIRTIO_MMIO_QUEUE_NOTIFY && !rp->sum.pci &&
        (m->dev.guest_features >> VIRTIO_F_NOTIFICATION_DATA & 1u))
        qi &= 0xffffu; /* §4.2.3.3: the queue is vqn */
    if (r.off == VIRTIO_MMIO_QUEUE_NOTIFY && qi < RUN_MAX_QUEUES) {
        if (notify_seen(rp, m, qi, true))
            notify_device(rp, m, qi, e);
        else if (rp->sum.pci) /* its effect came with QEMU's line: the write is still judged */
            replay_pci_check_only(m, e);
    } else {
        replay_bus_write(rp, e->addr, e->size, (uint32_t)e->value);
    }
    if (reset)
        replay_pace_restart(rp, m, RUN_MAX_QUEUES); /* the device reset */
    else if ((r.off == VIRTIO_MMIO_QUEUE_READY || r.off == VIRTIO_MMIO_QUEUE_PFN) && e->value)
        /* (QEMU keeps its index here; so does the model) */
        replay_pace_restart(rp, m, rp->queue_sel);
    else
        replay_pace(rp, m);
}

/* A standing queue whose buffers take what came from outside (a network receiveq): QEMU's fills
 * up to its flush are one arrival of that many bytes, which the model's device places as its own
 * (device_ops.host_arrival) before the flush paces its publication. */
static void host_arrival(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                         const struct replay_line *line, uint32_t qi)
{
    const struct device_ops *ops = m->device.ops;
    if (!ops || !ops->host_arrival || !(ops->standing_queues >> qi & 1u))
        return;
    unsigned long long len = 0;
    if (it->ev.value == VQREC_DEV_FILL &&
        replay_line_number(line, " len ", 10, &len))
        rp->q[qi].arrival_bytes += len;
    if (it->ev.value == VQREC_DEV_FLUSH && rp->q[qi].arrival_bytes) {
        ops->host_arrival(m->device.state, m, qi, rp->q[qi].arrival_bytes);
        rp->q[qi].arrival_bytes = 0;
    }
}

/* QEMU's virtqueue_pop of split queue qi: its pop count-th chain, whose head the guest's available
 * ring holds at that index now (QEMU has just read it there). */
static void qemu_popped(struct replay *rp, struct machine *m, uint32_t qi, const struct replay_line *line)
{
    struct replay_queue *q = &rp->q[qi];
    const struct dev_queue *dq = &m->dev.q[qi];
    unsigned long long elem;
    uint16_t head;
    if (!dq->live || !ring_is_split(dq) || !replay_line_number(line, " elem ", 16, &elem) ||
        q->n_popped >= MMIO_QUEUE_NUM_MAX ||
        !gm_read16(&m->mem, dq->avail + 4 + 2ull * (q->qemu_pops % dq->live_num), &head))
        return;
    q->popped[q->n_popped++] = (struct replay_popped){elem, head};
}

/* QEMU's virtqueue_fill of split queue qi ("elem E len L idx I": E answered at used index
 * flushed + I). An element taken before another still unanswered is answered out of order: the
 * model's device publishes the same head there (pace_order), or, when it already published
 * another there, says it cannot follow. */
static void qemu_filled(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                        uint32_t qi, const struct replay_line *line)
{
    struct replay_queue *q = &rp->q[qi];
    const struct dev_queue *dq = &m->dev.q[qi];
    unsigned long long elem, idx;
    uint32_t k = 0;
    if (!replay_line_number(line, " elem ", 16, &elem) ||
        !replay_line_number(line, " idx ", 10, &idx))
        return;
    while (k < q->n_popped && q->popped[k].elem != elem)
        k++;
    if (k == q->n_popped)
        return; /* not a chain the replay saw taken */
    uint16_t head = q->popped[k].head, used = (uint16_t)(q->qemu_flushed + idx);
    memmove(q->popped + k, q->popped + k + 1, (q->n_popped - k - 1) * sizeof(q->popped[0]));
    q->n_popped--;
    if (k == 0 || !dq->live)
        return; /* in the order QEMU took them: the model's own */
    uint16_t behind = (uint16_t)(ring_published(dq) - used), id = 0;
    if (behind == 0 || behind > 0x8000u) {
        if (!pace_order(m, qi, used, head))
            replay_note(rp, it, "QEMU answered head %u at used index %u out of the order it took "
                                "its chains: more such answers outstanding than the queue holds; "
                                "the model cannot follow QEMU's completion order", head, used);
        return;
    }
    uint32_t got = 0;
    if (gm_read32(&m->mem, dq->used + 4 + 8ull * (used % dq->live_num), &got))
        id = (uint16_t)got;
    if (id != head)
        replay_note(rp, it, "QEMU answered head %u at used index %u out of the order it took its "
                            "chains; the model's device had already published head %u there: "
                            "the model cannot follow QEMU's completion order", head, used, id);
}

/* A DEVICE event: QEMU's device was notified, took a chain or published answers on a gpu queue
 * (other devices' lines are only counted). */
void replay_device_event(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    rp->n_device++;
    struct replay_line line; /* the trace line, copied once */
    replay_line_of(it, &line);
    uint32_t qi = gpu_queue_of(rp, it, &line);
    if (qi == RUN_MAX_QUEUES)
        return;
    rp->n_device_gpu++;
    if (e->value == VQREC_DEV_NOTIFY) {
        rp->q[qi].device_notifies++; /* QEMU's count (informative: the model has its own) */
        /* QEMU's device was notified: its trace line can come before the guest's register
         * write in the recording (that vCPU's callback ran late). Then the model's device is
         * notified now, as QEMU's was, and the write, when it comes, is this notify. */
        if (notify_seen(rp, m, qi, false)) {
            notify_device(rp, m, qi, NULL);
            replay_pace(rp, m);
        }
    }
    if (e->value == VQREC_DEV_FILL || e->value == VQREC_DEV_FLUSH)
        host_arrival(rp, m, it, &line, qi);
    if (e->value == VQREC_DEV_FILL)
        qemu_filled(rp, m, it, qi, &line);
    if (e->value == VQREC_DEV_POP || e->value == VQREC_DEV_FLUSH) {
        /* QEMU's device took a chain now, or published answers: so does the model */
        unsigned long long n = 1; /* a FLUSH's count (a POP's elem: qemu_popped) */
        unsigned count = 1;
        if (e->value == VQREC_DEV_FLUSH && replay_line_number(&line, "count ", 10, &n))
            count = (unsigned)n; /* (sscanf's %u: the low 32 bits) */
        if (count > 0x8000u)
            count = 1;
        if (e->value == VQREC_DEV_POP) {
            qemu_popped(rp, m, qi, &line);
            rp->q[qi].qemu_pops++;
        } else {
            rp->q[qi].qemu_flushed = (uint16_t)(rp->q[qi].qemu_flushed + count);
        }
        replay_pace(rp, m);
        machine_advance(m, m->now);
    }
}
