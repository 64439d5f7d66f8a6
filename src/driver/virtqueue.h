/* virtqueue.h — the driver side of a split virtqueue (VirtIO 1.1 §2.6).
 *
 * Ownership: the descriptor table and the available ring are written by the driver and read by
 * the device; the used ring is written by the device (except used.flags, which the driver sets
 * to 0 at creation, §2.6.10.1). The driver keeps a private shadow of every descriptor it wrote
 * and of avail.idx, so it never reads back memory the device could have changed.
 *
 * Usage: vq_layout_*() to compute where the parts go, vq_create() to allocate and initialise,
 * then per request vq_add() + vq_kick_prepare() (+ the transport's notify when it says so), and
 * vq_get_used() to reclaim. Single-threaded: the caller serialises calls on one queue.
 */
#ifndef VIRTQUEUE_H
#define VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/virtio_spec.h"
#include "driver/virtio_status.h"

/* vring_need_event (§2.6.7.2, §2.6.10.2): has moving an index from old_idx to new_idx passed
 * `event`? 16-bit arithmetic, so it holds across the wrap from 0xFFFF to 0.
 * Proven by WP (tools/frama-c/run_wp.py): the result is the spec's formula, and it is true
 * exactly when `event` is one of the indices old_idx .. new_idx - 1 counted modulo 2^16. */
/*@ assigns \nothing;
    ensures spec_formula: \result <==> (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
    ensures event_passed: \result <==> (uint16_t)(event - old_idx) < (uint16_t)(new_idx - old_idx);
 */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

/* Where the three parts of a queue go (§2.6 for modern devices, §2.6.2 for legacy ones). */
enum vq_layout_kind {
    VQ_LAYOUT_SEPARATE = 0, /* modern: three allocations, each at its own alignment */
    VQ_LAYOUT_PACKED = 1,   /* modern: one allocation, parts back to back at 16/2/4 alignment */
    VQ_LAYOUT_LEGACY = 2,   /* legacy: one allocation, used ring at the next QueueAlign boundary */
    VQ_LAYOUT_PACKED_RING = 3, /* §2.7: the packed ring format (VIRTIO_F_RING_PACKED): descriptor
                                * ring, driver and device event suppression, three allocations */
};

/* The page size a legacy driver writes to GuestPageSize; legacy rings start on a page (§4.2.4). */
#define VIRTQ_LEGACY_PAGE_SIZE 4096u

/* Offsets of the parts inside one region (PACKED, LEGACY) and the region's size. For SEPARATE
 * the offsets are 0 and the sizes say how much each allocation needs. */
struct vq_layout {
    uint32_t num;
    uint32_t desc_off, avail_off, used_off;
    uint32_t desc_size, avail_size, used_size;
    uint32_t total;
};

/* §2.6: modern layouts. Sizes include the event fields (used_event, avail_event). */
int vq_layout_modern(uint32_t num, enum vq_layout_kind kind, struct vq_layout *out);
/* §2.6.2: legacy layout with the used ring at ALIGN(avail end incl. used_event, align). */
int vq_layout_legacy(uint32_t num, uint32_t align, struct vq_layout *out);

/* One buffer of a chain: device-visible address and length. */
struct vq_buf {
    uint64_t phys;
    uint32_t len;
};

/* Private per-descriptor state: the trusted copy of what the driver wrote. The driver never
 * reads the descriptor table back (a device could have rewritten it): chains are freed by
 * walking `next` here, and used elements are judged against `token` and `writable` here. */
struct vq_desc_state {
    void *token;        /* caller's cookie, on the head of a chain in flight; NULL otherwise */
    uint16_t next;      /* chain link or free-list link */
    uint16_t flags;     /* flags as written */
    uint16_t chain_len; /* on a head: descriptors in the chain */
    uint16_t completed; /* 1 on a head whose chain was returned and not handed out since */
    uint32_t writable;  /* on a head: device-writable bytes of the chain (saturating) */
};

/* What vq_get_used does with a used len above the chain's device-writable bytes (§2.6.8.1
 * says the device MUST NOT; real devices over-report — Linux added the check in 5.16-rc1 and
 * reverted it for vhost-vsock and OpenAMP rpmsg). */
enum vq_used_len_policy {
    VQ_USED_LEN_STRICT = 0,  /* VIRTIO_ERR_USED_LEN and the queue latched broken */
    VQ_USED_LEN_LENIENT = 1, /* clamp the len to the writable bytes, count it in len_clamped */
};

