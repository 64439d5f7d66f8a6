/* replay_rings.c — where the guest of a recording put its rings (replay_internal.h): the
 * register writes that place them, the legacy layouts a guest chose itself, and whether a ring
 * access is the gpu's or another virtio device's (other_rings.h). */
#include <stdbool.h>
#include <stdint.h>

#include "harness/replay_internal.h"
#include "spec/ring_layout.h"
#include "spec/virtio_spec.h"

/* ---- register bookkeeping: where the guest put its rings ---- */

void replay_on_register_write(struct replay *rp, uint32_t off, uint32_t v)
{
    struct replay_queue *q = rp->queue_sel < RUN_MAX_QUEUES ? &rp->q[rp->queue_sel] : NULL;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_SEL: rp->queue_sel = v; return;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE: rp->page_size = v; return;
    default: break;
    }
    if (!q)
        return;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM: q->num = v, q->num_set = true; break;
    case VIRTIO_MMIO_QUEUE_ALIGN: q->align = v; break;
    case VIRTIO_MMIO_QUEUE_PFN: q->pfn = v, q->pfn_set = v != 0; break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: q->desc = (q->desc & ~0xffffffffull) | v, q->desc_set = true; break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: q->desc = (q->desc & 0xffffffffull) | (uint64_t)v << 32; break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: q->avail = (q->avail & ~0xffffffffull) | v, q->avail_set = true; break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: q->avail = (q->avail & 0xffffffffull) | (uint64_t)v << 32; break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: q->used = (q->used & ~0xffffffffull) | v, q->used_set = true; break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: q->used = (q->used & 0xffffffffull) | (uint64_t)v << 32; break;
    default: break;
    }
}

/* The guest's descriptor table and available ring of queue qi (false: not told yet). A legacy
 * guest gives the table by QueuePFN and the size by QueueNum; the available ring follows the
 * table (§2.6.2). */
bool replay_driver_desc_avail(const struct replay *rp, uint32_t qi, uint64_t *desc,
                              uint64_t *avail, uint32_t *num)
{
    const struct replay_queue *q = &rp->q[qi];
    uint64_t d = q->desc_set ? q->desc : q->pfn_set ? (uint64_t)q->pfn * rp->page_size : 0;
    if (!d)
        return false;
    uint32_t n = q->num_set ? q->num : 0;
    uint64_t a = q->avail_set ? q->avail : n ? d + 16ull * n : q->inferred_avail;
    if (!n && a > d && (a - d) % 16 == 0 && (a - d) / 16 <= 32768)
        n = (uint32_t)((a - d) / 16); /* QueueNum never written: the table ends where avail starts */
    if (!a || !n)
        return false;
    *desc = d, *avail = a, *num = n;
    return true;
}

/* Is a 2-byte load at gpa the guest reading queue qi's used.idx? At the device's used.idx, or —
 * when the guest laid the ring out elsewhere (the legacy layout bug) — a used.idx position of
 * its own (2 mod 4, past its available ring, outside every table and available ring). */
bool replay_used_idx_of(const struct replay *rp, const struct machine *m, uint64_t gpa,
                        uint32_t *qi)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES && k < MMIO_NUM_QUEUES; k++)
        if (m->dev.q[k].live && gpa == m->dev.q[k].used + 2) {
            *qi = k;
            return true;
        }
    if (gpa % 4 != 2)
        return false;
    uint64_t best = 0;
    bool found = false, known = false;
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++) {
        uint64_t d, a;
        uint32_t n;
        if (!replay_driver_desc_avail(rp, k, &d, &a, &n))
            continue;
        if ((gpa >= d && gpa < d + 16ull * n) || (gpa >= a && gpa < a + 6 + 2ull * n))
            return false;
        if (a <= gpa && (!found || a > best)) {
            best = a;
            *qi = k;
            found = true;
        }
        known = true;
    }
    if (!known && !found) /* no ring known from the registers: the first queue's */
        *qi = 0;
    return found || !known;
}

/* A legacy guest that never wrote QueueNum laid its ring out for a size of its own: its
 * available ring is where its first avail.idx store is. Descriptor fields it stores 2 bytes at a
 * time are at 12 and 14 (mod 16) from the table; avail.idx is at 2 (mod 16), since the available
 * ring follows the table (§2.6.2), and it is stored before avail.ring[7] is. */
