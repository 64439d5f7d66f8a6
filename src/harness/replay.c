/* replay.c — see replay.h.
 *
 * Ordering instructions: a RELEASE store is replayed as vhal_wmb() then the store, an ACQUIRE
 * load as the load then vhal_rmb(). For the four pairings the barrier analysis checks
 * (barrier_check.h) that is exact, never more lenient than the instruction:
 *   A (payload stores → avail.idx store) needs earlier stores ordered before the idx store: a
 *     store-release orders every earlier access before itself, so the wmb before it is implied.
 *   B (avail.idx store → load of the suppression flag) and D (re-enabling store → used.idx
 *     re-read) need a store ordered before a LATER load: a release does not give that, and a wmb
 *     placed before the store does not satisfy them either (only mb clears them) — so a release
 *     store still fires B and D when no mb follows, as it must.
 *   C (used.idx load → element loads) needs the used.idx load ordered before later loads: a
 *     load-acquire gives exactly that for itself, and the analysis has already judged the
 *     acquire load before the rmb is replayed, so an element load made with acquire right after
 *     an unordered used.idx load still fires C.
 *
 * The device keeping pace: a recording carries no timing. When the guest sees a used.idx (or an
 * InterruptStatus bit) the model has not produced yet, virtual time advances (machine_advance,
 * in growing steps, at most CATCH_UP_NS) until the model has: the guest saw QEMU's answer at
 * that point, so the model must have answered too. This is not the driver waiting (vhal_delay_ns
 * would judge pairing D as if the driver slept): a real guest that spun on used.idx was running.
 * The same for avail_event (VIRTIO_F_EVENT_IDX): a guest that read avail_event N saw a device
 * that had taken the available ring up to N, and decided whether to notify on that; the model
 * takes the ring then too, so the notification checks judge the decision on what the guest saw.
 *
 * Several vCPUs: each event carries its vCPU, and the recording holds each vCPU's accesses in its
 * program order, but the order between vCPUs is only the order the recorder's callbacks ran in.
 * So nothing here concludes from that order what only one CPU's program order shows:
 *   - the barrier analysis is told whose access comes next (bc_set_cpu): a barrier orders only
 *     its own CPU's accesses;
 *   - a wait (the same vCPU reading the same used.idx again, nothing else done in between) is
 *     judged as the driver waiting only while no other vCPU is in the middle of publishing: one
 *     that stored avail.idx and has not yet notified nor gone on to anything else (its notify
 *     decision may still be coming);
 *   - InterruptStatus: QEMU's device runs in its main loop while the vCPUs run, so the model may
 *     have raised an interrupt QEMU had not yet; the read goes to the checks with what the guest
 *     got (the checks judge the guest's acknowledgement by what it saw), never the model's.
 */
#include "harness/replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "model/machine.h"
#include "spec/ring_layout.h"

#define CATCH_UP_NS 100000000ull /* 100 ms of virtual time: QEMU answers a 2D command far sooner */
#define GPU_DEVICE_ID 16u
#define LAZY_LATENCY_NS 50000000ull /* 50 ms: below CATCH_UP_NS and GIVE_UP_NS */
#define PACED_LATENCY_NS 0ull      /* paced by QEMU's trace: a notify is looked at at once, and
                                       what the device may take is QEMU's bound (device_pace.h) */
#define POLL_NS 1000u            /* a guest's wait between two polls of the same used.idx */
#define GIVE_UP_NS 1000000000ull
#define REG_WAIT_READS 3u        /* the same register read this often in a row at the end */

static void note(struct replay *rp, const struct vqrec_item *it, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct replay *rp, const struct vqrec_item *it, const char *fmt, ...)
{
    rp->n_discrepancies++;
    if (rp->n_notes >= REPLAY_MAX_NOTES)
        return;
    rp->notes[rp->n_notes].offset = it ? it->offset : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rp->notes[rp->n_notes].text, sizeof(rp->notes[0].text), fmt, ap);
    va_end(ap);
    rp->n_notes++;
}

/* The first pass: validate every event, find the gpu and how the run ended. Per window (a guest
 * probes each of virt's 32): its accesses and the Version it read there. */
#define FIRST_PASS_WINDOWS 64u
#define FIRST_PASS_VQS 256u

/* A DEVICE event's trace line, NUL-terminated whatever the file holds. */
static void device_line(const struct vqrec_item *it, char *line, size_t size)
{
    size_t n = it->payload ? (it->ev.len < size - 1 ? it->ev.len : size - 1) : 0;
    if (n)
        memcpy(line, it->payload, n);
    line[n] = 0;
}

/* The VirtQueue a QEMU trace line names ("… vq 0x55ab4eb3b910 …"), 0 when none. */
static uint64_t device_vq(const struct vqrec_item *it)
{
    char line[256];
    device_line(it, line, sizeof(line));
    const char *p = strstr(line, "vq 0x");
    unsigned long long vq = 0;
    if (!p || sscanf(p, "vq 0x%llx", &vq) != 1)
        return 0;
    return vq;
}

