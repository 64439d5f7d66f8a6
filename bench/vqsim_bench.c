/* vqsim_bench.c — how fast the simulator is, as ratios measured in one run (issue 10).
 *
 * Tables (bench/README.md explains each figure and how to reproduce it with public tools):
 *   1 round trip   real driver + device model, checks on / checks off, versus a bare ring
 *   2 transfer     TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of 1920x1080x32 frames versus memcpy
 *   3 suite        (printed by bench/bench.sh: it needs the vqsim binary and, if present, QEMU)
 *   4 scaling      round trip against queue size and chain length; RSS against guest RAM size
 *   5 barriers     the record path of ring accesses and barriers versus the plain path
 *
 * This is the one place that reads a wall clock: the model itself runs on virtual time. Every
 * figure is the best of REPS repetitions (a shared 2-core machine is noisy; the minimum is the
 * least disturbed run). Every loop checks its outcome (requests answered, pixels on the display)
 * so a broken path cannot pass for a fast one.
 *
 * Build: `make bench` (its own CMake configuration: -O2, no sanitizers).
 * Usage: vqsim-bench [--scale F] [--only LIST]   F multiplies every iteration count (default 1);
 *        LIST is a comma list of table numbers (1,2,4,5).
 *        vqsim-bench --count floor|off|on N [QSIZE [CHAIN]]   N round trips of one path (queue
 *        of QSIZE entries, default 256; chains of CHAIN descriptors, default 1), nothing printed
 *        (for instruction counters: bench/callgrind.sh). off-packed, on-packed, off-pci, on-pci:
 *        the same on a packed ring, on virtio-pci.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/hal_sim.h"
#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "driver/virtio_mmio.h"
#include "driver/virtio_pci.h"
#include "driver/virtqueue.h"
#include "model/checks/barrier_check.h"
#include "model/devices/gpu_device.h"
#include "model/machine.h"
#include "spec/rules.h"

#define RAM_BASE 0x40000000ull
#define PCI_MEM_BASE 0x10000000ull /* the window BARs are assigned from (QEMU virt's, as the
                                    * scenarios' harness/scenario.h SCN_PCI_MEM_BASE) */
#define PCI_MEM_SIZE 0x2eff0000ull
#define PCI_CURSOR_QUEUE 16u        /* the cursor queue's size on virtio-gpu-pci (QEMU's) */
#define MMIO_BASE 0x0a000000ull
#define REPS 5
#define CURSOR_CMD_BYTES 56u /* §5.7.6.10 struct virtio_gpu_update_cursor */

static double scale = 1.0;
static const struct rule_catalogue *catalogue;

/* Heap allocations anywhere in the process (the model and driver included): the bench binary
 * is linked with --wrap for malloc, calloc and realloc (CMakeLists.txt), so a measured loop can
 * prove it allocates nothing per request. */
