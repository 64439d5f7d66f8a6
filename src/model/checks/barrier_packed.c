/* barrier_packed.c — see barrier_packed.h. Rule ids: spec/rules.yaml, area packed. */
#include "model/checks/barrier_packed.h"

#include <string.h>

#include "model/machine.h"
#include "model/rings/packed_ring.h"
#include "model/rings/packed_walk.h"
#include "spec/virtio_spec.h"

/* What weak-memory mode made happen (trace `what`, and the diagnosis's `reordering`). */
static const char weak_head_note[] = "weak memory: the device sees the head's flags before the "
                                     "rest of the list they publish (no write barrier)";
static const char weak_id_note[] = "weak memory: the driver read the used descriptor's id / len "
                                   "before the device's write of them (no read barrier)";
static const char weak_reread_note[] = "weak memory: the device does its work before the "
                                       "driver's re-enable in the Driver Area is visible, and the "
                                       "driver's flags re-read comes too early (no full barrier)";
static const char weak_off_wrap_note[] = "weak memory: the device sees the Driver Area's flags "
                                         "DESC with the off_wrap from before (no write barrier)";

/* The live packed queue whose ring holds gpa, and the field (packed_ring.c's names). */
static const char *locate(const struct machine *m, uint64_t gpa, uint32_t *qi, uint32_t *index)
{
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        const struct dev_queue *dq = &m->dev.q[q];
        if (!dq->live || ring_is_split(dq))
            continue;
        const char *f = ring_classify(dq, gpa, index);
        if (f) {
            *qi = q;
            return f;
        }
    }
    return NULL;
}

/* The driver's next head moves past the list just published at i: its descriptors in ring
 * order while NEXT links them (an indirect head alone), as many as the ring holds at most. */
static void advance_head(const struct machine *m, const struct dev_queue *dq, struct bc_queue *q,
                         uint32_t i)
{
    uint32_t n = dq->live_num, pos = i, walked = 0;
    struct sr_desc d;
    bool more;
    do {
        packed_read_desc(&m->mem, dq->desc, pos, &d);
        more = (d.flags & VIRTQ_DESC_F_NEXT) && !(d.flags & VIRTQ_DESC_F_INDIRECT);
        if (++pos == n) {
            pos = 0;
            q->pk_head_wrap0 = !q->pk_head_wrap0;
        }
    } while (more && ++walked < n);
    q->pk_head = (uint16_t)pos;
}

/* Pairing PA: a descriptor flags store (old -> v) at offset i. The store that makes the driver's
 * next head available must come after a write barrier that follows the rest of its list. The
 * next head is followed from the driver's own stores (offset 0, wrap counter 1 when the queue
 * goes live, then past each list published): a later descriptor's flags, or a store into a list
 * the device already holds, publishes nothing by itself. */
static void flags_store(struct machine *m, uint32_t qi, uint32_t i, uint64_t gpa, uint64_t old,
                        uint64_t v, uint8_t size)
{
    const struct dev_queue *dq = &m->dev.q[qi];
    struct bc_queue *q = &m->bc.q[qi];
    struct bc_bits *w = &m->bc.bits;
    uint32_t bit = 1u << qi;
    bool wrap = !q->pk_head_wrap0;
    bool head = i == q->pk_head && !packed_desc_avail((uint16_t)old, wrap) &&
                packed_desc_avail((uint16_t)v, wrap);
    if (!head) { /* a later descriptor's flags: part of the list the head publishes */
        w->payload_unordered |= bit;
        if (m->bc.weak && q->n_undo < BC_UNDO_MAX)
            q->undo[q->n_undo++] = (struct bc_undo){gpa, old, v, size};
        return;
    }
    bool unordered = w->payload_unordered & bit;
    if (unordered && bc_should_report(m, qi, BCP_PA))
        machine_violation(m, "packed.flags-barrier", (int)qi,
                          "queue %u: the flags of descriptor %u (0x%04x) made its list available "
                          "with no write barrier after the list's other stores: a weakly "
                          "ordered CPU may show the device the head before the rest (pairing "
                          "PA)%s", qi, i, (unsigned)(uint16_t)v,
                          m->bc.weak ? "; weak memory: the device reads the list now, before "
                                       "those stores land" : "");
    if (unordered && m->bc.weak)
        bc_weak_publish(m, qi, q, i, weak_head_note);
    w->payload_unordered &= ~bit;
    q->n_undo = 0;
    w->idx_unfenced |= bit; /* PB: a full barrier before the Device Area is read */
    advance_head(m, dq, q, i);
}