static int first_pass(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen)
{
    struct replay_summary *sm = &rp->sum;
    struct first_window {
        uint64_t base, accesses;
        uint32_t version, device_id;
        bool version_read, id_read;
    } win[FIRST_PASS_WINDOWS];
    uint32_t n_win = 0;
    uint64_t first_window = UINT64_MAX;
    struct first_vq {
        uint64_t vq, window;
        uint32_t queue;
    } vqs[FIRST_PASS_VQS];
    uint32_t n_vq = 0;
    struct vqrec_item it;
    int rc;
    while ((rc = vqrec_reader_next(rd, &it, true, err, errlen)) == 1) {
        const struct vqrec_event *e = &it.ev;
        if (e->kind == VQREC_WINDOW && first_window == UINT64_MAX)
            first_window = e->addr;
        if (e->kind == VQREC_MMIO_READ || e->kind == VQREC_MMIO_WRITE) {
            uint64_t base = e->addr & ~(uint64_t)(VIRTIO_MMIO_WINDOW_SIZE - 1);
            uint32_t off = (uint32_t)(e->addr - base);
            sm->virtio_accesses++;
            if (first_window == UINT64_MAX)
                first_window = base;
            uint32_t w = 0;
            while (w < n_win && win[w].base != base)
                w++;
            if (w == n_win && n_win < FIRST_PASS_WINDOWS)
                win[n_win++] = (struct first_window){.base = base};
            if (w < n_win) {
                win[w].accesses++;
                if (e->kind == VQREC_MMIO_READ && off == VIRTIO_MMIO_VERSION && !win[w].version_read) {
                    win[w].version = (uint32_t)e->value;
                    win[w].version_read = true;
                }
                if (e->kind == VQREC_MMIO_READ && off == VIRTIO_MMIO_DEVICE_ID && !win[w].id_read) {
                    win[w].device_id = (uint32_t)e->value;
                    win[w].id_read = true;
                }
            }
            if (e->kind == VQREC_MMIO_READ && e->size == 4 && off == VIRTIO_MMIO_DEVICE_ID &&
                e->value == GPU_DEVICE_ID && !sm->gpu_found) {
                sm->gpu_found = true;
                sm->window = base;
            }
        } else if (e->kind == VQREC_DEVICE && e->pc && it.payload) {
            uint64_t vq = device_vq(&it);
            uint32_t v = 0;
            while (v < n_vq && vqs[v].vq != vq)
                v++;
            if (vq && v == n_vq && n_vq < FIRST_PASS_VQS)
                vqs[n_vq++] = (struct first_vq){vq, e->pc, (uint32_t)e->addr};
        } else if (e->kind == VQREC_END) {
            sm->ended = true;
            sm->exit_status = (int64_t)e->value;
            sm->killed = (e->flags & VQREC_END_KILLED) != 0;
        } else if (e->kind == VQREC_NOTE && it.payload && e->len > 13 &&
                   !strncmp((const char *)it.payload, "qemu stderr: ", 13)) {
            /* the recorder's note of QEMU's last words (vqsim record, record_cmd.c) */
            snprintf(sm->qemu_said, sizeof(sm->qemu_said), "%.*s", (int)e->len - 14,
                     (const char *)it.payload + 13);
        }
    }
    if (rc < 0)
        return rc;
    sm->info = rd->info;
    if (!sm->gpu_found && first_window != UINT64_MAX)
        sm->window = first_window;
    sm->window_known = sm->gpu_found || first_window != UINT64_MAX;
    for (uint32_t v = 0; v < n_vq && sm->gpu_found; v++)
        if (vqs[v].window == sm->window && vqs[v].queue < RUN_MAX_QUEUES &&
            sm->n_gpu_vq < RUN_MAX_QUEUES)
            sm->gpu_vq[sm->n_gpu_vq++] = (struct replay_vq){vqs[v].vq, vqs[v].queue};
    for (uint32_t w = 0; w < n_win && sm->window_known; w++)
        if (win[w].base == sm->window) {
            sm->gpu_accesses = win[w].accesses;
            sm->version = win[w].version;
            /* no window said it holds a gpu, and this one said it holds another device */
            sm->other_device_only = !sm->gpu_found && win[w].id_read && win[w].device_id != 0;
        }
    return vqrec_reader_rewind(rd, err, errlen);
}

int replay_init(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen)
{
    memset(rp, 0, sizeof(*rp));
    rp->rd = rd;
    rp->page_size = 4096;
    rp->timed_out_queue = RUN_MAX_QUEUES;
    other_rings_init(&rp->others);
    for (uint32_t q = 0; q < RUN_MAX_QUEUES; q++)
        rp->q[q].align = 4096;
    int rc = first_pass(rp, rd, err, errlen);
    if (rc != VQREC_OK)
        return rc;
    rp->window = rp->sum.window;
    rp->window_known = rp->sum.window_known;
    rp->version = rp->sum.version;
    rp->paced = rp->sum.n_gpu_vq > 0;
    return VQREC_OK;
}

const char *replay_unusable(const struct replay *rp, char *buf, size_t n)
{
    const struct replay_summary *sm = &rp->sum;
    char qemu[300] = "";
    if (sm->ended && !sm->killed && sm->exit_status != 0)
        snprintf(qemu, sizeof(qemu), "QEMU exited with status %lld%s%s",
                 (long long)sm->exit_status, sm->qemu_said[0] ? ": " : "", sm->qemu_said);
    if (!sm->gpu_accesses || sm->other_device_only) {
        snprintf(buf, n, "nothing to check: the recording holds no access to %s%s%s",
                 sm->virtio_accesses ? "a virtio-gpu device (other virtio devices only)"
                                     : "any virtio device",
                 qemu[0] ? "; " : "", qemu[0] ? qemu : "");
        return buf;
    }
    if (qemu[0]) {
        snprintf(buf, n, "%s: the guest did not run to its end", qemu);
        return buf;
    }
    return NULL;
}

int replay_scenario(const struct replay *rp, const struct scenario *base,
                    struct scenario *defaults, const char *name, const char *file,
                    struct scenario *out, char *err, size_t errlen)
{
    const struct vqrec_header *h = &rp->sum.info.header;
    if (!base) {
        /* QEMU's defaults: the scenario parser's, from a scenario that says nothing more. */
        static const char minimal[] = "name: recording\ndevice: {transport: modern}\n"
                                      "steps: [get_display_info]\nexpect: {outcome: ok}\n";
        char perr[256];
        if (scenario_parse_buffer("(defaults)", minimal, sizeof(minimal) - 1, defaults, perr,
                                  sizeof(perr)) != 0) {
            snprintf(err, errlen, "internal error: %s", perr);
            return -1;
        }
        base = defaults;
    }
    bool own = base == defaults;
    *out = *base;
    /* the machine the recording describes: its RAM and window, whatever the device side */
    if (h->ram_size < (1u << 20) || h->ram_size > (1ull << 34) || h->ram_base % 4096 ||
        h->ram_size % 4096) {
        snprintf(err, errlen, "guest RAM 0x%llx+0x%llx: vqsim models 1 MiB to 16 GiB of RAM "
                 "at a page-aligned base", (unsigned long long)h->ram_base,
                 (unsigned long long)h->ram_size);
        return -1;
    }
    out->ram_base = h->ram_base;
    out->ram_size = h->ram_size;
    if (rp->window_known)
        out->mmio_base = rp->window;
    if (out->mmio_base + VIRTIO_MMIO_WINDOW_SIZE > out->ram_base &&
        out->mmio_base < out->ram_base + out->ram_size) {
        snprintf(err, errlen, "the virtio-mmio window 0x%llx lies inside guest RAM",
                 (unsigned long long)out->mmio_base);
        return -1;
    }
    if (own)
        out->transport_version = rp->version == 1 ? 1 : 2;
    /* The device answers when QEMU's did, not sooner. Paced (the recording holds QEMU's device
     * trace): the bounds of device_pace.h hold it back, so it looks at a notify at once. Else a
     * recording has no timing: the model waits (a latency far beyond QEMU's) and the catch-up on
     * each used.idx and InterruptStatus the guest read is what makes it answer. A model running
     * ahead would show the guest an interrupt QEMU had not raised yet. */
    out->latency_ns = rp->paced ? PACED_LATENCY_NS : LAZY_LATENCY_NS;
    out->name = (char *)name;
    out->file = (char *)file;
    out->description = NULL;
    out->qemu_skip = NULL;
    /* driver side: the recording is the driver */
    out->faults.n = 0;
    out->n_steps = 0;
    out->ring_access = BC_ACCESSORS;
    /* expectations: a check expects a clean run */
    out->expect_outcome = "ok";
    out->n_expect_violations = 0;
    out->n_expect_informational = 0;
    out->expect_informational_set = false;
    out->expect_cause = NULL;
    out->n_expect_causes = 0;
    out->expect_causes_set = false;
    out->n_expect_evidence = 0;
    out->n_displays = 0;
    out->expect_memory = NULL;
    out->expect_broken_set = out->expect_broken_status_set = out->expect_queues_broken_set = false;
    return 0;
}

