/* device_pace.h — a device that keeps the pace of a recorded one (vqsim check).
 *
 * QEMU's device works in its own thread while the guest's vCPUs run: it takes the chains that are
 * available when it gets to a queue (published before or after the notify that woke it), and
 * answers each a moment later. When a replay knows when that was (QEMU's virtqueue_pop and
 * virtqueue_flush trace, the guest's loads of avail_event and used.idx), the model does the same:
 * it takes no chain past the avail index QEMU had reached, and publishes no answer past the
 * used index QEMU had published — the answer is computed when the chain is taken and held until
 * then. So the model's avail_event, used.idx and interrupt decision are made at the moment QEMU
 * made them, against the guest's ring as it was then (used_event, avail.idx, the buffers).
 *
 * And as QEMU's, the device looks at a queue only when it has a reason: a notify, or being still at
 * work from one — it stopped at the bound with chains left (QEMU's handler pops until the ring is
 * empty), or the guest saw it behind (its avail_event: the guest rightly skipped the kick,
 * pace_arm). A chain QEMU took without any of these (a recording with a notify removed) is not
 * taken: the request stays unanswered, as it would with a device that waits for notifies.
 *
 * QEMU's device may answer the chains it took in another order than it took them (a virtio-blk's
 * requests complete as its block layer finishes them): the replay then says which head QEMU
 * published at which used index (pace_order), and the held answer of that head is published
 * there; without such an order, answers go out in the order they were computed.
 *
 * Off unless a replay turns it on; untouched by a device reset except that held answers are lost
 * (as QEMU loses them) — the replay restarts the bounds.
 */
#ifndef DEVICE_PACE_H
#define DEVICE_PACE_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

struct pace_held {
    uint16_t head;
    uint32_t len;
    unsigned parts;
};

struct pace_order {
    uint16_t used; /* the used index QEMU published it at */
    uint16_t head;
};

struct device_pace {
    bool on[3];                 /* MMIO_NUM_QUEUES */
    uint16_t take_bound[3];     /* the device takes chains while last_avail_idx != this */
    uint16_t publish_bound[3];  /* …and publishes answers while used_idx != this */
    struct pace_held *held[3];  /* answers computed, not yet published, in order */
    uint32_t n_held[3];
    bool armed[3];              /* the device has a reason to look (notified, still at work) */
    struct pace_order *order[3]; /* answers QEMU published out of the order it took them */
    uint32_t n_order[3];
};

/* Set queue qi's bounds (turns pacing on for it); held answers now within the bound are
 * published (each with its interrupt decision, as QEMU's virtio_notify after each push), and the
 * queue is looked at if there are chains it may now take. */
void pace_set(struct machine *m, uint32_t qi, uint16_t take_bound, uint16_t publish_bound);
/* The device has a reason to look at qi again (a notify; the guest saw it still at work), and
 * looks now if it may take a chain. */
void pace_arm(struct machine *m, uint32_t qi);
/* The ring's pop: may the device take another chain from qi (ring not empty)? False keeps it
 * armed. */
bool pace_may_take(const struct machine *m, uint32_t qi);
/* The ring's pop found qi's ring empty: the device has done what it was woken for. Inline: every
 * round trip ends with it. */
static inline void pace_ring_empty(struct device_pace *p, uint32_t qi)
{
    p->armed[qi] = false;
}
/* The ring's push: true when the answer is held (published later by pace_set). */
bool pace_hold(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts);
/* QEMU published the answer to the chain at `head` at used index `used` (out of the order it took
 * its chains): the model's held answer of that head is published there. False when there is no
 * room to hold the order (more than a queue's chains) — then it is not followed. */
bool pace_order(struct machine *m, uint32_t qi, uint16_t used, uint16_t head);
/* Device reset: held answers are lost. */
void pace_on_reset(struct machine *m);
void pace_free(struct machine *m);

#endif /* DEVICE_PACE_H */
