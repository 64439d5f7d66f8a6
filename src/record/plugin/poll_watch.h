/* poll_watch.h — spotting a guest that polls memory outside every ring the registers name.
 *
 * A driver whose used ring is not where it told the device (QueueDevice, or a legacy layout of
 * its own) waits on a used.idx the recorder would never see: the plugin records ring memory
 * only. A poll loop is cheap to spot without knowing where the ring is: the same load
 * instruction reads the same 2-byte RAM location again and again with the same value. This
 * watches such loads, per vCPU in a small table indexed by the instruction's pc (no lock: each
 * vCPU's callbacks run on its own thread), and says which of them to record:
 *   - the POLL_RUN-th load of a run of equal values (VQREC_F_POLL: "read again and again");
 *   - once a location was seen polled, each later change of its value (a plain load: the guest
 *     saw the new value), and again the POLL_RUN-th repeat of that value.
 * The caller asks only for 2-byte loads at 2 mod 4 outside the rings, after the first queue
 * notify (used.idx is 16 bits at offset 2 of a 4-byte aligned used ring, §2.6, and nothing can
 * be waited for before a request): one table probe each. */
#ifndef VQREC_POLL_WATCH_H
#define VQREC_POLL_WATCH_H

#include <stdint.h>

#include "record/recording.h"

#define POLL_RUN VQREC_POLL_RUN /* loads of one value in a row that make a poll */
#define POLL_CPUS 16u    /* vCPUs watched (higher ones are not) */
#define POLL_SLOTS 64u   /* load instructions watched per vCPU (by pc hash) */

enum poll_verdict { POLL_SKIP = 0, POLL_RECORD_LOAD = 1, POLL_RECORD_POLL = 2 };

/* A 2-byte RAM load outside the rings by vCPU `cpu`, instruction `pc`, of `value` at `pa`. */
enum poll_verdict poll_watch(unsigned cpu, uint64_t pc, uint64_t pa, uint16_t value);
/* Forget everything (tests; the plugin keeps its table for the run: a location seen polled
 * before a device reset is still worth its changes). Only with no vCPU running. */
void poll_watch_reset(void);

#endif /* VQREC_POLL_WATCH_H */
