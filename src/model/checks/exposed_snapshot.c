/* exposed_snapshot.c — see exposed_snapshot.h. */
#include "model/checks/exposed_snapshot.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"
#include "model/rings/ring_at.h"

_Static_assert(MMIO_NUM_QUEUES <= 32, "a bit per queue in a publish mask");

/* Table entries copied per indirect chain; a longer table is copied in part. */
#define EXPOSED_TABLE_MAX 64u

static struct exposed_state *state(struct machine *m)
{
    if (!m->exposed)
        m->exposed = calloc(1, sizeof(*m->exposed));
    return m->exposed;
}

/* Which avail slot or ring descriptor the piece at gpa is (0..2n-1), or -1 (a table entry). */
static int64_t piece_index(const struct dev_queue *q, uint64_t gpa, uint8_t len)
{
    uint64_t n = q->live_num;
    if (len == 2 && gpa >= q->avail + 4 && gpa < q->avail + 4 + 2 * n && (gpa - q->avail) % 2 == 0)
        return (int64_t)((gpa - q->avail - 4) / 2);
    if (len == 16 && gpa >= q->desc && gpa < q->desc + 16 * n && (gpa - q->desc) % 16 == 0)
        return (int64_t)(n + (gpa - q->desc) / 16);
    return -1;
}

static void forget_queue(struct exposed_state *st, uint32_t qi)
{
    free(st->held[qi]);
    st->held[qi] = NULL;
    st->held_n[qi] = 0;
    size_t w = 0;
    for (size_t r = 0; r < st->n; r++)
        if (st->rec[r].queue != qi)
            st->rec[w++] = st->rec[r];
        else if (st->rec[r].piece < 0)
            st->n_loose--;
    st->n = w;
    st->tracking[qi] = false;
    st->reported[qi] = false;
}

/* Room for one more record; false when there is none (out of memory: the piece goes
 * unwatched, nothing breaks). Out of line: the array grows a few times per run. */
__attribute__((noinline)) static bool grow(struct exposed_state *st)
{
    size_t cap = st->cap ? st->cap * 2 : 64;
    struct exposed_rec *r = realloc(st->rec, cap * sizeof(*r));
    if (!r)
        return false;
    st->rec = r;
    st->cap = cap;
    return true;
}

/* Record the piece (k: its piece_index, which the caller may know without looking; p: its
 * bytes, gm_ptr(gpa, len), NULL when not wholly in RAM); false when it was already recorded
 * (still exposed and unchanged, or a change was reported: what follows it was recorded with
 * it). Inline, len a constant at each call: it runs for every piece of every chain published. */
__attribute__((always_inline)) static inline bool copy_from(struct exposed_state *st,
                                                            uint32_t qi, uint16_t head,
                                                            uint64_t gpa, uint8_t len, int64_t k,
                                                            const void *p)
{
    if (!p)
        return true;
    if (k >= st->held_n[qi])
        k = -1;
    if (k >= 0 && st->held[qi][k])
        return false;
    if (st->n == st->cap && !grow(st))
        return true;
    struct exposed_rec *r = &st->rec[st->n++];
    r->gpa = gpa;
    r->head = head;
    r->queue = (uint8_t)qi;
    r->len = len;
    r->piece = (int32_t)k;
    st->n_loose += k < 0;
    memcpy(r->bytes, p, len);
    if (k >= 0)
        st->held[qi][k] = 1;
    return true;
}

__attribute__((always_inline)) static inline bool copy(struct machine *m,
                                                       struct exposed_state *st, uint32_t qi,
                                                       uint16_t head, uint64_t gpa, uint8_t len,
                                                       int64_t k)
{
    return copy_from(st, qi, head, gpa, len, k, gm_ptr(&m->mem, gpa, len));
}

/* Descriptor i of the ring table at `table`, as split_read_desc reads it (p: its bytes,
 * gm_ptr(table + 16 i, 16); one bounds check for the usual descriptor wholly in RAM). */