static uint64_t n_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n) { n_allocs++; return __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { n_allocs++; return __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { n_allocs++; return __real_realloc(p, n); }
static uint64_t loop_allocs; /* allocations inside measured loops (after warm-up) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t iters(double base)
{
    double n = base * scale;
    return n < 1 ? 1 : (uint64_t)n;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "vqsim-bench: %s failed (%d)\n", what, rc);
    exit(1);
}

/* ---------------------------------------------------------------------------------------------
 * The rig: a machine, the driver's transport, and one queue (the cursor queue, 1: the device
 * pops each chain and pushes it back used with length 0, so a round trip is pure ring work).
 */
struct rig {
    struct machine m;
    struct vmmio mmio;
    struct virtq vq;
    struct virtq ctrl; /* queue 0, set up through the registers when queue 1 is made directly */
    void *buf;
    uint64_t buf_phys;
    struct vpci pci;             /* rig_opts.pci: the transport, probed on the PCI function */
    struct virtio_transport *t;  /* rig_opts.pci: &pci.t (NULL: virtio-mmio, through mmio) */
};

struct rig_opts {
    uint64_t ram;
    bool checks_off;
    enum bc_mode ring_access;  /* how the barrier analysis learns ring accesses (barrier_check.h) */
    size_t trace_limit;
    uint32_t qsize;
    uint32_t width, height; /* display */
    bool packed;            /* VIRTIO_F_RING_PACKED offered and accepted: a packed ring (§2.7) */
    bool pci;               /* the device on virtio-pci (§4.1) instead of virtio-mmio */
};

/* rig_init on virtio-pci: probe the function, assign its BARs, set the cursor queue up through
 * the common configuration (queue sizes up to the device's maximum only). */
static void rig_init_pci(struct rig *r, const struct rig_opts *o)
{
    const struct vpci_window win = {(uintptr_t)PCI_MEM_BASE, PCI_MEM_SIZE};
    int rc;
    if ((rc = vpci_probe(&r->pci, PCI_FN_BDF, &win, 1000000000ull)))
        die("vpci_probe", rc);
    r->t = &r->pci.t;
    if ((rc = vtr_begin_init(r->t)) ||
        (rc = vtr_negotiate(r->t, o->packed ? 1ull << VIRTIO_F_RING_PACKED : 0)) ||
        (rc = vtr_setup_queue(r->t, &r->vq, VIRTIO_GPU_QUEUE_CURSOR, (uint16_t)o->qsize,
                              VQ_LAYOUT_SEPARATE, 4096)) ||
        (rc = vtr_driver_ok(r->t)))
        die("driver init (pci)", rc);
}

static void rig_init(struct rig *r, const struct rig_opts *o)
{
    memset(r, 0, sizeof(*r));
    struct machine_config cfg = {
        .ram_base = RAM_BASE, .ram_size = o->ram, .mmio_base = MMIO_BASE, .transport_version = 2,
        .display_width = o->width ? o->width : 64, .display_height = o->height ? o->height : 64,
        .device_latency_ns = 0, .profile = PROFILE_QEMU, .trace_limit = o->trace_limit,
        .checks_off = o->checks_off, .ring_access = o->ring_access,
        .offer_add = o->packed ? 1ull << VIRTIO_F_RING_PACKED : 0,
        .transport = o->pci ? TRANSPORT_PCI : TRANSPORT_MMIO};
    if (machine_init(&r->m, &cfg, catalogue) != 0)
        die("machine_init", -1);
    hal_sim_bind(&r->m);
    int rc;
    if (o->pci) {
        rig_init_pci(r, o);
        goto command;
    }
    if ((rc = vmmio_probe(&r->mmio, (uintptr_t)MMIO_BASE, 1000000000ull)) ||
        (rc = vmmio_begin_init(&r->mmio)) ||
        (rc = vmmio_negotiate(&r->mmio, o->packed ? 1ull << VIRTIO_F_RING_PACKED : 0)))
        die("driver init", rc);
    if (o->qsize <= MMIO_QUEUE_NUM_MAX) {
        rc = vmmio_setup_queue(&r->mmio, &r->vq, VIRTIO_GPU_QUEUE_CURSOR, (uint16_t)o->qsize,
                               VQ_LAYOUT_SEPARATE, 4096);
        if (rc)
            die("vmmio_setup_queue", rc);
    } else {
        /* Past QueueNumMax (1024, as QEMU): the driver builds the ring and the device side is
         * made live directly, as if the device allowed the size. The control queue is set up
         * the ordinary way, so DRIVER_OK finds a queue handed to the device (§3.1.1 step 7). */
        rc = vmmio_setup_queue(&r->mmio, &r->ctrl, VIRTIO_GPU_QUEUE_CONTROL, 64,
                               VQ_LAYOUT_SEPARATE, 4096);
        if (rc)
            die("vmmio_setup_queue (control)", rc);
        rc = vq_create(&r->vq, VIRTIO_GPU_QUEUE_CURSOR, (uint16_t)o->qsize, VQ_LAYOUT_SEPARATE, 0);
        if (rc)
            die("vq_create", rc);
        r->m.dev.q[VIRTIO_GPU_QUEUE_CURSOR].num = o->qsize;
        struct dev_queue *dq = &r->m.dev.q[VIRTIO_GPU_QUEUE_CURSOR];
        ring_configure(dq, dq->num, r->vq.desc_phys, r->vq.avail_phys, r->vq.used_phys);
    }
    if ((rc = vmmio_driver_ok(&r->mmio)))
        die("vmmio_driver_ok", rc);
command:
    /* A well-formed cursor command (MOVE_CURSOR to 0,0) in a 4 KiB request buffer. */
    r->buf = vhal_dma_alloc(4096, 64, VHAL_DMA_BUFFER, &r->buf_phys);
    if (!r->buf)
        die("vhal_dma_alloc", -1);
    struct virtio_gpu_ctrl_hdr *c = r->buf;
    c->type = VIRTIO_GPU_CMD_MOVE_CURSOR;
}

static void rig_destroy(struct rig *r)
{
    hal_sim_unbind();
    machine_destroy(&r->m);
}

/* `n` round trips with chains of `chain` descriptors; returns seconds. Each: vq_add, publish
 * (vq_kick_prepare), QueueNotify, the device pops and pushes used (it runs when the driver next
 * waits: vhal_delay_ns), the driver reclaims (vq_get_used). */
static double rig_round_trips(struct rig *r, unsigned chain, uint64_t n)
{
    struct vq_buf b[64];
    uint32_t cmd = CURSOR_CMD_BYTES;
    for (unsigned k = 0; k < chain; k++) {
        b[k].phys = r->buf_phys + (k ? cmd + 16u * k : 0);
        b[k].len = k ? 16 : cmd;
    }
    uint32_t pops0 = r->m.dev.q[VIRTIO_GPU_QUEUE_CURSOR].pops;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        int rc = vq_add(&r->vq, b, chain, NULL, 0, r->buf);
        if (rc)
            die("vq_add", rc);
        if (vq_kick_prepare(&r->vq)) {
            if (r->t)
                vtr_notify(r->t, VIRTIO_GPU_QUEUE_CURSOR);
            else
                vmmio_notify(&r->mmio, VIRTIO_GPU_QUEUE_CURSOR);
        }
        vhal_delay_ns(1);
        void *tok = NULL;
        uint32_t len = 1;
        rc = vq_get_used(&r->vq, &tok, &len);
        if (rc || tok != r->buf || len != 0)
            die("vq_get_used", rc);
    }
    double t = now_s() - t0;
    uint32_t pops = r->m.dev.q[VIRTIO_GPU_QUEUE_CURSOR].pops - pops0;
    if (pops != (uint32_t)n || r->m.n_violations || r->m.dev.broken) {
        for (uint32_t i = 0; i < r->m.n_violations; i++)
            fprintf(stderr, "vqsim-bench: violation %s: %s\n", r->m.violations[i].rule->id,
                    r->m.violations[i].message);
        die("round trip outcome (pops, violations)", (int)r->m.n_violations);
    }
    return t;
}

static double rt_once(const struct rig_opts *o, unsigned chain, uint64_t n)
{
    struct rig *r = malloc(sizeof(*r));
    if (!r)
        die("malloc", -1);
    rig_init(r, o);
    rig_round_trips(r, chain, n / 16 + 1); /* warm the caches and the trace array… */
    while (!o->checks_off && r->m.trace.cap < r->m.trace.limit) /* …until it stops growing */
        rig_round_trips(r, chain, 1024);
    uint64_t a0 = n_allocs;
    double t = rig_round_trips(r, chain, n);
    loop_allocs += n_allocs - a0;
    rig_destroy(r);
    free(r);
    return t * 1e9 / (double)n;
}

/* ns per round trip for k configurations, measured round-robin (each repetition measures every
 * configuration once, on a fresh machine) and the best of REPS kept: on a shared machine a burst
 * of load then hits all configurations alike instead of skewing one ratio. */
static void rt_ns_k(const struct rig_opts *const *o, int k, unsigned chain, uint64_t n,
                    double *out)
{
    for (int i = 0; i < k; i++)
        out[i] = 1e30;
    for (int rep = 0; rep < REPS; rep++)
        for (int i = 0; i < k; i++) {
            double t = rt_once(o[i], chain, n);
            if (t < out[i])
                out[i] = t;
        }
}

/* ---------------------------------------------------------------------------------------------
 * The floor: a bare split ring in plain memory that only copies indices — the same ring format,
 * one chain per round trip, no trace, no HAL, no checks. Volatile accesses keep every load and
 * store; this is what a round trip costs with nothing in the way.
 */
struct bare_ring {
    struct virtq_desc desc[1024];
    uint16_t avail_idx;
    uint16_t avail_ring[1024];
    uint16_t used_idx;
    struct virtq_used_elem used[1024];
    uint16_t next_free[1024];
};

static double floor_once(uint64_t n)
{
    static struct bare_ring ring;
    struct bare_ring *r = &ring;
    const uint16_t num = 1024;
    for (uint16_t i = 0; i < num; i++)
        r->next_free[i] = (uint16_t)((i + 1) % num);
    uint16_t free_head = 0, avail = 0, last_avail = 0, used = 0, last_used = 0;
    volatile uint16_t *avail_idx = &r->avail_idx, *used_idx = &r->used_idx;
    uint64_t sum = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        /* driver: add + publish */
        uint16_t head = free_head;
        free_head = r->next_free[head];
        volatile struct virtq_desc *d = &r->desc[head];
        d->addr = i;
        d->len = 64;
        d->flags = 0;
        ((volatile uint16_t *)r->avail_ring)[avail % num] = head;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        *avail_idx = ++avail;
        /* device: pop + push */
        if (*avail_idx != last_avail) {
            uint16_t h = ((volatile uint16_t *)r->avail_ring)[last_avail % num];
            last_avail++;
            sum += ((volatile struct virtq_desc *)&r->desc[h])->len;
            volatile struct virtq_used_elem *e = &r->used[used % num];
            e->id = h;
            e->len = 0;
            __atomic_thread_fence(__ATOMIC_RELEASE);
            *used_idx = ++used;
        }
        /* driver: reclaim */
        if (*used_idx != last_used) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            uint16_t id = (uint16_t)((volatile struct virtq_used_elem *)&r->used[last_used % num])->id;
            last_used++;
            r->next_free[id] = free_head;
            free_head = id;
        }
    }
    double t = now_s() - t0;
    if (last_used != (uint16_t)n || sum != 64 * n)
        die("floor outcome", (int)last_used);
    return t;
}