struct virtq {
    uint16_t index;
    uint16_t num;
    enum vq_layout_kind kind;
    /* The rings, as the driver sees them and as the device must be told. */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint64_t desc_phys, avail_phys, used_phys;
    struct vq_layout layout;
    void *region[3];         /* allocations to free: 1 (packed/legacy) or 3 (separate) */
    size_t region_size[3];
    /* Driver-private bookkeeping (never shared with the device). */
    struct vq_desc_state *state;
    uint16_t free_head;
    uint16_t num_free;
    uint16_t avail_idx;      /* shadow of avail.idx: the next value to publish */
    uint16_t published_idx;  /* avail.idx as last stored */
    uint16_t last_used_idx;  /* next used element to consume */
    bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated (vq_set_event_idx) */
    uint16_t used_event;     /* shadow of avail->used_event as last stored */
    bool broken;             /* latched on a device error; cleared only by vq_destroy/vq_create */
    int broken_status;       /* the error that latched it (enum virtio_status) */
    enum vq_used_len_policy used_len_policy;
    uint32_t len_clamped;    /* lenient policy: used lens cut down to the writable bytes */
    /* IN_ORDER (vq_set_in_order): descriptors taken in ring order from next_seq; the oldest
     * chain in flight starts at oldest. */
    bool in_order;
    uint16_t next_seq, oldest;
    /* Indirect tables (vq_indirect.c): one of VQ_INDIRECT_MAX entries per ring descriptor. */
    volatile struct virtq_desc *indirect;
    uint64_t indirect_phys;
    /* The packed ring (kind VQ_LAYOUT_PACKED_RING, vq_packed.c, §2.7): desc_phys, avail_phys and
     * used_phys are the descriptor ring, the Driver Area and the Device Area. Buffer ids index
     * `state` (free_head links the free ids); num_free counts free ring descriptors. */
    volatile struct virtq_packed_desc *pdesc;
    volatile struct virtq_pevent *driver_event, *device_event;
    uint16_t next_avail;     /* ring offset of the next descriptor to make available */
    bool avail_wrap;         /* the driver's ring wrap counter (§2.7.1) */
    uint16_t last_used;      /* ring offset where the next used descriptor will be */
    bool used_wrap;          /* the wrap counter the driver expects there */
    uint16_t num_added;      /* descriptors made available since the last vq_kick_prepare */
};

/* The invariants WP proves the split ring's functions keep (ACSL, for Frama-C; the compiler
 * sees comments — tools/frama-c/run_wp.py, README "The proof of the driver"):
 * vq_mem: the queue and its private state are valid memory, apart from each other.
 * vq_links: every link of the private state, free or in a chain, free_head, and oldest and
 *           next_seq (IN_ORDER) are indices of the table. */
/*@ predicate vq_mem(struct virtq *vq) =
      \valid(vq) && 1 <= vq->num <= VIRTQ_MAX_SIZE && \valid(vq->state + (0 .. vq->num - 1)) &&
      \separated(vq, vq->state + (0 .. vq->num - 1));
    predicate vq_links(struct virtq *vq) =
      vq->free_head < vq->num && vq->oldest < vq->num && vq->next_seq < vq->num &&
      \forall integer i; 0 <= i < vq->num ==> vq->state[i].next < vq->num;
    predicate vq_split_free_list(struct virtq *vq) =
      vq->kind != VQ_LAYOUT_PACKED_RING && !vq->in_order && !vq->broken;
 */
/* vq_split_size: the sizes a split queue may have (§2.6: a power of 2, at most 32768).
 * slot_next: the ring slot (idx % num) of idx + 1 follows the slot of idx for every 16-bit idx,
 *            from 0xffff to 0 too — true exactly when num divides 65536 (tools/frama-c/wp_ring.c
 *            proves it for every vq_split_size). */
/*@ predicate vq_split_size(integer n) = n == 1 || n == 2 || n == 4 || n == 8 || n == 16 ||
      n == 32 || n == 64 || n == 128 || n == 256 || n == 512 || n == 1024 || n == 2048 ||
      n == 4096 || n == 8192 || n == 16384 || n == 32768;
    predicate slot_next(integer num) = \forall integer idx; 0 <= idx <= 65535 ==>
      (uint16_t)(idx + 1) % num == (idx % num + 1) % num;
 */

/* Allocate the rings (VHAL_DMA_RING) and the private state, zero them, link the free list.
 * num must be 1..32768 and, for a split ring, a power of two (§2.6: "Queue Size value is always
 * a power of 2"): any other split size is VIRTIO_ERR_INVALID, nothing allocated, as Linux's
 * virtio_ring refuses it ("Bad virtqueue length"). With another size the ring slot of the
 * 65,536th chain (idx % num after the 16-bit wrap) would not follow its predecessor's (12 puts
 * idx 0xffff in slot 3 and idx 0 in slot 0); WP proves it does for every size accepted
 * (tools/frama-c/wp_ring.c). A packed ring takes any size 1..32768 (§2.7.10.1).
 * kind VQ_LAYOUT_PACKED_RING makes a packed ring (§2.7; only when VIRTIO_F_RING_PACKED was
 * negotiated): every function below works on it with the same contract, except that vq_add
 * makes the chain available at once (its head's flags are the publishing store, §2.7.21.1, as
 * Linux's virtqueue_add_packed) and vq_set_in_order refuses it (VIRTIO_ERR_INVALID). */
