/* vqrec_plugin.c — QEMU TCG plugin (QEMU 7.2, plugin API 1, aarch64 guests): records what an
 * unmodified guest does to its virtio-mmio devices into the file of src/record/recording.h.
 *
 * Loaded by `vqsim record` (src/record/record_cmd.c), which also sets up what the plugin API of
 * 7.2 lacks:
 *   - stored / loaded RAM values: guest RAM is backed by a shared file (`shm=`), mapped here
 *     read-only; a memory callback runs after its access, so the file holds the value by then
 *     (for a location the device writes concurrently, e.g. used.idx, possibly a newer one);
 *   - MMIO values: QEMU's trace events memory_region_ops_read/_write go to QEMU's log file
 *     (`log=`, QEMU's -D). qemu_log flushes every line, and the trace line of an access is written
 *     while the access runs, i.e. before our callback: at each MMIO callback the plugin reads the
 *     log up to its end and finds the line of this access (same vCPU, direction and address).
 *     The same read yields the device-side trace events (virtqueue_*, virtio_notify…).
 * What is recorded (program order per vCPU):
 *   - every access to a virtio-mmio window (the trace line names the region 'virtio-mmio'), with
 *     its value; the window once, at its first access;
 *   - every CPU load / store that overlaps a ring of a queue the guest set up; the rings are
 *     learned from the register values (version 2: QueueNum + QueueDesc/Driver/Device; version 1:
 *     QueueNum + QueuePFN x GuestPageSize + QueueAlign, the layout of ring_layout.c);
 *   - the executed dmb / dsb that lie between two recorded accesses of one vCPU, collapsed to the
 *     set of their kinds (barrier_filter.h; isb is not a memory barrier);
 *   - at each QueueNotify write, the device-readable buffers of the chains made available since
 *     those already dumped, and at each chain QEMU's device takes (virtqueue_pop) that was
 *     published after the last notify, that chain's (capped at VQREC_DUMP_CAP bytes each);
 *   - device-side trace events, with the window of the device they belong to when known (the
 *     window whose QueueNotify write carried the trace's virtio_queue_notify).
 * Arguments: out=FILE (the recording), log=FILE (QEMU's -D), punch=on (free the log's read part
 * as it goes), shm=FILE (guest RAM), rambase=ADDR, ramsize=BYTES. No glib: libc and pthreads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/ring_layout.h"
#include "record/recording.h"
#include "record/plugin/barrier_filter.h"
#include "record/plugin/poll_watch.h"
#include "record/plugin/qemu_plugin_api.h"

VQREC_PLUGIN_EXPORT int qemu_plugin_version = VQREC_PLUGIN_API_VERSION;
VQREC_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                            int argc, char **argv);

#define VQREC_DUMP_CAP (64u * 1024u) /* bytes dumped per buffer at a notify */
#define MAX_WINDOWS 32u
#define MAX_QUEUES 8u
#define MAX_RANGES (MAX_WINDOWS * MAX_QUEUES * 3u)
#define PENDING 256u                 /* MMIO trace lines read but not yet matched */
#define VQ_MAP 256u                  /* QEMU VirtQueue pointer -> queue index, window */

/* virtio-mmio registers (§4.2.2, §4.2.4) the plugin follows. */
enum {
    R_VERSION = 0x004, R_GUEST_PAGE_SIZE = 0x028, R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034,
    R_QUEUE_NUM = 0x038, R_QUEUE_ALIGN = 0x03c, R_QUEUE_PFN = 0x040, R_QUEUE_READY = 0x044,
    R_QUEUE_NOTIFY = 0x050,
    R_STATUS = 0x070, R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090,
    R_DRIVER_HI = 0x094, R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4,
};
#define WINDOW_SIZE 0x200u
#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u

struct queue {
    uint32_t num, num_max, align, pfn;
    uint64_t desc, driver, device; /* the registers as last written */
    /* Version 2: QEMU takes the three addresses only at QueueReady = 1 and ignores writes to
     * them while the queue is ready (they wait for the next QueueReady = 1): the rings of a
     * ready queue are the ones latched then. */
    int ready;
    uint64_t live_desc, live_driver, live_device;
    uint16_t last_avail;   /* chains dumped up to here (avail index) */
    uint16_t popped;       /* chains QEMU's device took since the ring was set up */
};

struct window {
    uint64_t base;
    uint32_t version, sel, page_shift;
    struct queue q[MAX_QUEUES];
};

struct range {
    uint64_t lo, hi;       /* [lo, hi) guest-physical */
};

struct mmio_line {         /* one memory_region_ops_* trace line */
    int cpu, write, virtio;
    uint64_t addr, value;
};

