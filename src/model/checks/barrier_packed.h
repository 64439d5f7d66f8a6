/* barrier_packed.h — the packed ring's barrier pairings (§2.7.21, §2.7.22), the half of the
 * barrier analysis (barrier_check.h) for queues that negotiated VIRTIO_F_RING_PACKED. The same
 * linear pass over the driver's accesses in program order, the same per-CPU state (bc_queue),
 * the same weak-memory replay; the driver's call sites are vq_packed.c's barriers 6–10.
 *
 *   PA  list stores (addr, len, id, the flags of its later descriptors, an indirect table) → wmb
 *       (or mb) → the store of the head's flags that makes it available   packed.flags-barrier
 *   PB  that head flags store → mb → load of the Device Area (flags / off_wrap) deciding the
 *       notification                                        packed.barrier-before-event-suppression
 *   PC  load of a descriptor's flags → rmb (or mb) → loads of its id / len
 *                                                           packed.receive.rmb-before-id-len
 *   PD  used-buffer notifications re-enabled (Driver Area flags ENABLE / DESC, or off_wrap while
 *       they are on) → mb → the descriptor flags re-read      packed.receive.mb-before-reread
 *   PE  Driver Area off_wrap store → wmb (or mb) → its flags store of DESC that makes the device
 *       use it                                               packed.event.off-wrap-before-flags
 *
 * A head is told from the other descriptors of a list by the driver's own stores: the analysis
 * follows where its next list starts (offset 0, wrap counter 1 when the queue goes live; past
 * each list it publishes, by the list's NEXT links), so a store into a list the device already
 * holds (another rule's violation) is never taken for a publication.
 */
#ifndef BARRIER_PACKED_H
#define BARRIER_PACKED_H

#include <stdbool.h>
#include <stdint.h>

#include "model/checks/barrier_check.h"

struct machine;
struct trace_event;

/* Pairing slots (bc_queue.reports) of the packed ring, after the split ring's 0..3. */
enum { BCP_PA = 4, BCP_PB, BCP_PC, BCP_PD, BCP_PE };

/* A driver store / load at gpa, with RING_PACKED negotiated. The store returns false when gpa is
 * in no live packed ring (the caller goes on); the load returns what the driver gets. */
bool bcp_ring_store(struct machine *m, uint64_t gpa, uint64_t old, uint64_t v, uint8_t size);
uint64_t bcp_ring_load(struct machine *m, uint64_t gpa, uint64_t v, uint8_t size);

/* Plain ring access feeds the analysis no packed ring access (barrier_check.c plain_diff diffs
 * a split ring only): the five rules are not judged; a plain-mode run with RING_PACKED negotiated
 * lists them (NULL-terminated, as bc_plain_not_judged). */
extern const struct bc_not_judged bcp_plain_not_judged[];

/* Is `rule` one of the five above (area packed, for bc_explain)? */
bool bcp_is_barrier_rule(const char *rule);

/* barrier_check.c's helpers, shared by both halves: the report cap per pairing, a weak-memory
 * trace event, and the two replays (unordered stores undone while the device looks; the
 * re-enabling store undone while the device does its pending work). */
bool bc_should_report(struct machine *m, uint32_t qi, unsigned pairing);
struct trace_event *bc_weak_event(struct machine *m, uint32_t qi, uint64_t addr, uint64_t value,
                                  uint8_t size, const char *note);
void bc_weak_publish(struct machine *m, uint32_t qi, struct bc_queue *q, uint64_t at,
                     const char *note);
void bc_weak_reread(struct machine *m, uint32_t qi, struct bc_queue *q, const char *note);

#endif /* BARRIER_PACKED_H */
