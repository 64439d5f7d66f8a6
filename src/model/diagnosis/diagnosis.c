/* diagnosis.c — the engine: gather the facts once, ask each group of causes in causal order
 * (how the queue was set up → what became of the request → interrupts), and say "unexplained"
 * with the evidence when no cause fits. See diagnosis.h. */
#include "model/diagnosis/diagnosis.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis_internal.h"

const char *const diag_cause_ids[] = {
    "pci-memory-decoding-off", "pci-notify-wrong-offset", "pci-msix-no-vector", /* diagnosis_pci.c,
                                                                                 * run first */
    "reinit-without-reset", "queue-sel-out-of-range", "guest-page-size-missing", "queue-not-ready", "queue-num-mismatch",
    "rings-outside-ram", "used-ring-mismatch", "request-unservable", "no-buffers-posted",
    "rx-buffer-too-small", "rx-frame-filtered",
    "no-notify", "avail-idx-not-advanced",
    "device-broken", "reset-while-queued", "command-too-short", "device-fault",
    "response-buffer-too-short", "command-refused", "packed-unpublished",
    "packed-wrap-out-of-step", "packed-interrupt-suppressed", "interrupt-suppressed",
    "interrupt-not-acknowledged",
    "register-wait", "unexplained", NULL};

void diag_ev(struct diag_cause *c, const char *key, const char *fmt, ...)
{
    if (!c || c->n_evidence >= DIAG_MAX_EVIDENCE)
        return;
    for (int i = 0; i < c->n_evidence; i++)
        if (!strcmp(c->evidence[i].key, key))
            return; /* first value wins: keys stay unique in the JSON object */
    va_list ap;
    va_start(ap, fmt);
    c->evidence[c->n_evidence].key = key;
    vsnprintf(c->evidence[c->n_evidence].value, sizeof(c->evidence[0].value), fmt, ap);
    va_end(ap);
    c->n_evidence++;
}

void diag_say(struct diag_cause *c, const char *fmt, ...)
{
    if (!c)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof(c->message), fmt, ap);
    va_end(ap);
}

void diag_more(struct diag_cause *c, const char *fmt, ...)
{
    if (!c)
        return;
    size_t l = strlen(c->message);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message + l, sizeof(c->message) - l, fmt, ap);
    va_end(ap);
}

bool diag_has(const struct diagnosis *d, const char *id)
{
    for (int i = 0; i < d->n_causes; i++)
        if (!strcmp(d->causes[i].id, id))
            return true;
    return false;
}

