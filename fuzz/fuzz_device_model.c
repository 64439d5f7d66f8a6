/* fuzz_device_model.c — libFuzzer target: a hostile driver drives the device model
 * (src/model/: the virtio-mmio register file, the split ring, the gpu) through the same HAL
 * the real driver uses (hal_sim.c), on a small simulated machine.
 *
 * The input is a list of operations, one byte each plus arguments (fuzz_input.h):
 *   raw register writes and reads anywhere in the window, raw writes anywhere in guest RAM,
 *   virtual time passing (the device works when its latency has passed), and, so that the fuzzer
 *   reaches the gpu quickly, a few driver-shaped macros: initialise the device up to DRIVER_OK
 *   with a queue at a fixed place (either transport), write a descriptor, publish an avail entry,
 *   notify, write a gpu command (structured or raw bytes), and "send a request" (two-descriptor
 *   chain + avail + notify). The guest can lie in every field: ring addresses, sizes, indices,
 *   descriptor addresses and lengths, command bodies, backing entries. Header flags also put up
 *   to three replayed driver bugs (model/inject/driver_bugs.c, a scenario's `bugs:`) on the bus and up to three
 *   injected device faults (device_faults.c, `device_faults:`) in the device. Header bits 4-5
 *   pick the device (gpu, blk, rng, input), bit 7 virtio-net instead (receiveq and transmitq,
 *   frames arriving when the input says); a queue initialised with feature bit 26 of the
 *   operation (RING_PACKED, when the device offers it) is a packed ring to the guest too: its
 *   requests and descriptor chains are written in the packed format (§2.7.6, wrap counters,
 *   flags last); bit 6 puts the device behind a virtio-pci function, and then
 *   operations 11..15 reach the function itself (configuration space, BAR accesses of any width
 *   and alignment, BAR assignment: op_pci).
 *
 * Oracle, as in QEMU's own virtio fuzzing: whatever the guest does, the model answers with a
 * recorded violation (and a broken device / NEEDS_RESET where QEMU would) or a gpu error — never
 * a crash, an ASan/UBSan report, a leak or a hang. The harness also aborts (a finding) when a
 * check reports a rule the catalogue does not have, when the device is broken with neither a
 * violation of its rule nor an injected fault behind it, when the resources' images are not
 * within the host-memory budget, when a queue is live with a ring outside guest RAM, or when the
 * timeout diagnosis (run at the end on every queue, as if a request had timed out, with and
 * without the guest's view of its queue) names no cause. Guest RAM is guarded by inaccessible pages on both sides (guest_memory.c), so a host
 * access past it faults.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/harness/hal_sim.h"
#include "../src/driver/virtio_hal.h"
#include "../src/spec/rules.h"
#include "../src/spec/virtio_spec.h"
#include "../src/model/devices/gpu_device.h"
#include "../src/model/devices/net_device.h"
#include "../src/model/diagnosis/diagnosis.h"
#include "../src/model/machine.h"
#include "../src/model/transport/pci_function.h"
#include "fuzz_input.h"
#include "fuzz_machine_digest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull          /* 1 MiB: small, so random offsets hit the layout below */
#define MMIO_BASE 0x0a003e00ull
#define QUEUE_AREA(q) (RAM_BASE + 0x10000ull * (1 + (q))) /* 64 KiB per queue */
#define CMD_BUF(k) (RAM_BASE + 0x40000ull + 0x1000ull * (k))
#define RESP_BUF(k) (RAM_BASE + 0x48000ull + 0x1000ull * (k))
#define FB_AREA (RAM_BASE + 0x80000ull)  /* 512 KiB for backing pages */
#define MAX_OPS 512u

