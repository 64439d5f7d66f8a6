/* packed_walk.h — reading the chains of a packed ring (§2.7.6, §2.7.7), for packed_ring.c.
 *
 * A chain is read as QEMU 7.2's virtqueue_packed_pop reads it: from the head on, descriptor after
 * descriptor in ring order (wrapping to 0 at the end of the ring) while NEXT is set; or, for a
 * head with INDIRECT, every entry of its table in order (NEXT ignored, §2.7.7). Each buffer is
 * checked as QEMU's virtqueue_map_desc checks it (fatal) under the packed.* rule ids.
 */
#ifndef PACKED_WALK_H
#define PACKED_WALK_H

#include "model/rings/ring.h"

struct guest_memory;

/* Descriptor i of the packed table at `table` into *d (its buffer id in d->next; a part outside
 * RAM reads as 0). */
void packed_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                      struct sr_desc *d);
/* (The chain linked in ring order from a head: packed_hot.h's packed_hot_walk.) */
/* The chain in the indirect table the head at ring offset `at` (*d) names. */
enum ring_err pk_walk_table(struct dev_queue *q, struct sr_chain *c, uint16_t at,
                            const struct sr_desc *d);
/* The field of an indirect table a ring descriptor names ("indirect.flags" …), or NULL. */
const char *pk_classify_table(const struct dev_queue *q, uint64_t gpa, uint32_t *index);

#endif /* PACKED_WALK_H */
