/* split_ring.h — the device side of the split virtqueue (§2.6), reading only guest memory.
 *
 * The device pops available chains and pushes used elements as QEMU 7.2's virtqueue_pop /
 * virtqueue_push do, with QEMU's checks (avail idx jump > N, head ≥ N, next ≥ N, loops, readable
 * after writable, zero-length buffers, unmappable addresses — each fatal, as virtio_error is)
 * and the ones QEMU skips (16/2/4 alignment, power-of-two size — recorded, not fatal).
 */
#ifndef SPLIT_RING_H
#define SPLIT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define SR_MAX_SEGS 1024u /* QEMU's VIRTQUEUE_MAX_SIZE: max scatter-gather entries per chain */

struct dev_queue {
    /* Registers as the driver wrote them. */
    uint32_t num;                  /* QueueNum (starts at the device's default size) */
    uint64_t reg_desc, reg_driver, reg_device; /* version 2: latched, used at QueueReady=1 */
    bool ready;                    /* version 2: QueueReady */
    uint32_t pfn;                  /* version 1: QueuePFN */
    uint32_t align;                /* version 1: QueueAlign (default 4096, as QEMU) */
    /* The live ring: where the device reads and writes, once configured. */
    bool live;
    uint64_t desc, avail, used;
    uint32_t live_num;
    uint16_t last_avail_idx;       /* next avail entry the device will take */
    uint16_t shadow_avail_idx;     /* avail.idx as the device last read it (QEMU re-reads it only
                                    * when it has taken every entry up to it) */
    uint16_t shadow_base;          /* last_avail_idx when it read that value */
    const char *idx_rule;          /* the avail.idx rule the device saw broken at its last read
                                    * (split.avail.idx-jump / -no-decrement), or NULL */
    uint16_t used_idx;             /* the device's used idx (the next element to write) */
    uint32_t inuse;                /* chains popped but not yet pushed */
    /* Scheduling and evidence. */
    bool pending;
    uint64_t pending_at;
    uint32_t notifies;
    uint32_t pops, pushes;
    uint16_t signalled_used;       /* VIRTIO_F_EVENT_IDX: used.idx at the last interrupt */
    bool signalled_used_valid;     /* (QEMU: none yet since reset → interrupt regardless) */
};

struct sr_seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
    bool in_table;                 /* an entry of an indirect table, not of the ring */
    uint16_t desc;                 /* the descriptor (or table entry) it came from */
};

struct sr_chain {
    uint16_t head;
    bool indirect;                 /* the head switched to an indirect table (§2.6.5.3) */
    uint64_t table;                /* that table's address and length in bytes */
    uint32_t table_len;
    uint32_t nseg;
    uint64_t readable, writable;   /* total bytes */
    struct sr_seg seg[SR_MAX_SEGS];
};

enum sr_result { SR_OK = 0, SR_EMPTY = 1, SR_BROKEN = 2 };

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

/* Device reset of one queue: no ring, indices 0, num = default_num, align 4096. */
void sr_queue_reset(struct dev_queue *q, uint32_t default_num);

/* Make the ring live at these addresses, checking layout rules (§2.6, §2.6.1); a ring that
 * cannot be mapped breaks the device (QEMU "Cannot map …"). */
void sr_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail, uint64_t used);

/* Take the next available chain into *c (§2.6.6, §2.6.5), as QEMU 7.2's virtqueue_split_pop:
 * avail.idx is read only when the device has taken every entry up to the value it last read; an
 * avail.idx more than the queue size ahead is a violation but not what stops QEMU (its pop path
 * does not range-check it): the device takes the slots it finds, and breaks on a head out of
 * range there, or when it holds a queue's worth of requests ("Virtqueue size exceeded"). Every
 * chain it meets, taken or refused, goes to the chain log as the walk read it (chain_log.h). */
enum sr_result sr_pop(struct machine *m, uint32_t qi, struct sr_chain *c);

/* Return a chain: used element, then used idx (§2.6.8). Injected device faults
 * (device_faults.h) may hold the answer back or write only part of it. False when a replay's
 * pace holds it (device_pace.h): nothing is published now, and no interrupt is due for it. */
bool sr_push(struct machine *m, uint32_t qi, uint16_t head, uint32_t len);
/* The parts of a push: the element, and the used.idx store that publishes it. */
#define SR_PUSH_ELEM 1u
#define SR_PUSH_IDX 2u
/* Write `parts` of a push, without asking the device faults (they call it to release). */
void sr_push_parts(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts);

/* One descriptor as read from the ring or an indirect table. */
struct sr_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* For the chain walkers (split_ring.c, indirect.c): read descriptor i of the table at `table`. */
void sr_read_desc(struct machine *m, uint64_t table, uint32_t i, struct sr_desc *d);
/* Check one descriptor of a chain and append its buffer to *c, as QEMU's virtqueue_map_desc
 * (readable after writable, zero length, outside RAM: each fatal). `where` names the table in
 * messages ("descriptor" or "indirect entry"). SR_OK or SR_BROKEN. */
enum sr_result sr_take_desc(struct machine *m, uint32_t qi, struct sr_chain *c, uint32_t i,
                            const struct sr_desc *d, const char *where);

/* Copy from the chain's device-readable bytes starting at `offset` (iov_to_buf semantics:
 * a header may be split across descriptors). Returns the bytes copied. */
size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len);
/* Copy into the chain's device-writable bytes from the start; returns the bytes written. */
size_t sr_write(struct machine *m, const struct sr_chain *c, const void *src, size_t len);

/* The field names sr_classify returns: one object each, so callers on a hot path (the barrier
 * analysis, for every ring access) compare by address instead of by string. */
extern const char sr_f_desc_addr[], sr_f_desc_len[], sr_f_desc_flags[], sr_f_desc_next[],
    sr_f_avail_flags[], sr_f_avail_idx[], sr_f_avail_ring[], sr_f_avail_used_event[],
    sr_f_used_flags[], sr_f_used_idx[], sr_f_used_id[], sr_f_used_len[], sr_f_used_avail_event[];

/* What a guest-physical address is in queue qi's ring as the device knows it (for the trace and
 * for replayed bugs): "desc.addr", "avail.idx", "used.idx", … or NULL. *index gets the entry. */
const char *sr_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index);

#endif /* SPLIT_RING_H */
