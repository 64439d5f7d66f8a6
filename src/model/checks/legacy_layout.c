/* legacy_layout.c — see legacy_layout.h. */
#include "model/checks/legacy_layout.h"

#include "model/machine.h"

bool legacy_layout_mismatch(const struct machine *m) { return m->legacy_layout.reported; }

void legacy_layout_on_driver_load(struct machine *m, uint64_t gpa, uint32_t size)
{
    if (m->dev.version != 1 || m->legacy_layout.reported)
        return;
    bool any_live = false;
    for (uint32_t qi = 0; qi < m->dev.n_queues; qi++) {
        const struct dev_queue *q = &m->dev.q[qi];
        if (!q->live)
            continue;
        any_live = true;
        /* The driver reads only the used ring: flags, idx, elements, avail_event (§2.6.8). */
        uint64_t end = q->used + 6 + 8ull * q->live_num;
        if (gpa >= q->used && gpa + size <= end)
            return;
    }
    if (!any_live)
        return; /* no ring yet: the queue setup itself went wrong, not the layout */
    m->legacy_layout.reported = true;
    const struct dev_queue *q = &m->dev.q[0];
    machine_violation(m, "split.legacy.layout", -1,
                      "the driver read ring memory at 0x%llx, outside every used ring the device "
                      "writes (queue 0's is at 0x%llx: QueuePFN 0x%x x page size, then the legacy "
                      "layout with QueueAlign %u)", (unsigned long long)gpa,
                      (unsigned long long)q->used, q->pfn, q->align);
}

/* Buffer s lies on the used ring [start, end) (out of line: the loop below is every pop's). */
static __attribute__((noinline)) void on_used_ring(struct machine *m, uint32_t qi,
                                                   const struct sr_seg *s, uint64_t start,
                                                   uint64_t end)
{
    const struct dev_queue *q = &m->dev.q[qi];
    rf_overlap(m, qi, s->desc, s->in_table, s->gpa, s->len, s->write);
    if (m->dev.version != 1 || m->legacy_layout.reported)
        return;
    m->legacy_layout.reported = true;
    machine_violation(m, "split.legacy.layout", (int)qi,
                      "queue %u: the driver handed the device a buffer (%s %u at 0x%llx, %u "
                      "bytes, device-%s) that lies on the used ring the device writes "
                      "(0x%llx-0x%llx: QueuePFN 0x%x x page size, then the legacy layout with "
                      "QueueAlign %u): the driver's ring is not laid out as the device's",
                      qi, s->in_table ? "indirect entry" : "descriptor", s->desc,
                      (unsigned long long)s->gpa, s->len, s->write ? "writable" : "readable",
                      (unsigned long long)start, (unsigned long long)end, q->pfn, q->align);
}

void legacy_layout_on_chain(struct machine *m, uint32_t qi, const struct sr_chain *c)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint64_t start = q->used, end = q->used + 6 + 8ull * q->live_num;
    for (uint32_t i = 0; i < c->nseg; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (s->gpa < end && s->gpa + s->len > start) {
            on_used_ring(m, qi, s, start, end); /* the first such buffer only */
            return;
        }
    }
}
