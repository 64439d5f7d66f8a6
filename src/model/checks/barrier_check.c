/* barrier_check.c — see barrier_check.h. Rule ids are those of spec/rules.yaml (area: barriers). */
#include "model/checks/barrier_check.h"
#include "model/checks/barrier_packed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis.h"
#include "model/checks/exposed_snapshot.h"
#include "model/checks/legacy_layout.h"
#include "model/machine.h"
#include "model/rings/ring_at.h"

/* What weak-memory mode made happen (trace `what`, and the diagnosis's `reordering`). */
static const char weak_publish_note[] = "weak memory: the device sees the new avail.idx before "
                                        "the stores it publishes (no write barrier)";
static const char weak_reread_note[] = "weak memory: the device does its work before the "
                                       "driver's interrupt re-enable is visible, and the "
                                       "driver's used.idx re-read comes too early (no full "
                                       "barrier)";
static const char weak_check_note[] = "weak memory: the driver's suppression check saw the "
                                      "device's state from before its avail.idx store (no full "
                                      "barrier)";
static const char weak_elem_note[] = "weak memory: the driver read the used element before the "
                                     "device's write of it (no read barrier)";

/* Record one reordering the model made happen: the trace event and the run's first (for the
 * diagnosis, run_facts.h). */
struct trace_event *bc_weak_event(struct machine *m, uint32_t qi, uint64_t addr,
                                      uint64_t value, uint8_t size, const char *note)
{
    rf_weak(m, note);
    struct trace_event *e = machine_trace(m, TR_DEVICE, addr, value, size, note);
    if (e)
        e->queue = (uint8_t)qi;
    return e;
}

/* A dropped barrier repeated over 70000 requests must not drown the verdict: each pairing reports
 * its first few violations per queue, later ones only count. */
#define BC_REPORT_MAX 4u

const struct bc_not_judged bc_plain_not_judged[] = {
    {"split.notify.barrier-before-suppression-check", false,
     "the driver's load of used.flags / avail_event (its kick decision) is not seen, so the full "
     "barrier before it cannot be placed (pairing B)"},
    {"split.receive.rmb-before-used-elem", false,
     "the driver's loads of used.idx and of the used element are not seen (pairing C)"},
    {"split.receive.mb-before-reread", true,
     "a missing full barrier after re-enabling interrupts is judged when the driver sleeps or "
     "polls; its re-read of used.idx is not seen (pairing D)"},
    {"split.legacy.layout", true,
     "judged when a buffer the driver hands over lies on the device's used ring; a load of the "
     "driver's own used ring elsewhere is not seen"},
    {"cleanup.no-alter-exposed", true,
     "changes to exposed descriptors and available-ring slots are seen at the next hook call; "
     "changes to indirect tables are not"},
    {NULL, false, NULL}};

void bc_init(struct barrier_check *b, enum bc_mode mode, bool weak)
{
    memset(b, 0, sizeof(*b));
    b->mode = mode;
    b->weak = weak;
    b->q = b->cpu0.q;
}

static void free_queues(struct bc_queue *q)
{
    for (unsigned i = 0; i < MMIO_NUM_QUEUES; i++) {
        free(q[i].snap);
        q[i].snap = NULL;
    }
}

void bc_free(struct barrier_check *b)
{
    free_queues(b->cpu0.q);
    for (unsigned c = 0; c < BC_MAX_CPUS; c++) {
        if (b->other[c])
            free_queues(b->other[c]->q);
        free(b->other[c]);
        b->other[c] = NULL;
    }
    b->q = b->cpu0.q;
}

bool bc_set_cpu(struct barrier_check *b, uint32_t cpu)
{
    if (cpu == b->cpu)
        return true;
    if (cpu >= BC_MAX_CPUS)
        return false;
    if (cpu && !b->other[cpu] && !(b->other[cpu] = calloc(1, sizeof(struct bc_cpu))))
        return false;
    struct bc_cpu *was = b->cpu ? b->other[b->cpu] : &b->cpu0;
    struct bc_cpu *c = cpu ? b->other[cpu] : &b->cpu0;
    was->bits = b->bits; /* the current CPU's bit-words live in b->bits */
    b->bits = c->bits;
    b->q = c->q;
    b->cpu = cpu;
    return true;
}

