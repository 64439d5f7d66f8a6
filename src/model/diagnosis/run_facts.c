/* run_facts.c — see run_facts.h. */
#include "model/diagnosis/run_facts.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"

uint32_t rf_slot(uint32_t off)
{
    if (off % 4)
        return RF_REGS;
    if (off < VIRTIO_MMIO_CONFIG)
        return off / 4;
    if (off < VIRTIO_MMIO_CONFIG + 16)
        return VIRTIO_MMIO_CONFIG / 4 + (off - VIRTIO_MMIO_CONFIG) / 4;
    return RF_REGS;
}

void rf_mark(const struct machine *m, struct rf_mark *out)
{
    const struct run_facts *f = &m->facts;
    memset(out, 0, sizeof(*out));
    out->t = m->now;
    out->set = true;
    for (uint32_t q = 0; q < RF_QUEUES; q++)
        out->q[q] = f->q[q].c;
    out->notify_writes_all = f->notify_writes_all;
    out->notify_writes_lost = f->notify_writes_lost;
    out->resets = f->resets;
    for (uint32_t i = 0; i < RF_REGS; i++)
        out->reads[i] = f->reg[i].reads;
    memcpy(out->poll_addr, f->poll_addr, sizeof(out->poll_addr));
    memcpy(out->poll_count, f->poll_count, sizeof(out->poll_count));
    memcpy(out->poll_gen, f->poll_gen, sizeof(out->poll_gen));
    out->poll_evictions = f->poll_evictions;
}

static bool ring_addr_reg(uint32_t off)
{
    return off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH &&
           off % 16 <= 4;
}

static bool queue_reg(uint32_t off)
{
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_ALIGN: case VIRTIO_MMIO_QUEUE_PFN:
    case VIRTIO_MMIO_QUEUE_READY:
        return true;
    default:
        return ring_addr_reg(off);
    }
}

/* A register slot in a first-write-ordered set of at most 16. */
static void add_slot(uint8_t *set, uint32_t *n, uint32_t slot)
{
    for (uint32_t i = 0; i < *n; i++)
        if (set[i] == slot)
            return;
    if (*n < 16)
        set[(*n)++] = (uint8_t)slot;
}

/* QueueSel and what follows an out-of-range selection (diagnosis_setup.c: D6): a queue the
 * device does not have (n_queues of its own, at most RF_QUEUES). */
static void track_sel(struct run_facts *f, uint32_t off, uint32_t value, uint64_t t,
                      uint32_t n_queues)
{
    if (off == VIRTIO_MMIO_QUEUE_SEL) {
        if (value >= n_queues || value >= RF_QUEUES) {
            f->bad_sel.seen = true;
            f->bad_sel.t = t;
            f->bad_sel.value = value;
            f->bad_sel.kept = f->sel;
            f->bad_sel.n_after = 0;
            memset(f->bad_sel.reselected, 0, sizeof(f->bad_sel.reselected));
        } else {
            f->sel = value;
            f->bad_sel.reselected[value] = true;
        }
    } else if (f->bad_sel.seen && queue_reg(off)) {
        add_slot(f->bad_sel.after, &f->bad_sel.n_after, rf_slot(off));
    }
}

/* The register's slot: the last write, its value and note. */
static void reg_written(struct run_facts *f, uint32_t s, uint64_t t, uint32_t value,
                        const char *note)
{
    struct rf_reg *r = &f->reg[s];
    r->written = true;
    r->t = t;
    r->value = value;
    r->note = note;
}

/* rf_mmio_write of QueueNotify (every round trip's write, decoded first): the counts per queue
 * and the register's slot; no other fact is about it (not a queue or other-version register). */
