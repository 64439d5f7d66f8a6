/* hobby_gpu.c — a minimal polling virtio-gpu driver in the style of a hobby kernel, written
 * against vqsim's library API (include/vqsim/vqsim.h) only: volatile raw pointers into its own
 * split-ring layout, no interrupts, one request in flight at a time. It brings the device up
 * (virtio-mmio version 2, VirtIO 1.1 §3.1.1, §4.2.3), asks for the display size, and shows a
 * small picture: create a 2D resource, attach its backing, set it as scanout 0, transfer,
 * flush (§5.7.6).
 *
 * Compiled with -DHOBBY_BUG_NO_WMB it has a classic bug: no write barrier between filling the
 * ring entry and publishing avail.idx (§2.6.13.3). On a strongly ordered CPU it works by
 * luck; vqsim names the rule (split.avail.idx-barrier), and in weak-memory mode shows the hang
 * it causes on a weakly ordered one.
 *
 * -DHOBBY_POLL_RMB_ONLY makes the poll loop as bare as it gets: rmb() and nothing else, no
 * deadline (the library's barriers take a little virtual time, so the answer still comes).
 */
#include <stddef.h>
#include <stdint.h>

#include <vqsim/vqsim.h>

#include "hobby_gpu.h"

/* virtio-mmio registers (§4.2.2) */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_QUEUE_DESC_LO 0x080
#define R_QUEUE_DESC_HI 0x084
#define R_QUEUE_AVAIL_LO 0x090
#define R_QUEUE_AVAIL_HI 0x094
#define R_QUEUE_USED_LO 0x0a0
#define R_QUEUE_USED_HI 0x0a4

#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

#define QSIZE 8u

/* this driver's own view of the split ring (§2.6.5, §2.6.6, §2.6.8) */
struct hdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct havail { uint16_t flags, idx, ring[QSIZE]; };
struct hused_elem { uint32_t id, len; };
struct hused { uint16_t flags, idx; struct hused_elem ring[QSIZE]; };

/* virtio-gpu (§5.7.6) */
struct hdr { uint32_t type, flags; uint64_t fence; uint32_t ctx, pad; };
struct rect { uint32_t x, y, w, h; };

static const struct vqsim_platform *P;
static uint64_t mmio;
static volatile struct hdesc *desc;
static volatile struct havail *avail;
static volatile struct hused *used;
static uint16_t next_avail, last_used;
static uint8_t *req, *resp;
static uint64_t req_pa, resp_pa;

static uint32_t rd(uint32_t off) { return P->mmio_read32(mmio + off); }
static void wr(uint32_t off, uint32_t v) { P->mmio_write32(mmio + off, v); }

static void zero(void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)p)[i] = 0;
}

static void copy(void *d, const void *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)d)[i] = ((const uint8_t *)s)[i];
}

/* Send req (len bytes) with a response buffer of rlen bytes; poll for the answer. */
static int submit(size_t len, size_t rlen, uint32_t want)
{
    uint16_t slot = next_avail % QSIZE;
    zero(resp, rlen);
    desc[0].addr = req_pa;
    desc[0].len = (uint32_t)len;
    desc[0].flags = 1; /* NEXT */
    desc[0].next = 1;
    desc[1].addr = resp_pa;
    desc[1].len = (uint32_t)rlen;
    desc[1].flags = 2; /* WRITE */
    desc[1].next = 0;
    avail->ring[slot] = 0;
#ifndef HOBBY_BUG_NO_WMB
    P->wmb(); /* the entry must be visible before the index that publishes it (§2.6.13.3) */
#endif
    avail->idx = ++next_avail;
    P->mb(); /* idx before the notification check (§2.6.13.4) */
    if (!(used->flags & 1)) /* VIRTQ_USED_F_NO_NOTIFY */
        wr(R_QUEUE_NOTIFY, 0);
#ifdef HOBBY_POLL_RMB_ONLY
    /* the barest poll: no clock, no deadline, only the barrier as the hook each iteration */
    while (used->idx == last_used)
        P->rmb();
#else
    uint64_t deadline = P->now_ns() + 1000000000ull; /* 1 s */
    while (used->idx == last_used)
        if (P->now_ns() > deadline) /* a hook on every iteration: the device gets its turn */
            return VQSIM_DRIVER_TIMEOUT;
#endif
    P->rmb(); /* used.idx before the element it covers (§2.6.8) */
    last_used++;
    return ((struct hdr *)resp)->type == want ? VQSIM_DRIVER_OK : VQSIM_DRIVER_DEVICE_ERROR;
}

static void cmd(uint32_t type, size_t size)
{
    zero(req, size);
    ((struct hdr *)req)->type = type;
}

