/* replay.c — see replay.h (replay_internal.h lists the replay's files).
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
#include "harness/hal_sim.h"
#include "harness/replay_internal.h"
#include "model/devices/blk_device.h"
#include "model/devices/device_registry.h"
#include "model/machine.h"
#include "spec/virtio_blk.h"
#include "spec/virtio_spec.h"

#define LAZY_LATENCY_NS 50000000ull /* 50 ms: below CATCH_UP_NS and GIVE_UP_NS */
#define PACED_LATENCY_NS 0ull      /* paced by QEMU's trace: a notify is looked at at once, and
                                       what the device may take is QEMU's bound (device_pace.h) */
#define GIVE_UP_NS 1000000000ull
#define REG_WAIT_READS 3u        /* the same register read this often in a row at the end */

void replay_note(struct replay *rp, const struct vqrec_item *it, const char *fmt, ...)
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

int replay_init(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen)
{
    memset(rp, 0, sizeof(*rp));
    rp->rd = rd;
    rp->page_size = 4096;
    rp->timed_out_queue = RUN_MAX_QUEUES;
    other_rings_init(&rp->others);
    for (uint32_t q = 0; q < RUN_MAX_QUEUES; q++)
        rp->q[q].align = 4096;
    int rc = replay_first_pass(rp, rd, err, errlen);
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
                 sm->virtio_accesses ? "a virtio device vqsim models (gpu, blk, rng, input, net; "
                                       "other virtio devices only)"
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

static bool blk_capacity_read(const struct replay_window *w)
{
    return (w->config_read & 0xff) == 0xff;
}

const char *replay_device_type(const struct replay_window *w)
{
    for (size_t i = 0; w->id_read && w->device_id && device_registry_at(i); i++)
        if (device_registry_at(i)->device_id == w->device_id)
            return device_registry_at(i)->name;
    return NULL;
}

/* The model of the checked window's device, as QEMU's showed itself to the guest: its type by
 * the DeviceID read; a blk's capacity as the guest read it (§5.2.4: the disk's bytes are not in a
 * recording, so its model's disk is that many zero sectors) and VIRTIO_BLK_F_RO as offered. */
static void device_of_window(const struct replay *rp, struct scenario *out)
{
    const struct replay_window *w = &rp->sum.target;
    const char *type = rp->sum.target_known ? replay_device_type(w) : NULL;
    if (!type)
        return; /* the gpu's defaults (a recording with no device known to check) */
    out->device_type = type;
    if (strcmp(type, "blk"))
        return;
    uint64_t cap = BLK_MAX_IMAGE_BYTES / VIRTIO_BLK_SECTOR_SIZE; /* unknown: the largest (run()
                                                                   notes it if it mattered) */
    if (blk_capacity_read(w))
        memcpy(&cap, w->config, sizeof(cap));
    out->disk_sectors = cap;
    out->disk_read_only = (w->features >> VIRTIO_BLK_F_RO) & 1;
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
    /* the bus is the recording's: virtio-pci (its window is then a BAR, not a register file) */
    out->bus = rp->sum.pci ? SCN_BUS_PCI : SCN_BUS_MMIO;
    if (rp->window_known && !rp->sum.pci)
        out->mmio_base = rp->window;
    if (out->mmio_base + VIRTIO_MMIO_WINDOW_SIZE > out->ram_base &&
        out->mmio_base < out->ram_base + out->ram_size) {
        snprintf(err, errlen, "the virtio-mmio window 0x%llx lies inside guest RAM",
                 (unsigned long long)out->mmio_base);
        return -1;
    }
    if (own)
        out->transport_version = rp->version == 1 ? 1 : 2;
    if (own)
        device_of_window(rp, out);
    if (rp->sum.packed_offered) /* QEMU's packed=on (§2.7): the model's device offers it too */
        out->device_offer |= 1ull << VIRTIO_F_RING_PACKED;
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
 * itself, and the location is a used.idx position of a queue (replay_used_idx_of). */
static void end_of_run(struct replay *rp, struct machine *m)
{
    const struct replay_poll *pl = &rp->poll;
    uint32_t qi;
    uint16_t have;
    if (!pl->valid || !replay_used_idx_of(rp, m, pl->addr, &qi) ||
        !gm_read16(&m->mem, pl->addr, &have) || have != pl->value)
        return;
    struct replay_queue *q = &rp->q[qi];
    uint16_t ahead = (uint16_t)(q->avail_idx - pl->value);
    if (!q->avail_stored || q->publish_cpu != pl->cpu || ahead == 0 || ahead > 0x8000)
        return;
    struct vqrec_item it = {.ev = {.kind = VQREC_LOAD, .size = 2, .cpu = pl->cpu,
                                   .addr = pl->addr, .value = pl->value},
                            .offset = pl->offset};
    replay_set_cpu(rp, m, &it);
    replay_load_one(rp, m, &it);
    replay_load_one(rp, m, &it);
}

/* The write waiting for its memory dumps: performed (gpu) or set aside (another device's). */
static void flush_write(struct replay *rp, struct machine *m)
{
    if (!rp->write_pending)
        return;
    rp->write_pending = false;
    replay_set_cpu(rp, m, &rp->pending);
    replay_gpu_write(rp, &rp->pending, m);
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
        other_write = e->kind == VQREC_MMIO_WRITE && !replay_is_gpu(rp, m, e);
        replay_item(rp, m, &it);
    }
    flush_write(rp, m);
    if (rc < 0)
        rp->read_error = rc;
    if (m->device.ops && !strcmp(m->device.ops->name, "blk") && rp->n_stores &&
        !blk_capacity_read(&rp->sum.target))
        replay_note(rp, NULL, "the guest used the virtio-blk device without reading its capacity "
                    "(§5.2.4): the model's disk had %llu sectors, and its requests were judged "
                    "against that", (unsigned long long)(BLK_MAX_IMAGE_BYTES / 512));
    end_of_run(rp, m);
    sr->driver_status = 0;
    /* The earliest unanswered request is the one the diagnosis explains (buffers waiting in a
     * queue the device fills when it has something to say are no request: device.h). */
    uint32_t standing = m->device.ops ? m->device.ops->standing_queues : 0;
    for (uint32_t q = 0; q < RUN_MAX_QUEUES; q++)
        if (unanswered(&rp->q[q]) && !(standing >> q & 1u) && !replay_abandoned(rp, q) &&
            (rp->timed_out_queue == RUN_MAX_QUEUES ||
             rp->q[q].req_start < rp->q[rp->timed_out_queue].req_start))
            rp->timed_out_queue = q;
    snprintf(sr->detail, sizeof(sr->detail), "%llu events from %s%s%s",
             (unsigned long long)rp->sum.info.n_items, rp->sum.info.source,
             rp->sum.info.truncated ? ", cut short" : "",
             rp->killed ? ", QEMU stopped by its time bound" : "");
    replay_abandon_detail(rp, m, sr->detail, sizeof(sr->detail));
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
    const struct machine *m = hal_sim_bound(); /* called while the run has it bound */
    memset(v, 0, sizeof(*v));
    if (!replay_driver_desc_avail(rp, qi, &v->desc, &v->avail, &v->num))
        return false;
    bool packed = m && qi < MMIO_NUM_QUEUES && m->dev.q[qi].live && !ring_is_split(&m->dev.q[qi]);
    if (q->polled && !packed) /* (a packed ring's polls read descriptor flags, not used.idx) */
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