static void notify_written(struct machine *m, uint32_t value, const char *note, bool lost)
{
    struct run_facts *f = &m->facts;
    if (m->dev.guest_features >> VIRTIO_F_NOTIFICATION_DATA & 1u)
        value &= 0xffffu; /* the queue is vqn, the low half (§4.2.3.3) */
    if (lost) {
        f->notify_writes_lost++;
    } else {
        f->notify_writes_all++;
        for (uint32_t q = 0; q < RF_QUEUES; q++) {
            if (value == q) {
                f->q[q].c.notify_writes++;
                if (note) {
                    f->q[q].c.notify_writes_ignored++;
                    f->q[q].ignored_note = note;
                }
            } else {
                f->q[q].last_notify_other = value;
                f->q[q].notified_other = true;
            }
        }
    }
    reg_written(f, VIRTIO_MMIO_QUEUE_NOTIFY / 4, m->now, value, note);
}

void rf_mmio_write(struct machine *m, uint32_t off, uint32_t value, const char *note, bool lost)
{
    struct run_facts *f = &m->facts;
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
        assert(rf_slot(off) == off / 4 && !mmio_reg_other_version(off, m->dev.version) &&
               !queue_reg(off) && !ring_addr_reg(off));
        notify_written(m, value, note, lost);
        return;
    }
    uint32_t s = rf_slot(off);
    if (off == VIRTIO_MMIO_INTERRUPT_ACK) {
        if (note || lost) {
            f->acks_lost++;
        } else {
            f->ack_seen = true;
            f->last_ack_at = m->now;
        }
    }
    if (s < RF_REGS) {
        reg_written(f, s, m->now, value, note);
        if (mmio_reg_other_version(off, m->dev.version))
            add_slot(f->other_version, &f->n_other_version, s);
    }
    if (lost)
        return;
    track_sel(f, off, value, m->now, m->dev.n_queues);
    if (!note && off == VIRTIO_MMIO_QUEUE_READY && value) {
        f->ready_written = true;
    } else if (!note && f->ready_written && ring_addr_reg(off) && !f->late_seen) {
        f->late_seen = true;
        f->late_off = off;
        f->late_t = m->now;
    }
}

void rf_mmio_read(struct machine *m, uint32_t off, uint32_t value, const char *note)
{
    struct run_facts *f = &m->facts;
    uint32_t s = rf_slot(off);
    if (s >= RF_REGS)
        return;
    struct rf_reg *r = &f->reg[s];
    if (r->reads && r->read_value == value) {
        r->same_reads++;
    } else { /* a new value: the run of reads returning it starts here */
        r->same_reads = 1;
        r->same_since = m->now;
    }
    r->reads++;
    r->read_t = m->now;
    r->read_value = value;
    r->read_note = note;
    f->last_read_slot = (int)s;
}

void rf_publish(struct machine *m, uint32_t qi, uint16_t idx)
{
    if (qi >= RF_QUEUES || !m->dev.q[qi].live)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    q->c.publishes++;
    q->last_publish_at = m->now;
    q->last_published = idx;
}

void rf_avail_event(struct machine *m, uint32_t qi, uint16_t value)
{
    if (qi >= RF_QUEUES)
        return;
    m->facts.q[qi].avail_event_set = true;
    m->facts.q[qi].avail_event = value;
}

void rf_queue_live(struct machine *m, uint32_t qi)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    q->relive = q->live_once && !q->killed; /* no reset found it live since */
    q->relive_avail_idx = m->dev.q[qi].last_avail_idx;
    q->relive_used_idx = m->dev.q[qi].used_idx;
    q->live_mem_avail_idx = 0;
    gm_read16(&m->mem, m->dev.q[qi].avail + 2, &q->live_mem_avail_idx);
    q->live_at = m->now;
    q->live_once = true;
    q->killed = false;
}

void rf_reset(struct machine *m, const char *by, const uint64_t *lost, uint32_t live)
{
    struct run_facts *f = &m->facts;
    f->resets++;
    f->last_reset_at = m->now;
    for (uint32_t qi = 0; qi < RF_QUEUES; qi++)
        if (live & (1u << qi)) {
            struct rf_queue *q = &f->q[qi];
            q->killed = true;
            q->killed_at = m->now;
            q->killed_by = by;
            q->killed_lost = lost[qi];
        }
}

