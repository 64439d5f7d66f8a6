/* barrier_check.h — is every shared-ring access of the driver ordered by the barrier its pairing
 * needs? (§2.6.13.3, §2.6.13.4, §2.6.14; Linux tools/virtio/ringtest calls the pairings A–D.)
 *
 * An in-process model runs driver and device on one thread, so it never sees a CPU reorder.
 * Instead it follows the driver's accesses in program order, as the HAL reports them, and keeps
 * a few bits of state per queue, so the analysis is one linear pass that runs while the trace is
 * recorded (constant work per access, nothing is rescanned):
 *
 *   A  desc / avail.ring stores  → wmb (or mb) → avail.idx store        split.avail.idx-barrier
 *   B  avail.idx store → mb → load of used.flags / avail_event          split.notify.barrier-before-suppression-check
 *   C  used.idx load → rmb (or mb) → loads of used elements             split.receive.rmb-before-used-elem
 *   D  interrupts re-enabled (used_event store, or avail.flags without NO_INTERRUPT) → mb →
 *      used.idx re-read, before the driver waits                        split.receive.mb-before-reread
 *      (a used_event behind the used.idx that CPU last read asks for no interrupt: Linux's
 *      virtqueue_disable_cb stores 0 there to turn them off — no re-enable, no pairing)
 *
 * Two ways of learning the driver's accesses (README "Barrier analysis"):
 *   accessors  the driver calls vhal_ring_load / vhal_ring_store: every access, loads included,
 *              in exact program order;
 *   plain      the driver writes ring memory through plain pointers and only calls the HAL
 *              barriers and MMIO functions: at each of those calls the ring memory is compared
 *              with a snapshot taken at the previous one, so the stores of each barrier-delimited
 *              epoch are known (not their order inside the epoch, and no loads at all).
 *
 * Weak-memory mode (scenario `device: {memory: weak}`) makes the consequence of a missing barrier
 * happen: stores not yet ordered by a barrier become visible to the device in the worst order a
 * weakly ordered CPU allows (the new avail.idx before the entries it publishes; the notify
 * decision made on a flag read before the idx store left the store buffer). The analysis picks
 * the instant and the ring state the device sees; the device itself runs through the machine's
 * named point for it (machine_process_queue, machine.h), never by a call of its own.
 */
#ifndef BARRIER_CHECK_H
#define BARRIER_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "model/rings/ring_locate.h" /* enum sr_field */

struct machine;
struct ring_at;

enum bc_barrier { BC_MB = 0, BC_RMB = 1, BC_WMB = 2 };

enum bc_mode { BC_ACCESSORS = 0, BC_PLAIN = 1 };

#define BC_PAIRINGS 9u  /* A–D of the split ring, PA–PE of the packed ring (barrier_packed.h) */
#define BC_UNDO_MAX 64u /* unordered stores remembered for weak-memory mode */

struct bc_undo {
    uint64_t gpa;
    uint64_t old, val;
    uint8_t size;
};

/* What a barrier changes, as bit-words of one CPU: bit qi is queue qi's (so a barrier, and the
 * driver's wait, are a few word operations whatever the number of queues). The current CPU's
 * are barrier_check.bits; bc_set_cpu swaps them with the CPU's own copy (bc_cpu.bits). */
struct bc_bits {
    uint32_t payload_unordered;   /* A: desc/avail.ring stored since the last wmb/mb (PA: the
                                   *    list's other stores) */
    uint32_t idx_unfenced;        /* B: avail.idx stored since the last mb (PB: a head's flags) */
    uint32_t used_idx_loaded;     /* C: used.idx loaded (PC: a descriptor's flags)… */
    uint32_t used_idx_ordered;    /* …and a read barrier since (a subset of used_idx_loaded) */
    uint32_t c_seen;              /* C: an unordered element load was already reported */
    uint32_t used_event_unfenced; /* D: interrupts re-enabled (used_event / avail.flags store)
                                   *    since the last mb */
    uint32_t reread_due;          /* D: re-enabled; used.idx not re-read after an mb yet */
    uint32_t reread_unjudged;     /* D: …re-read unfenced: judged if the driver waits on it */
    uint32_t off_wrap_unordered;  /* packed PE: driver_event.off_wrap stored since the last
                                   *    wmb/mb */
};

