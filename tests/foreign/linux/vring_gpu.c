/* vring_gpu.c — a virtio-gpu driver in the shape of Linux's drivers/virtio (virtio_ring.c split
 * ring, virtio_mmio.c, virtio_gpu's control queue), written for the foreign-driver corpus
 * (tests/foreign/README.md). What it keeps from Linux: the free list in a private desc_extra[]
 * (never read back from shared memory), num_free / free_head / avail_idx_shadow / num_added,
 * VIRTIO_RING_F_EVENT_IDX with kick_prepare's vring_need_event and enable_cb_prepare's
 * used_event, virtio_store_mb, and a driver that sleeps until the interrupt (vm_interrupt reads
 * InterruptStatus and acknowledges it) with a deadline, as wait_event_timeout does. Shared ring
 * memory goes through the platform's ring accessors (READ_ONCE / WRITE_ONCE): vqsim sees every
 * access. It reports where its rings are (queue_placed).
 *
 * After drawing it is unbound and bound again (driver remove, then probe: the device reset by
 * remove, the queues deleted, new rings on the second probe).
 *
 * Bugs, one per build (-D):
 *   BUG_ZERO_LEN       GET_DISPLAY_INFO's empty body goes into the out sg list (length 0)
 *   BUG_NO_USED_EVENT  EVENT_IDX negotiated, used_event never written: after the first answer
 *                      no interrupt comes, and the driver sleeps through its answers
 *   BUG_NO_KICK_MB     kick_prepare without virtio_mb() before it reads avail_event / used.flags
 *   BUG_RESET_NO_WAIT  vm_reset writes Status 0 and returns (no read-back), as Linux's own
 *                      virtio_mmio does; the core's add_status() then reads Status before it
 *                      sets ACKNOWLEDGE, so the read-back happens all the same (no finding)
 *   BUG_REINIT_NO_RESET remove forgets virtio_reset_device(): the rebind re-initialises a device
 *                      whose queues are still live
 *   BUG_LEGACY_NO_GPS  legacy: vm_probe never writes GuestPageSize
 *   BUG_USED_ALIGN     legacy: vring_init() with SMP_CACHE_BYTES (64) alignment, QueueAlign
 *                      PAGE_SIZE
 *   BUG_SKIP_KICK      the fourth command is queued, and kick() is forgotten
 */
#include <stddef.h>
#include <stdint.h>

#include <vqsim/vqsim.h>

#define PAGE_SIZE 4096u
#define SMP_CACHE_BYTES 64u
#define VIRTIO_MMIO_VRING_ALIGN PAGE_SIZE
#define NUM 16u

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ANY_LAYOUT 27

#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c
#define VIRTIO_MMIO_QUEUE_PFN 0x040
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH 0x0a4
#define VIRTIO_MMIO_INT_VRING 1

#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1
#define VIRTIO_CONFIG_S_DRIVER 2
#define VIRTIO_CONFIG_S_DRIVER_OK 4
#define VIRTIO_CONFIG_S_FEATURES_OK 8

static const struct vqsim_platform *plat;

/* the kernel's primitives, on the platform */
#define READ_ONCE16(p) plat->ring_load16(&(p))
#define READ_ONCE32(p) plat->ring_load32(&(p))
#define WRITE_ONCE16(p, v) plat->ring_store16(&(p), (uint16_t)(v))
#define WRITE_ONCE32(p, v) plat->ring_store32(&(p), (uint32_t)(v))
#define WRITE_ONCE64(p, v) plat->ring_store64(&(p), (uint64_t)(v))
#define virtio_mb() plat->mb()
#define virtio_rmb() plat->rmb()
#define virtio_wmb() plat->wmb()
#define virtio_store_mb(p, v) do { WRITE_ONCE16(p, v); virtio_mb(); } while (0)

struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vring_avail { uint16_t flags, idx, ring[NUM + 1]; }; /* + used_event */
struct vring_used_elem { uint32_t id, len; };
struct vring_used { uint16_t flags, idx; struct vring_used_elem ring[NUM]; uint16_t avail_event; };
struct vring { unsigned num; volatile struct vring_desc *desc; volatile struct vring_avail *avail;
               volatile struct vring_used *used; };
