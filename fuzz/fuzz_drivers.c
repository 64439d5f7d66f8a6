/* fuzz_drivers.c — libFuzzer target: the real device drivers of src/driver/ other than the gpu
 * (virtio_blk.c, virtio_rng.c, virtio_input.c, virtio_net.c, with virtio_device.c and the
 * virtqueues) over either transport (virtio-mmio v1 and v2, virtio_mmio.c; virtio-pci,
 * virtio_pci.c and virtio_pci_ops.c), against the device model (src/model/ through hal_sim.c) made
 * hostile by the input. fuzz_driver_vs_device does the same for the gpu driver against a device
 * of its own; here the device is the model, so every device type, both transports and the packed
 * ring answer as QEMU 7.2's do until the input makes them lie.
 *
 * Input (fuzz_input.h: a read past the end gives 0, and 0 means "sane"):
 *   u8 flags   bits 0-1 the transport (virtio-mmio v2, v1, virtio-pci), bits 2-3 the device
 *              (blk, rng, input, net), bit 4 RING_PACKED offered and wanted, bit 5 EVENT_IDX,
 *              bit 6 INDIRECT_DESC, bit 7 net's MRG_RXBUF / the one-region split layout
 *   u8 size    the queue size asked: 1 << (size % 7), or with bit 7 size & 0x7f
 *   u8 hostile bits 0-1 device faults that follow (device_faults.h: never answer, late, twice,
 *              a used id out of range or not a head, used.idx jumping, a used len too large,
 *              descriptors rewritten, NEEDS_RESET, a self-reset...), bits 2-3 lies that follow:
 *              on virtio-mmio a register read or a used-ring load the driver gets rewritten
 *              (driver_bugs.h's rewrite-mmio-read / rewrite-ring-load: what a hostile device
 *              shows), on virtio-pci a byte of configuration space changed before the probe
 *              (capability pointers, types, BARs, offsets, lengths)
 *   then calls, one byte each plus arguments: init again, blk read / write / flush / discard /
 *   write zeroes, rng read, input event, net send / receive, time passing with frames or input
 *   events arriving, and the device scribbling on its own used ring (hostile).
 *
 * Oracle: no crash, no ASan/UBSan report, no hang, and abort() (a finding) when a driver
 *   - returns a status that enum virtio_status does not define, or takes longer in virtual time
 *     than its waits' bounds allow;
 *   - reports success with an impossible result (an rng read of 0 or more bytes than asked, a
 *     frame longer than the buffer given), or after it latched itself broken (until init);
 *   - returns a device error without latching itself broken;
 *   - leaves a split queue's free list inconsistent (not num_free distinct descriptors, or one
 *     both free and in flight);
 *   and, when the input made the device lie in no way (no fault, lie or scribble):
 *   - breaks any rule the model checks (a recorded violation: the driver is not clean on a
 *     correct device, whatever the caller asks);
 *   - fails a call a correct device answers (anything but VIRTIO_OK, VIRTIO_ERR_INVALID, or
 *     VIRTIO_ERR_NOMEM when the machine's DMA memory is used up);
 *   - moves other bytes than the device's: a blk write's bytes not on the disk's sectors it
 *     named, a blk read not what was written (the disk starts as zeros), rng not the model's
 *     stream, input not the script's events, net frames sent or received not byte for byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/driver/virtio_blk.h"
#include "../src/driver/virtio_hal.h"
#include "../src/driver/virtio_input.h"
#include "../src/driver/virtio_net.h"
#include "../src/driver/virtio_pci.h"
#include "../src/driver/virtio_rng.h"
#include "../src/harness/hal_sim.h"
#include "../src/model/devices/blk_device.h"
#include "../src/model/devices/input_device.h"
#include "../src/model/devices/net_device.h"
#include "../src/model/devices/rng_device.h"
#include "../src/model/machine.h"
#include "../src/model/transport/pci_function.h"
#include "../src/spec/rules.h"
#include "fuzz_input.h"
#include "fuzz_machine_digest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull /* 4 MiB: the model's DMA arenas (rings at 1 MiB, buffers at 2 MiB,
                              * private at 3 MiB) */
