/* split_ring.c — see split_ring.h. Rule ids are those of spec/rules.yaml. */
#include "model/rings/split_ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/checks/exposed_snapshot.h"
#include "model/rings/chain_log.h"
#include "model/checks/in_order_check.h"
#include "model/rings/indirect.h"
#include "model/checks/legacy_layout.h"
#include "model/machine.h"
#include "model/checks/phys_addr_check.h"
#include "model/rings/ring_locate.h"
#include "model/checks/status_checks.h"

void sr_queue_reset(struct dev_queue *q, uint32_t default_num)
{
    memset(q, 0, sizeof(*q));
    q->num = default_num;
    q->align = 4096;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

void sr_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail, uint64_t used)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->num;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->live_num = n;
    q->live = desc != 0 && n != 0;
    if (!q->live)
        return;
    exposed_on_live(m, qi);
    bc_queue_live(m, qi);
    struct trace_event *e = machine_trace(m, TR_DEVICE, desc, n, 0, "queue live");
    if (e)
        e->queue = (uint8_t)qi;
    rf_queue_live(m, qi);
    /* §2.6.1 (QEMU does not check it): 16/2/4 alignment. */
    if (desc % VIRTQ_DESC_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: descriptor table at 0x%llx is not 16-byte aligned", qi,
                          (unsigned long long)desc);
    if (avail % VIRTQ_AVAIL_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: available ring at 0x%llx is not 2-byte aligned", qi,
                          (unsigned long long)avail);
    if (used % VIRTQ_USED_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: used ring at 0x%llx is not 4-byte aligned", qi,
                          (unsigned long long)used);
    /* §2.6: Queue Size is a power of 2 (descriptive; QEMU accepts others). */
    if (!is_pow2(n))
        machine_violation(m, "split.queue-size-pow2", (int)qi,
                          "queue %u: size %u is not a power of 2", qi, n);
    /* QEMU maps the three areas when the ring goes live; failure is fatal ("Cannot map …"). */
    struct { const char *what; uint64_t at, len; } part[3] = {
        {"descriptor table", desc, VIRTQ_DESC_BYTES(n)},
        {"available ring", avail, 4u + 2u * n},
        {"used ring", used, 4u + 8u * n},
    };
    for (int i = 0; i < 3; i++) {
        if (pa_check_virtual(m, qi, part[i].what, part[i].at, part[i].len)) {
            q->live = false;
            return;
        }
        if (!gm_contains(&m->mem, part[i].at, part[i].len)) {
            machine_break_device(m, "split.rings-in-ram", (int)qi,
                                 "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM "
                                 "[0x%llx, 0x%llx)", qi, part[i].what,
                                 (unsigned long long)part[i].at, (unsigned long long)part[i].len,
                                 (unsigned long long)m->mem.base,
                                 (unsigned long long)(m->mem.base + m->mem.size));
            q->live = false;
            return;
        }
    }
    faults_queue_live(m, qi);
    notify_queue_live(m, qi);
}

void sr_read_desc(struct machine *m, uint64_t table, uint32_t i, struct sr_desc *d)
{
    uint64_t da = table + 16ull * i;
    const uint8_t *p = gm_ptr(&m->mem, da, 16);
    if (p) { /* the whole descriptor in RAM (the usual case): one bounds check (LE host) */
        memcpy(&d->addr, p, 8);
        memcpy(&d->len, p + 8, 4);
        memcpy(&d->flags, p + 12, 2);
        memcpy(&d->next, p + 14, 2);
        return;
    }
    gm_read64(&m->mem, da, &d->addr); /* field by field: a part outside RAM reads as 0 */
    gm_read32(&m->mem, da + 8, &d->len);
    gm_read16(&m->mem, da + 12, &d->flags);
    gm_read16(&m->mem, da + 14, &d->next);
}

