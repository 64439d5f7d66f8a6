/* device_faults.c — see device_faults.h. */
#include "model/inject/device_faults.h"

#include "spec/virtio_spec.h"
#include "model/machine.h"

const char *const device_fault_names[DF_KIND_COUNT + 1] = {
    "never-respond", "respond-late", "respond-after-second-notify", "drop-interrupt",
    "set-needs-reset", "reset", "used-element-without-idx", "used-idx-without-element",
    "used-id-out-of-range", "used-id-not-head", "used-id-twice", "used-idx-jump",
    "used-len-too-large", "rewrite-descriptors", "wrong-response-type", "wrong-response-size",
    "garbage-config", "garbage-response", "event-index", NULL};
_Static_assert(sizeof(device_fault_names) / sizeof(device_fault_names[0]) == DF_KIND_COUNT + 1,
               "one name per fault");

const char device_fault_note[] = "injected device fault (scenario device_faults)";

const char *device_fault_effect(enum df_kind k)
{
    switch (k) {
    case DF_NEVER_RESPOND: return "the device took the request and never returned it";
    case DF_RESPOND_LATE: return "the device held the answer back for a fixed delay";
    case DF_RESPOND_AFTER_SECOND_NOTIFY:
        return "the device held the answer until the driver notified the queue again";
    case DF_DROP_INTERRUPT: return "the device returned the request but raised no interrupt";
    case DF_SET_NEEDS_RESET: return "the device set DEVICE_NEEDS_RESET and stopped";
    case DF_RESET: return "the device reset itself while the request was queued";
    case DF_USED_ELEMENT_WITHOUT_IDX:
        return "the device wrote the used element but never advanced used.idx";
    case DF_USED_IDX_WITHOUT_ELEMENT:
        return "the device advanced used.idx but never wrote the used element";
    case DF_USED_ID_OUT_OF_RANGE: return "the device returned a used id not below the queue size";
    case DF_USED_ID_NOT_HEAD: return "the device returned a used id that is not a chain's head";
    case DF_USED_ID_TWICE: return "the device returned the same used id twice";
    case DF_USED_IDX_JUMP: return "the device moved used.idx past the elements it wrote";
    case DF_USED_LEN_TOO_LARGE: return "the device reported more bytes than the chain can hold";
    case DF_REWRITE_DESCRIPTORS: return "the device overwrote the driver's descriptors";
    case DF_WRONG_RESPONSE_TYPE: return "the device answered with a response of the wrong type";
    case DF_WRONG_RESPONSE_SIZE: return "the device answered with a response of the wrong size";
    case DF_GARBAGE_CONFIG: return "the device showed garbage in its configuration space";
    case DF_GARBAGE_RESPONSE: return "the device answered with garbage in a response field";
    case DF_EVENT_INDEX: return "the device wrote an event index of its choosing";
    case DF_KIND_COUNT: break;
    }
    return "";
}

const char *device_fault_effect_packed(enum df_kind k)
{
    switch (k) {
    case DF_USED_ELEMENT_WITHOUT_IDX:
        return "the device wrote the used descriptor's id and len but never its flags";
    case DF_USED_IDX_WITHOUT_ELEMENT:
        return "the device wrote the used descriptor's flags but never its id and len";
    default: return device_fault_effect(k);
    }
}

const char *device_fault_split_field(enum df_kind k)
{
    switch (k) {
    case DF_USED_IDX_JUMP: return "used.idx (§2.6.8)";
    case DF_EVENT_INDEX: return "used_event / avail_event (§2.6.7.2, §2.6.10)";
    default: return NULL;
    }
}

static bool selects(const struct device_fault *f, uint32_t qi, uint32_t request, uint64_t now)
{
    if (f->queue != qi || now < f->after_ns)
        return false;
    if (f->from_nth)
        return request >= f->from_nth;
    return f->nth == 0 || f->nth == request;
}