/* ---- register bookkeeping: where the guest put its rings ---- */

static void on_register_write(struct replay *rp, uint32_t off, uint32_t v)
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
static bool driver_desc_avail(const struct replay *rp, uint32_t qi, uint64_t *desc,
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
static bool used_idx_of(const struct replay *rp, const struct machine *m, uint64_t gpa,
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
        if (!driver_desc_avail(rp, k, &d, &a, &n))
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
static void infer_avail(struct replay *rp, const struct vqrec_event *e)
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
static bool ring_of_store(const struct replay *rp, uint64_t gpa, uint32_t *qi, bool *is_avail_idx)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++) {
        uint64_t d, a;
        uint32_t n;
        if (!driver_desc_avail(rp, k, &d, &a, &n))
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
        if (!driver_desc_avail(rp, k, &d, &a, &n))
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
static bool other_device_access(const struct replay *rp, const struct machine *m,
                                const struct vqrec_event *e)
{
    uint64_t size = e->size ? e->size : 1;
    return other_rings_contains(&rp->others, e->addr, size) && !in_gpu_ring(rp, m, e->addr, size);
}

/* A register write to another window: where that device's rings are. The memory dumps that
 * follow it (the recorder writes them right after the write: buffers that device reads at its
 * notify, its rings when it takes them) are not copied into the model's RAM (run() counts them).
 * The gpu model never reads them: a gpu request's own buffers are dumped again at the gpu's
 * notify, its rings at its QueueReady. Copying them could only do harm — a dump overlapping gpu
 * ring memory (a guest sharing memory between devices) would overwrite what the model's gpu
 * wrote there with the guest's view of another moment. */
static void other_window_write(struct replay *rp, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    uint64_t base = e->addr & ~(uint64_t)(VIRTIO_MMIO_WINDOW_SIZE - 1);
    other_rings_write(&rp->others, base, (uint32_t)(e->addr - base), (uint32_t)e->value);
    if (rp->others.overflow && !rp->others_overflow_noted) {
        rp->others_overflow_noted = true;
        note(rp, it, "more other virtio-mmio windows or queues than the replay tracks (%u x %u): "
                     "ring accesses of those beyond are replayed as the gpu's",
             OR_MAX_WINDOWS, OR_MAX_QUEUES);
    }
}

/* ---- the device keeping pace ---- */

/* Only forward: a model ahead of what the guest saw (it answered sooner than QEMU did) is
 * timing, not a difference. */
static bool behind(uint16_t have, uint16_t want)
{
    uint16_t d = (uint16_t)(want - have);
    return d != 0 && d <= 0x8000;
}

/* Advance virtual time in doubling steps (1 µs, 2 µs, 4 µs…) until done() holds or CATCH_UP_NS
 * have passed: the model's device doing what QEMU's had done by the time the guest looked.
 * Returns done(). */
static bool advance_until(struct machine *m, bool (*done)(const struct machine *m, const void *arg),
                          const void *arg)
{
    uint64_t step = 1000, spent = 0;
    while (!done(m, arg) && spent < CATCH_UP_NS) {
        machine_advance(m, m->now + step);
        spent += step;
        step *= 2;
    }
    return done(m, arg);
}

struct used_want {
    uint64_t gpa;
    uint16_t idx;
};

/* The 16-bit field at gpa (used.idx, avail_event) has reached what the guest saw (or cannot be
 * read: nothing to wait for) */
static bool used_reached(const struct machine *m, const void *arg)
{
    const struct used_want *u = arg;
    uint16_t have;
    return !gm_read16(&m->mem, u->gpa, &have) || !behind(have, u->idx);
}

static bool isr_has(const struct machine *m, const void *arg)
{
    uint32_t want = *(const uint32_t *)arg;
    return (m->dev.isr & want) == want;
}

static bool status_is(const struct machine *m, const void *arg)
{
    return m->dev.status == *(const uint8_t *)arg;
}

/* The guest saw `it`'s value in a field only the device writes (used.idx; avail_event with
 * VIRTIO_F_EVENT_IDX): the model's device must have got there too. `failed` notes it once. */
static void catch_up_field(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                           uint32_t qi, const char *field, bool *failed)
{
    struct used_want u = {it->ev.addr, (uint16_t)it->ev.value};
    if (advance_until(m, used_reached, &u) || *failed)
        return;
    uint16_t have = 0;
    gm_read16(&m->mem, u.gpa, &have);
    *failed = true; /* said once per queue: the guest polls on */
    note(rp, it, "the guest read %s %u at 0x%llx (queue %u); the model's is %u there after %llu "
                 "ms: QEMU answered where the model did not", field, u.idx,
         (unsigned long long)u.gpa, qi, have, (unsigned long long)(CATCH_UP_NS / 1000000));
}

/* Is gpa the avail_event of a live gpu queue (VIRTIO_F_EVENT_IDX: the device's, §2.6.10)? */
static bool avail_event_of(const struct machine *m, uint64_t gpa, uint32_t *qi)
{
    if (!notify_event_idx(m))
        return false;
    for (uint32_t k = 0; k < MMIO_NUM_QUEUES; k++)
        if (m->dev.q[k].live && gpa == m->dev.q[k].used + 4 + 8ull * m->dev.q[k].live_num) {
            *qi = k;
            return true;
        }
    return false;
}

/* ---- several vCPUs ---- */

/* The events that follow are vCPU `cpu`'s (barrier analysis, waits). */
static void set_cpu(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    uint8_t cpu = it->ev.cpu;
    if (cpu == VQREC_CPU_NONE)
        return;
    if (!bc_set_cpu(&m->bc, cpu) && !rp->cpu_overflow_noted) {
        rp->cpu_overflow_noted = true;
        note(rp, it, "vCPU %u: no memory for its barrier state; its accesses are judged with the "
                     "previous vCPU's", cpu);
    }
}

/* vCPU `cpu` did something else than publishing: its notify decision for any queue it was
 * publishing on is made. */
static void close_publish(struct replay *rp, uint8_t cpu)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++)
        if (rp->q[k].publish_open && rp->q[k].publish_cpu == cpu)
            rp->q[k].publish_open = false;
}