static double floor_ns(uint64_t n)
{
    double best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        floor_once(n / 16 + 1);
        double t = floor_once(n);
        if (t < best)
            best = t;
    }
    return best * 1e9 / (double)n;
}

static const char *verdict(bool met) { return met ? "met" : "NOT met"; }

/* Table 1's rows for the virtio-pci transport: the same round trip, the notification a write
 * to the queue's notify address in a BAR (§4.1.4.4) instead of QueueNotify, on a cursor queue of
 * 16 entries (its size on QEMU's virtio-gpu-pci, the most the device takes; the round trip does
 * not depend on the queue size: table 4); measured round-robin
 * between its checks-off and checks-on paths, compared with the split ring on virtio-mmio
 * (t_off, measured just before) and the floor. */
static void round_trip_pci_rows(uint64_t n, double t_off, double f)
{
    struct rig_opts on = {.ram = 256ull << 20, .qsize = PCI_CURSOR_QUEUE, .pci = true};
    struct rig_opts off = on;
    off.checks_off = true;
    const struct rig_opts *cfgs[2] = {&off, &on};
    double t[2];
    rt_ns_k(cfgs, 2, 1, n, t);
    printf("| virtio-pci (queue %u): driver + model, checks off | %.1f | %.2f | %.2fx | %.1fx |\n",
           PCI_CURSOR_QUEUE, t[0], 1e3 / t[0], t[0] / t_off, t[0] / f);
    printf("| virtio-pci (queue %u): driver + model, checks on | %.1f | %.2f | %.2fx | %.1fx |\n",
           PCI_CURSOR_QUEUE, t[1], 1e3 / t[1], t[1] / t_off, t[1] / f);
    printf("(virtio-pci checks on / its checks off: %.2fx)\n", t[1] / t[0]);
}