#define vring_used_event(vr) ((vr)->avail->ring[(vr)->num])
#define vring_avail_event(vr) ((vr)->used->avail_event)

static inline int vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

static unsigned vring_size(unsigned num, unsigned long align)
{
    return (unsigned)(((sizeof(struct vring_desc) * num + sizeof(uint16_t) * (3 + num) + align - 1) &
                       ~(align - 1)) + sizeof(uint16_t) * 3 + sizeof(struct vring_used_elem) * num);
}

static void vring_init(struct vring *vr, unsigned num, void *p, unsigned long align)
{
    vr->num = num;
    vr->desc = p;
    vr->avail = (void *)((char *)p + num * sizeof(struct vring_desc));
    vr->used = (void *)(((uintptr_t)&vr->avail->ring[num] + sizeof(uint16_t) + align - 1) &
                        ~(align - 1));
}

/* ---- virtio_ring.c (split) ---------------------------------------------------------------- */

struct vring_desc_extra { uint64_t addr; uint32_t len; uint16_t flags, next; };

struct vring_virtqueue {
    unsigned index;
    struct vring vring;
    uint64_t ring_pa;
    struct vring_desc_extra desc_extra[NUM];
    void *desc_state[NUM];
    unsigned num_free, free_head, num_added;
    uint16_t avail_flags_shadow, avail_idx_shadow, last_used_idx;
    int event, broken;
};

struct scatterlist { uint64_t dma; uint32_t length; };

static void vring_init_free_list(struct vring_virtqueue *vq)
{
    for (unsigned i = 0; i < NUM - 1; i++)
        vq->desc_extra[i].next = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->num_free = NUM;
}

static int virtqueue_add_sgs(struct vring_virtqueue *vq, struct scatterlist *sgs[],
                             unsigned out_sgs, unsigned in_sgs, void *data)
{
    unsigned total = out_sgs + in_sgs;
    if (vq->broken || vq->num_free < total)
        return -28; /* -ENOSPC */
    unsigned head = vq->free_head, i = head, prev = head;
    for (unsigned n = 0; n < total; n++) {
        uint16_t flags = VRING_DESC_F_NEXT | (n >= out_sgs ? VRING_DESC_F_WRITE : 0);
        WRITE_ONCE16(vq->vring.desc[i].flags, flags);
        WRITE_ONCE64(vq->vring.desc[i].addr, sgs[n]->dma);
        WRITE_ONCE32(vq->vring.desc[i].len, sgs[n]->length);
        vq->desc_extra[i].addr = sgs[n]->dma;
        vq->desc_extra[i].len = sgs[n]->length;
        vq->desc_extra[i].flags = flags;
        prev = i;
        i = vq->desc_extra[i].next;
        if (n + 1 < total)
            WRITE_ONCE16(vq->vring.desc[prev].next, i);
    }
    vq->desc_extra[prev].flags &= (uint16_t)~VRING_DESC_F_NEXT;
    WRITE_ONCE16(vq->vring.desc[prev].flags, vq->desc_extra[prev].flags);
    vq->num_free -= total;
    vq->free_head = i;
    vq->desc_state[head] = data;
    WRITE_ONCE16(vq->vring.avail->ring[vq->avail_idx_shadow & (NUM - 1)], head);
    /* Descriptors and available array need to be set before we expose the new available
     * array entries. */
    virtio_wmb();
    vq->avail_idx_shadow++;
    WRITE_ONCE16(vq->vring.avail->idx, vq->avail_idx_shadow);
    vq->num_added++;
    return 0;
}

static int virtqueue_kick_prepare(struct vring_virtqueue *vq)
{
#ifndef BUG_NO_KICK_MB
    /* We need to expose available array entries before checking avail event. */
    virtio_mb();
#endif
    uint16_t old = (uint16_t)(vq->avail_idx_shadow - vq->num_added), new_idx = vq->avail_idx_shadow;
    vq->num_added = 0;
    if (vq->event) {
        uint16_t event = READ_ONCE16(vring_avail_event(&vq->vring));
        return vring_need_event(event, new_idx, old);
    }
    return !(READ_ONCE16(vq->vring.used->flags) & VRING_USED_F_NO_NOTIFY);
}

