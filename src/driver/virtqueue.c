/* virtqueue.c — driver side of the split virtqueue (§2.6). See virtqueue.h for the contract. */
#include "driver/virtqueue.h"

#include "driver/virtio_hal.h"
#include "driver/vq_barrier.h"
#include "driver/vq_indirect.h"
#include "driver/vq_packed.h"

/* Each barrier call has a number, so a test build can compile exactly one out
 * (-DVQ_OMIT_BARRIER=N) and prove the suite notices (tests/unit/test_barrier_omit.c):
 *   1 wmb  before the avail.idx store                 (pairing A, §2.6.13.3)
 *   2 mb   between avail.idx store and the notify check (pairing B, §2.6.13.4)
 *   3 rmb  between used.idx and the used element loads (pairing C, §2.6.14)
 *   4 mb   between the used_event store and the used.idx re-read (pairing D, EVENT_IDX, polling)
 *   5 mb   between re-enabling interrupts and the used.idx re-read (pairing D, before sleeping)
 * and 6..10 in the packed ring (vq_packed.c). Each entry point below hands a packed ring
 * (VQ_LAYOUT_PACKED_RING) to vq_packed.c after the checks both formats share. */

/*@ assigns \nothing; */
static volatile uint16_t *used_event_of(struct virtq *vq)
{
    return &vq->avail->ring[vq->num]; /* §2.6.6: after the ring entries */
}

/*@ assigns \nothing; */
static volatile uint16_t *avail_event_of(struct virtq *vq)
{
    return (volatile uint16_t *)&vq->used->ring[vq->num]; /* §2.6.8 */
}

static uint32_t align_up(uint32_t x, uint32_t a) { return (x + a - 1u) & ~(a - 1u); }
static bool is_pow2(uint32_t x) { return x != 0 && (x & (x - 1u)) == 0; }

int vq_layout_modern(uint32_t num, enum vq_layout_kind kind, struct vq_layout *out)
{
    if (!out || num == 0 || num > VIRTQ_MAX_SIZE)
        return VIRTIO_ERR_INVALID;
    if (kind != VQ_LAYOUT_SEPARATE && kind != VQ_LAYOUT_PACKED)
        return VIRTIO_ERR_INVALID;
    out->num = num;
    out->desc_size = VIRTQ_DESC_BYTES(num);
    out->avail_size = VIRTQ_AVAIL_BYTES(num);
    out->used_size = VIRTQ_USED_BYTES(num);
    if (kind == VQ_LAYOUT_SEPARATE) {
        out->desc_off = out->avail_off = out->used_off = 0;
        out->total = out->desc_size + out->avail_size + out->used_size;
        return VIRTIO_OK;
    }
    /* §2.6 alignment table: desc 16, avail 2, used 4 — back to back, no more than required. */
    out->desc_off = 0;
    out->avail_off = align_up(out->desc_size, VIRTQ_AVAIL_ALIGN);
    out->used_off = align_up(out->avail_off + out->avail_size, VIRTQ_USED_ALIGN);
    out->total = out->used_off + out->used_size;
    return VIRTIO_OK;
}

int vq_layout_legacy(uint32_t num, uint32_t align, struct vq_layout *out)
{
    if (!out || num == 0 || num > VIRTQ_MAX_SIZE || !is_pow2(align))
        return VIRTIO_ERR_INVALID;
    /* §2.6.2: desc and avail (with used_event) contiguous, used ring at the next `align`
     * boundary. (The spec's ALIGN macro is misprinted; this is the intended round-up.) */
    out->num = num;
    out->desc_size = VIRTQ_DESC_BYTES(num);
    out->avail_size = VIRTQ_AVAIL_BYTES(num);
    out->used_size = VIRTQ_USED_BYTES(num);
    out->desc_off = 0;
    out->avail_off = out->desc_size;
    out->used_off = align_up(out->avail_off + out->avail_size, align);
    out->total = out->used_off + align_up(out->used_size, align);
    return VIRTIO_OK;
}

static void zero(volatile void *p, size_t n)
{
    volatile uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = 0;
}