void rf_fault(struct machine *m, const char *name, uint32_t qi, uint32_t request, uint64_t addr,
              uint64_t value)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    /* reset and set-needs-reset are reported as the state they leave (reset-while-queued,
     * device-broken), not as a fault that mangled an answer */
    if (!strcmp(name, device_fault_names[DF_RESET]) ||
        !strcmp(name, device_fault_names[DF_SET_NEEDS_RESET]))
        return;
    q->fault[1] = (struct rf_fault){m->now, name, request, addr, value, 0};
    if (!q->c.faults++)
        q->fault[0] = q->fault[1];
}

void rf_short_header(struct machine *m, uint32_t qi, uint16_t head, uint64_t readable)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    q->short_header[1] = (struct rf_short){m->now, head, readable};
    if (!q->c.short_headers++)
        q->short_header[0] = q->short_header[1];
}

void rf_truncated(struct machine *m, uint32_t qi, uint16_t head, uint64_t resp_len,
                  uint32_t written)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    q->trunc[1] = (struct rf_trunc){m->now, head, resp_len, written};
    if (!q->c.truncated++)
        q->trunc[0] = q->trunc[1];
}

void rf_irq_suppressed(struct machine *m, uint32_t qi, bool by_event, uint64_t addr,
                       uint64_t value, uint16_t used_idx, uint16_t old)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    bool dev = by_event && q->used_event_set && q->used_event == value;
    q->suppressed[1] = (struct rf_suppressed){m->now, by_event, addr, value, used_idx, old, dev,
                                              dev ? q->used_event_t : 0};
    if (!q->c.irq_suppressed++)
        q->suppressed[0] = q->suppressed[1];
}

void rf_weak(struct machine *m, const char *note)
{
    if (!m->facts.weak_note)
        m->facts.weak_note = note;
}

void rf_ring_load16(struct machine *m, uint64_t gpa, uint64_t value)
{
    struct run_facts *f = &m->facts;
    uint32_t last = f->poll_last; /* a poll loop loads one address again and again */
    if (f->poll_count[last] && f->poll_addr[last] == gpa) {
        f->poll_count[last]++;
        f->poll_value[last] = value;
        f->poll_t[last] = m->now;
        return;
    }
    uint32_t low = last == 0 ? 1 : 0;
    for (uint32_t i = 0; i < RF_POLL_SLOTS; i++) {
        if (f->poll_count[i] && f->poll_addr[i] == gpa) {
            f->poll_count[i]++;
            f->poll_value[i] = value;
            f->poll_t[i] = m->now;
            f->poll_last = i;
            return;
        }
        if (i != last && f->poll_count[i] < f->poll_count[low])
            low = i;
    }
    /* a new address takes a free slot, or the least loaded one's (never the slot loaded last:
     * the one a poll loop is at) */
    if (f->poll_count[low])
        f->poll_evictions++;
    f->poll_gen[low] = ++f->poll_gens;
    f->poll_addr[low] = gpa;
    f->poll_count[low] = 1;
    f->poll_value[low] = value;
    f->poll_t[low] = m->now;
    f->poll_last = low;
}

void rf_error(struct machine *m, uint32_t qi, const struct rf_error *e)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    q->error[1] = *e;
    if (!q->c.errors++)
        q->error[0] = *e;
}

void rf_overlap(struct machine *m, uint32_t qi, uint16_t desc, bool in_table, uint64_t buf,
                uint64_t len, bool write)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    if (q->overlap.seen && q->overlap.buf == buf && q->overlap.buf_len == len)
        return; /* the same buffer again (a command buffer is reused) */
    q->overlap.seen = true;
    q->overlap.t = m->now;
    q->overlap.desc = desc;
    q->overlap.in_table = in_table;
    q->overlap.buf = buf;
    q->overlap.buf_len = len;
    q->overlap.buf_write = write;
    q->overlap.idx_at = q->overlap.elem_at = 0;
    q->overlap.writes = 0;
}