/* Bits 0..n_queues-1: the queues a barrier or a wait looks at. */
static inline uint32_t queue_mask(const struct machine *m)
{
    return m->dev.n_queues >= 32 ? ~0u : (1u << m->dev.n_queues) - 1;
}

_Static_assert(MMIO_NUM_QUEUES <= 32, "a bit per queue in struct bc_bits");

/* The pseudo-field of a store to shared memory outside the rings (an indirect table). */
#define BC_F_DESC_INDIRECT SR_FIELDS

/* Payload of pairing A: what an avail.idx store publishes (descriptors, indirect tables, the
 * available ring's entries). */
static const bool is_payload[SR_FIELDS + 1] = {
    [SR_F_DESC_ADDR] = true, [SR_F_DESC_LEN] = true, [SR_F_DESC_FLAGS] = true,
    [SR_F_DESC_NEXT] = true, [SR_F_AVAIL_RING] = true, [BC_F_DESC_INDIRECT] = true};

/* An access whose width does not fit the field is not that field (bc_field_width). */
static enum sr_field classify(const struct ring_at *at, uint8_t size)
{
    return bc_field_width(at->f) == size ? at->f : SR_F_NONE;
}

/* pairing: 0 A, 1 B, 2 C, 3 D (4.. the packed ring's, barrier_packed.h) */
bool bc_should_report(struct machine *m, uint32_t qi, unsigned pairing)
{
    return m->bc.q[qi].reports[pairing]++ < BC_REPORT_MAX;
}

static void mem_put(struct machine *m, uint64_t gpa, uint64_t v, uint8_t size)
{
    void *p = gm_ptr(&m->mem, gpa, size);
    if (p)
        memcpy(p, &v, size); /* little-endian host, as the ring is (§2.6, virtio is LE) */
}

/* Weak memory, pairing A broken: the new avail.idx reaches the device before the stores it
 * publishes. A device that polls the ring (as one with notifications suppressed does) looks at
 * exactly that moment: undo the unordered stores, let it look, then let them land. */
void bc_weak_publish(struct machine *m, uint32_t qi, struct bc_queue *q, uint64_t at,
                     const char *note)
{
    if (!q->n_undo || !m->dev.q[qi].live || m->dev.broken)
        return;
    for (uint32_t i = q->n_undo; i-- > 0;)
        mem_put(m, q->undo[i].gpa, q->undo[i].old, q->undo[i].size);
    bc_weak_event(m, qi, at, q->n_undo, 0, note);
    machine_process_queue(m, qi); /* the machine runs the device (machine.h) */
    for (uint32_t i = 0; i < q->n_undo; i++)
        mem_put(m, q->undo[i].gpa, q->undo[i].val, q->undo[i].size);
    q->n_undo = 0;
}

/* Weak memory, pairing D broken: the re-read of used.idx passes the re-enabling store. The
 * device, with work due, does it now: it sees interrupts still off (the old used_event or
 * avail.flags) and stays quiet, while the driver's re-read returns used.idx from before — so the
 * driver sleeps on a buffer that is already used: the lost wake-up. */
void bc_weak_reread(struct machine *m, uint32_t qi, struct bc_queue *q, const char *note)
{
    struct dev_queue *dq = &m->dev.q[qi];
    if (!dq->pending || !dq->live || m->dev.broken || !q->enable.size)
        return;
    mem_put(m, q->enable.gpa, q->enable.old, q->enable.size);
    bc_weak_event(m, qi, q->enable.gpa, q->enable.old, 2, note);
    dq->pending = false;
    machine_process_queue(m, qi); /* the machine runs the device (machine.h) */
    mem_put(m, q->enable.gpa, q->enable.val, q->enable.size);
}

/* Inline in bc_ring_store: it runs for every ring store, and as a call its seven arguments and
 * frame cost as much as its work. */
