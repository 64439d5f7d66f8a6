/* diagnosis_request.c — causes in what became of the request once the queue was set up: the
 * notify (D7), avail.idx (D8), a broken device (D9), a reset (D11), a command shorter than the
 * gpu header (D10), an injected device fault, and a response buffer too short (D16). */
#include <stdio.h>
#include <string.h>

#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "model/devices/gpu_device.h"
#include "model/diagnosis/diagnosis_internal.h"
#include "model/rings/packed_ring.h"

/* Did the device itself ask not to be notified of avail.idx moving from `from` to `now`? With
 * EVENT_IDX, an avail_event the device wrote (and nobody changed since) that the move does not
 * pass (§2.6.10). The device never sets used.flags NO_NOTIFY (QEMU's gpu does not): a flag found
 * there is the driver's own. */
static bool device_suppressed(struct machine *m, const struct diag_facts *f, uint16_t now,
                              uint16_t from)
{
    if (!f->q || !f->fq || !notify_event_idx(m) || !f->fq->avail_event_set)
        return false;
    uint16_t ev = 0;
    gm_read16(&m->mem, f->q->used + 4 + 8ull * f->q->live_num, &ev);
    return ev == f->fq->avail_event && !vring_need_event(ev, now, from);
}

/* D7, later requests: the driver notified for earlier requests (the device found them and took
 * them), then published more and wrote no QueueNotify after: the device never looked again. */
static void no_notify_after(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct rf_queue *fq = f->fq;
    if (!f->notifies || !f->q || !f->q->live || m->dev.broken || !fq->kick_new || !diag_split(f))
        return;
    uint16_t avail_idx = 0;
    gm_read16(&m->mem, f->q->avail + 2, &avail_idx);
    if (avail_idx == fq->kick_avail_idx || avail_idx == f->q->last_avail_idx ||
        fq->last_publish_at <= fq->last_notify_at)
        return;
    uint16_t unseen = (uint16_t)(avail_idx - f->q->last_avail_idx);
    if (unseen > f->q->live_num)
        return; /* not requests: an index the device cannot take (its own rules say so) */
    if (device_suppressed(m, f, avail_idx, fq->kick_avail_idx))
        return;
    struct diag_cause *c = diag_add(d, f, "no-notify", "4.2.3.3", "Available Buffer Notifications");
    diag_ev(c, "notifies_for_queue", "%u", f->notifies);
    diag_ev(c, "last_notify_at_ns", "%llu", (unsigned long long)fq->last_notify_at);
    diag_ev(c, "avail_idx_at_last_notify", "%u", fq->kick_avail_idx);
    diag_ev(c, "avail_idx_in_memory", "%u", avail_idx);
    diag_ev(c, "avail_idx_stored_at_ns", "%llu", (unsigned long long)fq->last_publish_at);
    diag_ev(c, "device_avail_idx_seen", "%u", f->q->last_avail_idx);
    diag_ev(c, "requests_not_notified", "%u", unseen);
    diag_say(c, "The driver notified queue %u %u time(s) since the request, the last at t=%llu ns "
                "when avail.idx read %u, and the device took everything up to it. It then "
                "published avail.idx = %u (last store at t=%llu ns) and wrote no QueueNotify "
                "after it, so the device never looked at the %u request(s) published since. A "
                "device need not poll the rings (QEMU never does): every publication needs its "
                "notification unless the device suppressed it (§2.6.13.4, §4.2.3.3).",
             f->rq->queue, f->notifies, (unsigned long long)fq->last_notify_at,
             fq->kick_avail_idx, avail_idx, (unsigned long long)fq->last_publish_at, unseen);
}