static int alloc_region(struct virtq *vq, int slot, uint32_t size, uint32_t align, uint64_t *phys,
                        void **virt)
{
    void *p = vhal_dma_alloc(size, align, VHAL_DMA_RING, phys);
    if (!p)
        return VIRTIO_ERR_NOMEM;
    vq->region[slot] = p;
    vq->region_size[slot] = size;
    *virt = p;
    return VIRTIO_OK;
}

/* The private state of a queue of vq->num: every id (or descriptor) free, linked in order. The
 * last link goes back to 0, not to num (as Linux's desc_extra): every link, free or in a chain,
 * is an index of the table, so no count can ever make the driver step outside it — num_free
 * alone says when the list is empty (the property Eva proves without relating the two,
 * tools/frama-c/). */
static int alloc_state(struct virtq *vq)
{
    uint64_t state_phys;
    vq->state = vhal_dma_alloc(sizeof(*vq->state) * vq->num, 8, VHAL_DMA_PRIVATE, &state_phys);
    if (!vq->state)
        return VIRTIO_ERR_NOMEM;
    for (uint16_t i = 0; i < vq->num; i++)
        vq->state[i] = (struct vq_desc_state){.next = (uint16_t)((i + 1u) % vq->num)};
    vq->free_head = 0;
    vq->num_free = vq->num;
    return VIRTIO_OK;
}

static int create_packed(struct virtq *vq)
{
    int rc = vq->num <= VIRTQ_MAX_SIZE ? vqp_create(vq) : VIRTIO_ERR_INVALID;
    if (rc == VIRTIO_OK)
        rc = alloc_state(vq);
    if (rc != VIRTIO_OK)
        vq_destroy(vq);
    return rc;
}

/* §2.6: a split queue's size "is always a power of 2" (1 .. 32768). Any other size breaks the
 * ring's index arithmetic at the 16-bit wrap: the slot idx % num of the 65,536th chain is not the
 * one after its predecessor's (12: idx 0xffff is slot 3, idx 0 slot 0), so two consecutive
 * indices can share a slot. vq_create refuses it, as Linux's virtio_ring ("Bad virtqueue length",
 * vring_alloc_queue_split). Counted rather than masked so WP proves exactly which sizes pass. */
/*@ assigns \nothing;
    ensures accepted: \result <==> vq_split_size(num);
 */
static bool split_size_ok(uint32_t num)
{
    /*@ loop invariant vq_split_size(p) || p == 2 * VIRTQ_MAX_SIZE;
        loop invariant \forall integer q; vq_split_size(q) && q < p ==> q != num;
        loop assigns p;
        loop variant 2 * VIRTQ_MAX_SIZE - p; */
    for (uint32_t p = 1; p <= VIRTQ_MAX_SIZE; p *= 2u)
        if (num == p)
            return true;
    return false;
}

/* Proven by WP (tools/frama-c/run_wp.py split-size): a split queue is created only with a size
 * for which the ring slot of every index follows the slot of the index before, across the
 * 16-bit wrap (slot_next, virtqueue.h). */
/*@ ensures split_size: \result == VIRTIO_OK && kind != VQ_LAYOUT_PACKED_RING ==>
                vq_split_size(num) && slot_next(num);
 */