#define MMIO_BASE 0x0a003e00ull
#define PCI_WIN_BASE 0x10000000ull
#define PCI_WIN_SIZE 0x10000000ull
#define TIMEOUT_NS 1000000ull     /* each wait: 1 ms virtual */
#define CALL_BOUND_NS (64 * TIMEOUT_NS) /* a call waits a few times at most */
#define MAX_CALLS 48u
#define DISK_SECTORS 128u
#define RNG_SEED 7u

static void finding(const char *what, const char *detail, long v)
{
    fprintf(stderr, "fuzz_drivers: driver bug: %s%s%s (%ld)\n", what, detail ? ": " : "",
            detail ? detail : "", v);
    abort();
}

/* ---- what the device serves, and the driver's own record of it -------------------------- */

/* Frames of every length a 1526-byte receive buffer holds (§5.1.6.3.1), each its own bytes. */
static uint8_t frame_bytes[4][1514];
static const struct net_frame net_source[] = {
    {frame_bytes[0], 60}, {frame_bytes[1], 1514}, {frame_bytes[2], 42}, {frame_bytes[3], 1500},
    {frame_bytes[0], 200}, {frame_bytes[1], 1000}, {frame_bytes[2], 1514}, {frame_bytes[3], 64},
};
#define N_FRAMES (sizeof(net_source) / sizeof(net_source[0]))
static const struct virtio_input_event script[] = {
    {1, 30, 1}, {0, 0, 0}, {1, 30, 0}, {0, 0, 0}, {2, 0, 5}, {2, 1, (uint32_t)-3}, {0, 0, 0},
    {1, 272, 1}, {0, 0, 0}, {1, 272, 0}, {0, 0, 0},
};
#define N_EVENTS (sizeof(script) / sizeof(script[0]))

enum dev_kind { D_BLK, D_RNG, D_INPUT, D_NET };

static struct run {
    struct machine m;
    struct guest_memory ram;
    enum dev_kind kind;
    bool pci, lied;                 /* lied: the input made the device lie (a fault, a lie, a
                                     * scribble): the clean-device oracles are off */
    bool too_big;                   /* the queue size asked is above the device's maximum */
    struct vpci pci_dev;
    struct virtio_transport *t;     /* NULL: virtio-mmio at MMIO_BASE */
    union {
        struct vblk blk;
        struct vrng rng;
        struct vinput input;
        struct vnet net;
    } d;
    int init_rc;
    uint8_t *buf;                   /* DMA: blk data, rng bytes, blk segments (4 KiB + 16) */
    uint64_t buf_phys;
    uint8_t disk[DISK_SECTORS * 512]; /* what the disk holds, as the writes left it */
    bool discarded[DISK_SECTORS];   /* ...except these: discarded, their bytes the device's */
    uint64_t rng_pos;               /* stream bytes served so far */
    uint32_t taken;                 /* frames / events the driver received since its init */
    uint32_t at;                    /* where in the packet source / script the next one is (the
                                     * device drops what a reset or a full queue loses) */
    uint32_t sent;                  /* frames the driver sent (the device's sink keeps them all) */
} R;

static bool init_done(void) { return R.init_rc == VIRTIO_OK; }

static bool *broken_flag(void)
{
    switch (R.kind) {
    case D_BLK: return &R.d.blk.broken;
    case D_RNG: return &R.d.rng.broken;
    case D_INPUT: return &R.d.input.broken;
    default: return &R.d.net.broken;
    }
}

/* ---- the machine and the device's lies ---------------------------------------------------- */

