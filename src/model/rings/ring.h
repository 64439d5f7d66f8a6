/* ring.h — the contract between a virtqueue's ring and the device model that uses it.
 *
 * A ring format implements struct ring_ops: the split ring today (split_ring.h, §2.6), the packed
 * ring next (§2.7). Each queue names its format (dev_queue.ops); the machine, the transport and
 * the checks call only the functions of this header, never a format's own, so a new format is one
 * more implementation of the operations below.
 *
 * A ring works on guest memory and its own state (struct ring_env, struct dev_queue), nothing
 * else: what it finds and what it does it reports through a table of hooks (ring_hooks.h) that
 * the machine fills (machine_rings.c). A ring names no checker, and runs without a machine:
 * tests/unit/test_ring_core.c builds one in a plain buffer.
 *
 * Errors are values (enum ring_err): a refused chain or configuration says why. The rule a
 * driver broke is reported through the hooks with QEMU 7.2's reaction — a violation the device
 * tolerates, or a break as after virtio_error.
 */
#ifndef RING_H
#define RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_memory;
struct ring_hooks;
struct dev_queue;

/* ---- errors ------------------------------------------------------------------------------- */

enum ring_err {
    RING_OK = 0,
    RING_EMPTY,          /* nothing to take now (none available, the device is broken, or a
                          * replay's device had not taken it yet) */
    RING_STOPPED,        /* the chain was taken, then the device stopped (a hook: an injected
                          * fault reset or broke it) */
    /* A chain the device refuses; each is fatal as QEMU's virtio_error (the device breaks). */
    RING_E_IDX,          /* the driver's index unreadable */
    RING_E_FULL,         /* a queue's worth taken and not returned ("Virtqueue size exceeded") */
    RING_E_HEAD,         /* a head (or buffer id) out of range */
    RING_E_NEXT,         /* a link out of range */
    RING_E_LOOP,         /* a chain that loops */
    RING_E_ORDER,        /* a device-readable buffer after a device-writable one */
    RING_E_ZERO_LEN,     /* a buffer of length 0 */
    RING_E_ADDR,         /* a buffer or table outside guest RAM */
    RING_E_REFUSED,      /* an address outside RAM a hook reported under its own rule (a
                          * kernel virtual address, §6.1) */
    RING_E_TOO_LONG,     /* more buffers than the device maps (SR_MAX_SEGS) */
    RING_E_TABLE,        /* an indirect table whose size is 0 or not a multiple of 16 */
    /* Configuration: what the setters say (rust-vmm's vm-virtio Queue checks the same). */
    RING_E_SIZE_ZERO,    /* size 0 */
    RING_E_SIZE_POW2,    /* not a power of two, where the format needs one (§2.6) */
    RING_E_SIZE_MAX,     /* above the device's maximum (QueueNumMax) */
    RING_E_ALIGN,        /* an area not aligned as the format needs (§2.6.1 for split) */
    RING_E_NOT_IN_RAM,   /* an area not wholly in guest RAM */
    RING_E_UNSET,        /* no descriptor area or size 0: no ring to use */
    RING_ERR_COUNT
};

/* A chain refused or a configuration refused (the device broke, or did not take the ring). */
static inline bool ring_failed(enum ring_err e) { return e > RING_STOPPED; }
/* The enumerator's name without RING_ ("E_NEXT"), for messages and tests. */
const char *ring_err_name(enum ring_err e);

/* ---- what a ring hands the device ---------------------------------------------------------- */

#define SR_MAX_SEGS 1024u /* QEMU's VIRTQUEUE_MAX_SIZE: max scatter-gather entries per chain */

/* One descriptor as read from a ring or an indirect table (§2.6.5; a packed descriptor has the
 * same addr, len and flags, and its buffer id where `next` is). */
struct sr_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct sr_seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
    bool in_table;                 /* an entry of an indirect table, not of the ring */
    uint16_t desc;                 /* the descriptor (or table entry) it came from */
};

