/* other_rings.c — see other_rings.h. */
#include "harness/other_rings.h"

#include <string.h>

#include "spec/virtio_spec.h"
#include "spec/ring_layout.h"

void other_rings_init(struct other_rings *o)
{
    memset(o, 0, sizeof(*o));
}

static struct or_window *window_at(struct other_rings *o, uint64_t base)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (o->w[i].base == base)
            return &o->w[i];
    if (o->n == OR_MAX_WINDOWS) {
        o->overflow = true;
        return NULL;
    }
    struct or_window *w = &o->w[o->n++];
    memset(w, 0, sizeof(*w));
    w->base = base;
    w->page_size = 4096;
    for (uint32_t k = 0; k < OR_MAX_QUEUES; k++)
        w->q[k].align = 4096; /* QEMU's legacy default (the vring alignment of the PCI days) */
    return w;
}

static void set_low(uint64_t *r, uint32_t v) { *r = (*r & ~0xffffffffull) | v; }
static void set_high(uint64_t *r, uint32_t v) { *r = (*r & 0xffffffffull) | (uint64_t)v << 32; }

void other_rings_write(struct other_rings *o, uint64_t base, uint32_t off, uint32_t v)
{
    /* Only the registers that place rings: anything else (status, features, notify) leaves the
     * table as it is, so a window is tracked only once its guest sets a queue up. */
    switch (off) {
    case VIRTIO_MMIO_QUEUE_SEL: case VIRTIO_MMIO_GUEST_PAGE_SIZE: case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_ALIGN: case VIRTIO_MMIO_QUEUE_PFN: case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: break;
    default: return;
    }
    struct or_window *w = window_at(o, base);
    if (!w)
        return;
    if (off == VIRTIO_MMIO_QUEUE_SEL) {
        w->sel = v;
        return;
    }
    if (off == VIRTIO_MMIO_GUEST_PAGE_SIZE) {
        w->page_size = v;
        return;
    }
    if (w->sel >= OR_MAX_QUEUES) {
        o->overflow = true;
        return;
    }
    struct or_queue *q = &w->q[w->sel];
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM: q->num = v, q->num_set = true; break;
    case VIRTIO_MMIO_QUEUE_ALIGN: q->align = v; break;
    case VIRTIO_MMIO_QUEUE_PFN: q->pfn = v; break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: set_low(&q->desc, v), q->desc_set = true; break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_high(&q->desc, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_low(&q->avail, v), q->avail_set = true; break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_high(&q->avail, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_low(&q->used, v), q->used_set = true; break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_high(&q->used, v); break;
    default: break;
    }
}

static bool overlaps(uint64_t gpa, uint64_t size, uint64_t start, uint64_t len)
{
    return len && gpa < start + len && start < gpa + size;
}

static bool queue_contains(const struct or_window *w, const struct or_queue *q, uint64_t gpa,
                           uint64_t size)
{
    /* Without QueueNum the ring's extent is unknown: not claimed (its accesses stay the
     * replay's, as before this table existed). Linux writes QueueNum on both versions. */
    if (!q->num_set || q->num == 0 || q->num > 32768)
        return false;
    uint32_t n = q->num;
    if (q->pfn) { /* legacy: one region (§2.6.2) */
        uint64_t d = (uint64_t)q->pfn * w->page_size;
        return overlaps(gpa, size, d, rl_legacy_region_bytes(d, n, q->align));
    }
    return (q->desc_set && overlaps(gpa, size, q->desc, rl_desc_bytes(n))) ||
           (q->avail_set && overlaps(gpa, size, q->avail, rl_avail_bytes(n))) ||
           (q->used_set && overlaps(gpa, size, q->used, rl_used_bytes(n)));
}

bool other_rings_contains(const struct other_rings *o, uint64_t gpa, uint64_t size)
{
    for (uint32_t i = 0; i < o->n; i++)
        for (uint32_t k = 0; k < OR_MAX_QUEUES; k++)
            if (queue_contains(&o->w[i], &o->w[i].q[k], gpa, size))
                return true;
    return false;
}