__attribute__((always_inline)) static inline void store(struct machine *m, uint32_t qi,
                                                        enum sr_field f, uint64_t gpa,
                                                        uint64_t old, uint64_t v, uint8_t size)
{
    struct bc_queue *q = &m->bc.q[qi];
    struct bc_bits *w = &m->bc.bits;
    uint32_t bit = 1u << qi;
    m->bc.stored = true;
    if (is_payload[f]) {
        w->payload_unordered |= bit;
        if (m->bc.weak && q->n_undo < BC_UNDO_MAX)
            q->undo[q->n_undo++] = (struct bc_undo){gpa, old, v, size};
        return;
    }
    if (f == SR_F_AVAIL_IDX) {
        q->prev_avail_idx = q->have_avail_idx ? q->avail_idx : (uint16_t)old;
        q->avail_idx = (uint16_t)v;
        q->have_avail_idx = true;
        /* A store that does not move avail.idx forward by up to a queue publishes nothing (a
         * step back or a jump: the available-ring rules say what is wrong with it). */
        uint16_t ahead = (uint16_t)((uint16_t)v - (uint16_t)old);
        bool publishes = ahead != 0 && ahead <= m->dev.q[qi].live_num;
        if (!publishes)
            w->payload_unordered &= ~bit;
        bool unordered = w->payload_unordered & bit;
        if (unordered && bc_should_report(m, qi, 0))
            machine_violation(m, "split.avail.idx-barrier", (int)qi,
                              "queue %u: avail.idx = %u stored with no write barrier after the "
                              "descriptor / ring-entry stores it publishes: a weakly ordered CPU "
                              "may show the device the new idx first (pairing A)%s", qi,
                              (unsigned)(uint16_t)v,
                              m->bc.weak ? "; weak memory: the device reads the ring now, before "
                                           "those stores land" : "");
        if (unordered && m->bc.weak)
            bc_weak_publish(m, qi, q, q->avail_idx, weak_publish_note);
        w->payload_unordered &= ~bit;
        q->n_undo = 0;
        w->idx_unfenced |= bit;
        rf_publish(m, qi, (uint16_t)v);
        return;
    }
    if (f == SR_F_AVAIL_USED_EVENT) {
        /* §2.6.7.2: an interrupt comes when used.idx moves past used_event. A value behind the
         * used.idx this CPU has already read is passed: it asks for no interrupt (Linux's
         * virtqueue_disable_cb writes 0 to turn them off), so there is no wake-up to lose */
        uint16_t behind = (uint16_t)(q->used_seen_idx - (uint16_t)v);
        w->reread_unjudged &= ~bit; /* a later store supersedes an unjudged re-enable */
        if (q->used_seen && behind != 0 && behind < 0x8000u)
            return;
        /* 0 where used.idx read 0 (or was never read) asks for an interrupt at the first used
         * buffer, and is also what Linux's virtqueue_disable_cb stores to turn interrupts off:
         * its unfenced re-read is judged only if the driver then waits on it (bc_driver_waits),
         * not re-enabling again with a barrier (virtqueue_enable_cb_delayed: a 6.1 guest's
         * virtio-net transmitq) */
        q->enable_ambiguous = v == 0 && (!q->used_seen || q->used_seen_idx == 0);
        w->used_event_unfenced |= bit;
        w->reread_due |= bit;
        q->enable = (struct bc_undo){gpa, old, v, size};
        return;
    }
    if (f == SR_F_AVAIL_FLAGS) {
        notify_check_avail_flags(m, qi, (uint16_t)v, "the driver stored");
        w->reread_unjudged &= ~bit;
        if (!(v & VIRTQ_AVAIL_F_NO_INTERRUPT)) { /* interrupts (re-)enabled: pairing D */
            q->enable_ambiguous = false;
            w->used_event_unfenced |= bit;
            w->reread_due |= bit;
            q->enable = (struct bc_undo){gpa, old, v, size};
        }
    }
}

/* A store to a ring field but the common one (see bc_ring_store): out of line, so the common
 * one pays for none of the frame its reports and weak-memory work need. */
__attribute__((noinline)) static void field_store(struct machine *m, const struct ring_at *at,
                                                  uint64_t gpa, uint64_t old, uint64_t v,
                                                  uint8_t size)
{
    uint32_t qi = at->qi;
    if (!m->dev.q[qi].live) { /* a ring the device does not use yet (or any more) */
        m->bc.stored = true;
        return;
    }
    if (bc_field_width(at->f) == size) /* else in a ring, not a field of this width (classify) */
        store(m, qi, at->f, gpa, old, v, size);
}

void bc_publish_store(struct machine *m, uint32_t qi, uint64_t gpa, uint64_t old, uint64_t v)
{
    if (!m->dev.q[qi].live) { /* as field_store */
        m->bc.stored = true;
        return;
    }
    store(m, qi, SR_F_AVAIL_IDX, gpa, old, v, 2);
}