static int build(uint8_t flags, uint8_t hostile, struct fin *in)
{
    static const char *const names[] = {"blk", "rng", "input", "net"};
    struct machine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ram_base = RAM_BASE;
    cfg.ram_size = RAM_SIZE;
    cfg.mmio_base = MMIO_BASE;
    cfg.transport_version = (flags & 3) == 1 ? 1 : 2;
    R.pci = (flags & 3) >= 2;
    cfg.transport = R.pci ? TRANSPORT_PCI : TRANSPORT_MMIO;
    R.kind = (enum dev_kind)((flags >> 2) & 3);
    cfg.device = names[R.kind];
    cfg.disk_sectors = DISK_SECTORS;
    cfg.rng_seed = RNG_SEED;
    cfg.input_script = script;
    cfg.input_script_len = N_EVENTS;
    cfg.net_frames = net_source;
    cfg.net_frames_len = N_FRAMES;
    cfg.device_latency_ns = 1000;
    cfg.profile = PROFILE_QEMU;
    if (flags & 16) /* QEMU's packed=on */
        cfg.offer_add = 1ull << VIRTIO_F_RING_PACKED;
    char err[256];
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    if (!rules)
        finding("the built-in rule catalogue does not parse", err, 0);
    if (!R.ram.host && gm_init(&R.ram, RAM_BASE, RAM_SIZE) != 0)
        return -1;
    if (machine_init_reusing(&R.m, &cfg, rules, &R.ram) != 0)
        return -1;
    for (uint32_t i = 0, n = hostile & 3; i < n; i++) { /* device_faults.h */
        struct device_fault *f = &R.m.dfaults.f[R.m.dfaults.n++];
        memset(f, 0, sizeof(*f));
        f->kind = (enum df_kind)(fin_u8(in) % DF_KIND_COUNT);
        f->queue = fin_u8(in) % 3;
        f->nth = fin_u8(in) % 4;
        f->from_nth = fin_u8(in) % 3;
        f->after_ns = 1000ull * fin_u16(in);
        f->delay_ns = 1000ull * fin_u16(in);
        R.lied = true;
    }
    uint32_t n_fields = 0, n_load = 0;
    while (fault_ring_fields[n_fields])
        n_fields++;
    while (fault_ring_load_fields[n_load]) /* used.flags, used.idx, used.avail_event, used.id, */
        n_load++;                          /* used.len */
    for (uint32_t i = 0, n = (hostile >> 2) & 3; i < n; i++) {
        uint8_t what = fin_u8(in);
        R.lied = true;
        if (R.pci) { /* a byte of configuration space, as the probe will read it */
            R.m.pci.cfg[what] = fin_u8(in);
            continue;
        }
        struct fault *f = &R.m.faults.f[R.m.faults.n++];
        memset(f, 0, sizeof(*f));
        f->kind = what & 1 ? FAULT_REWRITE_RING_LOAD : FAULT_REWRITE_MMIO_READ;
        f->label = what & 1 ? "rewrite-ring-load" : "rewrite-mmio-read";
        f->reg = (uint32_t)(what >> 1) * 4u % VIRTIO_MMIO_WINDOW_SIZE;
        f->field = what & 1 ? fault_ring_load_fields[fin_u8(in) % n_load]
                            : fault_ring_fields[fin_u8(in) % n_fields];
        f->queue = fin_u8(in) % 3;
        f->value = fin_u32(in);
        f->nth = fin_u8(in) % 4;
    }
    return 0;
}

/* ---- the kernel calling the driver -------------------------------------------------------- */

static uint64_t ring_features(uint8_t flags)
{
    return (flags & 16 ? 1ull << VIRTIO_F_RING_PACKED : 0) |
           (flags & 32 ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0) |
           (flags & 64 ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0);
}

