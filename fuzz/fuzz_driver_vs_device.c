/* fuzz_driver_vs_device.c — libFuzzer target: the real driver (src/driver/) against a hostile
 * device whose every answer comes from the fuzzer's input.
 *
 * This file implements virtio_hal.h itself (as src/harness/hal_sim.c does for the model), with
 * a small virtio-mmio gpu behind it. Each DMA allocation is its own heap block, so AddressSanitizer
 * sees any driver access outside the memory it was given; the "device" reaches guest memory only
 * through the allocation table (never the driver's private bookkeeping).
 *
 * Input layout (fuzz_input.h: a read past the end gives 0, and 0 means "sane"):
 *   u16      K: the first K bytes that follow are the kernel's part, the rest the device's
 *   kernel   header: flags, queue size, QueueNumMax, offered-feature flips (u64), features the
 *            driver wants (u64), legacy QueueAlign, which allocation fails; then the calls the
 *            kernel makes into the driver (one byte each plus arguments) until the part ends.
 *   device   the device's decisions: every
 *            time the driver waits (vhal_delay_ns) the device takes one action byte — complete
 *            sanely, write an arbitrary used element, jump used.idx, answer with arbitrary bytes,
 *            type or length, rewrite a descriptor, set NEEDS_RESET, reset itself, scribble on the
 *            rings, change its config, complete the same id twice. With no input left the device
 *            completes each request sanely. Flags make register and config reads hostile too.
 *
 * Oracle: no crash, no ASan/UBSan report, no leak, and abort() (a finding) when the driver
 *   - makes more HAL calls or waits longer in virtual time than a bounded driver could;
 *   - touches a register outside its window or unaligned, or notifies a queue it never set up;
 *   - uses a ring accessor on memory that is not a ring;
 *   - clears, without a reset, a status bit it set and last saw set (§2.1.1), or accepts a
 *     feature it was not offered (§2.2.1);
 *   - returns a status code it does not define, reports success for a command without a
 *     complete, well-typed answer, or leaves its free list inconsistent;
 *   - reports success on the control queue after a timeout or a bad used element without being
 *     initialised again.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/driver/gpu_fb.h"
#include "../src/driver/virtio_gpu.h"
#include "../src/driver/virtio_hal.h"
#include "fuzz_input.h"

#define MMIO_BASE 0x0a003e00ull
#define PHYS_BASE 0x40000000ull
#define MAX_ALLOCS 256u
#define MAX_INITS 4u
#define MAX_CALLS 32u
#define TIMEOUT_NS 1000000ull               /* the driver's per-wait deadline: 1 ms virtual */
#define HAL_CALL_LIMIT 4000000ull           /* far above any bounded run of MAX_CALLS commands */
#define TIME_LIMIT_NS (20000ull * TIMEOUT_NS) /* 20 s virtual: every wait is bounded by 1 ms */
#define MMIO_ACCESS_NS 100u

static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void finding(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_driver_vs_device: driver bug: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- guest memory: one heap block per DMA allocation ------------------------------------ */

struct alloc {
    uint8_t *host;
    uint64_t phys;
    size_t size;
    enum vhal_dma_use use;
};

struct dev_q {
    uint32_t num, ready, pfn, align;
    uint64_t desc, driver, device;
    uint16_t last_avail, used_idx;
    uint32_t last_head;   /* last id completed (for double completion) */
    bool completed_any;
};

static struct fdev {
    struct fin in;                       /* the kernel's calls into the driver */
    struct fin dev;                      /* the device's decisions */
    /* header */
    uint32_t version;
    bool chaos_mmio, chaos_config, refuse_features;
    bool notify_data;           /* the driver accepted VIRTIO_F_NOTIFICATION_DATA */
    uint64_t offered;
    uint32_t num_max;
    uint32_t fail_alloc;                 /* the k-th vhal_dma_alloc returns NULL (0: none) */
    /* state */
    uint64_t now, calls;
    struct alloc a[MAX_ALLOCS];
    uint32_t n_alloc, n_alloc_calls;
    uint64_t next_phys;
    uint32_t status, isr, dev_sel, drv_sel, queue_sel, page_size, cfg_gen;
    uint32_t status_view;                /* Status as the driver last saw it (read or written) */
    uint32_t status_set;                 /* bits the driver has written since its last reset */
    bool ctrl_failed;                    /* a control command timed out or met a bad used
                                          * element since the last successful init */
    uint32_t irq_edges, irq_taken;       /* rises of the interrupt line, and those handed out */
    uint32_t events_read;                /* gpu config: pending events (§5.7.4) */
    uint32_t offered_seen[2];            /* what the driver last read from DeviceFeatures */
    uint32_t num_scanouts;
    struct dev_q q[2];
} D;

static void tick(uint64_t ns)
{
    D.now += ns;
    if (++D.calls > HAL_CALL_LIMIT)
        finding("more than %llu HAL calls: a wait is not bounded", (unsigned long long)HAL_CALL_LIMIT);
    if (D.now > TIME_LIMIT_NS)
        finding("virtual time passed %llu ns: a wait is not bounded",
                (unsigned long long)TIME_LIMIT_NS);
}

static struct alloc *alloc_of_host(const volatile void *p, size_t len)
{
    const uint8_t *b = (const uint8_t *)p;
    for (uint32_t i = 0; i < D.n_alloc; i++) {
        struct alloc *a = &D.a[i];
        if (a->host && b >= a->host && b < a->host + a->size && len <= (size_t)(a->host + a->size - b))
            return a;
    }
    return NULL;
}

/* Device view: host pointer for [phys, phys+len) inside one device-visible allocation. */
static uint8_t *dev_ptr(uint64_t phys, uint64_t len)
{
    for (uint32_t i = 0; i < D.n_alloc; i++) {
        struct alloc *a = &D.a[i];
        if (!a->host || a->use == VHAL_DMA_PRIVATE || phys < a->phys || phys - a->phys >= a->size)
            continue;
        return len <= a->size - (phys - a->phys) ? a->host + (phys - a->phys) : NULL;
    }
    return NULL;
}

static bool dev_read(uint64_t phys, void *dst, size_t len)
{
    uint8_t *p = dev_ptr(phys, len);
    if (p)
        memcpy(dst, p, len);
    else
        memset(dst, 0, len);
    return p != NULL;
}

static void dev_write(uint64_t phys, const void *src, size_t len)
{
    uint8_t *p = dev_ptr(phys, len);
    if (p)
        memcpy(p, src, len);
}

void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys)
{
    tick(0);
    D.n_alloc_calls++;
    if (!phys || size == 0 || align == 0 || (align & (align - 1)) || size > (64u << 20))
        return NULL;
    if (D.fail_alloc && D.n_alloc_calls == D.fail_alloc)
        return NULL;
    if (D.n_alloc == MAX_ALLOCS)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) != 0)
        return NULL;
    memset(p, 0, size);
    uint64_t at = (D.next_phys + align - 1) & ~(uint64_t)(align - 1);
    D.next_phys = at + size + 0x1000; /* a gap: off-by-one device addresses map to nothing */
    D.a[D.n_alloc++] = (struct alloc){p, at, size, use};
    *phys = at;
    return p;
}

