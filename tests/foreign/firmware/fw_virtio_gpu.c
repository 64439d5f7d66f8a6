/* fw_virtio_gpu.c — a virtio-gpu splash-screen driver as boot firmware writes it (foreign-driver
 * corpus, tests/foreign/README.md), in the shape of U-Boot's virtio_ring.c / virtio_mmio.c:
 * plain memory (vqsim learns the ring by snapshots: plain ring-access mode), the free list kept
 * in the descriptor table's next fields, num_free / free_head / avail_idx_shadow / num_added,
 * kick_prepare with vring_need_event, and a bounded wait that polls the used ring with udelay()
 * (the platform's delay_ns). It reports where its rings are (queue_placed).
 *
 * It draws the splash, then hands the device over the way firmware does before it boots an OS:
 * it resets the device, clears its ring memory, and probes it again for the boot console
 * (the same ring pages, zeroed while the queue is not live), and draws once more.
 *
 * Bugs, one per build (-D):
 *   BUG_ZERO_LEN       GET_DISPLAY_INFO's (empty) body goes out as a descriptor of length 0
 *   BUG_NO_USED_EVENT  EVENT_IDX accepted, used_event never written (it polls: no harm)
 *   BUG_NO_KICK_MB     no virtio_mb() in kick_prepare (plain mode cannot see the load after it)
 *   BUG_RESET_NO_WAIT  the hand-over's reset is not read back before the second probe
 *   BUG_REINIT_NO_RESET the hand-over forgets the reset: the second probe re-initialises a live
 *                      device, zeroing ring pages the device is still using
 *   BUG_KEEP_VQ        the hand-over resets the device, and the second probe keeps the
 *                      virtqueue it already has (U-Boot-style "vq already set up") instead of
 *                      setting the queue up again: the reset forgot it, the requests go nowhere
 *   BUG_LEGACY_NO_GPS  legacy: GuestPageSize never written
 *   BUG_USED_ALIGN     legacy: vring_init() with 64-byte alignment, QueueAlign 4096
 *   BUG_SKIP_KICK      the fourth command is added and polled for, virtqueue_kick() forgotten
 *   BUG_LOOP           GET_DISPLAY_INFO's response in two descriptors, the second linked back
 *                      to the first (NEXT left set)
 */
#include <stddef.h>
#include <stdint.h>

#include <vqsim/vqsim.h>

#define QNUM 16
#define VRING_ALIGN 4096u
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define F_EVENT_IDX 29
#define F_ANY_LAYOUT 27

struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vring_avail { uint16_t flags, idx, ring[]; };
struct vring_used_elem { uint32_t id, len; };
struct vring_used { uint16_t flags, idx; struct vring_used_elem ring[]; };
struct vring {
    unsigned num;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
};

struct virtqueue {
    struct vring vring;
    uint64_t ring_pa;
    unsigned num_free, free_head, num_added;
    uint16_t avail_idx_shadow, last_used_idx;
    int event;
};

static const struct vqsim_platform *plat;
static uint64_t mmio;
static struct virtqueue vq;
static void *ring_mem; /* kept across the hand-over, as firmware keeps its pools */
static uint64_t ring_mem_pa;
static uint8_t *bufs;  /* request at +0, body at +256, response at +512 */
static uint64_t bufs_pa;
static uint32_t version;

#define virtio_mb() plat->mb()
#define virtio_wmb() plat->wmb()
#define virtio_rmb() plat->rmb()
static uint32_t readl(uint32_t off) { return plat->mmio_read32(mmio + off); }
static void writel(uint32_t v, uint32_t off) { plat->mmio_write32(mmio + off, v); }
static void udelay(unsigned us) { plat->delay_ns(1000ull * us); }

static unsigned long vring_size(unsigned num, unsigned long align)
{
    return ((sizeof(struct vring_desc) * num + sizeof(uint16_t) * (3 + num) + align - 1) &
            ~(align - 1)) + sizeof(uint16_t) * 3 + sizeof(struct vring_used_elem) * num;
}