static int driver_init(uint8_t flags, uint8_t size)
{
    R.t = NULL;
    if (R.pci) {
        const struct vpci_window win = {(uintptr_t)PCI_WIN_BASE, PCI_WIN_SIZE};
        int rc = vpci_probe(&R.pci_dev, PCI_FN_BDF, &win, TIMEOUT_NS);
        if (rc != VIRTIO_OK)
            return rc;
        R.t = &R.pci_dev.t;
    }
    /* A power of two up to 64 (a larger queue costs more per init and reaches nothing more:
     * every buffer is posted the same way), or with bit 7 any size below 128: a
     * split ring of another size breaks §2.6 (split.queue-size-pow2), as a caller may ask the
     * driver to (scenarios/rules/split-queue-size-pow2.yaml), so the clean-device oracles are
     * then off */
    uint16_t qs = size & 0x80 ? size & 0x7f : (uint16_t)(1u << (size % 7));
    if (size & 0x80 && (qs & (qs - 1)))
        R.lied = true;
    /* On virtio-pci a queue's size is at most the device's (queue_size as read, §4.1.4.3): a
     * larger one is refused (VIRTIO_ERR_QUEUE), rightly */
    R.too_big = false;
    for (uint32_t i = 0; i < MMIO_NUM_QUEUES; i++)
        R.too_big |= R.pci && R.m.dev.queue_size[i] && qs > R.m.dev.queue_size[i];
    enum vq_layout_kind layout = flags & 128 ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SEPARATE;
    uint64_t f = ring_features(flags);
    R.taken = 0; /* a new init: the device's queues start over (its sink keeps what it got) */
    switch (R.kind) {
    case D_BLK: {
        const struct vblk_config c = {R.t, (uintptr_t)MMIO_BASE, qs, layout, 4096, TIMEOUT_NS,
                                      f | VBLK_DEVICE_FEATURES};
        return vblk_init(&R.d.blk, &c);
    }
    case D_RNG: {
        const struct vrng_config c = {R.t, (uintptr_t)MMIO_BASE, qs, layout, 4096, TIMEOUT_NS, f};
        return vrng_init(&R.d.rng, &c);
    }
    case D_INPUT: {
        const struct vinput_config c = {R.t, (uintptr_t)MMIO_BASE, qs, layout, 4096,
                                        TIMEOUT_NS, f, -1, 0};
        return vinput_init(&R.d.input, &c);
    }
    default: {
        uint64_t want = f | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                        (flags & 128 ? 1ull << VIRTIO_NET_F_MRG_RXBUF : 0);
        const struct vnet_config c = {R.t, (uintptr_t)MMIO_BASE, qs, layout, 4096, TIMEOUT_NS,
                                      want, -1, 0};
        return vnet_init(&R.d.net, &c);
    }
    }
}

/* blk: a read, a write of a pattern, a flush, a discard or write-zeroes, as `op` says. */
static int call_blk(uint8_t op, struct fin *in)
{
    uint64_t sector = fin_u8(in) % (DISK_SECTORS + 8); /* sometimes past the end */
    uint32_t n = fin_u8(in) % 9;                          /* 0: invalid */
    uint8_t pattern = fin_u8(in);
    bool in_disk = n && sector + n <= DISK_SECTORS;
    switch (op % 4) {
    case 0: {
        int rc = vblk_read(&R.d.blk, sector, n, R.buf, R.buf_phys);
        for (uint32_t i = 0; rc == VIRTIO_OK && !R.lied && i < n; i++)
            if (!in_disk || (!R.discarded[sector + i] &&
                             memcmp(R.buf + i * 512, R.disk + (sector + i) * 512, 512)))
                finding("a blk read returned other bytes than the disk holds", NULL,
                        (long)(sector + i));
        return rc;
    }
    case 1: {
        for (uint32_t i = 0; i < n * 512u; i++)
            R.buf[i] = (uint8_t)(pattern + i * 7);
        int rc = vblk_write(&R.d.blk, sector, n, R.buf, R.buf_phys);
        if (rc == VIRTIO_OK && in_disk) {
            memcpy(R.disk + sector * 512, R.buf, n * 512u);
            memset(R.discarded + sector, 0, n);
        }
        /* the bytes landed where they were meant to, on the device's disk */
        static uint8_t on_disk[8 * 512]; /* n < 9 sectors */
        if (rc == VIRTIO_OK && !R.lied &&
            (!in_disk || blk_disk_size(&R.m) < sizeof(R.disk) ||
             !blk_disk_read(&R.m, sector * 512, on_disk, n * 512u) ||
             memcmp(on_disk, R.buf, n * 512u)))
            finding("a blk write did not put its bytes on the disk's sectors", NULL,
                    (long)sector);
        return rc;
    }
    case 2:
        return vblk_flush(&R.d.blk);
    default: {
        uint8_t *seg = R.buf + 4096;
        int rc = pattern & 1 ? vblk_discard(&R.d.blk, sector, n, seg, R.buf_phys + 4096)
                             : vblk_write_zeroes(&R.d.blk, sector, n, pattern & 2, seg,
                                                 R.buf_phys + 4096);
        if (rc == VIRTIO_OK && in_disk) { /* write zeroes zeroes; a discard may or may not */
            memset(R.disk + sector * 512, 0, n * 512u);
            memset(R.discarded + sector, pattern & 1, n);
        }
        return rc;
    }
    }
}

