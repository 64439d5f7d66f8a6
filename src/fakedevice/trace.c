/* trace.c — see trace.h. */
#include "trace.h"

#include <stdlib.h>

void trace_init(struct trace *t)
{
    t->ev = NULL;
    t->len = t->cap = 0;
}

void trace_free(struct trace *t)
{
    free(t->ev);
    trace_init(t);
}

struct trace_event *trace_add(struct trace *t, const struct trace_event *e)
{
    if (e->kind == TR_RING_LOAD && t->len > 0) {
        struct trace_event *p = &t->ev[t->len - 1];
        if (p->kind == TR_RING_LOAD && p->addr == e->addr && p->value == e->value &&
            p->size == e->size) {
            p->count++;
            return p;
        }
    }
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct trace_event *n = realloc(t->ev, cap * sizeof(*n));
        if (!n)
            return NULL;
        t->ev = n;
        t->cap = cap;
    }
    struct trace_event *d = &t->ev[t->len++];
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