static void vring_init(struct vring *vr, unsigned num, void *p, unsigned long align)
{
    vr->num = num;
    vr->desc = p;
    vr->avail = (void *)((char *)p + num * sizeof(struct vring_desc));
    vr->used = (void *)(((uintptr_t)&vr->avail->ring[num] + sizeof(uint16_t) + align - 1) &
                        ~(align - 1));
}

static inline int vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

static uint64_t phys(const void *p) { return plat->virt_to_phys(p); }

/* ---- virtio_ring ---------------------------------------------------------------------- */

static void vq_setup(unsigned long align)
{
    for (unsigned i = 0; i < vring_size(QNUM, VRING_ALIGN) + VRING_ALIGN; i++)
        ((volatile uint8_t *)ring_mem)[i] = 0; /* clear the pages (the queue is not live) */
    vring_init(&vq.vring, QNUM, ring_mem, align);
    vq.ring_pa = ring_mem_pa;
    vq.num_free = QNUM;
    vq.free_head = 0;
    vq.num_added = 0;
    vq.avail_idx_shadow = vq.last_used_idx = 0;
    for (unsigned i = 0; i < QNUM - 1; i++)
        vq.vring.desc[i].next = (uint16_t)(i + 1);
}

struct sg { uint64_t addr; uint32_t len; };

static int virtqueue_add(const struct sg *out, unsigned n_out, const struct sg *in, unsigned n_in)
{
    unsigned head = vq.free_head, i = head, prev = head;
    if (vq.num_free < n_out + n_in)
        return -1;
    for (unsigned n = 0; n < n_out + n_in; n++) {
        const struct sg *s = n < n_out ? &out[n] : &in[n - n_out];
        vq.vring.desc[i].flags = VRING_DESC_F_NEXT | (n >= n_out ? VRING_DESC_F_WRITE : 0);
        vq.vring.desc[i].addr = s->addr;
        vq.vring.desc[i].len = s->len;
        prev = i;
        i = vq.vring.desc[i].next;
    }
#ifdef BUG_LOOP
    if (n_in == 2) /* relinks the tail to the first in-buffer, and keeps NEXT */
        vq.vring.desc[prev].next = (uint16_t)((head + n_out) % QNUM);
    else
#endif
    vq.vring.desc[prev].flags &= (uint16_t)~VRING_DESC_F_NEXT;
    vq.num_free -= n_out + n_in;
    vq.free_head = i;
    vq.vring.avail->ring[vq.avail_idx_shadow & (QNUM - 1)] = (uint16_t)head;
    virtio_wmb();
    vq.avail_idx_shadow++;
    vq.vring.avail->idx = vq.avail_idx_shadow;
    vq.num_added++;
    return (int)head;
}

static void virtqueue_kick(void)
{
#ifndef BUG_NO_KICK_MB
    virtio_mb(); /* the avail.idx store before the used ring's suppression fields are read */
#endif
    uint16_t new_idx = vq.avail_idx_shadow, old = (uint16_t)(new_idx - vq.num_added);
    vq.num_added = 0;
    int needs_kick;
    if (vq.event)
        needs_kick = vring_need_event(
            *(volatile uint16_t *)&vq.vring.used->ring[QNUM], new_idx, old); /* avail_event */
    else
        needs_kick = !(*(volatile uint16_t *)&vq.vring.used->flags & 1);
    if (needs_kick)
        writel(0, 0x050); /* QueueNotify */
}

static void detach_buf(unsigned head)
{
    unsigned i = head;
    vq.num_free++;
    while (vq.vring.desc[i].flags & VRING_DESC_F_NEXT) {
        i = vq.vring.desc[i].next;
        vq.num_free++;
    }
    vq.vring.desc[i].next = (uint16_t)vq.free_head;
    vq.free_head = head;
}

static int virtqueue_get_buf(unsigned *len)
{
    if (vq.last_used_idx == *(volatile uint16_t *)&vq.vring.used->idx)
        return -1;
    virtio_rmb();
    struct vring_used_elem *e = &vq.vring.used->ring[vq.last_used_idx & (QNUM - 1)];
    unsigned head = e->id;
    *len = e->len;
    if (head >= QNUM)
        return -2;
    detach_buf(head);
    vq.last_used_idx++;
#ifndef BUG_NO_USED_EVENT
    if (vq.event) { /* virtio_store_mb(vring_used_event): interrupt when the next one is used */
        *(volatile uint16_t *)&vq.vring.avail->ring[QNUM] = vq.last_used_idx;
        virtio_mb();
    }
#endif
    return (int)head;
}