/* A store outside the split rings (out of line, as above). */
__attribute__((noinline)) static void other_store(struct machine *m, uint64_t gpa, uint64_t old,
                                                  uint64_t v, uint8_t size)
{
    if (((m->dev.guest_features >> VIRTIO_F_RING_PACKED) & 1) && bcp_ring_store(m, gpa, old, v, size))
        return; /* a packed ring's field (barrier_packed.c) */
    /* Shared memory outside the rings that the driver still writes through the ring accessors:
     * an indirect descriptor table (§2.6.5.3). It is payload of every live queue, to be ordered
     * before the next avail.idx store like the descriptors themselves. */
    for (uint32_t q = 0; q < m->dev.n_queues; q++)
        if (m->dev.q[q].live)
            store(m, q, BC_F_DESC_INDIRECT, gpa, old, v, size);
}

void bc_ring_store(struct machine *m, const struct ring_at *at, uint64_t gpa, uint64_t old,
                   uint64_t v, uint8_t size)
{
    enum sr_field f = at->f;
    if (f != SR_F_NONE) {
        /* The common store: a descriptor field or an avail entry of a live ring, at its width,
         * with no weak memory to play: pairing A's payload, all that store() does with it. */
        if (bc_payload_field(f, size) && !m->bc.weak && m->dev.q[at->qi].live) {
            bc_payload_store(&m->bc, at->qi);
            return;
        }
        field_store(m, at, gpa, old, v, size);
        return;
    }
    other_store(m, gpa, old, v, size);
}

/* Every load of a split ring's field but the common ones (see bc_ring_load): out of line, so
 * those pay for none of the frame its reports and weak-memory work need. */
__attribute__((noinline)) static uint64_t ring_load_rest(struct machine *m,
                                                         const struct ring_at *at, uint64_t gpa,
                                                         uint64_t v, uint8_t size)
{
    uint32_t qi = at->qi;
    enum sr_field f = classify(at, size); /* a field of a split ring (bc_ring_load) */
    struct bc_queue *q = &m->bc.q[qi];
    struct bc_bits *w = &m->bc.bits;
    uint32_t bit = 1u << qi;
    if (f == SR_F_USED_FLAGS || f == SR_F_USED_AVAIL_EVENT) {
        if (!(w->idx_unfenced & bit))
            return v;
        if (bc_should_report(m, qi, 1))
            machine_violation(m, "split.notify.barrier-before-suppression-check", (int)qi,
                              "queue %u: %s read after the avail.idx store with no full barrier "
                              "between: the load may complete before the store is visible, so "
                              "driver and device can both decide the other will act (pairing B)%s",
                              qi, sr_field_name[f],
                              m->bc.weak ? "; weak memory: it saw the device's old state" : "");
        if (!m->bc.weak)
            return v;
        /* Weak memory: the load was satisfied while avail.idx sat in the store buffer. The
         * device, busy until then, still suppressed notifications; it went idle without seeing
         * the new idx. So the driver reads "suppressed" and skips the kick. */
        bc_weak_event(m, qi, gpa, v, 2, weak_check_note);
        w->idx_unfenced &= ~bit; /* one adversarial outcome per publication */
        if (f == SR_F_USED_FLAGS)
            return v | VIRTQ_USED_F_NO_NOTIFY;
        return (uint16_t)(q->prev_avail_idx - 1u); /* vring_need_event(e, new, old) is false */
    }
    if (f == SR_F_USED_IDX) {
        bool unfenced = w->used_event_unfenced & bit;
        bool ambiguous = unfenced && q->enable_ambiguous;
        bc_put(&w->reread_unjudged, qi, ambiguous);
        if (unfenced && !ambiguous && bc_should_report(m, qi, 3))
            machine_violation(m, "split.receive.mb-before-reread", (int)qi,
                              "queue %u: used.idx re-read after re-enabling interrupts with no "
                              "full barrier between: the device may miss the re-enable and the "
                              "driver the new used.idx, and both wait (pairing D)%s", qi,
                              m->bc.weak ? "; weak memory: the re-read saw used.idx from before "
                                           "the device's work" : "");
        if (unfenced && m->bc.weak)
            bc_weak_reread(m, qi, q, weak_reread_note);
        w->used_event_unfenced &= ~bit;
        bc_used_idx_read(w, q, qi, v);
        return v; /* in weak mode: the value from before the device's work, as a load that passed
                   * the store would have got */
    }
    if (f == SR_F_USED_ID || f == SR_F_USED_LEN) {
        unsigned state = bc_used_idx_state(w, qi);
        bool first = !(w->c_seen & bit); /* one report per element read, not per field */
        bc_put(&w->c_seen, qi, state != 2);
        if (state != 2 && first && bc_should_report(m, qi, 2))
            machine_violation(m, "split.receive.rmb-before-used-elem", (int)qi,
                              "queue %u: %s read %s: the element may be read before the device's "
                              "write of it is visible (pairing C)%s", qi, sr_field_name[f],
                              state == 0 ? "before any read of used.idx"
                                         : "after used.idx with no read barrier between",
                              m->bc.weak && state == 1
                                  ? "; weak memory: it gets the slot's old contents" : "");
        if (state == 1 && m->bc.weak) {
            /* Weak memory: the element loads passed the idx load; they see the slot as it was
             * before the device's last write. */
            if (first)
                bc_weak_event(m, qi, gpa, v, 4, weak_elem_note);
            return gpa == q->push_gpa ? q->push_old_id : gpa == q->push_gpa + 4 ? q->push_old_len : v;
        }
        return v;
    }
    return v;
}

