/* trace.h — the record of everything that crossed the seam, in virtual-time order.
 *
 * The backbone of the model: checks, the diagnosis and the report all read this one record.
 * Events carry only static strings (register names, rule ids, notes), so recording never formats
 * or allocates per event beyond the array's amortised growth. Identical consecutive ring loads
 * (a driver polling used.idx) fold into one event with a count.
 */
#ifndef TRACE_H
#define TRACE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum trace_kind {
    TR_MMIO_READ,
    TR_MMIO_WRITE,
    TR_RING_STORE,
    TR_RING_LOAD,
    TR_BARRIER,
    TR_NOTIFY,    /* the device accepted a QueueNotify and will look at the queue */
    TR_POP,       /* the device took a chain: addr = head, value = avail idx seen */
    TR_USED,      /* the device wrote a used element and idx: addr = element address */
    TR_IRQ,       /* the device raised the interrupt: value = InterruptStatus */
    TR_STEP,      /* a scenario step began: what = step name */
    TR_VIOLATION, /* what = rule id */
    TR_DEVICE,    /* other device-side event: what = description */
};

struct trace_event {
    uint64_t t;         /* virtual time, ns */
    uint64_t addr;      /* guest-physical address, or MMIO offset */
    uint64_t value;
    uint32_t count;     /* identical consecutive loads folded into this one */
    uint16_t kind;
    uint8_t size;       /* access width in bytes */
    uint8_t queue;
    uint32_t aux;       /* kind-specific: used id, used idx… */
    const char *what;   /* static: register name, barrier kind, rule id, step name */
    const char *note;   /* static: why the device ignored it, or which fault rewrote it */
};

/* The trace is bounded so a long run (a benchmark, a driver looping for millions of requests)
 * costs bounded memory: at most `limit` events are kept. When an append finds the trace full,
 * the oldest three quarters are dropped and counted in `dropped`; so the newest limit/4 events
 * at least are always there. The kept events are a circular window of ev[0..cap): event i of
 * the window (0 = oldest kept, time order) is *trace_ev(t, i), at ev[head + i] wrapped at cap, so
 * dropping only moves `head` (no event is ever copied: an append is a few stores). Event number
 * k of the whole run (counting dropped ones) is trace_ev(t, k - dropped) while kept. Until the
 * first drop head is 0 and the window is ev[0..len) itself; trace_linearize puts it back there.
 * Checks that need the whole history must therefore look at events as they are added, or within
 * the window; every scenario in the suite stays far below the default bound. */
#define TRACE_DEFAULT_LIMIT (1u << 16) /* events: 3.5 MiB at most, ~330x the longest scenario */

struct trace {
    struct trace_event *ev;
    size_t len, cap;
    size_t head;        /* where the oldest kept event is in ev[0..cap) */
    size_t limit;       /* most events kept (≥ 2) */
    uint64_t dropped;   /* events dropped from the front since trace_init */
    /* The append fast path (trace_record): the next event goes to *next, the last one is just
     * before it, and `room` more appends need no wrap, drop or growth (0: trace_record_full
     * decides). A cache of head, len and cap: trace_fast_ok says so in test builds. */
    struct trace_event *next;
    size_t room;
};

/* Where event i of the window (i < len) is in ev[]: head + i, wrapped at cap. */
static inline size_t trace_slot(const struct trace *t, size_t i)
{
    size_t s = t->head + i;
    return s >= t->cap ? s - t->cap : s;
}

/* Event i of the window (0 = the oldest kept; i < len). */
static inline struct trace_event *trace_ev(const struct trace *t, size_t i)
{
    return &t->ev[trace_slot(t, i)];
}

/* An event's run-wide number (see above), or UINT64_MAX for none. A pointer into ev[] is valid
 * only until the next append (which may grow the array or drop its oldest events): code that
 * records an event and fills it in after calling anything that may record must hold its number
 * and look it up again with trace_at_seq. */
static inline uint64_t trace_seq(const struct trace *t, const struct trace_event *e)
{
    if (!e)
        return UINT64_MAX;
    size_t s = (size_t)(e - t->ev);
    return t->dropped + (s >= t->head ? s - t->head : s + t->cap - t->head);
}