/* ---- virtio_mmio ---------------------------------------------------------------------- */

static int mmio_reset(void)
{
    writel(0, 0x070);
#ifndef BUG_RESET_NO_WAIT
    for (int i = 0; readl(0x070); i++) { /* the reset is done when Status reads 0 */
        if (i == 1000)
            return -1;
        udelay(1);
    }
#endif
    return 0;
}

static int probe(unsigned long layout_align, int reset, int find_vqs)
{
    if (readl(0x000) != 0x74726976)
        return -1;
    version = readl(0x004);
    if ((version != 1 && version != 2) || readl(0x008) != 16)
        return -1;
    if (reset && mmio_reset())
        return -1;
    writel(1, 0x070);
    writel(1 | 2, 0x070);
    writel(0, 0x014);
    uint32_t f0 = readl(0x010), f1 = 0;
    if (version == 2) {
        writel(1, 0x014);
        f1 = readl(0x010);
    }
    uint32_t want = f0 & (1u << F_EVENT_IDX | (version == 1 ? 1u << F_ANY_LAYOUT : 0));
    writel(0, 0x024);
    writel(want, 0x020);
    vq.event = (want >> F_EVENT_IDX) & 1;
    if (version == 2) {
        if (!(f1 & 1))
            return -1;
        writel(1, 0x024);
        writel(1, 0x020);
        writel(1 | 2 | 8, 0x070);
        if (!(readl(0x070) & 8))
            return -1;
    }
#ifndef BUG_LEGACY_NO_GPS
    if (version == 1)
        writel(VRING_ALIGN, 0x028); /* GuestPageSize */
#endif
    if (!find_vqs) { /* the queue "is still there" */
        writel(version == 2 ? 1 | 2 | 8 | 4 : 1 | 2 | 4, 0x070);
        return 0;
    }
    writel(0, 0x030);
    if (readl(0x034) < QNUM)
        return -1;
    vq_setup(layout_align);
    writel(QNUM, 0x038);
    struct vring *vr = &vq.vring;
    if (version == 1) {
        writel(VRING_ALIGN, 0x03c);
        writel((uint32_t)(vq.ring_pa / VRING_ALIGN), 0x040);
    } else {
        writel((uint32_t)phys(vr->desc), 0x080);
        writel((uint32_t)(phys(vr->desc) >> 32), 0x084);
        writel((uint32_t)phys(vr->avail), 0x090);
        writel((uint32_t)(phys(vr->avail) >> 32), 0x094);
        writel((uint32_t)phys(vr->used), 0x0a0);
        writel((uint32_t)(phys(vr->used) >> 32), 0x0a4);
        writel(1, 0x044);
    }
    if (plat->size >= offsetof(struct vqsim_platform, queue_placed) + sizeof(plat->queue_placed) &&
        plat->queue_placed)
        plat->queue_placed(0, phys(vr->desc), phys(vr->avail), phys(vr->used), QNUM);
    writel(version == 2 ? 1 | 2 | 8 | 4 : 1 | 2 | 4, 0x070);
    return 0;
}

/* ---- the gpu ------------------------------------------------------------------------- */

