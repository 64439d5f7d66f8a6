/* ring_at.h — where one driver access to shared memory falls in the device's split rings, found
 * once per access for every check that needs it (inline: it runs for every ring access).
 *
 * The HAL's checked ring accessors (harness/hal_sim.c) locate each load and store here, then
 * hand the result to the exposed-chain check (does the store publish, exposed_snapshot.h), the
 * barrier analysis (which field of which queue, barrier_check.h) and the run's facts (which
 * descriptor's next a store wrote, run_facts.h), instead of each of them walking the queues
 * again. Each answer is the one that check always had:
 *   f, qi, index  the first queue, in queue order, whose split ring holds gpa — live, or where
 *                 its registers say so far (split_locate_field) — and the field and entry there;
 *   next, next_*  the first live queue whose split ring has gpa in a descriptor's next field
 *                 (a packed ring has no such field);
 *   publish       the live split queues (bit qi) whose avail.idx a store of `size` bytes at gpa
 *                 is: the store that exposes chains (exposed_snapshot.h).
 */
#ifndef RING_AT_H
#define RING_AT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/ring.h"
#include "model/rings/ring_locate.h"

struct ring_at {
    enum sr_field f;   /* SR_F_NONE: in no queue's split ring */
    uint32_t qi, index;
    bool next;         /* a live queue's desc.next (next_qi, descriptor next_i) */
    uint32_t next_qi, next_i;
    uint32_t publish;
};

/* Is a store of `size` bytes at gpa q's avail.idx (§2.6.6), q a live split ring? */
static inline bool ring_at_publishes(const struct dev_queue *q, uint64_t gpa, uint32_t size)
{
    return q->live && size == 2 && gpa == q->avail + 2 && ring_is_split(q);
}

/* Locate an access of `size` bytes at gpa in the n queues q[0..n) (n ≤ 32). Always inline: as
 * a call it costs as much as its work. */
__attribute__((always_inline)) static inline void ring_at_locate(const struct dev_queue *q,
                                                                 uint32_t n, uint64_t gpa,
                                                                 uint32_t size,
                                                                 struct ring_at *at)
{
    at->f = SR_F_NONE;
    at->qi = at->index = 0;
    at->next = false;
    at->publish = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (!ring_is_split(&q[k]))
            continue;
        at->publish |= (uint32_t)ring_at_publishes(&q[k], gpa, size) << k;
        uint32_t i;
        enum sr_field f = split_locate_field(&q[k], gpa, &i);
        if (f == SR_F_NONE)
            continue;
        if (at->f == SR_F_NONE)
            at->f = f, at->qi = k, at->index = i;
        if (f == SR_F_DESC_NEXT && q[k].live && !at->next)
            at->next = true, at->next_qi = k, at->next_i = i;
    }
}

#endif /* RING_AT_H */
