/* ring_locate.h — where a guest-physical address falls in a queue's split ring, inline.
 *
 * The split ring's classify (split_ring.c) is this function; the barrier analysis, whose
 * pairings are the split ring's (§2.6.13), calls it for every ring access the driver makes, for
 * each queue, so it is inline here instead of a call per queue. */
#ifndef RING_LOCATE_H
#define RING_LOCATE_H

#include <stdint.h>

#include "model/rings/ring.h"
#include "model/rings/split_ring.h"

/* The field of q's split ring (§2.6.5 descriptor table, §2.6.6 available ring, §2.6.8 used
 * ring) that holds gpa, as the device lays the ring out, or NULL. *index gets the entry. A ring
 * not live yet is located where its registers say so far (version 2's QueueDesc … latched at
 * QueueReady; a version 1 device has none of them, so they stay 0 and locate nothing). */
static inline const char *split_locate(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    uint64_t desc, avail, used;
    uint32_t n;
    if (q->live) {
        desc = q->desc, avail = q->avail, used = q->used, n = q->live_num;
    } else {
        desc = q->reg_desc, avail = q->reg_driver, used = q->reg_device, n = q->num;
    }
    *index = 0;
    if (n == 0)
        return NULL;
    if (desc && gpa >= desc && gpa < desc + 16ull * n) {
        uint64_t off = (gpa - desc) % 16;
        *index = (uint32_t)((gpa - desc) / 16);
        return off < 8 ? sr_f_desc_addr : off < 12 ? sr_f_desc_len
             : off < 14 ? sr_f_desc_flags : sr_f_desc_next;
    }
    if (avail && gpa >= avail && gpa < avail + 6 + 2ull * n) {
        uint64_t off = gpa - avail;
        if (off < 2) return sr_f_avail_flags;
        if (off < 4) return sr_f_avail_idx;
        if (off < 4 + 2ull * n) {
            *index = (uint32_t)((off - 4) / 2);
            return sr_f_avail_ring;
        }
        return sr_f_avail_used_event;
    }
    if (used && gpa >= used && gpa < used + 6 + 8ull * n) {
        uint64_t off = gpa - used;
        if (off < 2) return sr_f_used_flags;
        if (off < 4) return sr_f_used_idx;
        if (off < 4 + 8ull * n) {
            *index = (uint32_t)((off - 4) / 8);
            return (off - 4) % 8 < 4 ? sr_f_used_id : sr_f_used_len;
        }
        return sr_f_used_avail_event;
    }
    return NULL;
}

#endif /* RING_LOCATE_H */
