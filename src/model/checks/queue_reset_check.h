/* queue_reset_check.h — the reset of one queue, VirtIO 1.2 (VIRTIO_F_RING_RESET), driver side:
 *   mmio.queue-reset.wait-read-back      1.2 §4.2.2.2 (and §2.6.1.1.2): after writing 1 to
 *       QueueReset the driver does not consider the reset complete — it neither sets the queue
 *       up again nor notifies it — until it has read 0 back from QueueReset
 *   virtqueue.reset.reenable-configure  1.2 §2.6.1.2.2: re-enabling the queue (QueueReady = 1
 *       after its reset), the driver has configured it as at initial discovery: the descriptor,
 *       driver and device areas written again (they read 0 after the reset)
 * The device side is model/transport/mmio_queue_reset.h. A device reset (Status 0) ends any.
 */
#ifndef QUEUE_RESET_CHECK_H
#define QUEUE_RESET_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define QR_CHECK_QUEUES 8u

struct queue_reset_check {
    bool awaiting[QR_CHECK_QUEUES];  /* QueueReset = 1 written, 0 not read back yet */
    bool told[QR_CHECK_QUEUES];      /* wait-read-back said for this reset */
    bool reenable[QR_CHECK_QUEUES];  /* reset, not yet made ready again */
    uint8_t written[QR_CHECK_QUEUES];/* since the reset: bit 0 desc, 1 driver, 2 device area */
    /* for the diagnosis, whatever the version judged against: the last re-enable after a reset
     * that left areas unwritten (bits as `written`), and when */
    uint8_t missing[QR_CHECK_QUEUES];
    uint64_t reenabled_at[QR_CHECK_QUEUES];
};

void queue_reset_check_write(struct machine *m, uint32_t off, uint32_t value);
/* queue_reset_check_write for QueueNotify (access_checks_notify). */
void queue_reset_check_notify(struct machine *m, uint32_t value);
/* Whether a QueueNotify with `value` has anything to tell the check: only while its queue's
 * reset awaits the read-back and the rule has not been said for it (queue_reset_check_notify
 * does nothing otherwise). */
static inline bool queue_reset_check_wants_notify(const struct queue_reset_check *c,
                                                  uint32_t value)
{
    uint32_t vqn = value & 0xffffu;
    return vqn < QR_CHECK_QUEUES && c->awaiting[vqn] && !c->told[vqn];
}
void queue_reset_check_read(struct machine *m, uint32_t off, uint32_t value);

#endif /* QUEUE_RESET_CHECK_H */