static void finding(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_device_model: model bug: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

/* The guest's own idea of each queue (the device may disagree: that is the point). */
struct gq {
    uint32_t num;
    uint64_t desc, avail, used;
    uint16_t avail_idx;
    bool packed;        /* the guest asked for VIRTIO_F_RING_PACKED (§2.7) */
    uint16_t next;      /* packed: the next descriptor slot the guest fills... */
    bool wrap;          /* ...and its Driver Ring Wrap Counter (starts at 1, §2.7.1) */
};

static struct gq gq[MMIO_NUM_QUEUES];

static void wr(uint32_t off, uint32_t v) { vhal_mmio_write32((uintptr_t)(MMIO_BASE + off), v); }
static uint32_t rd(uint32_t off) { return vhal_mmio_read32((uintptr_t)(MMIO_BASE + off)); }

static void mem_write(struct machine *m, uint64_t gpa, const void *src, size_t len)
{
    void *p = gm_ptr(&m->mem, gpa, len);
    if (p)
        memcpy(p, src, len);
}

static void setup_queue(struct machine *m, uint32_t q, uint32_t num, uint32_t features);

/* Driver-shaped initialisation up to DRIVER_OK with queue q at QUEUE_AREA(q); with `all`, every
 * queue of the device (QUEUE_AREA(i), the same size: net's receiveq and transmitq). */
static void op_init(struct machine *m, struct fin *in, bool all)
{
    uint32_t q = fin_u8(in) % MMIO_NUM_QUEUES;
    uint32_t num = fin_u16(in) % (MMIO_QUEUE_NUM_MAX + 1);
    if (num == 0)
        num = 16;
    uint32_t features = fin_u32(in);
    memset(gq, 0, sizeof(gq)); /* a reset: the guest forgets its queues too */
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, features);
    if (m->dev.version != 1) {
        wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        /* VERSION_1, and RING_PACKED when bit 26 of the input's features says so: where the
         * device offers it (flags & 2's offer_add), the model reads the queue as a packed ring
         * (§2.7) and the same bytes fuzz its pop, push and checks */
        wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u | ((features >> 24) & 4u));
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                   VIRTIO_STATUS_FEATURES_OK);
    }
    for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++)
        if (all || i == q)
            setup_queue(m, i, num, features);
    wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

/* Queue q at QUEUE_AREA(q) with num entries, the layout the transport asks for. */
static void setup_queue(struct machine *m, uint32_t q, uint32_t num, uint32_t features)
{
    struct gq *g = &gq[q];
    g->num = num;
    g->avail_idx = 0;
    g->desc = QUEUE_AREA(q);
    g->packed = m->dev.version != 1 && (features >> 26 & 1u);
    g->next = 0;
    g->wrap = true;
    if (m->dev.version == 1) {
        wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        wr(VIRTIO_MMIO_QUEUE_SEL, q);
        wr(VIRTIO_MMIO_QUEUE_NUM, num);
        wr(VIRTIO_MMIO_QUEUE_ALIGN, 4096);
        wr(VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(g->desc / 4096));
        g->avail = g->desc + 16ull * num;
        g->used = (g->avail + 4 + 2ull * num + 4095) / 4096 * 4096;
    } else {
        g->avail = g->desc + 0x4000;
        g->used = g->desc + 0x5000;
        wr(VIRTIO_MMIO_QUEUE_SEL, q);
        wr(VIRTIO_MMIO_QUEUE_NUM, num);
        wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)g->desc);
        wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
        wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)g->avail);
        wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
        wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)g->used);
        wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
        wr(VIRTIO_MMIO_QUEUE_READY, 1);
    }
}

/* Ring stores either straight into RAM (a driver the model does not see storing) or, when the
 * operation byte's bit 6 says so, through the HAL's ring accessors, as the real driver makes them:
 * the model then sees each store (exposed chains, the barrier analysis, replayed ring-store bugs),
 * with a write barrier before avail.idx when bit 7 says so. */
static bool via_hal;
static bool with_wmb;

static void ring_store(struct machine *m, uint64_t gpa, uint64_t v, uint32_t size)
{
    void *p = gm_ptr(&m->mem, gpa, size);
    if (!p || !via_hal || gpa % size) {
        mem_write(m, gpa, &v, size); /* little-endian host: the low bytes */
        return;
    }
    if (size == 8)
        vhal_ring_store64(p, v);
    else if (size == 4)
        vhal_ring_store32(p, (uint32_t)v);
    else
        vhal_ring_store16(p, (uint16_t)v);
}

