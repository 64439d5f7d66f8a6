/* mmio_queue_reset.c — see mmio_queue_reset.h. */
#include "model/transport/mmio_queue_reset.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

bool mmio_queue_reset_active(const struct machine *m)
{
    return m->dev.version == 2 && m->dev.queue_reset &&
           (m->dev.guest_features >> VIRTIO_F_RING_RESET & 1u);
}

uint32_t mmio_queue_reset_read(struct machine *m, const char **note)
{
    struct mmio_device *d = &m->dev;
    *note = NULL;
    if (d->queue_sel >= d->n_queues) {
        *note = "ignored: the selected queue does not exist";
        return 0;
    }
    /* the reset is "ongoing" for exactly one read: what a driver that polls sees whatever the
     * timing, and what a replay of its recording sees too */
    uint32_t v = d->reset_pending[d->queue_sel];
    d->reset_pending[d->queue_sel] = false;
    return v;
}

void mmio_queue_reset_write(struct machine *m, uint32_t value, const char **note)
{
    struct mmio_device *d = &m->dev;
    *note = NULL;
    if (d->queue_sel >= d->n_queues) {
        *note = "ignored: the selected queue does not exist";
        return;
    }
    if (value != 1) {
        *note = "ignored: only 1 resets a queue (VirtIO 1.2 §4.2.2)";
        return;
    }
    struct dev_queue *q = &d->q[d->queue_sel];
    /* 1.2 §2.6.1.1.1: nothing more is taken from the queue, its state is the default one (the
     * available and used state too); QueueReady and the addresses read as after a reset. What
     * was in flight is dropped, as a device reset drops it. */
    ring_reset(q, d->queue_size[d->queue_sel]);
    d->reset_pending[d->queue_sel] = true;
    struct trace_event *e = machine_trace(m, TR_DEVICE, 0, d->queue_sel, 0, "queue reset");
    if (e) {
        e->queue = (uint8_t)d->queue_sel;
        e->note = "VirtIO 1.2 queue reset: QueueReset reads 1 once, then 0 (complete)";
    }
}