/* Another vCPU than `cpu` has stored avail.idx and not yet decided whether to notify: a wait of
 * `cpu` now says nothing about a kick that vCPU may still make. */
static bool other_cpu_publishing(const struct replay *rp, uint8_t cpu)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++)
        if (rp->q[k].publish_open && rp->q[k].publish_cpu != cpu)
            return true;
    return false;
}

/* ---- pacing: the device takes a chain when QEMU's did ----
 *
 * QEMU's device runs in its main loop, while the vCPUs run: it takes the chains available when it
 * gets to the queue, published before or after the notify that woke it, and not those published
 * later. The model takes exactly those: no chain past what QEMU's had taken by then, as QEMU's
 * trace (a virtqueue_pop per chain, of a VirtQueue the recorder tied to the gpu's window) and the
 * guest's loads of used.idx and avail_event show — whichever shows more. (Without QEMU's trace,
 * an older recording, the model answers lazily and catches up on the guest's loads.) */

/* a is behind b (16-bit ring arithmetic) */
static bool before16(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(b - a);
    return d != 0 && d < 0x8000u;
}

static uint16_t later16(uint16_t a, uint16_t b) { return before16(a, b) ? b : a; }

/* The device's bounds for every queue, from what is known of QEMU's (device_pace.h). */
static void pace(struct replay *rp, struct machine *m)
{
    if (!rp->paced)
        return;
    for (uint32_t k = 0; k < RUN_MAX_QUEUES && k < MMIO_NUM_QUEUES; k++) {
        const struct replay_queue *q = &rp->q[k];
        uint16_t published = later16(q->qemu_flushed, q->seen_published);
        pace_set(m, k, later16(later16(q->qemu_pops, q->seen_taken), published), published);
    }
}

/* The guest saw QEMU's device at `taken` chains taken (avail_event), or `published` answers
 * published (used.idx: that many taken, too) on queue qi. */
static void seen_device(struct replay *rp, struct machine *m, uint32_t qi, uint16_t taken,
                        bool published)
{
    struct replay_queue *q = &rp->q[qi];
    if (qi >= RUN_MAX_QUEUES ||
        !(before16(q->seen_taken, taken) || (published && before16(q->seen_published, taken))))
        return;
    q->seen_taken = later16(q->seen_taken, taken);
    if (published)
        q->seen_published = later16(q->seen_published, taken);
    pace(rp, m);
}

/* A device reset, or a ring set up anew: QEMU counts from 0 again. */
static void pace_restart(struct replay *rp, struct machine *m, uint32_t qi)
{
    for (uint32_t k = 0; k < RUN_MAX_QUEUES; k++)
        if (qi == RUN_MAX_QUEUES || k == qi)
            rp->q[k].qemu_pops = rp->q[k].qemu_flushed = rp->q[k].seen_taken =
                rp->q[k].seen_published = rp->q[k].decided_idx = 0;
    pace(rp, m);
}

/* A trace line of QEMU's device: the gpu queue it names (RUN_MAX_QUEUES: none of the gpu's). */
static uint32_t gpu_queue_of(const struct replay *rp, const struct vqrec_item *it)
{
    if (!rp->sum.n_gpu_vq || !it->payload)
        return RUN_MAX_QUEUES;
    uint64_t vq = device_vq(it);
    for (uint32_t k = 0; vq && k < rp->sum.n_gpu_vq; k++)
        if (rp->sum.gpu_vq[k].vq == vq)
            return rp->sum.gpu_vq[k].queue;
    return RUN_MAX_QUEUES;
}

/* ---- the recorded driver ---- */

static void replay_memory(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    void *p = gm_ptr(&m->mem, it->ev.addr, it->ev.len);
    rp->n_memory++;
    if (p && it->payload)
        memcpy(p, it->payload, it->ev.len);
    else
        note(rp, it, "memory dump of %u bytes at 0x%llx lies outside guest RAM", it->ev.len,
             (unsigned long long)it->ev.addr);
}

static bool in_gpu_window(const struct replay *rp, uint64_t addr)
{
    return addr >= rp->window && addr - rp->window < VIRTIO_MMIO_WINDOW_SIZE;
}

/* The guest's QueueNotify of queue qi reaches the model's device (once per notify: notify_seen). */
static void notify_device(struct replay *rp, struct machine *m, uint32_t qi)
{
    if (qi < RUN_MAX_QUEUES && !rp->q[qi].notified) {
        rp->q[qi].notified = true;
        rp->q[qi].first_notify = m->now;
        rf_mark(m, &rp->q[qi].notify_mark);
    }
    vhal_mmio_write32((uintptr_t)(rp->window + VIRTIO_MMIO_QUEUE_NOTIFY), qi);
}

/* One half of a notify of queue qi: the vCPU's register write (`write`) or QEMU's trace line.
 * True when the model's device is to be notified now: this is the first half. QEMU logs the
 * line only for a notify it acts on (a set-up queue, a device not broken), so a write the
 * model's device ignored waits for no line. */
static bool notify_seen(struct replay *rp, struct machine *m, uint32_t qi, bool write)
{
    if (!rp->paced || qi >= MMIO_NUM_QUEUES)
        return write; /* no trace lines: the write is the notify */
    struct replay_queue *q = &rp->q[qi];
    uint32_t *other = write ? &q->notify_lines_ahead : &q->notify_writes_ahead;
    if (*other) {
        (*other)--;
        return false; /* its other half came first and notified the device */
    }
    if (write && (!m->dev.q[qi].live || m->dev.broken))
        return true; /* ignored by both devices: no line will follow */
    (write ? &q->notify_writes_ahead : &q->notify_lines_ahead)[0]++;
    return true;
}

/* A register write of the gpu's, after the memory dumps that followed it were applied. */
static void gpu_write(struct replay *rp, const struct vqrec_item *it, struct machine *m)
{
    const struct vqrec_event *e = &it->ev;
    uint32_t off = (uint32_t)(e->addr - rp->window);
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY && e->value < RUN_MAX_QUEUES) {
        if (notify_seen(rp, m, (uint32_t)e->value, true))
            notify_device(rp, m, (uint32_t)e->value);
    } else {
        vhal_mmio_write32((uintptr_t)e->addr, (uint32_t)e->value);
    }
    if ((off == VIRTIO_MMIO_STATUS && (e->value & 0xff) == 0) ||
        (off == VIRTIO_MMIO_QUEUE_PFN && e->value == 0))
        pace_restart(rp, m, RUN_MAX_QUEUES); /* the device reset */
    else if ((off == VIRTIO_MMIO_QUEUE_READY || off == VIRTIO_MMIO_QUEUE_PFN) && e->value)
        pace_restart(rp, m, rp->queue_sel); /* (QEMU keeps its index here; so does the model) */
    else
        pace(rp, m);
}