struct diag_cause *diag_add(struct diagnosis *d, const struct diag_facts *f, const char *id,
                            const char *section, const char *title)
{
    if (d->n_causes >= DIAG_MAX_CAUSES)
        return NULL;
    struct diag_cause *c = &d->causes[d->n_causes++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->section = section;
    c->title = title;
    d->cause = d->causes[0].id;
    diag_ev(c, "queue", "%u", f->rq->queue);
    diag_ev(c, "waited_from_ns", "%llu", (unsigned long long)f->rq->since);
    if (f->rq->kind != DIAG_BAD_RESPONSE)
        diag_ev(c, "timed_out_at_ns", "%llu", (unsigned long long)f->now);
    return c;
}

const char *diag_evidence_get(const struct diagnosis *d, const char *key)
{
    for (int i = 0; i < d->n_causes; i++)
        for (int k = 0; k < d->causes[i].n_evidence; k++)
            if (!strcmp(d->causes[i].evidence[k].key, key))
                return d->causes[i].evidence[k].value;
    return NULL;
}

/* a - b for a counter (they only grow) */
static uint32_t since(uint32_t now, uint32_t then) { return now - then; }

/* The 16-bit ring address the driver loaded most since the mark (its used.idx, when it polls).
 * Its count is exact when its slot of the table held it already at the mark (an eviction would
 * have changed the occupancy), or when nothing was evicted since the mark; else the address may
 * have been pushed out and come back since, and the count is a lower bound (run_facts.h). */
static void driver_poll(const struct machine *m, const struct rf_mark *mk, struct diag_facts *f)
{
    const struct run_facts *rf = &m->facts;
    uint32_t best = RF_POLL_SLOTS;
    for (uint32_t i = 0; i < RF_POLL_SLOTS; i++) {
        bool held = mk->poll_count[i] && mk->poll_gen[i] == rf->poll_gen[i];
        uint32_t n = rf->poll_count[i] - (held ? mk->poll_count[i] : 0);
        if (n && (!f->poll.seen || n > f->poll.count)) {
            f->poll.seen = true;
            f->poll.addr = rf->poll_addr[i];
            f->poll.value = rf->poll_value[i];
            f->poll.count = n;
            best = i;
        }
    }
    f->poll.at_least = best < RF_POLL_SLOTS && mk->poll_gen[best] != rf->poll_gen[best] &&
                       rf->poll_evictions != mk->poll_evictions;
}

static void gather(struct machine *m, struct diag_facts *f)
{
    static const struct rf_mark start; /* no mark: since the start of the run */
    const struct diag_request *rq = f->rq;
    const struct rf_mark *mk = rq->mark && rq->mark->set ? rq->mark : &start;
    const struct run_facts *rf = &m->facts;
    uint32_t queue = rq->queue;
    f->q = queue < MMIO_NUM_QUEUES ? &m->dev.q[queue] : NULL;
    f->fq = queue < RF_QUEUES ? &rf->q[queue] : NULL;
    f->now = m->now;
    f->notify_writes_dropped = since(rf->notify_writes_lost, mk->notify_writes_lost);
    /* (a count since the mark, and the last one's time: without a mark, `since` decides) */
    f->resets = rf->resets && rf->last_reset_at >= rq->since ? since(rf->resets, mk->resets) : 0;
    driver_poll(m, mk, f);
    if (!f->fq)
        return;
    const struct rf_queue *q = f->fq;
    const struct rf_counts *a = &q->c, *b = &mk->q[queue];
    f->c = (struct rf_counts){
        .notifies = since(a->notifies, b->notifies),
        .notify_writes = since(a->notify_writes, b->notify_writes),
        .notify_writes_ignored = since(a->notify_writes_ignored, b->notify_writes_ignored),
        .publishes = since(a->publishes, b->publishes),
        .pops = since(a->pops, b->pops),
        .used = since(a->used, b->used),
        .short_headers = since(a->short_headers, b->short_headers),
        .truncated = since(a->truncated, b->truncated),
        .faults = since(a->faults, b->faults),
        .irq_suppressed = since(a->irq_suppressed, b->irq_suppressed),
        .irq_hidden = since(a->irq_hidden, b->irq_hidden),
        .errors = since(a->errors, b->errors)};
    f->notifies = f->c.notifies;
    f->last_notify_at = f->notifies ? q->last_notify_at : 0;
    f->notify_writes_other = since(rf->notify_writes_all, mk->notify_writes_all) -
                             f->c.notify_writes;
    f->other_queue = rf_last_notify_other(rf, queue);
    f->notify_writes_ignored = f->c.notify_writes_ignored;
    f->ignored_note = f->notify_writes_ignored ? q->ignored_note : NULL;
    f->pops = f->c.pops;
    f->used = f->c.used;
    if (f->used) {
        f->last_used_elem = q->last_used_elem;
        f->last_used_len = q->last_used_len;
    }
    f->avail_idx_stored = f->c.publishes > 0;
    f->avail_idx_store_at = f->avail_idx_stored ? q->last_publish_at : 0;
    if (q->killed && q->killed_at >= rq->since && f->resets) {
        f->reset = true;
        f->reset_at = q->killed_at;
        f->reset_by = q->killed_by;
        f->reset_lost = q->killed_lost;
    }
    f->fault = f->c.faults > 0;
}

static void unexplained(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    struct diag_cause *c = diag_add(d, f, "unexplained", "2.6", "Split Virtqueues");
    diag_ev(c, "notifies_for_queue", "%u", f->notifies);
    diag_ev(c, "requests_taken", "%u", f->pops);
    diag_ev(c, "answers_written", "%u", f->used);
    if (f->q && !diag_split(f)) {
        diag_ev(c, "queue_live", "%s", f->q->live ? "yes" : "no");
        diag_ev(c, "ring", "packed");
        diag_ev(c, "device_next_offset", "%u", f->q->last_avail_idx);
        diag_ev(c, "device_used_offset", "%u", f->q->used_idx);
    } else if (f->q) {
        uint16_t avail_idx = 0, used_idx = 0;
        gm_read16(&m->mem, f->q->avail + 2, &avail_idx);
        gm_read16(&m->mem, f->q->used + 2, &used_idx);
        diag_ev(c, "queue_live", "%s", f->q->live ? "yes" : "no");
        diag_ev(c, "avail_idx_in_memory", "%u", avail_idx);
        diag_ev(c, "device_avail_idx_seen", "%u", f->q->last_avail_idx);
        diag_ev(c, "used_idx_in_memory", "%u", used_idx);
        diag_ev(c, "device_used", "0x%llx", (unsigned long long)f->q->used);
    }
    if (f->poll.seen) {
        diag_ev(c, "driver_polled", "0x%llx", (unsigned long long)f->poll.addr);
        diag_ev(c, "driver_polls", "%s%u", f->poll.at_least ? "at least " : "", f->poll.count);
    }
    diag_ev(c, "InterruptStatus", "0x%x", m->dev.isr);
    diag_ev(c, "Status", "0x%x", m->dev.status);
    const struct diag_driver_view *dv = &f->rq->driver;
    bool known = dv->known || f->poll.seen;
    uint64_t driver_used = dv->known ? dv->used : f->poll.seen ? f->poll.addr - 2 : 0;
    if (f->used && known) {
        diag_ev(c, "driver_used", "0x%llx", (unsigned long long)driver_used);
        diag_say(c, "vqsim cannot explain this timeout. The device answered %u request(s) on "
                    "queue %u in the used ring the driver reads (at 0x%llx, %s), yet the driver "
                    "still timed out. The evidence is below; nothing is guessed.", f->used,
                 f->rq->queue, (unsigned long long)driver_used,
                 dv->known ? "as the driver reported" : "where it polls used.idx");
    } else if (f->used) {
        diag_ev(c, "driver_used", "unknown");
        diag_say(c, "vqsim cannot explain this timeout. The device answered %u request(s) on "
                    "queue %u, in the used ring at 0x%llx where it placed it (%s); where the "
                    "driver reads its used ring, vqsim does not know: the driver did not report "
                    "its queue placement (queue_placed) and no load of its used.idx was seen%s. "
                    "The evidence is below; nothing is guessed.", f->used, f->rq->queue,
                 (unsigned long long)(f->q ? f->q->used : 0),
                 m->dev.version == 1 ? "from QueuePFN, QueueNum and QueueAlign"
                                     : "QueueDevice",
                 m->bc.mode == BC_PLAIN ? " (plain ring access: the driver's loads are not seen)"
                                        : "");
    }
    else if (f->pops)
        diag_say(c, "vqsim cannot explain this timeout. The device took %u request(s) from "
                    "queue %u but returned none before the deadline, and no rule, fault or "
                    "setup problem it knows of accounts for it. The evidence is below; nothing "
                    "is guessed.", f->pops, f->rq->queue);
    else
        diag_say(c, "vqsim cannot explain this timeout. Nothing it knows of (setup, notify, "
                    "ring indices, a broken or reset device, interrupts) accounts for queue %u "
                    "getting no answer. The evidence is below; nothing is guessed.",
                 f->rq->queue);
}

/* The driver polled a register until its deadline (no request was made): which one, what it
 * read, and whether what it read was what the device returned. */
static void register_wait(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    static const struct rf_mark start;
    const struct rf_mark *mk = f->rq->mark && f->rq->mark->set ? f->rq->mark : &start;
    const struct run_facts *rf = &m->facts;
    const struct rf_reg *last = NULL;
    uint32_t slot = 0, reads = 0;
    uint64_t from = f->rq->since;
    if (rf->last_read_slot >= 0 && rf->reg[rf->last_read_slot].read_t >= f->rq->since) {
        slot = (uint32_t)rf->last_read_slot;
        last = &rf->reg[slot];
        /* the reads since the request that returned the value it read last, in a row */
        reads = since(last->reads, mk->reads[slot]);
        if (last->same_reads < reads) {
            reads = last->same_reads;
            from = last->same_since;
        }
    }
    struct diag_cause *c = diag_add(d, f, "register-wait", "2.1.2",
                                    "Device Requirements: Device Status Field");
    if (!last) {
        diag_say(c, "The driver timed out during initialisation without reading any register "
                    "since t=%llu ns. The evidence is below.", (unsigned long long)f->rq->since);
        return;
    }
    uint32_t off = slot < VIRTIO_MMIO_CONFIG / 4 ? slot * 4
                                                 : VIRTIO_MMIO_CONFIG + (slot - VIRTIO_MMIO_CONFIG / 4) * 4;
    const char *what = mmio_reg_name(off);
    bool status = off == VIRTIO_MMIO_STATUS;
    diag_ev(c, "register", "%s", what ? what : "?");
    diag_ev(c, "value_read", "0x%llx", (unsigned long long)last->read_value);
    diag_ev(c, "reads", "%u", reads);
    diag_ev(c, "device_value", "0x%x", status ? m->dev.status : 0);
    if (last->read_note)
        diag_ev(c, "note", "%s", last->read_note);
    diag_say(c, "The driver gave up waiting for %s: %u read(s) since t=%llu ns all returned "
                "0x%llx. %s", what ? what : "a register", reads,
             (unsigned long long)from, (unsigned long long)last->read_value,
             status ? "It was waiting for the reset it had written (Status = 0) to read back as "
                      "0; a device initialises Status to 0 on reset (§2.1.2), and this one holds "
                      "0x0."
                    : "");
    if (last->read_note)
        diag_more(c, " The value the driver saw is not what the device returned (%s): the "
                     "driver misreads the register.", last->read_note);
}

void diagnose(struct machine *m, const struct diag_request *rq, struct diagnosis *out)
{
    memset(out, 0, sizeof(*out));
    struct diag_facts f;
    memset(&f, 0, sizeof(f));
    f.rq = rq;
    gather(m, &f);
    if (diag_pci_causes(m, &f, out))
        return;
    if (rq->kind == DIAG_REGISTER_WAIT) {
        register_wait(m, &f, out);
        return;
    }
    diag_setup_causes(m, &f, out);
    diag_device_causes(m, &f, out);
    if (!f.device_explains) { /* (those read a request of the driver's: a device's event is not) */
        diag_request_causes(m, &f, out);
        diag_packed_causes(m, &f, out);
    }
    diag_irq_causes(m, &f, out);
    if (out->n_causes == 0 && rq->kind == DIAG_TIMEOUT)
        unexplained(m, &f, out);
}

void diagnose_timeout(struct machine *m, uint32_t queue, uint64_t since, struct diagnosis *out)
{
    struct diag_request rq = {.kind = DIAG_TIMEOUT, .queue = queue, .since = since};
    diagnose(m, &rq, out);
}
