/* device_faults.h — faults of the *device* a scenario can inject (scenario key `device_faults:`),
 * so that a driver's timeout handling and the diagnosis can be tested against a device that
 * misbehaves. Driver bugs live elsewhere (faults.h, `bugs:`): those rewrite what the driver puts
 * on the bus; these change what the device does with a correct request.
 *
 * Vocabulary (each fault selects requests; a request is a chain the device takes from a queue):
 *   never-respond                the device takes the request and never returns it
 *   respond-late {delay_us: T}   the answer is returned T µs after the device took the request
 *   respond-after-second-notify  the answer is held until the driver notifies the queue again
 *   drop-interrupt               the used-buffer interrupt for the request is not raised
 *   set-needs-reset              the device sets DEVICE_NEEDS_RESET and stops (as after an
 *                                internal error, §2.1.2): every later notify is ignored
 *   reset                        the device resets itself when the request arrives: the request
 *                                and the queue setup are lost (a hot reset, a crashed backend)
 *   used-element-without-idx     the used element is written, used.idx is not
 *   used-idx-without-element     used.idx is written, the used element is not
 * Hostile device (the driver must refuse the answer, never trust it; device_faults_hostile.c):
 *   used-id-out-of-range         the used element names id = queue size (§2.6.8)
 *   used-id-not-head             the used element names the chain's second descriptor
 *   used-id-twice                the request is answered, and the next answer on the queue
 *                                names this request's id again instead of its own
 *   used-idx-jump {by: N}        used.idx moves N past the element (default 2)
 *   used-len-too-large           used.len = the chain's writable bytes + 1 (§2.6.8.1)
 *   rewrite-descriptors          the device overwrites the chain's descriptors with garbage
 *                                (addr, len, flags, next) before it returns it
 *   wrong-response-type {type: T} the gpu response header says T (default: OK_NODATA for
 *                                GET_DISPLAY_INFO / GET_EDID, OK_DISPLAY_INFO otherwise)
 *   wrong-response-size {len: N} the gpu response is N bytes (clamped to the buffer)
 *   garbage-response {field: F, value: V} one field of the gpu response says V: F is
 *                                display.width | display.height | display.enabled (scanout 0
 *                                of GET_DISPLAY_INFO) or edid.size (GET_EDID)
 *   event-index {field: F, value: V | offset: D} when the device takes the request it writes
 *                                an event index of its choosing (with VIRTIO_F_EVENT_IDX): F =
 *                                avail_event (default: the kick the device asks for, in its own
 *                                used ring) or used_event (the driver's interrupt request, in the
 *                                available ring, overwritten); V absolute, or D added (16-bit) to
 *                                what QEMU would publish: last_avail_idx for avail_event, used.idx
 *                                for used_event. To test a driver's 16-bit event arithmetic.
 *   garbage-config {field: F, value: V} every device read of gpu config field F
 *                                (num_scanouts | events_read) returns V, from after_us on
 *                                (request selectors do not apply); F = generation: every read
 *                                of ConfigGeneration returns a new value (V, V+1, …)
 * On a packed ring (§2.7) the used "element" is a used descriptor's id and len and its
 * publication the descriptor's flags; used-idx-jump and event-index write split-ring fields
 * (device_fault_split_field) and are refused there.
 * Selectors, composable: `queue` (default 0); `nth` (the nth request on that queue, from 1;
 * default 1; 0 = every request) or `from_nth` (the nth and every later one); `after_us` (only
 * requests the device takes at or after that virtual time). Several faults may apply to one
 * request (e.g. respond-late and drop-interrupt).
 *
 * Every fault that fires is recorded in the trace as a `device` event whose `what` is the fault
 * name and whose note is device_fault_note, with the request number in `aux`.
 */
#ifndef DEVICE_FAULTS_H
#define DEVICE_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

