/* replay_events.c — each event of a recording replayed through the HAL (replay_internal.h):
 * register accesses, ring stores and loads, barriers, memory dumps, per vCPU; where a vCPU waits
 * (the same used.idx again, nothing done in between) it is judged as waiting. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "harness/replay_internal.h"
#include "spec/virtio_spec.h"

#define POLL_NS 1000u            /* a guest's wait between two polls of the same used.idx */

/* ---- several vCPUs ---- */

/* The events that follow are vCPU `cpu`'s (barrier analysis, waits). */
void replay_set_cpu(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    uint8_t cpu = it->ev.cpu;
    if (cpu == VQREC_CPU_NONE)
        return;
    if (!bc_set_cpu(&m->bc, cpu) && !rp->cpu_overflow_noted) {
        rp->cpu_overflow_noted = true;
        replay_note(rp, it, "vCPU %u: no memory for its barrier state; its accesses are judged "
                            "with the previous vCPU's", cpu);
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

/* ---- the recorded driver ---- */

void replay_memory(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    void *p = gm_ptr(&m->mem, it->ev.addr, it->ev.len);
    rp->n_memory++;
    if (p && it->payload)
        memcpy(p, it->payload, it->ev.len);
    else
        replay_note(rp, it, "memory dump of %u bytes at 0x%llx lies outside guest RAM", it->ev.len,
                    (unsigned long long)it->ev.addr);
}

/* The guest read `value` at register `key` (a virtio core register; on PCI, one that reaches none:
 * its address): the same again, or a new place it may be waiting at. */
static void track_register_poll(struct replay *rp, struct machine *m, uint32_t key, uint32_t value)
{
    if (rp->poll_reg_reads && key == rp->poll_reg && value == rp->poll_reg_value) {
        rp->poll_reg_reads++;
        return;
    }
    rp->poll_reg = key;
    rp->poll_reg_value = value;
    rp->poll_reg_reads = 1;
    rp->poll_reg_since = m->now;
    rf_mark(m, &rp->poll_reg_mark);
}

/* A read of the virtio core's register `off` (its equivalent on PCI): where the guest waits, and
 * the model's device catching up with what the guest saw there. */
static bool replay_register_read(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                                 uint32_t off)
{
    const struct vqrec_event *e = &it->ev;
    track_register_poll(rp, m, off, (uint32_t)e->value);
    if (off == VIRTIO_MMIO_INTERRUPT_STATUS) {
        rp->isr_read = true;
        bc_interrupt_entry(m); /* this vCPU may be in its interrupt handler now */
        uint32_t want = (uint32_t)e->value & 3u; /* the bits the guest saw set in the model too */
        while ((want & VIRTIO_MMIO_INT_VRING) && !(m->dev.isr & VIRTIO_MMIO_INT_VRING) &&
               replay_release_packed(rp, m))
            ; /* a packed ring's answers QEMU published (no trace line says so) */
        replay_advance_until(m, replay_isr_has, &want);
        if (m->dev.isr & ~(uint32_t)e->value) {
            /* The model raised an interrupt QEMU had not raised yet (QEMU's device runs in its
             * main loop while the vCPUs run, and publishes used.idx a moment before it sets
             * InterruptStatus; the model does both at once). Timing, not a difference: the
             * checks judge the guest's read by what it got, never by the model's value. */
            rp->n_isr_ahead++;
            machine_mmio_read_seen(m, off, (uint32_t)e->value);
            if (rp->sum.pci) { /* §4.1.4.5: the read acknowledged the bits it returned */
                m->dev.isr &= ~(uint32_t)e->value;
                rf_mmio_write(m, VIRTIO_MMIO_INTERRUPT_ACK, (uint32_t)e->value, NULL, false);
            }
            return true;
        }
    } else if (off == VIRTIO_MMIO_STATUS) {
        uint8_t want = (uint8_t)e->value; /* it broke (NEEDS_RESET), or reset itself, by then */
        replay_advance_until(m, replay_status_is, &want);
    }
    return false;
}

static void replay_mmio(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    if (e->cpu != VQREC_CPU_NONE)
        close_publish(rp, e->cpu); /* a notify, or anything else: its decision is made */
    struct replay_reg r;
    replay_reg_of(rp, m, e, &r);
    if (!r.gpu) {
        rp->n_other_window++; /* another virtio device the guest probed */
        if (e->kind == VQREC_MMIO_WRITE && !r.cfg && !replay_pci_other_write(rp, it))
            replay_other_window_write(rp, it);
        return;
    }
    rp->n_mmio++;
    if (r.cfg) { /* virtio-pci configuration space (replay_pci.c) */
        replay_pci_cfg(rp, m, it);
        return;
    }
    uint32_t off = (uint32_t)r.off;
    if (!rp->sum.pci && !replay_narrow_ok(e, off)) /* the HAL has no such access: width lost */
        replay_note(rp, it, "%u-byte register %s at 0x%x: replayed as a 32-bit one", e->size,
                    e->kind == VQREC_MMIO_READ ? "read" : "write", off);
    uint32_t mask = e->size >= 4 ? 0xffffffffu : (1u << 8 * e->size) - 1;
    if (e->kind == VQREC_MMIO_WRITE) {
        if (r.off >= 0)
            replay_on_register_write(rp, off, r.value);
        /* performed once the memory dumps that follow it are in (replay.c: run) */
        rp->write_pending = true;
        rp->pending = *it;
        return;
    }
    if (r.off >= 0 && replay_register_read(rp, m, it, off))
        return; /* the model was ahead of QEMU: the read judged by what the guest got */
    if (r.off < 0) /* PCI's own, or a read that reached no structure (decoding off) */
        track_register_poll(rp, m, (uint32_t)e->addr, (uint32_t)e->value);
    uint32_t v = replay_bus_read(rp, e) & mask;
    if (v != ((uint32_t)e->value & mask))
        replay_note(rp, it, "register read at 0x%llx (%s): the guest got 0x%llx, the model says "
                    "0x%x", (unsigned long long)(rp->sum.pci ? e->addr : off),
                    r.off >= 0 && mmio_reg_name(off) ? mmio_reg_name(off) : "?",
                    (unsigned long long)e->value, v);
}

static void replay_store(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    void *p = gm_ptr(&m->mem, e->addr, e->size);
    rp->n_stores++;
    if (!p) {
        replay_note(rp, it, "ring store at 0x%llx lies outside guest RAM",
                    (unsigned long long)e->addr);
        return;
    }
    uint32_t qi;
    bool idx;
    if (e->cpu != VQREC_CPU_NONE) {
        rp->cpu[e->cpu].active_since_poll = true;
        close_publish(rp, e->cpu);
    }
    replay_infer_avail(rp, e);
    bool packed_area = false; /* a packed ring's event suppression structures: not a request */
    if (replay_packed_of(m, e->addr, &qi, &packed_area)) {
        idx = false; /* a packed ring publishes by descriptor flags: no index */
        bool a = e->value & VIRTQ_DESC_F_AVAIL, u = e->value & VIRTQ_DESC_F_USED;
        if (!packed_area && e->size == 2 && (e->addr - m->dev.q[qi].desc) % 16 == 14 && a != u &&
            !(e->value & VIRTQ_DESC_F_NEXT))
            rp->q[qi].pk_lists++;
    } else if (!replay_ring_of_store(rp, e->addr, &qi, &idx)) {
        /* The guest's ring is not where its registers say (or they said nothing): its first
         * queue stands for it, so a request it never saw answered is still found. */
        qi = 0;
        idx = false;
    }
    {
        struct replay_queue *q = &rp->q[qi];
        uint64_t d = 0, a = 0;
        uint32_t n = 0;
        bool not_request = packed_area ||
                           (ring_is_split(&m->dev.q[qi < MMIO_NUM_QUEUES ? qi : 0]) &&
                            replay_driver_desc_avail(rp, qi, &d, &a, &n) && e->addr >= a &&
                            (e->addr < a + 4 || e->addr >= a + 4 + 2ull * n));
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
        replay_note(rp, it, "misaligned %u-byte ring store at 0x%llx: written without checks",
                    e->size, (unsigned long long)e->addr);
        return;
    }
    switch (e->size) {
    case 2: vhal_ring_store16(p, (uint16_t)e->value); break;
    case 4: vhal_ring_store32(p, (uint32_t)e->value); break;
    case 8: vhal_ring_store64(p, e->value); break;
    default:
        memcpy(p, &e->value, 1); /* no byte accessor in the HAL: the byte lands unchecked */
        replay_note(rp, it, "1-byte ring store at 0x%llx: written without checks",
                    (unsigned long long)e->addr);
        break;
    }
}

/* The guest read a packed ring's descriptor flags (after the model's device caught up): an
 * answer (AVAIL = USED) with the device holding nothing more ends the request; another value
 * read again with nothing done in between is a poll loop (replay.c: unanswered). */
static void packed_flags_seen(struct replay *rp, const struct machine *m, uint32_t qi,
                              const struct vqrec_event *e, uint8_t cpu)
{
    struct replay_queue *q = &rp->q[qi];
    uint16_t seen = (uint16_t)e->value;
    bool a = seen & VIRTQ_DESC_F_AVAIL, u = seen & VIRTQ_DESC_F_USED;
    q->ring_seen = true;
    if (a == u) { /* an answer: the ring is idle once every list the guest made available is */
        if (q->pk_lists == m->dev.q[qi].pushes)
            q->busy = q->repeat = false;
        return;
    }
    q->repeat = q->polled && q->poll_addr == e->addr && seen == q->seen_used &&
                q->poll_cpu == cpu && !rp->cpu[cpu].active_since_poll;
    q->polled = q->polled_since_request = true;
    rp->cpu[cpu].active_since_poll = false;
    q->poll_addr = e->addr;
    q->poll_cpu = cpu;
    q->seen_used = seen;
}

/* Whether gpa lies in a live queue's rings (split: the three areas; packed: the descriptor ring
 * and the two 4-byte event structures). */
static bool in_a_ring(const struct machine *m, uint64_t gpa)
{
    for (uint32_t k = 0; k < MMIO_NUM_QUEUES; k++) {
        const struct dev_queue *q = &m->dev.q[k];
        uint64_t n = q->live_num;
        bool split = ring_is_split(q);
        if (q->live && ((gpa >= q->desc && gpa < q->desc + 16 * n) ||
                        (gpa >= q->avail && gpa < q->avail + (split ? 6 + 2 * n : 4)) ||
                        (gpa >= q->used && gpa < q->used + (split ? 6 + 8 * n : 4))))
            return true;
    }
    return false;
}

/* The mask of a load's bytes that lie in a ring (a copy that straddles a ring's edge reads
 * bytes the model never holds: Linux read 8 bytes at a blk descriptor table's address - 1 in a
 * five-device guest); *v keeps only those. A load in no ring at all (a used.idx the guest
 * placed itself) is compared whole. */
static uint64_t ring_bytes(const struct machine *m, uint64_t gpa, uint8_t size, uint64_t *v)
{
    uint64_t mask = 0;
    for (uint8_t i = 0; i < size && i < 8; i++)
        if (in_a_ring(m, gpa + i))
            mask |= 0xffull << 8 * i;
    if (!mask)
        return ~0ull;
    *v &= mask;
    return mask;
}

/* A load of the gpu's ring memory (or of a used.idx the guest placed itself, inside its legacy
 * region). */
void replay_load_one(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    void *p = gm_ptr(&m->mem, e->addr, e->size);
    uint8_t cpu = e->cpu == VQREC_CPU_NONE ? 0 : e->cpu;
    rp->n_loads++;
    if (!p) {
        replay_note(rp, it, "ring load at 0x%llx lies outside guest RAM",
                    (unsigned long long)e->addr);
        return;
    }
    uint32_t qi;
    bool used_idx = e->size == 2 && replay_used_idx_of(rp, m, e->addr, &qi);
    bool avail_event = !used_idx && e->size == 2 && replay_avail_event_of(m, e->addr, &qi);
    /* The same used.idx again by the same vCPU, nothing else done by it in between: it waited
     * between the two reads (pairing D and a missed kick are judged when a driver waits, as the
     * built-in driver's poll loop does) — unless another vCPU is still deciding on a kick. */
    if (used_idx && rp->q[qi].polled && rp->q[qi].poll_cpu == cpu &&
        (uint16_t)e->value == rp->q[qi].seen_used && !rp->cpu[cpu].active_since_poll &&
        !other_cpu_publishing(rp, cpu))
        vhal_delay_ns(POLL_NS);
    replay_notify_decision(rp, m, e, cpu); /* (before the catch-up: it may arm the device) */
    if ((used_idx || avail_event) && qi < MMIO_NUM_QUEUES && m->dev.q[qi].live &&
        (e->addr == m->dev.q[qi].used + 2 || avail_event))
        replay_seen_device(rp, m, qi, (uint16_t)e->value, used_idx); /* QEMU had got this far */
    if (used_idx)
        replay_catch_up_field(rp, m, it, qi, "used.idx", &rp->q[qi].catch_up_failed);
    else if (!avail_event && replay_catch_up_packed(rp, m, it, &qi))
        packed_flags_seen(rp, m, qi, e, cpu); /* a packed ring's: answer or poll */
    else if (avail_event)
        replay_catch_up_field(rp, m, it, qi, "avail_event", &rp->q[qi].event_catch_up_failed);
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
    uint64_t want = e->value & ring_bytes(m, e->addr, e->size, &v); /* v: its ring bytes */
    if (used_idx) {
        struct replay_queue *q = &rp->q[qi];
        uint16_t seen = (uint16_t)e->value;
        q->ring_seen = true;
        replay_abandon_forget(rp, qi); /* it looks at the queue again after a reset */
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
    } else if (!avail_event && v != want) {
        replay_note(rp, it, "ring load at 0x%llx: the guest read 0x%llx, the model holds 0x%llx",
                    (unsigned long long)e->addr, (unsigned long long)e->value,
                    (unsigned long long)v);
    }
}

/* A load outside every ring the recorder knew: one it flagged as a poll (VQREC_F_POLL: the guest
 * read this value there again and again), or a later change of the value at a location once
 * flagged (VQREC_F_WATCHED). Not replayed: it may be any kernel variable. It is remembered as
 * the place the guest may be waiting at, until that vCPU goes on (replay_item; replay.c:
 * end_of_run). */
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

/* One event of the stream. */
void replay_item(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    bool access = e->kind == VQREC_LOAD || e->kind == VQREC_STORE || e->kind == VQREC_BARRIER ||
                  e->kind == VQREC_MMIO_READ || e->kind == VQREC_MMIO_WRITE;
    if (access)
        replay_set_cpu(rp, m, it);
    if ((e->kind == VQREC_LOAD || e->kind == VQREC_STORE) && e->flags & VQREC_F_VIRT)
        rp->n_virt++; /* replayed by guest-physical address all the same */
    if ((e->kind == VQREC_LOAD || e->kind == VQREC_STORE) && replay_other_device_access(rp, m, e)) {
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
        e->kind != VQREC_END && e->kind != VQREC_WINDOW && e->kind != VQREC_PCI_ECAM)
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
    case VQREC_DEVICE: replay_device_event(rp, m, it); break;
    case VQREC_END:
        rp->ended = true;
        rp->exit_status = (int64_t)e->value;
        rp->killed = (e->flags & VQREC_END_KILLED) != 0;
        break;
    case VQREC_NOTE: /* the recorder says what it did not see: the check says so too */
        if (it->payload && e->len > 19 && !strncmp((const char *)it->payload,
                                                   "vqrec: unobserved: ", 19))
            replay_note(rp, it, "the recording is incomplete: %.*s", (int)e->len - 20,
                        (const char *)it->payload + 19);
        break;
    default: break; /* window */
    }
}

