/* diagnosis_setup.c — causes in how the queue was set up: QueueSel (D6), GuestPageSize (D3),
 * QueueReady / QueuePFN (D1, D2), QueueNum (D5), rings outside RAM (D15), and the used ring the
 * device writes elsewhere than the driver reads (D4). These are the first causes: a request on
 * a queue set up wrong cannot be answered where the driver looks. */
#include <stdio.h>
#include <string.h>

#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis_internal.h"
#include "model/checks/status_checks.h"

static void append(char *buf, size_t len, const char *what)
{
    if (strstr(buf, what))
        return;
    size_t l = strlen(buf);
    snprintf(buf + l, len - l, "%s%s", l ? ", " : "", what);
}

/* The last write to register `off` in the run (lost or ignored ones included), or NULL. */
static const struct rf_reg *last_write(const struct machine *m, uint32_t off)
{
    uint32_t s = rf_slot(off);
    return s < RF_REGS && m->facts.reg[s].written ? &m->facts.reg[s] : NULL;
}

/* The names of a list of register slots, comma-separated. */
static void slot_names(char *buf, size_t len, const uint8_t *slots, uint32_t n)
{
    buf[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = mmio_reg_name(slots[i] * 4u);
        if (name)
            append(buf, len, name);
    }
}

/* The driver set the queue up again without a reset: in an initialisation it began without
 * one (init.step1-reset), or by making the queue live again (QueueReady, QueuePFN) with no reset
 * since it was last live. The device kept the queue's indices (QEMU keeps last_avail_idx,
 * used_idx and inuse across a queue setup; only a reset clears them) and read the new ring with
 * them. */
static void reinit_without_reset(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    uint32_t qi = f->rq->queue;
    const struct status_check_state *s = &m->status_checks;
    if (!f->q || !f->fq || !f->q->live)
        return;
    bool restarted = status_checks_reinit_live(m, qi) && s->reinit_live[qi];
    const struct rf_queue *fq = f->fq;
    uint16_t kept = restarted ? s->reinit_avail_idx[qi] : fq->relive_avail_idx;
    uint16_t kept_used = restarted ? s->reinit_used_idx[qi] : fq->relive_used_idx;
    if (!restarted && !(fq->relive && (kept || kept_used)))
        return;
    uint16_t avail_idx = 0;
    gm_read16(&m->mem, f->q->avail + 2, &avail_idx);
    struct diag_cause *c = diag_add(d, f, "reinit-without-reset", "3.1.1",
                                    "Driver Requirements: Device Initialization");
    if (restarted) {
        diag_ev(c, "reinit_at_ns", "%llu", (unsigned long long)s->reinit_at);
        diag_ev(c, "status_before", "0x%02x", s->reinit_from);
    }
    diag_ev(c, "device_avail_idx_kept", "%u", kept);
    diag_ev(c, "device_used_idx_kept", "%u", kept_used);
    diag_ev(c, "queue_live_again_at_ns", "%llu", (unsigned long long)fq->live_at);
    diag_ev(c, "avail_idx_in_memory", "%u", avail_idx);
    diag_ev(c, "device_avail_idx_now", "%u", f->q->last_avail_idx);
    if (restarted)
        diag_say(c, "The driver initialised the device again at t=%llu ns (Status = ACKNOWLEDGE "
                    "while the device held 0x%02x from the previous initialisation) without "
                    "resetting it first (§3.1.1 step 1: write 0 to Status and read it back as "
                    "0). ", (unsigned long long)s->reinit_at, s->reinit_from);
    else
        diag_say(c, "The driver set queue %u up again without resetting the device since the "
                    "queue was last live (no Status = 0 in between; §3.1.1 step 1). ", qi);
    diag_more(c, "Only a reset makes the device forget a queue: setting queue %u up again at "
                 "t=%llu ns made it live at the addresses written, but the device kept the "
                 "indices it had, avail index %u taken and used.idx %u, while the ring it was given "
                 "read avail.idx = %u then. ", qi, (unsigned long long)fq->live_at, kept,
              kept_used, fq->live_mem_avail_idx);
    uint16_t ahead = (uint16_t)(avail_idx - kept);
    if (m->dev.broken && m->dev.broken_rule)
        diag_more(c, "When the driver published avail.idx = %u, the device read it as %u entries "
                     "past the %u it had taken, took the slots from avail index %u on, whatever "
                     "they held, and broke (%s: %s).", avail_idx, ahead, kept, kept,
                  m->dev.broken_rule, m->facts.broken_why);
    else if (avail_idx == kept || (uint16_t)(kept - avail_idx) < 0x8000u)
        diag_more(c, "avail.idx = %u is not past the %u entries the device has taken, so it sees "
                     "nothing new: it will not take a request until avail.idx passes %u.",
                  avail_idx, kept, kept);
    else
        diag_more(c, "avail.idx = %u puts it %u entries past that, in slots the driver did not "
                     "fill for it.", avail_idx, ahead);
    f->setup_explains = f->layout_explains = true;
}