void vhal_dma_free(void *ptr, size_t size)
{
    tick(0);
    for (uint32_t i = 0; i < D.n_alloc; i++) {
        if (D.a[i].host == ptr) {
            if (D.a[i].size != size)
                finding("vhal_dma_free with size %zu of an allocation of %zu bytes", size, D.a[i].size);
            free(ptr);
            D.a[i].host = NULL;
            return;
        }
    }
    finding("vhal_dma_free of memory vhal_dma_alloc did not return");
}

uint64_t vhal_virt_to_phys(const void *ptr)
{
    tick(0);
    struct alloc *a = alloc_of_host(ptr, 0);
    return a ? a->phys + (uint64_t)((const uint8_t *)ptr - a->host) : UINT64_MAX;
}

/* ---- the hostile device ------------------------------------------------------------------ */

static bool q_rings(const struct dev_q *q, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
    if (!q->num)
        return false;
    if (D.version == 1) {
        if (!q->pfn || !q->align)
            return false;
        *desc = (uint64_t)q->pfn * (D.page_size ? D.page_size : 4096u);
        *avail = *desc + 16ull * q->num;
        *used = (*avail + 4 + 2ull * q->num + q->align - 1) / q->align * q->align;
        return true;
    }
    if (!q->ready)
        return false;
    *desc = q->desc;
    *avail = q->driver;
    *used = q->device;
    return true;
}

/* InterruptStatus bits; the (level) line rises when it goes from 0 to non-zero. */
static void raise_irq(uint32_t bits)
{
    if (!D.isr && bits)
        D.irq_edges++;
    D.isr |= bits;
}

static void push_used(struct dev_q *q, uint64_t used, uint32_t id, uint32_t len)
{
    uint32_t e[2] = {id, len};
    dev_write(used + 4 + 8ull * (q->used_idx % q->num), e, sizeof(e));
    q->used_idx++;
    dev_write(used + 2, &q->used_idx, 2);
    q->last_head = id;
    q->completed_any = true;
    raise_irq(1);
}

/* Take the next available chain: its head and its first writable buffer. */
static bool pop(struct dev_q *q, uint64_t desc, uint64_t avail, uint16_t *head,
                struct virtio_gpu_ctrl_hdr *cmd, uint64_t *w_addr, uint32_t *w_len)
{
    uint16_t aidx = 0;
    dev_read(avail + 2, &aidx, 2);
    if (aidx == q->last_avail)
        return false;
    uint16_t h = 0;
    dev_read(avail + 4 + 2ull * (q->last_avail % q->num), &h, 2);
    q->last_avail++;
    *head = h;
    memset(cmd, 0, sizeof(*cmd));
    *w_addr = 0;
    *w_len = 0;
    uint32_t i = h % q->num;
    bool first_read = true;
    for (uint32_t k = 0; k < q->num; k++) { /* bounded: a looping chain ends here */
        uint8_t d[16];
        dev_read(desc + 16ull * i, d, 16);
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        memcpy(&addr, d, 8);
        memcpy(&len, d + 8, 4);
        memcpy(&flags, d + 12, 2);
        memcpy(&next, d + 14, 2);
        if (!(flags & VIRTQ_DESC_F_WRITE) && first_read) {
            dev_read(addr, cmd, len < sizeof(*cmd) ? len : sizeof(*cmd));
            first_read = false;
        }
        if ((flags & VIRTQ_DESC_F_WRITE) && !*w_addr) {
            *w_addr = addr;
            *w_len = len;
        }
        if (!(flags & VIRTQ_DESC_F_NEXT))
            break;
        i = next % q->num;
    }
    return true;
}