uint64_t bc_ring_load(struct machine *m, const struct ring_at *at, uint64_t gpa, uint64_t v,
                      uint8_t size)
{
    /* The common loads of a driver that orders them, decided in a leaf: a suppression check
     * with avail.idx fenced (pairing B), a used.idx read with no re-enable pending (D), a used
     * element read after used.idx and a read barrier (C). What ring_load_rest would do for
     * them, without its reports (none is due) or weak memory (none is played). */
    enum sr_field f = classify(at, size);
    if (f == SR_F_NONE && ((m->dev.guest_features >> VIRTIO_F_RING_PACKED) & 1))
        return bcp_ring_load(m, gpa, v, size); /* a packed ring's field (barrier_packed.c) */
    if (f == SR_F_NONE)
        return v;
    if (bc_load_ordered(&m->bc, at->qi, f, v))
        return v;
    return ring_load_rest(m, at, gpa, v, size);
}

/* Plain mode: what changed in the driver-written parts of the ring since the last snapshot,
 * fed to the analysis as stores (payload first, then avail.idx, then used_event: inside one
 * epoch the order is unknown, and this order is the one that needs no barrier to be wrong). */
static void plain_diff(struct machine *m, uint32_t qi)
{
    const struct dev_queue *dq = &m->dev.q[qi];
    struct bc_queue *q = &m->bc.q[qi];
    if (!dq->live || !ring_is_split(dq))
        return; /* the split ring's layout (a packed ring's pairings are not analysed yet) */
    uint32_t n = dq->live_num;
    uint32_t dlen = 16u * n, alen = 6u + 2u * n;
    const uint8_t *d = gm_ptr(&m->mem, dq->desc, dlen);
    const uint8_t *a = gm_ptr(&m->mem, dq->avail, alen);
    if (!d || !a)
        return;
    if (!q->snap || q->snap_gpa != dq->desc || q->snap_len != dlen + alen) {
        free(q->snap);
        q->snap = malloc(dlen + alen);
        if (!q->snap)
            return;
        q->snap_gpa = dq->desc;
        q->snap_len = dlen + alen;
        memcpy(q->snap, d, dlen);
        memcpy(q->snap + dlen, a, alen);
        return; /* the first look: a baseline, no epoch to judge */
    }
    uint8_t *sd = q->snap, *sa = q->snap + dlen;
    if (memcmp(sd, d, dlen)) {
        /* each field of each descriptor that changed (§2.6.5: addr 8, len 4, flags 2, next 2) */
        static const struct { uint32_t off; uint8_t size; enum sr_field f; } field[] = {
            {0, 8, SR_F_DESC_ADDR}, {8, 4, SR_F_DESC_LEN}, {12, 2, SR_F_DESC_FLAGS},
            {14, 2, SR_F_DESC_NEXT}};
        for (uint32_t i = 0; i < n; i++) {
            if (!memcmp(sd + 16 * i, d + 16 * i, 16))
                continue;
            for (unsigned k = 0; k < 4; k++) {
                uint64_t o = 0, v = 0;
                uint32_t off = 16 * i + field[k].off;
                memcpy(&o, sd + off, field[k].size);
                memcpy(&v, d + off, field[k].size);
                if (o == v)
                    continue;
                store(m, qi, field[k].f, dq->desc + off, o, v, field[k].size);
                exposed_on_driver_store(m, dq->desc + off, field[k].size);
                if (field[k].f == SR_F_DESC_NEXT)
                    rf_desc_next(m, qi, i, (uint16_t)v, m->bc.epoch_at, NULL);
            }
        }
        memcpy(sd, d, dlen);
    }
    for (uint32_t k = 0; k < n; k++) {
        uint16_t o, v;
        memcpy(&o, sa + 4 + 2 * k, 2);
        memcpy(&v, a + 4 + 2 * k, 2);
        if (o != v) {
            store(m, qi, SR_F_AVAIL_RING, dq->avail + 4 + 2 * k, o, v, 2);
            exposed_on_driver_store(m, dq->avail + 4 + 2 * k, 2);
        }
    }
    static const struct { uint32_t off; enum sr_field f; } tail[] = {{0, SR_F_AVAIL_FLAGS},
                                                                     {2, SR_F_AVAIL_IDX}};
    for (unsigned t = 0; t < 2; t++) {
        uint16_t o, v;
        memcpy(&o, sa + tail[t].off, 2);
        memcpy(&v, a + tail[t].off, 2);
        if (o != v) {
            store(m, qi, tail[t].f, dq->avail + tail[t].off, o, v, 2);
            exposed_on_driver_store(m, dq->avail + tail[t].off, 2); /* a publication exposes */
        }
    }
    uint16_t o, v;
    memcpy(&o, sa + 4 + 2 * n, 2);
    memcpy(&v, a + 4 + 2 * n, 2);
    if (o != v)
        store(m, qi, SR_F_AVAIL_USED_EVENT, dq->avail + 4 + 2 * n, o, v, 2);
    memcpy(sa, a, alen);
}