/* D6: QueueSel wrote an index with no queue behind it; the setup that followed went nowhere (or,
 * for ≥ 1024, which the device ignores, to the queue selected before). */
static bool queue_sel(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    if (!f->q || f->q->live)
        return false;
    const struct run_facts *rf = &m->facts;
    if (!rf->bad_sel.seen || (f->rq->queue < RF_QUEUES && rf->bad_sel.reselected[f->rq->queue]))
        return false;
    uint32_t kept = rf->bad_sel.kept;
    char regs[160];
    slot_names(regs, sizeof(regs), rf->bad_sel.after, rf->bad_sel.n_after);
    bool ignored = rf->bad_sel.value >= MMIO_QUEUE_NUM_MAX;
    struct diag_cause *c = diag_add(d, f, "queue-sel-out-of-range", "4.2.2",
                                    "MMIO Device Register Layout");
    diag_ev(c, "QueueSel", "%llu", (unsigned long long)rf->bad_sel.value);
    diag_ev(c, "QueueSel_at_ns", "%llu", (unsigned long long)rf->bad_sel.t);
    diag_ev(c, "queues_on_device", "%u", m->dev.n_queues);
    if (ignored)
        diag_ev(c, "selection_kept", "%u", kept);
    diag_ev(c, "setup_written_after", "%s", regs[0] ? regs : "none");
    diag_say(c, "The driver selected queue %llu (QueueSel at t=%llu ns), but this device has "
                "queues 0..%u only. ", (unsigned long long)rf->bad_sel.value,
             (unsigned long long)rf->bad_sel.t, m->dev.n_queues - 1);
    if (ignored)
        diag_more(c, "A value of 1024 or more is ignored altogether (QEMU keeps the previous "
                     "selection, queue %u), so the setup that followed (%s) was applied to "
                     "queue %u, not to queue %u. ", kept, regs[0] ? regs : "nothing", kept,
                  f->rq->queue);
    else
        diag_more(c, "The device accepted the selection, so every queue register that followed "
                     "(%s) configured a queue that does not exist and was dropped. ",
                  regs[0] ? regs : "nothing");
    diag_more(c, "Queue %u was never set up. Read QueueNumMax after selecting a queue: 0 means "
                 "the queue does not exist (§4.2.2, §4.2.3.2 step 2).", f->rq->queue);
    f->setup_explains = true;
    return true;
}