static uint32_t sane_response(const struct virtio_gpu_ctrl_hdr *cmd, uint8_t *buf, uint32_t cap)
{
    memset(buf, 0, cap);
    struct virtio_gpu_ctrl_hdr h = {0};
    uint32_t len = sizeof(h);
    if (cmd->flags & VIRTIO_GPU_FLAG_FENCE) { /* §5.7.6.7: echo the fence */
        h.flags = VIRTIO_GPU_FLAG_FENCE;
        h.fence_id = cmd->fence_id;
        h.ctx_id = cmd->ctx_id;
    }
    switch (cmd->type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO: {
        struct virtio_gpu_resp_display_info di;
        memset(&di, 0, sizeof(di));
        di.hdr = h;
        di.hdr.type = VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
        di.pmodes[0].r.width = 1024;
        di.pmodes[0].r.height = 768;
        di.pmodes[0].enabled = 1;
        memcpy(buf, &di, sizeof(di));
        return sizeof(di);
    }
    case VIRTIO_GPU_CMD_GET_EDID: { /* a 128-byte base block: header, one timing, checksum */
        static struct virtio_gpu_resp_edid e;
        memset(&e, 0, sizeof(e));
        e.hdr = h;
        e.hdr.type = VIRTIO_GPU_RESP_OK_EDID;
        e.size = 128;
        static const uint8_t header[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
        memcpy(e.edid, header, 8);
        e.edid[54] = 0x01; /* pixel clock: a timing descriptor */
        e.edid[56] = 0x00, e.edid[58] = 0x40; /* 1024 wide */
        e.edid[59] = 0x00, e.edid[61] = 0x30; /* 768 high */
        uint8_t sum = 0;
        for (int i = 0; i < 127; i++)
            sum = (uint8_t)(sum + e.edid[i]);
        e.edid[127] = (uint8_t)(0u - sum);
        memcpy(buf, &e, sizeof(e) < cap ? sizeof(e) : cap);
        return sizeof(e) < cap ? sizeof(e) : cap;
    }
    case VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID: { /* 1.2: a UUID */
        struct virtio_gpu_resp_resource_uuid u;
        memset(&u, 0xab, sizeof(u));
        u.hdr = h;
        u.hdr.type = VIRTIO_GPU_RESP_OK_RESOURCE_UUID;
        memcpy(buf, &u, sizeof(u) < cap ? sizeof(u) : cap);
        return sizeof(u) < cap ? sizeof(u) : cap;
    }
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB: /* 1.2 */
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
        h.type = VIRTIO_GPU_RESP_OK_NODATA;
        memcpy(buf, &h, sizeof(h));
        return len;
    default:
        h.type = cmd->type >= VIRTIO_GPU_CMD_GET_DISPLAY_INFO && cmd->type <= VIRTIO_GPU_CMD_GET_EDID
                     ? VIRTIO_GPU_RESP_OK_NODATA
                     : VIRTIO_GPU_RESP_ERR_UNSPEC;
        memcpy(buf, &h, sizeof(h));
        return len;
    }
}

enum action {
    ACT_NOTHING, ACT_SANE, ACT_USED_ELEM, ACT_USED_IDX, ACT_BAD_ANSWER, ACT_REWRITE_DESC,
    ACT_NEEDS_RESET, ACT_SELF_RESET, ACT_SCRIBBLE, ACT_CONFIG, ACT_TWICE, ACT_BAD_LEN,
    ACT_SPURIOUS_IRQ, ACT_COUNT
};

static void device_reset(void)
{
    D.status = 0;
    D.isr = 0;
    D.dev_sel = D.drv_sel = D.queue_sel = 0;
    for (int i = 0; i < 2; i++) {
        uint32_t align = D.q[i].align;
        memset(&D.q[i], 0, sizeof(D.q[i]));
        D.q[i].align = align ? align : 4096;
    }
}

/* Sane service of queue qi: answer every request there (the cursor queue with no payload). */
static void serve(uint32_t qi, uint8_t *buf, size_t cap)
{
    struct dev_q *q = &D.q[qi];
    uint64_t desc, avail, used;
    if (!q_rings(q, &desc, &avail, &used) || !(D.status & VIRTIO_STATUS_DRIVER_OK))
        return;
    uint16_t head;
    struct virtio_gpu_ctrl_hdr cmd;
    uint64_t waddr;
    uint32_t wlen;
    for (uint32_t k = 0; k < q->num && pop(q, desc, avail, &head, &cmd, &waddr, &wlen); k++) {
        uint32_t n = qi == VIRTIO_GPU_QUEUE_CURSOR ? 0 : sane_response(&cmd, buf, (uint32_t)cap);
        if (n > wlen)
            n = wlen;
        dev_write(waddr, buf, n);
        push_used(q, used, head, n);
    }
}

/* The device runs: one action per driver wait (the default when the input is spent: answer
 * everything). The action byte's top bit picks the queue a hostile action aims at. */
static void device_step(void)
{
    static uint8_t buf[2048];
    if (!fin_left(&D.dev)) {
        serve(VIRTIO_GPU_QUEUE_CONTROL, buf, sizeof(buf));
        serve(VIRTIO_GPU_QUEUE_CURSOR, buf, sizeof(buf));
        return;
    }
    uint8_t b = fin_u8(&D.dev);
    enum action act = (enum action)((b & 0x7f) % ACT_COUNT);
    struct dev_q *q = &D.q[b >> 7];
    uint64_t desc, avail, used;
    bool live = q_rings(q, &desc, &avail, &used) && (D.status & VIRTIO_STATUS_DRIVER_OK);
    switch (act) {
    case ACT_NOTHING:
        return;
    case ACT_SANE:
        serve(b >> 7, buf, sizeof(buf));
        return;
    case ACT_BAD_ANSWER:
    case ACT_BAD_LEN: {
        uint16_t head;
        struct virtio_gpu_ctrl_hdr cmd;
        uint32_t wlen;
        uint64_t waddr;
        if (!live || !pop(q, desc, avail, &head, &cmd, &waddr, &wlen))
            return;
        uint32_t n = sane_response(&cmd, buf, sizeof(buf));
        if (act == ACT_BAD_ANSWER) { /* arbitrary bytes, type and length */
            n = fin_u16(&D.dev) % (sizeof(buf) + 1);
            fin_bytes(&D.dev, buf, n);
        }
        if (n > wlen)
            n = wlen;
        dev_write(waddr, buf, n);
        push_used(q, used, head, fin_u32(&D.dev));
        return;
    }
    case ACT_USED_ELEM:
        if (live)
            push_used(q, used, fin_u32(&D.dev), fin_u32(&D.dev));
        return;
    case ACT_USED_IDX:
        if (live) {
            q->used_idx = fin_u16(&D.dev);
            dev_write(used + 2, &q->used_idx, 2);
            raise_irq(1);
        }
        return;
    case ACT_REWRITE_DESC:
        if (live) {
            uint8_t d[16];
            fin_bytes(&D.dev, d, sizeof(d));
            dev_write(desc + 16ull * (fin_u16(&D.dev) % q->num), d, sizeof(d));
        }
        return;
    case ACT_NEEDS_RESET:
        D.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
        raise_irq(2);
        return;
    case ACT_SELF_RESET:
        device_reset();
        return;
    case ACT_SCRIBBLE: { /* anywhere the device can reach: rings, request, response, framebuffer */
        if (!D.n_alloc)
            return;
        struct alloc *a = &D.a[fin_u8(&D.dev) % D.n_alloc];
        uint32_t off = fin_u16(&D.dev), n = fin_u8(&D.dev) % 17;
        if (!a->host || a->use == VHAL_DMA_PRIVATE || off >= a->size)
            return;
        if (n > a->size - off)
            n = (uint32_t)(a->size - off);
        fin_bytes(&D.dev, a->host + off, n);
        return;
    }
    case ACT_CONFIG:
        D.num_scanouts = fin_u32(&D.dev);
        D.events_read |= VIRTIO_GPU_EVENT_DISPLAY;
        D.cfg_gen++;
        raise_irq(2);
        return;
    case ACT_SPURIOUS_IRQ: /* the line rises with nothing to report */
        D.irq_edges++;
        return;
    case ACT_TWICE:
        if (live && q->completed_any)
            push_used(q, used, q->last_head, fin_u32(&D.dev));
        return;
    case ACT_COUNT:
        return;
    }
}

/* ---- the register window ----------------------------------------------------------------- */

static uint32_t check_off(uintptr_t addr, const char *what)
{
    if (addr < MMIO_BASE || addr - MMIO_BASE >= VIRTIO_MMIO_WINDOW_SIZE || addr % 4)
        finding("%s at 0x%llx: outside the register window or unaligned", what,
                (unsigned long long)addr);
    return (uint32_t)(addr - MMIO_BASE);
}

static uint32_t sane_read(uint32_t off)
{
    struct dev_q *q = D.queue_sel < 2 ? &D.q[D.queue_sel] : NULL;
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return D.version;
    case VIRTIO_MMIO_DEVICE_ID: return VIRTIO_ID_GPU;
    case VIRTIO_MMIO_VENDOR_ID: return 0x554d4551u;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (D.version == 1)
            return D.dev_sel ? 0 : (uint32_t)D.offered;
        return D.dev_sel ? (uint32_t)(D.offered >> 32) : (uint32_t)D.offered;
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? D.num_max : 0;
    case VIRTIO_MMIO_QUEUE_PFN: return q && D.version == 1 ? q->pfn : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q && D.version == 2 ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return D.isr;
    case VIRTIO_MMIO_STATUS: return D.status;
    case VIRTIO_MMIO_CONFIG_GENERATION: return D.cfg_gen;
    case VIRTIO_MMIO_CONFIG + 0: return D.events_read;
    case VIRTIO_MMIO_CONFIG + 8: return D.num_scanouts;
    default: return 0;
    }
}