enum df_kind {
    DF_NEVER_RESPOND,
    DF_RESPOND_LATE,
    DF_RESPOND_AFTER_SECOND_NOTIFY,
    DF_DROP_INTERRUPT,
    DF_SET_NEEDS_RESET,
    DF_RESET,
    DF_USED_ELEMENT_WITHOUT_IDX,
    DF_USED_IDX_WITHOUT_ELEMENT,
    DF_USED_ID_OUT_OF_RANGE,
    DF_USED_ID_NOT_HEAD,
    DF_USED_ID_TWICE,
    DF_USED_IDX_JUMP,
    DF_USED_LEN_TOO_LARGE,
    DF_REWRITE_DESCRIPTORS,
    DF_WRONG_RESPONSE_TYPE,
    DF_WRONG_RESPONSE_SIZE,
    DF_GARBAGE_CONFIG,
    DF_GARBAGE_RESPONSE,
    DF_EVENT_INDEX,
    DF_KIND_COUNT
};

#define DF_MAX 16
#define DF_MAX_HELD 64
#define DF_QUEUES 3u

struct device_fault {
    enum df_kind kind;
    uint32_t queue;
    uint32_t nth;        /* 1-based request number, 0 = every */
    uint32_t from_nth;   /* non-zero: this request and every later one (nth ignored) */
    uint64_t after_ns;   /* only requests taken at or after this virtual time */
    uint64_t delay_ns;   /* respond-late */
    uint32_t by;         /* used-idx-jump */
    bool has_value;      /* wrong-response-type / -size: value given */
    uint32_t value;      /* wrong-response-type: type; -size: len; garbage-config: value */
    uint32_t field;      /* garbage-config: config offset (0 events_read, 8 num_scanouts,
                          * DF_FIELD_GENERATION the ConfigGeneration register);
                          * garbage-response: enum df_response_field;
                          * event-index: enum df_event_field */
    int32_t offset;      /* event-index: added to QEMU's value (when !has_value) */
    uint32_t fired;
};

/* An answer the device holds back (respond-late, respond-after-second-notify). */
struct df_held {
    uint32_t queue, request;
    uint16_t head;
    uint32_t len;
    bool by_notify;      /* released by a later notify, else at `due` */
    uint64_t due;
    uint32_t notifies;   /* the queue's notify count when held */
    bool no_irq;         /* drop-interrupt applies to it too */
};

struct device_faults {
    struct device_fault f[DF_MAX];
    uint32_t n;
    /* Run-time state. */
    uint32_t requests[DF_QUEUES];       /* requests taken per queue since the machine started */
    uint32_t cur_request[DF_QUEUES];    /* the request being processed (between pop and push) */
    uint32_t cur_mask[DF_QUEUES];       /* bit per enum df_kind that applies to it */
    uint32_t last_pushed[DF_QUEUES];    /* request number of the last answer returned */
    bool last_no_irq[DF_QUEUES];        /* …and whether drop-interrupt applies to it */
    uint16_t used_idx_at_irq[DF_QUEUES];
    struct df_held held[DF_MAX_HELD];
    uint32_t n_held;
    uint32_t generation_reads;          /* garbage-config generation: reads so far */
    bool twice_pending[DF_QUEUES];      /* used-id-twice: the next answer names twice_head */
    uint16_t twice_head[DF_QUEUES];
};

/* The fault names, by enum df_kind (scenario vocabulary). */
extern const char *const device_fault_names[DF_KIND_COUNT + 1];
/* The note of every trace event a device fault records (compare by pointer). */
extern const char device_fault_note[];
/* What each fault does, in one sentence (for the diagnosis). */
const char *device_fault_effect(enum df_kind k);
/* The same on a packed ring (§2.7), where the used "element" is a descriptor's id and len and
 * its publication the descriptor's flags (AVAIL = USED = the device's wrap counter). */
const char *device_fault_effect_packed(enum df_kind k);
/* A fault that writes a field only the split ring has (its name and section), or NULL: such a
 * fault cannot be injected on a packed ring (the scenario parser refuses it). */
const char *device_fault_split_field(enum df_kind k);

/* Hooks, called by the device model with m's own state d = &m->dfaults. Each is inline for what
 * every request does when no fault applies to it (most runs inject none), and calls the _any
 * form, which handles every case, otherwise. */
