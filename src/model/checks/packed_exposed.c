/* packed_exposed.c — see packed_exposed.h. Rule ids: spec/rules.yaml, area packed. */
#include "model/checks/packed_exposed.h"

#include "model/machine.h"
#include "model/rings/packed_ring.h"
#include "model/rings/packed_walk.h"
#include "spec/virtio_spec.h"

/* Ring offset i's distance from `from`, going forward round the ring of n. */
static uint32_t ahead(uint32_t i, uint32_t from, uint32_t n) { return (i + n - from) % n; }

/* Is offset i in the lists made available and not taken yet? `flags_publish`: the store is the
 * one that made i available (its old flags did not show it): that is how a list is published. */
static bool in_available(const struct machine *m, const struct dev_queue *q, uint32_t i,
                         bool flags_publish)
{
    uint32_t n = q->live_num, pos = q->last_avail_idx, walked = 0;
    bool wrap = packed_avail_wrap(q);
    struct sr_desc d;
    while (walked < n) {
        packed_read_desc(&m->mem, q->desc, pos, &d);
        if (!packed_desc_avail(d.flags, wrap))
            return false; /* the end of what the device may take */
        bool head = true;
        do { /* one list: NEXT links, an indirect head alone */
            if (pos == i)
                return !(head && flags_publish);
            bool more = (d.flags & VIRTQ_DESC_F_NEXT) && !(d.flags & VIRTQ_DESC_F_INDIRECT);
            if (++pos == n) {
                pos = 0;
                wrap = !wrap;
            }
            walked++;
            head = false;
            if (!more)
                break;
            packed_read_desc(&m->mem, q->desc, pos, &d);
        } while (walked < n);
    }
    return false;
}

void packed_on_driver_store(struct machine *m, uint64_t gpa, uint64_t old, uint64_t v,
                            uint32_t size)
{
    for (uint32_t qi = 0; qi < MMIO_NUM_QUEUES; qi++) {
        const struct dev_queue *q = &m->dev.q[qi];
        if (!q->live || ring_is_split(q) || gpa < q->desc || gpa >= q->desc + 16ull * q->live_num)
            continue;
        uint32_t i = (uint32_t)((gpa - q->desc) / 16), off = (uint32_t)((gpa - q->desc) % 16);
        if (q->pk_inuse_descs && ahead(i, q->used_idx, q->live_num) < q->pk_inuse_descs) {
            machine_violation(m, "packed.change-only-after-used", (int)qi,
                              "queue %u: the driver stored 0x%llx (was 0x%llx) into descriptor "
                              "%u (byte %u) while the device holds it: it took %u descriptors "
                              "from offset %u and has not marked them used", qi,
                              (unsigned long long)v, (unsigned long long)old, i, off,
                              q->pk_inuse_descs, q->used_idx);
            continue;
        }
        /* the lap of offset i going forward from the device's next offset */
        bool lap = i >= q->last_avail_idx ? packed_avail_wrap(q) : !packed_avail_wrap(q);
        bool publish = off == 14 && size == 2 && !packed_desc_avail((uint16_t)old, lap) &&
                       packed_desc_avail((uint16_t)v, lap);
        if (in_available(m, q, i, publish))
            machine_violation(m, "packed.no-change-after-avail", (int)qi,
                              "queue %u: the driver stored 0x%llx (was 0x%llx) into descriptor "
                              "%u (byte %u) after making it available (its list starts at or "
                              "after offset %u, not yet taken by the device)", qi,
                              (unsigned long long)v, (unsigned long long)old, i, off,
                              q->last_avail_idx);
    }
}
