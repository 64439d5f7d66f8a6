/* notify_checks.h — notification suppression on both sides of the split ring (§2.6.7, §2.6.10).
 *
 * Device side, the ring does as QEMU 7.2 does (split_ring.c): after every pop it publishes
 * avail_event = the next avail index it will read (with EVENT_IDX); the interrupt decision —
 * avail.flags NO_INTERRUPT, or vring_need_event(used_event, …) with EVENT_IDX — is its
 * need_interrupt, which hands the flags it reads to notify_check_avail_flags (a ring hook).
 *
 * Driver side, the rules of the `notifications` area: the flags the driver writes (0 or 1, or 0
 * with EVENT_IDX), used.flags zero when the ring goes live, and the missed kick — when the driver
 * goes to wait with avail.idx ahead of what the device was told, and the suppression state in
 * memory (used.flags, or avail_event with EVENT_IDX) says the device wanted a notification.
 */
#ifndef NOTIFY_CHECKS_H
#define NOTIFY_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/split_ring.h" /* vring_need_event */

struct machine;

struct notify_queue {
    bool kicked;               /* a QueueNotify reached this queue… */
    uint16_t kick_avail_idx;   /* …when avail.idx read this */
    bool missed_reported;
    uint16_t missed_idx;       /* the avail.idx a missed kick was reported for */
    bool ev_written;           /* the device wrote avail_event (EVENT_IDX)… */
    uint16_t ev_avail_idx;     /* …last when avail.idx read this: what it could see then */
};

struct notify_state {
    struct notify_queue q[3]; /* MMIO_NUM_QUEUES */
};

bool notify_event_idx(const struct machine *m);
/* The queue went live: used.flags must be 0, avail.flags valid; device state reset. */
void notify_queue_live(struct machine *m, uint32_t qi);
/* Check a value of avail.flags (stored by the driver, or read by the device). */
void notify_check_avail_flags(struct machine *m, uint32_t qi, uint16_t flags, const char *how);
/* The device wrote avail_event = value on queue qi (split_ring.c, after a pop). */
void notify_avail_event(struct machine *m, uint32_t qi, uint16_t value);
/* A QueueNotify for qi (a split ring: the rules here are the split ring's) reached the device;
 * avail_idx: avail.idx in memory then. */
static inline void notify_kicked(struct notify_state *s, uint32_t qi, bool split,
                                 uint16_t avail_idx)
{
    if (qi >= sizeof(s->q) / sizeof(s->q[0]) || !split)
        return;
    s->q[qi].kicked = true;
    s->q[qi].kick_avail_idx = avail_idx;
}
/* The driver is about to wait: was a kick owed? */
void notify_check_driver_waits(struct machine *m);

#endif /* NOTIFY_CHECKS_H */