/* A chain the device took: its head (the id it returns in the used element) and its buffers. */
struct sr_chain {
    uint16_t head;
    bool indirect;                 /* the head switched to an indirect table (§2.6.5.3) */
    uint64_t table;                /* that table's address and length in bytes */
    uint32_t table_len;
    uint32_t nseg;
    uint64_t readable, writable;   /* total bytes */
    struct sr_seg seg[SR_MAX_SEGS];
};

/* ---- state ---------------------------------------------------------------------------------- */

/* What the rings of one device work on; one per device, shared by its queues. */
struct ring_env {
    struct guest_memory *mem;       /* guest RAM: the rings and the buffers */
    const uint64_t *features;       /* the features in force (EVENT_IDX: what the device writes) */
    const bool *broken;             /* the device is broken (QEMU's vdev->broken): its rings take
                                     * nothing and write nothing until a reset */
    uint32_t max_size;              /* the largest queue the device offers (QueueNumMax) */
    const struct ring_hooks *hooks; /* who hears the rings' events (never NULL) */
    void *ctx;                      /* passed to every hook (the machine) */
    uint32_t *layout_gen;           /* bumped when a queue's layout changes (ring_layout_touch),
                                     * or NULL */
    /* The split and packed rings as this environment runs them: instances whose hot paths call
     * `hooks` directly (split_hot.h, packed_hot.h), or NULL: split_ring_ops / packed_ring_ops,
     * every hook through the table. Either is the same code (ring_configure picks it). */
    const struct ring_ops *split_ops, *packed_ops;
};

/* Chains a packed queue holds at once (QEMU's VIRTQUEUE_MAX_SIZE: no larger queue is offered). */
#define RING_PACKED_MAX_OUT 1024u

/* One queue of the device: the transport's registers and the ring they configure. */
struct dev_queue {
    const struct ring_ops *ops;    /* the ring format (split_ring_ops; §2.7 packed: one more) */
    const struct ring_env *env;    /* what it works on (set once; kept across resets) */
    uint32_t index;                /* the queue's number, in messages and hook calls */
    /* Registers as the driver wrote them. */
    uint32_t num;                  /* QueueNum (starts at the device's default size) */
    uint64_t reg_desc, reg_driver, reg_device; /* version 2: latched, used at QueueReady=1 */
    bool ready;                    /* version 2: QueueReady */
    uint32_t pfn;                  /* version 1: QueuePFN */
    uint32_t align;                /* version 1: QueueAlign (default 4096, as QEMU) */
    /* The live ring: where the device reads and writes, once configured. */
    bool live;
    uint64_t desc, avail, used;    /* descriptor area, driver area, device area */
    /* The ring's three areas as host pointers, once it is live (the format's configure maps
     * them once, as QEMU's vring caches; its pop and push reach the fields inside them without a
     * bounds check: split_hot.h, packed_hot.h); NULL otherwise. */
    uint8_t *desc_host, *avail_host, *used_host;
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
    /* The packed ring (§2.7, packed_ring.c): last_avail_idx and used_idx are ring offsets; the
     * wrap counters are kept inverted (a reset queue's are 1, §2.7.1); inuse counts chains,
     * pk_inuse_descs their ring descriptors (QEMU's inuse); the chains taken and not yet used,
     * oldest first, as id << 16 | ring descriptors. */
    bool pk_avail_wrap0, pk_used_wrap0;
    uint32_t pk_inuse_descs;
    uint32_t pk_nout;
    uint32_t pk_out[RING_PACKED_MAX_OUT];
};

/* The three areas of a ring (virtio-mmio's QueueDesc, QueueDriver, QueueDevice). */
enum ring_area { RING_DESC = 0, RING_DRIVER = 1, RING_DEVICE = 2, RING_AREAS = 3 };

/* Why the device sends no interrupt, or wants no notification: the suppression it read. */
struct ring_suppress {
    bool by_event;                 /* an event index (VIRTIO_F_EVENT_IDX), else a flag */
    uint64_t at;                   /* where it read it, and what it read */
    uint16_t value;
    uint16_t now, old;             /* interrupts: the used index now, and at the last interrupt
                                    * (by_event only) */
};

