/* diagnosis.c — see diagnosis.h. */
#include "diagnosis.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../driver/virtio_spec.h"
#include "machine.h"

static void ev(struct diagnosis *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ev(struct diagnosis *d, const char *key, const char *fmt, ...)
{
    if (d->n_evidence >= DIAG_MAX_EVIDENCE)
        return;
    va_list ap;
    va_start(ap, fmt);
    d->evidence[d->n_evidence].key = key;
    vsnprintf(d->evidence[d->n_evidence].value, sizeof(d->evidence[0].value), fmt, ap);
    va_end(ap);
    d->n_evidence++;
}

static void say(struct diagnosis *d, const char *cause, const char *section, const char *title,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void say(struct diagnosis *d, const char *cause, const char *section, const char *title,
                const char *fmt, ...)
{
    d->cause = cause;
    d->section = section;
    d->title = title;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, ap);
    va_end(ap);
}

/* The ring address the driver polled most since `since` (its used.idx, when it waits). */
static const struct trace_event *driver_poll(const struct machine *m, uint64_t since)
{
    const struct trace_event *best = NULL;
    for (size_t i = trace_first_since(&m->trace, since); i < m->trace.len; i++) {
        const struct trace_event *e = &m->trace.ev[i];
        if (e->t >= since && e->kind == TR_RING_LOAD && e->size == 2 &&
            (!best || e->count > best->count))
            best = e;
    }
    return best;
}

void diagnose_timeout(struct machine *m, uint32_t queue, uint64_t since, struct diagnosis *out)
{
    memset(out, 0, sizeof(*out));
    const struct mmio_device *dev = &m->dev;
    const struct dev_queue *q = queue < MMIO_NUM_QUEUES ? &dev->q[queue] : NULL;
    ev(out, "queue", "%u", queue);
    ev(out, "waited_from_ns", "%llu", (unsigned long long)since);
    ev(out, "timed_out_at_ns", "%llu", (unsigned long long)m->now);

    /* Gather what happened since the request was made. */
    uint32_t notifies = 0, other_notifies = 0, dropped_notifies = 0, ignored_notifies = 0;
    uint32_t other_queue = 0, pops = 0, used = 0;
    const char *ignored_note = NULL;
    uint64_t last_used_elem = 0;
    for (size_t i = trace_first_since(&m->trace, since); i < m->trace.len; i++) {
        const struct trace_event *e = &m->trace.ev[i];
        if (e->t < since)
            continue;
        if (e->kind == TR_MMIO_WRITE && e->addr == VIRTIO_MMIO_QUEUE_NOTIFY) {
            if (e->note == fault_note_dropped)
                dropped_notifies++;
            else if (e->value != queue) {
                other_notifies++;
                other_queue = (uint32_t)e->value;
            } else if (e->note) {
                ignored_notifies++;
                ignored_note = e->note;
            }
        }
        if (e->kind == TR_NOTIFY && e->value == queue)
            notifies++;
        if (e->kind == TR_POP && e->queue == queue)
            pops++;
        if (e->kind == TR_USED && e->queue == queue) {
            used++;
            last_used_elem = e->addr;
        }
    }

    if (dev->broken) {
        const struct violation *v = NULL;
        for (uint32_t i = 0; i < m->n_violations; i++)
            if (!strcmp(m->violations[i].rule->id, dev->broken_rule))
                v = &m->violations[i];
        ev(out, "broken_by", "%s", dev->broken_rule);
        ev(out, "broken_at_ns", "%llu", (unsigned long long)dev->broken_at);
        ev(out, "needs_reset_set", "%s", dev->broken_signalled ? "yes" : "no");
        ev(out, "needs_reset_now", "%s", dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET ? "yes" : "no");
        say(out, "device-broken", v ? v->rule->section : "2.1", v ? v->rule->title : "",
            "The device stopped processing requests at t=%llu ns because of an earlier error "
            "(%s: %s). From then on it ignored every notification, as QEMU does after "
            "virtio_error(); only a device reset revives it. %s Fix the ring error first; a "
            "driver should check DEVICE_NEEDS_RESET in Status when a request times out.",
            (unsigned long long)dev->broken_at, dev->broken_rule, v ? v->message : "",
            !dev->broken_signalled
                ? "VERSION_1 was not negotiated, so the device did not even set "
                  "DEVICE_NEEDS_RESET: from outside it simply looks dead."
                : dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET
                      ? "Status has DEVICE_NEEDS_RESET (0x40) set."
                      : "The device set DEVICE_NEEDS_RESET (0x40), but a later Status write by "
                        "the driver replaced it (QEMU stores the value written).");
        return;
    }

    if (q && !q->live) {
        /* Writes the device ignored because the register belongs to the other version: the
         * driver believes it talks to another kind of device. */
        char other[160] = "";
        size_t n_other = 0;
        for (size_t i = 0; i < m->trace.len; i++) {
            const struct trace_event *e = &m->trace.ev[i];
            if (e->kind != TR_MMIO_WRITE || !mmio_reg_other_version((uint32_t)e->addr, dev->version) ||
                strstr(other, e->what))
                continue;
            size_t l = strlen(other);
            snprintf(other + l, sizeof(other) - l, "%s%s", l ? ", " : "", e->what);
            n_other++;
        }
        if (n_other) {
            ev(out, "ignored_writes", "%s", other);
            say(out, "queue-not-ready", dev->version == 1 ? "4.2.4" : "4.2.3.2",
                dev->version == 1 ? "Legacy interface" : "Virtqueue Configuration",
                "Queue %u was never made live: the driver set it up with registers this version "
                "%u device does not have (%s), and the device ignored every one of them. Read "
                "the Version register and follow §4.2.3.2 for version 2 or §4.2.4 (GuestPageSize, "
                "QueueAlign, QueuePFN) for version 1.", queue, dev->version, other);
            return;
        }
        if (dev->version == 2) {
            ev(out, "QueueReady", "%u", q->ready);
            ev(out, "QueueDesc", "0x%llx", (unsigned long long)q->reg_desc);
            say(out, "queue-not-ready", "4.2.3.2", "Virtqueue Configuration",
                "Queue %u was never made live on the device: %s The device latches the ring "
                "addresses only when QueueReady is written with 1 (§4.2.3.2), so every "
                "QueueNotify for this queue was ignored. Write QueueDesc/Driver/Device, then "
                "QueueReady = 1, before DRIVER_OK.",
                queue, q->ready ? "QueueReady is 1 but the descriptor address is 0."
                                : "QueueReady was never written with 1.");
        } else {
            ev(out, "QueuePFN", "0x%x", q->pfn);
            ev(out, "GuestPageSize_written", "%s", dev->guest_page_size_written ? "yes" : "no");
            say(out, "queue-not-ready", "4.2.4", "Legacy interface",
                "Queue %u was never made live on the legacy device: QueuePFN is 0x%x, so the "
                "device has no ring address and ignored every QueueNotify. Write GuestPageSize, "
                "QueueNum, QueueAlign and then QueuePFN = ring address / page size (§4.2.4).",
                queue, q->pfn);
        }
        return;
    }

    if (notifies == 0) {
        ev(out, "notifies_for_queue", "0");
        if (dropped_notifies)
            ev(out, "notify_writes_lost", "%u", dropped_notifies);
        if (other_notifies) {
            ev(out, "notified_queue", "%u", other_queue);
            say(out, "no-notify", "4.2.3.3", "Notifying The Device",
                "The driver wrote QueueNotify with %u, not with queue %u: the device looked at "
                "the wrong queue and never saw the request (§4.2.3.3: the value written is the "
                "queue index).", other_queue, queue);
        } else if (ignored_notifies) {
            ev(out, "ignored_because", "%s", ignored_note);
            say(out, "no-notify", "4.2.3.3", "Notifying The Device",
                "The driver notified queue %u, but the device ignored it (%s).", queue,
                ignored_note);
        } else {
            say(out, "no-notify", "2.6.13.4", "Notifying The Device",
                "The driver never wrote QueueNotify for queue %u after making the request "
                "available, so the device never looked at the queue. QEMU does not poll rings: "
                "a buffer is processed only after a notification (§2.6.13.4, §4.2.3.3).", queue);
        }
        return;
    }

    uint16_t avail_idx = 0;
    gm_read16(&m->mem, q->avail + 2, &avail_idx);
    ev(out, "notifies_for_queue", "%u", notifies);
    ev(out, "device_avail_idx_seen", "%u", q->last_avail_idx);
    ev(out, "avail_idx_in_memory", "%u", avail_idx);
    if (pops == 0) {
        say(out, "avail-idx-not-advanced", "2.6.13.3", "Updating idx",
            "The device was notified %u time(s) but found nothing new: avail.idx at 0x%llx "
            "reads %u, which the device had already consumed. The driver must store the new "
            "avail.idx (after a write barrier) before it notifies (§2.6.13.3, §2.6.13.4).",
            notifies, (unsigned long long)(q->avail + 2), avail_idx);
        return;
    }

    const struct trace_event *poll = driver_poll(m, since);
    uint64_t dev_used_idx = q->used + 2;
    ev(out, "device_used", "0x%llx", (unsigned long long)q->used);
    ev(out, "device_used_idx", "%u", q->used_idx);
    if (used && poll && poll->addr != dev_used_idx) {
        uint64_t driver_used = poll->addr - 2;
        ev(out, "driver_used", "0x%llx", (unsigned long long)driver_used);
        ev(out, "driver_polls", "%u", poll->count);
        ev(out, "driver_saw_used_idx", "%llu", (unsigned long long)poll->value);
        if (dev->version == 1)
            ev(out, "QueueAlign", "%u", q->align);
        say(out, "used-ring-mismatch", dev->version == 1 ? "2.6.2" : "2.6",
            dev->version == 1 ? "Legacy Interfaces: A Note on Virtqueue Layout" : "Split Virtqueues",
            "The device processed the request and wrote its used element at 0x%llx (used ring "
            "at 0x%llx, used.idx now %u), but the driver polled used.idx at 0x%llx, where "
            "nothing was ever written: the driver's used ring is at 0x%llx. %s",
            (unsigned long long)last_used_elem, (unsigned long long)q->used, q->used_idx,
            (unsigned long long)poll->addr, (unsigned long long)driver_used,
            dev->version == 1
                ? "On a legacy device the used ring is not given by address: the device puts "
                  "it at the next QueueAlign boundary after the available ring (§2.6.2, "
                  "§4.2.4). Lay the ring out with the same alignment you write to QueueAlign "
                  "(the page size, 4096, unless you write another value)."
                : "Tell the device the same used-ring address the driver reads (QueueDevice).");
        return;
    }

    if (used) {
        say(out, "unexplained", "2.6.14", "Receiving Used Buffers From The Device",
            "The device answered %u request(s) on queue %u in the used ring the driver polls, "
            "yet the driver still timed out. The evidence is below; vqsim cannot tell more.",
            used, queue);
        return;
    }
    say(out, "unexplained", "2.6", "Split Virtqueues",
        "The device took %u request(s) from queue %u but returned none before the deadline. "
        "The evidence is below; vqsim cannot tell more.", pops, queue);
}
