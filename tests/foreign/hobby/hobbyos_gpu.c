/* hobbyos_gpu.c — a virtio-gpu driver as a hobby OS writes its first one (foreign-driver corpus,
 * tests/foreign/README.md): everything the device shares lives in one page-aligned struct (the
 * split ring, the command buffer, the response buffer), fields are written through volatile
 * pointers (vqsim sees them in plain ring-access mode), one command in flight, and a bounded
 * poll of used.idx with rmb() and the clock. Legacy virtio-mmio first (QEMU's `virt` default),
 * modern as well.
 *
 * Bugs, one per build (-D):
 *   BUG_ZERO_LEN      every command goes out as header + body; a command without a body
 *                     (GET_DISPLAY_INFO) gets a body descriptor of length 0
 *   BUG_NO_KICK_MB    no full barrier between the avail.idx store and the used.flags check
 *   BUG_RESET_NO_WAIT the reset is not read back before the initialisation starts
 *   BUG_LEGACY_NO_GPS legacy: QueuePFN written without GuestPageSize
 *   BUG_USED_ALIGN    legacy: the used ring laid out right after the available ring (4-byte
 *                     alignment), while QueueAlign says 4096; the command buffer follows on the
 *                     next page
 *   BUG_SKIP_KICK     a "batching" shortcut: one command (the fourth, or -DSKIP_KICK_AT=N) is
 *                     published but never kicked
 *   BUG_DUP_RESOURCE  the mode is set twice, creating resource 1 again
 *   BUG_NO_USED_EVENT every offered feature accepted (EVENT_IDX too), used_event never written
 */
#include <stddef.h>
#include <stdint.h>

#include <vqsim/vqsim.h>

#define QSZ 16
#define PAGE 4096u
#ifndef FLUSHES
#define FLUSHES 1 /* -DFLUSHES=N: present the frame N times (2 commands each) */
#endif
#ifndef SKIP_KICK_AT
#define SKIP_KICK_AT 4 /* BUG_SKIP_KICK: the command that is not kicked */
#endif

/* virtio-mmio (§4.2.2) */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEV_FEAT = 0x010, DEV_FEAT_SEL = 0x014,
    DRV_FEAT = 0x020, DRV_FEAT_SEL = 0x024, GUEST_PAGE_SIZE = 0x028, QUEUE_SEL = 0x030,
    QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_ALIGN = 0x03c, QUEUE_PFN = 0x040,
    QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, STATUS = 0x070, QUEUE_DESC_LO = 0x080,
    QUEUE_DESC_HI = 0x084, QUEUE_AVAIL_LO = 0x090, QUEUE_AVAIL_HI = 0x094,
    QUEUE_USED_LO = 0x0a0, QUEUE_USED_HI = 0x0a4,
};

struct vdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };

/* The shared page(s): the ring, then the buffers. */
struct gpu_dma {
    struct vdesc desc[QSZ];
    struct { uint16_t flags, idx, ring[QSZ], used_event; } avail;
#ifndef BUG_USED_ALIGN
    uint8_t pad[PAGE - sizeof(struct vdesc) * QSZ - 2 * (3 + QSZ)]; /* used at the next page */
#endif
    struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSZ]; uint16_t avail_event; }
        used;
    uint8_t cmd[256] __attribute__((aligned(4096)));
    uint8_t body[256];
    uint8_t resp[512];
};

static const struct vqsim_platform *P;
static uint64_t base;
static volatile struct gpu_dma *q;
static uint64_t q_pa;
static uint16_t avail_shadow, used_seen;
static unsigned submitted;

static uint32_t rd(uint32_t off) { return P->mmio_read32(base + off); }
static void wr(uint32_t off, uint32_t v) { P->mmio_write32(base + off, v); }
static uint64_t pa_of(volatile void *p) { return q_pa + (uint64_t)((volatile uint8_t *)p - (volatile uint8_t *)q); }

static void bzero_v(volatile void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)p)[i] = 0;
}

