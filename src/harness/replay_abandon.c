/* replay_abandon.c — requests a driver gave up by resetting its device (replay_internal.h).
 *
 * A request is left waiting when the guest could still be waiting for it when the recording
 * ended. A driver may also drop what it has in flight on purpose: §3.3 lets it reclaim exposed
 * buffers once a reset has made the queue not live. Linux does so at every power-off: its
 * virtio bus resets each device on the way down (drivers/virtio/virtio.c, virtio_dev_shutdown:
 * virtio_break_device, then the transport's reset) without waiting for the buffers in flight,
 * while QEMU's devices take their queues a moment after the notify (QEMU 7.2's gpu in a bottom
 * half of its main loop, virtio_gpu_handle_ctrl_cb) and a reset drops what they had not answered
 * (virtio_gpu_reset frees its queued commands). So the framebuffer console's last
 * TRANSFER_TO_HOST_2D + RESOURCE_FLUSH, published just before the power-off, is sometimes still
 * unanswered — or answered and never read — when the guest resets the gpu and powers off.
 *
 * Requests unanswered at a reset the driver made (Status = 0; a legacy QueuePFN = 0) are
 * abandoned, not left waiting, when all of these hold:
 *   - QEMU's device had answered them, taken them, or had a reason to take them (the model's
 *     device, paced by QEMU's, was notified or still at work: device_pace.h): a device the driver
 *     never told (a missed kick) leaves a real hang, whatever the driver did next;
 *   - after the reset the driver wrote the device's Status no more (it did not set the device up
 *     again) and did not read the queue's used.idx again (it was not waiting for it);
 *   - QEMU ended by itself with exit status 0 (the guest powered off), not stopped by the time
 *     bound: a guest still running when stopped may still be waiting.
 * Only in a replay paced by QEMU's trace (a `vqsim record` recording): a simulator's recording
 * keeps its verdict. Otherwise the request stays unanswered, and the diagnosis explains it
 * (reset-while-queued, no-notify…). An abandoned request is said in the run's detail.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/replay_internal.h"

/* requests the guest published and has not seen answered (avail.idx ahead of the used.idx it
 * last read) */
static uint16_t outstanding(const struct replay_queue *q)
{
    uint16_t ahead = (uint16_t)(q->avail_idx - q->seen_used);
    return q->avail_stored && ahead <= 0x8000 ? ahead : 0;
}

void replay_abandon_at_reset(struct replay *rp, const struct machine *m)
{
    for (uint32_t qi = 0; qi < RUN_MAX_QUEUES && qi < MMIO_NUM_QUEUES; qi++) {
        struct replay_queue *q = &rp->q[qi];
        const struct dev_queue *dq = &m->dev.q[qi];
        uint16_t n = outstanding(q);
        bool standing = m->device.ops && (m->device.ops->standing_queues >> qi & 1u);
        if (!rp->paced || !n || !dq->live || standing) /* (standing: buffers, no requests) */
            continue; /* (a second Status = 0 keeps what the first found) */
        /* the model's device, paced by QEMU's: took every chain published, or was woken for
         * the rest (a notify, or still at work from one) */
        bool taken = ring_is_split(dq) && ring_taken(dq) == q->avail_idx;
        q->dropped = true;
        q->dropped_taken = taken;
        q->dropped_served = !m->dev.broken && (taken || m->pace.armed[qi]);
        q->dropped_n = n;
    }
}

void replay_abandon_forget(struct replay *rp, uint32_t qi)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++)
        if (qi == RUN_MAX_QUEUES || k == qi)
            rp->q[k].dropped = false;
}

bool replay_abandoned(const struct replay *rp, uint32_t qi)
{
    const struct replay_queue *q = &rp->q[qi];
    return q->dropped && q->dropped_served && rp->ended && !rp->killed && rp->exit_status == 0;
}

void replay_abandon_detail(struct replay *rp, const struct machine *m, char *detail,
                           size_t size)
{
    for (uint32_t qi = 0; qi < RUN_MAX_QUEUES; qi++) {
        size_t l = strlen(detail);
        /* the reset that found the queue live (the diagnosis's time for it) */
        if (qi < RF_QUEUES)
            rp->q[qi].dropped_at = m->facts.q[qi].killed_at;
        if (replay_abandoned(rp, qi) && l < size)
            snprintf(detail + l, size - l, "; queue %u: %u request(s) abandoned at a reset",
                     qi, rp->q[qi].dropped_n);
    }
}

void replay_abandon_print(FILE *f, const struct replay *rp)
{
    for (uint32_t qi = 0; qi < RUN_MAX_QUEUES; qi++)
        if (replay_abandoned(rp, qi))
            fprintf(f, "    queue %u: %u request(s) still unanswered when the driver reset the "
                       "device at t=%llu ns (QEMU's device %s); the driver did not set the device "
                       "up again nor look at the queue, and the guest powered off: abandoned, "
                       "not waited for\n", qi, rp->q[qi].dropped_n,
                    (unsigned long long)rp->q[qi].dropped_at,
                    rp->q[qi].dropped_taken ? "had taken them" : "had been notified of them");
}
