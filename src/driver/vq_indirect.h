/* vq_indirect.h — indirect descriptor tables (§2.6.5.3), driver side; used by virtqueue.c.
 * Not a public header: callers use vq_enable_indirect and vq_add (virtqueue.h). */
#ifndef VQ_INDIRECT_H
#define VQ_INDIRECT_H

#include <stdbool.h>

#include "driver/virtqueue.h"

/* True when a chain of `total` buffers goes into an indirect table. */
bool vq_indirect_usable(const struct virtq *vq, unsigned total);

/* Write ring descriptor `head` as INDIRECT (no NEXT, §2.6.5.3.1) naming its table, then the
 * table: readable buffers first, entry k linking to k + 1, no INDIRECT inside (§2.6.5.3.1). The
 * head is written first, so the table is always the one a descriptor names. */
void vq_indirect_write(struct virtq *vq, uint16_t head, const struct vq_buf *out, unsigned n_out,
                       const struct vq_buf *in, unsigned n_in);

/* Free the tables (vq_destroy). */
void vq_indirect_free(struct virtq *vq);

#endif /* VQ_INDIRECT_H */