enum sr_result sr_take_desc(struct machine *m, uint32_t qi, struct sr_chain *c, uint32_t i,
                            const struct sr_desc *d, const char *where)
{
    chain_log_desc(&m->chain_log, qi, i, d, where[0] != 'd'); /* "descriptor" or "indirect entry" */
    bool write = d->flags & VIRTQ_DESC_F_WRITE;
    if (!write && c->writable) { /* QEMU: "Incorrect order for descriptors" */
        machine_break_device(m, "split.framing.writable-after-readable", (int)qi,
                             "queue %u: %s %u is device-readable but follows a device-writable "
                             "one in the chain from head %u", qi, where, i, c->head);
        return SR_BROKEN;
    }
    if (d->len == 0) { /* QEMU: "zero sized buffers are not allowed" */
        machine_break_device(m, "split.desc.zero-length", (int)qi,
                             "queue %u: %s %u has length 0", qi, where, i);
        return SR_BROKEN;
    }
    if (pa_check_virtual(m, qi, "a buffer address", d->addr, d->len))
        return SR_BROKEN;
    if (!gm_contains(&m->mem, d->addr, d->len)) { /* QEMU: "bogus descriptor or out of resources" */
        machine_break_device(m, "split.desc.addr-in-ram", (int)qi,
                             "queue %u: %s %u points at 0x%llx (+%u bytes), outside guest RAM "
                             "[0x%llx, 0x%llx)", qi, where, i, (unsigned long long)d->addr,
                             d->len, (unsigned long long)m->mem.base,
                             (unsigned long long)(m->mem.base + m->mem.size));
        return SR_BROKEN;
    }
    if (c->nseg >= SR_MAX_SEGS) { /* QEMU: "too many write descriptors in indirect table" */
        machine_break_device(m, "split.desc.chain-len-le-queue-size", (int)qi,
                             "queue %u: the chain from head %u has more than %u buffers", qi,
                             c->head, SR_MAX_SEGS);
        return SR_BROKEN;
    }
    c->seg[c->nseg].gpa = d->addr;
    c->seg[c->nseg].len = d->len;
    c->seg[c->nseg].write = write;
    c->seg[c->nseg].in_table = where[0] != 'd'; /* "descriptor" or "indirect entry" */
    c->seg[c->nseg].desc = (uint16_t)i;
    c->nseg++;
    if (write)
        c->writable += d->len;
    else
        c->readable += d->len;
    return SR_OK;
}

/* QEMU's virtio_queue_empty_rcu: avail.idx is read only when the device has caught up with the
 * value it read last. A newly read value more than the queue size ahead is a violation (QEMU's
 * virtqueue_num_heads would say "Guest moved used index", but the pop path never calls it). */
static enum sr_result read_avail_idx(struct machine *m, uint32_t qi)
{
    struct dev_queue *q = &m->dev.q[qi];
    if (q->shadow_avail_idx != q->last_avail_idx)
        return SR_OK;
    uint16_t avail_idx;
    if (!gm_read16(&m->mem, q->avail + 2, &avail_idx)) {
        machine_break_device(m, "split.rings-in-ram", (int)qi, "queue %u: avail.idx unreadable", qi);
        return SR_BROKEN;
    }
    q->shadow_avail_idx = avail_idx;
    q->shadow_base = q->last_avail_idx;
    q->idx_rule = NULL;
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail_idx);
    uint16_t behind = (uint16_t)(q->last_avail_idx - avail_idx);
    if (pending == 0)
        return SR_EMPTY;
    if (pending <= q->live_num)
        return SR_OK;
    if (status_checks_reinit_live(m, qi)) {
        /* The driver set the queue up again without a reset: its new ring starts from 0 while the
         * device kept its index (init.step1-reset said so; the break below says what follows). */
        q->idx_rule = "init.step1-reset";
    } else if (behind < 0x8000u) {
        /* §2.6.6.1: idx went back past entries the device already took: "unexposing". */
        q->idx_rule = "split.avail.idx-no-decrement";
        machine_violation(m, "split.avail.idx-no-decrement", (int)qi,
                          "queue %u: avail.idx went back to %u after the device had taken "
                          "entries up to %u", qi, avail_idx, q->last_avail_idx);
    } else {
        q->idx_rule = "split.avail.idx-jump";
        machine_violation(m, "split.avail.idx-jump", (int)qi,
                          "queue %u: avail.idx moved from %u to %u, %u entries ahead of a queue of "
                          "%u", qi, q->last_avail_idx, avail_idx, pending, q->live_num);
    }
    return SR_OK;
}

/* A chain that loops: which descriptor links back to which, and the driver store that made it
 * so (run_facts.h: the last store to each descriptor's next). */