static void table_round_trip(void)
{
    uint64_t n = iters(1000000);
    struct rig_opts on = {.ram = 256ull << 20, .qsize = 256};
    struct rig_opts off = on, big = on, pk_off = on, pk_on = on;
    off.checks_off = true;
    big.trace_limit = 1u << 20; /* 16x the default: the trace no longer fits the caches */
    pk_off.packed = pk_on.packed = true; /* the same round trip over a packed ring (§2.7) */
    pk_off.checks_off = true;
    double f = floor_ns(n * 10);
    const struct rig_opts *cfgs[5] = {&off, &on, &big, &pk_off, &pk_on};
    double t[5];
    rt_ns_k(cfgs, 5, 1, n, t);
    double t_off = t[0], t_on = t[1], t_big = t[2], p_off = t[3], p_on = t[4];
    printf("\n## 1. Round trip (queue 256, 1-descriptor chains, %llu round trips, best of %d)\n\n",
           (unsigned long long)n, REPS);
    printf("| path | ns / round trip | M round trips/s | vs checks off | vs floor |\n");
    printf("|---|---:|---:|---:|---:|\n");
    printf("| floor: bare ring, indices only | %.1f | %.1f | | 1.0x |\n", f, 1e3 / f);
    printf("| driver + model, checks off | %.1f | %.2f | 1.00x | %.1fx |\n", t_off, 1e3 / t_off,
           t_off / f);
    printf("| driver + model, checks on (default trace bound, %u events) | %.1f | %.2f | %.2fx | %.1fx |\n",
           TRACE_DEFAULT_LIMIT, t_on, 1e3 / t_on, t_on / t_off, t_on / f);
    printf("| driver + model, checks on (trace bound %u events) | %.1f | %.2f | %.2fx | %.1fx |\n",
           1u << 20, t_big, 1e3 / t_big, t_big / t_off, t_big / f);
    printf("| packed ring: driver + model, checks off | %.1f | %.2f | %.2fx | %.1fx |\n", p_off,
           1e3 / p_off, p_off / t_off, p_off / f);
    printf("| packed ring: driver + model, checks on | %.1f | %.2f | %.2fx | %.1fx |\n", p_on,
           1e3 / p_on, p_on / t_off, p_on / f);
    round_trip_pci_rows(n, t_off, f);
    printf("\nheap allocations in the measured loops (%d x %llu round trips per path): %llu\n",
           REPS, (unsigned long long)n, (unsigned long long)loop_allocs);
    printf("\ntargets: checks on <= 2x checks off: %s (%.2fx); checks on <= 20x floor: %s (%.1fx)\n",
           verdict(t_on <= 2 * t_off), t_on / t_off, verdict(t_on <= 20 * f), t_on / f);
    printf("packed vs split round trip: checks off %.2fx, checks on %.2fx\n", p_off / t_off,
           p_on / t_on);
}