static inline void read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                             const uint8_t *p, struct sr_desc *d)
{
    if (!p) { /* partly outside RAM: what the ring's own reader makes of it */
        split_read_desc(mem, table, i, d);
        return;
    }
    memcpy(&d->addr, p, 8);
    memcpy(&d->len, p + 8, 4);
    memcpy(&d->flags, p + 12, 2);
    memcpy(&d->next, p + 14, 2);
}

/* Copy the table of an INDIRECT head (its first EXPOSED_TABLE_MAX entries). */
static void snapshot_table(struct machine *m, struct exposed_state *st, uint32_t qi,
                           uint16_t head, const struct sr_desc *d)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint32_t entries = d->len / 16;
    if (entries > EXPOSED_TABLE_MAX)
        entries = EXPOSED_TABLE_MAX;
    for (uint32_t k = 0; k < entries; k++)
        copy(m, st, qi, head, d->addr + 16ull * k, 16,
             piece_index(q, d->addr + 16ull * k, 16)); /* a table may lie in the ring */
}

/* Copy what the device will read for the chain in avail slot `idx` (bounded, never fails). */
static void snapshot_chain(struct machine *m, struct exposed_state *st, uint32_t qi, uint16_t idx)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->live_num;
    uint32_t s = idx % n;
    uint64_t slot = q->avail + 4 + 2ull * s;
    const uint8_t *sp = gm_ptr(&m->mem, slot, 2); /* read and copied: looked up once */
    if (!sp)
        return;
    uint16_t head;
    memcpy(&head, sp, 2); /* little-endian host, as gm_read16 */
    copy_from(st, qi, head, slot, 2, s, sp); /* piece_index of avail slot idx % n */
    uint32_t i = head;
    for (uint32_t steps = 0; steps < n && i < n; steps++) {
        struct sr_desc d;
        uint64_t at = q->desc + 16ull * i;
        const uint8_t *dp = gm_ptr(&m->mem, at, 16);
        read_desc(&m->mem, q->desc, i, dp, &d);
        if (!copy_from(st, qi, head, at, 16, (int64_t)n + i, dp)) /* ring desc i */
            return; /* the rest of this chain was walked from here before (a shared tail) */
        if (steps == 0 && (d.flags & VIRTQ_DESC_F_INDIRECT)) {
            snapshot_table(m, st, qi, head, &d);
            return;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return;
        i = d.next;
    }
}

/* Queue qi's held marks are about to be dropped: its copies still marked become loose (each
 * keeps being compared, none clears a mark of the new array). */
static void loosen(struct exposed_state *st, uint32_t qi)
{
    for (size_t r = 0; r < st->n; r++)
        if (st->rec[r].queue == qi && st->rec[r].piece >= 0) {
            st->rec[r].piece = -1;
            st->n_loose++;
        }
}

/* Queue qi's avail.idx now holds `now`. */
static void on_publish(struct machine *m, struct exposed_state *st, uint32_t qi, uint16_t now)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint16_t from = st->tracking[qi] ? st->published[qi] : q->last_avail_idx;
    uint16_t added = (uint16_t)(now - from);
    if (st->held_n[qi] != 2 * q->live_num) { /* first publish since the queue went live */
        loosen(st, qi); /* (or its size changed while live: its copies lose their marks) */
        free(st->held[qi]);
        st->held[qi] = calloc(2 * (size_t)q->live_num, 1);
        st->held_n[qi] = st->held[qi] ? 2 * q->live_num : 0;
    }
    st->tracking[qi] = true;
    st->published[qi] = now;
    /* A step back or a jump of more than the queue is the available-ring checks' business
     * (split.avail.*); nothing new is exposed by it. */
    if (added > q->live_num)
        return;
    for (uint16_t k = 0; k < added; k++)
        snapshot_chain(m, st, qi, (uint16_t)(from + k));
}

static const char *rec_what(const struct exposed_rec *r, uint64_t gpa)
{
    if (r->len == 2)
        return "its available-ring slot";
    static const char *f[] = {"a descriptor's addr", "a descriptor's len", "a descriptor's flags",
                              "a descriptor's next"};
    uint64_t off = gpa > r->gpa ? gpa - r->gpa : 0;
    return f[off < 8 ? 0 : off < 12 ? 1 : off < 14 ? 2 : 3];
}