static void loop_back(struct machine *m, uint32_t qi, uint16_t head, char *buf, size_t len)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint8_t seen[SR_MAX_SEGS / 8] = {0};
    uint32_t i = head;
    struct sr_desc d;
    for (uint32_t steps = 0; steps <= q->live_num && i < q->live_num; steps++) {
        seen[i / 8] |= (uint8_t)(1u << i % 8);
        sr_read_desc(m, q->desc, i, &d);
        if (!(d.flags & VIRTQ_DESC_F_NEXT) || d.next >= q->live_num)
            break;
        if (!(seen[d.next / 8] & (1u << d.next % 8))) {
            i = d.next;
            continue;
        }
        const struct rf_queue *fq = qi < RF_QUEUES ? &m->facts.q[qi] : NULL;
        const struct rf_next *st = fq && i < fq->n_next && fq->next[i].set ? &fq->next[i] : NULL;
        int w = snprintf(buf, len, "descriptor %u links back to descriptor %u (desc[%u].next = %u, "
                         "NEXT set)", i, d.next, i, d.next);
        if (w < 0 || (size_t)w >= len)
            return;
        if (!st || st->value != d.next)
            snprintf(buf + w, len - (size_t)w, "; no driver store of it was seen since the queue "
                     "went live");
        else if (st->plain)
            snprintf(buf + w, len - (size_t)w, "; the driver stored it between t=%llu and %llu ns "
                     "(plain ring access: seen at the hook call that ended that epoch)",
                     (unsigned long long)st->t, (unsigned long long)st->seen_at);
        else
            snprintf(buf + w, len - (size_t)w, "; the driver stored it at t=%llu ns%s%s",
                     (unsigned long long)st->t, st->note ? " — " : "", st->note ? st->note : "");
        return;
    }
    snprintf(buf, len, "more links than descriptors");
}

/* sr_pop's walk; sr_pop closes the chain log's chain (chain_log.h) whatever way it returns.
 * Inlined: one function on the hot path, as before the wrapper. */