/* ---------------------------------------------------------------------------------------------
 * Transfer: full 1920x1080 B8G8R8X8 frames through the driver's vgpu_* calls and the model.
 */
#define FW 1920u
#define FH 1080u
#define FRAME_BYTES ((size_t)FW * FH * 4)

static double memcpy_s(uint8_t *dst, const uint8_t *src, uint64_t frames)
{
    double best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        memcpy(dst, src, FRAME_BYTES);
        double t0 = now_s();
        for (uint64_t i = 0; i < frames; i++) {
            memcpy(dst, src, FRAME_BYTES);
            __asm__ volatile("" : : "r"(dst) : "memory");
        }
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

static void table_transfer(void)
{
    uint64_t frames = iters(60);
    struct rig_opts o = {.ram = 256ull << 20, .qsize = 64, .width = FW, .height = FH};
    struct rig *r = malloc(sizeof(*r));
    if (!r)
        die("malloc", -1);
    memset(r, 0, sizeof(*r));
    struct machine_config cfg = {
        .ram_base = RAM_BASE, .ram_size = o.ram, .mmio_base = MMIO_BASE, .transport_version = 2,
        .display_width = FW, .display_height = FH, .device_latency_ns = 0,
        .profile = PROFILE_QEMU};
    if (machine_init(&r->m, &cfg, catalogue) != 0)
        die("machine_init", -1);
    hal_sim_bind(&r->m);
    struct vgpu g;
    struct vgpu_config gc = {.mmio_base = (uintptr_t)MMIO_BASE, .queue_size = 64,
                             .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                             .timeout_ns = 1000000000ull};
    int rc;
    if ((rc = vgpu_init(&g, &gc)))
        die("vgpu_init", rc);
    uint64_t fb_phys;
    uint8_t *fb = vhal_dma_alloc(FRAME_BYTES, 4096, VHAL_DMA_FRAMEBUFFER, &fb_phys);
    if (!fb)
        die("framebuffer alloc", -1);
    for (size_t i = 0; i < FRAME_BYTES; i += 4) { /* B,G,R,X: a gradient */
        fb[i] = (uint8_t)(i >> 2);
        fb[i + 1] = (uint8_t)(i >> 10);
        fb[i + 2] = 0x5a;
        fb[i + 3] = 0;
    }
    struct virtio_gpu_mem_entry e = {.addr = fb_phys, .length = (uint32_t)FRAME_BYTES};
    struct virtio_gpu_rect full = {0, 0, FW, FH};
    if ((rc = vgpu_resource_create_2d(&g, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, FW, FH)) ||
        (rc = vgpu_attach_backing(&g, 1, &e, 1)) || (rc = vgpu_set_scanout(&g, 0, 1, full)))
        die("gpu setup", rc);

    double best_tf = 1e30, best_t = 1e30, best_f = 1e30;
    /* Each transfer first changes the frame's first pixel: a transfer of the bytes the resource
     * already holds is compared, not copied (gpu_resources.c), and this row measures the copy. */
    for (int i = 0; i < 8; i++) /* warm-up: caches, and the trace array to its steady size */
        if ((fb[0] ^= 1, rc = vgpu_transfer_to_host_2d(&g, 1, full, 0)) ||
            (rc = vgpu_resource_flush(&g, 1, full)))
            die("transfer + flush", rc);
    uint64_t a0 = n_allocs;
    size_t cap0 = r->m.trace.cap;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_s();
        for (uint64_t i = 0; i < frames; i++)
            if ((fb[0] ^= 1, rc = vgpu_transfer_to_host_2d(&g, 1, full, 0)) ||
                (rc = vgpu_resource_flush(&g, 1, full)))
                die("transfer + flush", rc);
        double t1 = now_s();
        for (uint64_t i = 0; i < frames; i++)
            if ((fb[0] ^= 1, rc = vgpu_transfer_to_host_2d(&g, 1, full, 0)))
                die("transfer", rc);
        double t2 = now_s();
        for (uint64_t i = 0; i < frames; i++)
            if ((rc = vgpu_resource_flush(&g, 1, full)))
                die("flush", rc);
        double t3 = now_s();
        if (t1 - t0 < best_tf) best_tf = t1 - t0;
        if (t2 - t1 < best_t) best_t = t2 - t1;
        if (t3 - t2 < best_f) best_f = t3 - t2;
    }
    uint64_t frame_allocs = n_allocs - a0, trace_growths = 0;
    for (size_t c = cap0; c < r->m.trace.cap; c *= 2)
        trace_growths++; /* the trace array doubling on its way to its bound */
    /* The outcome: the display shows the guest's pixels (R,G,B from B,G,R,X). */
    const uint8_t *disp = gpu_scanout_pixels(gpu_of(&r->m), 0);
    size_t px = (size_t)(FH / 2) * FW + FW / 3;
    if (!disp || disp[px * 3] != 0x5a || disp[px * 3 + 1] != (uint8_t)(px >> 8) ||
        disp[px * 3 + 2] != (uint8_t)px)
        die("transfer outcome (display pixel)", -1);

    uint8_t *a = malloc(FRAME_BYTES), *b = malloc(FRAME_BYTES);
    if (!a || !b)
        die("malloc", -1);
    memset(a, 1, FRAME_BYTES);
    memset(b, 2, FRAME_BYTES);
    double t_mc = memcpy_s(b, a, frames);
    free(a);
    free(b);
    hal_sim_unbind();
    machine_destroy(&r->m);
    free(r);

    double bytes = (double)FRAME_BYTES * (double)frames;
    printf("\n## 2. Transfer (1920x1080 B8G8R8X8 = %zu bytes per frame, %llu frames, best of %d)\n\n",
           FRAME_BYTES, (unsigned long long)frames, REPS);
    printf("| path | ms / frame | GB/s (frame bytes) | vs memcpy |\n|---|---:|---:|---:|\n");
    printf("| memcpy of the frame | %.3f | %.2f | 1.00x |\n", t_mc * 1e3 / frames,
           bytes / t_mc / 1e9);
    printf("| TRANSFER_TO_HOST_2D only | %.3f | %.2f | %.2fx |\n", best_t * 1e3 / frames,
           bytes / best_t / 1e9, t_mc / best_t);
    printf("| RESOURCE_FLUSH only | %.3f | %.2f | %.2fx |\n", best_f * 1e3 / frames,
           bytes / best_f / 1e9, t_mc / best_f);
    printf("| TRANSFER_TO_HOST_2D + RESOURCE_FLUSH | %.3f | %.2f | %.2fx |\n",
           best_tf * 1e3 / frames, bytes / best_tf / 1e9, t_mc / best_tf);
    printf("\nheap allocations in the measured loops (%d x %llu frames x 4 commands): %llu, of which "
           "trace array growth (doubling towards its bound): %llu\n", REPS,
           (unsigned long long)frames, (unsigned long long)frame_allocs,
           (unsigned long long)trace_growths);
    printf("\ntarget: transfer + flush >= 0.7x memcpy: %s (%.2fx)\n", verdict(t_mc / best_tf >= 0.7),
           t_mc / best_tf);
}