static void replay_mmio(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    if (e->cpu != VQREC_CPU_NONE)
        close_publish(rp, e->cpu); /* a notify, or anything else: its decision is made */
    if (!in_gpu_window(rp, e->addr)) {
        rp->n_other_window++; /* another virtio-mmio device the guest probed */
        if (e->kind == VQREC_MMIO_WRITE)
            other_window_write(rp, it);
        return;
    }
    rp->n_mmio++;
    uint32_t off = (uint32_t)(e->addr - rp->window);
    if (e->size != 4) /* the HAL has 32-bit register accesses only: the width is lost */
        note(rp, it, "%u-byte register %s at 0x%x: replayed as a 32-bit one", e->size,
             e->kind == VQREC_MMIO_READ ? "read" : "write", off);
    uint32_t mask = e->size >= 4 ? 0xffffffffu : (1u << 8 * e->size) - 1;
    if (e->kind == VQREC_MMIO_WRITE) {
        on_register_write(rp, off, (uint32_t)e->value);
        /* performed once the memory dumps that follow it are in (run) */
        rp->write_pending = true;
        rp->pending = *it;
        return;
    }
    if (rp->poll_reg_reads && off == rp->poll_reg && (uint32_t)e->value == rp->poll_reg_value) {
        rp->poll_reg_reads++;
    } else {
        rp->poll_reg = off;
        rp->poll_reg_value = (uint32_t)e->value;
        rp->poll_reg_reads = 1;
        rp->poll_reg_since = m->now;
        rf_mark(m, &rp->poll_reg_mark);
    }
    if (off == VIRTIO_MMIO_INTERRUPT_STATUS) {
        rp->isr_read = true;
        bc_interrupt_entry(m); /* this vCPU may be in its interrupt handler now */
        uint32_t want = (uint32_t)e->value & 3u; /* the bits the guest saw set in the model too */
        advance_until(m, isr_has, &want);
        if (m->dev.isr & ~(uint32_t)e->value) {
            /* The model raised an interrupt QEMU had not raised yet (QEMU's device runs in its
             * main loop while the vCPUs run, and publishes used.idx a moment before it sets
             * InterruptStatus; the model does both at once). Timing, not a difference: the
             * checks judge the guest's read by what it got, never by the model's value. */
            rp->n_isr_ahead++;
            machine_mmio_read_seen(m, off, (uint32_t)e->value);
            return;
        }
    } else if (off == VIRTIO_MMIO_STATUS) {
        uint8_t want = (uint8_t)e->value; /* it broke (NEEDS_RESET), or reset itself, by then */
        advance_until(m, status_is, &want);
    }
    uint32_t v = vhal_mmio_read32((uintptr_t)e->addr) & mask;
    if (v != ((uint32_t)e->value & mask))
        note(rp, it, "register read at 0x%x (%s): the guest got 0x%llx, the model says 0x%x", off,
             mmio_reg_name(off) ? mmio_reg_name(off) : "?", (unsigned long long)e->value, v);
}

static void replay_store(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    void *p = gm_ptr(&m->mem, e->addr, e->size);
    rp->n_stores++;
    if (!p) {
        note(rp, it, "ring store at 0x%llx lies outside guest RAM", (unsigned long long)e->addr);
        return;
    }
    uint32_t qi;
    bool idx;
    if (e->cpu != VQREC_CPU_NONE) {
        rp->cpu[e->cpu].active_since_poll = true;
        close_publish(rp, e->cpu);
    }
    infer_avail(rp, e);
    if (!ring_of_store(rp, e->addr, &qi, &idx)) {
        /* The guest's ring is not where its registers say (or they said nothing): its first
         * queue stands for it, so a request it never saw answered is still found. */
        qi = 0;
        idx = false;
    }
    {
        struct replay_queue *q = &rp->q[qi];
        uint64_t d = 0, a = 0;
        uint32_t n = 0;
        bool not_request = driver_desc_avail(rp, qi, &d, &a, &n) && e->addr >= a &&
                         (e->addr < a + 4 || e->addr >= a + 4 + 2ull * n);
        q->ring_seen = true;
        if (!q->busy && !not_request) { /* a descriptor or an avail.ring entry: a request */
            /* ring stores take no virtual time: without this nanosecond the request would
             * begin at the very time of the notify before it (another vCPU's, a moment ago),
             * and the diagnosis, which looks at what happened since, would count that notify */
            machine_advance(m, m->now + 1);
            q->busy = true;
            q->req_start = m->now;
            rf_mark(m, &q->req_mark);
            q->polled_since_request = false;
        }
        if (idx && e->size == 2) {
            q->avail_stored = true;
            q->avail_idx = (uint16_t)e->value;
            q->publish_cpu = e->cpu;
            q->publish_open = e->cpu != VQREC_CPU_NONE;
        }
    }
    if (idx && rp->paced && qi < MMIO_NUM_QUEUES && m->dev.q[qi].live && pace_may_take(m, qi))
        pace_arm(m, qi); /* QEMU had taken it before the store was seen: it was at work */
    if (e->flags & VQREC_F_RELEASE)
        vhal_wmb();
    if (e->addr % e->size) { /* the HAL's accessors are naturally aligned (virtio_hal.h) */
        memcpy(p, &e->value, e->size);
        note(rp, it, "misaligned %u-byte ring store at 0x%llx: written without checks", e->size,
             (unsigned long long)e->addr);
        return;
    }
    switch (e->size) {
    case 2: vhal_ring_store16(p, (uint16_t)e->value); break;
    case 4: vhal_ring_store32(p, (uint32_t)e->value); break;
    case 8: vhal_ring_store64(p, e->value); break;
    default:
        memcpy(p, &e->value, 1); /* no byte accessor in the HAL: the byte lands unchecked */
        note(rp, it, "1-byte ring store at 0x%llx: written without checks",
             (unsigned long long)e->addr);
        break;
    }
}

/* The guest published (stored avail.idx) and now reads what tells it whether to notify: avail_event
 * (VIRTIO_F_EVENT_IDX) or used.flags. When what it read says the device is still at work (it has
 * not taken everything up to the previous decision: no kick needed, §2.6.10), QEMU's device will
 * take the new chains without a notify, and so does the model's (device_pace.h). */