static void epoch_end(struct machine *m)
{
    if (m->bc.mode != BC_PLAIN)
        return;
    for (uint32_t qi = 0; qi < m->dev.n_queues; qi++)
        plain_diff(m, qi);
    m->bc.epoch_at = m->now; /* the next epoch's stores happen after this */
}

static inline void driver_polls(struct machine *m);

void bc_barrier(struct machine *m, enum bc_barrier kind)
{
    driver_polls(m); /* ends the epoch; a barrier in a loop with no stores is a spin */
    bool ww = kind == BC_MB || kind == BC_WMB; /* stores before stores */
    bool full = kind == BC_MB;                 /* stores before loads: only a full barrier */
    bool rr = kind == BC_MB || kind == BC_RMB; /* loads before loads */
    struct bc_bits *w = &m->bc.bits;
    uint32_t all = queue_mask(m); /* the device's queues */
    if (ww) {
        w->payload_unordered &= ~all;
        w->off_wrap_unordered &= ~all;
        if (m->bc.weak) /* (undo records are kept in weak mode only) */
            for (uint32_t qi = 0; qi < m->dev.n_queues; qi++)
                m->bc.q[qi].n_undo = 0;
    }
    if (full) {
        w->idx_unfenced &= ~all;
        w->used_event_unfenced &= ~all;
    }
    if (rr) {
        w->used_idx_ordered |= w->used_idx_loaded & all; /* loaded since the last rmb/mb */
        w->c_seen &= ~all;
    }
}

void bc_mmio(struct machine *m) { epoch_end(m); }

void bc_queue_live(struct machine *m, uint32_t qi)
{
    if (qi >= MMIO_NUM_QUEUES)
        return;
    struct bc_queue *q = &m->bc.q[qi];
    uint8_t *snap = q->snap;
    uint32_t reports[BC_PAIRINGS];
    memcpy(reports, q->reports, sizeof(reports)); /* the report caps stay per run */
    memset(q, 0, sizeof(*q));
    memcpy(q->reports, reports, sizeof(reports));
    struct bc_bits *w = &m->bc.bits; /* and its bit in every bit-word */
    uint32_t keep = ~(1u << qi);
    w->payload_unordered &= keep;
    w->idx_unfenced &= keep;
    w->used_idx_loaded &= keep;
    w->used_idx_ordered &= keep;
    w->c_seen &= keep;
    w->used_event_unfenced &= keep;
    w->reread_due &= keep;
    w->reread_unjudged &= keep;
    w->off_wrap_unordered &= keep;
    free(snap); /* plain mode: the next epoch end takes a new baseline */
}