/* ---------------------------------------------------------------------------------------------
 * Scaling: queue size, chain length, and memory against guest RAM size.
 */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* --rss MIB: in this fresh process (exec'd, so no heap pages left over from earlier tables),
 * the RSS growth of building a machine with MIB MiB of guest RAM, bringing the driver up and
 * running round trips. Prints KiB. */
static int rss_mode(uint64_t mib)
{
    long before = rss_kib();
    struct rig *r = malloc(sizeof(*r));
    struct rig_opts o = {.ram = mib << 20, .qsize = 256};
    if (!r)
        return 1;
    rig_init(r, &o);
    rig_round_trips(r, 1, iters(10000));
    printf("%ld\n", rss_kib() - before);
    return 0;
}

static long model_rss_kib(uint64_t mib)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "/proc/%d/exe --scale %g --rss %llu", (int)getpid(), scale,
             (unsigned long long)mib);
    FILE *p = popen(cmd, "r");
    long k = -1;
    if (!p)
        return -1;
    if (fscanf(p, "%ld", &k) != 1)
        k = -1;
    if (pclose(p) != 0)
        k = -1;
    return k;
}

static void table_scaling(void)
{
    uint64_t n = iters(200000);
    static const uint32_t sizes[] = {1, 4, 16, 64, 256, 1024, 4096, 16384, 32768};
    printf("\n## 4. Scaling (%llu round trips per row, best of %d)\n\n", (unsigned long long)n,
           REPS);
    printf("### Queue size (1-descriptor chains)\n\n");
    printf("| queue size | checks on ns/rt | checks off ns/rt | on/off |\n|---:|---:|---:|---:|\n");
    double first = 0, last = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct rig_opts on = {.ram = 256ull << 20, .qsize = sizes[i]};
        struct rig_opts off = on;
        off.checks_off = true;
        const struct rig_opts *cfgs[2] = {&on, &off};
        double t[2];
        rt_ns_k(cfgs, 2, 1, n, t);
        double a = t[0], b = t[1];
        if (!i)
            first = a;
        last = a;
        printf("| %u%s | %.1f | %.1f | %.2fx |\n", sizes[i],
               sizes[i] > MMIO_QUEUE_NUM_MAX ? " (direct)" : "", a, b, a / b);
    }
    printf("\nqueue 32768 / queue 1: %.2fx (flat = 1.0x)\n", last / first);

    static const unsigned chains[] = {1, 2, 4, 8, 16, 32, 64};
    printf("\n### Chain length (queue 1024)\n\n");
    printf("| descriptors | checks on ns/rt | ns/descriptor | checks off ns/rt | ns/descriptor |\n");
    printf("|---:|---:|---:|---:|---:|\n");
    double d2 = 0, d64 = 0;
    for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
        struct rig_opts on = {.ram = 256ull << 20, .qsize = 1024};
        struct rig_opts off = on;
        off.checks_off = true;
        uint64_t m = n / chains[i] + 1;
        const struct rig_opts *cfgs[2] = {&on, &off};
        double t[2];
        rt_ns_k(cfgs, 2, chains[i], m, t);
        double a = t[0], b = t[1];
        if (chains[i] == 2)
            d2 = a / chains[i];
        if (chains[i] == 64)
            d64 = a / chains[i];
        printf("| %u | %.1f | %.1f | %.1f | %.1f |\n", chains[i], a, a / chains[i], b,
               b / chains[i]);
    }
    printf("\nper descriptor, 64-chain / 2-chain: %.2fx (flat = 1.0x)\n", d64 / d2);

    static const unsigned ram_mib[] = {64, 256, 1024, 4096, 16384};
    printf("\n### Model memory against guest RAM (RSS growth: machine + driver init + %llu "
           "round trips)\n\n", (unsigned long long)iters(10000));
    printf("| guest RAM | RSS growth | of guest RAM |\n|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof(ram_mib) / sizeof(ram_mib[0]); i++) {
        long k = model_rss_kib(ram_mib[i]);
        if (k < 0)
            printf("| %u MiB | n/a | |\n", ram_mib[i]);
        else
            printf("| %u MiB | %.1f MiB | %.3f%% |\n", ram_mib[i], k / 1024.0,
                   100.0 * k / (ram_mib[i] * 1024.0));
    }
    printf("\nguest RAM is reserved, not touched (mmap MAP_NORESERVE): the growth is what the run "
           "touched, mostly the trace at its bound (%u events x %zu bytes = %.1f MiB)\n",
           TRACE_DEFAULT_LIMIT, sizeof(struct trace_event),
           TRACE_DEFAULT_LIMIT * (double)sizeof(struct trace_event) / (1 << 20));
}

