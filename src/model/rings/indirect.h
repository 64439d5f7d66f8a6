/* indirect.h — indirect descriptor tables (§2.6.5.3), device side.
 *
 * The device follows an INDIRECT head as QEMU 7.2's virtqueue_split_pop does: whatever was
 * negotiated, ignoring NEXT on the head, treating INDIRECT inside a table as a plain buffer; a
 * table whose length is zero or not a multiple of 16, or that lies outside RAM, is fatal. On top
 * of QEMU it records what QEMU lets pass: INDIRECT without VIRTIO_RING_F_INDIRECT_DESC, INDIRECT
 * together with NEXT, INDIRECT inside a table, and a table chain longer than the queue
 * (§2.6.5.3.1). Rule ids are those of spec/rules.yaml.
 */
#ifndef INDIRECT_H
#define INDIRECT_H

#include <stdint.h>

#include "model/rings/split_ring.h"

struct machine;

/* A ring descriptor with INDIRECT (head or not): the feature must be negotiated and NEXT must
 * not be set with it. Records violations only; the caller goes on as QEMU does. */
void ind_check_ring_desc(struct machine *m, uint32_t qi, uint32_t i, const struct sr_desc *d);

/* Walk the table named by head descriptor `d` (index `head` in the ring) into *c. */
enum sr_result ind_walk(struct machine *m, uint32_t qi, struct sr_chain *c, uint32_t head,
                        const struct sr_desc *d);

/* Which field of which entry of an indirect table named by a descriptor of live queue qi the
 * address gpa is ("indirect.addr", "indirect.len", "indirect.flags", "indirect.next"), or NULL.
 * For replayed bugs: a driver fills its table after writing the head that names it. */
const char *ind_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index);

#endif /* INDIRECT_H */