/* Does the device hold a list of this queue, or has one been published it has not taken? Only
 * such a list can be used after a re-enable the device missed: a list published later comes
 * after the re-enable in the driver's store order (barrier PA) and the device, having read its
 * head, reads the Driver Area as it is by then. */
static bool in_flight(const struct dev_queue *dq, const struct bc_queue *q)
{
    return dq->pk_inuse_descs || dq->last_avail_idx != q->pk_head ||
           packed_avail_wrap(dq) != !q->pk_head_wrap0;
}

/* Pairings PD and PE: a store to the Driver Area (§2.7.10). */
static void driver_event_store(struct machine *m, uint32_t qi, const char *f, uint64_t gpa,
                               uint64_t old, uint64_t v, uint8_t size)
{
    const struct dev_queue *dq = &m->dev.q[qi];
    struct bc_queue *q = &m->bc.q[qi];
    struct bc_bits *w = &m->bc.bits;
    uint32_t bit = 1u << qi;
    struct bc_undo u = {gpa, old, v, size};
    if ((uint16_t)old == (uint16_t)v)
        return; /* the value it held: nothing changes for the device */
    if (f == pk_f_drv_off_wrap) {
        w->off_wrap_unordered |= bit;
        q->off_wrap = u;
        uint16_t flags = 0;
        gm_read16(&m->mem, dq->avail + 2, &flags);
        if (flags == VIRTQ_PEVENT_F_DESC && in_flight(dq, q)) { /* a new offset, events on */
            w->used_event_unfenced |= bit;
            q->enable = u;
        }
        return;
    }
    if ((uint16_t)v == VIRTQ_PEVENT_F_DISABLE)
        return; /* notifications off: nothing to order */
    if ((uint16_t)v == VIRTQ_PEVENT_F_DESC && (w->off_wrap_unordered & bit)) {
        if (bc_should_report(m, qi, BCP_PE))
            machine_violation(m, "packed.event.off-wrap-before-flags", (int)qi,
                              "queue %u: the Driver Area's flags set to DESC with no write "
                              "barrier after its off_wrap store (0x%04x): the device may use the "
                              "offset from before (pairing PE)", qi,
                              (unsigned)(uint16_t)q->off_wrap.val);
        if (m->bc.weak) { /* the device does its pending work seeing the old off_wrap */
            struct bc_undo keep = q->enable;
            q->enable = q->off_wrap;
            bc_weak_reread(m, qi, q, weak_off_wrap_note);
            q->enable = keep;
        }
    }
    w->off_wrap_unordered &= ~bit;
    if (in_flight(dq, q)) {
        w->used_event_unfenced |= bit; /* PD: a full barrier before the flags re-read */
        q->enable = u;
    }
}

bool bcp_ring_store(struct machine *m, uint64_t gpa, uint64_t old, uint64_t v, uint8_t size)
{
    uint32_t qi, i;
    const char *f = locate(m, gpa, &qi, &i);
    if (!f)
        return false;
    m->bc.stored = true;
    struct bc_queue *q = &m->bc.q[qi];
    if (f == pk_f_desc_flags && size == 2) {
        flags_store(m, qi, i, gpa, old, v, size);
    } else if (f == pk_f_desc_addr || f == pk_f_desc_len || f == pk_f_desc_id ||
               f == pk_f_desc_flags) {
        m->bc.bits.payload_unordered |= 1u << qi; /* a wide store that reaches the flags
                                                    * publishes no head */
        if (m->bc.weak && q->n_undo < BC_UNDO_MAX)
            q->undo[q->n_undo++] = (struct bc_undo){gpa, old, v, size};
    } else if (f == pk_f_drv_off_wrap || f == pk_f_drv_flags) {
        driver_event_store(m, qi, f, gpa, old, v, size);
    }
    return true;
}

/* Pairing PC, weak memory: the id / len loads passed the flags load; they see the descriptor as
 * it was before the device's last write of it (packed_ring.c: len at +8, id at +12). */
static uint64_t before_push(const struct bc_queue *q, uint64_t gpa, uint64_t v, uint8_t size)
{
    if (gpa == q->push_gpa && size == 4)
        return q->push_old_len;
    if (gpa == q->push_gpa + 4 && size == 2)
        return q->push_old_id;
    if (gpa == q->push_gpa && size == 8)
        return q->push_old_len | (uint64_t)(uint16_t)q->push_old_id << 32 | (v & ~0xffffffffffffull);
    return v;
}

