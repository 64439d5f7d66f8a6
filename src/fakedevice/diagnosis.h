/* diagnosis.h — why did a request get no answer? Read from the trace and the device state.
 *
 * Called when the driver timed out waiting on queue `queue` for a request it made at `since`.
 * Walks the evidence in causal order and names the first cause found:
 *   device-broken       an earlier fatal ring error broke the device; notifies were ignored
 *   queue-not-ready     the queue was never made live (v2 QueueReady / v1 QueuePFN missing)
 *   no-notify           the driver never wrote QueueNotify for this queue (or wrote another index)
 *   avail-idx-not-advanced  notified, but avail.idx did not move past what the device had seen
 *   used-ring-mismatch  the device answered, in a used ring the driver does not read
 *   command-truncated   a gpu request shorter than its 24-byte header (QEMU never answers it)
 *   unexplained         none of the above: the evidence is shown, nothing is guessed
 */
#ifndef DIAGNOSIS_H
#define DIAGNOSIS_H

#include <stdint.h>

struct machine;

#define DIAG_MAX_EVIDENCE 12

struct diagnosis {
    const char *cause;     /* static id, NULL when there is nothing to explain */
    const char *section;   /* VirtIO 1.1 section */
    const char *title;
    char message[1024];
    struct {
        const char *key;
        char value[192];
    } evidence[DIAG_MAX_EVIDENCE];
    int n_evidence;
};

void diagnose_timeout(struct machine *m, uint32_t queue, uint64_t since, struct diagnosis *out);

#endif /* DIAGNOSIS_H */