/* Send cmd (hlen bytes of header, blen of body) with rlen bytes of response; wait for it. */
static int send(uint32_t hlen, uint32_t blen, uint32_t rlen)
{
    int d = 0;
    q->desc[d] = (struct vdesc){pa_of(q->cmd), hlen, 1, 1};
#ifdef BUG_ZERO_LEN
    q->desc[d].next = 1;
    q->desc[++d] = (struct vdesc){pa_of(q->body), blen, 1, 2}; /* 0 when there is no body */
#else
    if (blen) {
        q->desc[d].next = 1;
        q->desc[++d] = (struct vdesc){pa_of(q->body), blen, 1, 2};
    }
#endif
    q->desc[d].next = (uint16_t)(d + 1);
    q->desc[++d] = (struct vdesc){pa_of(q->resp), rlen, 2 /* WRITE */, 0};
    q->avail.ring[avail_shadow % QSZ] = 0;
    P->wmb();
    q->avail.idx = ++avail_shadow;
#ifndef BUG_NO_KICK_MB
    P->mb();
#endif
    submitted++;
#ifdef BUG_SKIP_KICK
    if (submitted != SKIP_KICK_AT)
#endif
    if (!(q->used.flags & 1))
        wr(QUEUE_NOTIFY, 0);
    uint64_t deadline = P->now_ns() + 100000000; /* 100 ms */
    while (q->used.idx == used_seen) {
        P->rmb();
        if (P->now_ns() > deadline)
            return VQSIM_DRIVER_TIMEOUT;
    }
    P->rmb();
    used_seen++;
    uint32_t type = *(volatile uint32_t *)q->resp;
    return type >= 0x1200 ? VQSIM_DRIVER_DEVICE_ERROR : VQSIM_DRIVER_OK;
}

static volatile uint32_t *cmd_words(uint32_t type)
{
    bzero_v(q->cmd, sizeof(q->cmd));
    bzero_v(q->body, sizeof(q->body));
    bzero_v(q->resp, 64);
    *(volatile uint32_t *)q->cmd = type;
    return (volatile uint32_t *)q->body;
}

static int set_mode(uint32_t w, uint32_t h, uint64_t fb_pa)
{
    int rc;
    volatile uint32_t *b = cmd_words(0x0101); /* RESOURCE_CREATE_2D */
    b[0] = 1; b[1] = 2; b[2] = w; b[3] = h;
    if ((rc = send(24, 16, 24)))
        return rc;
    b = cmd_words(0x0106); /* RESOURCE_ATTACH_BACKING, one entry */
    b[0] = 1; b[1] = 1; b[2] = (uint32_t)fb_pa; b[3] = (uint32_t)(fb_pa >> 32); b[4] = w * h * 4;
    if ((rc = send(24, 24, 24)))
        return rc;
    b = cmd_words(0x0103); /* SET_SCANOUT */
    b[0] = 0; b[1] = 0; b[2] = w; b[3] = h; b[4] = 0; b[5] = 1;
    return send(24, 24, 24);
}