/* D7: the notify for this queue never reached the device. */
static void no_notify(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    if (f->rq->kind != DIAG_TIMEOUT || diag_has(d, "pci-notify-wrong-offset"))
        return; /* diagnosis_pci.c: the notify was made, at another queue's address */
    if (f->rq->queue >= m->dev.n_queues)
        return; /* a queue the device does not have: no notify reaches it (D6 says why) */
    if (f->notifies + f->notify_writes_ignored > 0) {
        no_notify_after(m, f, d);
        return;
    }
    if (f->pops)
        return; /* the device took requests from the queue meanwhile: it was not unaware of it
                 * (a device-fed queue, a receiveq, posted before the wait) */
    if (f->q && f->q->live) { /* a request published, and the device asked not to be told */
        uint16_t avail_idx = 0;
        gm_read16(&m->mem, f->q->avail + 2, &avail_idx);
        if (device_suppressed(m, f, avail_idx, f->q->last_avail_idx))
            return;
    }
    struct diag_cause *c = diag_add(d, f, "no-notify", "4.2.3.3", "Available Buffer Notifications");
    diag_ev(c, "notifies_for_queue", "0");
    if (f->notify_writes_dropped)
        diag_ev(c, "notify_writes_lost", "%u", f->notify_writes_dropped);
    if (f->notify_writes_other) {
        diag_ev(c, "notified_queue", "%u", f->other_queue);
        diag_say(c, "The driver wrote QueueNotify with %u, not with queue %u: the device looked "
                    "at the wrong queue and never saw the request. The value written to "
                    "QueueNotify is the index of the queue that has new buffers (§4.2.3.3).",
                 f->other_queue, f->rq->queue);
    } else {
        diag_say(c, "The driver never wrote QueueNotify for queue %u after making the request "
                    "available%s, so the device never looked at the queue. A device need not "
                    "poll the rings (QEMU never does): the driver sends an available buffer "
                    "notification after publishing avail.idx unless the device suppressed it "
                    "(§2.6.13.4, §4.2.3.3).", f->rq->queue,
                 f->notify_writes_dropped ? " (the write was lost on its way)" : "");
    }
}

/* D8: notified, but avail.idx showed nothing new when the device looked. */
static void avail_idx(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    /* (the device took nothing since the last notify: that notify found nothing new) */
    if (f->rq->kind != DIAG_TIMEOUT || !f->q || !f->q->live || f->notifies == 0 || !diag_split(f) ||
        (f->pops && f->fq->last_pop_at >= f->last_notify_at) || diag_has(d, "no-notify") ||
        m->dev.broken || f->resets || f->layout_explains)
        return;
    uint16_t avail_idx = 0;
    gm_read16(&m->mem, f->q->avail + 2, &avail_idx);
    bool late = f->avail_idx_stored && f->avail_idx_store_at > f->last_notify_at &&
                avail_idx != f->q->last_avail_idx;
    struct diag_cause *c = diag_add(d, f, "avail-idx-not-advanced", "2.6.13.3", "Updating idx");
    diag_ev(c, "notifies_for_queue", "%u", f->notifies);
    diag_ev(c, "notified_at_ns", "%llu", (unsigned long long)f->last_notify_at);
    diag_ev(c, "device_avail_idx_seen", "%u", f->q->last_avail_idx);
    diag_ev(c, "avail_idx_in_memory", "%u", avail_idx);
    diag_ev(c, "avail_idx_at", "0x%llx", (unsigned long long)(f->q->avail + 2));
    if (f->avail_idx_stored)
        diag_ev(c, "avail_idx_stored_at_ns", "%llu", (unsigned long long)f->avail_idx_store_at);
    if (late)
        diag_say(c, "The driver notified queue %u at t=%llu ns but stored avail.idx = %u only "
                    "at t=%llu ns, after the device had looked and found nothing new; no second "
                    "notify followed, so the request was never seen. Store avail.idx, then a "
                    "memory barrier, then notify (§2.6.13.3, §2.6.13.4).", f->rq->queue,
                 (unsigned long long)f->last_notify_at, avail_idx,
                 (unsigned long long)f->avail_idx_store_at);
    else
        diag_say(c, "The device was notified %u time(s) but found nothing new: avail.idx at "
                    "0x%llx reads %u, which the device had already consumed. The driver must "
                    "store the new avail.idx (after a write barrier) before it notifies "
                    "(§2.6.13.3, §2.6.13.4).", f->notifies,
                 (unsigned long long)(f->q->avail + 2), avail_idx);
}