/* D3: a legacy driver that never wrote GuestPageSize: the device multiplies QueuePFN by 1. */
static bool guest_page_size(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct mmio_device *dev = &m->dev;
    if (dev->version != 1 || dev->guest_page_size_written || !f->q)
        return false;
    /* the queue's own QueuePFN (the last one written may be another queue's) */
    uint64_t pfn = f->q->pfn;
    if (!pfn)
        return false;
    const struct rf_reg *gps = last_write(m, VIRTIO_MMIO_GUEST_PAGE_SIZE);
    struct diag_cause *c = diag_add(d, f, "guest-page-size-missing", "4.2.4", "Legacy interface");
    diag_ev(c, "GuestPageSize_written", "no");
    if (gps && gps->note)
        diag_ev(c, "ignored_register", "GuestPageSize (%s)", gps->note);
    diag_ev(c, "QueuePFN", "0x%llx", (unsigned long long)pfn);
    diag_ev(c, "device_desc", "0x%llx", (unsigned long long)pfn);
    bool told = f->rq->driver.known;
    uint64_t meant = told ? f->rq->driver.desc : pfn * 4096;
    diag_ev(c, "driver_desc", "0x%llx%s", (unsigned long long)meant,
            told ? "" : " (QueuePFN x 4096, if the driver counts 4 KiB pages)");
    diag_say(c, "The device never got GuestPageSize, so its page shift is 0 and it took "
                "QueuePFN = 0x%llx as a byte address: it looks for the descriptor table at "
                "0x%llx instead of 0x%llx%s. %s A legacy driver writes GuestPageSize (the page "
                "size QueuePFN counts in, 4096) before any QueuePFN (§4.2.4).",
             (unsigned long long)pfn, (unsigned long long)pfn, (unsigned long long)meant,
             told ? " (where the driver put it)" : " (QueuePFN x 4096, for 4 KiB pages)",
             dev->broken ? "That address is not guest RAM, so the device could not map the ring "
                           "and broke (below)."
                         : "The device reads and writes rings where the driver never looks.");
    f->setup_explains = f->layout_explains = true;
    return true;
}

static bool broken_by_rings(const struct machine *m, uint32_t queue, const struct violation **out)
{
    for (uint32_t i = 0; i < m->n_violations; i++)
        if (!strcmp(m->violations[i].rule->id, "split.rings-in-ram") &&
            m->violations[i].queue == queue) {
            *out = &m->violations[i];
            return true;
        }
    return false;
}

/* The queue was reset alone (VirtIO 1.2 QueueReset) and made ready again without its areas
 * written anew (queue_reset_check.h): what the reset left, 0, is what the device latched. */
static bool reenabled_unconfigured(const struct machine *m, struct diag_cause *c, uint32_t queue)
{
    if (queue < QR_CHECK_QUEUES && m->qrc.missing[queue]) {
        const struct dev_queue *q = &m->dev.q[queue];
        uint64_t t = m->qrc.reenabled_at[queue];
        diag_ev(c, "reenabled_at_ns", "%llu", (unsigned long long)t);
        diag_ev(c, "QueueDesc", "0x%llx", (unsigned long long)q->reg_desc);
        diag_ev(c, "QueueDriver", "0x%llx", (unsigned long long)q->reg_driver);
        diag_ev(c, "QueueDevice", "0x%llx", (unsigned long long)q->reg_device);
        diag_say(c, "Queue %u was reset alone (VirtIO 1.2 QueueReset, VIRTIO_F_RING_RESET) and "
                    "made ready again at t=%llu ns without every ring area written anew: the "
                    "queue's reset left them 0, and at QueueReady = 1 the device latched what "
                    "was there, so it has no ring it can use and every QueueNotify for it is "
                    "ignored. Re-enable a reset queue as at discovery (VirtIO 1.2 §2.6.1.2.2): "
                    "QueueNum, QueueDesc, QueueDriver, QueueDevice, then QueueReady = 1.",
                 queue, (unsigned long long)t);
        return true;
    }
    return false;
}

