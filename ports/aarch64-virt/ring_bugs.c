/* ring_bugs.c — the ring-side replayed bugs of src/model/inject/driver_bugs.h on real hardware.
 *
 * The model names a driver ring access ("avail.idx", "desc.flags"…) by where the *device* put
 * the rings (split_ring.c sr_classify). Here the device is QEMU, so this file follows the
 * registers as QEMU saw them (after the MMIO bugs, hal_virt.c raw_write): QueueSel, QueueNum,
 * the modern ring addresses and QueueReady, the legacy GuestPageSize, QueueAlign and QueuePFN
 * (QEMU's virtio_queue_update_rings: avail after the table, used at the next QueueAlign
 * boundary after avail.ring[num], used_event left out). Indirect tables are not followed: the
 * host tool refuses bugs that name them.
 */
#include "../../src/spec/virtio_spec.h"
#include "../../src/model/inject/driver_bugs.h"
#include "platform.h"

#define NQ 2u /* gpu: controlq, cursorq */

struct dq {
    uint32_t num, align;
    uint64_t pfn, reg_desc, reg_driver, reg_device;
    uint64_t desc, avail, used; /* live (latched) addresses */
    uint32_t live_num;
    int live;
};

static struct dq q[NQ];
static uint32_t sel, page_shift, version;
static uint32_t features_sel;
static int packed; /* VIRTIO_F_RING_PACKED accepted: the rings are packed (§2.7) */
static const uint32_t default_num[NQ] = {64, 16}; /* QEMU's virtio-gpu queue sizes */

static void reset_queues(void)
{
    for (uint32_t i = 0; i < NQ; i++) {
        q[i] = (struct dq){0};
        q[i].num = default_num[i];
        q[i].align = 4096;
    }
}