void exposed_on_driver_store(struct machine *m, uint64_t gpa, uint32_t size)
{
    uint32_t publish = 0;
    for (uint32_t qi = 0; qi < m->dev.n_queues; qi++)
        publish |= (uint32_t)ring_at_publishes(&m->dev.q[qi], gpa, size) << qi;
    exposed_on_store_at(m, m->exposed, gpa, size, publish);
}

/* Compare the copies under [gpa, gpa + size) with memory: a changed one is a violation (once
 * per chain). */
static void compare(struct machine *m, struct exposed_state *st, uint64_t gpa, uint32_t size)
{
    for (size_t r = 0; r < st->n; r++) {
        struct exposed_rec *e = &st->rec[r];
        if (gpa >= e->gpa + e->len || gpa + size <= e->gpa)
            continue;
        uint32_t qi = e->queue;
        if (!m->dev.q[qi].live)
            continue; /* a queue reset: its copies are forgotten when it goes live again */
        const void *p = gm_ptr(&m->mem, e->gpa, e->len);
        if (!p || memcmp(p, e->bytes, e->len) == 0)
            continue;
        if (st->reported[qi] && st->reported_head[qi] == e->head)
            continue;
        st->reported[qi] = true;
        st->reported_head[qi] = e->head;
        machine_violation(m, "cleanup.no-alter-exposed", (int)qi,
                          "queue %u: the driver changed %s at 0x%llx while the chain from head "
                          "%u was exposed to the device (made available, not yet used)", qi,
                          rec_what(e, gpa), (unsigned long long)gpa, e->head);
    }
}

void exposed_on_store(struct machine *m, uint64_t gpa, uint32_t size, uint32_t publish)
{
    struct exposed_state *st = state(m);
    if (!st)
        return;
    for (uint32_t qi = 0; publish; qi++, publish >>= 1) {
        uint16_t now;
        if ((publish & 1) && gm_read16(&m->mem, m->dev.q[qi].avail + 2, &now))
            on_publish(m, st, qi, now);
    }
    compare(m, st, gpa, size);
}

void exposed_on_publish(struct machine *m, uint32_t qi, uint64_t gpa, uint16_t v)
{
    struct exposed_state *st = state(m);
    if (!st)
        return;
    on_publish(m, st, qi, v);
    if (st->n_loose) /* a table entry may lie anywhere */
        compare(m, st, gpa, 2);
    assert(st->n_loose || !exposed_under(m, gpa, 2)); /* no ring piece there */
}

bool exposed_under(const struct machine *m, uint64_t gpa, uint32_t size)
{
    const struct exposed_state *st = m->exposed;
    for (size_t r = 0; st && r < st->n; r++) {
        const struct exposed_rec *e = &st->rec[r];
        if (gpa < e->gpa + e->len && gpa + size > e->gpa && m->dev.q[e->queue].live)
            return true;
    }
    return false;
}

void exposed_on_used(struct machine *m, uint32_t qi, uint32_t head)
{
    struct exposed_state *st = m->exposed;
    if (!st)
        return;
    size_t w = 0;
    for (size_t r = 0; r < st->n; r++) {
        const struct exposed_rec *e = &st->rec[r];
        if (e->queue != qi || e->head != head) {
            if (w != r) /* kept in place until the first removed one */
                st->rec[w] = *e;
            w++;
            continue;
        }
        if (e->piece >= 0 && (uint32_t)e->piece < st->held_n[qi])
            st->held[qi][e->piece] = 0;
        st->n_loose -= e->piece < 0;
    }
    st->n = w;
    if (st->reported[qi] && st->reported_head[qi] == head)
        st->reported[qi] = false;
}

void exposed_on_live(struct machine *m, uint32_t qi)
{
    if (m->exposed)
        forget_queue(m->exposed, qi);
}

void exposed_free(struct machine *m)
{
    if (!m->exposed)
        return;
    free(m->exposed->rec);
    for (uint32_t qi = 0; qi < MMIO_NUM_QUEUES; qi++)
        free(m->exposed->held[qi]);
    free(m->exposed);
    m->exposed = NULL;
}