struct barrier_site {
    uint64_t pc;
    uint32_t opcode, kind;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static struct vqrec_header header;
static const uint8_t *ram;  /* the shared RAM file, read-only */
static uint64_t ram_base, ram_size;
static char *log_path;
static int log_fd = -1;
static int log_punch;      /* free what was read (a hole in the tmpfs file): long runs */
static uint64_t log_read, log_punched;
static char log_buf[1 << 16];
static size_t log_len;
static struct window win[MAX_WINDOWS];
static unsigned n_win;
/* The ring ranges, read on every RAM access without the lock (a seqlock: odd while rebuilt). */
static struct range ranges[MAX_RANGES];
static unsigned n_ranges;
static unsigned range_seq;
static struct mmio_line pending[PENDING];
static unsigned n_pending;
struct vq_entry {
    uint64_t vq;
    uint32_t index;
    uint64_t window;       /* the device's virtio-mmio window, 0 while not known */
    uint16_t pops_unplaced; /* its chains QEMU took while the window was not known */
};
static struct vq_entry vq_map[VQ_MAP];
static unsigned n_vq_map;
static uint64_t n_events, n_unmatched;
static int notified;       /* some queue was notified: from then on a guest may poll an answer */

/* ---- output ------------------------------------------------------------------------------ */

static void emit(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
                 uint64_t value, uint64_t pc, const void *payload, uint32_t len)
{
    static const uint8_t zero[8];
    struct vqrec_event e = {kind, size, flags, (uint8_t)cpu, len, addr, value, pc};
    if (!out)
        return;
    fwrite(&e, sizeof(e), 1, out);
    if (len) {
        fwrite(payload, 1, len, out);
        if (len % 8)
            fwrite(zero, 1, 8 - len % 8, out);
    }
    n_events++;
}

static void emit_text(uint8_t kind, uint64_t addr, uint64_t value, uint64_t pc, const char *text)
{
    emit(kind, 0, 0, VQREC_CPU_NONE, addr, value, pc, text, (uint32_t)strlen(text) + 1);
}

/* A recorded access of `cpu` follows: first the barriers it executed since its previous one. */
static void emit_access(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
                        uint64_t value, uint64_t pc)
{
    struct bf_barrier b[2];
    unsigned n = bf_access(cpu, b);
    for (unsigned i = 0; i < n; i++)
        emit(VQREC_BARRIER, 0, 0, cpu, b[i].op, b[i].kind, b[i].pc, NULL, 0);
    emit(kind, size, flags, cpu, addr, value, pc, NULL, 0);
}

/* ---- guest RAM (the shared file) --------------------------------------------------------- */

static int ram_ok(uint64_t pa, uint64_t n)
{
    return ram && pa >= ram_base && n <= ram_size && pa - ram_base <= ram_size - n;
}

static uint64_t ram_read(uint64_t pa, unsigned n)
{
    uint64_t v = 0;
    if (n > 8)
        n = 8;
    if (ram_ok(pa, n))
        memcpy(&v, ram + (pa - ram_base), n); /* little-endian host and guest */
    return v;
}

/* ---- rings ------------------------------------------------------------------------------- */

static uint32_t queue_num(const struct queue *q)
{
    return q->num ? q->num : q->num_max;
}

/* Where the device has the modern rings of q: latched at QueueReady = 1 while ready, else the
 * registers (a driver's stores before QueueReady are to the rings it is setting up). */
static uint64_t q_desc(const struct queue *q) { return q->ready ? q->live_desc : q->desc; }
static uint64_t q_driver(const struct queue *q) { return q->ready ? q->live_driver : q->driver; }
static uint64_t q_device(const struct queue *q) { return q->ready ? q->live_device : q->device; }

static void add_range(uint64_t lo, uint64_t size)
{
    if (!lo || !size || n_ranges >= MAX_RANGES)
        return;
    __atomic_store_n(&ranges[n_ranges].lo, lo, __ATOMIC_RELAXED);
    __atomic_store_n(&ranges[n_ranges].hi, lo + size, __ATOMIC_RELAXED);
    __atomic_store_n(&n_ranges, n_ranges + 1, __ATOMIC_RELAXED);
}

/* Every ring of every queue whose addresses are known, as either version places it: a driver
 * that writes version 2 registers to a version 1 device still has its rings recorded. */
static void rebuild_ranges(void)
{
    __atomic_store_n(&range_seq, range_seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&n_ranges, 0, __ATOMIC_RELAXED);
    for (unsigned w = 0; w < n_win; w++)
        for (unsigned i = 0; i < MAX_QUEUES; i++) {
            const struct queue *q = &win[w].q[i];
            uint32_t num = queue_num(q);
            if (!num || num > 32768)
                continue;
            add_range(q_desc(q), rl_desc_bytes(num));
            add_range(q_driver(q), rl_avail_bytes(num));
            add_range(q_device(q), rl_used_bytes(num));
            if (q->pfn) {
                /* One region: from the descriptor table to the later of QEMU's and §2.6.2's
                 * used ring, so a driver polling either place is seen. */
                uint64_t d = (uint64_t)q->pfn << win[w].page_shift;
                add_range(d, rl_legacy_region_bytes(d, num, q->align));
            }
        }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&range_seq, range_seq + 1, __ATOMIC_RELAXED);
}

