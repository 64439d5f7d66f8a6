/* ring_layout.c — see ring_layout.h. */
#include "spec/ring_layout.h"

#include <string.h>

#include "spec/virtio_spec.h"

uint64_t rl_desc_bytes(uint32_t num) { return 16ull * num; }
uint64_t rl_avail_bytes(uint32_t num) { return 6ull + 2ull * num; }
uint64_t rl_used_bytes(uint32_t num) { return 6ull + 8ull * num; }

/* QEMU_ALIGN_UP: a division, so any positive alignment works. */
static uint64_t align_up(uint64_t v, uint64_t a)
{
    if (a <= 1)
        return v;
    return (v + a - 1) / a * a;
}

uint64_t rl_legacy_used(uint64_t desc, uint32_t num, uint32_t align)
{
#ifdef VQSIM_TEST_WRONG_LEGACY_USED
    /* Test-only build (vqsim-wrong-legacy-used): a model that forgets QueueAlign and packs the
     * used ring after the available ring. tests/test_qemu_diff.py proves that real QEMU
     * disagrees with it. */
    (void)align;
    return align_up(desc + rl_desc_bytes(num) + rl_avail_bytes(num), 4);
#endif
    /* offsetof(avail, ring[N]): QEMU's virtio_queue_update_rings leaves used_event out. */
    return align_up(desc + rl_desc_bytes(num) + 4ull + 2ull * num, align);
}

uint64_t rl_legacy_used_spec(uint64_t desc, uint32_t num, uint32_t align)
{
    return align_up(desc + rl_desc_bytes(num) + rl_avail_bytes(num), align);
}

uint64_t rl_legacy_region_bytes(uint64_t desc, uint32_t num, uint32_t align)
{
    return rl_legacy_used_spec(desc, num, align) + rl_used_bytes(num) - desc;
}

static void add(struct ring_layout *l, const char *name, enum rl_area area, uint64_t off,
                uint64_t size, uint32_t entries, uint32_t entry_size, const char *note)
{
    if (l->n_parts >= RL_MAX_PARTS)
        return;
    struct rl_part *p = &l->part[l->n_parts++];
    p->name = name;
    p->area = area;
    p->off = off;
    p->size = size;
    p->entries = entries;
    p->entry_size = entry_size;
    p->note = note;
}

int ring_layout_compute(uint32_t num, enum rl_kind kind, uint32_t align, struct ring_layout *out)
{
    if (!out || num == 0 || num > VIRTQ_MAX_SIZE)
        return -1;
    if (kind != RL_MODERN && kind != RL_LEGACY_QEMU && kind != RL_LEGACY_SPEC)
        return -1;
    if (kind != RL_MODERN && align == 0)
        return -1;
    memset(out, 0, sizeof(*out));
    struct ring_layout *l = out;
    l->kind = kind;
    l->num = num;
    l->align = kind == RL_MODERN ? 0 : align;
    l->desc_size = rl_desc_bytes(num);
    l->avail_size = rl_avail_bytes(num);
    l->used_size = rl_used_bytes(num);
    l->desc = 0;
    if (kind == RL_MODERN) {
        /* §2.6 alignment table; each part may live anywhere, shown at the tightest packing. */
        l->desc_align = VIRTQ_DESC_ALIGN;
        l->avail_align = VIRTQ_AVAIL_ALIGN;
        l->used_align = VIRTQ_USED_ALIGN;
        l->avail = align_up(l->desc + l->desc_size, VIRTQ_AVAIL_ALIGN);
        l->used = align_up(l->avail + l->avail_size, VIRTQ_USED_ALIGN);
    } else {
        /* §2.6.2: one region from QueuePFN × GuestPageSize; avail follows desc directly. */
        l->desc_align = VIRTQ_DESC_ALIGN; /* a page in practice: the PFN names a page */
        l->avail_align = VIRTQ_AVAIL_ALIGN;
        l->used_align = align;
        l->avail = l->desc + l->desc_size;
        l->used = kind == RL_LEGACY_QEMU ? rl_legacy_used(l->desc, num, align)
                                         : rl_legacy_used_spec(l->desc, num, align);
    }
    l->end = l->used + l->used_size;

    add(l, "desc", RL_AREA_DESC, l->desc, l->desc_size, num, 16,
        "descriptors: addr u64, len u32, flags u16 (NEXT 1, WRITE 2, INDIRECT 4), next u16; "
        "written by the driver");
    add(l, "avail.flags", RL_AREA_AVAIL, l->avail, 2, 0, 2,
        "driver: 1 = NO_INTERRUPT (do not interrupt me)");
    add(l, "avail.idx", RL_AREA_AVAIL, l->avail + 2, 2, 0, 2,
        "driver: where it will put the next entry; free-running, wraps at 65536");
    add(l, "avail.ring", RL_AREA_AVAIL, l->avail + 4, 2ull * num, num, 2,
        "driver: heads of chains made available, slot = idx % N");
    uint64_t avail_end = l->avail + l->avail_size;
    bool overlap = l->used < avail_end;
    add(l, "avail.used_event", RL_AREA_AVAIL, l->avail + 4 + 2ull * num, 2, 0, 2,
        overlap ? "driver, only with VIRTIO_F_EVENT_IDX; here it lies on the used ring the "
                  "device placed without it"
                : "driver, only with VIRTIO_F_EVENT_IDX: interrupt me when used.idx passes this");
    if (l->used > avail_end)
        add(l, "padding", RL_AREA_NONE, avail_end, l->used - avail_end, 0, 0,
            kind == RL_MODERN ? "unused: up to the used ring's 4-byte alignment"
                              : "unused: up to the next QueueAlign boundary");
    add(l, "used.flags", RL_AREA_USED, l->used, 2, 0, 2,
        "device: 1 = NO_NOTIFY (do not notify me)");
    add(l, "used.idx", RL_AREA_USED, l->used + 2, 2, 0, 2,
        "device: where it will put the next element; the driver polls it");
    add(l, "used.ring", RL_AREA_USED, l->used + 4, 8ull * num, num, 8,
        "device: elements id u32 (chain head), len u32 (bytes written)");
    add(l, "used.avail_event", RL_AREA_USED, l->used + 4 + 8ull * num, 2, 0, 2,
        "device, only with VIRTIO_F_EVENT_IDX: notify me when avail.idx passes this");
    return 0;
}
