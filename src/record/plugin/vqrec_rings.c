/* vqrec_rings.c — the rings of the queues the guest set up: the ranges every RAM access is
 * matched against (rebuilt at queue setup, read lock-free), and the dumps of what the device reads
 * there (a ring when the device takes it, the buffers of the chains it takes). */
#include <stdint.h>
#include <string.h>

#include "record/plugin/va_cache.h"
#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"
#include "spec/ring_layout.h"

#define VQREC_DUMP_CAP (64u * 1024u) /* bytes dumped per buffer at a notify */
#define MAX_RANGES (MAX_WINDOWS * MAX_QUEUES * 3u)
#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u

struct range {
    uint64_t lo, hi;       /* [lo, hi) guest-physical */
};

/* The ring ranges, read on every RAM access without the lock (a seqlock: odd while rebuilt). */
static struct range ranges[MAX_RANGES];
static unsigned n_ranges;
static unsigned range_seq;

static uint32_t queue_num(const struct queue *q)
{
    return q->num ? q->num : q->num_max;
}

/* Where the device has the modern rings of q: latched at QueueReady = 1 while ready, else the
 * registers (a driver's stores before QueueReady are to the rings it is setting up). */
static uint64_t q_desc(const struct queue *q) { return q->ready ? q->live_desc : q->desc; }
static uint64_t q_driver(const struct queue *q) { return q->ready ? q->live_driver : q->driver; }
static uint64_t q_device(const struct queue *q) { return q->ready ? q->live_device : q->device; }

static void add_range(uint64_t lo, uint64_t size)
{
    if (!lo || !size || n_ranges >= MAX_RANGES)
        return;
    __atomic_store_n(&ranges[n_ranges].lo, lo, __ATOMIC_RELAXED);
    __atomic_store_n(&ranges[n_ranges].hi, lo + size, __ATOMIC_RELAXED);
    __atomic_store_n(&n_ranges, n_ranges + 1, __ATOMIC_RELAXED);
}

int rings_known(void)
{
    return __atomic_load_n(&n_ranges, __ATOMIC_RELAXED) != 0;
}

/* Every ring of every queue whose addresses are known, as either version places it: a driver
 * that writes version 2 registers to a version 1 device still has its rings recorded. */
void rebuild_ranges(void)
{
    __atomic_store_n(&range_seq, range_seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&n_ranges, 0, __ATOMIC_RELAXED);
    for (unsigned w = 0; w < n_windows; w++)
        for (unsigned i = 0; i < MAX_QUEUES; i++) {
            const struct queue *q = &windows[w].q[i];
            uint32_t num = queue_num(q);
            if (!num || num > 32768)
                continue;
            if (windows[w].packed) { /* §2.7.10.1: the ring, and 4 bytes each after */
                add_range(q_desc(q), packed_area_bytes(0, num));
                add_range(q_driver(q), packed_area_bytes(1, num));
                add_range(q_device(q), packed_area_bytes(2, num));
                continue;
            }
            add_range(q_desc(q), rl_desc_bytes(num));
            add_range(q_driver(q), rl_avail_bytes(num));
            add_range(q_device(q), rl_used_bytes(num));
            if (q->pfn) {
                /* One region: from the descriptor table to the later of QEMU's and §2.6.2's
                 * used ring, so a driver polling either place is seen. */
                uint64_t d = (uint64_t)q->pfn << windows[w].page_shift;
                add_range(d, rl_legacy_region_bytes(d, num, q->align));
            }
        }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&range_seq, range_seq + 1, __ATOMIC_RELAXED);
    vc_invalidate(); /* the pages remembered with or without a ring (va_cache.h) */
}