static inline bool bc_bit(uint32_t w, uint32_t qi) { return (w >> qi) & 1u; }
static inline void bc_put(uint32_t *w, uint32_t qi, bool on)
{
    *w = on ? *w | 1u << qi : *w & ~(1u << qi);
}
/* Pairing C's state of queue qi: 0 used.idx never loaded, 1 loaded since the last rmb/mb, 2
 * ordered. */
static inline unsigned bc_used_idx_state(const struct bc_bits *f, uint32_t qi)
{
    return bc_bit(f->used_idx_ordered, qi) ? 2 : bc_bit(f->used_idx_loaded, qi) ? 1 : 0;
}

/* The rest of a queue's state, per CPU. */
struct bc_queue {
    bool enable_ambiguous;      /* D: the re-enable stored 0 where this CPU read used.idx 0:
                                 *    Linux's virtqueue_disable_cb value on a fresh ring */
    bool used_seen;             /* D: this CPU read used.idx (used_seen_idx: the last value) */
    uint16_t used_seen_idx;
    struct bc_undo enable;      /* D, weak mode: the last re-enabling store */
    bool have_avail_idx;
    uint16_t prev_avail_idx;    /* the two last stored avail.idx values */
    uint16_t avail_idx;
    uint32_t n_undo;            /* weak mode: stores since the last wmb/mb, oldest first */
    struct bc_undo undo[BC_UNDO_MAX];
    uint16_t pk_head;           /* packed PA: where the driver's next list starts… */
    bool pk_head_wrap0;         /* …and its wrap counter, inverted (a zeroed queue reads 1) */
    struct bc_undo off_wrap;    /* PE, weak mode: that store */
    uint32_t reports[BC_PAIRINGS]; /* violations per pairing A–D, PA–PE (the first few reported) */
    uint64_t push_gpa;          /* weak mode: the used element the device wrote last… */
    uint32_t push_old_id, push_old_len; /* …and what it held before */
    /* plain mode: the ring as it was at the previous barrier / MMIO access */
    uint8_t *snap;
    uint64_t snap_gpa;          /* the snapshot covers [snap_gpa, snap_gpa + snap_len) */
    uint32_t snap_len;
};

/* A barrier orders the accesses of the CPU that executes it, and nothing of another CPU's: the
 * state is kept per CPU. A driver of one CPU (the built-in one) is CPU 0; a recorded guest's
 * replay says whose access comes next (bc_set_cpu). */
#define BC_MAX_CPUS 256u

struct barrier_check {
    enum bc_mode mode;
    bool weak;                  /* weak-memory mode */
    /* A driver spinning: hook calls in a row (clock reads, barriers) with no store to shared
     * memory and no register write between them. Two in a row is a poll loop: the driver waits
     * (for the missed-kick check, as when it sleeps). */
    uint32_t quiet_hooks;
    uint64_t epoch_at;          /* plain mode: when the current epoch began (the last hook) */
    bool stored;                /* a driver store since the last hook call */
    /* The driver's waits are told (bc_driver_waits) by whoever runs it, never guessed from its
     * hook calls: a replayed recording, whose barriers are several vCPUs' and filtered, and
     * whose waits the replay finds itself (src/harness/replay_events.c). */
    bool waits_told;
    struct bc_queue *q;         /* the current CPU's queues, [MMIO_NUM_QUEUES] */
    struct bc_bits bits;        /* the current CPU's bit-words (here: no pointer to follow) */
    uint32_t cpu;               /* the current CPU */
    struct bc_cpu {             /* one CPU's state */
        struct bc_bits bits;    /* its bit-words while another CPU is current */
        struct bc_queue q[3];   /* [MMIO_NUM_QUEUES] */
    } cpu0;                     /* CPU 0's */
    struct bc_cpu *other[BC_MAX_CPUS]; /* the others', allocated when first current */
};