/* Pairing PB: a load of the Device Area after publishing a list. */
static void device_event_load(struct machine *m, uint32_t qi, const char *f)
{
    struct bc_bits *w = &m->bc.bits;
    if (bc_bit(w->idx_unfenced, qi) && bc_should_report(m, qi, BCP_PB))
        machine_violation(m, "packed.barrier-before-event-suppression", (int)qi,
                          "queue %u: %s read after the head flags store with no full barrier "
                          "between: the load may complete before the store is visible, so "
                          "driver and device can both decide the other will act (pairing PB)%s",
                          qi, f, m->bc.weak ? "; weak memory: no consequence here, this device "
                                              "never suppresses notifications on a packed ring"
                                            : "");
    w->idx_unfenced &= ~(1u << qi); /* one report per publication */
}

/* Pairings PD and PC: a load of a descriptor's flags (the driver looking for a used one). */
static void flags_load(struct machine *m, uint32_t qi)
{
    struct bc_queue *q = &m->bc.q[qi];
    struct bc_bits *w = &m->bc.bits;
    bool unfenced = bc_bit(w->used_event_unfenced, qi);
    if (unfenced && bc_should_report(m, qi, BCP_PD))
        machine_violation(m, "packed.receive.mb-before-reread", (int)qi,
                          "queue %u: descriptor flags re-read after re-enabling used-buffer "
                          "notifications in the Driver Area with no full barrier between: the "
                          "device may miss the re-enable and the driver the used descriptor, "
                          "and both wait (pairing PD)%s", qi,
                          m->bc.weak ? "; weak memory: the re-read saw the flags from before "
                                       "the device's work" : "");
    if (unfenced && m->bc.weak)
        bc_weak_reread(m, qi, q, weak_reread_note);
    w->used_event_unfenced &= ~(1u << qi);
    w->used_idx_loaded |= 1u << qi; /* PC: id / len only after a read barrier */
    w->used_idx_ordered &= ~(1u << qi);
    w->c_seen &= ~(1u << qi);
}

uint64_t bcp_ring_load(struct machine *m, uint64_t gpa, uint64_t v, uint8_t size)
{
    uint32_t qi, i;
    const char *f = locate(m, gpa, &qi, &i);
    if (!f)
        return v;
    struct bc_queue *q = &m->bc.q[qi];
    if (f == pk_f_dev_off_wrap || f == pk_f_dev_flags) {
        device_event_load(m, qi, f);
    } else if (f == pk_f_desc_flags) {
        flags_load(m, qi);
    } else if (f == pk_f_desc_len || f == pk_f_desc_id) {
        struct bc_bits *w = &m->bc.bits;
        unsigned state = bc_used_idx_state(w, qi);
        bool first = !bc_bit(w->c_seen, qi); /* one report per descriptor read, not per field */
        bc_put(&w->c_seen, qi, state != 2);
        if (state != 2 && first && bc_should_report(m, qi, BCP_PC))
            machine_violation(m, "packed.receive.rmb-before-id-len", (int)qi,
                              "queue %u: %s of descriptor %u read %s: it may be read before the "
                              "device's write of it is visible (pairing PC)%s", qi, f, i,
                              state == 0 ? "before any read of its flags"
                                         : "after its flags with no read barrier between",
                              m->bc.weak && state == 1
                                  ? "; weak memory: it gets the descriptor's old contents" : "");
        if (state == 1 && m->bc.weak) {
            if (first)
                bc_weak_event(m, qi, gpa, v, size, weak_id_note);
            return before_push(q, gpa, v, size);
        }
    }
    return v;
}

bool bcp_is_barrier_rule(const char *rule)
{
    static const char *const ids[] = {"packed.flags-barrier",
                                      "packed.barrier-before-event-suppression",
                                      "packed.receive.rmb-before-id-len",
                                      "packed.receive.mb-before-reread",
                                      "packed.event.off-wrap-before-flags"};
    for (unsigned k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
        if (!strcmp(rule, ids[k]))
            return true;
    return false;
}

#define PLAIN_WHY "plain ring access: the packed ring's stores and loads are not seen by the barrier analysis"
const struct bc_not_judged bcp_plain_not_judged[] = {
    {"packed.flags-barrier", false, PLAIN_WHY " (pairing PA)"},
    {"packed.barrier-before-event-suppression", false, PLAIN_WHY " (pairing PB)"},
    {"packed.receive.rmb-before-id-len", false, PLAIN_WHY " (pairing PC)"},
    {"packed.receive.mb-before-reread", false, PLAIN_WHY " (pairing PD)"},
    {"packed.event.off-wrap-before-flags", false, PLAIN_WHY " (pairing PE)"},
    {NULL, false, NULL}};