static void notify_decision(struct replay *rp, struct machine *m, const struct vqrec_event *e,
                            uint8_t cpu)
{
    for (uint32_t qi = 0; rp->paced && qi < MMIO_NUM_QUEUES; qi++) {
        struct replay_queue *q = &rp->q[qi];
        const struct dev_queue *dq = &m->dev.q[qi];
        if (!q->publish_open || q->publish_cpu != cpu || !dq->live || e->size != 2)
            continue;
        bool need;
        if (notify_event_idx(m) && e->addr == dq->used + 4 + 8ull * dq->live_num)
            need = vring_need_event((uint16_t)e->value, q->avail_idx, q->decided_idx);
        else if (!notify_event_idx(m) && e->addr == dq->used)
            need = !(e->value & VIRTQ_USED_F_NO_NOTIFY);
        else
            continue;
        q->decided_idx = q->avail_idx;
        if (!need)
            pace_arm(m, qi);
    }
}

/* A load of the gpu's ring memory (or of a used.idx the guest placed itself, inside its legacy
 * region). */
static void replay_load_one(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    void *p = gm_ptr(&m->mem, e->addr, e->size);
    uint8_t cpu = e->cpu == VQREC_CPU_NONE ? 0 : e->cpu;
    rp->n_loads++;
    if (!p) {
        note(rp, it, "ring load at 0x%llx lies outside guest RAM", (unsigned long long)e->addr);
        return;
    }
    uint32_t qi;
    bool used_idx = e->size == 2 && used_idx_of(rp, m, e->addr, &qi);
    bool avail_event = !used_idx && e->size == 2 && avail_event_of(m, e->addr, &qi);
    /* The same used.idx again by the same vCPU, nothing else done by it in between: it waited
     * between the two reads (pairing D and a missed kick are judged when a driver waits, as the
     * built-in driver's poll loop does) — unless another vCPU is still deciding on a kick. */
    if (used_idx && rp->q[qi].polled && rp->q[qi].poll_cpu == cpu &&
        (uint16_t)e->value == rp->q[qi].seen_used && !rp->cpu[cpu].active_since_poll &&
        !other_cpu_publishing(rp, cpu))
        vhal_delay_ns(POLL_NS);
    notify_decision(rp, m, e, cpu); /* (before the catch-up: it may arm the device) */
    if ((used_idx || avail_event) && qi < MMIO_NUM_QUEUES && m->dev.q[qi].live &&
        (e->addr == m->dev.q[qi].used + 2 || avail_event))
        seen_device(rp, m, qi, (uint16_t)e->value, used_idx); /* QEMU had got this far */
    if (used_idx)
        catch_up_field(rp, m, it, qi, "used.idx", &rp->q[qi].catch_up_failed);
    else if (avail_event)
        catch_up_field(rp, m, it, qi, "avail_event", &rp->q[qi].event_catch_up_failed);
    uint64_t v;
    switch (e->addr % e->size ? 0 : e->size) {
    case 2: v = vhal_ring_load16(p); break;
    case 4: v = vhal_ring_load32(p); break;
    default: /* the HAL loads 16 and 32 bits, aligned: any other load is read as it lies */
        v = 0;
        memcpy(&v, p, e->size);
        break;
    }
    if (e->flags & VQREC_F_ACQUIRE)
        vhal_rmb();
    if (used_idx) {
        struct replay_queue *q = &rp->q[qi];
        uint16_t seen = (uint16_t)e->value;
        q->ring_seen = true;
        /* a poll loop: the same value again with nothing done on the ring in between (a re-read
         * after re-enabling interrupts is not one) */
        q->repeat = q->polled && seen == q->seen_used && q->poll_cpu == cpu &&
                    !rp->cpu[cpu].active_since_poll;
        if (seen != q->seen_used) /* an answer: the ring is idle once all are in */
            q->busy = q->busy && !(q->avail_stored && seen == q->avail_idx);
        q->polled = q->polled_since_request = true;
        rp->cpu[cpu].active_since_poll = false;
        q->poll_addr = e->addr;
        q->poll_cpu = cpu;
        q->seen_used = seen;
    } else if (v != e->value && !avail_event) {
        note(rp, it, "ring load at 0x%llx: the guest read 0x%llx, the model holds 0x%llx",
             (unsigned long long)e->addr, (unsigned long long)e->value, (unsigned long long)v);
    }
}

/* A load outside every ring the recorder knew: one it flagged as a poll (VQREC_F_POLL: the guest
 * read this value there again and again), or a later change of the value at a location once
 * flagged (VQREC_F_WATCHED). Not replayed: it may be any kernel variable. It is remembered as
 * the place the guest may be waiting at, until that vCPU goes on (replay_item; end_of_run). */
static void outside_load(struct replay *rp, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    if (e->flags & VQREC_F_POLL)
        rp->n_polls++;
    else
        rp->n_outside++;
    if (e->size != 2 || e->cpu == VQREC_CPU_NONE)
        return;
    rp->poll = (struct replay_poll){.valid = true, .cpu = e->cpu, .addr = e->addr,
                                    .value = (uint16_t)e->value, .offset = it->offset};
}

static void replay_load(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    if (it->ev.flags & (VQREC_F_POLL | VQREC_F_WATCHED)) {
        outside_load(rp, it);
        return;
    }
    replay_load_one(rp, m, it);
}

/* Queue qi has a request the guest never saw answered: avail.idx ahead of the used.idx it last
 * read, or it was polling (the same used.idx again and again) with ring stores not yet answered
 * when the recording ended. (A used.idx ahead of avail.idx is a device running ahead, which the
 * guest saw: not a request left waiting.) */
static bool unanswered(const struct replay_queue *q)
{
    uint16_t ahead = (uint16_t)(q->avail_idx - q->seen_used);
    return (q->avail_stored && ahead != 0 && ahead <= 0x8000) || (q->busy && q->repeat);
}

/* The recording ended. If the guest was still reading one location outside the rings (its last
 * recorded access), with a request of its own unanswered, that location is where it waits: a
 * used.idx of its own, replayed as two polls (the second a repeat, as its loop made), so the
 * diagnosis sees where and how it waits (used-ring-mismatch). Only then: the model's memory
 * there holds what the guest read (no device ever wrote it), the guest published the request
 * itself, and the location is a used.idx position of a queue (used_idx_of). */
static void end_of_run(struct replay *rp, struct machine *m)
{
    const struct replay_poll *pl = &rp->poll;
    uint32_t qi;
    uint16_t have;
    if (!pl->valid || !used_idx_of(rp, m, pl->addr, &qi) || !gm_read16(&m->mem, pl->addr, &have) ||
        have != pl->value)
        return;
    struct replay_queue *q = &rp->q[qi];
    uint16_t ahead = (uint16_t)(q->avail_idx - pl->value);
    if (!q->avail_stored || q->publish_cpu != pl->cpu || ahead == 0 || ahead > 0x8000)
        return;
    struct vqrec_item it = {.ev = {.kind = VQREC_LOAD, .size = 2, .cpu = pl->cpu,
                                   .addr = pl->addr, .value = pl->value},
                            .offset = pl->offset};
    set_cpu(rp, m, &it);
    replay_load_one(rp, m, &it);
    replay_load_one(rp, m, &it);
}