int vq_create(struct virtq *vq, uint16_t index, uint16_t num, enum vq_layout_kind kind,
              uint32_t legacy_align);
void vq_destroy(struct virtq *vq);

/* Use VIRTIO_RING_F_EVENT_IDX (negotiated) for both directions of notification suppression:
 * kicks follow avail_event, and used_event asks for an interrupt per used buffer. Call after
 * vq_create, before the first vq_add. */
void vq_set_event_idx(struct virtq *vq, bool on);

/* §2.6.5.3: use indirect tables from now on. Call only when VIRTIO_RING_F_INDIRECT_DESC was
 * negotiated (§2.6.5.3.1), after vq_create and before the first vq_add. Allocates one table of
 * VQ_INDIRECT_MAX entries per ring descriptor (VHAL_DMA_RING memory). */
#define VQ_INDIRECT_MAX 8u
int vq_enable_indirect(struct virtq *vq);

/* VIRTIO_F_IN_ORDER was negotiated (call before the first vq_add): take descriptors in ring
 * order, descriptor x linking to x + 1 and the last to 0 (§2.6.5.2), instead of from the free
 * list; the device uses chains in the order they were made available, so they come back in ring
 * order too. vq_get_used then also accepts an element that names a later chain than the oldest
 * in flight (§2.6.9, a batch): it hands back the older chains first, with len 0. */
int vq_set_in_order(struct virtq *vq);

/* Write a chain of n_out device-readable then n_in device-writable buffers (§2.6.4.2 order) and
 * its avail ring entry. Not visible to the device until vq_kick_prepare. With indirect tables
 * enabled, a chain of 2..VQ_INDIRECT_MAX buffers (and no longer than the queue, §2.6.5.3.1) goes
 * into the head descriptor's table and takes one ring descriptor. */
int vq_add(struct virtq *vq, const struct vq_buf *out, unsigned n_out, const struct vq_buf *in,
           unsigned n_in, void *token);

/* Publish what vq_add wrote (§2.6.13.3) and decide whether the device wants a notification
 * (§2.6.13.4). Returns true when the caller must notify. */
bool vq_kick_prepare(struct virtq *vq);

/* Take the next used element if there is one (§2.6.14). With EVENT_IDX, finding none, it moves
 * used_event to the next element and re-reads used.idx after a full barrier (so a buffer used
 * meanwhile is not missed by both sides): VIRTIO_ERR_EMPTY when there is none.
 * The device is not trusted (§2.6.8): each of these latches the queue broken and returns
 *   VIRTIO_ERR_USED_IDX_JUMP  used.idx moved past more elements than chains were published
 *   VIRTIO_ERR_USED_ID_RANGE  the id is not below the queue size
 *   VIRTIO_ERR_USED_ID_TWICE  the id names a chain already returned (and not reused since)
 *   VIRTIO_ERR_BAD_USED       the id is not the head of a chain in flight
 *   VIRTIO_ERR_USED_LEN       len above the chain's writable bytes (strict policy; lenient
 *                             clamps it)
 * and nothing is written to *token / *len. On success the chain's descriptors are free again.
 * A broken queue answers VIRTIO_ERR_BROKEN to every call until it is created again. */
int vq_get_used(struct virtq *vq, void **token, uint32_t *len);

/* Ask for used-buffer interrupts before sleeping on one (§2.6.7.1): clear
 * VIRTQ_AVAIL_F_NO_INTERRUPT in avail.flags — with EVENT_IDX, set used_event to the next element
 * instead —, then a full barrier, then read used.idx again (Linux virtqueue_enable_cb_prepare +
 * virtqueue_poll, the loop of §2.6.14). Returns true when a used buffer is already there: the
 * caller must take it rather than sleep, as its interrupt may have come before the re-enable. */
bool vq_enable_interrupts(struct virtq *vq);

/* With VIRTIO_F_NOTIFICATION_DATA: the next_off / next_wrap half of the notification (§4.2.3.3,
 * 1.2 §2.9) — on a split ring the avail idx as last published (vq_kick_prepare); on a packed
 * ring the offset of the next descriptor to be made available and the driver's wrap counter. */
uint16_t vq_notify_next(const struct virtq *vq);

/* Choose the used-len policy (default strict). */
void vq_set_used_len_policy(struct virtq *vq, enum vq_used_len_policy p);

/* True when vq_get_used would find an element (a load of used.idx, no side effects). */
bool vq_has_used(struct virtq *vq);

#endif /* VIRTQUEUE_H */