/* ---------------------------------------------------------------------------------------------
 * Barrier tracking (src/model/checks/barrier_check.c): the analysis learns the driver's ring
 * accesses one of two ways. Accessors (the default, "record and check"): every vhal_ring_* call
 * is recorded in the trace and judged as it happens. Plain: the driver is taken to write ring
 * memory through plain pointers; ring accesses are neither recorded nor seen one by one, and
 * at each barrier and MMIO access the ring is compared with a snapshot. Checks off is the floor
 * under both. Each operation is one entry of `barrier_ops`, so a new path is one more entry.
 */
struct barrier_op {
    const char *name;
    double (*measure)(const struct rig_opts *o, uint64_t n); /* ns per operation, one run */
};

/* One repetition: ns per operation on a fresh rig. */
static double per_op(const struct rig_opts *o, uint64_t n, int op)
{
    struct rig *r = malloc(sizeof(*r));
    if (!r)
        die("malloc", -1);
    rig_init(r, o);
    volatile uint16_t *p = &r->vq.avail->flags;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        switch (op) {
        case 0: vhal_wmb(); break;
        case 1: vhal_mb(); break;
        case 2: vhal_ring_store16(p, 0); break;
        default: (void)vhal_ring_load16(&r->vq.used->idx); vhal_rmb(); break;
        }
    }
    double t = now_s() - t0;
    rig_destroy(r);
    free(r);
    return t * 1e9 / (double)n;
}

static double op_wmb(const struct rig_opts *o, uint64_t n) { return per_op(o, n, 0); }
static double op_mb(const struct rig_opts *o, uint64_t n) { return per_op(o, n, 1); }
static double op_store(const struct rig_opts *o, uint64_t n) { return per_op(o, n, 2); }
static double op_poll(const struct rig_opts *o, uint64_t n) { return per_op(o, n, 3); }
static double op_round_trip(const struct rig_opts *o, uint64_t n) { return rt_once(o, 1, n); }

static const struct barrier_op barrier_ops[] = {
    {"vhal_wmb()", op_wmb},
    {"vhal_mb()", op_mb},
    {"vhal_ring_store16 (avail.flags)", op_store},
    {"poll: vhal_ring_load16(used.idx) + vhal_rmb()", op_poll},
    {"round trip (all of the above in driver order)", op_round_trip},
};