static inline __attribute__((always_inline)) enum sr_result
pop_chain(struct machine *m, uint32_t qi, struct sr_chain *c)
{
    struct dev_queue *q = &m->dev.q[qi];
    if (!q->live || m->dev.broken)
        return SR_EMPTY;
    uint32_t n = q->live_num;
    enum sr_result r = read_avail_idx(m, qi);
    if (r == SR_EMPTY)
        pace_ring_empty(m, qi); /* device_pace.h: done with what it was woken for */
    if (r != SR_OK)
        return r;
    if (!pace_may_take(m, qi))
        return SR_EMPTY; /* a replay: the recorded device had not taken this one yet */
    uint16_t avail_idx = q->shadow_avail_idx;
    if (q->inuse >= n) { /* QEMU: "Virtqueue size exceeded" */
        const char *rule = q->idx_rule ? q->idx_rule : "split.avail.idx-jump";
        if (q->idx_rule) /* the rule was reported when the device read avail.idx */
            machine_break_device_quietly(
                m, rule,
                "queue %u: avail.idx = %u, read when the device had taken entries up to %u, "
                "claimed %u new entries; the device took the entries of avail index %u to %u one "
                "by one, whatever their slots held, and now holds %u requests it has not "
                "returned, a whole queue (QEMU: \"Virtqueue size exceeded\")", qi, avail_idx,
                q->shadow_base, (uint16_t)(avail_idx - q->shadow_base), q->shadow_base,
                (uint16_t)(q->last_avail_idx - 1), q->inuse);
        else
            machine_break_device(m, rule, (int)qi,
                                 "queue %u: the device holds %u requests it took and has not "
                                 "returned, a whole queue, and avail.idx = %u offers more "
                                 "(QEMU: \"Virtqueue size exceeded\")", qi, q->inuse, avail_idx);
        return SR_BROKEN;
    }

    uint16_t head;
    uint16_t taken = q->last_avail_idx;
    uint64_t slot = q->avail + 4 + 2ull * (taken % n);
    gm_read16(&m->mem, slot, &head);
    q->last_avail_idx++; /* QEMU: virtqueue_get_head(vq, vq->last_avail_idx++, &head) */
    chain_log_begin(&m->chain_log, qi, head, taken, m->now, m->n_violations);
    if (head >= n) { /* QEMU: "Guest says index %u is available" */
        machine_break_device(m, "split.avail.head-in-range", (int)qi,
                             "queue %u: avail.ring[%u] = %u (the entry for avail index %u), but "
                             "the queue has %u descriptors", qi, taken % n, head, taken, n);
        return SR_BROKEN;
    }
    notify_device_popped(m, qi); /* with EVENT_IDX: avail_event, before the chain is read */
    c->head = head;
    c->indirect = false;
    c->table = 0;
    c->table_len = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
    uint32_t i = head, count = 0;
    struct sr_desc d;
    sr_read_desc(m, q->desc, i, &d);
    if (d.flags & VIRTQ_DESC_F_INDIRECT) {
        /* §2.6.5.3: the head names a table; QEMU ignores its NEXT flag and walks the table. */
        chain_log_desc(&m->chain_log, qi, i, &d, false);
        if ((r = ind_walk(m, qi, c, head, &d)) != SR_OK)
            return r;
    } else {
        for (;;) {
            if (++count > n) { /* QEMU: "Looped descriptor" */
                char why[200];
                loop_back(m, qi, head, why, sizeof(why));
                machine_break_device(m, "split.desc.no-loops", (int)qi,
                                     "queue %u: chain from head %u has more than %u descriptors: "
                                     "it loops: %s", qi, head, n, why);
                return SR_BROKEN;
            }
            ind_check_ring_desc(m, qi, i, &d);  /* INDIRECT further down: a plain buffer */
            in_order_check_ring_next(m, qi, i, &d);
            if (sr_take_desc(m, qi, c, i, &d, "descriptor") != SR_OK)
                return SR_BROKEN;
            if (!(d.flags & VIRTQ_DESC_F_NEXT))
                break;
            if (d.next >= n) { /* QEMU: "Desc next is %u" */
                machine_break_device(m, "split.desc.next-in-range", (int)qi,
                                     "queue %u: descriptor %u links to %u, but the queue has %u "
                                     "descriptors", qi, i, d.next, n);
                return SR_BROKEN;
            }
            i = d.next;
            sr_read_desc(m, q->desc, i, &d);
        }
    }
    /* §2.6.5.2: at most 2^32 bytes in a chain (QEMU sums lengths in 32 bits and does not check). */
    if (c->readable + c->writable > (1ull << 32))
        machine_violation(m, "split.desc.chain-max-4g", (int)qi,
                          "queue %u: the chain from head %u holds %llu bytes, more than 2^32", qi,
                          head, (unsigned long long)(c->readable + c->writable));
    legacy_layout_on_chain(m, qi, c); /* a buffer where the device's used ring lies */
    struct trace_event *e = machine_trace(m, TR_POP, head, avail_idx, 0, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = taken;
    }
    q->inuse++;
    q->pops++;
    rf_pop(m, qi);
    chain_log_taken(&m->chain_log, qi);
    if (device_faults_on_pop(m, qi, head)) /* an injected fault reset or broke the device */
        return m->dev.broken ? SR_BROKEN : SR_EMPTY;
    return SR_OK;
}

enum sr_result sr_pop(struct machine *m, uint32_t qi, struct sr_chain *c)
{
    enum sr_result r = pop_chain(m, qi, c);
    chain_log_end(&m->chain_log, m, qi, m->n_violations);
    return r;
}

bool sr_push(struct machine *m, uint32_t qi, uint16_t head, uint32_t len)
{
    unsigned parts = SR_PUSH_ELEM | SR_PUSH_IDX;
    if (device_faults_on_push(m, qi, head, len, &parts))
        return true; /* an injected device fault holds this answer back, or drops it */
    if (pace_hold(m, qi, head, len, parts))
        return false; /* a replay: published when the recorded device published it */
    sr_push_parts(m, qi, head, len, parts);
    return true;
}

