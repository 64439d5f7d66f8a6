/* legacy_layout.c — see legacy_layout.h. */
#include "legacy_layout.h"

#include "machine.h"

void legacy_layout_on_driver_load(struct machine *m, uint64_t gpa, uint32_t size)
{
    if (m->dev.version != 1 || m->legacy_layout_reported)
        return;
    bool any_live = false;
    for (uint32_t qi = 0; qi < MMIO_NUM_QUEUES; qi++) {
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
    m->legacy_layout_reported = true;
    const struct dev_queue *q = &m->dev.q[0];
    machine_violation(m, "split.legacy.layout", -1,
                      "the driver read ring memory at 0x%llx, outside every used ring the device "
                      "writes (queue 0's is at 0x%llx: QueuePFN 0x%x x page size, then the legacy "
                      "layout with QueueAlign %u)", (unsigned long long)gpa,
                      (unsigned long long)q->used, q->pfn, q->align);
}