void bc_init(struct barrier_check *b, enum bc_mode mode, bool weak);
void bc_free(struct barrier_check *b);
/* The accesses and barriers that follow are CPU `cpu`'s (below BC_MAX_CPUS). False when its
 * state cannot be allocated: the current CPU stays as it was. */
bool bc_set_cpu(struct barrier_check *b, uint32_t cpu);

/* Accessor mode: a driver store of `size` bytes at gpa (old = memory before, v = stored); `at`:
 * where gpa falls in the split rings (ring_at_locate, done once per access by the caller). */
void bc_ring_store(struct machine *m, const struct ring_at *at, uint64_t gpa, uint64_t old,
                   uint64_t v, uint8_t size);
/* bc_ring_store for a 16-bit store that is queue qi's avail.idx (at: f SR_F_AVAIL_IDX, qi):
 * the same, without the dispatch on the field. */
void bc_publish_store(struct machine *m, uint32_t qi, uint64_t gpa, uint64_t old, uint64_t v);
/* Accessor mode: a driver load; returns the value the driver gets (weak mode may return what a
 * reordered load would have seen). `at` as for bc_ring_store. */
uint64_t bc_ring_load(struct machine *m, const struct ring_at *at, uint64_t gpa, uint64_t v,
                      uint8_t size);

/* The common accesses of a driver that orders them, decided inline by whoever located the
 * access (bc_ring_store / bc_ring_load, and the HAL's area dispatch, harness/hal_sim.c), so that
 * both take exactly one decision. */

/* The width of a split ring field (§2.6.5, §2.6.6, §2.6.8): 8 desc.addr, 4 desc.len and the
 * used element's id and len, 2 the rest (0: SR_F_NONE). An access of another width is not that
 * field: driver and device disagree about where the ring parts are (a legacy QueueAlign
 * mismatch, say), which the layout checks explain; its order is not judged. */
static inline uint8_t bc_field_width(enum sr_field f)
{
    static const uint8_t width[SR_FIELDS + 1] = { /* + 1: barrier_check.c's indirect table */
        [SR_F_DESC_ADDR] = 8, [SR_F_DESC_LEN] = 4, [SR_F_DESC_FLAGS] = 2, [SR_F_DESC_NEXT] = 2,
        [SR_F_AVAIL_FLAGS] = 2, [SR_F_AVAIL_IDX] = 2, [SR_F_AVAIL_RING] = 2,
        [SR_F_AVAIL_USED_EVENT] = 2, [SR_F_USED_FLAGS] = 2, [SR_F_USED_IDX] = 2,
        [SR_F_USED_ID] = 4, [SR_F_USED_LEN] = 4, [SR_F_USED_AVAIL_EVENT] = 2, [SR_FIELDS] = 2};
    return width[f]; /* a table: this runs for every ring access */
}

/* Is a store of `size` bytes to field f the payload of pairing A (a descriptor field or an
 * available-ring entry, at its width)? */
static inline bool bc_payload_field(enum sr_field f, uint8_t size)
{
    return (f == SR_F_DESC_ADDR || f == SR_F_DESC_LEN || f == SR_F_DESC_FLAGS ||
            f == SR_F_DESC_NEXT || f == SR_F_AVAIL_RING) && bc_field_width(f) == size;
}

/* A payload store (bc_payload_field) to queue qi's live split ring with no weak memory to
 * play: all that pairing A does with it. */
static inline void bc_payload_store(struct barrier_check *b, uint32_t qi)
{
    b->stored = true;
    b->bits.payload_unordered |= 1u << qi;
}

/* The driver read used.idx (value v): no re-read due, element reads from now on follow it
 * (pairing C), and the value seen kept for the re-read check (pairing D). */
