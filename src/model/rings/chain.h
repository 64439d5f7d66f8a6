/* chain.h — what a device does with the chains it took from a ring (any format, ring.h): read its
 * request from the device-readable buffers, write its answer into the device-writable ones, and
 * keep chains taken but not processed yet.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/rings/ring.h"

struct machine;

/* Chains taken and not processed yet, in order (QEMU's virtio-gpu pops every available request
 * of the control queue before it executes the first): each chain's header and its buffers. */
struct sr_batch {
    struct sr_batch_chain {
        uint16_t head;
        bool indirect;
        uint64_t table;
        uint32_t table_len;
        uint64_t readable, writable;
        uint32_t first_seg, nseg;  /* its buffers: segs[first_seg .. first_seg + nseg) */
        uint32_t request, faults;  /* its request number and the device faults that apply
                                    * (device_faults.h: cur_request, cur_mask at its pop) */
    } *chains;
    struct sr_seg *segs;
    uint32_t n, cap, nsegs, cap_segs;
};
/* Append a copy of *c; false when out of memory. */
bool sr_batch_add(struct sr_batch *b, const struct sr_chain *c);
/* Chain i of the batch, back into *c (with its buffers). */
void sr_batch_get(const struct sr_batch *b, uint32_t i, struct sr_chain *c);
void sr_batch_free(struct sr_batch *b);

/* Copy from the chain's device-readable bytes starting at `offset` (iov_to_buf semantics:
 * a header may be split across descriptors). Returns the bytes copied. */
size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len);
/* Copy into the chain's device-writable bytes from the start; returns the bytes written. */
size_t sr_write(struct machine *m, const struct sr_chain *c, const void *src, size_t len);
/* The same from the device-writable byte `offset` on (a piece of a larger answer). */
size_t sr_write_at(struct machine *m, const struct sr_chain *c, size_t offset, const void *src,
                   size_t len);

#endif /* CHAIN_H */