/* Lock-free: every RAM access of the guest asks this; rebuilds are rare (queue setup). */
int in_ranges(uint64_t pa, unsigned size)
{
    for (;;) {
        unsigned seq = __atomic_load_n(&range_seq, __ATOMIC_ACQUIRE);
        if (seq & 1)
            continue;
        int hit = 0;
        unsigned n = __atomic_load_n(&n_ranges, __ATOMIC_RELAXED);
        for (unsigned i = 0; i < n && i < MAX_RANGES && !hit; i++)
            hit = pa < __atomic_load_n(&ranges[i].hi, __ATOMIC_RELAXED) &&
                  pa + size > __atomic_load_n(&ranges[i].lo, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&range_seq, __ATOMIC_RELAXED) == seq)
            return hit;
    }
}

/* Where the device reads queue q: its version's registers (version 1: QueuePFN). */
static int queue_layout(const struct window *w, const struct queue *q, uint64_t *desc,
                        uint64_t *avail)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768) /* §2.6: at most 32768 entries; a bigger value is garbage */
        return 0;
    if (w->version == 1 || (w->version == 0 && q->pfn)) {
        if (!q->pfn)
            return 0;
        *desc = (uint64_t)q->pfn << w->page_shift;
        *avail = *desc + rl_desc_bytes(num);
        return 1;
    }
    if (!q_desc(q) || !q_driver(q))
        return 0;
    *desc = q_desc(q);
    *avail = q_driver(q);
    return 1;
}

static void dump_flagged(unsigned cpu, uint64_t addr, uint32_t len, uint8_t flags)
{
    uint32_t n = len > VQREC_DUMP_CAP ? VQREC_DUMP_CAP : len;
    const uint8_t *p = n ? ram_at(addr, n) : NULL;
    if (!p)
        return;
    /* value: the buffer's full length (the payload may be capped) */
    emit(VQREC_MEMORY, 0, flags, cpu, addr, len, 0, p, n);
}

static void dump(unsigned cpu, uint64_t addr, uint32_t len)
{
    dump_flagged(cpu, addr, len, 0);
}

/* The device has just taken queue q's rings (QueueReady = 1, or a legacy QueuePFN): what they
 * hold now is what the guest left there — values stored before the registers named the ring
 * (which the plugin could not know to record) and stale memory it never initialised (a
 * NO_NOTIFY in used.flags, §2.6.10.1). Written right after the register write's event. */
void dump_rings(unsigned cpu, const struct window *w, const struct queue *q)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768)
        return;
    if (w->version == 1 || (w->version == 0 && q->pfn)) {
        if (!q->pfn)
            return;
        uint64_t d = (uint64_t)q->pfn << w->page_shift;
        dump_flagged(cpu, d, (uint32_t)rl_legacy_region_bytes(d, num, q->align), VQREC_M_RING);
        return;
    }
    if (w->packed) {
        for (int a = 0; a < 3; a++)
            dump_flagged(cpu, a == 0 ? q->live_desc : a == 1 ? q->live_driver : q->live_device,
                         (uint32_t)packed_area_bytes(a, num), VQREC_M_RING);
        return;
    }
    dump_flagged(cpu, q->live_desc, (uint32_t)rl_desc_bytes(num), VQREC_M_RING);
    dump_flagged(cpu, q->live_driver, (uint32_t)rl_avail_bytes(num), VQREC_M_RING);
    dump_flagged(cpu, q->live_device, (uint32_t)rl_used_bytes(num), VQREC_M_RING);
}

/* The device-readable buffers of one descriptor (and of its indirect table). */
static void dump_desc(unsigned cpu, uint64_t d, uint32_t max_indirect)
{
    uint64_t addr = ram_read(d, 8);
    uint32_t len = (uint32_t)ram_read(d + 8, 4);
    uint16_t flags = (uint16_t)ram_read(d + 12, 2);
    if (flags & DESC_F_INDIRECT) {
        if (!max_indirect)
            return;
        dump(cpu, addr, len);
        uint32_t n = len / 16;
        for (uint32_t i = 0; i < n && i < max_indirect; i++)
            dump_desc(cpu, addr + 16ull * i, 0);
        return;
    }
    if (!(flags & DESC_F_WRITE))
        dump(cpu, addr, len);
}

