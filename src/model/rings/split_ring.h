/* split_ring.h — the split virtqueue (§2.6), device side: one implementation of ring.h.
 *
 * The device pops available chains and pushes used elements as QEMU 7.2's virtqueue_pop /
 * virtqueue_push do, with QEMU's checks (avail idx jump > N, head ≥ N, next ≥ N, loops, readable
 * after writable, zero-length buffers, unmappable addresses — each fatal, as virtio_error is)
 * and the ones QEMU skips (16/2/4 alignment, power-of-two size — recorded, not fatal). It reads
 * and writes guest memory only, through the queue's ring_env, and reports through its hooks.
 */
#ifndef SPLIT_RING_H
#define SPLIT_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/ring.h"

struct guest_memory;

/* The split ring's operations (dev_queue.ops). */
extern const struct ring_ops split_ring_ops;

/* vring_need_event (§2.6.7.2, §2.6.10.2): does moving an index from old_idx to new_idx pass
 * `event` (16-bit arithmetic, across the wrap)? */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

/* For the chain walkers (split_ring.c, indirect.c) and the checks that copy what the device will
 * read: descriptor i of the table at `table` (a part outside RAM reads as 0). */
void split_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                     struct sr_desc *d);
/* Check one descriptor of a chain and append its buffer to *c, as QEMU's virtqueue_map_desc
 * (readable after writable, zero length, outside RAM: each fatal). `where` names the table in
 * messages ("descriptor" or "indirect entry"). RING_OK or the refusal. */
enum ring_err split_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i,
                              const struct sr_desc *d, const char *where);

/* The field names the split ring's classify returns: one object each, so callers on a hot path
 * (the barrier analysis, for every ring access) compare by address instead of by string. */
extern const char sr_f_desc_addr[], sr_f_desc_len[], sr_f_desc_flags[], sr_f_desc_next[],
    sr_f_avail_flags[], sr_f_avail_idx[], sr_f_avail_ring[], sr_f_avail_used_event[],
    sr_f_used_flags[], sr_f_used_idx[], sr_f_used_id[], sr_f_used_len[], sr_f_used_avail_event[];

#endif /* SPLIT_RING_H */