static uint64_t mmio_base;
static uint32_t readl(uint32_t off) { return plat->mmio_read32(mmio_base + off); }
static void writel(uint32_t v, uint32_t off) { plat->mmio_write32(mmio_base + off, v); }

static void virtqueue_kick(struct vring_virtqueue *vq)
{
    if (virtqueue_kick_prepare(vq))
        writel(vq->index, VIRTIO_MMIO_QUEUE_NOTIFY); /* vm_notify */
}

static int more_used(struct vring_virtqueue *vq)
{
    return vq->last_used_idx != READ_ONCE16(vq->vring.used->idx);
}

static void detach_buf(struct vring_virtqueue *vq, unsigned head)
{
    unsigned i = head;
    vq->desc_state[head] = NULL;
    while (vq->desc_extra[i].flags & VRING_DESC_F_NEXT) {
        i = vq->desc_extra[i].next;
        vq->num_free++;
    }
    vq->desc_extra[i].next = (uint16_t)vq->free_head;
    vq->free_head = head;
    vq->num_free++;
}

static void *virtqueue_get_buf(struct vring_virtqueue *vq, unsigned *len)
{
    if (vq->broken || !more_used(vq))
        return NULL;
    /* Only get used array entries after they have been exposed by host. */
    virtio_rmb();
    unsigned last_used = vq->last_used_idx & (NUM - 1);
    unsigned i = READ_ONCE32(vq->vring.used->ring[last_used].id);
    *len = READ_ONCE32(vq->vring.used->ring[last_used].len);
    if (i >= NUM || !vq->desc_state[i]) {
        vq->broken = 1; /* BAD_RING: "id %u is not a head!" */
        return NULL;
    }
    void *ret = vq->desc_state[i];
    detach_buf(vq, i);
    vq->last_used_idx++;
    /* If we expect an interrupt for the next entry, tell host by writing event index and flush
     * out the write before the read in the next get_buf call. */
#ifndef BUG_NO_USED_EVENT
    if (!(vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) && vq->event)
        virtio_store_mb(vring_used_event(&vq->vring), vq->last_used_idx);
#endif
    return ret;
}

static void virtqueue_disable_cb(struct vring_virtqueue *vq)
{
    if (!(vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT)) {
        vq->avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT;
        if (!vq->event) /* with EVENT_IDX, used_event alone decides (left as it is) */
            WRITE_ONCE16(vq->vring.avail->flags, vq->avail_flags_shadow);
    }
}

static unsigned virtqueue_enable_cb_prepare(struct vring_virtqueue *vq)
{
    if (vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) {
        vq->avail_flags_shadow &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
        if (!vq->event)
            WRITE_ONCE16(vq->vring.avail->flags, vq->avail_flags_shadow);
    }
#ifndef BUG_NO_USED_EVENT
    WRITE_ONCE16(vring_used_event(&vq->vring), vq->last_used_idx);
#endif
    return vq->last_used_idx;
}

static int virtqueue_poll(struct vring_virtqueue *vq, unsigned last_used_idx)
{
    virtio_mb();
    return (uint16_t)last_used_idx != READ_ONCE16(vq->vring.used->idx);
}

static int virtqueue_enable_cb(struct vring_virtqueue *vq)
{
    unsigned last = virtqueue_enable_cb_prepare(vq);
    return !virtqueue_poll(vq, last);
}

/* ---- virtio_mmio.c + the virtio core ------------------------------------------------------- */

struct virtio_mmio_device {
    uint32_t version;
    uint64_t features;
    struct vring_virtqueue vqs[2];
};

static void vm_reset(void)
{
    /* 0 status means a reset. */
    writel(0, VIRTIO_MMIO_STATUS);
#ifndef BUG_RESET_NO_WAIT
    /* After writing 0 to device_status, the driver MUST wait for a read of device_status to
     * return 0 before reinitializing the device (as virtio_pci_modern's vp_reset does). */
    for (int i = 0; readl(VIRTIO_MMIO_STATUS); i++) {
        if (i == 100)
            break;
        plat->delay_ns(1000000);
    }
#endif
}