/* D1 / D2: the queue was never made live. */
static void queue_not_ready(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct mmio_device *dev = &m->dev;
    const struct violation *v;
    uint32_t queue = f->rq->queue;
    if (!f->q || f->q->live || f->setup_explains || broken_by_rings(m, queue, &v))
        return;
    const struct rf_queue *fq = f->fq;
    bool reset = fq && fq->killed;
    if (reset && f->reset && f->reset_lost)
        return; /* lost while the request was queued: reset-while-queued says so */
    f->setup_explains = true;
    /* Writes the device ignored because the register belongs to the other version. */
    char other[160];
    slot_names(other, sizeof(other), m->facts.other_version, m->facts.n_other_version);
    bool v1 = dev->version == 1;
    struct diag_cause *c = diag_add(d, f, "queue-not-ready", v1 ? "4.2.4" : "4.2.3.2",
                                    v1 ? "Legacy interface" : "Virtqueue Configuration");
    if (other[0]) {
        diag_ev(c, "ignored_writes", "%s", other);
        diag_say(c, "Queue %u was never made live: the driver set it up with registers this "
                    "version %u device does not have (%s), and the device ignored every one of "
                    "them. Read the Version register and follow §4.2.3.2 for version 2 or §4.2.4 "
                    "(GuestPageSize, QueueAlign, QueuePFN) for version 1.", queue, dev->version,
                 other);
        return;
    }
    uint32_t key_off = v1 ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY;
    const struct rf_reg *key = last_write(m, key_off);
    if (key && key->note)
        diag_ev(c, "ignored_register", "%s (%s)", mmio_reg_name(key_off), key->note);
    if (reset) {
        const char *by = fq->killed_by ? fq->killed_by : "unknown";
        diag_ev(c, "reset_at_ns", "%llu", (unsigned long long)fq->killed_at);
        diag_ev(c, "reset_by", "%s", by);
        diag_say(c, "Queue %u was live, but the device was reset at t=%llu ns by %s and the "
                    "driver did not set the queue up again before using it. A reset forgets "
                    "every queue (§2.1.2, §4.2.2: writing 0 to Status resets the device); run "
                    "the initialisation of §3.1.1 again after it.", queue,
                 (unsigned long long)fq->killed_at, by);
        return;
    }
    if (!v1 && reenabled_unconfigured(m, c, queue))
        return;
    if (!v1) {
        diag_ev(c, "QueueReady", "%u", f->q->ready);
        diag_ev(c, "QueueDesc", "0x%llx", (unsigned long long)f->q->reg_desc);
        /* Ring addresses written after QueueReady = 1 are latched by nobody. */
        bool late = m->facts.late_seen;
        if (late)
            diag_ev(c, "written_after_QueueReady", "%s at %llu ns",
                    mmio_reg_name(m->facts.late_off), (unsigned long long)m->facts.late_t);
        diag_say(c, "Queue %u was never made live on the device: %s The device latches the ring "
                    "addresses only when QueueReady is written with 1 (§4.2.3.2), so every "
                    "QueueNotify for this queue was ignored. Write QueueDesc/Driver/Device, then "
                    "QueueReady = 1, before DRIVER_OK.", queue,
                 late ? "the ring addresses were written after QueueReady = 1, when the device "
                        "had already latched a descriptor address of 0."
                 : f->q->ready ? "QueueReady is 1 but the descriptor address is 0."
                 : key && key->note ? "the QueueReady write never took effect."
                                    : "QueueReady was never written with 1.");
        return;
    }
    diag_ev(c, "QueuePFN", "0x%x", f->q->pfn);
    diag_ev(c, "GuestPageSize_written", "%s", dev->guest_page_size_written ? "yes" : "no");
    char live[32] = "";
    for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++)
        if (dev->q[i].live) {
            char n[8];
            snprintf(n, sizeof(n), "%u", i);
            append(live, sizeof(live), n);
        }
    if (live[0])
        diag_ev(c, "live_queues", "%s", live);
    diag_say(c, "Queue %u was never made live on the legacy device: its QueuePFN is 0x%x, so the "
                "device has no ring address and ignored every QueueNotify%s. Select the queue "
                "with QueueSel, then write GuestPageSize, QueueNum, QueueAlign and QueuePFN = "
                "ring address / page size (§4.2.4).", queue, f->q->pfn,
             live[0] ? " (the setup went to another queue, which is live)" : "");
}

