/* diagnosis.h — why did a request get no answer (or a broken one)? Read from the run's facts
 * (run_facts.h, kept outside the bounded trace) and the device state, the way an expert reads a
 * QEMU trace.
 *
 * Called when the driver timed out waiting on queue `queue` for a request it made at `since`
 * (or got an answer it could not use). The engine walks the evidence — every MMIO access,
 * including those the device ignored, queue configuration per transport version, notifies,
 * avail/used indices on both sides, where the device wrote and where the driver looked, resets,
 * the broken state, interrupts raised / suppressed / acknowledged, injected device faults — and
 * lists every cause it finds in causal order: the first cause first, its consequences after.
 * Cause ids (the §d list of the device research, D1–D16; stable, used by `expect.cause`):
 *   reinit-without-reset         the driver initialised the device again without a reset: the
 *                                device kept the queue's indices and read the new ring with them
 *   queue-sel-out-of-range   D6  QueueSel named no queue of the device: the setup went nowhere
 *                                (or, ≥ 1024, to the queue selected before)
 *   guest-page-size-missing  D3  legacy: GuestPageSize never written, so QueuePFN counts bytes
 *   queue-not-ready          D1/D2 v2 QueueReady / v1 QueuePFN never written (or ignored)
 *   queue-num-mismatch       D5  QueueNum unset or different from the driver's ring size
 *   rings-outside-ram        D15 a ring is not in guest RAM: the device cannot map it
 *   used-ring-mismatch       D4  the device answered in a used ring the driver does not read
 *   request-unservable           the device holds a request it cannot serve (an entropy request
 *                                with no device-writable byte): its own account (device.h)
 *   no-buffers-posted            the device had events to deliver and too few buffers were
 *                                available (input: the batch dropped): its own account
 *   rx-buffer-too-small          (net) frames dropped: the one receive chain was too short
 *   rx-frame-filtered            (net) frames the receive filter the controlq set dropped
 *   no-notify                D7  QueueNotify never written for the queue (or another index)
 *   avail-idx-not-advanced   D8  notified, but avail.idx did not move (or moved after the notify)
 *   device-broken            D9  an earlier fatal error broke the device: notifies are ignored
 *   reset-while-queued       D11 the device was reset while the request was queued
 *   command-too-short        D10 the request is shorter than the 24-byte gpu header
 *   device-fault                 an injected device fault (device_faults.h) withheld the answer
 *   response-buffer-too-short D16 the writable (response) buffer is missing or too short
 *   command-refused              the device answered a command with an error response: which
 *                                command, what it named, the device's reason
 *   interrupt-suppressed     D12 avail.flags NO_INTERRUPT while the driver waits for one
 *   interrupt-not-acknowledged D13 InterruptStatus never acknowledged: the line stays high and
 *                                the next interrupt never rises
 *   register-wait                the driver gave up waiting for a register to change (the
 *                                reset read-back of Status during initialisation)
 *   unexplained                  none of the above: the evidence is shown, nothing is guessed
 * (D14, a blocked GL renderer, cannot happen on a 2D device without a display backend.)
 */
#ifndef DIAGNOSIS_H
#define DIAGNOSIS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define DIAG_MAX_EVIDENCE 16
#define DIAG_MAX_CAUSES 6

struct diag_evidence {
    const char *key;       /* static */
    char value[192];
};

struct diag_cause {
    const char *id;        /* static cause id (above) */
    const char *section;   /* VirtIO 1.1 section */
    const char *title;     /* that section's title */
    char message[1400];    /* what happened, what the device saw, what to change, which section */
    struct diag_evidence evidence[DIAG_MAX_EVIDENCE];
    int n_evidence;
};

struct diagnosis {
    const char *cause;     /* causes[0].id: the first cause; NULL when there is nothing to say */
    struct diag_cause causes[DIAG_MAX_CAUSES];
    int n_causes;
};

enum diag_kind {
    DIAG_TIMEOUT,          /* no answer before the deadline: always diagnosed */
    DIAG_REGISTER_WAIT,    /* the driver timed out polling a register, before any request */
    DIAG_BAD_RESPONSE,     /* an answer the driver could not use: diagnosed when the model knows
                            * why (a short response buffer, a device fault), else nothing */
};

/* What the harness (the kernel that runs the driver) knows about the driver's queue. */
struct diag_driver_view {
    bool known;
    uint64_t desc, avail, used;  /* where the driver put the three parts */
    uint32_t num;                /* its queue size */
    bool waits_for_interrupt;    /* it sleeps until an interrupt, instead of polling used.idx */
};

struct rf_mark;

struct diag_request {
    enum diag_kind kind;
    uint32_t queue;
    uint64_t since;              /* virtual time the request was made */
    /* The run's counters when it was made (run_facts.h rf_mark), or NULL: since the start of
     * the run. Counts in the diagnosis are since this mark. */
    const struct rf_mark *mark;
    struct diag_driver_view driver;
};

void diagnose(struct machine *m, const struct diag_request *rq, struct diagnosis *out);
/* The timeout diagnosis without a driver view (from the trace alone). */
void diagnose_timeout(struct machine *m, uint32_t queue, uint64_t since, struct diagnosis *out);

/* Every cause id the engine can name, NULL-terminated. */
extern const char *const diag_cause_ids[];
/* Look a key up in the causes, first cause first; NULL when no cause has it. */
const char *diag_evidence_get(const struct diagnosis *d, const char *key);

#endif /* DIAGNOSIS_H */
