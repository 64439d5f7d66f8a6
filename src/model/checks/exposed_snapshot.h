/* exposed_snapshot.h — cleanup.no-alter-exposed (§3.3.1): the driver leaves the virtqueue entries
 * of exposed buffers alone until the device has used them.
 *
 * A chain is exposed from the driver's avail.idx store that covers its available-ring slot until
 * the device writes the used element for its head. At that store the model copies the entries
 * the device will read: the avail slot, every ring descriptor of the chain and, for an INDIRECT
 * head, the table. Every later driver store into copied bytes that changes them is a violation
 * (once per chain). QEMU has no such check: it reads whatever is in memory when it pops.
 * A queue that stops being live (reset) or goes live again forgets its copies.
 */
#ifndef EXPOSED_SNAPSHOT_H
#define EXPOSED_SNAPSHOT_H

#include <stdint.h>

struct machine;

/* A driver store of `size` bytes at gpa has just landed in guest memory. */
void exposed_on_driver_store(struct machine *m, uint64_t gpa, uint32_t size);
/* The same, for a caller that located the store already (hal_sim.c): `publish` has bit qi set
 * for each queue whose avail.idx the store is (ring_at.h: ring_at_publishes). */
void exposed_on_store_at(struct machine *m, uint64_t gpa, uint32_t size, uint32_t publish);
/* The device wrote the used element of `head`: that chain is no longer exposed. */
void exposed_on_used(struct machine *m, uint32_t qi, uint32_t head);
/* Queue qi went live (again) at new addresses: forget its copies. */
void exposed_on_live(struct machine *m, uint32_t qi);
/* Free the copies (machine_destroy). */
void exposed_free(struct machine *m);

#endif /* EXPOSED_SNAPSHOT_H */
