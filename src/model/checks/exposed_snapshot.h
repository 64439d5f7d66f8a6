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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/transport/mmio_device.h" /* MMIO_NUM_QUEUES */

struct machine;

/* One copied piece: an avail slot (2 bytes) or a descriptor (16 bytes). */
struct exposed_rec {
    uint64_t gpa;
    uint16_t head;
    uint8_t queue;
    uint8_t len;
    int32_t piece;   /* piece_index when copied (the queue's layout stays until it goes live
                      * again, which forgets the copies), or -1 */
    uint8_t bytes[16];
};

/* The machine's copies (machine.exposed; NULL until the first publication). Here so that the
 * common store, nothing exposed and nothing published, is decided inline by the caller. */
struct exposed_state {
    struct exposed_rec *rec;
    size_t n, cap;
    bool tracking[MMIO_NUM_QUEUES];
    uint16_t published[MMIO_NUM_QUEUES]; /* avail.idx as the driver last stored it */
    bool reported[MMIO_NUM_QUEUES];      /* one report per chain: cleared when it is used */
    uint16_t reported_head[MMIO_NUM_QUEUES];
    /* Which avail slots (0..n-1) and ring descriptors (n..2n-1) have a record now: each is
     * copied once while exposed, however many chains published name it (a driver that
     * publishes chains sharing descriptors, or loops, made the records, and every later store's
     * scan of them, grow without bound: fuzz_device_model's regress-exposed-records-unbounded) */
    uint8_t *held[MMIO_NUM_QUEUES];
    uint32_t held_n[MMIO_NUM_QUEUES];
    /* Records that are no ring piece (piece -1: an indirect table's entries): a store anywhere
     * may fall on them, so exposed_untouched cannot answer from `held` while there are any. */
    size_t n_loose;
};

/* A driver store of `size` bytes at gpa has just landed in guest memory. */
void exposed_on_driver_store(struct machine *m, uint64_t gpa, uint32_t size);
/* A store that publishes, or may change a copy (exposed_on_store_at decided so). */
void exposed_on_store(struct machine *m, uint64_t gpa, uint32_t size, uint32_t publish);
/* The same as exposed_on_driver_store, for a caller that located the store already
 * (hal_sim.c): st is the machine's m->exposed, `publish` has bit qi set for each queue whose
 * avail.idx the store is (ring_at.h: ring_at_publishes). Inline: it runs for every ring store. */
static inline void exposed_on_store_at(struct machine *m, const struct exposed_state *st,
                                       uint64_t gpa, uint32_t size, uint32_t publish)
{
    if (publish || (st && st->n)) /* else nothing to copy or compare */
        exposed_on_store(m, gpa, size, publish);
}
/* exposed_on_store(m, gpa, 2, 1u << qi) for a 16-bit store of v at gpa, in RAM, that is queue
 * qi's avail.idx and lies in no other area of any split ring (ring_map.h: areas that overlap no
 * other's, a live queue): no ring piece's copy can lie there (every one is of a live queue's
 * slot or descriptor, exposed_untouched), so only the copies that are no ring piece are
 * compared. */
void exposed_on_publish(struct machine *m, uint32_t qi, uint64_t gpa, uint16_t v);
/* Does a driver store that lies inside piece k of live queue qi (exposed_rec.piece: its avail
 * slot k < n, or n + its descriptor), in a split ring whose areas overlap no other queue's
 * (ring_map.h), fall on no copy? Exactly then: every copy of a ring piece is of a live queue's
 * slot or descriptor (a queue going live again forgets them) and marked in `held`, every other
 * copy is loose. Inline: the HAL's common store asks it (hal_sim.c), so that a chain in flight
 * costs the other stores nothing. */
static inline bool exposed_untouched(const struct exposed_state *st, uint32_t qi, uint32_t k)
{
    return !st || !st->n || (!st->n_loose && (k >= st->held_n[qi] || !st->held[qi][k]));
}
/* Whether a copy of a live queue lies under [gpa, gpa + size) (the scan exposed_on_store makes;
 * test builds assert exposed_untouched's answer with it). */
bool exposed_under(const struct machine *m, uint64_t gpa, uint32_t size);
/* The device wrote the used element of `head`: that chain is no longer exposed. */
void exposed_on_used(struct machine *m, uint32_t qi, uint32_t head);
/* Queue qi went live (again) at new addresses: forget its copies. */
void exposed_on_live(struct machine *m, uint32_t qi);
/* Free the copies (machine_destroy). */
void exposed_free(struct machine *m);

#endif /* EXPOSED_SNAPSHOT_H */
