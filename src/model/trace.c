/* trace.c — see trace.h. */
#include "model/trace.h"

#include <stdlib.h>
#include <string.h>

void trace_init(struct trace *t, size_t limit)
{
    t->ev = NULL;
    t->len = t->cap = t->head = 0;
    t->next = NULL;
    t->room = 0;
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

/* The fast path's cache from the window (trace.h): appends at slot head + len need no wrap
 * while it stays below cap, no drop or growth while len stays below cap; the first event, and
 * one just after a wrap, go through trace_record_full (the last event is not at next - 1). */
static void fast_refresh(struct trace *t)
{
    size_t s = trace_slot(t, t->len);
    t->next = t->ev ? t->ev + s : NULL;
    t->room = t->len == 0 || s == 0 || t->len >= t->cap ? 0
              : (t->cap - s < t->cap - t->len ? t->cap - s : t->cap - t->len);
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
    fast_refresh(t);
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

bool trace_fast_ok(const struct trace *t)
{
    if (!t->room)
        return true; /* nothing cached: trace_record_full recomputes it */
    size_t s = (size_t)(t->next - t->ev);
    return t->len > 0 && s > 0 && s == trace_slot(t, t->len) && s + t->room <= t->cap &&
           t->len + t->room <= t->cap && t->cap <= t->limit;
}

void trace_clear(struct trace *t)
{
    t->dropped += t->len;
    t->len = t->head = 0;
    fast_refresh(t);
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
    d = reserve(t);
    fast_refresh(t);
    if (!d)
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