static void put_desc(struct machine *m, uint32_t q, uint32_t i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    struct gq *g = &gq[q];
    if (!g->num)
        return;
    uint64_t at = g->desc + 16ull * (i % g->num);
    ring_store(m, at, addr, 8);
    ring_store(m, at + 8, len, 4);
    ring_store(m, at + 12, flags, 2);
    ring_store(m, at + 14, next, 2);
}

static void publish(struct machine *m, uint32_t q, uint16_t head, uint16_t step)
{
    struct gq *g = &gq[q];
    if (!g->num)
        return;
    ring_store(m, g->avail + 4 + 2ull * (g->avail_idx % g->num), head, 2);
    g->avail_idx = (uint16_t)(g->avail_idx + step);
    if (via_hal && with_wmb)
        vhal_wmb();
    ring_store(m, g->avail + 2, g->avail_idx, 2);
}

/* Packed ring (§2.7.6, a driver making buffers available): n descriptors (at most 4) from the
 * guest's next slot, NEXT on all but the last, the buffer id in the last; each one's flags carry
 * AVAIL = the wrap counter and USED = its inverse, the head's flags stored last (after a write
 * barrier when asked) so the chain appears at once. `lie` flips the head's AVAIL bit (a chain
 * the device must not take yet, or one from the wrong lap). */
struct pdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags; /* WRITE / INDIRECT */
};

static void packed_chain(struct machine *m, uint32_t q, const struct pdesc *d, uint32_t n,
                         uint16_t id, bool lie)
{
    struct gq *g = &gq[q];
    if (!g->num || !n)
        return;
    uint16_t head_flags = 0;
    uint64_t head_at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t at = g->desc + 16ull * (g->next % g->num);
        uint16_t f = (uint16_t)((d[i].flags & (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)) |
                                (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                (g->wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED));
        ring_store(m, at, d[i].addr, 8);
        ring_store(m, at + 8, d[i].len, 4);
        ring_store(m, at + 12, id, 2);
        if (i == 0) {
            head_at = at;
            head_flags = (uint16_t)(lie ? f ^ VIRTQ_DESC_F_AVAIL : f);
        } else {
            ring_store(m, at + 14, f, 2);
        }
        if (++g->next >= g->num) {
            g->next = 0;
            g->wrap = !g->wrap;
        }
    }
    if (via_hal && with_wmb)
        vhal_wmb();
    ring_store(m, head_at + 14, head_flags, 2);
}

/* An address the device will mostly find in RAM; sometimes anything at all. */
static uint64_t guest_addr(struct fin *in)
{
    uint8_t mode = fin_u8(in);
    if (mode & 0x80)
        return fin_u64(in);
    return RAM_BASE + fin_u32(in) % RAM_SIZE;
}

static const uint32_t cmd_types[] = {
    VIRTIO_GPU_CMD_GET_DISPLAY_INFO, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
    VIRTIO_GPU_CMD_RESOURCE_UNREF, VIRTIO_GPU_CMD_SET_SCANOUT,
    VIRTIO_GPU_CMD_RESOURCE_FLUSH, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
    VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
};
static const uint32_t formats[] = {1, 2, 3, 4, 67, 68, 121, 134, 0};

static void rect(struct fin *in, struct virtio_gpu_rect *r)
{
    r->x = fin_u8(in);
    r->y = fin_u8(in);
    r->width = fin_u8(in);
    r->height = fin_u8(in);
}

