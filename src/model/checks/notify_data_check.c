/* notify_data_check.c — see notify_data_check.h. Rule ids: spec/rules.yaml (specver block). */
#include "model/checks/notify_data_check.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

/* A notification with data (the feature negotiated): its next_off / next_wrap. */
static __attribute__((noinline)) void check_data(struct machine *m, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    uint32_t vqn = value & 0xffffu;
    if (vqn >= d->n_queues || !d->q[vqn].live)
        return; /* no ring to compare with: the queue-index rules speak */
    uint16_t idx = 0;
    if (!d->q[vqn].ops->notify_next(&d->q[vqn], &idx))
        return; /* the ring is not in RAM: the ring rules speak */
    uint16_t data = (uint16_t)(value >> 16);
    if (data == idx)
        return;
    const char *idle = value >> 16 ? "" : ": the queue index alone, as without NOTIFICATION_DATA";
    if (ring_is_split(&d->q[vqn])) /* §4.2.3.3 with 1.2 §2.9 */
        machine_violation(m, "notify.data-next", (int)vqn,
                          "queue %u: QueueNotify 0x%08x says next_off %u, next_wrap %u, but "
                          "avail.idx in memory is %u (next_off %u, next_wrap %u)%s", vqn, value,
                          data & 0x7fffu, data >> 15, idx, idx & 0x7fffu, idx >> 15, idle);
    else /* §2.7.16: the packed ring's own statement */
        machine_violation(m, "packed.notification-data", (int)vqn,
                          "queue %u: QueueNotify 0x%08x says next_off %u, next_wrap %u, but the "
                          "first descriptor not yet available is at offset %u, wrap counter %u%s",
                          vqn, value, data & 0x7fffu, data >> 15, idx & 0x7fffu, idx >> 15, idle);
}

void notify_data_check_write(struct machine *m, uint32_t off, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY &&
        notify_data_check_wants(d->version, d->guest_features))
        check_data(m, value);
}