/* D9: the device is broken by an earlier error and ignores every notify until reset. */
static void device_broken(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct mmio_device *dev = &m->dev;
    if (!dev->broken)
        return;
    const struct rule *v = dev->broken_rule ? rules_find(m->rules, dev->broken_rule) : NULL;
    struct diag_cause *c = diag_add(d, f, "device-broken", v ? v->section : "2.1.2",
                                    v ? v->title : "Device Requirements: Device Status Field");
    if (dev->broken_rule)
        diag_ev(c, "broken_by", "%s", dev->broken_rule);
    else
        diag_ev(c, "broken_by", "device fault %s", dev->broken_fault ? dev->broken_fault : "?");
    diag_ev(c, "broken_at_ns", "%llu", (unsigned long long)dev->broken_at);
    diag_ev(c, "needs_reset_set", "%s", dev->broken_signalled ? "yes" : "no");
    diag_ev(c, "needs_reset_now", "%s", dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET ? "yes" : "no");
    diag_ev(c, "notify_writes_ignored", "%u", f->notify_writes_ignored);
    const char *signal =
        !dev->broken_signalled
            ? "VERSION_1 was not negotiated, so the device did not even set DEVICE_NEEDS_RESET: "
              "from outside it simply looks dead."
        : dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET
            ? "Status has DEVICE_NEEDS_RESET (0x40) set."
            : "The device set DEVICE_NEEDS_RESET (0x40), but a later Status write by the driver "
              "replaced it (QEMU stores the value written).";
    if (v)
        diag_say(c, "The device stopped processing requests at t=%llu ns because of an earlier "
                    "error (%s: %s). From then on it ignored every notification, as QEMU does "
                    "after virtio_error(); only a device reset revives it. %s Fix the ring error "
                    "first; a driver should check DEVICE_NEEDS_RESET in Status when a request "
                    "times out (§2.1.1) and reset the device.", (unsigned long long)dev->broken_at,
                 dev->broken_rule, m->facts.broken_why, signal);
    else
        diag_say(c, "The device stopped processing requests at t=%llu ns: %s (%s). From then on "
                    "it ignored every notification. %s The driver did nothing wrong here; its "
                    "timeout handling should read Status, see DEVICE_NEEDS_RESET and reset and "
                    "re-initialise the device (§2.1.1, §2.1.2).",
                 (unsigned long long)dev->broken_at,
                 dev->broken_fault ? device_fault_effect(DF_SET_NEEDS_RESET) : "an internal error",
                 dev->broken_fault ? "an injected device fault" : "no rule was broken", signal);
}

/* D11: the device was reset while the request was queued: QEMU frees it without an answer. */
static void reset_while_queued(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    (void)m;
    if (!f->reset || !f->reset_lost) /* nothing of this queue was queued: queue-not-ready */
        return;
    const char *by = f->reset_by ? f->reset_by : "unknown";
    struct diag_cause *c = diag_add(d, f, "reset-while-queued", "3.3", "Device Cleanup");
    diag_ev(c, "reset_at_ns", "%llu", (unsigned long long)f->reset_at);
    diag_ev(c, "reset_by", "%s", by);
    diag_ev(c, "requests_lost", "%llu", (unsigned long long)f->reset_lost);
    diag_ev(c, "queue_live_now", "%s", f->q && f->q->live ? "yes" : "no");
    diag_say(c, "The device was reset at t=%llu ns by %s while %llu request(s) of this queue were "
                "queued or in progress. A reset makes every queue not live and drops what it held without a "
                "used element, so this request will never be answered%s. Do not reset a device "
                "with requests in flight, or treat them as lost: after a reset, reclaim their "
                "buffers, set the device up again (§3.1.1) and resubmit (§3.3).",
             (unsigned long long)f->reset_at, by, (unsigned long long)f->reset_lost,
             f->q && !f->q->live ? "; the queue is not even set up any more" : "");
}