/* Lock-free: every RAM access of the guest asks this; rebuilds are rare (queue setup). */
static int in_ranges(uint64_t pa, unsigned size)
{
    for (;;) {
        unsigned seq = __atomic_load_n(&range_seq, __ATOMIC_ACQUIRE);
        if (seq & 1)
            continue;
        int hit = 0;
        unsigned n = __atomic_load_n(&n_ranges, __ATOMIC_RELAXED);
        for (unsigned i = 0; i < n && i < MAX_RANGES && !hit; i++)
            hit = pa < __atomic_load_n(&ranges[i].hi, __ATOMIC_RELAXED) &&
                  pa + size > __atomic_load_n(&ranges[i].lo, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&range_seq, __ATOMIC_RELAXED) == seq)
            return hit;
    }
}

/* Where the device reads queue q: its version's registers (version 1: QueuePFN). */
static int queue_layout(const struct window *w, const struct queue *q, uint64_t *desc,
                        uint64_t *avail)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768) /* §2.6: at most 32768 entries; a bigger value is garbage */
        return 0;
    if (w->version == 1 || (w->version == 0 && q->pfn)) {
        if (!q->pfn)
            return 0;
        *desc = (uint64_t)q->pfn << w->page_shift;
        *avail = *desc + rl_desc_bytes(num);
        return 1;
    }
    if (!q_desc(q) || !q_driver(q))
        return 0;
    *desc = q_desc(q);
    *avail = q_driver(q);
    return 1;
}

static void dump_flagged(unsigned cpu, uint64_t addr, uint32_t len, uint8_t flags)
{
    uint32_t n = len > VQREC_DUMP_CAP ? VQREC_DUMP_CAP : len;
    if (!n || !ram_ok(addr, n))
        return;
    /* value: the buffer's full length (the payload may be capped) */
    emit(VQREC_MEMORY, 0, flags, cpu, addr, len, 0, ram + (addr - ram_base), n);
}

static void dump(unsigned cpu, uint64_t addr, uint32_t len)
{
    dump_flagged(cpu, addr, len, 0);
}

/* The device has just taken queue q's rings (QueueReady = 1, or a legacy QueuePFN): what they
 * hold now is what the guest left there — values stored before the registers named the ring
 * (which the plugin could not know to record) and stale memory it never initialised (a
 * NO_NOTIFY in used.flags, §2.6.10.1). Written right after the register write's event. */
static void dump_rings(unsigned cpu, const struct window *w, const struct queue *q)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768)
        return;
    if (w->version == 1 || (w->version == 0 && q->pfn)) {
        if (!q->pfn)
            return;
        uint64_t d = (uint64_t)q->pfn << w->page_shift;
        dump_flagged(cpu, d, (uint32_t)rl_legacy_region_bytes(d, num, q->align), VQREC_M_RING);
        return;
    }
    dump_flagged(cpu, q->live_desc, (uint32_t)rl_desc_bytes(num), VQREC_M_RING);
    dump_flagged(cpu, q->live_driver, (uint32_t)rl_avail_bytes(num), VQREC_M_RING);
    dump_flagged(cpu, q->live_device, (uint32_t)rl_used_bytes(num), VQREC_M_RING);
}

/* The device-readable buffers of one descriptor (and of its indirect table). */
static void dump_desc(unsigned cpu, uint64_t d, uint32_t max_indirect)
{
    uint64_t addr = ram_read(d, 8);
    uint32_t len = (uint32_t)ram_read(d + 8, 4);
    uint16_t flags = (uint16_t)ram_read(d + 12, 2);
    if (flags & DESC_F_INDIRECT) {
        if (!max_indirect)
            return;
        dump(cpu, addr, len);
        uint32_t n = len / 16;
        for (uint32_t i = 0; i < n && i < max_indirect; i++)
            dump_desc(cpu, addr + 16ull * i, 0);
        return;
    }
    if (!(flags & DESC_F_WRITE))
        dump(cpu, addr, len);
}

/* The device-readable buffers of the chain in avail slot `slot` (an index, taken mod num). */
static void dump_chain(unsigned cpu, uint64_t desc, uint64_t avail, uint32_t num, uint16_t slot)
{
    uint16_t head = (uint16_t)ram_read(avail + 4 + 2ull * (slot % num), 2);
    uint32_t j = head;
    for (uint32_t hops = 0; j < num && hops < num; hops++) {
        uint64_t d = desc + 16ull * j;
        dump_desc(cpu, d, 65536);
        uint16_t flags = (uint16_t)ram_read(d + 12, 2);
        if (!(flags & DESC_F_NEXT))
            break;
        j = (uint16_t)ram_read(d + 14, 2);
    }
}

/* At a QueueNotify: the chains made available since those already dumped. */
static void dump_new_chains(unsigned cpu, struct window *w, uint32_t qi)
{
    if (qi >= MAX_QUEUES)
        return;
    struct queue *q = &w->q[qi];
    uint64_t desc, avail;
    if (!queue_layout(w, q, &desc, &avail))
        return;
    uint32_t num = queue_num(q);
    uint16_t idx = (uint16_t)ram_read(avail + 2, 2);
    for (uint32_t k = 0; q->last_avail != idx && k < num; k++, q->last_avail++)
        dump_chain(cpu, desc, avail, num, q->last_avail);
    q->last_avail = idx;
}