/* The device-readable buffers of the chain in avail slot `slot` (an index, taken mod num). */
static void dump_chain(unsigned cpu, uint64_t desc, uint64_t avail, uint32_t num, uint16_t slot)
{
    uint16_t head = (uint16_t)ram_read(avail + 4 + 2ull * (slot % num), 2);
    uint32_t j = head;
    for (uint32_t hops = 0; j < num && hops < num; hops++) {
        uint64_t d = desc + 16ull * j;
        dump_desc(cpu, d, 65536);
        uint16_t flags = (uint16_t)ram_read(d + 12, 2);
        if (!(flags & DESC_F_NEXT))
            break;
        j = (uint16_t)ram_read(d + 14, 2);
    }
}

/* At a QueueNotify: the chains made available since those already dumped. */
void dump_new_chains(unsigned cpu, struct window *w, uint32_t qi)
{
    if (qi >= MAX_QUEUES)
        return;
    struct queue *q = &w->q[qi];
    uint64_t desc, avail;
    if (!queue_layout(w, q, &desc, &avail))
        return;
    uint32_t num = queue_num(q);
    if (w->packed) {
        packed_dump_new(cpu, q, desc, num);
        return;
    }
    uint16_t idx = (uint16_t)ram_read(avail + 2, 2);
    for (uint32_t k = 0; q->last_avail != idx && k < num; k++, q->last_avail++)
        dump_chain(cpu, desc, avail, num, q->last_avail);
    q->last_avail = idx;
}

/* QEMU's device took a chain (its virtqueue_pop trace; it takes them in avail order): when that
 * chain was published after the last notify (a device still busy with an earlier notify takes
 * what was published meanwhile), its buffers are dumped now, before the guest can have seen it
 * answered (it must load used.idx first, and every load reads QEMU's log first), so the model
 * has what QEMU read. */
void dump_popped(struct window *w, uint32_t qi)
{
    if (qi >= MAX_QUEUES)
        return;
    struct queue *q = &w->q[qi];
    uint64_t desc, avail;
    if (w->packed) { /* what was made available since the last notify, QEMU took it */
        if (queue_layout(w, q, &desc, &avail))
            packed_dump_new(VQREC_CPU_NONE, q, desc, queue_num(q));
        return;
    }
    uint16_t k = q->popped++;
    if ((int16_t)(uint16_t)(k - q->last_avail) < 0 || !queue_layout(w, q, &desc, &avail))
        return; /* dumped at a notify already */
    dump_chain(VQREC_CPU_NONE, desc, avail, queue_num(q), k);
    q->last_avail = (uint16_t)(k + 1);
}

/* Where the device has queue q's used ring (its version's registers; 0: not known). */
static uint64_t queue_used(const struct window *w, const struct queue *q)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768)
        return 0;
    if (w->version == 1 || (w->version == 0 && q->pfn))
        return q->pfn ? rl_legacy_used((uint64_t)q->pfn << w->page_shift, num, q->align) : 0;
    return q_device(q);
}

/* The guest read avail_event (VIRTIO_F_EVENT_IDX): the device had taken the chains up to that
 * index. QEMU's virtqueue_pop writes avail_event before it logs its trace line, so the guest can
 * see a chain taken before the plugin has read the pop: those chains' buffers are dumped now,
 * before the load — the checker's device takes them when the guest saw them taken. */
void avail_event_read(uint64_t pa, uint16_t seen)
{
    for (unsigned wi = 0; wi < n_windows; wi++)
        for (uint32_t qi = 0; qi < MAX_QUEUES; qi++) {
            struct window *w = &windows[wi];
            struct queue *q = &w->q[qi];
            uint64_t used = queue_used(w, q), desc, avail;
            uint32_t num = queue_num(q);
            if (!used || pa != used + 4 + 8ull * num || !queue_layout(w, q, &desc, &avail))
                continue;
            uint16_t ahead = (uint16_t)(seen - q->last_avail);
            for (uint32_t k = 0; ahead <= num && k < ahead; k++, q->last_avail++)
                dump_chain(VQREC_CPU_NONE, desc, avail, num, q->last_avail);
            return;
        }
}