/* D10: a request shorter than the gpu's 24-byte header: QEMU parks it and never answers. */
static void command_too_short(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    uint32_t n = f->c.short_headers;
    if (!n)
        return;
    const struct rf_short *sh = rf_first_since(f->fq->short_header, n,
                                               f->fq->c.short_headers);
    struct diag_cause *c = diag_add(d, f, "command-too-short", "5.7.6.7",
                                    "Device Operation: Request header");
    uint64_t da = f->q ? f->q->desc + 16ull * sh->head : 0;
    uint64_t addr = 0;
    uint32_t len = 0;
    if (f->q) {
        gm_read64(&m->mem, da, &addr);
        gm_read32(&m->mem, da + 8, &len);
    }
    diag_ev(c, "head", "%llu", (unsigned long long)sh->head);
    diag_ev(c, "readable_bytes", "%llu", (unsigned long long)sh->readable);
    diag_ev(c, "header_bytes", "%zu", sizeof(struct virtio_gpu_ctrl_hdr));
    diag_ev(c, "desc_addr", "0x%llx", (unsigned long long)addr);
    diag_ev(c, "desc_len", "%u", len);
    diag_ev(c, "at_ns", "%llu", (unsigned long long)sh->t);
    diag_ev(c, "requests_parked", "%u", n);
    diag_say(c, "The device took the request (head %llu) but its device-readable part is only "
                "%llu byte(s) (descriptor at 0x%llx, len %u), shorter than the %zu-byte "
                "virtio_gpu_ctrl_hdr every command starts with. QEMU cannot even read the command "
                "type: it parks the request and never answers it (after a queue's worth of them "
                "it breaks the device). Send the whole command struct, header first, in the "
                "readable buffers (§5.7.6.7).", (unsigned long long)sh->head,
             (unsigned long long)sh->readable, (unsigned long long)addr, len,
             sizeof(struct virtio_gpu_ctrl_hdr));
}

/* An injected device fault withheld or mangled the answer (reset and set-needs-reset are
 * reported as the state they leave: reset-while-queued, device-broken). */
