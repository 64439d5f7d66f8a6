/* ring_locate.h — where a guest-physical address falls in a queue's split ring, inline.
 *
 * The split ring's classify (split_ring.c) is this function; the barrier analysis, whose
 * pairings are the split ring's (§2.6.13), calls it for every ring access the driver makes, for
 * each queue, so it is inline here instead of a call per queue. */
#ifndef RING_LOCATE_H
#define RING_LOCATE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/ring.h"
#include "model/rings/split_ring.h"

/* The fields of a split ring as small numbers (§2.6.5 descriptor table, §2.6.6 available ring,
 * §2.6.8 used ring), so the checks that judge every ring access look their properties up in a
 * table instead of comparing names; sr_field_name[] gives the field's name (split_ring.h's
 * objects: sr_field_name[SR_F_AVAIL_IDX] == sr_f_avail_idx; [SR_F_NONE] is NULL). */
enum sr_field {
    SR_F_NONE = 0,
    SR_F_DESC_ADDR, SR_F_DESC_LEN, SR_F_DESC_FLAGS, SR_F_DESC_NEXT,
    SR_F_AVAIL_FLAGS, SR_F_AVAIL_IDX, SR_F_AVAIL_RING, SR_F_AVAIL_USED_EVENT,
    SR_F_USED_FLAGS, SR_F_USED_IDX, SR_F_USED_ID, SR_F_USED_LEN, SR_F_USED_AVAIL_EVENT,
    SR_FIELDS
};
extern const char *const sr_field_name[SR_FIELDS];

/* The field of q's split ring that holds gpa, as the device lays the ring out, or SR_F_NONE.
 * *index gets the entry. A ring not live yet is located where its registers say so far
 * (version 2's QueueDesc … latched at QueueReady; a version 1 device has none of them, so they
 * stay 0 and locate nothing). */
static inline enum sr_field split_locate_field(const struct dev_queue *q, uint64_t gpa,
                                               uint32_t *index)
{
    bool live = q->live;
    uint64_t desc = live ? q->desc : q->reg_desc, avail = live ? q->avail : q->reg_driver;
    uint64_t used = live ? q->used : q->reg_device;
    uint64_t n = live ? q->live_num : q->num;
    *index = 0;
    /* One unsigned compare per area: gpa - start wraps past the end when gpa < start. */
    uint64_t off = gpa - desc;
    if (desc && off < 16 * n) {
        *index = (uint32_t)(off / 16);
        off %= 16;
        return off < 8 ? SR_F_DESC_ADDR : off < 12 ? SR_F_DESC_LEN
             : off < 14 ? SR_F_DESC_FLAGS : SR_F_DESC_NEXT;
    }
    off = gpa - avail;
    if (avail && n && off < 6 + 2 * n) {
        if (off < 2) return SR_F_AVAIL_FLAGS;
        if (off < 4) return SR_F_AVAIL_IDX;
        if (off < 4 + 2 * n) {
            *index = (uint32_t)((off - 4) / 2);
            return SR_F_AVAIL_RING;
        }
        return SR_F_AVAIL_USED_EVENT;
    }
    off = gpa - used;
    if (used && n && off < 6 + 8 * n) {
        if (off < 2) return SR_F_USED_FLAGS;
        if (off < 4) return SR_F_USED_IDX;
        if (off < 4 + 8 * n) {
            *index = (uint32_t)((off - 4) / 8);
            return (off - 4) % 8 < 4 ? SR_F_USED_ID : SR_F_USED_LEN;
        }
        return SR_F_USED_AVAIL_EVENT;
    }
    return SR_F_NONE;
}

/* The same by name (the ring's classify): split_ring.h's field object, or NULL. */
static inline const char *split_locate(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    return sr_field_name[split_locate_field(q, gpa, index)];
}

#endif /* RING_LOCATE_H */
