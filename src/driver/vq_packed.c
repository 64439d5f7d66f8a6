/* vq_packed.c — the driver side of the packed virtqueue (§2.7). See vq_packed.h, virtqueue.h.
 *
 * The descriptor ring is shared both ways; the driver keeps what it needs in private state and
 * never trusts what it reads back: a used descriptor's id indexes nothing before it is checked,
 * its len is judged against the writable bytes the driver recorded, and the number of ring
 * descriptors a buffer took comes from the driver's own record, not from the ring.
 *
 * Barrier call sites (numbers continue virtqueue.c's; -DVQ_OMIT_BARRIER=N compiles one out):
 *   6 wmb  before the head descriptor's flags store     (pairing PA, §2.7.21.1.1: the device
 *          reads the head's flags, then the rest of the list)
 *   7 mb   between the head flags store and the Device Area load (pairing PB, §2.7.21.3.1)
 *   8 rmb  between a used descriptor's flags load and its id/len loads (pairing PC, §2.7.22:
 *          the device writes id and len, then the flags)
 *   9 mb   between the Driver Area store and the used flags re-read (pairing PD, §2.7.22:
 *          re-enabling interrupts, then looking once more)
 *  10 wmb  between the Driver Area's off_wrap store and its flags store (pairing PE, §2.7.10:
 *          the device reads flags, then off_wrap) */
#include "driver/vq_packed.h"

#include "driver/virtio_hal.h"
#include "driver/vq_barrier.h"
#include "driver/vq_indirect.h"

static void *alloc(struct virtq *vq, int slot, uint32_t size, uint32_t align, uint64_t *phys)
{
    void *p = vhal_dma_alloc(size, align, VHAL_DMA_RING, phys);
    if (p) {
        vq->region[slot] = p;
        vq->region_size[slot] = size;
    }
    return p;
}

int vqp_create(struct virtq *vq)
{
    uint32_t n = vq->num;
    vq->layout = (struct vq_layout){.num = n, .desc_size = 16u * n,
                                    .avail_size = sizeof(struct virtq_pevent),
                                    .used_size = sizeof(struct virtq_pevent)};
    vq->layout.total = vq->layout.desc_size + 2u * (uint32_t)sizeof(struct virtq_pevent);
    vq->pdesc = alloc(vq, 0, vq->layout.desc_size, VIRTQ_PACKED_DESC_ALIGN, &vq->desc_phys);
    vq->driver_event = alloc(vq, 1, 4, VIRTQ_PEVENT_ALIGN, &vq->avail_phys);
    vq->device_event = alloc(vq, 2, 4, VIRTQ_PEVENT_ALIGN, &vq->used_phys);
    if (!vq->pdesc || !vq->driver_event || !vq->device_event)
        return VIRTIO_ERR_NOMEM;
    /* A platform may recycle memory: every flags word 0 (no descriptor available or used), both
     * event structures ENABLE with offset 0 (the device writes its own before it uses it). */
    for (uint32_t i = 0; i < n; i++) {
        vhal_ring_store64(&vq->pdesc[i].addr, 0);
        vhal_ring_store32(&vq->pdesc[i].len, 0);
        vhal_ring_store16(&vq->pdesc[i].id, 0);
        vhal_ring_store16(&vq->pdesc[i].flags, 0);
    }
    vhal_ring_store16(&vq->driver_event->off_wrap, 0);
    vhal_ring_store16(&vq->driver_event->flags, VIRTQ_PEVENT_F_ENABLE);
    vhal_ring_store16(&vq->device_event->off_wrap, 0);
    vhal_ring_store16(&vq->device_event->flags, VIRTQ_PEVENT_F_ENABLE);
    vq->avail_wrap = vq->used_wrap = true; /* §2.7.1: both start at 1 */
    return VIRTIO_OK;
}