static void device_fault(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct rf_fault *fl = NULL;
    if (f->fault) {
        fl = rf_first_since(f->fq->fault, f->c.faults, f->fq->c.faults);
    } else if (f->fq && f->fq->c.faults &&
               !strcmp(f->fq->fault[1].name, device_fault_names[DF_EVENT_INDEX])) {
        /* an event index written before the request that still stands in memory */
        uint16_t now = 0;
        gm_read16(&m->mem, f->fq->fault[1].at, &now);
        if (now == (uint16_t)f->fq->fault[1].value)
            fl = &f->fq->fault[1];
    }
    if (!fl)
        return;
    enum df_kind k = DF_KIND_COUNT;
    for (int j = 0; j < DF_KIND_COUNT; j++)
        if (!strcmp(fl->name, device_fault_names[j]))
            k = (enum df_kind)j;
    if (k == DF_DROP_INTERRUPT && !f->rq->driver.waits_for_interrupt && f->rq->kind == DIAG_TIMEOUT &&
        f->used)
        return; /* a polling driver does not need the interrupt */
    bool split = diag_split(f);
    struct diag_cause *c =
        split ? diag_add(d, f, "device-fault", "2.6.8", "The Virtqueue Used Ring")
              : diag_add(d, f, "device-fault", "2.7.22", "Receiving Used Buffers From The Device");
    diag_ev(c, "fault", "%s", device_fault_names[k]);
    diag_ev(c, "request", "%u", fl->request);
    diag_ev(c, "head", "%llu", (unsigned long long)fl->addr);
    diag_ev(c, "at_ns", "%llu", (unsigned long long)fl->t);
    if (k == DF_RESPOND_LATE)
        diag_ev(c, "answer_due_ns", "%llu", (unsigned long long)fl->value);
    if (f->q && split) {
        uint16_t used_idx = 0;
        gm_read16(&m->mem, f->q->used + 2, &used_idx);
        diag_ev(c, "used_idx_in_memory", "%u", used_idx);
        diag_ev(c, "device_used_idx", "%u", f->q->used_idx);
    } else if (f->q) { /* packed: where the device writes its next used descriptor */
        diag_ev(c, "device_used_offset", "%u", f->q->used_idx);
        diag_ev(c, "device_used_wrap_counter", "%u", packed_used_wrap(f->q));
    }
    diag_say(c, "The driver did its part: the device took request %u (head %llu) at t=%llu ns, "
                "but %s — an injected device fault (scenario device_faults: %s). ", fl->request,
             (unsigned long long)fl->addr, (unsigned long long)fl->t,
             split ? device_fault_effect(k) : device_fault_effect_packed(k),
             device_fault_names[k]);
    switch (k) {
    case DF_RESPOND_LATE:
        diag_more(c, "The answer was due at t=%llu ns, after the driver's deadline. ",
                  (unsigned long long)fl->value);
        break;
    case DF_USED_IDX_WITHOUT_ELEMENT:
        diag_more(c, "The driver read a used %s that was never written (a stale id and "
                     "length). ", split ? "element" : "descriptor");
        break;
    case DF_USED_ELEMENT_WITHOUT_IDX:
        diag_more(c, split ? "Without the used.idx store the element is invisible (§2.6.8). "
                           : "Until its flags show AVAIL = USED = the device's wrap counter the "
                             "descriptor is not used, and the driver does not read it (§2.7.1). ");
        break;
    case DF_EVENT_INDEX:
        diag_ev(c, "event_index_at", "0x%llx", (unsigned long long)fl->at);
        diag_ev(c, "event_index_written", "%llu", (unsigned long long)fl->value);
        diag_more(c, "It wrote %llu at 0x%llx (%s); with VIRTIO_F_EVENT_IDX the driver notifies, "
                     "and the device interrupts, only when the index passes that value (§2.6.7.2, "
                     "§2.6.10). ", (unsigned long long)fl->value, (unsigned long long)fl->at,
                  f->q && fl->at == f->q->used + 4 + 8ull * f->q->live_num ? "avail_event"
                                                                             : "used_event");
        break;
    default:
        break;
    }
    diag_more(c, "This is what the driver's timeout handling is for: give up on the request "
                 "without touching its buffers (the device still owns them), check Status for "
                 "DEVICE_NEEDS_RESET, and reset the device to get them back (§2.1.1, §3.3).");
}

/* D16: the response (device-writable) buffer is missing or shorter than the answer. */
static void response_too_short(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    (void)m;
    if (!f->c.truncated)
        return;
    const struct rf_trunc *tr = rf_first_since(f->fq->trunc, f->c.truncated, f->fq->c.truncated);
    struct diag_cause *c = diag_add(d, f, "response-buffer-too-short", "5.7.6.7",
                                    "Device Operation: Request header");
    diag_ev(c, "head", "%llu", (unsigned long long)tr->head);
    diag_ev(c, "response_bytes", "%llu", (unsigned long long)tr->resp_len);
    diag_ev(c, "bytes_written", "%u", tr->written);
    diag_ev(c, "used_len", "%u", f->last_used_len);
    diag_ev(c, "at_ns", "%llu", (unsigned long long)tr->t);
    diag_say(c, "The device answered request (head %llu), but the answer is %llu bytes and the "
                "request had %s: the device wrote %u byte(s), returned used.len = %u, and QEMU "
                "logs \"response size incorrect\". The driver cannot read a response type from "
                "that. Give every command a device-writable buffer after the readable ones, at "
                "least as large as its response (24 bytes for the header, 408 for "
                "GET_DISPLAY_INFO; §2.6.4.2, §5.7.6.7).", (unsigned long long)tr->head,
             (unsigned long long)tr->resp_len,
             tr->written == 0 ? "no device-writable buffer at all" : "a shorter writable buffer",
             tr->written, f->last_used_len);
}