/* A gpu command into command buffer k; returns its length. */
static uint32_t op_cmd(struct machine *m, struct fin *in, uint32_t k)
{
    uint8_t buf[32 + 16 * 8];
    memset(buf, 0, sizeof(buf));
    uint8_t mode = fin_u8(in);
    struct virtio_gpu_ctrl_hdr h = {0};
    h.type = mode & 0x10 ? fin_u32(in) : cmd_types[(mode & 0x0f) % 8];
    if (mode & 0x20) {
        h.flags = VIRTIO_GPU_FLAG_FENCE;
        h.fence_id = fin_u64(in);
    }
    uint32_t len = sizeof(h);
    if (mode & 0x40) { /* raw body */
        len += fin_u8(in) % (sizeof(buf) - sizeof(h) + 1);
        fin_bytes(in, buf + sizeof(h), len - sizeof(h));
    } else {
        uint32_t id = fin_u8(in) % 4;
        switch (h.type) {
        case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: {
            struct virtio_gpu_resource_create_2d c = {.resource_id = id};
            c.format = formats[fin_u8(in) % 9];
            /* up to 64x64: an image below ASan's large-allocation size, so creating and freeing
             * one costs no mmap; raw bodies (mode 0x40) still ask for any size */
            c.width = 1u + fin_u8(in) % 64;
            c.height = 1u + fin_u8(in) % 64;
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            break;
        }
        case VIRTIO_GPU_CMD_SET_SCANOUT: {
            struct virtio_gpu_set_scanout c = {.resource_id = id};
            rect(in, &c.r);
            c.scanout_id = fin_u8(in) % 2;
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            break;
        }
        case VIRTIO_GPU_CMD_RESOURCE_FLUSH: {
            struct virtio_gpu_resource_flush c = {.resource_id = id};
            rect(in, &c.r);
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            break;
        }
        case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: {
            struct virtio_gpu_transfer_to_host_2d c = {.resource_id = id};
            rect(in, &c.r);
            c.offset = fin_u16(in);
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            break;
        }
        case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: {
            struct virtio_gpu_resource_attach_backing c = {.resource_id = id};
            c.nr_entries = fin_u8(in) % 9;
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            for (uint32_t i = 0; i < c.nr_entries; i++) {
                struct virtio_gpu_mem_entry e = {0};
                e.addr = fin_u8(in) & 0x80 ? fin_u64(in) : FB_AREA + 64ull * fin_u16(in) % 0x80000;
                e.length = fin_u32(in) % 0x80001;
                memcpy(buf + len, &e, sizeof(e));
                len += sizeof(e);
            }
            break;
        }
        case VIRTIO_GPU_CMD_RESOURCE_UNREF:
        case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: {
            struct virtio_gpu_resource_unref c = {.resource_id = id};
            memcpy(buf, &c, sizeof(c));
            len = sizeof(c);
            break;
        }
        default:
            break;
        }
    }
    memcpy(buf, &h, sizeof(h)); /* last: the structured bodies above left it zero */
    mem_write(m, CMD_BUF(k), buf, len);
    return len;
}

static void check_machine(const struct machine *m)
{
    bool broken_seen = false;
    for (uint32_t i = 0; i < m->n_violations; i++) {
        const struct rule *r = m->violations[i].rule;
        if (!r || !r->id || strcmp(r->id, "vqsim.unknown-rule") == 0)
            finding("a check reported a rule id that is not in spec/rules.yaml", NULL);
        if (m->dev.broken_rule && strcmp(r->id, m->dev.broken_rule) == 0)
            broken_seen = true;
    }
    /* Broken by a rule (with its violation recorded) or by an injected device fault. */
    if (m->dev.broken && !m->dev.broken_fault &&
        (!m->dev.broken_rule || (!broken_seen && m->n_violations < MACHINE_MAX_VIOLATIONS)))
        finding("the device is broken but no violation of its rule was recorded",
                m->dev.broken_rule);
    uint64_t hostmem = 0; /* QEMU's budget: all resource images together, below max_hostmem */
    const struct gpu_device *g = gpu_of(m);
    for (uint32_t i = 0; g && i < g->n_res; i++)
        hostmem += (uint64_t)g->res[i].width * g->res[i].height * 4;
    if (g && (hostmem != g->hostmem || hostmem >= g->max_hostmem))
        finding("resource memory is not accounted as QEMU does", NULL);
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        const struct dev_queue *d = &m->dev.q[q];
        if (!d->live)
            continue;
        uint32_t n = d->live_num; /* each area as its ring format sizes it (split, packed) */
        if (n == 0 || !d->ops ||
            !gm_contains(&m->mem, d->desc, d->ops->area_bytes(RING_DESC, n)) ||
            !gm_contains(&m->mem, d->avail, d->ops->area_bytes(RING_DRIVER, n)) ||
            !gm_contains(&m->mem, d->used, d->ops->area_bytes(RING_DEVICE, n)))
            finding("a queue is live with a ring outside guest RAM", NULL);
    }
}