uint32_t vhal_mmio_read32(uintptr_t addr)
{
    tick(MMIO_ACCESS_NS);
    uint32_t off = check_off(addr, "register read");
    uint32_t v = sane_read(off);
    bool chaos = off >= VIRTIO_MMIO_CONFIG ? D.chaos_config : D.chaos_mmio;
    if (chaos && (fin_u8(&D.dev) & 1))
        v = fin_u32(&D.dev);
    if (off == VIRTIO_MMIO_DEVICE_FEATURES)
        D.offered_seen[D.dev_sel & 1] = v;
    if (off == VIRTIO_MMIO_STATUS)
        D.status_view = v;
    return v;
}

void vhal_mmio_write32(uintptr_t addr, uint32_t v)
{
    tick(MMIO_ACCESS_NS);
    uint32_t off = check_off(addr, "register write");
    struct dev_q *q = D.queue_sel < 2 ? &D.q[D.queue_sel] : NULL;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: D.dev_sel = v; return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: D.drv_sel = v; return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (D.drv_sel < 2 && (v & ~D.offered_seen[D.drv_sel]))
            finding("accepted features 0x%08x in word %u, offered only 0x%08x (§2.2.1)", v,
                    D.drv_sel, D.offered_seen[D.drv_sel]);
        if (D.drv_sel == 1) /* §4.2.3.3: with NOTIFICATION_DATA the queue is QueueNotify's vqn */
            D.notify_data = v >> (VIRTIO_F_NOTIFICATION_DATA - 32) & 1u;
        return;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE: D.page_size = v; return;
    case VIRTIO_MMIO_QUEUE_SEL: D.queue_sel = v; return;
    case VIRTIO_MMIO_QUEUE_NUM: if (q) q->num = v; return;
    case VIRTIO_MMIO_QUEUE_ALIGN: if (q) q->align = v; return;
    case VIRTIO_MMIO_QUEUE_PFN: if (q) q->pfn = v; return;
    case VIRTIO_MMIO_QUEUE_READY: if (q) q->ready = v; return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: if (q) q->desc = (q->desc & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: if (q) q->desc = (q->desc & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: if (q) q->driver = (q->driver & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: if (q) q->driver = (q->driver & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: if (q) q->device = (q->device & ~0xffffffffull) | v; return;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: if (q) q->device = (q->device & 0xffffffffull) | (uint64_t)v << 32; return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (D.notify_data)
            v &= 0xffffu;
        if (v > VIRTIO_GPU_QUEUE_CURSOR)
            finding("notified queue %u; a gpu has queues 0 and 1", v);
        return;
    case VIRTIO_MMIO_CONFIG + 4: /* events_clear */
        D.events_read &= ~v;
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK: D.isr &= ~v; return;
    case VIRTIO_MMIO_STATUS:
        if (v == 0) {
            D.status_view = D.status_set = 0;
            device_reset();
            return;
        }
        { /* §2.1.1: a bit the driver set since the reset, and last saw still set (read back
           * or written), stays set. (A device may refuse FEATURES_OK, or lie in a read.) */
            uint32_t held = D.status_view & D.status_set;
            if (held & ~v)
                finding("status written 0x%02x clears bits of 0x%02x without a reset (§2.1.1)",
                        v, held);
        }
        D.status = D.status_view = v;
        D.status_set |= v & (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |
                             VIRTIO_STATUS_FAILED);
        if ((v & VIRTIO_STATUS_FEATURES_OK) && D.refuse_features)
            D.status &= ~VIRTIO_STATUS_FEATURES_OK;
        return;
    default:
        return; /* config space and read-only registers: ignored */
    }
}

/* ---- ring accessors, barriers, time ------------------------------------------------------ */

static volatile void *ring_mem(const volatile void *p, size_t len)
{
    tick(0);
    struct alloc *a = alloc_of_host(p, len);
    if (!a || a->use != VHAL_DMA_RING)
        finding("ring accessor on %zu bytes that are not inside a ring allocation", len);
    return (volatile void *)(uintptr_t)p;
}

uint16_t vhal_ring_load16(const volatile uint16_t *p) { return *(volatile uint16_t *)ring_mem(p, 2); }
uint32_t vhal_ring_load32(const volatile uint32_t *p) { return *(volatile uint32_t *)ring_mem(p, 4); }
void vhal_ring_store16(volatile uint16_t *p, uint16_t v) { *(volatile uint16_t *)ring_mem(p, 2) = v; }
void vhal_ring_store32(volatile uint32_t *p, uint32_t v) { *(volatile uint32_t *)ring_mem(p, 4) = v; }
void vhal_ring_store64(volatile uint64_t *p, uint64_t v) { *(volatile uint64_t *)ring_mem(p, 8) = v; }

uint32_t vhal_irq_take(void)
{
    tick(0);
    uint32_t n = D.irq_edges - D.irq_taken;
    D.irq_taken = D.irq_edges;
    return n;
}

void vhal_mb(void) { tick(0); }
void vhal_rmb(void) { tick(0); }
void vhal_wmb(void) { tick(0); }

uint64_t vhal_now_ns(void)
{
    tick(0);
    return D.now;
}

void vhal_delay_ns(uint64_t ns)
{
    tick(ns ? ns : 1);
    device_step();
}

/* ---- the harness: the kernel calling the driver ------------------------------------------ */

static void check_queue(const struct virtq *vq)
{
    if (!vq->state)
        return;
    if (vq->num_free > vq->num)
        finding("%u free descriptors in a queue of %u", vq->num_free, vq->num);
    if (vq->in_order) { /* IN_ORDER: the chains in flight lie back to back from `oldest` */
        uint32_t busy = 0, i = vq->oldest;
        while (busy < (uint32_t)(vq->num - vq->num_free)) {
            if (!vq->state[i].token || vq->state[i].chain_len == 0)
                finding("in-order queue: descriptor %u should head a chain in flight", i);
            busy += vq->state[i].chain_len;
            i = (i + vq->state[i].chain_len) % vq->num;
        }
        if (busy != (uint32_t)(vq->num - vq->num_free) || i != vq->next_seq)
            finding("in-order queue: chains in flight do not end where the next one starts");
        return;
    }
    uint8_t seen[256] = {0}; /* queue sizes here are below 256 */
    uint16_t i = vq->free_head;
    for (uint32_t k = 0; k < vq->num_free; k++) {
        if (i >= vq->num || seen[i])
            finding("free list broken at step %u (descriptor %u)", k, i);
        seen[i] = 1;
        i = vq->state[i].next;
    }
    for (uint32_t h = 0; h < vq->num; h++)
        if (vq->state[h].token && seen[h])
            finding("descriptor %u is both free and the head of a request in flight", h);
}

/* FUZZ_VERBOSE=1 in the environment: say what each call returned (to check a seed does what it
 * is meant to). */
static bool verbose(void)
{
    static int v = -1;
    if (v < 0)
        v = getenv("FUZZ_VERBOSE") != NULL;
    return v;
}

/* After a call: rc is a status the driver defines; both queues' free lists are sound; and a
 * control command (ctrl) that succeeded left nothing in flight and, for want_type != 0, had an
 * answer of that type and at least min_len bytes. */
static void check_result_q(struct vgpu *g, int rc, bool ctrl, uint32_t want_type, uint32_t min_len)
{
    if (verbose())
        fprintf(stderr, "  -> %s (response 0x%x, used.len %u, t=%llu ns)\n", vgpu_status_name(rc),
                g->last_resp_type, g->last_used_len, (unsigned long long)D.now);
    if (rc > 0 || strcmp(vgpu_status_name(rc), "unknown-error") == 0)
        finding("returned %d, not a driver status", rc);
    check_queue(&g->ctrl);
    check_queue(&g->cursorq);
    if (ctrl && (rc == VIRTIO_ERR_TIMEOUT || rc == VIRTIO_ERR_BAD_USED))
        D.ctrl_failed = true;
    if (rc != VIRTIO_OK || !ctrl)
        return;
    /* Its buffers may still be the device's, or the device is broken: nothing may succeed on the
     * control queue before the driver is initialised again. */
    if (D.ctrl_failed)
        finding("a control command succeeded after a timeout or a bad used element, with no "
                "new init");
    if (g->ctrl.num_free != g->ctrl.num)
        finding("success with %u of %u descriptors still in flight", g->ctrl.num - g->ctrl.num_free,
                g->ctrl.num);
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++)
        if (g->slot[i].busy)
            finding("success with request slot %u still waiting for its answer", i);
    if (!want_type)
        return; /* several commands or no payload: the queue checks above are what holds */
    if (g->last_used_len < min_len)
        finding("success on an answer of %u bytes (needs %u)", g->last_used_len, min_len);
    if (g->last_resp_type != want_type)
        finding("success on response type 0x%x (wanted 0x%x)", g->last_resp_type, want_type);
}

static void check_result(struct vgpu *g, int rc, uint32_t want_type, uint32_t min_len)
{
    check_result_q(g, rc, true, want_type, min_len);
}

static void check_other(struct vgpu *g, int rc) /* not a control command */
{
    check_result_q(g, rc, false, 0, 0);
}

static struct virtio_gpu_rect rect(struct fin *in)
{
    struct virtio_gpu_rect r = {fin_u16(in), fin_u16(in), fin_u16(in), fin_u16(in)};
    return r;
}

/* VirtIO 1.2's calls (gpu_blob_uuid.c), where RESOURCE_BLOB / RESOURCE_UUID were negotiated:
 * 20 a blob of 1..4 guest-memory entries, 21 a blob shown on a scanout, 22 a resource's UUID. */
static void call_1_2(struct vgpu *g, uint8_t op, uint32_t id)
{
    int rc;
    if (op == 20) {
        struct virtio_gpu_mem_entry e[4];
        uint32_t n = 1 + fin_u8(&D.in) % 4;
        for (uint32_t i = 0; i < n; i++)
            e[i] = (struct virtio_gpu_mem_entry){fin_u32(&D.in), fin_u16(&D.in), 0};
        rc = vgpu_resource_create_blob(g, id, fin_u16(&D.in), e, n);
        check_result(g, rc, VIRTIO_GPU_RESP_OK_NODATA, sizeof(struct virtio_gpu_ctrl_hdr));
    } else if (op == 21) {
        struct vgpu_blob_scanout b = {fin_u8(&D.in) % 2, id, fin_u8(&D.in), fin_u16(&D.in),
                                      fin_u16(&D.in), fin_u16(&D.in), fin_u16(&D.in),
                                      rect(&D.in)};
        rc = vgpu_set_scanout_blob(g, &b);
        check_result(g, rc, VIRTIO_GPU_RESP_OK_NODATA, sizeof(struct virtio_gpu_ctrl_hdr));
    } else {
        uint8_t uuid[16];
        rc = vgpu_assign_uuid(g, id, uuid);
        check_result(g, rc, VIRTIO_GPU_RESP_OK_RESOURCE_UUID,
                     sizeof(struct virtio_gpu_resp_resource_uuid));
    }
}

static int init(struct vgpu *g, const struct vgpu_config *cfg)
{
    int rc = vgpu_init(g, cfg);
    /* g->t: NULL when vgpu_init refused its arguments before touching g (virtio_gpu.h) */
    static const struct virtio_transport none;
    const struct virtio_transport *t = g->t ? g->t : &none;
    if (verbose())
        fprintf(stderr, "init v%u -> %s (features 0x%llx)\n", D.version, vgpu_status_name(rc),
                (unsigned long long)t->features);
    if (rc > 0 || strcmp(vgpu_status_name(rc), "unknown-error") == 0)
        finding("vgpu_init returned %d, not a driver status", rc);
    if (t->features & ~t->device_features)
        finding("negotiated 0x%llx, offered 0x%llx (§2.2.1)",
                (unsigned long long)t->features, (unsigned long long)t->device_features);
    check_queue(&g->ctrl);
    check_queue(&g->cursorq);
    if (rc == VIRTIO_OK)
        D.ctrl_failed = false;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&D, 0, sizeof(D));
    struct fin all = {data, size};
    uint16_t kernel_len = fin_u16(&all);
    D.in = fin_split(&all, kernel_len);
    D.dev = all;
    D.next_phys = PHYS_BASE;
    D.q[0].align = D.q[1].align = 4096;
    D.num_scanouts = 1;

    uint8_t flags = fin_u8(&D.in);
    D.version = flags & 1 ? 1 : 2;
    D.chaos_mmio = flags & 2;
    D.chaos_config = flags & 4;
    D.refuse_features = flags & 8;
    uint8_t qs = fin_u8(&D.in);
    uint8_t nm = fin_u8(&D.in);
    D.num_max = nm ? (uint32_t)nm * 4u : 1024u;
    D.offered = ((1ull << VIRTIO_GPU_F_EDID) | (1ull << VIRTIO_F_NOTIFY_ON_EMPTY) |
                 (1ull << VIRTIO_GPU_F_RESOURCE_BLOB) | (1ull << VIRTIO_GPU_F_RESOURCE_UUID) |
                 (1ull << VIRTIO_F_ANY_LAYOUT) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                 (1ull << VIRTIO_RING_F_EVENT_IDX) |
                 (D.version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0)) ^ fin_u64(&D.in);
    struct vgpu_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mmio_base = MMIO_BASE;
    cfg.queue_size = qs ? qs : 16;
    cfg.layout = flags & 16 ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SEPARATE;
    cfg.wait = flags & 32 ? VGPU_WAIT_INTERRUPT : VGPU_WAIT_POLL;
    cfg.fences = flags & 64;
    cfg.cursor = flags & 128;
    cfg.features = fin_u64(&D.in);
    uint8_t al = fin_u8(&D.in);
    cfg.legacy_align = al ? 1u << (al % 17) : 4096;
    cfg.timeout_ns = TIMEOUT_NS;
    D.fail_alloc = fin_u8(&D.in) % 16;

    static struct vgpu g; /* large; static keeps it off the fuzzer's stack */
    memset(&g, 0, sizeof(g));
    bool up = init(&g, &cfg) == VIRTIO_OK;
    uint32_t inits = 1;
    int rc;
    uint64_t fb_phys = 0;
    static struct gpu_fb fb;
    memset(&fb, 0, sizeof(fb));
    for (uint32_t call = 0; call < MAX_CALLS && fin_left(&D.in); call++) {
        uint8_t raw = fin_u8(&D.in); /* 240..255: the 1.2 calls (gpu_blob_uuid.c) */
        uint8_t op = raw >= 240 ? 20 + raw % 3 : raw % 20;
        if (!up && op != 7)
            continue; /* the driver is not up: only a new init makes sense */
        uint32_t id = fin_u8(&D.in);
        if (verbose())
            fprintf(stderr, "call %u: op %u id %u\n", call, op, id);
        if (op == 11) { /* a batch of commands in flight together */
            vgpu_batch_begin(&g);
            uint32_t n = 1 + fin_u8(&D.in) % VGPU_MAX_INFLIGHT;
            for (uint32_t i = 0; i < n; i++) {
                int r = fin_u8(&D.in) & 1 ? vgpu_resource_flush(&g, id, rect(&D.in))
                                          : vgpu_resource_create_2d(&g, id + i, 2, 64, 48);
                if (r > 0 || strcmp(vgpu_status_name(r), "unknown-error") == 0)
                    finding("queueing in a batch returned %d", r);
            }
            rc = vgpu_batch_end(&g); /* OK also when nothing could be queued */
            check_result(&g, rc, 0, 0);
            continue;
        }
        switch (op) {
        case 0: {
            struct virtio_gpu_resp_display_info info;
            rc = vgpu_get_display_info(&g, &info);
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_DISPLAY_INFO, sizeof(info));
            break;
        }
        case 1:
            rc = vgpu_resource_create_2d(&g, id, fin_u8(&D.in), fin_u16(&D.in), fin_u16(&D.in));
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 2: {
            if (!fb_phys && !vhal_dma_alloc(65536, 4096, VHAL_DMA_FRAMEBUFFER, &fb_phys))
                break;
            struct virtio_gpu_mem_entry e[4];
            uint32_t n = 1 + fin_u8(&D.in) % 4;
            for (uint32_t i = 0; i < n; i++)
                e[i] = (struct virtio_gpu_mem_entry){fb_phys + fin_u16(&D.in), fin_u16(&D.in), 0};
            rc = vgpu_attach_backing(&g, id, e, n);
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        }
        case 3:
            rc = vgpu_set_scanout(&g, fin_u8(&D.in) % 2, id, rect(&D.in));
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 4:
            rc = vgpu_transfer_to_host_2d(&g, id, rect(&D.in), fin_u32(&D.in));
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 5:
            rc = vgpu_resource_flush(&g, id, rect(&D.in));
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 6: /* the kernel polls the queue between requests */
            if (g.ctrl.state)
                (void)vq_has_used(&g.ctrl);
            break;
        case 7: /* the kernel gives up on the device and initialises it again */
            if (inits++ < MAX_INITS) {
                memset(&fb, 0, sizeof(fb)); /* the old framebuffer went with the device */
                up = init(&g, &cfg) == VIRTIO_OK;
            }
            break;
        case 8:
            rc = vgpu_resource_unref(&g, id);
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 9:
            rc = vgpu_detach_backing(&g, id);
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_NODATA, 24);
            break;
        case 10: {
            uint8_t edid[256];
            uint32_t esize = 0, w = 0, h = 0;
            rc = vgpu_get_edid(&g, id % 2, edid, sizeof(edid), &esize);
            check_result(&g, rc, VIRTIO_GPU_RESP_OK_EDID, sizeof(struct virtio_gpu_resp_edid));
            if (rc == VIRTIO_OK)
                (void)vgpu_edid_preferred_mode(edid, esize < sizeof(edid) ? esize : sizeof(edid),
                                               &w, &h);
            break;
        }
        case 12: {
            uint32_t events = 0;
            rc = vgpu_handle_config_event(&g, &events);
            check_other(&g, rc);
            break;
        }
        case 13:
            rc = vgpu_update_cursor(&g, id % 2, fin_u8(&D.in), fin_u16(&D.in), fin_u16(&D.in),
                                    fin_u8(&D.in), fin_u8(&D.in));
            check_other(&g, rc);
            break;
        case 14:
            rc = vgpu_move_cursor(&g, id % 2, fin_u16(&D.in), fin_u16(&D.in));
            check_other(&g, rc);
            break;
        case 15:
            rc = vgpu_reset(&g);
            check_other(&g, rc);
            break;
        case 16: /* the framebuffer API: a mode (small, so it fits the 64 KiB test allocations) */
            rc = gpu_fb_set_mode(&fb, &g, id % 2, 1 + fin_u8(&D.in) % 8, 1 + fin_u8(&D.in) % 64,
                                 1 + fin_u8(&D.in) % 64);
            check_other(&g, rc); /* may send nothing: no claim about the queue */
            break;
        case 17:
            if (fb.id)
                gpu_fb_fill_rect(&fb, fin_u8(&D.in), fin_u8(&D.in), fin_u8(&D.in), fin_u8(&D.in),
                                 fin_u32(&D.in));
            break;
        case 18:
            if (fb.id) {
                rc = gpu_fb_present(&fb);
                check_other(&g, rc); /* may send nothing: no claim about the queue */
            }
            break;
        case 19:
            if (fb.id) {
                rc = gpu_fb_disable(&fb);
                check_other(&g, rc); /* may send nothing: no claim about the queue */
            }
            break;
        default:
            call_1_2(&g, op, id);
            break;
        }
        /* A failed command must leave the driver either usable or refusing cleanly: go on. */
    }
    for (uint32_t i = 0; i < D.n_alloc; i++)
        free(D.a[i].host);
    return 0;
}