static int call_rng(struct fin *in)
{
    uint32_t len = fin_u16(in) % 4097, got = 0; /* 0: invalid */
    int rc = vrng_read(&R.d.rng, R.buf_phys, len, &got);
    if (rc != VIRTIO_OK)
        return rc;
    if (got == 0 || got > len)
        finding("an rng read reported an impossible byte count", NULL, (long)got);
    for (uint32_t i = 0; !R.lied && i < got; i++)
        if (R.buf[i] != rng_stream_byte(RNG_SEED, R.rng_pos + i))
            finding("an rng read returned other bytes than the device's stream", NULL, (long)i);
    R.rng_pos += got;
    return rc;
}

/* On a truthful device, ask only when the device has used a buffer of queue 0 (the eventq,
 * the receiveq: one buffer per event, per frame of at most 1514 bytes) the driver has not taken:
 * otherwise a correct driver times out (and latches itself broken, as it cannot tell silence
 * from a dead device). */
static bool nothing_there(void)
{
    return !R.lied && R.m.dev.q[0].pushes <= R.taken;
}

static int call_input(void)
{
    if (nothing_there())
        return VIRTIO_OK;
    struct virtio_input_event ev;
    int rc = vinput_next_event(&R.d.input, &ev);
    if (rc == VIRTIO_OK && !R.lied) { /* the script's next event, or a later one (a batch the
                                       * device dropped for want of buffers) */
        while (R.at < N_EVENTS && memcmp(&ev, &script[R.at], sizeof(ev)))
            R.at++;
        if (R.at++ >= N_EVENTS)
            finding("an input event that is not the script's", NULL, (long)R.taken);
    }
    R.taken += rc == VIRTIO_OK;
    return rc;
}

static int call_net(uint8_t op, struct fin *in)
{
    static uint8_t frame[VNET_MAX_FRAME];
    if (op & 1) { /* send */
        uint32_t len = fin_u16(in) % 1601, at = R.sent; /* 0: invalid */
        for (uint32_t i = 0; i < len; i++)
            frame[i] = (uint8_t)(at * 31 + i);
        int rc = vnet_send(&R.d.net, frame, len);
        const uint8_t *data;
        uint32_t got, full;
        if (rc == VIRTIO_OK && !R.lied &&
            (!net_device_sent(&R.m, at, &data, &got, &full) || full != len ||
             memcmp(data, frame, got)))
            finding("a frame sent is not the frame the device got", NULL, (long)at);
        R.sent += rc == VIRTIO_OK;
        return rc;
    }
    uint32_t small = fin_u16(in) % 1601; /* a short buffer, on a lying device only */
    if (nothing_there())
        return VIRTIO_OK;
    uint32_t cap = op & 2 && R.lied ? small : sizeof(frame), len = 0;
    int rc = vnet_receive(&R.d.net, frame, cap, &len);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "receive: %d, %u bytes (buffer %u)\n", rc, len, cap);
    if (rc == VIRTIO_OK && len > cap)
        finding("a frame received is longer than the buffer given", NULL, (long)len);
    if (rc == VIRTIO_OK && !R.lied) { /* the source's next frame, or a later one (a reset
                                       * drops what waited) */
        while (R.at < N_FRAMES && (len != net_source[R.at].len ||
                                   memcmp(frame, net_source[R.at].data, len)))
            R.at++;
        if (R.at++ >= N_FRAMES)
            finding("a frame received that the device never sent", NULL, (long)R.taken);
    }
    R.taken += rc == VIRTIO_OK || rc == VIRTIO_ERR_RESPONSE;
    return rc;
}