/* D5: the device uses another queue size than the driver laid its ring out for. */
static void queue_num(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct diag_driver_view *dv = &f->rq->driver;
    if (!f->q || !f->q->live || !dv->known || dv->num == f->q->live_num)
        return;
    bool v1 = m->dev.version == 1;
    const struct rf_reg *w = last_write(m, VIRTIO_MMIO_QUEUE_NUM);
    struct diag_cause *c = diag_add(d, f, "queue-num-mismatch", v1 ? "4.2.4" : "4.2.3.2",
                                    v1 ? "Legacy interface" : "Virtqueue Configuration");
    if (!w)
        diag_ev(c, "QueueNum_written", "never");
    else if (w->note)
        diag_ev(c, "QueueNum_written", "%llu (%s)", (unsigned long long)w->value, w->note);
    else
        diag_ev(c, "QueueNum_written", "%llu", (unsigned long long)w->value);
    diag_ev(c, "device_queue_size", "%u", f->q->live_num);
    diag_ev(c, "driver_queue_size", "%u", dv->num);
    diag_ev(c, "device_avail", "0x%llx", (unsigned long long)f->q->avail);
    diag_ev(c, "driver_avail", "0x%llx", (unsigned long long)dv->avail);
    diag_ev(c, "device_used", "0x%llx", (unsigned long long)f->q->used);
    diag_ev(c, "driver_used", "0x%llx", (unsigned long long)dv->used);
    diag_say(c, "The driver laid out queue %u with %u entries, but the device uses %u: %s. ",
             f->rq->queue, dv->num, f->q->live_num,
             !w ? "QueueNum was never written, so the device kept its default size"
             : w->note ? "the QueueNum write never took effect"
                       : "QueueNum was written with another value");
    if (v1 && (f->q->avail != dv->avail || f->q->used != dv->used)) {
        diag_more(c, "On a legacy device the size places the rings: the device reads the "
                     "available ring at 0x%llx (the driver writes it at 0x%llx) and writes the "
                     "used ring at 0x%llx (the driver reads 0x%llx). ",
                  (unsigned long long)f->q->avail, (unsigned long long)dv->avail,
                  (unsigned long long)f->q->used, (unsigned long long)dv->used);
        f->layout_explains = f->q->avail != dv->avail;
    } else {
        diag_more(c, "The rings wrap at different indices on the two sides. ");
    }
    diag_more(c, "Write QueueNum with the size the ring was laid out for, at most QueueNumMax, "
                 "before the ring address (%s).", v1 ? "§4.2.4" : "§4.2.3.2");
}

/* D15: a ring outside guest RAM: the device cannot map it (QEMU virtio_error, "Cannot map"). */
static void rings_outside_ram(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct violation *v;
    if (diag_has(d, "guest-page-size-missing") || !broken_by_rings(m, f->rq->queue, &v))
        return;
    struct diag_cause *c = diag_add(d, f, "rings-outside-ram", v->rule->section, v->rule->title);
    diag_ev(c, "rule", "%s", v->rule->id);
    diag_ev(c, "device_desc", "0x%llx", (unsigned long long)f->q->desc);
    diag_ev(c, "device_avail", "0x%llx", (unsigned long long)f->q->avail);
    diag_ev(c, "device_used", "0x%llx", (unsigned long long)f->q->used);
    diag_ev(c, "ram", "0x%llx-0x%llx", (unsigned long long)m->mem.base,
            (unsigned long long)(m->mem.base + m->mem.size));
    diag_ev(c, "at_ns", "%llu", (unsigned long long)v->t);
    diag_say(c, "The device was given a ring it cannot reach: %s. It could not map the ring when "
                "the queue went live at t=%llu ns, which QEMU treats as a fatal device error "
                "(below). Every ring part must lie in memory the device can access by DMA: "
                "allocate the rings from guest RAM and pass their physical addresses (§2.6).",
             v->message, (unsigned long long)v->t);
    f->setup_explains = true;
}

/* What the device's answers overwrote of a driver buffer that lies on its used ring, as evidence
 * and a sentence (run_facts.h: overlap). */
static void overwrote(struct diag_cause *c, const struct rf_queue *fq)
{
    char what[160] = "";
    if (fq->overlap.idx_at)
        snprintf(what, sizeof(what), "used.idx (2 bytes at 0x%llx)",
                 (unsigned long long)fq->overlap.idx_at);
    if (fq->overlap.elem_at)
        snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sthe used element (8 bytes "
                 "at 0x%llx)", what[0] ? " and " : "", (unsigned long long)fq->overlap.elem_at);
    const char *kind = fq->overlap.in_table ? "indirect entry" : "descriptor";
    diag_ev(c, "overwrote_buffer", "%s %u: 0x%llx, %llu bytes, device-%s", kind, fq->overlap.desc,
            (unsigned long long)fq->overlap.buf, (unsigned long long)fq->overlap.buf_len,
            fq->overlap.buf_write ? "writable" : "readable");
    diag_ev(c, "overwritten_with", "%s", what);
    diag_more(c, " That used ring lies on a buffer the driver handed over itself (%s %u: 0x%llx, "
                 "%llu bytes, the %s): each answer overwrote it, %s.", kind, fq->overlap.desc,
              (unsigned long long)fq->overlap.buf, (unsigned long long)fq->overlap.buf_len,
              fq->overlap.buf_write ? "response buffer" : "driver's own request", what);
}

