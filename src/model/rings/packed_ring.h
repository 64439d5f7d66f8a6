/* packed_ring.h — the packed virtqueue (§2.7), device side: one implementation of ring.h.
 *
 * The device takes chains and marks them used as QEMU 7.2's virtqueue_packed_pop /
 * virtqueue_packed_fill_desc / virtqueue_packed_flush do:
 *   - the descriptor at last_avail_idx is available when its AVAIL bit differs from its USED bit
 *     and AVAIL equals the device's avail wrap counter (§2.7.1, QEMU's is_desc_avail); the rest
 *     of a chain is read without looking at its flags (QEMU trusts them; the model checks them:
 *     packed.first-desc-last);
 *   - the chain's buffer id is the head's id (QEMU reads it there; Linux writes it in every
 *     descriptor; §2.7.6 says the last carries it);
 *   - a used descriptor is written at used_idx, id and len first, flags (AVAIL = USED = the used
 *     wrap counter) last, and used_idx moves by the chain's ring descriptors (1 for an indirect
 *     chain), flipping the wrap counter at the end of the ring;
 *   - an interrupt follows the Driver Area's flags: DISABLE none, ENABLE always, DESC (or any
 *     other value, as QEMU) when the used index passed off_wrap since the last one
 *     (vring_packed_need_event: an offset with the other wrap counter is a queue size back);
 *   - the Device Area is never written by QEMU 7.2's gpu (it calls no
 *     virtio_queue_set_notification): it stays as the driver zeroed it, flags ENABLE.
 * The chain checks are QEMU's (readable after writable, zero length, outside RAM, longer than
 * the queue: fatal) under the packed.* rule ids of spec/rules.yaml.
 */
#ifndef PACKED_RING_H
#define PACKED_RING_H

#include "model/rings/ring.h"

/* The packed ring's operations (dev_queue.ops when VIRTIO_F_RING_PACKED is negotiated). */
extern const struct ring_ops packed_ring_ops;

/* The field names its classify returns ("desc.flags", "driver_event.flags" …): their own
 * objects, so a check that compares a split field by address never takes a packed one for it. */
extern const char pk_f_desc_addr[], pk_f_desc_len[], pk_f_desc_id[], pk_f_desc_flags[],
    pk_f_drv_off_wrap[], pk_f_drv_flags[], pk_f_dev_off_wrap[], pk_f_dev_flags[];

/* §2.7.1: is the descriptor with these flags available to a device whose wrap counter is wrap? */
static inline bool packed_desc_avail(uint16_t flags, bool wrap)
{
    bool avail = (flags >> 7) & 1u, used = (flags >> 15) & 1u;
    return avail != used && avail == wrap;
}

/* The device's wrap counters (dev_queue keeps them inverted, so a zeroed queue reads 1). */
static inline bool packed_avail_wrap(const struct dev_queue *q) { return !q->pk_avail_wrap0; }
static inline bool packed_used_wrap(const struct dev_queue *q) { return !q->pk_used_wrap0; }

#endif /* PACKED_RING_H */
