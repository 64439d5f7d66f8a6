/* vd_gpu.c — a virtio-gpu driver in the shape of rcore-os/virtio-drivers (Rust), written in C
 * (foreign-driver corpus, tests/foreign/README.md): a Transport (MmioTransport: legacy and
 * modern) under a VirtQueue<SIZE> that keeps a trusted shadow of its descriptors (desc_shadow)
 * and of avail.idx, separate DMA regions for the driver's area (descriptors + available ring)
 * and the device's (used ring), atomics for the shared indices (through the platform's ring
 * accessors: vqsim sees every load and store), and add_notify_wait_pop spinning on can_pop()
 * with a spin hint. (The Rust loop spins forever; this one gives up after a bounded number of
 * spins, so a hang ends.) It does not report where its rings are.
 *
 * Bugs, one per build (-D):
 *   BUG_ZERO_LEN       a command without a body still sends its (empty) body buffer
 *   BUG_NO_USED_EVENT  EVENT_IDX negotiated, used_event never written (virtio-drivers before
 *                      PR #121; it polls, so nothing is lost)
 *   BUG_NO_KICK_MB     no fence between the avail.idx store (Release) and the should_notify()
 *                      load (Acquire): a Release store and an Acquire load do not order a store
 *                      before a load (pairing B)
 *   BUG_RESET_NO_WAIT  begin_init writes Status 0 and goes on (virtio-drivers before PR #69)
 *   BUG_LEGACY_NO_GPS  legacy: the transport never writes GuestPageSize
 *   BUG_USED_ALIGN     legacy: the used ring placed at a 64-byte alignment, QueueAlign 4096
 *   BUG_EVENT_WRAP     should_notify() with EVENT_IDX compares avail_idx > avail_event as plain
 *                      numbers: when avail.idx wraps to 0 and avail_event is 0xffff the kick the
 *                      device asked for is skipped (vring_need_event's 16-bit arithmetic is not)
 *   BUG_DUP_RESOURCE   setup_framebuffer() twice: RESOURCE_CREATE_2D of resource 0xbabe again
 *   BUG_SKIP_KICK      a notify "optimisation": the fourth request is added and waited for
 *                      without should_notify() being asked
 */
#include <stddef.h>
#include <stdint.h>

#include <vqsim/vqsim.h>

#define SIZE 16u
#define PAGE_SIZE 4096u
#define SPINS 2000000u /* the spin loop's bound: 2 M x (a load + an Acquire fence) */
#ifndef FLUSHES
#define FLUSHES 1 /* -DFLUSHES=N: present the frame N times (2 commands each) */
#endif

enum { F_NEXT = 1, F_WRITE = 2 };
enum { VERSION_1_BIT = 32, RING_EVENT_IDX_BIT = 29, ANY_LAYOUT_BIT = 27 };
enum vd_error { OK = 0, E_ALREADY_USED, E_INVALID_PARAM, E_QUEUE_FULL, E_NOT_READY, E_IO,
                E_WRONG_TOKEN, E_UNSUPPORTED };

static const struct vqsim_platform *hal;

/* ---- the shared structures (§2.6) --------------------------------------------------------- */