int vq_create(struct virtq *vq, uint16_t index, uint16_t num, enum vq_layout_kind kind,
              uint32_t legacy_align)
{
    if (!vq || num == 0)
        return VIRTIO_ERR_INVALID;
    struct virtq z = {0};
    *vq = z;
    vq->index = index;
    vq->num = num;
    vq->kind = kind;
    if (kind == VQ_LAYOUT_PACKED_RING)
        return create_packed(vq);
    if (!split_size_ok(num)) /* §2.6, see split_size_ok */
        return VIRTIO_ERR_INVALID;
    int rc = kind == VQ_LAYOUT_LEGACY ? vq_layout_legacy(num, legacy_align, &vq->layout)
                                      : vq_layout_modern(num, kind, &vq->layout);
    if (rc != VIRTIO_OK)
        return rc;

    void *d, *a, *u;
    if (kind == VQ_LAYOUT_SEPARATE) {
        if ((rc = alloc_region(vq, 0, vq->layout.desc_size, VIRTQ_DESC_ALIGN, &vq->desc_phys, &d)) ||
            (rc = alloc_region(vq, 1, vq->layout.avail_size, VIRTQ_AVAIL_ALIGN, &vq->avail_phys, &a)) ||
            (rc = alloc_region(vq, 2, vq->layout.used_size, VIRTQ_USED_ALIGN, &vq->used_phys, &u))) {
            vq_destroy(vq);
            return rc;
        }
    } else {
        /* One region: legacy needs it aligned to QueueAlign (the PFN is a page number). */
        uint32_t align = VIRTQ_DESC_ALIGN;
        if (kind == VQ_LAYOUT_LEGACY) /* QueuePFN is a page number: the region starts on a page */
            align = legacy_align > VIRTQ_LEGACY_PAGE_SIZE ? legacy_align : VIRTQ_LEGACY_PAGE_SIZE;
        void *base;
        if ((rc = alloc_region(vq, 0, vq->layout.total, align, &vq->desc_phys, &base)))
            return rc;
        d = base;
        a = (uint8_t *)base + vq->layout.avail_off;
        u = (uint8_t *)base + vq->layout.used_off;
        vq->avail_phys = vq->desc_phys + vq->layout.avail_off;
        vq->used_phys = vq->desc_phys + vq->layout.used_off;
    }
    vq->desc = d;
    vq->avail = a;
    vq->used = u;

    if ((rc = alloc_state(vq)) != VIRTIO_OK) {
        vq_destroy(vq);
        return rc;
    }

    /* vhal_dma_alloc returns zeroed memory, but a platform may recycle: zero the rings through
     * the accessors that matter. §2.6.10.1: the driver MUST initialise used.flags to 0. */
    zero(vq->desc, vq->layout.desc_size);
    vhal_ring_store16(&vq->avail->flags, 0);
    vhal_ring_store16(&vq->avail->idx, 0);
    vhal_ring_store16(used_event_of(vq), 0);
    vhal_ring_store16(&vq->used->flags, 0);
    return VIRTIO_OK;
}

void vq_set_event_idx(struct virtq *vq, bool on)
{
    if (vq && vq->kind == VQ_LAYOUT_PACKED_RING && vq->state)
        vqp_set_event_idx(vq, on);
    else if (vq)
        vq->event_idx = on;
}

void vq_set_used_len_policy(struct virtq *vq, enum vq_used_len_policy p)
{
    if (vq)
        vq->used_len_policy = p == VQ_USED_LEN_LENIENT ? VQ_USED_LEN_LENIENT : VQ_USED_LEN_STRICT;
}

/* Latch the queue broken (Linux BAD_RING): from now on every call fails cleanly. */
/*@ assigns vq->broken, vq->broken_status;
    ensures vq->broken && \result == status; */
static int latch(struct virtq *vq, int status)
{
    vq->broken = true;
    vq->broken_status = status;
    return status;
}

void vq_destroy(struct virtq *vq)
{
    if (!vq)
        return;
    for (int i = 0; i < 3; i++) {
        if (vq->region[i])
            vhal_dma_free(vq->region[i], vq->region_size[i]);
        vq->region[i] = NULL;
    }
    vq_indirect_free(vq);
    if (vq->state)
        vhal_dma_free(vq->state, sizeof(*vq->state) * vq->num);
    vq->state = NULL;
    vq->desc = NULL;
    vq->avail = NULL;
    vq->used = NULL;
    vq->pdesc = NULL;
    vq->driver_event = vq->device_event = NULL;
}

static void write_desc(struct virtq *vq, uint16_t i, const struct vq_buf *b, uint16_t flags,
                       uint16_t next)
{
    volatile struct virtq_desc *d = &vq->desc[i];
    vhal_ring_store64(&d->addr, b->phys);
    vhal_ring_store32(&d->len, b->len);
    vhal_ring_store16(&d->flags, flags);
    vhal_ring_store16(&d->next, next);
    vq->state[i].flags = flags;
    vq->state[i].completed = 0;
}