static void add_status(uint32_t s) { writel(readl(VIRTIO_MMIO_STATUS) | s, VIRTIO_MMIO_STATUS); }

static int vm_probe(struct virtio_mmio_device *vm)
{
    if (readl(VIRTIO_MMIO_MAGIC_VALUE) != 0x74726976)
        return -19; /* -ENODEV */
    vm->version = readl(VIRTIO_MMIO_VERSION);
    if (vm->version < 1 || vm->version > 2)
        return -6;
    if (readl(VIRTIO_MMIO_DEVICE_ID) != 16)
        return -19;
#ifndef BUG_LEGACY_NO_GPS
    if (vm->version == 1)
        writel(PAGE_SIZE, VIRTIO_MMIO_GUEST_PAGE_SIZE);
#endif
    return 0;
}

static struct vring_virtqueue *vm_setup_vq(struct virtio_mmio_device *vm, unsigned index)
{
    struct vring_virtqueue *vq = &vm->vqs[index];
    writel(index, VIRTIO_MMIO_QUEUE_SEL);
    if (readl(vm->version == 1 ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY))
        return NULL; /* -ENOENT: the queue is already in use */
    if (readl(VIRTIO_MMIO_QUEUE_NUM_MAX) < NUM)
        return NULL;
#ifdef BUG_USED_ALIGN
    unsigned long align = SMP_CACHE_BYTES;
#else
    unsigned long align = VIRTIO_MMIO_VRING_ALIGN;
#endif
    void *queue = plat->dma_alloc(vring_size(NUM, VIRTIO_MMIO_VRING_ALIGN), PAGE_SIZE,
                                  VQSIM_DMA_RING, &vq->ring_pa);
    if (!queue)
        return NULL;
    *vq = (struct vring_virtqueue){.index = index, .ring_pa = vq->ring_pa,
                                   .event = (int)((vm->features >> VIRTIO_RING_F_EVENT_IDX) & 1)};
    vring_init(&vq->vring, NUM, queue, align);
    vring_init_free_list(vq);
    writel(NUM, VIRTIO_MMIO_QUEUE_NUM);
    uint64_t desc = vq->ring_pa, avail = plat->virt_to_phys((void *)vq->vring.avail),
             used = plat->virt_to_phys((void *)vq->vring.used);
    if (vm->version == 1) {
        writel(PAGE_SIZE, VIRTIO_MMIO_QUEUE_ALIGN);
        writel((uint32_t)(desc >> 12), VIRTIO_MMIO_QUEUE_PFN);
    } else {
        writel((uint32_t)desc, VIRTIO_MMIO_QUEUE_DESC_LOW);
        writel((uint32_t)(desc >> 32), VIRTIO_MMIO_QUEUE_DESC_HIGH);
        writel((uint32_t)avail, VIRTIO_MMIO_QUEUE_AVAIL_LOW);
        writel((uint32_t)(avail >> 32), VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
        writel((uint32_t)used, VIRTIO_MMIO_QUEUE_USED_LOW);
        writel((uint32_t)(used >> 32), VIRTIO_MMIO_QUEUE_USED_HIGH);
        writel(1, VIRTIO_MMIO_QUEUE_READY);
    }
    if (plat->size >= offsetof(struct vqsim_platform, queue_placed) + sizeof(plat->queue_placed) &&
        plat->queue_placed)
        plat->queue_placed(index, desc, avail, used, NUM);
    return vq;
}

static void vm_del_vqs(struct virtio_mmio_device *vm)
{
    for (unsigned index = 0; index < 2; index++) {
        writel(index, VIRTIO_MMIO_QUEUE_SEL);
        if (vm->version == 1) {
            writel(0, VIRTIO_MMIO_QUEUE_PFN);
        } else {
            writel(0, VIRTIO_MMIO_QUEUE_READY);
            (void)readl(VIRTIO_MMIO_QUEUE_READY); /* WARN_ON(readl(QUEUE_READY)) */
        }
    }
}

/* vm_interrupt: read and acknowledge; used buffers: vring_interrupt (the caller drains). */
static uint32_t vm_interrupt(void)
{
    uint32_t status = readl(VIRTIO_MMIO_INTERRUPT_STATUS);
    writel(status, VIRTIO_MMIO_INTERRUPT_ACK);
    return status;
}

/* virtio_dev_probe: DRIVER, features (virtio_finalize_features), the driver's probe (its
 * queues), DRIVER_OK. */
static int virtio_dev_probe(struct virtio_mmio_device *vm)
{
    add_status(VIRTIO_CONFIG_S_DRIVER);
    writel(0, VIRTIO_MMIO_DEVICE_FEATURES_SEL);
    uint64_t device = readl(VIRTIO_MMIO_DEVICE_FEATURES);
    if (vm->version == 2) {
        writel(1, VIRTIO_MMIO_DEVICE_FEATURES_SEL);
        device |= (uint64_t)readl(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    uint64_t driver = 1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_F_VERSION_1 |
                      1ull << VIRTIO_F_ANY_LAYOUT;
    vm->features = device & driver;
    if (vm->version == 2 && !(vm->features & (1ull << VIRTIO_F_VERSION_1)))
        return -22;
    writel(0, VIRTIO_MMIO_DRIVER_FEATURES_SEL);
    writel((uint32_t)vm->features, VIRTIO_MMIO_DRIVER_FEATURES);
    writel(1, VIRTIO_MMIO_DRIVER_FEATURES_SEL);
    writel((uint32_t)(vm->features >> 32), VIRTIO_MMIO_DRIVER_FEATURES);
    if (vm->version == 2) {
        add_status(VIRTIO_CONFIG_S_FEATURES_OK);
        if (!(readl(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
            return -19;
    }
    if (!vm_setup_vq(vm, 0) || !vm_setup_vq(vm, 1)) /* "control", "cursor" */
        return -12;
    add_status(VIRTIO_CONFIG_S_DRIVER_OK); /* virtio_device_ready */
    return 0;
}

/* ---- virtio_gpu: commands on the control queue --------------------------------------------- */

struct vbuf { int done; unsigned resp_len; };

static uint8_t *cmd_buf, *resp_buf;
static uint64_t cmd_pa, resp_pa;
static unsigned queued;

static int virtio_gpu_dequeue_ctrl(struct vring_virtqueue *vq)
{
    struct vbuf *vb;
    unsigned len;
    do {
        virtqueue_disable_cb(vq);
        while ((vb = virtqueue_get_buf(vq, &len))) {
            vb->done = 1;
            vb->resp_len = len;
        }
        if (vq->broken)
            return -5;
    } while (!virtqueue_enable_cb(vq));
    return 0;
}

/* Queue cmd (hlen + body) with a response buffer, kick, and wait_event_timeout for it. */
static int virtio_gpu_cmd(struct virtio_mmio_device *vm, unsigned cmd_len, unsigned body_len,
                          unsigned resp_len)
{
    struct vring_virtqueue *vq = &vm->vqs[0];
    struct scatterlist hdr = {cmd_pa, cmd_len}, body = {cmd_pa + 256, body_len},
                       resp = {resp_pa, resp_len};
    struct scatterlist *sgs[3] = {&hdr, &body, &resp};
    unsigned outcnt = 2;
#ifndef BUG_ZERO_LEN
    if (!body_len) {
        sgs[1] = &resp;
        outcnt = 1;
    }
#endif
    struct vbuf vb = {0};
    if (virtqueue_add_sgs(vq, sgs, outcnt, 1, &vb))
        return VQSIM_DRIVER_ERROR;
    queued++;
#ifdef BUG_SKIP_KICK
    if (queued != 4)
#endif
    virtqueue_kick(vq);
    uint64_t deadline = plat->now_ns() + 100000000ull; /* 100 ms */
    for (;;) {
        if (virtio_gpu_dequeue_ctrl(vq))
            return VQSIM_DRIVER_ERROR;
        if (vb.done)
            return ((uint32_t *)resp_buf)[0] >= 0x1200 ? VQSIM_DRIVER_DEVICE_ERROR
                                                       : VQSIM_DRIVER_OK;
        while (!plat->irq_take()) { /* sleep until the interrupt */
            if (plat->now_ns() > deadline)
                return VQSIM_DRIVER_TIMEOUT;
            plat->delay_ns(1000000);
        }
        vm_interrupt();
    }
}

static uint32_t *prepare(uint32_t type)
{
    for (unsigned i = 0; i < 256; i++)
        ((uint32_t *)cmd_buf)[i] = 0;
    for (unsigned i = 0; i < 128; i++)
        ((uint32_t *)resp_buf)[i] = 0;
    ((uint32_t *)cmd_buf)[0] = type;
    return (uint32_t *)(cmd_buf + 256);
}

static int show(struct virtio_mmio_device *vm, uint32_t id, uint32_t rgb)
{
    prepare(0x0100);
    int rc = virtio_gpu_cmd(vm, 24, 0, 24 + 16 * 24);
    if (rc)
        return rc;
    uint32_t w = ((uint32_t *)resp_buf)[8], h = ((uint32_t *)resp_buf)[9];
    if (!w || !h || w > 4096 || h > 4096)
        return VQSIM_DRIVER_ERROR;
    uint64_t fb_pa;
    uint32_t *fb = plat->dma_alloc((size_t)w * h * 4, PAGE_SIZE, VQSIM_DMA_FRAMEBUFFER, &fb_pa);
    if (!fb)
        return VQSIM_DRIVER_ERROR;
    for (uint32_t i = 0; i < w * h; i++)
        fb[i] = rgb;
    uint32_t *b = prepare(0x0101);
    b[0] = id; b[1] = 2; b[2] = w; b[3] = h;
    if ((rc = virtio_gpu_cmd(vm, 24, 16, 24)))
        return rc;
    b = prepare(0x0106);
    b[0] = id; b[1] = 1; b[2] = (uint32_t)fb_pa; b[3] = (uint32_t)(fb_pa >> 32); b[4] = w * h * 4;
    if ((rc = virtio_gpu_cmd(vm, 24, 24, 24)))
        return rc;
    b = prepare(0x0103);
    b[2] = w; b[3] = h; b[5] = id;
    if ((rc = virtio_gpu_cmd(vm, 24, 24, 24)))
        return rc;
    b = prepare(0x0105);
    b[2] = w; b[3] = h; b[6] = id;
    if ((rc = virtio_gpu_cmd(vm, 24, 32, 24)))
        return rc;
    b = prepare(0x0104);
    b[2] = w; b[3] = h; b[4] = id;
    return virtio_gpu_cmd(vm, 24, 24, 24);
}

static int linux_main(const struct vqsim_platform *p, void *arg)
{
    (void)arg;
    plat = p;
    mmio_base = p->mmio_base;
    static struct virtio_mmio_device vm;
    cmd_buf = p->dma_alloc(2048, PAGE_SIZE, VQSIM_DMA_BUFFER, &cmd_pa);
    resp_buf = p->dma_alloc(1024, 64, VQSIM_DMA_BUFFER, &resp_pa);
    if (!cmd_buf || !resp_buf || vm_probe(&vm))
        return VQSIM_DRIVER_ERROR;
    /* register_virtio_device: reset, ACKNOWLEDGE; then the driver's probe */
    vm_reset();
    add_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    if (virtio_dev_probe(&vm))
        return VQSIM_DRIVER_ERROR;
    int rc = show(&vm, 1, 0xff808000u);
    if (rc)
        return rc;
    /* unbind: virtio_gpu's remove resets the device, then its queues are deleted; the core
     * acknowledges the device again; bind: the driver's probe once more. */
#ifndef BUG_REINIT_NO_RESET
    vm_reset();
#endif
    vm_del_vqs(&vm);
    add_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    if (virtio_dev_probe(&vm))
        return VQSIM_DRIVER_ERROR;
    return show(&vm, 2, 0xff008080u);
}

VQSIM_DRIVER_DEFINE(linux_main)
VQSIM_EXTERN_C VQSIM_EXPORT const unsigned vqsim_driver_flags;
const unsigned vqsim_driver_flags = VQSIM_RUN_RING_ACCESSORS;