void replay_infer_avail(struct replay *rp, const struct vqrec_event *e)
{
    if (e->size != 2)
        return;
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++) {
        struct replay_queue *q = &rp->q[k];
        if (!q->pfn_set || q->num_set || q->avail_set || q->desc_set || q->inferred_avail)
            continue;
        uint64_t d = (uint64_t)q->pfn * rp->page_size;
        if (e->addr >= d + 16 && (e->addr - d) % 16 == 2 && e->addr - d <= 16ull * 32768 + 2) {
            q->inferred_avail = e->addr - 2;
            return;
        }
    }
}

/* Which queue's ring (table or available ring) a store lands in. */
bool replay_ring_of_store(const struct replay *rp, uint64_t gpa, uint32_t *qi,
                          bool *is_avail_idx)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++) {
        uint64_t d, a;
        uint32_t n;
        if (!replay_driver_desc_avail(rp, k, &d, &a, &n))
            continue;
        if ((gpa >= d && gpa < d + 16ull * n) || (gpa >= a && gpa < a + 6 + 2ull * n)) {
            *qi = k;
            *is_avail_idx = gpa == a + 2;
            return true;
        }
    }
    return false;
}

/* ---- the other devices ---- */

/* Does [gpa, gpa + size) overlap a ring of the gpu's, as its registers (or the model's live
 * queue) place it? */
static bool in_gpu_ring(const struct replay *rp, const struct machine *m, uint64_t gpa,
                        uint64_t size)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++) {
        const struct replay_queue *q = &rp->q[k];
        uint64_t d, a;
        uint32_t n;
        if (k < MMIO_NUM_QUEUES && m->dev.q[k].live && m->dev.q[k].num &&
            gpa < m->dev.q[k].used + rl_used_bytes(m->dev.q[k].num) && m->dev.q[k].used < gpa + size)
            return true;
        if (!replay_driver_desc_avail(rp, k, &d, &a, &n))
            continue;
        uint64_t end = a + rl_avail_bytes(n);
        /* legacy: the whole region, either formula's used ring (§2.6.2) */
        uint64_t region = q->pfn_set && !q->used_set ? rl_legacy_region_bytes(d, n, q->align) : 0;
        if ((gpa < d + rl_desc_bytes(n) && d < gpa + size) || (gpa < end && a < gpa + size) ||
            (q->used_set && gpa < q->used + rl_used_bytes(n) && q->used < gpa + size) ||
            (region && gpa < d + region && d < gpa + size))
            return true;
    }
    return false;
}

/* A ring load or store of another device's (and not in a ring of the gpu's): not the gpu's
 * traffic. Replayed, it would make a gpu queue busy (ring_of_store's fallback to queue 0) and
 * have the gpu's ring rules judge memory the gpu never uses. */
bool replay_other_device_access(const struct replay *rp, const struct machine *m,
                                const struct vqrec_event *e)
{
    uint64_t size = e->size ? e->size : 1;
    return other_rings_contains(&rp->others, e->addr, size) && !in_gpu_ring(rp, m, e->addr, size);
}

/* A register write to another window: where that device's rings are. The memory dumps that
 * follow it (the recorder writes them right after the write: buffers that device reads at its
 * notify, its rings when it takes them) are not copied into the model's RAM (replay.c: run()
 * counts them). The gpu model never reads them: a gpu request's own buffers are dumped again at
 * the gpu's notify, its rings at its QueueReady. Copying them could only do harm — a dump
 * overlapping gpu ring memory (a guest sharing memory between devices) would overwrite what the
 * model's gpu wrote there with the guest's view of another moment. */
void replay_other_window_write(struct replay *rp, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    uint64_t base = e->addr & ~(uint64_t)(VIRTIO_MMIO_WINDOW_SIZE - 1);
    other_rings_write(&rp->others, base, (uint32_t)(e->addr - base), (uint32_t)e->value);
    if (rp->others.overflow && !rp->others_overflow_noted) {
        rp->others_overflow_noted = true;
        replay_note(rp, it, "more other virtio-mmio windows or queues than the replay tracks "
                            "(%u x %u): ring accesses of those beyond are replayed as the gpu's",
                    OR_MAX_WINDOWS, OR_MAX_QUEUES);
    }
}