void bc_mmio_write(struct machine *m)
{
    m->bc.quiet_hooks = 0;
    m->bc.stored = false;
}

/* bc_driver_polls, inline in bc_barrier (three barriers a round trip). */
static inline void driver_polls(struct machine *m)
{
    epoch_end(m);
    if (m->bc.waits_told)
        return;
    if (m->bc.stored) { /* it wrote since the last hook: not (yet) a poll loop */
        m->bc.stored = false;
        m->bc.quiet_hooks = 0;
        return;
    }
    if (++m->bc.quiet_hooks == 2) /* the second quiet hook in a row: a spin */
        notify_check_driver_waits(m);
}

void bc_driver_polls(struct machine *m) { driver_polls(m); }

void bc_driver_waits(struct machine *m)
{
    epoch_end(m);
    m->bc.stored = false;
    m->bc.quiet_hooks = 0;
    struct bc_bits *w = &m->bc.bits;
    uint32_t all = queue_mask(m);
    /* Plain mode cannot see the re-read; it can only say the barrier never came. And a driver
     * whose used ring is elsewhere (split.legacy.layout) re-reads its own used.idx, which is no
     * field of the device's ring: its order is not judged. */
    uint32_t due = ((m->bc.mode == BC_PLAIN ? w->used_event_unfenced : w->reread_due) |
                    w->reread_unjudged) & all;
    w->reread_unjudged &= ~all;
    w->reread_due &= ~all;
    w->used_event_unfenced &= ~all;
    for (uint32_t qi = 0; due; qi++, due >>= 1)
        if ((due & 1) && !legacy_layout_mismatch(m) && bc_should_report(m, qi, 3))
            machine_violation(m, "split.receive.mb-before-reread", (int)qi,
                              "queue %u: the driver waits after storing used_event without a full "
                              "barrier and a re-read of used.idx: a used buffer the device added "
                              "meanwhile raises no interrupt and is never seen (pairing D)", qi);
    notify_check_driver_waits(m);
}

void bc_interrupt_entry(struct machine *m)
{
    uint32_t all = queue_mask(m);
    m->bc.bits.used_event_unfenced &= ~all;
    m->bc.bits.reread_due &= ~all;
}

void bc_device_push(struct machine *m, uint32_t qi, uint64_t elem_gpa, uint32_t old_id,
                    uint32_t old_len)
{
    if (qi >= MMIO_NUM_QUEUES)
        return;
    struct bc_queue *q = &m->bc.q[qi];
    q->push_gpa = elem_gpa;
    q->push_old_id = old_id;
    q->push_old_len = old_len;
}

void bc_explain(const struct machine *m, uint32_t queue, struct diagnosis *d)
{
    if (!d->cause || d->n_causes < 1)
        return;
    const struct violation *v = NULL;
    for (uint32_t i = 0; i < m->n_violations && !v; i++)
        if ((!strcmp(m->violations[i].rule->area, "barriers") ||
             bcp_is_barrier_rule(m->violations[i].rule->id)) && m->violations[i].queue == queue)
            v = &m->violations[i];
    if (!v)
        return;
    const char *weak = m->facts.weak_note;
    if (!weak) /* strong memory: a missing barrier changed nothing the device saw */
        return;
    struct diag_cause *c = &d->causes[0]; /* the first cause: the barrier is behind it */
    if (c->n_evidence < DIAG_MAX_EVIDENCE) {
        c->evidence[c->n_evidence].key = "barrier_violation";
        snprintf(c->evidence[c->n_evidence].value, sizeof(c->evidence[0].value), "%s (§%s)",
                 v->rule->id, v->rule->section);
        c->n_evidence++;
    }
    if (weak && c->n_evidence < DIAG_MAX_EVIDENCE) {
        c->evidence[c->n_evidence].key = "reordering";
        snprintf(c->evidence[c->n_evidence].value, sizeof(c->evidence[0].value), "%s", weak);
        c->n_evidence++;
    }
    size_t l = strlen(c->message);
    snprintf(c->message + l, sizeof(c->message) - l,
             " Underlying cause: a missing memory barrier, %s (§%s)%s.", v->rule->id,
             v->rule->section,
             weak ? "; in weak-memory mode the device or driver saw the reordering it allows" : "");
}

_Static_assert(sizeof(((struct barrier_check *)0)->cpu0.q) / sizeof(struct bc_queue) ==
                   MMIO_NUM_QUEUES, "one bc_queue per device queue");
