/* other_rings.h — the rings of the OTHER virtio-mmio devices a recorded guest drives (virtio-blk,
 * -net, -rng next to the gpu on QEMU's `virt` machine), so `vqsim check` can leave their traffic
 * out of the gpu model.
 *
 * The recorder records the ring accesses of every queue of every window; the replay models one
 * gpu. A load or store in another device's ring replayed as the gpu's would make a gpu queue look
 * busy (a request "never answered") and let the gpu's ring checks judge memory that is not the
 * gpu's. This table follows each other window's register writes and says where its rings lie.
 *
 * Bounded: OR_MAX_WINDOWS windows × OR_MAX_QUEUES queues (QEMU's `virt` machine has 32 virtio-mmio
 * windows; the plugin keeps 8 queues per window too). Anything beyond is not tracked and
 * `overflow` says so: its accesses are then replayed as before.
 */
#ifndef OTHER_RINGS_H
#define OTHER_RINGS_H

#include <stdbool.h>
#include <stdint.h>

#define OR_MAX_WINDOWS 32u
#define OR_MAX_QUEUES 8u

struct or_queue {
    bool num_set, desc_set, avail_set, used_set;
    uint32_t num, pfn, align;        /* align: QueueAlign (legacy), QEMU's default 4096 */
    uint64_t desc, avail, used;      /* modern: QueueDesc / QueueDriver / QueueDevice */
};

struct or_window {
    uint64_t base;
    uint32_t sel;                    /* QueueSel */
    uint32_t page_size;              /* GuestPageSize (legacy): per device, 4096 until written */
    struct or_queue q[OR_MAX_QUEUES];
};

struct other_rings {
    struct or_window w[OR_MAX_WINDOWS];
    uint32_t n;
    bool overflow;                   /* a window or queue beyond the table was set up */
};

void other_rings_init(struct other_rings *o);

/* The guest wrote `value` to register `off` of the window at `base` (not the gpu's). */
void other_rings_write(struct other_rings *o, uint64_t base, uint32_t off, uint32_t value);

/* Does [gpa, gpa + size) overlap a ring (descriptor table, available or used ring) of a queue
 * of another window? Modern: the three areas the registers name, event fields included (§2.6).
 * Legacy: the one region from QueuePFN × GuestPageSize to the end of the used ring (§2.6.2),
 * placed by whichever of QEMU's and the spec's formulas reaches further (ring_layout.h). */
bool other_rings_contains(const struct other_rings *o, uint64_t gpa, uint64_t size);

#endif /* OTHER_RINGS_H */