int vq_add(struct virtq *vq, const struct vq_buf *out, unsigned n_out, const struct vq_buf *in,
           unsigned n_in, void *token)
{
    if (!vq || !vq->state || !token || n_out + n_in == 0 || (n_out && !out) || (n_in && !in))
        return VIRTIO_ERR_INVALID;
    if (vq->broken)
        return VIRTIO_ERR_BROKEN;
    if (vq->kind == VQ_LAYOUT_PACKED_RING)
        return vqp_add(vq, out, n_out, in, n_in, token);
    unsigned total = n_out + n_in;
    bool indirect = vq_indirect_usable(vq, total);
    unsigned descs = indirect ? 1u : total; /* ring descriptors the chain takes */
    if (descs > vq->num_free)
        return VIRTIO_ERR_NOSPC;

    /* §2.6.4.2 / §2.6.5.2: readable buffers first, then writable; NEXT on all but the last. */
    /* IN_ORDER (§2.6.5.2): descriptors in ring order from the cursor, x linking to x + 1 and
     * the last one to 0; otherwise from the free list. */
    uint16_t head = vq->in_order ? vq->next_seq : vq->free_head;
    uint16_t i = head;
    if (indirect) {
        vq_indirect_write(vq, head, out, n_out, in, n_in);
        if (vq->in_order)
            vq->next_seq = (uint16_t)((head + 1u) % vq->num);
        else
            vq->free_head = vq->state[head].next;
    }
    for (unsigned k = 0; !indirect && k < total; k++) {
        const struct vq_buf *b = k < n_out ? &out[k] : &in[k - n_out];
        uint16_t flags = k < n_out ? 0 : VIRTQ_DESC_F_WRITE;
        uint16_t next = vq->in_order ? (uint16_t)((i + 1u) % vq->num)
                                     : vq->state[i].next; /* the next free descriptor */
        if (k + 1 < total)
            flags |= VIRTQ_DESC_F_NEXT;
        write_desc(vq, i, b, flags, k + 1 < total ? next : 0);
        if (k + 1 < total)
            i = next;
        else if (vq->in_order)
            vq->next_seq = next;
        else
            vq->free_head = next;
    }
    vq->num_free = (uint16_t)(vq->num_free - descs);
    vq->state[head].token = token;
    vq->state[head].chain_len = (uint16_t)descs;
    vq->state[head].completed = 0;
    /* The most the device may report as written (§2.6.8.1), kept here, not in shared memory. */
    uint64_t writable = 0;
    for (unsigned k = 0; k < n_in; k++)
        writable += in[k].len;
    vq->state[head].writable = writable > UINT32_MAX ? UINT32_MAX : (uint32_t)writable;

    /* §2.6.13.2: the head goes into the next free slot of the available ring; it becomes visible
     * to the device only when vq_kick_prepare publishes avail.idx after a write barrier. */
    vhal_ring_store16(&vq->avail->ring[vq->avail_idx % vq->num], head);
    vq->avail_idx++;
    return VIRTIO_OK;
}

int vq_set_in_order(struct virtq *vq)
{
    if (!vq || !vq->state || vq->num_free != vq->num || vq->avail_idx != 0 ||
        vq->kind == VQ_LAYOUT_PACKED_RING)
        return VIRTIO_ERR_INVALID; /* only on a fresh split queue */
    vq->in_order = true;
    vq->next_seq = 0;
    vq->oldest = 0;
    return VIRTIO_OK;
}

bool vq_kick_prepare(struct virtq *vq)
{
    if (!vq || !vq->state || vq->broken)
        return false;
    if (vq->kind == VQ_LAYOUT_PACKED_RING)
        return vqp_kick_prepare(vq);
    if (vq->avail_idx == vq->published_idx)
        return false;
    uint16_t old = vq->published_idx, new_idx = vq->avail_idx;
    /* Pairing A (§2.6.13.3): descriptor and ring-entry stores before the idx store. */
    VQ_BARRIER(1, vhal_wmb);
    vhal_ring_store16(&vq->avail->idx, new_idx);
    vq->published_idx = new_idx;
    /* Pairing B (§2.6.13.4): the idx store before the load that decides about notifying; without
     * it the device could see the old idx and the driver the old NO_NOTIFY flag. */
    VQ_BARRIER(2, vhal_mb);
    if (vq->event_idx) /* §2.6.10.1: avail_event decides, the flags bit is ignored */
        return vq_need_event(vhal_ring_load16(avail_event_of(vq)), new_idx, old);
    uint16_t flags = vhal_ring_load16(&vq->used->flags);
    return (flags & VIRTQ_USED_F_NO_NOTIFY) == 0; /* §2.6.10.1 */
}

