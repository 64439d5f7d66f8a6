/* fuzz_virtqueue.c — the driver's virtqueues alone (virtqueue.c, vq_indirect.c, vq_packed.c),
 * split and packed, against a device that writes whatever the input says into the memory it
 * owns: the fuzz counterpart of tools/frama-c/eva_*.c, without a machine, so it runs fast.
 *
 * The HAL is defined here: ring memory is host memory (calloc, exactly the size asked, so ASan
 * sees one byte past it), loads and stores are plain volatile accesses, barriers do nothing.
 *
 * Input: a header (byte 0: bit 0 packed ring, bit 1 EVENT_IDX, bit 2 indirect, bit 3 IN_ORDER,
 * bit 4 lenient used-len policy, bits 5-6 the split ring's layout (separate, one region, legacy);
 * byte 1: queue size - 1, 1..64), then one operation per byte:
 *   0 add a chain (next byte: readable count 0..3 | writable count 0..3 << 2; lengths from input)
 *   1 kick_prepare   2 get_used   3 enable_interrupts   4 has_used
 *   5 the device completes the next chain correctly (used len from input, at most the writable)
 *   6 the device writes a 16-bit value (input) at any 2-byte offset (input) of the memory it
 *     writes: the used ring (split) or the descriptor ring and Device Area (packed)
 *   7 the same with a 32-bit value
 * Oracle, after every call: a token comes back only if it is in flight, once, with a len no more
 * than its chain's writable bytes (strict policy: a longer one breaks the queue); while the queue
 * is not broken, num_free plus the descriptors in flight is the queue size and (split, not
 * IN_ORDER) the free list walks num_free distinct descriptors, each below the queue size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "fuzz_input.h"

#define MAX_NUM 64u
#define MAX_TOKENS 4096u

static struct {
    struct virtq vq;
    struct fin in;
    unsigned char tokens[MAX_TOKENS];
    uint32_t writable[MAX_TOKENS];
    uint16_t descs[MAX_TOKENS];
    uint8_t in_flight[MAX_TOKENS];
    unsigned n_tokens, flying, flying_descs;
    uint16_t dev_avail, dev_used; /* the correct device's positions (split: indices) */
    uint16_t dev_pos;             /* packed: ring offset */
    int dev_wrap;
} F;

static void finding(const char *what, unsigned a, unsigned b)
{
    fprintf(stderr, "fuzz_virtqueue: %s (%u, %u)\n", what, a, b);
    abort();
}

/* ---- virtio_hal.h for this target ---- */
void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys)
{
    (void)align;
    (void)use;
    void *p = calloc(1, size);
    *phys = (uint64_t)(uintptr_t)p;
    return p;
}
void vhal_dma_free(void *ptr, size_t size) { (void)size; free(ptr); }
uint64_t vhal_virt_to_phys(const void *ptr) { return (uint64_t)(uintptr_t)ptr; }
uint16_t vhal_ring_load16(const volatile uint16_t *p) { return *p; }
uint32_t vhal_ring_load32(const volatile uint32_t *p) { return *p; }
void vhal_ring_store16(volatile uint16_t *p, uint16_t v) { *p = v; }
void vhal_ring_store32(volatile uint32_t *p, uint32_t v) { *p = v; }
void vhal_ring_store64(volatile uint64_t *p, uint64_t v) { *p = v; }
void vhal_mb(void) {}
void vhal_rmb(void) {}
void vhal_wmb(void) {}
uint32_t vhal_mmio_read32(uintptr_t addr) { (void)addr; return 0; }
void vhal_mmio_write32(uintptr_t addr, uint32_t value) { (void)addr; (void)value; }
uint32_t vhal_irq_take(void) { return 0; }
uint64_t vhal_now_ns(void) { return 0; }
void vhal_delay_ns(uint64_t ns) { (void)ns; }

