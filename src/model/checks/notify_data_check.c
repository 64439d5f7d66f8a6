/* notify_data_check.c — see notify_data_check.h. Rule ids: spec/rules.yaml (specver block). */
#include "model/checks/notify_data_check.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

void notify_data_check_write(struct machine *m, uint32_t off, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    if (off != VIRTIO_MMIO_QUEUE_NOTIFY || d->version != 2 ||
        !(d->guest_features >> VIRTIO_F_NOTIFICATION_DATA & 1u))
        return;
    uint32_t vqn = value & 0xffffu;
    if (vqn >= d->n_queues || !d->q[vqn].live)
        return; /* no ring to compare with: the queue-index rules speak */
    uint16_t idx = 0;
    if (!gm_read16(&m->mem, d->q[vqn].avail + 2, &idx))
        return; /* the ring is not in RAM: the ring rules speak */
    uint16_t data = (uint16_t)(value >> 16);
    if (data == idx)
        return;
    machine_violation(m, "notify.data-next", (int)vqn,
                      "queue %u: QueueNotify 0x%08x says next_off %u, next_wrap %u, but avail.idx "
                      "in memory is %u (next_off %u, next_wrap %u)%s", vqn, value, data & 0x7fffu,
                      data >> 15, idx, idx & 0x7fffu, idx >> 15,
                      value >> 16 ? "" : ": the queue index alone, as without NOTIFICATION_DATA");
}