int hobby_gpu_main(const struct vqsim_platform *p, void *arg)
{
    struct hobby_result *out = arg;
    P = p;
    mmio = p->mmio_base;
    next_avail = last_used = 0;
    /* §3.1.1 */
    if (rd(R_MAGIC) != 0x74726976u || rd(R_VERSION) != 2 || rd(R_DEVICE_ID) != 16)
        return VQSIM_DRIVER_ERROR;
    wr(R_STATUS, 0);
    for (int i = 0; rd(R_STATUS) != 0; i++) /* the reset is done when Status reads 0 */
        if (i == 1000)
            return VQSIM_DRIVER_ERROR;
    wr(R_STATUS, S_ACK);
    wr(R_STATUS, S_ACK | S_DRIVER);
    wr(R_DEV_FEATURES_SEL, 1);
    if (!(rd(R_DEV_FEATURES) & 1)) /* VIRTIO_F_VERSION_1 (bit 32) */
        return VQSIM_DRIVER_ERROR;
    wr(R_DRV_FEATURES_SEL, 0);
    wr(R_DRV_FEATURES, 0);
    wr(R_DRV_FEATURES_SEL, 1);
    wr(R_DRV_FEATURES, 1);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(rd(R_STATUS) & S_FEATURES_OK))
        return VQSIM_DRIVER_ERROR;

    /* one page: descriptors, then the available ring, then the used ring (4-aligned) */
    uint64_t ring_pa;
    uint8_t *ring = p->dma_alloc(4096, 4096, VQSIM_DMA_RING, &ring_pa);
    size_t avail_off = sizeof(struct hdesc) * QSIZE;
    size_t used_off = (avail_off + sizeof(struct havail) + 2 + 3) & ~(size_t)3;
    req = p->dma_alloc(512, 64, VQSIM_DMA_BUFFER, &req_pa);
    resp = p->dma_alloc(512, 64, VQSIM_DMA_BUFFER, &resp_pa);
    if (!ring || !req || !resp)
        return VQSIM_DRIVER_ERROR;
    desc = (volatile struct hdesc *)ring;
    avail = (volatile struct havail *)(ring + avail_off);
    used = (volatile struct hused *)(ring + used_off);
    wr(R_QUEUE_SEL, 0);
    if (rd(R_QUEUE_READY) != 0 || rd(R_QUEUE_NUM_MAX) < QSIZE)
        return VQSIM_DRIVER_ERROR;
    wr(R_QUEUE_NUM, QSIZE);
    wr(R_QUEUE_DESC_LO, (uint32_t)ring_pa);
    wr(R_QUEUE_DESC_HI, (uint32_t)(ring_pa >> 32));
    wr(R_QUEUE_AVAIL_LO, (uint32_t)(ring_pa + avail_off));
    wr(R_QUEUE_AVAIL_HI, (uint32_t)((ring_pa + avail_off) >> 32));
    wr(R_QUEUE_USED_LO, (uint32_t)(ring_pa + used_off));
    wr(R_QUEUE_USED_HI, (uint32_t)((ring_pa + used_off) >> 32));
    wr(R_QUEUE_READY, 1);
    if (p->size >= offsetof(struct vqsim_platform, queue_placed) + sizeof(p->queue_placed) &&
        p->queue_placed)
        p->queue_placed(0, ring_pa, ring_pa + avail_off, ring_pa + used_off, QSIZE);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);

    int rc;
    /* GET_DISPLAY_INFO: the size of scanout 0 */
    cmd(0x0100, sizeof(struct hdr));
    if ((rc = submit(sizeof(struct hdr), 24 + 16 * 24, 0x1101)) != VQSIM_DRIVER_OK)
        return rc;
    struct rect r0;
    copy(&r0, resp + 24, sizeof(r0));
    uint32_t w = r0.w, h = r0.h;
    if (!w || !h || w > 4096 || h > 4096)
        return VQSIM_DRIVER_ERROR;

    /* the picture: B = x, G = y, R = x ^ y (low bytes), in B8G8R8X8 */
    uint64_t fb_pa;
    size_t fb_len = (size_t)w * h * 4;
    uint8_t *fb = p->dma_alloc(fb_len, 4096, VQSIM_DMA_FRAMEBUFFER, &fb_pa);
    if (!fb)
        return VQSIM_DRIVER_ERROR;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *px = fb + ((size_t)y * w + x) * 4;
            px[0] = (uint8_t)x;
            px[1] = (uint8_t)y;
            px[2] = (uint8_t)(x ^ y);
            px[3] = 0xff;
        }

    uint32_t *a;
    cmd(0x0101, 40); /* RESOURCE_CREATE_2D id 1, B8G8R8X8_UNORM */
    a = (uint32_t *)(req + 24);
    a[0] = 1; a[1] = 2; a[2] = w; a[3] = h;
    if ((rc = submit(40, 24, 0x1100)) != VQSIM_DRIVER_OK)
        return rc;
    cmd(0x0106, 48); /* RESOURCE_ATTACH_BACKING: one entry */
    a = (uint32_t *)(req + 24);
    a[0] = 1; a[1] = 1;
    a[2] = (uint32_t)fb_pa; a[3] = (uint32_t)(fb_pa >> 32); a[4] = (uint32_t)fb_len; a[5] = 0;
    if ((rc = submit(48, 24, 0x1100)) != VQSIM_DRIVER_OK)
        return rc;
    cmd(0x0103, 48); /* SET_SCANOUT 0 → resource 1 */
    a = (uint32_t *)(req + 24);
    a[0] = 0; a[1] = 0; a[2] = w; a[3] = h; a[4] = 0; a[5] = 1;
    if ((rc = submit(48, 24, 0x1100)) != VQSIM_DRIVER_OK)
        return rc;
    cmd(0x0105, 56); /* TRANSFER_TO_HOST_2D, the whole resource */
    a = (uint32_t *)(req + 24);
    a[0] = 0; a[1] = 0; a[2] = w; a[3] = h; a[4] = 0; a[5] = 0; a[6] = 1;
    if ((rc = submit(56, 24, 0x1100)) != VQSIM_DRIVER_OK)
        return rc;
    cmd(0x0104, 48); /* RESOURCE_FLUSH */
    a = (uint32_t *)(req + 24);
    a[0] = 0; a[1] = 0; a[2] = w; a[3] = h; a[4] = 1;
    if ((rc = submit(48, 24, 0x1100)) != VQSIM_DRIVER_OK)
        return rc;
    if (out) {
        out->width = w;
        out->height = h;
    }
    return VQSIM_DRIVER_OK;
}