/* ---- the driver's caller ---- */
static void op_add(void)
{
    struct vq_buf out[3], in[3];
    uint8_t shape = fin_u8(&F.in);
    unsigned n_out = shape & 3u, n_in = (shape >> 2) & 3u;
    n_out = n_out > 3 ? 3 : n_out;
    n_in = n_in > 3 ? 3 : n_in;
    uint64_t w = 0;
    for (unsigned i = 0; i < 3; i++) {
        out[i] = (struct vq_buf){0x1000u * (i + 1), fin_u8(&F.in) * 16u};
        in[i] = (struct vq_buf){0x8000u * (i + 1), fin_u16(&F.in)};
        if (i < n_in)
            w += in[i].len;
    }
    if (F.n_tokens == MAX_TOKENS)
        return;
    unsigned t = F.n_tokens;
    uint16_t before = F.vq.num_free;
    int rc = vq_add(&F.vq, out, n_out, in, n_in, &F.tokens[t]);
    if (rc != VIRTIO_OK)
        return;
    F.n_tokens++;
    F.in_flight[t] = 1;
    F.writable[t] = (uint32_t)w;
    F.descs[t] = (uint16_t)(before - F.vq.num_free);
    F.flying++;
    F.flying_descs += F.descs[t];
}

static void op_get_used(void)
{
    void *tok = NULL;
    uint32_t len = 0;
    if (vq_get_used(&F.vq, &tok, &len) != VIRTIO_OK)
        return;
    unsigned char *p = tok;
    if (p < F.tokens || p >= F.tokens + F.n_tokens)
        finding("a token never given", 0, 0);
    unsigned t = (unsigned)(p - F.tokens);
    if (!F.in_flight[t])
        finding("a token returned twice", t, 0);
    if (len > F.writable[t])
        finding("a used len above the chain's writable bytes", len, F.writable[t]);
    F.in_flight[t] = 0;
    F.flying--;
    F.flying_descs -= F.descs[t];
}

/* ---- the device ---- */
static void complete_split(void)
{
    struct virtq *vq = &F.vq;
    if (vq->avail->idx == F.dev_avail)
        return;
    uint16_t head = vq->avail->ring[F.dev_avail++ % vq->num];
    volatile struct virtq_used_elem *e = &vq->used->ring[F.dev_used % vq->num];
    e->id = head;
    e->len = head < vq->num ? fin_u32(&F.in) % (vq->state[head].writable + 1u) : 0;
    vq->used->idx = ++F.dev_used;
}

static void complete_packed(void)
{
    struct virtq *vq = &F.vq;
    volatile struct virtq_packed_desc *d = &vq->pdesc[F.dev_pos];
    uint16_t fl = d->flags;
    int avail = !!(fl & VIRTQ_DESC_F_AVAIL), used = !!(fl & VIRTQ_DESC_F_USED);
    if (avail != F.dev_wrap || used == F.dev_wrap)
        return; /* not available in this lap */
    unsigned n = 1;
    uint16_t pos = F.dev_pos;
    while ((vq->pdesc[pos].flags & VIRTQ_DESC_F_NEXT) && n < vq->num) {
        pos = (uint16_t)((pos + 1u) % vq->num);
        n++;
    }
    uint16_t id = vq->pdesc[pos].id;
    d->id = id;
    d->len = id < vq->num ? fin_u32(&F.in) % (vq->state[id].writable + 1u) : 0;
    d->flags = F.dev_wrap ? (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED) : 0;
    F.dev_pos = (uint16_t)(F.dev_pos + n);
    if (F.dev_pos >= vq->num) {
        F.dev_pos = (uint16_t)(F.dev_pos - vq->num);
        F.dev_wrap = !F.dev_wrap;
    }
}