void sr_push_parts(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->live_num;
    if (!q->live || n == 0)
        return;
    if (m->dev.broken) { /* QEMU's virtqueue_fill / _flush on a broken device: nothing written */
        if (q->inuse)
            q->inuse--;
        struct trace_event *e = machine_trace(m, TR_DEVICE, head, len, 0,
                                              "answer dropped: the device is broken");
        if (e)
            e->queue = (uint8_t)qi;
        return;
    }
    uint64_t elem = q->used + 4 + 8ull * (q->used_idx % n);
    rf_used_write(m, qi, elem, parts & SR_PUSH_ELEM ? 8 : 0,
                  parts & SR_PUSH_IDX ? q->used + 2 : 0);
    if (parts & SR_PUSH_ELEM) {
        uint32_t old_id = 0, old_len = 0; /* for weak-memory mode: what a stale read would see */
        gm_read32(&m->mem, elem, &old_id);
        gm_read32(&m->mem, elem + 4, &old_len);
        bc_device_push(m, qi, elem, old_id, old_len);
        gm_write32(&m->mem, elem, head);
        gm_write32(&m->mem, elem + 4, len);
    }
    /* The trace shows the two stores in the order they happen: the element, then the idx. */
    struct trace_event *e = machine_trace(m, TR_USED, elem, len, 8, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = head;
        if (!(parts & SR_PUSH_IDX))
            e->note = "element written, used.idx not advanced (injected device fault)";
        else if (!(parts & SR_PUSH_ELEM))
            e->note = "used.idx advanced, element not written (injected device fault)";
    }
    rf_used(m, qi, elem, len);
    /* §2.6.8.1: the element (and len) before the idx that publishes it. */
    q->used_idx++;
    if (parts & SR_PUSH_IDX) {
        gm_write16(&m->mem, q->used + 2, q->used_idx);
        e = machine_trace(m, TR_DEVICE, q->used + 2, q->used_idx, 2, "used.idx");
        if (e)
            e->queue = (uint8_t)qi;
    }
    /* The device is done with the chain (a later idx store may publish it): not exposed now. */
    exposed_on_used(m, qi, head);
    if (q->inuse)
        q->inuse--;
    q->pushes++;
}

bool sr_batch_add(struct sr_batch *b, const struct sr_chain *c)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        struct sr_batch_chain *ch = realloc(b->chains, cap * sizeof(*ch));
        if (!ch)
            return false;
        b->chains = ch;
        b->cap = cap;
    }
    if (b->nsegs + c->nseg > b->cap_segs) {
        uint32_t cap = b->cap_segs ? 2 * b->cap_segs : 64;
        while (cap < b->nsegs + c->nseg)
            cap *= 2;
        struct sr_seg *segs = realloc(b->segs, cap * sizeof(*segs));
        if (!segs)
            return false;
        b->segs = segs;
        b->cap_segs = cap;
    }
    b->chains[b->n++] = (struct sr_batch_chain){c->head, c->indirect, c->table, c->table_len,
                                                c->readable, c->writable, b->nsegs, c->nseg};
    memcpy(b->segs + b->nsegs, c->seg, c->nseg * sizeof(*c->seg));
    b->nsegs += c->nseg;
    return true;
}

void sr_batch_get(const struct sr_batch *b, uint32_t i, struct sr_chain *c)
{
    const struct sr_batch_chain *h = &b->chains[i];
    c->head = h->head;
    c->indirect = h->indirect;
    c->table = h->table;
    c->table_len = h->table_len;
    c->readable = h->readable;
    c->writable = h->writable;
    c->nseg = h->nseg;
    memcpy(c->seg, b->segs + h->first_seg, h->nseg * sizeof(*c->seg));
}

void sr_batch_free(struct sr_batch *b)
{
    free(b->chains);
    free(b->segs);
    memset(b, 0, sizeof(*b));
}

size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (s->write)
            continue;
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        size_t n = s->len - offset < len - done ? s->len - offset : len - done;
        const void *src = gm_ptr(&m->mem, s->gpa + offset, n);
        if (!src)
            break;
        memcpy((uint8_t *)dst + done, src, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t sr_write(struct machine *m, const struct sr_chain *c, const void *src, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        size_t n = s->len < len - done ? s->len : len - done;
        void *d = gm_ptr(&m->mem, s->gpa, n);
        if (!d)
            break;
        memcpy(d, (const uint8_t *)src + done, n);
        done += n;
    }
    return done;
}

const char sr_f_desc_addr[] = "desc.addr", sr_f_desc_len[] = "desc.len",
           sr_f_desc_flags[] = "desc.flags", sr_f_desc_next[] = "desc.next",
           sr_f_avail_flags[] = "avail.flags", sr_f_avail_idx[] = "avail.idx",
           sr_f_avail_ring[] = "avail.ring", sr_f_avail_used_event[] = "avail.used_event",
           sr_f_used_flags[] = "used.flags", sr_f_used_idx[] = "used.idx",
           sr_f_used_id[] = "used.id", sr_f_used_len[] = "used.len",
           sr_f_used_avail_event[] = "used.avail_event";

const char *sr_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index)
{
    return sr_locate(m, qi, gpa, index); /* ring_locate.h */
}