void rf_used_write_overlap(struct rf_queue *q, uint64_t elem, uint32_t len, uint64_t idx_at)
{
    uint64_t b = q->overlap.buf, e = b + q->overlap.buf_len;
    bool hit = false;
    if (elem < e && elem + len > b) {
        q->overlap.elem_at = elem;
        hit = true;
    }
    if (idx_at && idx_at < e && idx_at + 2 > b) {
        q->overlap.idx_at = idx_at;
        hit = true;
    }
    q->overlap.writes += hit;
}

void rf_describe_next(const struct machine *m, uint32_t qi, uint32_t i, uint16_t value, char *buf,
                      size_t len)
{
    const struct rf_queue *fq = qi < RF_QUEUES ? &m->facts.q[qi] : NULL;
    const struct rf_next *st = fq && i < fq->n_next && fq->next[i].set ? &fq->next[i] : NULL;
    if (!st || st->value != value)
        snprintf(buf, len, "; no driver store of it was seen since the queue went live");
    else if (st->plain)
        snprintf(buf, len, "; the driver stored it between t=%llu and %llu ns (plain ring access: "
                 "seen at the hook call that ended that epoch)", (unsigned long long)st->t,
                 (unsigned long long)st->seen_at);
    else
        snprintf(buf, len, "; the driver stored it at t=%llu ns%s%s", (unsigned long long)st->t,
                 st->note ? " — " : "", st->note ? st->note : "");
}

void rf_desc_next(struct machine *m, uint32_t qi, uint32_t i, uint16_t value, uint64_t t,
                  const char *note)
{
    if (qi >= RF_QUEUES || i >= m->dev.q[qi].live_num)
        return;
    struct rf_queue *q = &m->facts.q[qi];
    if (i >= q->n_next) { /* grows to the queue's size once */
        uint32_t n = m->dev.q[qi].live_num;
        struct rf_next *p = realloc(q->next, n * sizeof(*p));
        if (!p)
            return;
        memset(p + q->n_next, 0, (n - q->n_next) * sizeof(*p));
        q->next = p;
        q->n_next = n;
    }
    q->next[i] = (struct rf_next){t, m->now, value, true, m->bc.mode == BC_PLAIN, note};
}

void rf_free(struct run_facts *f)
{
    for (uint32_t q = 0; q < RF_QUEUES; q++) {
        free(f->q[q].next);
        f->q[q].next = NULL;
        f->q[q].n_next = 0;
    }
}

void rf_pci_decode_off(struct machine *m, uint64_t addr)
{
    struct run_facts *f = &m->facts;
    if (f->pci.decode_off++ == 0) {
        f->pci.decode_off_t = m->now;
        f->pci.decode_off_addr = addr;
    }
}

void rf_pci_cfg_write(struct machine *m, uint32_t off, uint32_t value)
{
    if ((off & ~3u) != 4u) /* the command register (and status) */
        return;
    m->facts.pci.command_written = true;
    m->facts.pci.command = value & 0xffffu;
    m->facts.pci.command_t = m->now;
}

void rf_pci_notify(struct machine *m, uint32_t off, uint32_t value, uint32_t landed)
{
    if (value == landed)
        return;
    struct run_facts *f = &m->facts;
    f->pci.misnotify++;
    f->pci.misnotify_t = m->now;
    f->pci.misnotify_value = value;
    f->pci.misnotify_queue = landed;
    f->pci.misnotify_off = off;
}

void rf_pci_msix_lost(struct machine *m, int qi, uint32_t vector)
{
    (void)vector;
    uint32_t i = qi < 0 || qi >= (int)RF_QUEUES ? RF_QUEUES : (uint32_t)qi;
    m->facts.pci.msix_lost[i]++;
    m->facts.pci.msix_lost_t = m->now;
}

void rf_pci_vector(struct machine *m, uint32_t qi, uint32_t value)
{
    if (qi >= RF_QUEUES)
        return;
    m->facts.pci.vector_written[qi] = true;
    m->facts.pci.vector_value[qi] = value;
}