/* One event of the stream. */
static void replay_item(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    bool access = e->kind == VQREC_LOAD || e->kind == VQREC_STORE || e->kind == VQREC_BARRIER ||
                  e->kind == VQREC_MMIO_READ || e->kind == VQREC_MMIO_WRITE;
    if (access)
        set_cpu(rp, m, it);
    if ((e->kind == VQREC_LOAD || e->kind == VQREC_STORE) && e->flags & VQREC_F_VIRT)
        rp->n_virt++; /* replayed by guest-physical address all the same */
    if ((e->kind == VQREC_LOAD || e->kind == VQREC_STORE) && other_device_access(rp, m, e)) {
        rp->n_other_devices++; /* polls too: another device's used.idx is no gpu wait */
        return;
    }
    /* the vCPU that was reading outside the rings went on: a ring access, a register write, a
     * load elsewhere (a register read is not going on: a driver that gave up may still read
     * Status to report it) */
    if (rp->poll.valid && e->cpu == rp->poll.cpu &&
        (e->kind == VQREC_STORE || e->kind == VQREC_MMIO_WRITE ||
         (e->kind == VQREC_LOAD && e->addr != rp->poll.addr)))
        rp->poll.valid = false;
    if (e->kind != VQREC_MMIO_READ && e->kind != VQREC_DEVICE && e->kind != VQREC_NOTE &&
        e->kind != VQREC_END && e->kind != VQREC_WINDOW)
        rp->poll_reg_reads = 0; /* not a register poll any more */
    switch (e->kind) {
    case VQREC_MMIO_READ:
    case VQREC_MMIO_WRITE: replay_mmio(rp, m, it); break;
    case VQREC_STORE: replay_store(rp, m, it); break;
    case VQREC_LOAD: replay_load(rp, m, it); break;
    case VQREC_BARRIER:
        rp->n_barriers++;
        if (e->cpu != VQREC_CPU_NONE)
            rp->cpu[e->cpu].active_since_poll = true;
        if (e->value == VQREC_RMB)
            vhal_rmb();
        else if (e->value == VQREC_WMB)
            vhal_wmb();
        else
            vhal_mb();
        break;
    case VQREC_MEMORY: replay_memory(rp, m, it); break;
    case VQREC_DEVICE: {
        rp->n_device++;
        uint32_t qi = gpu_queue_of(rp, it);
        if (qi == RUN_MAX_QUEUES)
            break;
        rp->n_device_gpu++;
        if (e->value == VQREC_DEV_NOTIFY) {
            rp->q[qi].device_notifies++; /* QEMU's count (informative: the model has its own) */
            /* QEMU's device was notified: its trace line can come before the guest's register
             * write in the recording (that vCPU's callback ran late). Then the model's device is
             * notified now, as QEMU's was, and the write, when it comes, is this notify. */
            if (notify_seen(rp, m, qi, false)) {
                notify_device(rp, m, qi);
                pace(rp, m);
            }
        }
        if (e->value == VQREC_DEV_POP || e->value == VQREC_DEV_FLUSH) {
            /* QEMU's device took a chain now, or published answers: so does the model */
            unsigned count = 1;
            char line[256];
            device_line(it, line, sizeof(line));
            const char *c = e->value == VQREC_DEV_FLUSH ? strstr(line, "count ") : NULL;
            if (c && (sscanf(c, "count %u", &count) != 1 || count > 0x8000u))
                count = 1;
            if (e->value == VQREC_DEV_POP)
                rp->q[qi].qemu_pops++;
            else
                rp->q[qi].qemu_flushed = (uint16_t)(rp->q[qi].qemu_flushed + count);
            pace(rp, m);
            machine_advance(m, m->now);
        }
        break;
    }
    case VQREC_END:
        rp->ended = true;
        rp->exit_status = (int64_t)e->value;
        rp->killed = (e->flags & VQREC_END_KILLED) != 0;
        break;
    default: break; /* window, note */
    }
}

/* The write waiting for its memory dumps: performed (gpu) or set aside (another device's). */
static void flush_write(struct replay *rp, struct machine *m)
{
    if (!rp->write_pending)
        return;
    rp->write_pending = false;
    set_cpu(rp, m, &rp->pending);
    gpu_write(rp, &rp->pending, m);
}

static enum step_status run(void *ctx, struct run_result *r, struct step_result *sr,
                            uint32_t *queue)
{
    struct replay *rp = ctx;
    struct machine *m = &r->m;
    struct vqrec_item it;
    int rc;
    bool other_write = false; /* the dumps that follow another window's write are that device's */
    m->bc.waits_told = true;  /* a vCPU waits where the replay finds it does (replay_load) */
    while ((rc = vqrec_reader_next(rp->rd, &it, true, rp->read_msg, sizeof(rp->read_msg))) == 1) {
        const struct vqrec_event *e = &it.ev;
        if (e->kind == VQREC_MEMORY && (rp->write_pending || other_write)) {
            if (other_write)
                rp->n_other_devices++;
            else
                replay_memory(rp, m, &it); /* in memory before the device can look */
            continue;
        }
        if (e->kind == VQREC_DEVICE || e->kind == VQREC_NOTE) {
            replay_item(rp, m, &it); /* they do not end the dumps of a write */
            continue;
        }
        flush_write(rp, m);
        other_write = e->kind == VQREC_MMIO_WRITE && !in_gpu_window(rp, e->addr);
        replay_item(rp, m, &it);
    }
    flush_write(rp, m);
    if (rc < 0)
        rp->read_error = rc;
    end_of_run(rp, m);
    sr->driver_status = 0;
    /* The earliest unanswered request is the one the diagnosis explains. */
    for (uint32_t q = 0; q < RUN_MAX_QUEUES; q++)
        if (unanswered(&rp->q[q]) && (rp->timed_out_queue == RUN_MAX_QUEUES ||
                                      rp->q[q].req_start < rp->q[rp->timed_out_queue].req_start))
            rp->timed_out_queue = q;
    snprintf(sr->detail, sizeof(sr->detail), "%llu events from %s%s%s",
             (unsigned long long)rp->sum.info.n_items, rp->sum.info.source,
             rp->sum.info.truncated ? ", cut short" : "",
             rp->killed ? ", QEMU stopped by its time bound" : "");
    /* A queue the guest notified whose ring the recording never shows (a recorder records ring
     * memory only where the registers put it): the device had no ring to take the request
     * from, so it cannot have answered. */
    for (uint32_t q = 0; q < RUN_MAX_QUEUES && rp->timed_out_queue == RUN_MAX_QUEUES; q++)
        if (rp->q[q].notified && !rp->q[q].ring_seen && rp->n_stores == 0) {
            rp->timed_out_queue = q;
            rp->q[q].req_start = rp->q[q].first_notify;
            rp->q[q].req_mark = rp->q[q].notify_mark;
        }
    if (rp->timed_out_queue == RUN_MAX_QUEUES && rp->poll_reg_reads >= REG_WAIT_READS) {
        /* No request left waiting, but the guest kept reading one register to the end: it was
         * waiting for that register (the reset read-back of Status, §2.1.2). */
        rp->register_wait = true;
        *queue = 0;
        sr->t = rp->poll_reg_since;
        r->request_mark = rp->poll_reg_mark;
        vhal_delay_ns(GIVE_UP_NS);
        size_t l = strlen(sr->detail);
        snprintf(sr->detail + l, sizeof(sr->detail) - l, "; the guest kept reading register 0x%x",
                 rp->poll_reg);
        return ST_TIMEOUT;
    }
    if (rp->timed_out_queue == RUN_MAX_QUEUES)
        return ST_OK;
    *queue = rp->timed_out_queue;
    vhal_delay_ns(GIVE_UP_NS); /* the device had all the time it needed, as QEMU had */
    /* The diagnosis looks at what happened since the request began. */
    sr->t = rp->q[rp->timed_out_queue].req_start;
    r->request_mark = rp->q[rp->timed_out_queue].req_mark;
    size_t l = strlen(sr->detail);
    snprintf(sr->detail + l, sizeof(sr->detail) - l, "; queue %u: request never answered",
             rp->timed_out_queue);
    return ST_TIMEOUT;
}