void ring_bugs_init(uint32_t transport)
{
    version = transport;
    reset_queues();
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The queue went live: the driver left ring-init values in its rings. */
static void queue_live(uint32_t qi)
{
    for (uint32_t i = 0; i < hal_n_bugs(); i++) {
        const struct vqst_bug *f = hal_bug(i);
        if (f->kind != FAULT_RING_INIT || f->queue != qi || !hal_bug_hit(i))
            continue;
        uint64_t at = streq(f->field, "used.flags") ? q[qi].used : q[qi].avail;
        *(volatile uint16_t *)(uintptr_t)at = (uint16_t)f->value;
    }
}

static void make_live(uint32_t qi, uint64_t desc, uint64_t avail, uint64_t used)
{
    struct dq *d = &q[qi];
    d->desc = desc, d->avail = avail, d->used = used;
    d->live_num = d->num;
    d->live = desc != 0 && d->num != 0;
    if (d->live)
        queue_live(qi);
}

static void legacy_update(uint32_t qi)
{
    struct dq *d = &q[qi];
    uint64_t desc = d->pfn << page_shift;
    if (!d->num || !desc || !d->align)
        return;
    uint64_t avail = desc + 16ull * d->num;
    uint64_t used = (avail + 4 + 2ull * d->num + d->align - 1) / d->align * d->align;
    make_live(qi, desc, avail, used);
}

void ring_bugs_mmio_write(uint32_t off, uint32_t v)
{
    struct dq *d = sel < NQ ? &q[sel] : (struct dq *)0;
    switch (off) {
    case VIRTIO_MMIO_STATUS:
        if (v == 0) {
            reset_queues();
            packed = 0;
        }
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: features_sel = v; return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (features_sel == 1)
            packed = (v >> (VIRTIO_F_RING_PACKED - 32)) & 1;
        return;
    case VIRTIO_MMIO_QUEUE_SEL: sel = v; return;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE:
        for (page_shift = 0; v > 1; v >>= 1)
            page_shift++;
        return;
    default: break;
    }
    if (!d)
        return;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        if (v == 0 || v > 1024)
            return;
        d->num = v;
        if (version == 1)
            legacy_update(sel);
        return;
    case VIRTIO_MMIO_QUEUE_ALIGN:
        if (v) {
            d->align = v;
            legacy_update(sel);
        }
        return;
    case VIRTIO_MMIO_QUEUE_PFN:
        if (v == 0) {
            reset_queues();
            return;
        }
        d->pfn = v;
        legacy_update(sel);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: d->reg_desc = (d->reg_desc & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: d->reg_desc = (d->reg_desc & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: d->reg_driver = (d->reg_driver & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: d->reg_driver = (d->reg_driver & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: d->reg_device = (d->reg_device & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: d->reg_device = (d->reg_device & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_READY:
        if (v)
            make_live(sel, d->reg_desc, d->reg_driver, d->reg_device);
        return;
    default: return;
    }
}

/* sr_classify: the ring field at addr, as the device placed the rings. */
static const char *classify(uint32_t qi, uint64_t a)
{
    const struct dq *d = &q[qi];
    uint64_t desc, avail, used;
    uint32_t n;
    if (d->live)
        desc = d->desc, avail = d->avail, used = d->used, n = d->live_num;
    else if (version == 2)
        desc = d->reg_desc, avail = d->reg_driver, used = d->reg_device, n = d->num;
    else
        return (const char *)0;
    if (n == 0)
        return (const char *)0;
    if (packed) /* packed_ring.c packed_classify: the descriptor ring, then the two areas */
        return desc && a >= desc && a < desc + 16ull * n
                   ? ((a - desc) % 16 < 8 ? "desc.addr" : (a - desc) % 16 < 12 ? "desc.len"
                      : (a - desc) % 16 < 14 ? "desc.id" : "desc.flags")
               : avail && a >= avail && a < avail + 4
                   ? (a - avail < 2 ? "driver_event.off_wrap" : "driver_event.flags")
               : used && a >= used && a < used + 4
                   ? (a - used < 2 ? "device_event.off_wrap" : "device_event.flags")
                   : (const char *)0;
    if (desc && a >= desc && a < desc + 16ull * n) {
        uint64_t off = (a - desc) % 16;
        return off < 8 ? "desc.addr" : off < 12 ? "desc.len" : off < 14 ? "desc.flags" : "desc.next";
    }
    if (avail && a >= avail && a < avail + 6 + 2ull * n) {
        uint64_t off = a - avail;
        return off < 2 ? "avail.flags" : off < 4 ? "avail.idx" : off < 4 + 2ull * n ? "avail.ring"
                                                                             : "avail.used_event";
    }
    if (used && a >= used && a < used + 6 + 8ull * n) {
        uint64_t off = a - used;
        if (off < 2) return "used.flags";
        if (off < 4) return "used.idx";
        if (off < 4 + 8ull * n) return (off - 4) % 8 < 4 ? "used.id" : "used.len";
        return "used.avail_event";
    }
    return (const char *)0;
}

void ring_bugs_store(uint64_t a, uint64_t *v)
{
    for (uint32_t i = 0; i < hal_n_bugs(); i++) {
        const struct vqst_bug *f = hal_bug(i);
        if (f->queue >= NQ)
            continue;
        const char *what = classify(f->queue, a);
        if (!what)
            continue;
        switch (f->kind) {
        case FAULT_REWRITE_RING_STORE:
            if (streq(what, f->field) && hal_bug_hit(i))
                *v = f->value;
            break;
        case FAULT_CLEAR_WRITE_FLAG:
            if (streq(what, "desc.flags") && (*v & VIRTQ_DESC_F_WRITE) && hal_bug_hit(i))
                *v &= ~(uint64_t)VIRTQ_DESC_F_WRITE;
            break;
        case FAULT_SET_DESC_FLAGS:
            if (!f->in_table && streq(what, "desc.flags") && hal_bug_hit(i))
                *v = (*v | f->add) & ~(uint64_t)f->remove;
            break;
        case FAULT_VIRT_AS_PHYS:
            if (streq(what, "desc.addr") && hal_bug_hit(i))
                *v += f->value;
            break;
        default:
            break;
        }
    }
}

void ring_bugs_after_store(uint64_t a)
{
    for (uint32_t i = 0; i < hal_n_bugs(); i++) {
        const struct vqst_bug *f = hal_bug(i);
        if (f->kind != FAULT_ALTER_EXPOSED_DESC || f->queue >= NQ)
            continue;
        const struct dq *d = &q[f->queue];
        const char *what = classify(f->queue, a);
        if (!d->live || !what || !streq(what, "avail.idx") || !hal_bug_hit(i))
            continue;
        uint16_t idx = *(volatile uint16_t *)(uintptr_t)(d->avail + 2);
        uint16_t head = *(volatile uint16_t *)(uintptr_t)(d->avail + 4 +
                                                           2ull * ((uint16_t)(idx - 1) % d->live_num));
        if (head >= d->live_num)
            continue;
        uintptr_t at = (uintptr_t)(d->desc + 16ull * head + f->field_off);
        switch (f->field_size) { /* naturally aligned fields of the descriptor */
        case 2: *(volatile uint16_t *)at = (uint16_t)f->value; break;
        case 4: *(volatile uint32_t *)at = (uint32_t)f->value; break;
        default: *(volatile uint64_t *)at = f->value; break;
        }
    }
}

void ring_bugs_load(uint64_t a, uint64_t *v)
{
    for (uint32_t i = 0; i < hal_n_bugs(); i++) {
        const struct vqst_bug *f = hal_bug(i);
        if (f->kind != FAULT_REWRITE_RING_LOAD || f->queue >= NQ)
            continue;
        const char *what = classify(f->queue, a);
        if (what && streq(what, f->field) && hal_bug_hit(i))
            *v = f->value;
    }
}