/* The virtio-pci function (a PCI device, flags bit 6): 11 a configuration-space write, 12 a
 * read (any 4-byte aligned offset, any value: BARs, command, capabilities, MSI-X control), 13 a
 * BAR access write, 14 a read (1, 2 or 4 bytes, aligned or not, anywhere in the modern BAR or
 * the MSI-X BAR, or just past them), 15 assign both BARs where 13 and 14 look and turn memory
 * decoding and bus mastering on (as a firmware would). */
#define PCI_BAR_MODERN 0x10000000ull
#define PCI_BAR_MSIX 0x10100000ull
static void op_pci(struct fin *in, uint8_t op)
{
    if (op == 11 || op == 12) {
        uint32_t off = (uint32_t)fin_u8(in) & 0xfcu;
        if (op == 11)
            vhal_pci_cfg_write32(PCI_FN_BDF, off, fin_u32(in));
        else
            (void)vhal_pci_cfg_read32(PCI_FN_BDF, off);
    } else if (op == 13 || op == 14) {
        uint8_t how = fin_u8(in);
        uint64_t base = how & 0x80 ? PCI_BAR_MSIX : PCI_BAR_MODERN;
        uintptr_t at = (uintptr_t)(base + fin_u16(in) % (PCI_FN_MODERN_SIZE + 16u));
        switch (how & 3) {
        case 0: op == 13 ? vhal_mmio_write8(at, fin_u8(in)) : (void)vhal_mmio_read8(at); break;
        case 1: op == 13 ? vhal_mmio_write16(at, fin_u16(in)) : (void)vhal_mmio_read16(at); break;
        default: op == 13 ? vhal_mmio_write32(at, fin_u32(in)) : (void)vhal_mmio_read32(at); break;
        }
    } else {
        vhal_pci_cfg_write32(PCI_FN_BDF, 0x10 + 4 * PCI_FN_MODERN_BAR, (uint32_t)PCI_BAR_MODERN);
        vhal_pci_cfg_write32(PCI_FN_BDF, 0x14 + 4 * PCI_FN_MODERN_BAR, 0);
        vhal_pci_cfg_write32(PCI_FN_BDF, 0x10 + 4 * PCI_FN_MSIX_BAR, (uint32_t)PCI_BAR_MSIX);
        vhal_pci_cfg_write32(PCI_FN_BDF, 0x04, 0x6); /* memory space, bus master */
    }
}

/* The net device's packet source: a minimal Ethernet frame, a full one, a jumbo one and the
 * largest the model carries (several buffers with MRG_RXBUF, dropped without). */