static inline void bc_used_idx_read(struct bc_bits *f, struct bc_queue *q, uint32_t qi,
                                    uint64_t v)
{
    uint32_t off = ~(1u << qi);
    f->reread_due &= off;
    f->used_idx_loaded |= 1u << qi;
    f->used_idx_ordered &= off;
    f->c_seen &= off;
    q->used_seen = true;
    q->used_seen_idx = (uint16_t)v;
}

/* A load of field f (at its width) of queue qi's split ring that needs no report and no
 * weak-memory outcome: a suppression check with avail.idx fenced (pairing B), a used.idx read
 * with no re-enable pending (D), a used element read after used.idx and a read barrier (C), any
 * other field (nothing to judge). Does what bc_ring_load does with it and returns true; false
 * (nothing done) for a load bc_ring_load must judge. */
static inline bool bc_load_ordered(struct barrier_check *b, uint32_t qi, enum sr_field f,
                                   uint64_t v)
{
    struct bc_bits *w = &b->bits;
    switch (f) {
    case SR_F_USED_FLAGS:
    case SR_F_USED_AVAIL_EVENT:
        return !bc_bit(w->idx_unfenced, qi);
    case SR_F_USED_IDX:
        if (bc_bit(w->used_event_unfenced, qi))
            return false;
        w->reread_unjudged &= ~(1u << qi);
        bc_used_idx_read(w, &b->q[qi], qi, v);
        return true;
    case SR_F_USED_ID:
    case SR_F_USED_LEN:
        if (!bc_bit(w->used_idx_ordered, qi))
            return false;
        w->c_seen &= ~(1u << qi);
        return true;
    default:
        return true;
    }
}

/* A barrier the driver executed (a dropped one is never reported here). */
void bc_barrier(struct machine *m, enum bc_barrier kind);
/* Queue qi went live (again): what the driver stored in its ring before does not publish
 * anything; the analysis starts over for it (plain mode: a new baseline snapshot). */
void bc_queue_live(struct machine *m, uint32_t qi);
/* An MMIO access: in plain mode, the end of an epoch (the ring is diffed against its snapshot). */
void bc_mmio(struct machine *m);
/* The device wrote the used element at elem_gpa, which held old_id / old_len before. */
void bc_device_push(struct machine *m, uint32_t qi, uint64_t elem_gpa, uint32_t old_id,
                    uint32_t old_len);
/* The driver is about to wait (vhal_delay_ns): pairing D must be complete by now. */
void bc_driver_waits(struct machine *m);
/* A hook call of a driver that may be polling (a clock read, a barrier): in plain mode the end of
 * an epoch; two in a row with nothing written between them is a spin, and the missed kick is
 * judged as when the driver sleeps. */
void bc_driver_polls(struct machine *m);
/* A register write of the driver: it is not spinning. */
void bc_mmio_write(struct machine *m);

/* What plain ring access cannot judge: the rules that need the driver's ring loads (or a store
 * order inside one epoch), wholly or in part. NULL-terminated. The verdict lists them for every
 * plain-mode run (README "What the simulator can observe in a foreign driver"). */
struct bc_not_judged {
    const char *rule;
    bool partly;           /* judged in some cases (why says which), not in all */
    const char *why;
};
extern const struct bc_not_judged bc_plain_not_judged[];
/* A recorded guest's current CPU entered an interrupt handler (it read InterruptStatus, the
 * virtio-mmio handler's first access, §4.2.3.4). A recording holds no exception boundaries: an
 * interrupt taken between the interrupted code's re-enabling store and its full barrier runs the
 * handler's used.idx read in between, which is not that code's re-read. So an open pairing D
 * (re-enabled, no mb yet) of this CPU is left unjudged. */
void bc_interrupt_entry(struct machine *m);

struct diagnosis;
/* After a timeout diagnosis of `queue`: when a barrier pairing was broken on that queue, name it
 * as the underlying cause (evidence `barrier_violation`, and the weak-memory reordering that
 * made it bite). */
void bc_explain(const struct machine *m, uint32_t queue, struct diagnosis *d);

#endif /* BARRIER_CHECK_H */