static void table_barriers(void)
{
    uint64_t n = iters(2000000);
    struct rig_opts rec = {.ram = 256ull << 20, .qsize = 256, .ring_access = BC_ACCESSORS};
    struct rig_opts plain = rec, off = rec;
    plain.ring_access = BC_PLAIN;
    off.checks_off = true;
    printf("\n## 5. Barrier tracking (barrier analysis learning ring accesses through the "
           "accessors, recorded and judged one by one, or from plain memory by snapshots at "
           "barriers and MMIO; %llu operations, best of %d)\n\n",
           (unsigned long long)n, REPS);
    printf("| operation | record + check (accessors) ns | plain (snapshots) ns | checks off ns | "
           "accessors / plain | accessors / off |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof(barrier_ops) / sizeof(barrier_ops[0]); i++) {
        const struct barrier_op *p = &barrier_ops[i];
        uint64_t k = p->measure == op_round_trip ? n / 4 : n;
        double a = 1e30, b = 1e30, c = 1e30; /* round-robin, best of REPS (see rt_ns_k) */
        for (int rep = 0; rep < REPS; rep++) {
            double x = p->measure(&rec, k), y = p->measure(&plain, k), z = p->measure(&off, k);
            a = x < a ? x : a;
            b = y < b ? y : b;
            c = z < c ? z : c;
        }
        printf("| %s | %.1f | %.1f | %.1f | %.2fx | %.2fx |\n", p->name, a, b, c, a / b, a / c);
    }
    /* What the record costs in memory: events and bytes per round trip. */
    struct rig *r = malloc(sizeof(*r));
    if (!r)
        die("malloc", -1);
    rig_init(r, &rec);
    rig_round_trips(r, 1, 1000);
    uint64_t before = r->m.trace.dropped + r->m.trace.len;
    rig_round_trips(r, 1, 1000);
    double per = (double)(r->m.trace.dropped + r->m.trace.len - before) / 1000.0;
    rig_destroy(r);
    free(r);
    printf("\ntrace events per round trip (accessors): %.1f (%.0f bytes at %zu bytes/event)\n",
           per, per * sizeof(struct trace_event), sizeof(struct trace_event));
}

/* --count MODE N: just N round trips of one path (floor, off, on), for instruction counters
 * (bench/callgrind.sh runs it under valgrind twice and takes the difference per round trip). */
static int count_mode(const char *mode, uint64_t n, uint32_t qsize, unsigned chain)
{
    if (!strcmp(mode, "floor")) {
        floor_once(n);
        return 0;
    }
    /* MODE-packed, MODE-pci: the same path on a packed ring, on virtio-pci (table 1b's rows) */
    size_t len = strlen(mode);
    bool packed = len > 7 && !strcmp(mode + len - 7, "-packed");
    bool pci = len > 4 && !strcmp(mode + len - 4, "-pci");
    len -= packed ? 7 : pci ? 4 : 0;
    bool off = len == 3 && !strncmp(mode, "off", 3), on = len == 2 && !strncmp(mode, "on", 2);
    struct rig_opts o = {.ram = 256ull << 20, .qsize = qsize, .checks_off = off,
                         .packed = packed, .pci = pci};
    if ((!off && !on) || qsize < 1 || qsize > 32768 || chain < 1 || chain > 64 || chain > qsize ||
        (pci && qsize > PCI_CURSOR_QUEUE))
        return 2;
    struct rig *r = malloc(sizeof(*r));
    if (!r)
        die("malloc", -1);
    rig_init(r, &o);
    rig_round_trips(r, chain, n);
    rig_destroy(r);
    free(r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *only = "1,2,4,5";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--rss") && i + 1 < argc) {
            char e[256];
            catalogue = rules_builtin(e, sizeof(e));
            return catalogue ? rss_mode(strtoull(argv[i + 1], NULL, 10)) : 1;
        } else if (!strcmp(argv[i], "--count") && i + 2 < argc) {
            char e[256];
            catalogue = rules_builtin(e, sizeof(e));
            if (!catalogue)
                return 1;
            uint32_t q = i + 3 < argc ? (uint32_t)strtoul(argv[i + 3], NULL, 10) : 256;
            unsigned c = i + 4 < argc ? (unsigned)strtoul(argv[i + 4], NULL, 10) : 1;
            return count_mode(argv[i + 1], strtoull(argv[i + 2], NULL, 10), q, c);
        }
        else {
            fprintf(stderr, "usage: vqsim-bench [--scale F] [--only 1,2,4,5] | --count floor|off|on[-packed|-pci] N [QSIZE [CHAIN]]\n");
            return 2;
        }
    }
    if (!(scale > 0)) {
        fprintf(stderr, "vqsim-bench: --scale must be > 0\n");
        return 2;
    }
    char err[256];
    catalogue = rules_builtin(err, sizeof(err));
    if (!catalogue) {
        fprintf(stderr, "vqsim-bench: %s\n", err);
        return 1;
    }
    if (strchr(only, '1'))
        table_round_trip();
    if (strchr(only, '2'))
        table_transfer();
    if (strchr(only, '4'))
        table_scaling();
    if (strchr(only, '5'))
        table_barriers();
    return 0;
}