/* A 2- or 4-byte write anywhere in the memory the device writes. */
static void scribble(unsigned width)
{
    struct virtq *vq = &F.vq;
    volatile uint8_t *base;
    size_t size;
    uint16_t off = fin_u16(&F.in);
    if (vq->kind == VQ_LAYOUT_PACKED_RING) {
        size_t ring = 16u * vq->num;
        if (off & 0x8000u) {
            base = (volatile uint8_t *)vq->device_event;
            size = 4;
        } else {
            base = (volatile uint8_t *)vq->pdesc;
            size = ring;
        }
    } else {
        base = (volatile uint8_t *)vq->used;
        size = 6u + 8u * vq->num; /* flags, idx, ring, avail_event */
    }
    size_t at = ((off & 0x7fffu) * 2u) % size;
    if (at + width > size)
        at = size - width;
    uint32_t v = width == 2 ? fin_u16(&F.in) : fin_u32(&F.in);
    if (width == 2)
        *(volatile uint16_t *)(base + at) = (uint16_t)v;
    else
        memcpy((void *)(base + at), &v, 4);
}

static void check(void)
{
    struct virtq *vq = &F.vq;
    if (vq->broken)
        return;
    if ((unsigned)vq->num_free + F.flying_descs != vq->num)
        finding("free descriptors and those in flight do not add up", vq->num_free,
                F.flying_descs);
    if (vq->kind == VQ_LAYOUT_PACKED_RING || vq->in_order)
        return;
    uint64_t seen = 0;
    uint16_t i = vq->free_head;
    for (unsigned k = 0; k < vq->num_free; k++) {
        if (i >= vq->num || (seen >> i & 1u))
            finding("free list broken", k, i);
        seen |= 1ull << i;
        i = vq->state[i].next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&F, 0, sizeof(F));
    F.in = (struct fin){data, size};
    uint8_t flags = fin_u8(&F.in);
    uint16_t num = (uint16_t)(fin_u8(&F.in) % MAX_NUM + 1u);
    enum vq_layout_kind kind = flags & 1 ? VQ_LAYOUT_PACKED_RING
                                         : (enum vq_layout_kind)((flags >> 5) % 3u);
    if (kind != VQ_LAYOUT_PACKED_RING && (num & (num - 1u))) {
        /* §2.6: a split queue's size is a power of two; any other is refused, nothing allocated.
         * The input goes on with the largest power of two below it. */
        if (vq_create(&F.vq, 0, num, kind, 4096) != VIRTIO_ERR_INVALID || F.vq.state)
            finding("vq_create took a split queue size that is not a power of two", num, kind);
        while (num & (num - 1u))
            num &= (uint16_t)(num - 1u);
    }
    if (vq_create(&F.vq, 0, num, kind, 4096) != VIRTIO_OK)
        finding("vq_create refused a valid queue", num, kind);
    vq_set_event_idx(&F.vq, flags & 2);
    if (flags & 4)
        (void)vq_enable_indirect(&F.vq);
    if ((flags & 8) && !(flags & 1) && vq_set_in_order(&F.vq) != VIRTIO_OK)
        finding("vq_set_in_order refused a fresh split queue", num, 0);
    vq_set_used_len_policy(&F.vq, flags & 16 ? VQ_USED_LEN_LENIENT : VQ_USED_LEN_STRICT);
    F.dev_wrap = 1;
    for (unsigned steps = 0; fin_left(&F.in) && steps < 4096; steps++) {
        switch (fin_u8(&F.in) % 8u) {
        case 0: op_add(); break;
        case 1: (void)vq_kick_prepare(&F.vq); break;
        case 2: op_get_used(); break;
        case 3: (void)vq_enable_interrupts(&F.vq); break;
        case 4: (void)vq_has_used(&F.vq); break;
        case 5: kind == VQ_LAYOUT_PACKED_RING ? complete_packed() : complete_split(); break;
        case 6: scribble(2); break;
        default: scribble(4); break;
        }
        check();
        (void)vq_notify_next(&F.vq);
    }
    vq_destroy(&F.vq);
    return 0;
}