/* Time passes; frames or input events arrive (the host's side of the device). */
static void call_time(struct fin *in)
{
    uint8_t n = fin_u8(in) % 4;
    if (R.kind == D_NET)
        (void)net_device_inject(&R.m, n);
    else if (R.kind == D_INPUT)
        (void)input_device_inject(&R.m, n);
    vhal_delay_ns(1000ull * fin_u8(in));
}

/* The device writes any 16-bit value anywhere in a live queue's Device Area (its used ring, or
 * on a packed ring its event suppression): a hostile device. */
static void call_scribble(struct fin *in)
{
    const struct dev_queue *q = &R.m.dev.q[fin_u8(in) % MMIO_NUM_QUEUES];
    uint16_t off = fin_u16(in), v = fin_u16(in);
    if (!q->live || !q->ops)
        return;
    uint64_t bytes = q->ops->area_bytes(RING_DEVICE, q->live_num);
    uint8_t *p = bytes >= 2 ? gm_ptr(&R.m.mem, q->used + off % (bytes - 1), 2) : NULL;
    if (p) {
        memcpy(p, &v, 2);
        R.lied = true;
    }
}

static void check_queue(const struct virtq *vq)
{
    if (!vq->state)
        return;
    if (vq->num_free > vq->num)
        finding("more free descriptors than the queue has", NULL, vq->num_free);
    if (vq->kind == VQ_LAYOUT_PACKED_RING || vq->in_order || vq->num > 1024)
        return;
    static uint8_t seen[1024];
    memset(seen, 0, vq->num);
    uint16_t i = vq->free_head;
    for (uint32_t k = 0; k < vq->num_free; k++) {
        if (i >= vq->num || seen[i])
            finding("the free list is broken", NULL, (long)k);
        seen[i] = 1;
        i = vq->state[i].next;
    }
    for (uint32_t h = 0; h < vq->num; h++)
        if (vq->state[h].token && seen[h])
            finding("a descriptor is both free and in flight", NULL, h);
}

static void check_queues(void)
{
    switch (R.kind) {
    case D_BLK: check_queue(&R.d.blk.vq); break;
    case D_RNG: check_queue(&R.d.rng.vq); break;
    case D_INPUT: check_queue(&R.d.input.eventq); check_queue(&R.d.input.statusq); break;
    default: check_queue(&R.d.net.rxq); check_queue(&R.d.net.txq); break;
    }
}

static bool device_error(int rc)
{
    return rc == VIRTIO_ERR_TIMEOUT || rc == VIRTIO_ERR_BAD_USED || rc == VIRTIO_ERR_NEEDS_RESET ||
           (rc <= VIRTIO_ERR_USED_ID_RANGE && rc >= VIRTIO_ERR_USED_LEN) ||
           rc == VIRTIO_ERR_DEVICE_RESET;
}

/* After every call: the status, the time it took, the latch, the queues; on a truthful device
 * the call's success and the model's verdict on the driver. */