static int init(void)
{
    if (rd(MAGIC) != 0x74726976)
        return VQSIM_DRIVER_ERROR;
    uint32_t version = rd(VERSION);
    if ((version != 1 && version != 2) || rd(DEVICE_ID) != 16)
        return VQSIM_DRIVER_ERROR;
    wr(STATUS, 0);
#ifndef BUG_RESET_NO_WAIT
    for (int i = 0; rd(STATUS); i++)
        if (i > 100)
            return VQSIM_DRIVER_ERROR;
#endif
    wr(STATUS, 1);
    wr(STATUS, 1 | 2);
    wr(DEV_FEAT_SEL, 0);
    uint32_t f0 = rd(DEV_FEAT), f1 = 0;
    if (version == 2) {
        wr(DEV_FEAT_SEL, 1);
        f1 = rd(DEV_FEAT);
    }
    wr(DRV_FEAT_SEL, 0);
#ifdef BUG_NO_USED_EVENT
    wr(DRV_FEAT, f0); /* "take what the device offers" */
#else
    wr(DRV_FEAT, f0 & (1u << 27)); /* legacy: ANY_LAYOUT when offered (§6.3) */
#endif
    if (version == 2) {
        if (!(f1 & 1))
            return VQSIM_DRIVER_ERROR;
        wr(DRV_FEAT_SEL, 1);
        wr(DRV_FEAT, 1); /* VERSION_1 */
        wr(STATUS, 1 | 2 | 8);
        if (!(rd(STATUS) & 8))
            return VQSIM_DRIVER_ERROR;
    }
    q = P->dma_alloc(sizeof(struct gpu_dma), PAGE, VQSIM_DMA_RING, &q_pa);
    if (!q)
        return VQSIM_DRIVER_ERROR;
    wr(QUEUE_SEL, 0);
    if (rd(QUEUE_NUM_MAX) < QSZ)
        return VQSIM_DRIVER_ERROR;
    wr(QUEUE_NUM, QSZ);
    if (version == 1) {
#ifndef BUG_LEGACY_NO_GPS
        wr(GUEST_PAGE_SIZE, PAGE);
#endif
        wr(QUEUE_ALIGN, PAGE);
        wr(QUEUE_PFN, (uint32_t)(q_pa / PAGE));
    } else {
        wr(QUEUE_DESC_LO, (uint32_t)q_pa);
        wr(QUEUE_DESC_HI, (uint32_t)(q_pa >> 32));
        wr(QUEUE_AVAIL_LO, (uint32_t)pa_of(&q->avail));
        wr(QUEUE_AVAIL_HI, (uint32_t)(pa_of(&q->avail) >> 32));
        wr(QUEUE_USED_LO, (uint32_t)pa_of(&q->used));
        wr(QUEUE_USED_HI, (uint32_t)(pa_of(&q->used) >> 32));
        wr(QUEUE_READY, 1);
    }
    wr(STATUS, version == 2 ? 1 | 2 | 8 | 4 : 1 | 2 | 4);
    return VQSIM_DRIVER_OK;
}

static int gpu_main(const struct vqsim_platform *p, void *arg)
{
    (void)arg;
    P = p;
    base = p->mmio_base;
    int rc = init();
    if (rc)
        return rc;
    cmd_words(0x0100); /* GET_DISPLAY_INFO */
    if ((rc = send(24, 0, 24 + 16 * 24)))
        return rc;
    uint32_t w = ((volatile uint32_t *)(q->resp + 24))[2], h = ((volatile uint32_t *)(q->resp + 24))[3];
    if (!w || !h || w > 4096 || h > 4096)
        return VQSIM_DRIVER_ERROR;
    uint64_t fb_pa;
    uint8_t *fb = p->dma_alloc((size_t)w * h * 4, PAGE, VQSIM_DMA_FRAMEBUFFER, &fb_pa);
    if (!fb)
        return VQSIM_DRIVER_ERROR;
    for (uint32_t i = 0; i < w * h; i++) /* a blue-to-green ramp */
        ((uint32_t *)fb)[i] = 0xff000000u | (i % w) * 255 / w << 8 | (i / w) * 255 / h;
    if ((rc = set_mode(w, h, fb_pa)))
        return rc;
#ifdef BUG_DUP_RESOURCE
    if ((rc = set_mode(w, h, fb_pa))) /* "set the mode again, to be sure" */
        return rc;
#endif
    for (unsigned i = 0; i < FLUSHES; i++) {
        volatile uint32_t *b = cmd_words(0x0105); /* TRANSFER_TO_HOST_2D */
        b[2] = w; b[3] = h; b[6] = 1;
        if ((rc = send(24, 32, 24)))
            return rc;
        b = cmd_words(0x0104); /* RESOURCE_FLUSH */
        b[2] = w; b[3] = h; b[4] = 1;
        if ((rc = send(24, 24, 24)))
            return rc;
    }
    return VQSIM_DRIVER_OK;
}

VQSIM_DRIVER_DEFINE(gpu_main)