/* The parts of a push: the element, and the store that publishes it (split: used.idx). */
#define RING_PUSH_ELEM 1u
#define RING_PUSH_IDX 2u

/* ---- a ring format ------------------------------------------------------------------------- */

struct ring_ops {
    const char *name;                   /* "split" */
    /* The format this is an instance of (split_ring_ops, packed_ring_ops; itself for those):
     * instances differ only in how they reach the hooks (split_hot.h). */
    const struct ring_ops *generic;
    uint32_t align[RING_AREAS];         /* the alignment each area needs */
    bool size_pow2;                     /* the size must be a power of two */
    /* Bytes of an area of a queue of `size` that the device maps when the ring goes live. */
    uint64_t (*area_bytes)(enum ring_area a, uint32_t size);
    /* Take the ring the driver set up (the setters below), check it, and make it live when the
     * device can use it: RING_OK, or why not (the ring is then not live). */
    enum ring_err (*configure)(struct dev_queue *q, uint32_t size, const uint64_t at[RING_AREAS]);
    /* Take the next available chain into *c, then tell the hooks the pop is over, whichever way
     * it ended (pop_done: a chain begun and refused is closed there). */
    enum ring_err (*pop)(struct dev_queue *q, struct sr_chain *c);
    /* Write `parts` of the used element for chain `id`, `len` bytes written. */
    void (*push)(struct dev_queue *q, uint16_t id, uint32_t len, unsigned parts);
    /* Return chain `id` as ring_push says: ask the hooks (before_push), then push what they
     * leave (ring_answer, or an instance's: split_hot.h). */
    bool (*answer)(struct dev_queue *q, uint16_t id, uint32_t len);
    /* After a push: does the driver want the used-buffer interrupt? False with *why filled. */
    bool (*need_interrupt)(struct dev_queue *q, struct ring_suppress *why);
    /* Does the device want a notification for the driver's index moving from..to? False with
     * *why filled (the device suppressed it). */
    bool (*need_notify)(const struct dev_queue *q, uint16_t from, uint16_t to,
                        struct ring_suppress *why);
    /* The ring field at gpa ("avail.idx" …: split_ring.h) and its entry in *index, or NULL. */
    const char *(*classify)(const struct dev_queue *q, uint64_t gpa, uint32_t *index);
    /* The field of a table a ring descriptor names (an indirect table: "indirect.len" …). */
    const char *(*classify_table)(const struct dev_queue *q, uint64_t gpa, uint32_t *index);    /* Where the driver will make its next buffer available, as a NOTIFICATION_DATA notification
     * carries it (1.2 §2.9: next_off in bits 0..14, next_wrap in bit 15), read from guest memory
     * as the driver has published it; false when the ring cannot be read. */
    bool (*notify_next)(const struct dev_queue *q, uint16_t *next);
    /* How many chains the driver has made available that the device has not taken (0 when the
     * ring cannot be read), counting no further than `max`. */
    uint32_t (*avail_chains)(const struct dev_queue *q, uint32_t max);
};

/* ---- operations: the machine, the transport and the checks use these ----------------------- */

/* The split ring's operations (split_ring.h): the checks written for §2.6's layout (avail.idx,
 * the used ring) ask this before they read a queue's memory as a split ring. */
extern const struct ring_ops split_ring_ops;
static inline bool ring_is_split(const struct dev_queue *q)
{
    return q->ops && q->ops->generic == &split_ring_ops; /* (a queue never bound: no format) */
}
/* The chains the device took and the answers it published, counted mod 2^16 since the ring was
 * reset (a replay's pace, device_pace.h): a split ring's avail and used indices; a packed ring's
 * indices are ring offsets, so its counters. */
static inline uint16_t ring_taken(const struct dev_queue *q)
{
    return ring_is_split(q) ? q->last_avail_idx : (uint16_t)q->pops;
}
static inline uint16_t ring_published(const struct dev_queue *q)
{
    return ring_is_split(q) ? q->used_idx : (uint16_t)q->pushes;
}