/* D4: the device answered in a used ring the driver does not read. */
static void used_ring(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct diag_driver_view *dv = &f->rq->driver;
    if (!f->q || !f->q->live || f->used == 0)
        return;
    /* A buffer of the driver on the device's used ring that the answers wrote into: the
     * driver's used ring is not there, whether or not vqsim knows where it is. */
    bool on_buffer = f->fq && f->fq->overlap.seen && f->fq->overlap.writes;
    bool known = dv->known || f->poll.seen;
    uint64_t driver_used = dv->known ? dv->used : f->poll.seen ? f->poll.addr - 2 : 0;
    if ((known && driver_used == f->q->used) || (!known && !on_buffer))
        return;
    bool v1 = m->dev.version == 1;
    struct diag_cause *c = diag_add(d, f, "used-ring-mismatch", v1 ? "2.6.2" : "2.6",
                                    v1 ? "Legacy Interfaces: A Note on Virtqueue Layout"
                                       : "Split Virtqueues");
    diag_ev(c, "device_used", "0x%llx", (unsigned long long)f->q->used);
    diag_ev(c, "device_used_idx", "%u", f->q->used_idx);
    if (known)
        diag_ev(c, "driver_used", "0x%llx", (unsigned long long)driver_used);
    else
        diag_ev(c, "driver_used", "unknown");
    diag_ev(c, "used_element_at", "0x%llx", (unsigned long long)f->last_used_elem);
    if (f->poll.seen) {
        diag_ev(c, "driver_polls", "%s%u", f->poll.at_least ? "at least " : "", f->poll.count);
        diag_ev(c, "driver_saw_used_idx", "%llu", (unsigned long long)f->poll.value);
    }
    if (v1)
        diag_ev(c, "QueueAlign", "%u", f->q->align);
    if (known)
        diag_say(c, "The device processed the request and wrote its used element at 0x%llx (used "
                    "ring at 0x%llx, used.idx now %u), but the driver reads used.idx at 0x%llx, "
                    "where nothing was ever written: the driver's used ring is at 0x%llx.",
                 (unsigned long long)f->last_used_elem, (unsigned long long)f->q->used,
                 f->q->used_idx, (unsigned long long)(driver_used + 2),
                 (unsigned long long)driver_used);
    else
        diag_say(c, "The device processed the request and wrote its used element at 0x%llx (used "
                    "ring at 0x%llx, used.idx now %u), in memory the driver does not read as its "
                    "used ring.", (unsigned long long)f->last_used_elem,
                 (unsigned long long)f->q->used, f->q->used_idx);
    if (on_buffer)
        overwrote(c, f->fq);
    if (!known)
        diag_more(c, " Where the driver's used ring is, vqsim does not know: the driver did not "
                     "report its queue placement (queue_placed) and no load of its used.idx was "
                     "seen%s.", m->bc.mode == BC_PLAIN ? " (plain ring access: loads are not seen)"
                                                       : "");
    diag_more(c, " %s",
              diag_has(d, "queue-num-mismatch")
                  ? "The queue sizes differ (above), and on a legacy device the size places the "
                    "used ring."
              : v1 ? "On a legacy device the used ring is not given by address: the device puts "
                     "it at the next QueueAlign boundary after the available ring (§2.6.2, "
                     "§4.2.4). Lay the ring out with the same alignment you write to QueueAlign "
                     "(the page size, 4096, unless you write another value)."
                   : "Tell the device the same used-ring address the driver reads (QueueDevice, "
                     "§4.2.3.2).");
}

void diag_setup_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    reinit_without_reset(m, f, d);
    queue_sel(m, f, d);
    guest_page_size(m, f, d);
    queue_not_ready(m, f, d);
    queue_num(m, f, d);
    rings_outside_ram(m, f, d);
    used_ring(m, f, d);
}