uint16_t vq_notify_next(const struct virtq *vq)
{
    if (!vq)
        return 0;
    if (vq->kind == VQ_LAYOUT_PACKED_RING) /* 1.2 §2.9, packed: the next descriptor to be made */
        return (uint16_t)(vq->next_avail | (vq->avail_wrap ? 0x8000u : 0u)); /* available, its wrap */
    /* §4.2.3.3 / 1.2 §2.9, split ring: next_off = avail idx bits 0..14, next_wrap = bit 15 */
    return vq->published_idx;
}

bool vq_enable_interrupts(struct virtq *vq)
{
    if (!vq || !vq->state)
        return false;
    if (vq->kind == VQ_LAYOUT_PACKED_RING)
        return vqp_enable_interrupts(vq);
    if (vq->event_idx) { /* §2.6.7.1: used_event names the element that interrupts; flags stay 0 */
        vq->used_event = vq->last_used_idx;
        vhal_ring_store16(used_event_of(vq), vq->used_event);
    } else {
        vhal_ring_store16(&vq->avail->flags, 0);
    }
    /* Pairing D (§2.6.14): the re-enable before the re-read of used.idx. Without it the device
     * may use a buffer, see interrupts still off, stay quiet, and the re-read miss it too. */
    VQ_BARRIER(5, vhal_mb);
    return vhal_ring_load16(&vq->used->idx) != vq->last_used_idx;
}

bool vq_has_used(struct virtq *vq)
{
    if (!vq || !vq->state)
        return false;
    if (vq->kind == VQ_LAYOUT_PACKED_RING)
        return vqp_has_used(vq);
    return vhal_ring_load16(&vq->used->idx) != vq->last_used_idx;
}

/* Proven by WP for the split ring with its free list (tools/frama-c/run_wp.py get-used,
 * get-used-wrap): the links stay indices of the table; a chain comes back once — its token was
 * in flight, is handed out, and is NULL (completed) after, so a second element naming it fails —
 * and no token comes back to life; the chain goes back at the head of the free list; only an
 * element of a published chain is consumed (across the 16-bit wrap), last_used moving by one;
 * nothing is written to *token / *len on an error. */
/*@ requires vq_mem(vq) && vq_links(vq);
    requires token == \null || \separated(token, vq, vq->state + (0 .. vq->num - 1));
    requires len == \null || \separated(len, token, vq, vq->state + (0 .. vq->num - 1));
    assigns *vq, vq->state[0 .. vq->num - 1], *token, *len;
    behavior split_free_list:
      assumes vq_split_free_list(vq);
      ensures links: vq_links(vq);
      ensures never_revived: \forall integer i; 0 <= i < vq->num ==>
                 \old(vq->state[i].token) == \null ==> vq->state[i].token == \null;
      ensures returned_once: \result == VIRTIO_OK ==> \exists integer id; 0 <= id < vq->num &&
                 \old(vq->state[id].token) != \null && vq->state[id].token == \null &&
                 vq->state[id].completed == 1 && vq->free_head == id &&
                 vq->num_free == (uint16_t)(\old(vq->num_free) + \old(vq->state[id].chain_len)) &&
                 (token != \null ==> *token == \old(vq->state[id].token));
      ensures published_only: \result == VIRTIO_OK ==>
                 (uint16_t)(\old(vq->published_idx) - \old(vq->last_used_idx)) >= 1;
      ensures next_used: \result == VIRTIO_OK ==>
                 vq->last_used_idx == (uint16_t)(\old(vq->last_used_idx) + 1) &&
                 vq->published_idx == \old(vq->published_idx);
      ensures nothing_out: \result != VIRTIO_OK ==> (token != \null ==> *token == \old(*token)) &&
                 (len != \null ==> *len == \old(*len));
 */
