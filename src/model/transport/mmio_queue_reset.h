/* mmio_queue_reset.h — the QueueReset register of VirtIO 1.2 (§4.2.2, 0x0c0), device side: the
 * reset of one queue (1.2 §2.6.1) when VIRTIO_F_RING_RESET was negotiated on a version 2 device.
 *
 * QEMU 7.2 offers bit 40 (RING_RESET) on every transport, but its virtio-mmio has no such
 * register (0x0c0 reads 0, writes are dropped): that stays the default. A scenario that offers
 * the feature explicitly (`device: offer: [ring_reset]`) gets a device that implements it. Writing 1 resets the selected queue at once, as 1.2 §2.6.1.1.1
 * asks (the device takes nothing more from it, forgets its rings and indices: QueueReady reads 0)
 * and QueueReset reads 1 at the next read — the reset "ongoing" (1.2 §4.2.2.1) — then 0: a
 * driver must poll, and a replay of its recording reads what it read, whatever the timing.
 * A driver that goes on before it has read 0 breaks 1.2 §4.2.2.2 (queue_reset_checks.h).
 */
#ifndef MMIO_QUEUE_RESET_H
#define MMIO_QUEUE_RESET_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Whether QueueReset is a register of this device now: version 2, RING_RESET negotiated. */
bool mmio_queue_reset_active(const struct machine *m);
/* QueueReset of the selected queue: 1 while its reset is ongoing, else 0. */
uint32_t mmio_queue_reset_read(struct machine *m, const char **note);
/* Writing 1 resets the selected queue; 0 does nothing (noted). */
void mmio_queue_reset_write(struct machine *m, uint32_t value, const char **note);

#endif /* MMIO_QUEUE_RESET_H */
