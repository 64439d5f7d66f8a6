/* barrier_filter.h — which executed barriers a recording keeps.
 *
 * A guest kernel executes a barrier every few hundred instructions (locks, RCU, page tables…);
 * recorded one by one they were 99.6 % of a Linux boot's events. The checker uses a barrier only
 * for what it orders between two recorded accesses of the same vCPU (ring loads and stores,
 * virtio-mmio register accesses: barrier_check.h, pairings A–D, judged per vCPU). So per vCPU:
 *   - a barrier before that vCPU's first recorded access orders nothing recorded: dropped;
 *   - the barriers between two recorded accesses are kept as the set of their kinds, emitted just
 *     before the second access: one MB if any was a full barrier (it orders everything an RMB or
 *     a WMB would), else one RMB and / or one WMB (an RMB and a WMB together are not an MB: neither
 *     orders a store before a later load). The pc and instruction of the last barrier of each kind
 *     are kept;
 *   - barriers after a vCPU's last recorded access are never emitted.
 * So, for every pair of consecutive recorded accesses of one vCPU, whether a barrier of each kind
 * lay between them is exactly what was executed. Each vCPU's state is touched only by that vCPU's
 * own callbacks (one thread per vCPU, or all on one thread): no lock.
 */
#ifndef VQREC_BARRIER_FILTER_H
#define VQREC_BARRIER_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#define BF_CPUS 256u /* the recording's vCPU field is 8 bits */

struct bf_barrier {
    uint32_t kind; /* enum vqrec_barrier */
    uint32_t op;   /* the instruction word */
    uint64_t pc;
};

/* vCPU `cpu` executed a barrier of `kind` (enum vqrec_barrier). */
void bf_barrier(unsigned cpu, uint32_t kind, uint32_t op, uint64_t pc);
/* vCPU `cpu` is about to record an access: the barriers to emit first (0 to 2), into out.
 * From now on this vCPU's barriers count. */
unsigned bf_access(unsigned cpu, struct bf_barrier out[2]);
/* Executed and kept so far (all vCPUs; approximate while vCPUs run). */
void bf_counts(uint64_t *executed, uint64_t *kept);
/* Forget everything (tests). Only with no vCPU running. */
void bf_reset(void);

#endif /* VQREC_BARRIER_FILTER_H */