/* QEMU's device took a chain (its virtqueue_pop trace; it takes them in avail order): when that
 * chain was published after the last notify (a device still busy with an earlier notify takes
 * what was published meanwhile), its buffers are dumped now, before the guest can have seen it
 * answered (it must load used.idx first, and every load reads QEMU's log first), so the model
 * has what QEMU read. */
static void dump_popped(struct window *w, uint32_t qi)
{
    if (qi >= MAX_QUEUES)
        return;
    struct queue *q = &w->q[qi];
    uint16_t k = q->popped++;
    uint64_t desc, avail;
    if ((int16_t)(uint16_t)(k - q->last_avail) < 0 || !queue_layout(w, q, &desc, &avail))
        return; /* dumped at a notify already */
    dump_chain(VQREC_CPU_NONE, desc, avail, queue_num(q), k);
    q->last_avail = (uint16_t)(k + 1);
}

/* Where the device has queue q's used ring (its version's registers; 0: not known). */
static uint64_t queue_used(const struct window *w, const struct queue *q)
{
    uint32_t num = queue_num(q);
    if (!num || num > 32768)
        return 0;
    if (w->version == 1 || (w->version == 0 && q->pfn))
        return q->pfn ? rl_legacy_used((uint64_t)q->pfn << w->page_shift, num, q->align) : 0;
    return q_device(q);
}

/* The guest read avail_event (VIRTIO_F_EVENT_IDX): the device had taken the chains up to that
 * index. QEMU's virtqueue_pop writes avail_event before it logs its trace line, so the guest can
 * see a chain taken before the plugin has read the pop: those chains' buffers are dumped now,
 * before the load — the checker's device takes them when the guest saw them taken. */
static void avail_event_read(uint64_t pa, uint16_t seen)
{
    for (unsigned wi = 0; wi < n_win; wi++)
        for (uint32_t qi = 0; qi < MAX_QUEUES; qi++) {
            struct window *w = &win[wi];
            struct queue *q = &w->q[qi];
            uint64_t used = queue_used(w, q), desc, avail;
            uint32_t num = queue_num(q);
            if (!used || pa != used + 4 + 8ull * num || !queue_layout(w, q, &desc, &avail))
                continue;
            uint16_t ahead = (uint16_t)(seen - q->last_avail);
            for (uint32_t k = 0; ahead <= num && k < ahead; k++, q->last_avail++)
                dump_chain(VQREC_CPU_NONE, desc, avail, num, q->last_avail);
            return;
        }
}

/* ---- virtio-mmio registers --------------------------------------------------------------- */

static struct window *window_of(uint64_t addr, unsigned cpu)
{
    uint64_t base = addr & ~(uint64_t)(WINDOW_SIZE - 1);
    for (unsigned i = 0; i < n_win; i++)
        if (win[i].base == base)
            return &win[i];
    if (n_win == MAX_WINDOWS)
        return NULL;
    struct window *w = &win[n_win++];
    memset(w, 0, sizeof(*w));
    w->base = base;
    for (unsigned i = 0; i < MAX_QUEUES; i++)
        w->q[i].align = 4096; /* QEMU's QueueAlign before the driver writes one */
    emit(VQREC_WINDOW, 0, 0, cpu, base, WINDOW_SIZE, 0, NULL, 0);
    return w;
}

static void set_half(uint64_t *v, int high, uint32_t value)
{
    *v = high ? (*v & 0xffffffffull) | (uint64_t)value << 32
              : (*v & ~0xffffffffull) | value;
}

static void mmio_access(unsigned cpu, struct window *w, uint32_t off, int write, uint64_t value)
{
    struct queue *q = &w->q[w->sel < MAX_QUEUES ? w->sel : 0];
    int sel_ok = w->sel < MAX_QUEUES;
    if (!write) {
        if (off == R_VERSION)
            w->version = (uint32_t)value;
        else if (off == R_QUEUE_NUM_MAX && sel_ok)
            q->num_max = (uint32_t)value;
        return;
    }
    uint32_t v = (uint32_t)value;
    int changed = 1;
    switch (off) {
    case R_QUEUE_SEL: w->sel = v; changed = 0; break;
    case R_GUEST_PAGE_SIZE: w->page_shift = v ? (uint32_t)__builtin_ctz(v) : 0; break;
    case R_STATUS:
        if (v != 0) {
            changed = 0;
            break;
        }
        for (unsigned i = 0; i < MAX_QUEUES; i++) { /* reset: QueueAlign survives, as in QEMU */
            uint32_t align = w->q[i].align, num_max = w->q[i].num_max;
            memset(&w->q[i], 0, sizeof(w->q[i]));
            w->q[i].align = align;
            w->q[i].num_max = num_max;
        }
        break;
    case R_QUEUE_NOTIFY:
        dump_new_chains(cpu, w, v & 0xffff);
        __atomic_store_n(&notified, 1, __ATOMIC_RELAXED);
        changed = 0;
        break;
    default:
        if (!sel_ok) {
            changed = 0;
            break;
        }
        switch (off) {
        case R_QUEUE_NUM: q->num = v; break;
        case R_QUEUE_ALIGN: q->align = v; break;
        case R_QUEUE_PFN:
            q->pfn = v;
            q->last_avail = q->popped = 0;
            if (v && w->version != 2)
                dump_rings(cpu, w, q);
            break;
        case R_QUEUE_READY:
            if (w->version == 1) { /* no such register on version 1: QEMU ignores it */
                changed = 0;
                break;
            }
            q->ready = v != 0;
            if (q->ready) {
                q->live_desc = q->desc;
                q->live_driver = q->driver;
                q->live_device = q->device;
                dump_rings(cpu, w, q);
            }
            break;
        case R_DESC_LO: case R_DESC_HI: set_half(&q->desc, off == R_DESC_HI, v); break;
        case R_DRIVER_LO: case R_DRIVER_HI: set_half(&q->driver, off == R_DRIVER_HI, v); break;
        case R_DEVICE_LO: case R_DEVICE_HI: set_half(&q->device, off == R_DEVICE_HI, v); break;
        default: changed = 0; break;
        }
    }
    if (changed)
        rebuild_ranges();
}