int vq_get_used(struct virtq *vq, void **token, uint32_t *len)
{
    if (!vq || !vq->state)
        return VIRTIO_ERR_INVALID;
    if (vq->broken)
        return VIRTIO_ERR_BROKEN;
    if (vq->kind == VQ_LAYOUT_PACKED_RING)
        return vqp_get_used(vq, token, len);
    uint16_t used_idx = vhal_ring_load16(&vq->used->idx);
    if (used_idx == vq->last_used_idx && vq->event_idx && vq->used_event != vq->last_used_idx) {
        /* §2.6.7.1 with EVENT_IDX: ask for an interrupt when the next element is used. Pairing
         * D: the store before the re-read, or a buffer used in between raises no interrupt (the
         * device saw the old used_event) and is not seen here either (the old used.idx). */
        vq->used_event = vq->last_used_idx;
        vhal_ring_store16(used_event_of(vq), vq->used_event);
        VQ_BARRIER(4, vhal_mb);
        used_idx = vhal_ring_load16(&vq->used->idx);
    }
    if (used_idx == vq->last_used_idx)
        return VIRTIO_ERR_EMPTY;
    /* Never more newly used than in flight: the device can only have seen what was published
     * (the shadow published_idx, never avail.idx read back). A used.idx that runs ahead would
     * make the driver read elements the device never wrote (§2.6.8: used.idx counts elements). */
    uint16_t in_flight = (uint16_t)(vq->published_idx - vq->last_used_idx);
    if ((uint16_t)(used_idx - vq->last_used_idx) > in_flight)
        return latch(vq, VIRTIO_ERR_USED_IDX_JUMP);
    /* Pairing C (§2.6.14): read the element only after seeing the idx that covers it. */
    VQ_BARRIER(3, vhal_rmb);
    volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used_idx % vq->num];
    uint32_t id = vhal_ring_load32(&e->id);
    uint32_t l = vhal_ring_load32(&e->len);
    /* §2.6.8: id is the head of a chain the driver made available. Checked against the private
     * state before it indexes anything (Linux: "id %u out of range", "id %u is not a head"). */
    if (id >= vq->num)
        return latch(vq, VIRTIO_ERR_USED_ID_RANGE);
    if (vq->state[id].token == NULL)
        return latch(vq, vq->state[id].completed ? VIRTIO_ERR_USED_ID_TWICE : VIRTIO_ERR_BAD_USED);
    bool batch = vq->in_order && id != vq->oldest;
    if (!batch && l > vq->state[id].writable) {
        /* §2.6.8.1: len is at most the bytes written into the chain's writable buffers. */
        if (vq->used_len_policy == VQ_USED_LEN_STRICT)
            return latch(vq, VIRTIO_ERR_USED_LEN);
        l = vq->state[id].writable;
        vq->len_clamped++;
    }
    if (batch) {
        /* §2.6.9: an in-order device may write one element for a batch, naming the last chain;
         * the chains before it are used too. Hand back the oldest (its len unknown: 0) and keep
         * the element for the next call. */
        id = vq->oldest;
        l = 0;
    } else {
        vq->last_used_idx++;
    }

    struct vq_desc_state *s = &vq->state[id];
    void *t = s->token;
    uint16_t n = s->chain_len;
    if (vq->in_order) {
        vq->oldest = (uint16_t)((id + n) % vq->num); /* the next chain in ring order */
    } else {
        /* Return the chain to the free list, walking the private copy, not the shared table. */
        uint16_t last = (uint16_t)id;
        /*@ loop invariant 1 <= k && last < vq->num;
            loop assigns k, last; */
        for (uint16_t k = 1; k < n; k++)
            last = vq->state[last].next;
        vq->state[last].next = vq->free_head;
        vq->free_head = (uint16_t)id;
        /*@ assert links: vq_links(vq); */
    }
    vq->num_free = (uint16_t)(vq->num_free + n);
    s->token = NULL;
    s->chain_len = 0;
    s->completed = 1; /* a second element naming it is VIRTIO_ERR_USED_ID_TWICE */
    s->writable = 0;
    if (token)
        *token = t;
    if (len)
        *len = l;
    return VIRTIO_OK;
}