struct descriptor { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail_ring { uint16_t flags, idx, ring[SIZE], used_event; };
struct used_elem { uint32_t id, len; };
struct used_ring { uint16_t flags, idx; struct used_elem ring[SIZE]; uint16_t avail_event; };

/* Acquire / Release on the shared indices, fence(SeqCst): through the platform's accessors. */
static uint16_t load_acquire(volatile uint16_t *p)
{
    uint16_t v = hal->ring_load16(p);
    hal->rmb();
    return v;
}
static void store_release(volatile uint16_t *p, uint16_t v)
{
    hal->wmb();
    hal->ring_store16(p, v);
}
static void fence_seqcst(void) { hal->mb(); }
static void spin_loop(void) {} /* core::hint::spin_loop(): a PAUSE, no hook */

/* ---- Transport: MmioTransport ------------------------------------------------------------ */

struct mmio_transport { uint64_t base; uint32_t version; };

static uint32_t reg_read(const struct mmio_transport *t, uint32_t off)
{
    return hal->mmio_read32(t->base + off);
}
static void reg_write(const struct mmio_transport *t, uint32_t off, uint32_t v)
{
    hal->mmio_write32(t->base + off, v);
}

static enum vd_error transport_new(struct mmio_transport *t, uint64_t base)
{
    t->base = base;
    if (reg_read(t, 0x000) != 0x74726976)
        return E_INVALID_PARAM;
    t->version = reg_read(t, 0x004);
    if (t->version != 1 && t->version != 2)
        return E_UNSUPPORTED;
    if (reg_read(t, 0x008) != 16)
        return E_INVALID_PARAM;
    return OK;
}

static void set_status(const struct mmio_transport *t, uint32_t s) { reg_write(t, 0x070, s); }
static uint32_t get_status(const struct mmio_transport *t) { return reg_read(t, 0x070); }

/* begin_init: reset, ACKNOWLEDGE | DRIVER, the features both support; FEATURES_OK. */
static enum vd_error begin_init(const struct mmio_transport *t, uint64_t supported,
                                uint64_t *negotiated)
{
    set_status(t, 0);
#ifndef BUG_RESET_NO_WAIT
    for (uint32_t i = 0; get_status(t) != 0; i++) /* PR #69: wait for the reset to finish */
        if (i == 1000)
            return E_IO;
#endif
    set_status(t, 1 | 2);
    reg_write(t, 0x014, 0);
    uint64_t device = reg_read(t, 0x010);
    if (t->version == 2) {
        reg_write(t, 0x014, 1);
        device |= (uint64_t)reg_read(t, 0x010) << 32;
    }
    *negotiated = device & supported;
    reg_write(t, 0x024, 0);
    reg_write(t, 0x020, (uint32_t)*negotiated);
    if (t->version == 2) {
        reg_write(t, 0x024, 1);
        reg_write(t, 0x020, (uint32_t)(*negotiated >> 32));
        set_status(t, 1 | 2 | 8);
        if (!(get_status(t) & 8))
            return E_UNSUPPORTED;
    }
#ifndef BUG_LEGACY_NO_GPS
    if (t->version == 1)
        reg_write(t, 0x028, PAGE_SIZE); /* legacy_guest_page_size */
#endif
    return OK;
}

static void finish_init(const struct mmio_transport *t)
{
    set_status(t, t->version == 2 ? 1 | 2 | 8 | 4 : 1 | 2 | 4);
}

static void queue_set(const struct mmio_transport *t, uint16_t q, uint32_t size, uint64_t desc,
                      uint64_t driver_area, uint64_t device_area)
{
    reg_write(t, 0x030, q);
    reg_write(t, 0x038, size);
    if (t->version == 1) {
        reg_write(t, 0x03c, PAGE_SIZE);
        reg_write(t, 0x040, (uint32_t)(desc / PAGE_SIZE));
    } else {
        reg_write(t, 0x080, (uint32_t)desc);
        reg_write(t, 0x084, (uint32_t)(desc >> 32));
        reg_write(t, 0x090, (uint32_t)driver_area);
        reg_write(t, 0x094, (uint32_t)(driver_area >> 32));
        reg_write(t, 0x0a0, (uint32_t)device_area);
        reg_write(t, 0x0a4, (uint32_t)(device_area >> 32));
        reg_write(t, 0x044, 1);
    }
}

static int queue_used(const struct mmio_transport *t, uint16_t q)
{
    reg_write(t, 0x030, q);
    return t->version == 1 ? reg_read(t, 0x040) != 0 : reg_read(t, 0x044) != 0;
}

/* ---- VirtQueue<SIZE> ---------------------------------------------------------------------- */

struct virt_queue {
    volatile struct descriptor *desc;
    volatile struct avail_ring *avail;
    volatile struct used_ring *used;
    uint16_t queue_idx, num_used, free_head;
    struct descriptor desc_shadow[SIZE]; /* trusted: the device may write the shared copy */
    uint16_t avail_idx, last_used_idx;
    int event_idx;
};

static void *dma_new(size_t pages, uint64_t *pa)
{
    return hal->dma_alloc(pages * PAGE_SIZE, PAGE_SIZE, VQSIM_DMA_RING, pa);
}

static enum vd_error queue_new(struct virt_queue *vq, const struct mmio_transport *t, uint16_t idx,
                               int event_idx)
{
    if (queue_used(t, idx))
        return E_ALREADY_USED;
    if (reg_read(t, 0x034) < SIZE)
        return E_INVALID_PARAM;
    uint64_t desc_pa, driver_pa, device_pa;
    if (t->version == 1) { /* VirtQueueLayout::Legacy: one region, used at the next page */
        size_t desc_avail = sizeof(struct descriptor) * SIZE + sizeof(struct avail_ring);
#ifdef BUG_USED_ALIGN
        size_t used_off = (desc_avail + 63) & ~(size_t)63;
#else
        size_t used_off = (desc_avail + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
#endif
        uint8_t *p = dma_new(2, &desc_pa);
        if (!p)
            return E_IO;
        vq->desc = (void *)p;
        vq->avail = (void *)(p + sizeof(struct descriptor) * SIZE);
        vq->used = (void *)(p + used_off);
        driver_pa = desc_pa + sizeof(struct descriptor) * SIZE;
        device_pa = desc_pa + used_off;
    } else { /* VirtQueueLayout::Modern: driver-to-device and device-to-driver regions */
        uint8_t *d2d = dma_new(1, &desc_pa), *d2r = dma_new(1, &device_pa);
        if (!d2d || !d2r)
            return E_IO;
        vq->desc = (void *)d2d;
        vq->avail = (void *)(d2d + sizeof(struct descriptor) * SIZE);
        vq->used = (void *)d2r;
        driver_pa = desc_pa + sizeof(struct descriptor) * SIZE;
    }
    queue_set(t, idx, SIZE, desc_pa, driver_pa, device_pa);
    vq->queue_idx = idx;
    vq->num_used = vq->free_head = vq->avail_idx = vq->last_used_idx = 0;
    vq->event_idx = event_idx;
    for (uint16_t i = 0; i < SIZE; i++) { /* link the descriptors together */
        vq->desc_shadow[i] = (struct descriptor){0, 0, 0, (uint16_t)(i + 1u < SIZE ? i + 1 : 0)};
        hal->ring_store16(&vq->desc[i].next, vq->desc_shadow[i].next);
    }
    return OK;
}

/* Copies descriptor i from desc_shadow to the shared table. */
static void write_desc(struct virt_queue *vq, uint16_t i)
{
    const struct descriptor *s = &vq->desc_shadow[i];
    hal->ring_store64(&vq->desc[i].addr, s->addr);
    hal->ring_store32(&vq->desc[i].len, s->len);
    hal->ring_store16(&vq->desc[i].flags, s->flags);
    hal->ring_store16(&vq->desc[i].next, s->next);
}

struct buf { uint64_t pa; uint32_t len; };

static enum vd_error queue_add(struct virt_queue *vq, const struct buf *in, size_t n_in,
                               const struct buf *out, size_t n_out, uint16_t *token)
{
    if (n_in + n_out == 0)
        return E_INVALID_PARAM;
    if (vq->num_used + n_in + n_out > SIZE)
        return E_QUEUE_FULL;
    uint16_t head = vq->free_head, last = head;
    for (size_t k = 0; k < n_in + n_out; k++) {
        const struct buf *b = k < n_in ? &in[k] : &out[k - n_in];
        struct descriptor *d = &vq->desc_shadow[vq->free_head];
        d->addr = b->pa;
        d->len = b->len;
        d->flags = (uint16_t)(F_NEXT | (k < n_in ? 0 : F_WRITE));
        last = vq->free_head;
        vq->free_head = d->next;
        write_desc(vq, last);
    }
    vq->desc_shadow[last].flags &= (uint16_t)~F_NEXT;
    write_desc(vq, last);
    vq->num_used += (uint16_t)(n_in + n_out);
    hal->ring_store16(&vq->avail->ring[vq->avail_idx & (SIZE - 1)], head);
    /* Write barrier so that device sees changes to descriptor table and available ring before
     * change to available index. */
    fence_seqcst();
    vq->avail_idx++;
    store_release(&vq->avail->idx, vq->avail_idx);
    *token = head;
    return OK;
}

static int should_notify(struct virt_queue *vq)
{
#ifndef BUG_NO_KICK_MB
    fence_seqcst(); /* the avail.idx store before the load of the device's suppression state */
#endif
    if (vq->event_idx) {
        uint16_t avail_event = load_acquire(&vq->used->avail_event);
#ifdef BUG_EVENT_WRAP
        return vq->avail_idx > avail_event;
#else
        uint16_t new_idx = vq->avail_idx, old = (uint16_t)(new_idx - 1);
        return (uint16_t)(new_idx - avail_event - 1) < (uint16_t)(new_idx - old);
#endif
    }
    return (load_acquire(&vq->used->flags) & 1) == 0;
}

static int can_pop(struct virt_queue *vq)
{
    return vq->last_used_idx != load_acquire(&vq->used->idx);
}

static void recycle_descriptors(struct virt_queue *vq, uint16_t head)
{
    uint16_t original_free_head = vq->free_head;
    vq->free_head = head;
    for (uint16_t i = head;;) {
        struct descriptor *d = &vq->desc_shadow[i];
        vq->num_used--;
        if (!(d->flags & F_NEXT)) {
            d->next = original_free_head;
            d->flags = 0;
            break;
        }
        d->flags = 0;
        i = d->next;
    }
}

static enum vd_error pop_used(struct virt_queue *vq, uint16_t token, uint32_t *len)
{
    if (!can_pop(vq))
        return E_NOT_READY;
    uint16_t slot = vq->last_used_idx & (SIZE - 1);
    uint32_t id = hal->ring_load32(&vq->used->ring[slot].id);
    *len = hal->ring_load32(&vq->used->ring[slot].len);
    if ((uint16_t)id != token)
        return E_WRONG_TOKEN;
    recycle_descriptors(vq, token);
    vq->last_used_idx++;
#ifndef BUG_NO_USED_EVENT
    if (vq->event_idx) /* PR #121: tell the device when to interrupt next */
        hal->ring_store16(&vq->avail->used_event, vq->last_used_idx);
#endif
    return OK;
}

static enum vd_error add_notify_wait_pop(struct virt_queue *vq, const struct mmio_transport *t,
                                         const struct buf *in, size_t n_in, const struct buf *out,
                                         size_t n_out, uint32_t *len)
{
    uint16_t token;
    enum vd_error e = queue_add(vq, in, n_in, out, n_out, &token);
    if (e)
        return e;
#ifdef BUG_SKIP_KICK
    static unsigned added;
    if (++added != 4)
#endif
    if (should_notify(vq))
        reg_write(t, 0x050, vq->queue_idx);
    for (uint32_t spins = 0; !can_pop(vq); spins++) {
        if (spins == SPINS)
            return E_NOT_READY;
        spin_loop();
    }
    return pop_used(vq, token, len);
}

/* ---- VirtIOGpu ----------------------------------------------------------------------------- */

struct virtio_gpu {
    struct mmio_transport transport;
    struct virt_queue control_queue;
    uint8_t *queue_buf_send, *queue_buf_recv;
    uint64_t send_pa, recv_pa;
    uint32_t width, height;
    uint8_t *frame_buffer;
    uint64_t fb_pa;
};

static enum vd_error gpu_new(struct virtio_gpu *g, uint64_t base)
{
    enum vd_error e = transport_new(&g->transport, base);
    if (e)
        return e;
    uint64_t negotiated;
    uint64_t supported = 1ull << RING_EVENT_IDX_BIT |
                         (g->transport.version == 1 ? 1ull << ANY_LAYOUT_BIT
                                                    : 1ull << VERSION_1_BIT);
    if ((e = begin_init(&g->transport, supported, &negotiated)))
        return e;
    if ((e = queue_new(&g->control_queue, &g->transport, 0,
                       (negotiated >> RING_EVENT_IDX_BIT) & 1)))
        return e;
    g->queue_buf_send = hal->dma_alloc(PAGE_SIZE, PAGE_SIZE, VQSIM_DMA_BUFFER, &g->send_pa);
    g->queue_buf_recv = hal->dma_alloc(PAGE_SIZE, PAGE_SIZE, VQSIM_DMA_BUFFER, &g->recv_pa);
    if (!g->queue_buf_send || !g->queue_buf_recv)
        return E_IO;
    finish_init(&g->transport);
    return OK;
}

/* request(): header + body in one buffer (or two), the response after. */
static enum vd_error request(struct virtio_gpu *g, uint32_t type, const uint32_t *body,
                             uint32_t body_len, uint32_t resp_len)
{
    for (uint32_t i = 0; i < 64; i++)
        ((uint32_t *)g->queue_buf_send)[i] = ((uint32_t *)g->queue_buf_recv)[i] = 0;
    ((uint32_t *)g->queue_buf_send)[0] = type;
    for (uint32_t i = 0; i < body_len / 4; i++)
        ((uint32_t *)(g->queue_buf_send + 24))[i] = body[i];
#ifdef BUG_ZERO_LEN
    struct buf in[2] = {{g->send_pa, 24}, {g->send_pa + 24, body_len}};
    size_t n_in = 2;
#else
    struct buf in[1] = {{g->send_pa, 24 + body_len}};
    size_t n_in = 1;
#endif
    struct buf out[1] = {{g->recv_pa, resp_len}};
    uint32_t len;
    enum vd_error e = add_notify_wait_pop(&g->control_queue, &g->transport, in, n_in, out, 1, &len);
    if (e)
        return e;
    return ((uint32_t *)g->queue_buf_recv)[0] >= 0x1200 ? E_IO : OK;
}

static enum vd_error setup_framebuffer(struct virtio_gpu *g)
{
    enum vd_error e = request(g, 0x0100, NULL, 0, 24 + 16 * 24); /* get_display_info */
    if (e)
        return e;
    g->width = ((uint32_t *)(g->queue_buf_recv + 24))[2];
    g->height = ((uint32_t *)(g->queue_buf_recv + 24))[3];
    if (!g->width || !g->height || g->width > 4096 || g->height > 4096)
        return E_IO;
    uint32_t create[4] = {0xbabe, 67 /* R8G8B8A8 */, g->width, g->height};
    if ((e = request(g, 0x0101, create, 16, 24)))
        return e;
    size_t size = (size_t)g->width * g->height * 4;
    if (!g->frame_buffer)
        g->frame_buffer = hal->dma_alloc(size, PAGE_SIZE, VQSIM_DMA_FRAMEBUFFER, &g->fb_pa);
    if (!g->frame_buffer)
        return E_IO;
    uint32_t attach[6] = {0xbabe, 1, (uint32_t)g->fb_pa, (uint32_t)(g->fb_pa >> 32),
                          (uint32_t)size, 0};
    if ((e = request(g, 0x0106, attach, 24, 24)))
        return e;
    uint32_t scanout[6] = {0, 0, g->width, g->height, 0, 0xbabe};
    return request(g, 0x0103, scanout, 24, 24);
}

static enum vd_error flush(struct virtio_gpu *g)
{
    uint32_t transfer[8] = {0, 0, g->width, g->height, 0, 0, 0xbabe, 0};
    enum vd_error e = request(g, 0x0105, transfer, 32, 24);
    if (e)
        return e;
    uint32_t fl[6] = {0, 0, g->width, g->height, 0xbabe, 0};
    return request(g, 0x0104, fl, 24, 24);
}

static int vd_main(const struct vqsim_platform *p, void *arg)
{
    (void)arg;
    hal = p;
    static struct virtio_gpu gpu;
    enum vd_error e = gpu_new(&gpu, p->mmio_base);
    if (!e)
        e = setup_framebuffer(&gpu);
#ifdef BUG_DUP_RESOURCE
    if (!e)
        e = setup_framebuffer(&gpu); /* a redraw that sets the framebuffer up again (#122) */
#endif
    for (uint32_t i = 0; !e && i < gpu.width * gpu.height; i++) /* red, fading to the right */
        ((uint32_t *)gpu.frame_buffer)[i] = 0xff000000u | (255 - (i % gpu.width) * 255 / gpu.width);
    for (uint32_t i = 0; !e && i < FLUSHES; i++)
        e = flush(&gpu);
    switch (e) {
    case OK: return VQSIM_DRIVER_OK;
    case E_NOT_READY: return VQSIM_DRIVER_TIMEOUT;
    case E_IO: return VQSIM_DRIVER_DEVICE_ERROR;
    default: return VQSIM_DRIVER_ERROR;
    }
}

VQSIM_DRIVER_DEFINE(vd_main)
VQSIM_EXTERN_C VQSIM_EXPORT const unsigned vqsim_driver_flags;
const unsigned vqsim_driver_flags = VQSIM_RUN_RING_ACCESSORS;