static void check_call(const char *what, int rc, uint64_t t0, bool was_broken)
{
    if (rc > 0 || rc < VIRTIO_ERR_DEVICE_RESET)
        finding("a status enum virtio_status does not define", what, rc);
    if (R.m.now - t0 > CALL_BOUND_NS)
        finding("a call took longer than its waits allow", what, (long)(R.m.now - t0));
    bool io = strcmp(what, "io") == 0;
    if (io && was_broken && rc == VIRTIO_OK)
        finding("success reported by a driver latched broken", what, rc);
    if (io && device_error(rc) && !*broken_flag())
        finding("a device error without the driver latching itself broken", what, rc);
    check_queues();
    if (R.lied)
        return;
    if (rc != VIRTIO_OK && rc != VIRTIO_ERR_INVALID && rc != VIRTIO_ERR_NOMEM && /* (the DMA
                                                           * arenas fill after a few inits) */
        !(rc == VIRTIO_ERR_QUEUE && R.too_big && strcmp(what, "init") == 0))
        finding("a call failed on a device that answered it correctly", what, rc);
    if (R.m.n_violations)
        finding("the driver broke a rule on a correct device", R.m.violations[0].message,
                (long)R.m.n_violations);
}

static void verbose(const char *what, int rc)
{
    static int v = -1;
    if (v < 0)
        v = getenv("FUZZ_VERBOSE") != NULL;
    if (v)
        fprintf(stderr, "%s -> %d (t=%llu ns, %u violations, %u received, %u sent%s)\n", what,
                rc, (unsigned long long)R.m.now, R.m.n_violations, R.taken, R.sent,
                R.lied ? ", device lied" : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin in = {data, size};
    uint8_t flags = fin_u8(&in), qsize = fin_u8(&in), hostile = fin_u8(&in);
    memset(&R.d, 0, sizeof(R.d));
    memset(R.disk, 0, sizeof(R.disk));
    memset(R.discarded, 0, sizeof(R.discarded));
    R.lied = false;
    R.rng_pos = 0;
    R.at = R.sent = R.taken = 0;
    if (!frame_bytes[0][1]) /* each frame its own bytes */
        for (uint32_t f = 0; f < 4; f++)
            for (uint32_t i = 0; i < sizeof(frame_bytes[f]); i++)
                frame_bytes[f][i] = (uint8_t)(f * 61 + i * 13 + 1);
    if (build(flags, hostile, &in) != 0)
        return 0;
    hal_sim_bind(&R.m);
    R.buf = vhal_dma_alloc(4096 + 16, 16, VHAL_DMA_BUFFER, &R.buf_phys);
    uint64_t t0 = R.m.now;
    R.init_rc = R.buf ? driver_init(flags, qsize) : VIRTIO_ERR_NOMEM;
    verbose("init", R.init_rc);
    check_call("init", R.init_rc, t0, false);
    for (uint32_t n = 0; n < MAX_CALLS && fin_left(&in) && R.buf; n++) {
        uint8_t op = fin_u8(&in);
        bool was_broken = init_done() && *broken_flag();
        t0 = R.m.now;
        int rc = VIRTIO_OK;
        const char *what = "time";
        switch (op % 8) {
        case 0: call_time(&in); break;
        case 1: call_scribble(&in); what = "scribble"; break;
        case 2: R.init_rc = rc = driver_init(flags, qsize); what = "init"; break;
        default:
            if (!init_done())
                continue;
            what = "io";
            rc = R.kind == D_BLK ? call_blk(op >> 3, &in)
                 : R.kind == D_RNG ? call_rng(&in)
                 : R.kind == D_INPUT ? call_input() : call_net(op >> 3, &in);
            break;
        }
        verbose(what, rc);
        check_call(what, rc, t0, was_broken);
    }
    if (getenv("FUZZ_DIGEST")) { /* fuzz_machine_digest.h, with what the driver returned */
        uint64_t c[] = {(uint64_t)R.init_rc, R.taken, R.at, R.sent, R.rng_pos, R.lied,
                        fnv(0, R.disk, sizeof(R.disk))};
        /* all of RAM but the drivers' private arena (VHAL_DMA_PRIVATE, from RAM + 3 MiB: the
         * queues' bookkeeping, whose tokens are host pointers into the RAM mapping) */
        print_machine_digest(&R.m, c, sizeof(c), data, size, RAM_BASE + 0x300000,
                             RAM_SIZE - 0x300000);
    }
    hal_sim_unbind();
    machine_destroy_keeping(&R.m, &R.ram);
    return 0;
}