static int gpu_cmd(uint32_t type, const uint32_t *body, unsigned body_len, unsigned resp_len)
{
    uint32_t *hdr = (uint32_t *)bufs;
    for (unsigned i = 0; i < 1024 / 4; i++)
        ((volatile uint32_t *)bufs)[i] = 0;
    hdr[0] = type;
    for (unsigned i = 0; i < body_len / 4; i++)
        ((uint32_t *)(bufs + 256))[i] = body[i];
    struct sg out[2] = {{bufs_pa, 24}, {bufs_pa + 256, body_len}};
    struct sg in[2] = {{bufs_pa + 512, resp_len}, {0, 0}};
    unsigned n_out = 1, n_in = 1;
#ifdef BUG_ZERO_LEN
    n_out = 2; /* header and body, whatever the body's length */
#else
    n_out = body_len ? 2 : 1;
#endif
#ifdef BUG_LOOP
    if (resp_len > 24) { /* the display modes in a buffer of their own */
        in[0].len = 24;
        in[1] = (struct sg){bufs_pa + 512 + 24, resp_len - 24};
        n_in = 2;
    }
#endif
    if (virtqueue_add(out, n_out, in, n_in) < 0)
        return VQSIM_DRIVER_ERROR;
#ifdef BUG_SKIP_KICK
    static unsigned cmds;
    if (++cmds != 4)
#endif
    virtqueue_kick();
    unsigned len;
    for (int tries = 0; virtqueue_get_buf(&len) == -1; tries++) {
        if (tries == 100000) /* 1 s */
            return VQSIM_DRIVER_TIMEOUT;
        udelay(10);
    }
    return ((uint32_t *)(bufs + 512))[0] >= 0x1200 ? VQSIM_DRIVER_DEVICE_ERROR : VQSIM_DRIVER_OK;
}

static int splash(uint32_t resource, uint32_t color)
{
    int rc = gpu_cmd(0x0100, NULL, 0, 24 + 16 * 24);
    if (rc)
        return rc;
    uint32_t w = ((uint32_t *)(bufs + 512 + 24))[2], h = ((uint32_t *)(bufs + 512 + 24))[3];
    if (!w || !h || w > 4096 || h > 4096)
        return VQSIM_DRIVER_ERROR;
    uint64_t fb_pa;
    uint32_t *fb = plat->dma_alloc((size_t)w * h * 4, 4096, VQSIM_DMA_FRAMEBUFFER, &fb_pa);
    if (!fb)
        return VQSIM_DRIVER_ERROR;
    for (uint32_t i = 0; i < w * h; i++)
        fb[i] = color;
    uint32_t b[8] = {resource, 1 /* B8G8R8A8 */, w, h};
    if ((rc = gpu_cmd(0x0101, b, 16, 24)))
        return rc;
    uint32_t att[6] = {resource, 1, (uint32_t)fb_pa, (uint32_t)(fb_pa >> 32), w * h * 4, 0};
    if ((rc = gpu_cmd(0x0106, att, 24, 24)))
        return rc;
    uint32_t so[6] = {0, 0, w, h, 0, resource};
    if ((rc = gpu_cmd(0x0103, so, 24, 24)))
        return rc;
    uint32_t tr[8] = {0, 0, w, h, 0, 0, resource, 0};
    if ((rc = gpu_cmd(0x0105, tr, 32, 24)))
        return rc;
    uint32_t fl[6] = {0, 0, w, h, resource, 0};
    return gpu_cmd(0x0104, fl, 24, 24);
}

static int fw_main(const struct vqsim_platform *p, void *arg)
{
    (void)arg;
    plat = p;
    mmio = p->mmio_base;
    ring_mem = p->dma_alloc(vring_size(QNUM, VRING_ALIGN) + VRING_ALIGN, VRING_ALIGN,
                            VQSIM_DMA_RING, &ring_mem_pa);
    bufs = p->dma_alloc(1024, 64, VQSIM_DMA_BUFFER, &bufs_pa);
    if (!ring_mem || !bufs)
        return VQSIM_DRIVER_ERROR;
#ifdef BUG_USED_ALIGN
    unsigned long align = 64;
#else
    unsigned long align = VRING_ALIGN;
#endif
    if (probe(align, 1, 1))
        return VQSIM_DRIVER_ERROR;
    int rc = splash(1, 0xff204080);
    if (rc)
        return rc;
    /* Hand-over: the device goes back to reset (virtio_reset before booting the OS), and the
     * OS console probes it again. */
#ifdef BUG_REINIT_NO_RESET
    int reset = 0; /* "the probe resets it anyway" — this one does not */
#else
    int reset = 1;
#endif
#ifdef BUG_KEEP_VQ
    int find_vqs = 0;
#else
    int find_vqs = 1;
#endif
    if (probe(align, reset, find_vqs))
        return VQSIM_DRIVER_ERROR;
    return splash(2, 0xff408020);
}

VQSIM_DRIVER_DEFINE(fw_main)