/* ---- QEMU's log ------------------------------------------------------------------------ */

static struct vq_entry *vq_entry(uint64_t vq)
{
    for (unsigned i = 0; i < n_vq_map; i++)
        if (vq_map[i].vq == vq)
            return &vq_map[i];
    return NULL;
}

/* The window of the device whose QueueNotify write made this virtio_queue_notify line: QEMU logs
 * the write's memory_region_ops line, then (inside the write) the notify, and the plugin's
 * callback for the write comes after both, so that write's line is still unmatched. Another
 * vCPU may be notifying queue n of another device at the same time: then the lines cannot tell
 * which is which, and the window stays unknown (0) until a notify that can. */
static uint64_t notify_window(int n)
{
    uint64_t found = 0;
    for (unsigned i = 0; i < n_pending; i++) {
        const struct mmio_line *m = &pending[i];
        if (!m->write || !m->virtio || (m->addr & (WINDOW_SIZE - 1)) != R_QUEUE_NOTIFY ||
            m->value != (uint64_t)n)
            continue;
        uint64_t w = m->addr & ~(uint64_t)(WINDOW_SIZE - 1);
        if (found && found != w)
            return 0;
        found = w;
    }
    return found;
}

static void device_line(const char *line)
{
    uint64_t vq = 0, vdev = 0;
    int n = -1;
    uint32_t kind = VQREC_DEV_OTHER, queue = 0xffffffffu;
    const char *p;
    if ((p = strstr(line, "virtio_queue_notify ")) &&
        sscanf(p, "virtio_queue_notify vdev %" SCNx64 " n %d vq %" SCNx64, &vdev, &n, &vq) == 3) {
        kind = VQREC_DEV_NOTIFY;
        struct vq_entry *e = vq_entry(vq);
        if (!e && n_vq_map < VQ_MAP) {
            e = &vq_map[n_vq_map++];
            *e = (struct vq_entry){vq, (uint32_t)n, 0};
        }
        if (e && !e->window && (e->window = notify_window(n)) && e->pops_unplaced) {
            /* the pops seen before the window was known count towards its queue's */
            for (unsigned i = 0; i < n_win; i++)
                if (win[i].base == e->window && e->index < MAX_QUEUES)
                    win[i].q[e->index].popped += e->pops_unplaced;
            e->pops_unplaced = 0;
        }
    } else if ((p = strstr(line, "virtqueue_pop ")) && sscanf(p, "virtqueue_pop vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_POP;
    } else if ((p = strstr(line, "virtqueue_fill ")) && sscanf(p, "virtqueue_fill vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_FILL;
    } else if ((p = strstr(line, "virtqueue_flush ")) && sscanf(p, "virtqueue_flush vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_FLUSH;
    } else if ((p = strstr(line, "virtio_notify ")) &&
               sscanf(p, "virtio_notify vdev %" SCNx64 " vq %" SCNx64, &vdev, &vq) == 2) {
        kind = VQREC_DEV_IRQ;
    } else if (strstr(line, "virtio_mmio_setting_irq ")) {
        kind = VQREC_DEV_IRQ;
    } else if (!strstr(line, "virtio")) {
        return; /* another device's message */
    }
    struct vq_entry *e = vq ? vq_entry(vq) : NULL;
    uint64_t window = e ? e->window : 0;
    if (kind == VQREC_DEV_POP && e && !window)
        e->pops_unplaced++;
    if (e)
        queue = e->index;
    else if (kind == VQREC_DEV_NOTIFY)
        queue = (uint32_t)n;
    if (kind == VQREC_DEV_POP && window) /* its buffers first, then the pop that reads them */
        for (unsigned i = 0; i < n_win; i++)
            if (win[i].base == window)
                dump_popped(&win[i], queue);
    emit_text(VQREC_DEVICE, queue, kind, window, line);
}

static void log_line(char *line)
{
    const char *p = strstr(line, "memory_region_ops_");
    if (p) {
        char dir[8], name[64] = "";
        int cpu;
        uint64_t addr, value;
        unsigned size;
        if (sscanf(p, "memory_region_ops_%7s cpu %d mr %*s addr %" SCNx64 " value %" SCNx64
                      " size %u name '%63[^']'", dir, &cpu, &addr, &value, &size, name) < 5)
            return;
        if (n_pending == PENDING) { /* never matched: forget the oldest */
            memmove(pending, pending + 1, sizeof(pending[0]) * (PENDING - 1));
            n_pending--;
        }
        pending[n_pending++] = (struct mmio_line){cpu, !strcmp(dir, "write"),
                                                  !strcmp(name, "virtio-mmio"), addr, value};
        return;
    }
    device_line(line);
}

/* Read QEMU's log up to its current end (whole lines only). */
static void drain_log(void)
{
    if (log_fd < 0) {
        if (!log_path)
            return;
        log_fd = open(log_path, (log_punch ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (log_fd < 0)
            return;
    }
    /* QEMU writes at its own file offset: a hole punched behind it keeps the file's size and
     * QEMU's offset, and gives the memory back. */
    uint64_t done = (log_read - log_len) & ~(uint64_t)0xfffff;
    if (log_punch && done > log_punched) {
        if (fallocate(log_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)log_punched,
                      (off_t)(done - log_punched)) == 0)
            log_punched = done;
        else
            log_punch = 0;
    }
    for (;;) {
        ssize_t r = read(log_fd, log_buf + log_len, sizeof(log_buf) - 1 - log_len);
        if (r <= 0)
            return;
        log_read += (uint64_t)r;
        log_len += (size_t)r;
        log_buf[log_len] = 0;
        char *s = log_buf, *nl;
        while ((nl = strchr(s, '\n'))) {
            *nl = 0;
            log_line(s);
            s = nl + 1;
        }
        log_len -= (size_t)(s - log_buf);
        memmove(log_buf, s, log_len);
        if (log_len == sizeof(log_buf) - 1)
            log_len = 0; /* a line longer than the buffer: drop it */
    }
}

/* The trace line of this access: the oldest unmatched one of the same vCPU, direction and
 * address. Older lines of that vCPU are dropped (accesses that never reached a callback). */
static int take_mmio(unsigned cpu, int write, uint64_t pa, uint64_t *value, int *virtio)
{
    for (unsigned i = 0; i < n_pending; i++) {
        struct mmio_line *m = &pending[i];
        if (m->cpu != (int)cpu || m->write != write || m->addr != pa)
            continue;
        *value = m->value;
        *virtio = m->virtio;
        unsigned k = 0;
        for (unsigned j = 0; j < n_pending; j++)
            if (j > i || (j < i && pending[j].cpu != (int)cpu))
                pending[k++] = pending[j];
        n_pending = k;
        return 1;
    }
    return 0;
}

/* ---- physical addresses of RAM accesses -------------------------------------------------- */

/* qemu_plugin_hwaddr_phys_addr looks the RAM block up on every call (~30 ns, most of what
 * recording costs a memory-heavy guest). QEMU 7.2's handle holds the host address of the
 * access (include/qemu/plugin-memory.h: is_io, is_store, then a union whose RAM member is the
 * host pointer), and guest RAM is one host mapping, so pa = ram_base + (host - host_base).
 * That layout is QEMU's, not the API's: the shortcut is taken only after it agreed with
 * qemu_plugin_hwaddr_phys_addr on the first FAST_CHECKS RAM accesses, and is never taken again
 * after one disagreement. */
struct qemu72_hwaddr_layout {
    bool is_io, is_store;
    union {
        struct {
            void *section;
            uint64_t offset;
        } io;
        struct {
            void *hostaddr;
        } ram;
    } v;
};
#define FAST_CHECKS 4096u
static uintptr_t host_base;    /* host address of guest-physical ram_base */
static int fast_state;         /* 0 checking, 1 on, -1 off */
static unsigned fast_checked;

static uint64_t ram_phys(struct qemu_plugin_hwaddr *hw)
{
    uintptr_t host = (uintptr_t)((const struct qemu72_hwaddr_layout *)hw)->v.ram.hostaddr;
    int state = __atomic_load_n(&fast_state, __ATOMIC_RELAXED);
    uintptr_t base = __atomic_load_n(&host_base, __ATOMIC_RELAXED);
    if (state == 1 && host - base < ram_size)
        return ram_base + (host - base);
    uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);
    if (state != 0 || pa - ram_base >= ram_size || !ram_size)
        return pa;
    if (!base) {
        __atomic_store_n(&host_base, host - (uintptr_t)(pa - ram_base), __ATOMIC_RELAXED);
    } else if (host - base != pa - ram_base) {
        __atomic_store_n(&fast_state, -1, __ATOMIC_RELAXED);
    } else if (__atomic_add_fetch(&fast_checked, 1, __ATOMIC_RELAXED) >= FAST_CHECKS) {
        int expect = 0;
        __atomic_compare_exchange_n(&fast_state, &expect, 1, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    }
    return pa;
}

/* ---- callbacks --------------------------------------------------------------------------- */

/* A 2-byte load outside the rings: recorded when it is a poll (poll_watch.h), e.g. of a used
 * ring the driver has somewhere else than it told the device. */
static void watch_poll(unsigned cpu, uint64_t pc, uint64_t pa, uint64_t va, uint8_t flags)
{
    uint16_t value = (uint16_t)ram_read(pa, 2);
    enum poll_verdict v = poll_watch(cpu, pc, pa, value);
    if (v == POLL_SKIP)
        return;
    pthread_mutex_lock(&lock);
    drain_log(); /* device events that happened while the guest polls */
    if (va != pa) {
        flags |= VQREC_F_VIRT;
        header.flags |= VQREC_HF_MMU_SEEN;
    }
    flags &= VQREC_F_ACQUIRE | VQREC_F_VIRT;
    flags |= v == POLL_RECORD_POLL ? VQREC_F_POLL : VQREC_F_WATCHED;
    emit_access(VQREC_LOAD, 2, flags, cpu, pa, value, pc);
    pthread_mutex_unlock(&lock);
}

static void on_mem(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t va, void *udata)
{
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, va);
    if (!hw)
        return;
    int store = qemu_plugin_mem_is_store(info);
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    uint64_t pc = (uint64_t)(uintptr_t)udata & ~(uint64_t)3;
    uint8_t flags = (uint8_t)((uintptr_t)udata & 3);
    int io = qemu_plugin_hwaddr_is_io(hw);
    uint64_t pa = io ? qemu_plugin_hwaddr_phys_addr(hw) : ram_phys(hw);
    if (io) {
        pthread_mutex_lock(&lock);
        drain_log();
        uint64_t value = 0;
        int virtio = 0;
        if (take_mmio(cpu, store, pa, &value, &virtio) && virtio) {
            if (size < 8) /* the trace shows the register's value before the bus narrows it */
                value &= (1ull << (8 * size)) - 1;
            struct window *w = window_of(pa, cpu);
            if (va != pa) {
                flags |= VQREC_F_VIRT;
                header.flags |= VQREC_HF_MMU_SEEN;
            }
            emit_access(store ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, (uint8_t)size,
                        flags & VQREC_F_VIRT, cpu, pa, value, pc);
            if (w)
                mmio_access(cpu, w, (uint32_t)(pa - w->base), store, value);
        } else if (!virtio) {
            for (unsigned i = 0; i < n_win; i++)
                if (pa - win[i].base < WINDOW_SIZE) { /* a window access without its line */
                    n_unmatched++;
                    break;
                }
        }
        pthread_mutex_unlock(&lock);
        return;
    }
    if (!in_ranges(pa, size)) {
        /* used.idx is at 2 mod 4 (the used ring is 4-byte aligned, §2.6) */
        if (!store && size == 2 && pa % 4 == 2 && __atomic_load_n(&notified, __ATOMIC_RELAXED) &&
            ram_ok(pa, 2))
            watch_poll(cpu, pc, pa, va, flags);
        return;
    }
    pthread_mutex_lock(&lock);
    if (in_ranges(pa, size)) { /* still (a reset may have come between) */
        if (!store)
            drain_log(); /* device events that happened while the guest polls */
        if (va != pa) {
            flags |= VQREC_F_VIRT;
            header.flags |= VQREC_HF_MMU_SEEN;
        }
        flags &= store ? (VQREC_F_RELEASE | VQREC_F_VIRT) : (VQREC_F_ACQUIRE | VQREC_F_VIRT);
        uint64_t value = ram_read(pa, size);
        if (!store && size == 2)
            avail_event_read(pa, (uint16_t)value);
        emit_access(store ? VQREC_STORE : VQREC_LOAD, (uint8_t)size, flags, cpu, pa, value, pc);
    }
    pthread_mutex_unlock(&lock);
}

static void on_barrier(unsigned int cpu, void *udata)
{
    const struct barrier_site *b = udata;
    bf_barrier(cpu, b->kind, b->opcode, b->pc); /* emitted before cpu's next recorded access */
}

/* aarch64 decoding. dmb / dsb: CRm (bits 11:8) is the option; its low two bits say what is
 * ordered: 1 loads (…ld), 2 stores (…st), 3 everything. dsb with those bits 0 is ssbb / pssbb
 * (speculation barriers), not recorded. */
static int barrier_kind(uint32_t op, uint32_t *kind)
{
    int dmb = (op & 0xfffff0ffu) == 0xd50330bfu, dsb = (op & 0xfffff0ffu) == 0xd503309fu;
    if (!dmb && !dsb)
        return 0;
    uint32_t type = (op >> 8) & 3;
    if (dsb && type == 0)
        return 0;
    *kind = type == 1 ? VQREC_RMB : type == 2 ? VQREC_WMB : VQREC_MB;
    return 1;
}

/* Ordered loads / stores: ldar/stlr (all sizes), ldaxr/stlxr, ldapr, ldapur/stlur. */
static uint8_t order_flags(uint32_t op)
{
    if ((op & 0x3f000000u) == 0x08000000u && (op & (1u << 15)) && !(op & (1u << 21)))
        return (op & (1u << 22)) ? VQREC_F_ACQUIRE : VQREC_F_RELEASE;
    if ((op & 0x3ffffc00u) == 0x38bfc000u)
        return VQREC_F_ACQUIRE;
    if ((op & 0x3f200c00u) == 0x19000000u)
        return ((op >> 22) & 3) ? VQREC_F_ACQUIRE : VQREC_F_RELEASE;
    return 0;
}

static struct barrier_site *barrier_site(uint64_t pc, uint32_t op, uint32_t kind)
{
    /* A few per guest; kept for the run (QEMU may retranslate a block: look it up first). */
    static struct barrier_site sites[4096];
    static unsigned n_sites;
    for (unsigned i = 0; i < n_sites; i++)
        if (sites[i].pc == pc && sites[i].opcode == op)
            return &sites[i];
    if (n_sites < sizeof(sites) / sizeof(sites[0])) {
        sites[n_sites] = (struct barrier_site){pc, op, kind};
        return &sites[n_sites++];
    }
    struct barrier_site *b = malloc(sizeof(*b));
    if (b)
        *b = (struct barrier_site){pc, op, kind};
    return b;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        uint32_t op = 0, kind;
        if (qemu_plugin_insn_size(insn) == 4)
            memcpy(&op, qemu_plugin_insn_data(insn), 4);
        if (barrier_kind(op, &kind)) {
            pthread_mutex_lock(&lock);
            struct barrier_site *b = barrier_site(pc, op, kind);
            pthread_mutex_unlock(&lock);
            if (b)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_barrier, QEMU_PLUGIN_CB_NO_REGS, b);
            continue;
        }
        /* pc is 4-byte aligned: its low bits carry the ordering flags to the callback. */
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                         (void *)(uintptr_t)(pc | order_flags(op)));
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    pthread_mutex_lock(&lock);
    drain_log();
    if (out) {
        if (n_unmatched) {
            char note[96];
            snprintf(note, sizeof(note), "vqrec: %" PRIu64 " window accesses had no trace line",
                     n_unmatched);
            emit_text(VQREC_NOTE, 0, 0, 0, note);
        }
        uint64_t executed, kept;
        bf_counts(&executed, &kept);
        char bnote[128];
        snprintf(bnote, sizeof(bnote), "vqrec: %" PRIu64 " barriers executed, %" PRIu64
                 " recorded (between recorded accesses of one vCPU)", executed, kept);
        emit_text(VQREC_NOTE, 0, 0, 0, bnote);
        fflush(out);
        if (fseek(out, 0, SEEK_SET) == 0) /* the header's flags are known only now */
            fwrite(&header, sizeof(header), 1, out);
        fclose(out);
        out = NULL;
    }
    pthread_mutex_unlock(&lock);
}

/* ---- install ----------------------------------------------------------------------------- */

static const char *arg(const char *a, const char *key)
{
    size_t n = strlen(key);
    return !strncmp(a, key, n) && a[n] == '=' ? a + n + 1 : NULL;
}

VQREC_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                            int argc, char **argv)
{
    const char *out_path = NULL, *shm = NULL, *v;
    for (int i = 0; i < argc; i++) {
        if ((v = arg(argv[i], "out")))
            out_path = v;
        else if ((v = arg(argv[i], "log")))
            log_path = strdup(v);
        else if ((v = arg(argv[i], "punch")))
            log_punch = !strcmp(v, "on");
        else if ((v = arg(argv[i], "shm")))
            shm = v;
        else if ((v = arg(argv[i], "rambase")))
            ram_base = strtoull(v, NULL, 0);
        else if ((v = arg(argv[i], "ramsize")))
            ram_size = strtoull(v, NULL, 0);
        else {
            fprintf(stderr, "vqrec plugin: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (!out_path || !info || !info->system_emulation) {
        fprintf(stderr, "vqrec plugin: needs out=FILE and system emulation\n");
        return -1;
    }
    if (shm) {
        int fd = open(shm, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size < ram_size) {
            fprintf(stderr, "vqrec plugin: cannot use %s as guest RAM: %s\n", shm,
                    fd < 0 ? strerror(errno) : "shorter than ramsize");
            if (fd >= 0)
                close(fd);
            return -1;
        }
        void *p = mmap(NULL, ram_size, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED) {
            fprintf(stderr, "vqrec plugin: mmap %s: %s\n", shm, strerror(errno));
            return -1;
        }
        ram = p;
    }
    out = fopen(out_path, "w+b");
    if (!out) {
        fprintf(stderr, "vqrec plugin: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    memcpy(header.magic, VQREC_MAGIC, 8);
    header.major = VQREC_VERSION_MAJOR;
    header.minor = VQREC_VERSION_MINOR;
    header.header_size = sizeof(header);
    header.ram_base = ram_base;
    header.ram_size = ram_size;
    header.n_cpus = (uint32_t)info->system.smp_vcpus;
    snprintf(header.source, sizeof(header.source), "qemu-7.2-tcg-plugin");
    fwrite(&header, sizeof(header), 1, out);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