/* The device answered a command with an error: which command, what it named, the device's
 * reason (gpu_device.c), and what the driver can do about it. */
static void command_refused(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    (void)m;
    if (f->rq->kind != DIAG_BAD_RESPONSE || !f->c.errors)
        return;
    const struct rf_error *e = rf_first_since(f->fq->error, f->c.errors, f->fq->c.errors);
    const char *cmd = gpu_cmd_name(e->cmd), *resp = gpu_resp_name(e->resp);
    struct diag_cause *c = diag_add(d, f, "command-refused", "5.7.6.7",
                                    "Device Operation: Request header");
    if (cmd)
        diag_ev(c, "command", "%s", cmd);
    else
        diag_ev(c, "command", "0x%x", e->cmd);
    diag_ev(c, "response", "%s", resp ? resp : "?");
    if (e->resource)
        diag_ev(c, "resource", "%u", e->resource);
    if (e->scanout != UINT32_MAX)
        diag_ev(c, "scanout", "%u", e->scanout);
    diag_ev(c, "reason", "%s", e->reason);
    diag_ev(c, "head", "%u", e->head);
    diag_ev(c, "at_ns", "%llu", (unsigned long long)e->t);
    diag_ev(c, "errors_answered", "%u", f->c.errors);
    char named[64] = "";
    if (cmd)
        snprintf(named, sizeof(named), "%s", cmd);
    else
        snprintf(named, sizeof(named), "command type 0x%x", e->cmd);
    diag_say(c, "The device refused the %s it read (request head %u, at t=%llu ns) with %s: %s. "
                "It answered at once with that error and did nothing else: the ring works, the "
                "device did not accept the command as it read it. ", named, e->head,
                (unsigned long long)e->t, resp ? resp : "an error", e->reason);
    if (e->cmd == VIRTIO_GPU_CMD_RESOURCE_CREATE_2D && e->resp == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID &&
        e->resource)
        diag_more(c, "Resource ids are the driver's to allocate: RESOURCE_UNREF the old one "
                     "before creating it again, or pick an id not in use (§5.7.6.8).");
    else
        diag_more(c, "Check the command against §5.7.6.8 and against what the driver set up "
                     "before it (above: what it named).");
    if (f->c.errors > 1) /* rf_first_since: the first of the run, else the last one */
        diag_more(c, " The device refused %u command(s) since the request; this is the %s.",
                  f->c.errors, f->c.errors == f->fq->c.errors ? "first" : "last");
}

void diag_request_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    no_notify(m, f, d);
    avail_idx(m, f, d);
    device_broken(m, f, d);
    reset_while_queued(m, f, d);
    command_too_short(m, f, d);
    device_fault(m, f, d);
    response_too_short(m, f, d);
    command_refused(m, f, d);
    if (d->n_causes == 0 && f->rq->kind == DIAG_TIMEOUT && f->notifies == 0 &&
        f->notify_writes_ignored) {
        struct diag_cause *c = diag_add(d, f, "no-notify", "4.2.3.3",
                                        "Available Buffer Notifications");
        diag_ev(c, "notifies_for_queue", "0");
        diag_ev(c, "ignored_because", "%s", f->ignored_note);
        diag_say(c, "The driver notified queue %u, but the device ignored every notify (%s).",
                 f->rq->queue, f->ignored_note);
    }
}
