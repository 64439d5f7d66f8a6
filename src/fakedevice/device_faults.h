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
    DF_KIND_COUNT
};

#define DF_MAX 16
#define DF_MAX_HELD 64
#define DF_QUEUES 2u

struct device_fault {
    enum df_kind kind;
    uint32_t queue;
    uint32_t nth;        /* 1-based request number, 0 = every */
    uint32_t from_nth;   /* non-zero: this request and every later one (nth ignored) */
    uint64_t after_ns;   /* only requests taken at or after this virtual time */
    uint64_t delay_ns;   /* respond-late */
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
};

/* The fault names, by enum df_kind (scenario vocabulary). */
extern const char *const device_fault_names[DF_KIND_COUNT + 1];
/* The note of every trace event a device fault records (compare by pointer). */
extern const char device_fault_note[];
/* What each fault does, in one sentence (for the diagnosis). */
const char *device_fault_effect(enum df_kind k);

/* Hooks, called by the device model. */
/* A chain was taken from queue qi. Returns true when the device must stop processing: the
 * fault reset the device or broke it. */
bool device_faults_on_pop(struct machine *m, uint32_t qi, uint16_t head);
/* The device is about to return head with len. *parts may lose SR_PUSH_ELEM / SR_PUSH_IDX.
 * Returns true when the answer is held back or dropped (the caller writes nothing). */
bool device_faults_on_push(struct machine *m, uint32_t qi, uint16_t head, uint32_t len,
                           unsigned *parts);
/* The device is about to raise the used-buffer interrupt for qi: true = do not raise it. */
bool device_faults_on_irq(struct machine *m, uint32_t qi);
/* Return held answers that are due (time or notify); called before the device looks at qi. */
void device_faults_flush(struct machine *m, uint32_t qi);
/* Device reset: held answers are lost. */
void device_faults_on_reset(struct machine *m);

#endif /* DEVICE_FAULTS_H */