void device_fault_trace(struct machine *m, enum df_kind k, uint32_t qi, uint32_t request,
                        uint64_t addr, uint64_t value)
{
    struct trace_event *e = machine_trace(m, TR_DEVICE, addr, value, 0, device_fault_names[k]);
    if (e) {
        e->note = device_fault_note;
        e->queue = (uint8_t)qi;
        e->aux = request;
    }
    rf_fault(m, device_fault_names[k], qi, request, addr, value);
}

/* event-index: the device has just published avail_event (QEMU's virtqueue_split_pop); write
 * the chosen value over it, or over the driver's used_event. */
static void event_index(struct machine *m, uint32_t qi, uint32_t request, uint16_t head)
{
    const struct dev_queue *q = &m->dev.q[qi];
    const struct device_faults *d = &m->dfaults;
    for (uint32_t i = 0; i < d->n; i++) {
        const struct device_fault *f = &d->f[i];
        if (f->kind != DF_EVENT_INDEX || !selects(f, qi, request, m->now))
            continue;
        bool used = f->field == DF_EVENT_USED;
        uint64_t at = used ? q->avail + 4 + 2ull * q->live_num : q->used + 4 + 8ull * q->live_num;
        uint16_t base = used ? q->used_idx : q->last_avail_idx;
        uint16_t v = f->has_value ? (uint16_t)f->value : (uint16_t)(base + (uint16_t)f->offset);
        gm_write16(&m->mem, at, v);
        device_fault_trace(m, DF_EVENT_INDEX, qi, request, head, v);
        struct rf_queue *fq = qi < RF_QUEUES ? &m->facts.q[qi] : NULL;
        if (fq) { /* where it wrote (the fault's record names the request, not the place) */
            fq->fault[1].at = at;
            if (fq->c.faults == 1)
                fq->fault[0].at = at;
            if (!used) {
                fq->avail_event_set = true;
                fq->avail_event = v;
            } else {
                fq->used_event_set = true;
                fq->used_event = v;
                fq->used_event_t = m->now;
            }
        }
    }
}

bool device_faults_on_pop_any(struct machine *m, uint32_t qi, uint16_t head)
{
    struct device_faults *d = &m->dfaults;
    if (qi >= DF_QUEUES)
        return false;
    uint32_t r = ++d->requests[qi];
    uint32_t mask = 0;
    for (uint32_t i = 0; i < d->n; i++)
        if (selects(&d->f[i], qi, r, m->now)) {
            mask |= 1u << d->f[i].kind;
            d->f[i].fired++;
        }
    d->cur_request[qi] = r;
    d->cur_mask[qi] = mask;
    if (mask & (1u << DF_EVENT_INDEX))
        event_index(m, qi, r, head);
    if (mask & (1u << DF_RESET)) {
        device_fault_trace(m, DF_RESET, qi, r, head, 0);
        mmio_device_reset(m, "the device itself (injected fault reset)");
        return true;
    }
    if (mask & (1u << DF_SET_NEEDS_RESET)) {
        device_fault_trace(m, DF_SET_NEEDS_RESET, qi, r, head, 0);
        mmio_device_fault_break(m, device_fault_names[DF_SET_NEEDS_RESET]);
        return true;
    }
    return false;
}