bool device_faults_on_pop_any(struct machine *m, uint32_t qi, uint16_t head);
bool device_faults_on_push_any(struct machine *m, uint32_t qi, uint16_t head, uint32_t len,
                               unsigned *parts);
bool device_faults_drop_irq(struct machine *m, uint32_t qi);

/* A chain was taken from queue qi. Returns true when the device must stop processing: the
 * fault reset the device or broke it. */
static inline bool device_faults_on_pop(struct machine *m, struct device_faults *d, uint32_t qi,
                                        uint16_t head)
{
    if (d->n != 0 || qi >= DF_QUEUES)
        return device_faults_on_pop_any(m, qi, head);
    d->cur_request[qi] = ++d->requests[qi]; /* no fault selects it */
    d->cur_mask[qi] = 0;
    return false;
}
/* The device is about to return head with len. *parts may lose RING_PUSH_ELEM / RING_PUSH_IDX.
 * Returns true when the answer is held back or dropped (the caller writes nothing). */
static inline bool device_faults_on_push(struct machine *m, struct device_faults *d,
                                         uint32_t qi, uint16_t head, uint32_t len,
                                         unsigned *parts)
{
    if (qi < DF_QUEUES && !d->cur_mask[qi] && !d->twice_pending[qi]) { /* no fault on it */
        d->last_pushed[qi] = d->cur_request[qi];
        d->last_no_irq[qi] = false;
        return false;
    }
    return device_faults_on_push_any(m, qi, head, len, parts);
}
/* The device is about to raise the used-buffer interrupt for qi, whose used index is now
 * used_idx: true = do not raise it. */
static inline bool device_faults_on_irq(struct machine *m, struct device_faults *d, uint32_t qi,
                                        uint16_t used_idx)
{
    if (qi >= DF_QUEUES)
        return false;
    /* Nothing new was published (every answer was held or dropped): no interrupt at all. */
    if (used_idx == d->used_idx_at_irq[qi])
        return true;
    d->used_idx_at_irq[qi] = used_idx;
    return d->last_no_irq[qi] && device_faults_drop_irq(m, qi);
}
/* Return held answers that are due (time or notify); called before the device looks at qi. */
void device_faults_flush(struct machine *m, uint32_t qi);
/* Device reset: held answers are lost. */
void device_faults_on_reset(struct machine *m);

/* device_faults_hostile.c. A hostile fault of the current request on qi rewrites the answer:
 * returns true when it wrote the used element itself (the caller writes nothing more). */
bool device_faults_hostile_push(struct machine *m, uint32_t qi, uint32_t mask, uint32_t request,
                                uint16_t head, uint32_t len);
/* event-index fields. */
enum df_event_field { DF_EVENT_AVAIL = 0, DF_EVENT_USED = 1 };

/* garbage-response fields. */
enum df_response_field { DF_RESP_DISPLAY_WIDTH, DF_RESP_DISPLAY_HEIGHT, DF_RESP_DISPLAY_ENABLED,
                         DF_RESP_EDID_SIZE };
/* Before the gpu writes its response on qi: wrong-response-type / -size change *type and
 * *len (bytes of the response to write), garbage-response one field of resp (a response of
 * `cap` bytes: struct virtio_gpu_resp_display_info or _edid as *type says). */
void device_faults_on_response(struct machine *m, uint32_t qi, uint32_t *type, size_t *len,
                               void *resp, size_t cap);
/* A device read of gpu config at `off` (or of ConfigGeneration, off = DF_FIELD_GENERATION):
 * garbage-config replaces *value. */
#define DF_FIELD_GENERATION 0xfcu
void device_faults_on_config_read(struct machine *m, uint32_t off, uint32_t *value);
/* The trace note shared with device_faults.c. */
void device_fault_trace(struct machine *m, enum df_kind k, uint32_t qi, uint32_t request,
                        uint64_t addr, uint64_t value);

#endif /* DEVICE_FAULTS_H */