/* Event number seq while it is kept; NULL when it was dropped meanwhile (or seq is UINT64_MAX). */
static inline struct trace_event *trace_at_seq(struct trace *t, uint64_t seq)
{
    if (seq == UINT64_MAX || seq < t->dropped || seq - t->dropped >= t->len)
        return NULL;
    return trace_ev(t, (size_t)(seq - t->dropped));
}

/* Put the window back at ev[0..len) (head 0), the events unchanged: for a reader that wants one
 * array (the results, once per run). In place, O(cap), nothing allocated. */
void trace_linearize(struct trace *t);

/* limit 0 means TRACE_DEFAULT_LIMIT. */
void trace_init(struct trace *t, size_t limit);
void trace_free(struct trace *t);
/* Append (or fold into the previous identical load); returns the event or NULL on OOM. */
struct trace_event *trace_add(struct trace *t, const struct trace_event *e);
/* trace_record when the fast path cannot: the first event, a full array (drop, grow). */
struct trace_event *trace_record_full(struct trace *t, uint64_t time, enum trace_kind kind,
                                      uint64_t addr, uint64_t value, uint8_t size,
                                      const char *what);

/* A new event from its fields (count 1, queue 0, aux 0, note NULL). Field by field, not a copy
 * of a struct built on the stack: the copy's wide loads would wait for the narrow stores that
 * built it (a store-forwarding stall on every event). */
static inline void trace_fill(struct trace_event *d, uint64_t time, enum trace_kind kind,
                              uint64_t addr, uint64_t value, uint8_t size, const char *what)
{
    d->t = time;
    d->addr = addr;
    d->value = value;
    /* count 1, kind, size, queue 0 as one word (a constant where kind and size are), then aux 0
     * with the padding after it: two stores for six fields (little-endian host, as virtio_spec.h;
     * the layout is asserted below) */
    uint64_t head = 1u | (uint64_t)(uint16_t)kind << 32 | (uint64_t)size << 48, zero = 0;
    memcpy(&d->count, &head, sizeof(head));
    memcpy(&d->aux, &zero, sizeof(zero));
    d->what = what;
    d->note = NULL;
}
_Static_assert(offsetof(struct trace_event, kind) == offsetof(struct trace_event, count) + 4 &&
                   offsetof(struct trace_event, size) == offsetof(struct trace_event, count) + 6 &&
                   offsetof(struct trace_event, queue) == offsetof(struct trace_event, count) + 7 &&
                   offsetof(struct trace_event, what) == offsetof(struct trace_event, aux) + 8,
               "trace_fill writes count..queue as one word, aux and its padding as another");

/* Whether the fast path's cache (next, room) agrees with the window: room appends fit between
 * next and both the array's end and the window's bound, and next is the slot after the last
 * event, which is at next - 1 (trace.c; asserted after every fast append in test builds; the
 * slow path recomputes the cache from head, len and cap). */
bool trace_fast_ok(const struct trace *t);

/* Empty the window (its events count as dropped), keeping the array. */
void trace_clear(struct trace *t);

/* The same as trace_add from the fields (count 1, queue 0, aux 0, note NULL): the hot path of
 * recording. Inline, and with nothing to call in the common case (room in the array), so an
 * event costs one compare and a few stores; the rest is trace_record_full. */
static inline struct trace_event *trace_record(struct trace *t, uint64_t time,
                                               enum trace_kind kind, uint64_t addr,
                                               uint64_t value, uint8_t size, const char *what)
{
    if (!t->room)
        return trace_record_full(t, time, kind, addr, value, size, what);
    struct trace_event *d = t->next - 1; /* the last event (room: it is in the array) */
    if (kind == TR_RING_LOAD && d->kind == TR_RING_LOAD && d->addr == addr && d->value == value &&
        d->size == size) { /* fold a repeated identical load */
        d->count++;
        return d;
    }
    d = t->next++;
    t->room--;
    t->len++;
    trace_fill(d, time, kind, addr, value, size, what);
    assert(trace_fast_ok(t));
    return d;
}
const char *trace_kind_name(enum trace_kind k);
/* Index of the first kept event at or after virtual time `since` (len when none): the trace is
 * in time order, so a look at "what happened since" costs O(log n), not a scan from the start. */
size_t trace_first_since(const struct trace *t, uint64_t since);

#endif /* TRACE_H */