/* §2.7.1: a descriptor made available in the lap `wrap` has AVAIL = wrap and USED = !wrap. */
static uint16_t avail_bits(bool wrap)
{
    return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

static void store_desc(volatile struct virtq_packed_desc *d, uint64_t addr, uint32_t len,
                       uint16_t id)
{
    vhal_ring_store64(&d->addr, addr);
    vhal_ring_store32(&d->len, len);
    vhal_ring_store16(&d->id, id);
}

/* §2.7.7: the list in buffer id's table, WRITE the only flag; the ring descriptor names it. */
static void write_table(struct virtq *vq, uint16_t id, const struct vq_buf *out, unsigned n_out,
                        const struct vq_buf *in, unsigned n_in)
{
    unsigned total = n_out + n_in;
    uint64_t offset = (uint64_t)id * VQ_INDIRECT_MAX;
    volatile struct virtq_packed_desc *t = (volatile struct virtq_packed_desc *)vq->indirect;
    store_desc(&vq->pdesc[vq->next_avail],
               vq->indirect_phys + offset * sizeof(struct virtq_packed_desc),
               (uint32_t)(total * sizeof(struct virtq_packed_desc)), id);
    for (unsigned k = 0; k < total; k++) {
        const struct vq_buf *b = k < n_out ? &out[k] : &in[k - n_out];
        store_desc(&t[offset + k], b->phys, b->len, 0);
        vhal_ring_store16(&t[offset + k].flags, k < n_out ? 0 : VIRTQ_DESC_F_WRITE);
    }
}

/* The next ring descriptor: past the end of the ring the wrap counter flips (§2.7.1).
 * Proven by WP (tools/frama-c/run_wp.py packed): the offset stays in the ring and moves by one
 * modulo its size, the counter flips exactly when the offset goes back to 0. */
/*@ requires \valid(vq) && 1 <= vq->num && vq->next_avail < vq->num;
    assigns vq->next_avail, vq->avail_wrap;
    ensures in_ring: vq->next_avail < vq->num;
    ensures next: vq->next_avail == (\old(vq->next_avail) + 1) % vq->num;
    ensures flips_at_end: (vq->avail_wrap != \old(vq->avail_wrap)) <==> vq->next_avail == 0;
 */
static void advance(struct virtq *vq)
{
    if (++vq->next_avail == vq->num) {
        vq->next_avail = 0;
        vq->avail_wrap = !vq->avail_wrap;
    }
}

/* Write the list's descriptors in ring order, the head's flags last (§2.7.17: the first
 * descriptor made available after all the others). Returns the head's flags, not yet stored. */
static uint16_t write_list(struct virtq *vq, uint16_t id, const struct vq_buf *out,
                           unsigned n_out, const struct vq_buf *in, unsigned n_in)
{
    unsigned total = n_out + n_in;
    uint16_t head_flags = 0;
    for (unsigned k = 0; k < total; k++) {
        const struct vq_buf *b = k < n_out ? &out[k] : &in[k - n_out];
        /* §2.7.17: readable first, then writable; NEXT on all but the last; every descriptor
         * carries the id (§2.7.6 needs it in the last; Linux writes it in all). */
        uint16_t flags = avail_bits(vq->avail_wrap) | (k < n_out ? 0 : VIRTQ_DESC_F_WRITE) |
                         (k + 1 < total ? VIRTQ_DESC_F_NEXT : 0);
        volatile struct virtq_packed_desc *d = &vq->pdesc[vq->next_avail];
        store_desc(d, b->phys, b->len, id);
        if (k == 0)
            head_flags = flags;
        else
            vhal_ring_store16(&d->flags, flags);
        advance(vq);
    }
    return head_flags;
}

int vqp_add(struct virtq *vq, const struct vq_buf *out, unsigned n_out, const struct vq_buf *in,
            unsigned n_in, void *token)
{
    unsigned total = n_out + n_in;
    bool indirect = vq_indirect_usable(vq, total);
    unsigned descs = indirect ? 1u : total;
    if (descs > vq->num_free)
        return VIRTIO_ERR_NOSPC; /* §2.7.17: room for the whole list first */
    uint16_t id = vq->free_head, head = vq->next_avail;
    vq->free_head = vq->state[id].next;
    uint16_t head_flags;
    if (indirect) {
        write_table(vq, id, out, n_out, in, n_in);
        head_flags = avail_bits(vq->avail_wrap) | VIRTQ_DESC_F_INDIRECT;
        advance(vq);
    } else {
        head_flags = write_list(vq, id, out, n_out, in, n_in);
    }
    vq->num_free = (uint16_t)(vq->num_free - descs);
    vq->num_added = (uint16_t)(vq->num_added + descs);
    struct vq_desc_state *s = &vq->state[id];
    uint64_t writable = 0;
    for (unsigned k = 0; k < n_in; k++)
        writable += in[k].len;
    *s = (struct vq_desc_state){.token = token, .next = 0, .flags = head_flags,
                                .chain_len = (uint16_t)descs, .completed = 0,
                                .writable = writable > UINT32_MAX ? UINT32_MAX
                                                                  : (uint32_t)writable};
    /* Pairing PA (§2.7.21.1.1): the list, then the head's flags that make it available. */
    VQ_BARRIER(6, vhal_wmb);
    vhal_ring_store16(&vq->pdesc[head].flags, head_flags);
    return VIRTIO_OK;
}

bool vqp_kick_prepare(struct virtq *vq)
{
    if (vq->num_added == 0)
        return false;
    uint16_t new_idx = vq->next_avail, old = (uint16_t)(new_idx - vq->num_added);
    vq->num_added = 0;
    /* Pairing PB (§2.7.21.3.1): the flags stores before the Device Area load. */
    VQ_BARRIER(7, vhal_mb);
    uint16_t flags = vhal_ring_load16(&vq->device_event->flags);
    if (flags == VIRTQ_PEVENT_F_DISABLE)
        return false;
    if (flags != VIRTQ_PEVENT_F_DESC || !vq->event_idx)
        return true;
    /* §2.7.10: notify when the descriptor at off_wrap was made available by this batch; an
     * offset of the other lap is a queue size back (Linux virtqueue_kick_prepare_packed). */
    uint16_t off_wrap = vhal_ring_load16(&vq->device_event->off_wrap);
    uint16_t event = off_wrap & 0x7fffu;
    if ((bool)(off_wrap >> 15) != vq->avail_wrap)
        event = (uint16_t)(event - vq->num);
    return vq_need_event(event, new_idx, old);
}

/* §2.7.1: used in the lap `wrap` when AVAIL = USED = wrap. */
static bool used_at(struct virtq *vq, uint16_t *flags)
{
    *flags = vhal_ring_load16(&vq->pdesc[vq->last_used].flags);
    bool avail = *flags & VIRTQ_DESC_F_AVAIL, used = *flags & VIRTQ_DESC_F_USED;
    return avail == used && used == vq->used_wrap;
}

bool vqp_has_used(struct virtq *vq)
{
    uint16_t flags;
    return used_at(vq, &flags);
}

/* Ask for an interrupt at the next used descriptor (EVENT_IDX) or at every one. */
static void driver_event_arm(struct virtq *vq)
{
    if (vq->event_idx) {
        vhal_ring_store16(&vq->driver_event->off_wrap,
                          (uint16_t)(vq->last_used | (uint16_t)vq->used_wrap << 15));
        VQ_BARRIER(10, vhal_wmb); /* pairing PE: off_wrap before the flags that use it */
        vhal_ring_store16(&vq->driver_event->flags, VIRTQ_PEVENT_F_DESC);
    } else {
        vhal_ring_store16(&vq->driver_event->flags, VIRTQ_PEVENT_F_ENABLE);
    }
}

void vqp_set_event_idx(struct virtq *vq, bool on)
{
    vq->event_idx = on;
    driver_event_arm(vq);
}

bool vqp_enable_interrupts(struct virtq *vq)
{
    driver_event_arm(vq);
    /* Pairing PD (§2.7.22): the re-enable before the re-read, or a descriptor used in between
     * raises no interrupt and is not seen here either. */
    VQ_BARRIER(9, vhal_mb);
    return vqp_has_used(vq);
}

/*@ assigns vq->broken, vq->broken_status;
    ensures vq->broken && \result == status; */
static int latch(struct virtq *vq, int status)
{
    vq->broken = true;
    vq->broken_status = status;
    return status;
}

/* The used descriptor at last_used, checked before it indexes anything. Proven by WP (target
 * packed): accepted only for an id below the queue size whose list is in flight (its token not
 * NULL: a list already returned is refused), with a len at most its writable bytes; a refused
 * one latches the queue broken. */
/*@ requires vq_mem(vq) && \valid(l) && \separated(l, vq, vq->state + (0 .. vq->num - 1));
    assigns vq->broken, vq->broken_status, vq->len_clamped, *l;
    ensures in_flight: \result == VIRTIO_OK ==> id < vq->num && vq->state[id].token != \null &&
              *l <= vq->state[id].writable;
    ensures refused: \result != VIRTIO_OK ==> vq->broken;
 */
static int check_used(struct virtq *vq, uint16_t id, uint32_t *l)
{
    if (id >= vq->num) /* Linux: "id %u out of range" */
        return latch(vq, VIRTIO_ERR_USED_ID_RANGE);
    if (vq->state[id].token == NULL) /* Linux: "id %u is not a head" */
        return latch(vq, vq->state[id].completed ? VIRTIO_ERR_USED_ID_TWICE : VIRTIO_ERR_BAD_USED);
    if (*l > vq->state[id].writable) { /* §2.7.22 as §2.6.8.1: at most the writable bytes */
        if (vq->used_len_policy == VQ_USED_LEN_STRICT)
            return latch(vq, VIRTIO_ERR_USED_LEN);
        *l = vq->state[id].writable;
        vq->len_clamped++;
    }
    return VIRTIO_OK;
}

/* §2.7.6: the next used descriptor is as many ring descriptors on as the list took (the driver's
 * record, not the ring's); past the end of the ring the expected wrap counter flips (§2.7.1).
 * Proven by WP (target packed): the offset moves by n modulo the ring's size and stays in it,
 * the counter flips exactly when the offset passes the end. */
/*@ requires \valid(vq) && 1 <= vq->num <= VIRTQ_MAX_SIZE && vq->last_used < vq->num && n <= vq->num;
    assigns vq->last_used, vq->used_wrap;
    ensures in_ring: vq->last_used < vq->num;
    ensures next: vq->last_used == (\old(vq->last_used) + n) % vq->num;
    ensures flips_at_end: (vq->used_wrap != \old(vq->used_wrap)) <==> \old(vq->last_used) + n >= vq->num;
 */
static void advance_used(struct virtq *vq, uint16_t n)
{
    uint32_t next = (uint32_t)vq->last_used + n;
    if (next >= vq->num) {
        next -= vq->num;
        vq->used_wrap = !vq->used_wrap;
    }
    vq->last_used = (uint16_t)next;
}

int vqp_get_used(struct virtq *vq, void **token, uint32_t *len)
{
    uint16_t flags;
    bool used = used_at(vq, &flags);
    if (!used && vq->event_idx) { /* ask for the interrupt, then look once more (pairing PD) */
        driver_event_arm(vq);
        VQ_BARRIER(9, vhal_mb);
        used = used_at(vq, &flags);
    }
    if (!used) {
        /* §2.7.1: in the lap of wrap counter 1, with a list in flight, the slot holds the
         * driver's descriptor (AVAIL 1, USED 0) or the device's used one (both 1): USED 1 with
         * AVAIL 0 is a device that set USED without AVAIL. (In the lap of 0 that is the
         * driver's own pattern; with none in flight the slot may hold the lap before's.) */
        if (vq->num_free != vq->num && vq->used_wrap && (flags & VIRTQ_DESC_F_USED) &&
            !(flags & VIRTQ_DESC_F_AVAIL))
            return latch(vq, VIRTIO_ERR_BAD_USED);
        return VIRTIO_ERR_EMPTY;
    }
    /* Pairing PC (§2.7.22): id and len only after the flags that publish them. */
    VQ_BARRIER(8, vhal_rmb);
    uint16_t id = vhal_ring_load16(&vq->pdesc[vq->last_used].id);
    uint32_t l = vhal_ring_load32(&vq->pdesc[vq->last_used].len);
    int rc = check_used(vq, id, &l);
    if (rc != VIRTIO_OK)
        return rc;
    struct vq_desc_state *s = &vq->state[id];
    void *t = s->token;
    advance_used(vq, s->chain_len);
    vq->num_free = (uint16_t)(vq->num_free + s->chain_len);
    *s = (struct vq_desc_state){.next = vq->free_head, .completed = 1};
    vq->free_head = id;
    if (token)
        *token = t;
    if (len)
        *len = l;
    return VIRTIO_OK;
}
