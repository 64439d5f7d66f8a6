/* trace.h — the record of everything that crossed the seam, in virtual-time order.
 *
 * The backbone of the model: checks, the diagnosis and the report all read this one record.
 * Events carry only static strings (register names, rule ids, notes), so recording never formats
 * or allocates per event beyond the array's amortised growth. Identical consecutive ring loads
 * (a driver polling used.idx) fold into one event with a count.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>
#include <stdint.h>

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

struct trace {
    struct trace_event *ev;
    size_t len, cap;
};

void trace_init(struct trace *t);
void trace_free(struct trace *t);
/* Append (or fold into the previous identical load); returns the event or NULL on OOM. */
struct trace_event *trace_add(struct trace *t, const struct trace_event *e);
const char *trace_kind_name(enum trace_kind k);

#endif /* TRACE_H */
