/* notify_data_check.h — what the driver writes to QueueNotify when VIRTIO_F_NOTIFICATION_DATA was
 * negotiated (§4.2.3.3; 1.2 §2.9, 1.3 §2.9): not the queue index alone but
 *     le32 { vqn : 16; next_off : 15; next_wrap : 1; }
 * and on a split ring next_off / next_wrap are the low 15 bits and bit 15 of the available
 * index — the index the driver has published when it notifies (avail.idx in memory); on a packed
 * ring the offset of the first descriptor not yet available and the driver's wrap counter there
 * (ring_ops.notify_next reads either from guest memory).
 *   notify.data-next   the notification's next_off / next_wrap are not those: a driver that
 *                      writes the queue index alone, or the value of before its last avail.idx
 *                      store. A device that goes by the data (it may, to skip reading the ring)
 *                      would miss the new buffers or take stale ones.
 * The device model itself goes by the ring, as QEMU 7.2 does (it has no NOTIFICATION_DATA).
 */
#ifndef NOTIFY_DATA_CHECK_H
#define NOTIFY_DATA_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/virtio_spec.h"

struct machine;

/* A write to QueueNotify, before the device acts on it. */
void notify_data_check_write(struct machine *m, uint32_t off, uint32_t value);
/* Whether a QueueNotify has anything to tell the check: only with VIRTIO_F_NOTIFICATION_DATA
 * negotiated on a version 2 device (version, features: the device's). */
static inline bool notify_data_check_wants(uint32_t version, uint64_t features)
{
    return version == 2 && (features >> VIRTIO_F_NOTIFICATION_DATA & 1u);
}

#endif /* NOTIFY_DATA_CHECK_H */