static bool queue_view(void *ctx, uint32_t qi, struct diag_driver_view *v)
{
    const struct replay *rp = ctx;
    const struct replay_queue *q = &rp->q[qi];
    const struct machine *m = machine_current();
    memset(v, 0, sizeof(*v));
    if (!driver_desc_avail(rp, qi, &v->desc, &v->avail, &v->num))
        return false;
    if (q->polled)
        v->used = q->poll_addr - 2;
    else if (q->used_set)
        v->used = q->used;
    else if (m && qi < MMIO_NUM_QUEUES && m->dev.q[qi].live)
        v->used = m->dev.q[qi].used;
    else
        return false;
    v->known = true;
    /* It made a request and did not keep polling for the answer (at
     * most one look at used.idx, not the same value again and again): it sleeps. */
    v->waits_for_interrupt = q->busy && (!q->polled_since_request || !q->repeat);
    return true;
}

struct run_external replay_driver(struct replay *rp)
{
    return (struct run_external){.step_name = "recording", .run = run, .queue_view = queue_view,
                                 .view_source = "recording",
                                 .ctx = rp, .judge = true, .register_wait = &rp->register_wait};
}

void replay_json(struct jw *w, const void *ctx)
{
    const struct replay *rp = ctx;
    const struct vqrec_info *in = &rp->sum.info;
    jw_key(w, "source");
    jw_obj_begin(w);
    jw_kstr(w, "kind", "recording");
    jw_kstr(w, "recorder", in->source);
    jw_ku64(w, "events", in->n_items);
    jw_ku64(w, "skipped_unknown", in->skipped_unknown);
    jw_kbool(w, "truncated", in->truncated);
    jw_kbool(w, "ended", rp->ended);
    jw_key(w, "exit_status");
    if (rp->ended)
        jw_i64(w, rp->exit_status);
    else
        jw_null(w);
    jw_kbool(w, "killed", rp->killed);
    jw_kbool(w, "mmu_seen", (in->header.flags & VQREC_HF_MMU_SEEN) || rp->n_virt);
    jw_ku64(w, "vcpus", in->header.n_cpus);
    jw_key(w, "replayed");
    jw_obj_begin(w);
    jw_ku64(w, "mmio", rp->n_mmio);
    jw_ku64(w, "other_windows", rp->n_other_window);
    jw_ku64(w, "stores", rp->n_stores);
    jw_ku64(w, "loads", rp->n_loads);
    jw_ku64(w, "polls", rp->n_polls);
    jw_ku64(w, "outside_loads", rp->n_outside);
    jw_ku64(w, "barriers", rp->n_barriers);
    jw_ku64(w, "memory_dumps", rp->n_memory);
    jw_ku64(w, "device_events", rp->n_device);
    jw_ku64(w, "other_devices", rp->n_other_devices);
    jw_ku64(w, "interrupt_status_ahead", rp->n_isr_ahead);
    jw_obj_end(w);
    jw_ku64(w, "discrepancies", rp->n_discrepancies);
    jw_key(w, "notes");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < rp->n_notes; i++) {
        jw_obj_begin(w);
        jw_ku64(w, "offset", rp->notes[i].offset);
        jw_kstr(w, "text", rp->notes[i].text);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

void replay_print(FILE *f, const struct replay *rp, bool verbose)
{
    const struct vqrec_info *in = &rp->sum.info;
    if (verbose)
        fprintf(f, "    recording from %s: %llu events, %u vCPU(s); replayed %llu register "
                   "accesses, %llu ring stores, %llu ring loads, %llu barriers, %llu memory "
                   "dumps; %llu poll(s) and %llu other load(s) outside the rings, not replayed"
                   "%s%s\n", in->source, (unsigned long long)in->n_items, in->header.n_cpus,
                (unsigned long long)rp->n_mmio, (unsigned long long)rp->n_stores,
                (unsigned long long)rp->n_loads, (unsigned long long)rp->n_barriers,
                (unsigned long long)rp->n_memory, (unsigned long long)rp->n_polls,
                (unsigned long long)rp->n_outside, in->truncated ? "; the file is cut short" : "",
                rp->n_virt ? "; MMU on (virtual addresses differ)" : "");
    if (verbose && rp->n_other_devices)
        fprintf(f, "    %llu ring access(es) and memory dump(s) of other virtio devices, not "
                   "replayed (the model is the gpu only)\n",
                (unsigned long long)rp->n_other_devices);
    if (verbose && rp->n_isr_ahead)
        fprintf(f, "    %llu InterruptStatus read(s) where the model had already raised what QEMU "
                   "raised a moment later: judged by what the guest read\n",
                (unsigned long long)rp->n_isr_ahead);
    if (verbose && rp->n_memory)
        fprintf(f, "    pixels are the model's, not the guest's: framebuffer pages are not "
                   "recorded\n");
    for (uint32_t i = 0; i < rp->n_notes; i++)
        fprintf(f, "    model-vs-recording discrepancy at offset %llu: %s\n",
                (unsigned long long)rp->notes[i].offset, rp->notes[i].text);
    if (rp->n_discrepancies > rp->n_notes)
        fprintf(f, "    … %llu discrepancies in all\n", (unsigned long long)rp->n_discrepancies);
}