/* Bind queue q to a format and an environment, once (ring_reset keeps them). */
void ring_bind(struct dev_queue *q, const struct ring_ops *ops, const struct ring_env *env,
               uint32_t index);
/* Device reset of the queue: no ring, indices 0, num = default_num, QueueAlign 4096. */
void ring_reset(struct dev_queue *q, uint32_t default_num);

/* Setters: each checks the value as rust-vmm's vm-virtio Queue does (try_set_size,
 * try_set_desc_table_address …) and returns what is wrong with it as an error value. The value
 * is taken either way: QEMU 7.2, which the model follows, takes a size that is not a power of two
 * and unaligned areas, and the driver's mistake is reported from the value returned. */
enum ring_err ring_set_size(struct dev_queue *q, uint32_t size);
enum ring_err ring_set_area(struct dev_queue *q, enum ring_area a, uint64_t addr);
/* rust-vmm's is_valid, for one area: wholly inside guest RAM (RING_E_NOT_IN_RAM), as set. */
enum ring_err ring_area_in_ram(const struct dev_queue *q, enum ring_area a);

/* The format of the features in force: packed with VIRTIO_F_RING_PACKED (§2.7), else split (as
 * the environment runs it: ring_env.split_ops). */
const struct ring_ops *ring_format(const struct ring_env *env, uint64_t features);

/* q's areas, size, liveness, registers or format changed: what located accesses in the queues'
 * rings (ring_map.h) must look again. Every writer of those fields calls it. */
static inline void ring_layout_touch(const struct dev_queue *q)
{
    if (q->env && q->env->layout_gen)
        (*q->env->layout_gen)++;
}

/* Take the ring the driver set up, in the format the negotiated features name. */
static inline enum ring_err ring_configure(struct dev_queue *q, uint32_t size, uint64_t desc,
                                           uint64_t driver, uint64_t device)
{
    const uint64_t at[RING_AREAS] = {desc, driver, device};
    q->ops = ring_format(q->env, *q->env->features);
    enum ring_err r = q->ops->configure(q, size, at);
    ring_layout_touch(q);
    return r;
}
/* Take the next available chain into *c (the format's pop, which then tells the hooks the pop is
 * over, whichever way it ended: pop_done closes a chain begun and refused). */
static inline enum ring_err ring_pop(struct dev_queue *q, struct sr_chain *c)
{
    return q->ops->pop(q, c);
}
/* Return a chain: element, then index. The hooks may hold the answer back or write only part of
 * it (injected device faults); false when a replay's pace holds it (device_pace.h): nothing is
 * published now, and no interrupt is due for it. */
static inline bool ring_push(struct dev_queue *q, uint16_t id, uint32_t len)
{
    return q->ops->answer(q, id, len);
}
/* ring_push as any format does it through the queue's hooks table (ring_ops.answer). */
bool ring_answer(struct dev_queue *q, uint16_t id, uint32_t len);
/* Write `parts` of a push without asking the hooks (injected faults releasing what they held). */
static inline void ring_push_parts(struct dev_queue *q, uint16_t id, uint32_t len, unsigned parts)
{
    q->ops->push(q, id, len, parts);
}
/* Chains available and not yet taken, counted up to `max` (the format's avail_chains). */
static inline uint32_t ring_avail_chains(const struct dev_queue *q, uint32_t max)
{
    return q->ops ? q->ops->avail_chains(q, max) : 0;
}
static inline bool ring_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    return q->ops->need_interrupt(q, why);
}
static inline bool ring_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                                    struct ring_suppress *why)
{
    return q->ops->need_notify(q, from, to, why);
}
static inline const char *ring_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    return q->ops->classify(q, gpa, index);
}
static inline const char *ring_classify_table(const struct dev_queue *q, uint64_t gpa,
                                              uint32_t *index)
{
    return q->ops->classify_table(q, gpa, index);
}

#endif /* RING_H */