bool device_faults_on_push_any(struct machine *m, uint32_t qi, uint16_t head, uint32_t len,
                               unsigned *parts)
{
    struct device_faults *d = &m->dfaults;
    if (qi >= DF_QUEUES)
        return false;
    uint32_t mask = d->cur_mask[qi], r = d->cur_request[qi];
    d->cur_mask[qi] = 0;
    if (!mask && !d->twice_pending[qi]) { /* no fault on this answer (most runs: none at all) */
        d->last_pushed[qi] = r;
        d->last_no_irq[qi] = false;
        return false;
    }
    if (mask & (1u << DF_NEVER_RESPOND)) {
        device_fault_trace(m, DF_NEVER_RESPOND, qi, r, head, len);
        return true;
    }
    if (mask & (1u << DF_USED_ELEMENT_WITHOUT_IDX)) {
        device_fault_trace(m, DF_USED_ELEMENT_WITHOUT_IDX, qi, r, head, len);
        *parts &= ~(unsigned)RING_PUSH_IDX;
    }
    if (mask & (1u << DF_USED_IDX_WITHOUT_ELEMENT)) {
        device_fault_trace(m, DF_USED_IDX_WITHOUT_ELEMENT, qi, r, head, len);
        *parts &= ~(unsigned)RING_PUSH_ELEM;
    }
    if (device_faults_hostile_push(m, qi, mask, r, head, len)) {
        d->last_pushed[qi] = r;
        d->last_no_irq[qi] = mask & (1u << DF_DROP_INTERRUPT);
        return true;
    }
    bool late = mask & (1u << DF_RESPOND_LATE), second = mask & (1u << DF_RESPOND_AFTER_SECOND_NOTIFY);
    if ((late || second) && d->n_held < DF_MAX_HELD) {
        struct df_held *h = &d->held[d->n_held++];
        h->queue = qi;
        h->request = r;
        h->head = head;
        h->len = len;
        h->by_notify = second;
        h->notifies = m->dev.q[qi].notifies;
        h->due = 0;
        if (late) {
            for (uint32_t i = 0; i < d->n; i++)
                if (d->f[i].kind == DF_RESPOND_LATE && selects(&d->f[i], qi, r, m->now) &&
                    m->now + d->f[i].delay_ns > h->due)
                    h->due = m->now + d->f[i].delay_ns;
            machine_schedule_queue_at(m, qi, h->due);
        }
        /* value: when the answer is due (0 = at the next notify) */
        device_fault_trace(m, second ? DF_RESPOND_AFTER_SECOND_NOTIFY : DF_RESPOND_LATE, qi, r, head, h->due);
        h->no_irq = mask & (1u << DF_DROP_INTERRUPT);
        return true;
    }
    d->last_pushed[qi] = r;
    d->last_no_irq[qi] = mask & (1u << DF_DROP_INTERRUPT);
    return false;
}

/* drop-interrupt applies to the last answer: its interrupt is not raised (device_faults.h). */
bool device_faults_drop_irq(struct machine *m, uint32_t qi)
{
    device_fault_trace(m, DF_DROP_INTERRUPT, qi, m->dfaults.last_pushed[qi], 0, 0);
    return true;
}

void device_faults_flush(struct machine *m, uint32_t qi)
{
    struct device_faults *d = &m->dfaults;
    struct dev_queue *q = &m->dev.q[qi];
    bool pushed = false;
    uint64_t next_due = 0;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < d->n_held; i++) {
        struct df_held h = d->held[i];
        bool due = h.queue == qi && (h.by_notify ? q->notifies > h.notifies
                                                 : h.due <= m->now);
        if (!due) {
            if (h.queue == qi && !h.by_notify && (!next_due || h.due < next_due))
                next_due = h.due;
            d->held[keep++] = h;
            continue;
        }
        if (!q->live || m->dev.broken)
            continue; /* the device lost it meanwhile */
        ring_push_parts(&m->dev.q[qi], h.head, h.len, RING_PUSH_ELEM | RING_PUSH_IDX);
        d->last_pushed[qi] = h.request;
        d->last_no_irq[qi] = h.no_irq;
        pushed = true;
    }
    d->n_held = keep;
    if (pushed)
        mmio_device_raise_used_irq(m, qi);
    if (next_due)
        machine_schedule_queue_at(m, qi, next_due);
}

void device_faults_on_reset(struct machine *m)
{
    struct device_faults *d = &m->dfaults;
    d->n_held = 0;
    for (uint32_t i = 0; i < DF_QUEUES; i++) {
        d->twice_pending[i] = false;
        d->cur_mask[i] = 0;
        d->used_idx_at_irq[i] = 0;
        d->last_pushed[i] = 0;
        d->last_no_irq[i] = false;
    }
}