static uint8_t frame_bytes[NET_MAX_FRAME];
static const struct net_frame net_source[] = {
    {frame_bytes, 60}, {frame_bytes, 1514}, {frame_bytes, 9014}, {frame_bytes, NET_MAX_FRAME},
    {frame_bytes, 42}, {frame_bytes, 1500},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    if (!rules)
        finding("the built-in rule catalogue does not parse", err);
    struct fin in = {data, size};
    static struct machine m; /* large (the chain scratch): keep it off the stack */
    struct machine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ram_base = RAM_BASE;
    cfg.ram_size = RAM_SIZE;
    cfg.mmio_base = MMIO_BASE;
    uint8_t flags = fin_u8(&in);
    cfg.transport_version = flags & 1 ? 1 : 2;
    /* bits 4-5: the device (model/devices/device_registry.c): the gpu, blk, rng or input. The
     * operations below are the same for each (registers, RAM, descriptors, notifies; a gpu
     * command is bytes in a buffer to any other device); blk serves a blank disk, rng its
     * default stream, input an empty script. */
    static const char *const devices[] = {NULL, "blk", "rng", "input"};
    cfg.device = flags & 0x80 ? "net" : devices[(flags >> 4) & 3];
    /* bit 7: virtio-net (receiveq 0, transmitq 1: the same operations; a gpu command is a
     * header and frame to the transmitq) with a packet source of frames of every size class
     * (operation 3 with bit 5 lets them arrive) */
    cfg.net_frames = net_source;
    cfg.net_frames_len = sizeof(net_source) / sizeof(net_source[0]);
    cfg.disk_sectors = 128; /* blk: a blank 64 KiB disk (zeros, mapped: no file to read) */
    /* bit 6: the device behind a virtio-pci function (modern only, pci_function.h) */
    bool pci = flags & 64;
    if (pci) {
        cfg.transport = TRANSPORT_PCI;
        cfg.transport_version = 2;
    }
    cfg.display_width = 64;
    cfg.display_height = 48;
    cfg.device_latency_ns = 1000;
    cfg.profile = PROFILE_QEMU;
    if (flags & 2) { /* change what the device offers */
        cfg.offer_add = fin_u64(&in);
        cfg.offer_remove = fin_u64(&in) & ~cfg.offer_add;
    }
    /* Guest RAM is mapped once and cleared for each input (machine_init_reusing: every page reads
     * zero again, and only the pages an input touched cost anything); the rest of the machine is
     * built anew, as machine_init does. FUZZ_DIGEST proves the reuse leaves nothing behind. */
    static struct guest_memory ram;
    if (!ram.host && gm_init(&ram, RAM_BASE, RAM_SIZE) != 0)
        return 0; /* no memory for the machine: nothing to test */
    if (machine_init_reusing(&m, &cfg, rules, &ram) != 0)
        return 0;
    /* A smaller image budget than QEMU's 256 MiB: the same code paths (an image that does not
     * fit, a budget used up), but every image stays within ASan's small-allocation sizes, so
     * creating and freeing one costs no mmap/munmap (a 16 MiB budget: ~15% of the time). */
    if (gpu_of(&m))
        gpu_of(&m)->max_hostmem = 128u << 10;
    if (flags & 8) { /* injected device faults (device_faults.c), as a scenario's device_faults: */
        uint32_t n = 1 + fin_u8(&in) % 3;
        for (uint32_t i = 0; i < n; i++) {
            struct device_fault *f = &m.dfaults.f[m.dfaults.n++];
            memset(f, 0, sizeof(*f));
            f->kind = (enum df_kind)(fin_u8(&in) % DF_KIND_COUNT);
            f->queue = fin_u8(&in) % (DF_QUEUES + 1); /* one past: never matches */
            f->nth = fin_u8(&in) % 4;
            f->from_nth = fin_u8(&in) % 3;
            f->after_ns = 1000ull * fin_u16(&in);
            f->delay_ns = 1000ull * fin_u16(&in);
        }
    }
    if (flags & 4) { /* replayed driver bugs on the bus (driver_bugs.c), as a scenario's bugs: */
        static const char *const labels[] = {"drop-mmio-write", "rewrite-mmio-write",
                                             "rewrite-mmio-read", "rewrite-ring-store"};
        uint32_t n = 1 + fin_u8(&in) % 3, n_fields = 0;
        while (fault_ring_fields[n_fields])
            n_fields++;
        for (uint32_t i = 0; i < n; i++) {
            struct fault *f = &m.faults.f[m.faults.n++];
            memset(f, 0, sizeof(*f));
            f->kind = (enum fault_kind)(fin_u8(&in) % 4);
            f->label = labels[f->kind];
            f->reg = (uint32_t)fin_u8(&in) * 4u % VIRTIO_MMIO_WINDOW_SIZE;
            f->field = fault_ring_fields[fin_u8(&in) % n_fields];
            f->queue = fin_u8(&in) % (MMIO_NUM_QUEUES + 1); /* one past: must be ignored */
            f->value = fin_u64(&in);
            f->nth = fin_u8(&in) % 4;
        }
    }
    hal_sim_bind(&m);
    memset(gq, 0, sizeof(gq));

    for (uint32_t n = 0; n < MAX_OPS && fin_left(&in); n++) {
        uint8_t op = fin_u8(&in);
        /* Low nibble: the operation; bit 4: the queue; bit 5: a variant; bit 6: ring stores
         * through the HAL; bit 7: with a write barrier before avail.idx. */
        uint32_t q = (op >> 4) & 1;
        via_hal = op & 0x40;
        with_wmb = op & 0x80;
        if (pci && (op & 0x0f) >= 11) { /* on PCI, 11..15 reach the function (else 0..4) */
            op_pci(&in, op & 0x0f);
            continue;
        }
        switch ((op & 0x0f) % 11) {
        case 0: { /* raw register write */
            uint32_t off = (uint32_t)fin_u8(&in) * 4u % VIRTIO_MMIO_WINDOW_SIZE;
            wr(off, fin_u32(&in));
            break;
        }
        case 1: /* raw register read */
            (void)rd((uint32_t)fin_u8(&in) * 4u % VIRTIO_MMIO_WINDOW_SIZE);
            break;
        case 2: { /* raw write anywhere in RAM */
            uint8_t b[64];
            uint64_t at = RAM_BASE + fin_u32(&in) % RAM_SIZE;
            size_t len = fin_u8(&in) % (sizeof(b) + 1);
            fin_bytes(&in, b, len);
            mem_write(&m, at, b, len);
            break;
        }
        case 3: /* time passes: the device works; on net, bit 5: frames arrive first */
            if (op & 0x20 && m.device.ops == &net_device_ops)
                (void)net_device_inject(&m, 1 + fin_u8(&in) % 4);
            vhal_delay_ns(64ull * fin_u16(&in));
            break;
        case 4: /* bit 5: every queue */
            op_init(&m, &in, op & 0x20);
            break;
        case 5: { /* one descriptor (split), or with bit 5 a packed chain of 1..4 */
            if (op & 0x20) {
                struct pdesc d[4];
                uint8_t how = fin_u8(&in);
                uint32_t count = 1 + how % 4;
                for (uint32_t i = 0; i < count; i++) { /* one read after the other */
                    d[i].addr = guest_addr(&in);
                    d[i].len = fin_u32(&in);
                    d[i].flags = fin_u8(&in);
                }
                packed_chain(&m, q, d, count, fin_u16(&in), how & 0x80);
                break;
            }
            uint32_t i = fin_u16(&in);
            uint64_t addr = guest_addr(&in);
            uint32_t len = fin_u32(&in);
            uint16_t fl = fin_u8(&in) & 7;
            put_desc(&m, q, i, addr, len, fl, fin_u16(&in));
            break;
        }
        case 6: { /* publish a head; sometimes move avail.idx by more than one */
            uint16_t head = fin_u16(&in);
            uint8_t step = fin_u8(&in);
            publish(&m, q, head, step & 0x80 ? step : 1);
            break;
        }
        case 7: /* notify */
            wr(VIRTIO_MMIO_QUEUE_NOTIFY, op & 0x20 ? fin_u32(&in) : q);
            break;
        case 8:
            (void)op_cmd(&m, &in, fin_u8(&in) % 8);
            break;
        case 9: { /* a whole request: command k (readable) + response k (writable) */
            uint32_t k = fin_u8(&in) % 8;
            uint32_t len = op_cmd(&m, &in, k);
            struct gq *g = &gq[q];
            if (!g->num)
                break;
            uint16_t head = (uint16_t)((2 * k) % g->num), tail = (uint16_t)((2 * k + 1) % g->num);
            uint32_t rlen = op & 0x20 ? fin_u16(&in) : 0x1000;
            if (g->packed) { /* the same request as a packed chain, buffer id k */
                const struct pdesc d[2] = {{CMD_BUF(k), len, 0},
                                           {RESP_BUF(k), rlen, VIRTQ_DESC_F_WRITE}};
                packed_chain(&m, q, d, g->num == 1 ? 1 : 2, (uint16_t)k, false);
                wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
                vhal_delay_ns(2000);
                break;
            }
            if (g->num == 1) { /* one descriptor: the command only (never answered) */
                put_desc(&m, q, head, CMD_BUF(k), len, 0, 0);
            } else {
                put_desc(&m, q, head, CMD_BUF(k), len, VIRTQ_DESC_F_NEXT, tail);
                put_desc(&m, q, tail, RESP_BUF(k), rlen, VIRTQ_DESC_F_WRITE, 0);
            }
            publish(&m, q, head, 1);
            wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
            vhal_delay_ns(2000);
            break;
        }
        case 10: /* reset */
            wr(VIRTIO_MMIO_STATUS, 0);
            break;
        }
    }
    vhal_delay_ns(100000); /* let everything pending run */
    check_machine(&m);
    /* The diagnosis reads the whole trace and the device state: it must cope with any guest.
     * The timeout diagnosis of every queue must name a cause; then one more question, which the
     * input's last bytes pick (any kind, any queue or one past them, with or without what the
     * guest believes about its queue, about any point in time): each input asks one, the fuzzer
     * reaches them all (asking all twelve of every input was a fifth of its time). */
    static struct diagnosis diag;
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        diagnose_timeout(&m, q, 0, &diag);
        if (!diag.cause || diag.n_causes < 1 || !diag.causes[0].message[0])
            finding("the diagnosis named no cause", NULL);
    }
    static const enum diag_kind kinds[] = {DIAG_TIMEOUT, DIAG_REGISTER_WAIT, DIAG_BAD_RESPONSE};
    uint8_t ask = fin_u8(&in);
    uint32_t q = ask % (MMIO_NUM_QUEUES + 1);
    struct diag_request rq = {.kind = kinds[(ask >> 2) % 3], .queue = q,
                              .since = 1000ull * fin_u16(&in)};
    if (q < MMIO_NUM_QUEUES && gq[q].num && !(ask & 0x80)) {
        rq.driver.known = true;
        rq.driver.desc = gq[q].desc;
        rq.driver.avail = gq[q].avail;
        rq.driver.used = gq[q].used;
        rq.driver.num = gq[q].num;
        rq.driver.waits_for_interrupt = ask & 0x40;
    }
    diagnose(&m, &rq, &diag);
    if (rq.kind == DIAG_TIMEOUT && q < MMIO_NUM_QUEUES && !diag.cause)
        finding("the timeout diagnosis named no cause", NULL);
    if (diag.n_causes < 0 || diag.n_causes > DIAG_MAX_CAUSES)
        finding("the diagnosis reported an impossible number of causes", NULL);
    if (getenv("FUZZ_VERBOSE")) { /* to check a seed does what it is meant to */
        if (gpu_of(&m))
            fprintf(stderr, "commands %u errors %u flushes %u scanout %s broken %s\n",
                    gpu_of(&m)->commands, gpu_of(&m)->errors, gpu_of(&m)->scanouts[0].flushes,
                    scanout_state_name(gpu_of(&m)->scanouts[0].state),
                    m.dev.broken ? m.dev.broken_rule : "no");
        for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++) /* any device: what each queue did */
            fprintf(stderr, "queue %u %s live %d pops %u pushes %u\n", i,
                    m.dev.q[i].ops ? m.dev.q[i].ops->name : "-", m.dev.q[i].live,
                    m.dev.q[i].pops, m.dev.q[i].pushes);
        for (uint32_t i = 0; i < m.n_violations; i++)
            fprintf(stderr, "  %s: %s\n", m.violations[i].rule->id, m.violations[i].message);
    }
    if (getenv("FUZZ_DIGEST")) { /* fuzz_machine_digest.h, with the gpu's counters */
        const struct gpu_device *g = gpu_of(&m);
        uint32_t c[] = {g ? g->commands : 0, g ? g->errors : 0, g ? g->n_res : 0,
                        g ? g->scanouts[0].flushes : 0};
        print_machine_digest(&m, c, sizeof(c), data, size, 0, 0);
    }
    machine_destroy_keeping(&m, &ram);
    hal_sim_unbind();
    return 0;
}
