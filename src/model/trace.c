/* trace.c — see trace.h. */
#include "model/trace.h"

#include <stdlib.h>
#include <string.h>

void trace_init(struct trace *t, size_t limit)
{
    t->ev = NULL;
    t->len = t->cap = t->head = 0;
    t->limit = limit ? (limit < 2 ? 2 : limit) : TRACE_DEFAULT_LIMIT;
    t->dropped = 0;
}

void trace_free(struct trace *t)
{
    free(t->ev);
    trace_init(t, t->limit);
}

size_t trace_first_since(const struct trace *t, uint64_t since)
{
    size_t lo = 0, hi = t->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (trace_ev(t, mid)->t < since)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void reverse(struct trace_event *lo, struct trace_event *hi) /* [lo, hi) */
{
    while (lo + 1 < hi) {
        struct trace_event x = *lo;
        *lo++ = *--hi;
        *hi = x;
    }
}

void trace_linearize(struct trace *t)
{
    if (t->head == 0)
        return;
    /* rotate ev[0..cap) left by head (three reversals): the window moves to ev[0..len) */
    reverse(t->ev, t->ev + t->head);
    reverse(t->ev + t->head, t->ev + t->cap);
    reverse(t->ev, t->ev + t->cap);
    t->head = 0;
}

static struct trace_event *reserve(struct trace *t)
{
    if (t->len >= t->limit) { /* full: keep the newest quarter (trace.h), by moving head */
        size_t keep = t->len / 4 ? t->len / 4 : 1;
        t->head = trace_slot(t, t->len - keep);
        t->dropped += t->len - keep;
        t->len = keep;
    }
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        if (cap > t->limit)
            cap = t->limit;
        if (cap <= t->cap) /* (a limit lowered under a full array) */
            return NULL;
        trace_linearize(t); /* growth keeps the window at ev[0] */
        struct trace_event *n = realloc(t->ev, cap * sizeof(*n));
        if (!n)
            return NULL;
        t->ev = n;
        t->cap = cap;
    }
    return trace_ev(t, t->len++);
}

struct trace_event *trace_record_full(struct trace *t, uint64_t time, enum trace_kind kind,
                                      uint64_t addr, uint64_t value, uint8_t size,
                                      const char *what)
{
    struct trace_event *d;
    if (kind == TR_RING_LOAD && t->len > 0) { /* fold a repeated identical load */
        d = trace_ev(t, t->len - 1);
        if (d->kind == TR_RING_LOAD && d->addr == addr && d->value == value && d->size == size) {
            d->count++;
            return d;
        }
    }
    if (!(d = reserve(t)))
        return NULL;
    trace_fill(d, time, kind, addr, value, size, what);
    return d;
}

struct trace_event *trace_add(struct trace *t, const struct trace_event *e)
{
    struct trace_event *d = trace_record(t, e->t, (enum trace_kind)e->kind, e->addr, e->value,
                                         e->size, e->what);
    if (!d || d->count > 1) /* folded into the previous load */
        return d;
    *d = *e;
    if (d->count == 0)
        d->count = 1;
    return d;
}

const char *trace_kind_name(enum trace_kind k)
{
    switch (k) {
    case TR_MMIO_READ: return "mmio-read";
    case TR_MMIO_WRITE: return "mmio-write";
    case TR_RING_STORE: return "ring-store";
    case TR_RING_LOAD: return "ring-load";
    case TR_BARRIER: return "barrier";
    case TR_NOTIFY: return "notify";
    case TR_POP: return "pop";
    case TR_USED: return "used";
    case TR_IRQ: return "irq";
    case TR_STEP: return "step";
    case TR_VIOLATION: return "violation";
    case TR_DEVICE: return "device";
    }
    return "unknown";
}
