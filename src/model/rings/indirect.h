/* indirect.h — indirect descriptor tables of the split ring (§2.6.5.3), device side.
 *
 * The device follows an INDIRECT head as QEMU 7.2's virtqueue_split_pop does: whatever was
 * negotiated, ignoring NEXT on the head, treating INDIRECT inside a table as a plain buffer; a
 * table whose length is zero or not a multiple of 16, or that lies outside RAM, is fatal. On top
 * of QEMU it records a table chain longer than the queue (§2.6.5.3.1); the rules on the flags
 * (INDIRECT without VIRTIO_RING_F_INDIRECT_DESC, with NEXT, inside a table) are checks that hear
 * every descriptor (the `descriptor` hook: model/checks/indirect_checks.h). Rule ids are those of
 * spec/rules.yaml.
 */
#ifndef INDIRECT_H
#define INDIRECT_H

#include <stdint.h>

#include "model/rings/ring.h"

/* Walk the table named by head descriptor `d` (index `head` in the ring) into *c. */
enum ring_err ind_walk(struct dev_queue *q, struct sr_chain *c, uint32_t head,
                       const struct sr_desc *d);

/* Which field of which entry of an indirect table named by a descriptor of live queue q the
 * address gpa is ("indirect.addr", "indirect.len", "indirect.flags", "indirect.next"), or NULL.
 * For replayed bugs: a driver fills its table after writing the head that names it. */
const char *ind_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index);

#endif /* INDIRECT_H */
