/* vqrec_plugin.c — QEMU TCG plugin (QEMU 7.2, plugin API 1, aarch64 guests): records what an
 * unmodified guest does to its virtio-mmio devices into the file of src/record/recording.h.
 *
 * Loaded by `vqsim record` (src/record/record_cmd*.c), which also sets up what the plugin API of
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
 *   - every access to a virtio-pci function (vqrec_pci.c): its configuration space once its
 *     vendor id read 0x1af4, its virtio structures and MSI-X table, at their addresses and widths;
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
 * Stores first: until the guest's first store to a virtio register other than the device
 * status no ring can exist (a ring is known to the device only from its address registers, and
 * a status write sets none: 0 resets them), so only instructions that may store call back
 * (a64_insn.h; most of a Linux boot comes before that store, and two thirds of its accesses are
 * loads; Linux resets and acknowledges every device as virtio_mmio / virtio_pci load, long
 * before a driver binds and writes its first other register). The register reads of that time (a driver
 * probing its devices) are recorded from QEMU's trace alone, flagged VQREC_F_TRACED (no pc).
 * That store asks QEMU to translate everything again with every access instrumented
 * (qemu_plugin_reset); until that is done (each vCPU runs to the end of the block it is in) the
 * reads of the old code are still taken from the trace, and a ring set up or a queue notified in
 * that time is said in a NOTE ("vqrec: unobserved: …", which `vqsim check` reports). Plugin
 * argument storesfirst=off instruments everything from the start; storesfirst=verify does too and
 * counts the stores of instructions a64_no_store skips (a NOTE).
 * Arguments: out=FILE (the recording), log=FILE (QEMU's -D), punch=on (free the log's read part
 * as it goes), shm=FILE (guest RAM), rambase=ADDR, ramsize=BYTES, vacache=off, storesfirst=off /
 * verify. No glib: libc and pthreads.
 * The plugin's files: vqrec_internal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/plugin/a64_insn.h"
#include "record/plugin/barrier_filter.h"
#include "record/plugin/poll_watch.h"
#include "record/plugin/qemu_plugin_api.h"
#include "record/plugin/va_cache.h"
#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"

VQREC_PLUGIN_EXPORT int qemu_plugin_version = VQREC_PLUGIN_API_VERSION;
VQREC_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                            int argc, char **argv);

struct barrier_site {
    uint64_t pc;
    uint32_t opcode, kind;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t n_unmatched;
static qemu_plugin_id_t plugin_id;

/* ---- stores first (vqrec_internal.h: phase) ------------------------------------------------ */

int phase = PHASE_STORES;
static bool stores_first = true; /* storesfirst=off: every access from the start */
static bool verify_decode;       /* storesfirst=verify: as off, and a64_no_store checked */
static uint64_t n_decode_misses[2]; /* stores of instructions a64_no_store said write nothing,
                                       accesses of those a64_no_memory said access nothing */
static uint64_t switch_store;  /* the event number of the store that ended PHASE_STORES */
static unsigned switch_cpu;
static bool switch_done;
static bool ring_in_window;    /* a ring or a notify while stores-only code could still run */

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
static void on_resume(qemu_plugin_id_t id, unsigned int cpu);
static void on_exit_cb(qemu_plugin_id_t id, void *udata);

static void register_callbacks(qemu_plugin_id_t id)
{
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_vcpu_resume_cb(id, on_resume);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
}

/* QEMU has flushed every translation and unregistered every callback, every vCPU stopped: no
 * code instrumented for stores only is left. A register read still without its callback never
 * gets one; a ring set up or a queue notified since the switch began may have had loads in that
 * code that nobody saw (said in a NOTE: on_exit_cb). */
static void on_switched(qemu_plugin_id_t id)
{
    pthread_mutex_lock(&lock);
    drain_log();
    traced_leftovers();
    ring_in_window = rings_known() || __atomic_load_n(&notified, __ATOMIC_RELAXED);
    switch_done = true;
    __atomic_store_n(&phase, PHASE_FULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
    register_callbacks(id);
}

/* The guest stored to a virtio register other than the device status (a virtio-mmio window, a
 * virtio-pci function's structures or MSI-X table): from now on a ring may exist, so every
 * access counts. Code
 * translated from here on is instrumented in full; QEMU is asked to translate again what was
 * translated before (it flushes once every vCPU has left the block it is in: the rest of this
 * one runs as it was translated). Lock held. */
static void switch_to_full(unsigned cpu)
{
    switch_store = output_events() - 1; /* that store, just emitted */
    switch_cpu = cpu;
    __atomic_store_n(&phase, PHASE_SWITCHING, __ATOMIC_RELEASE);
    qemu_plugin_reset(plugin_id, on_switched);
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
        output_mmu_seen();
    }
    flags &= VQREC_F_ACQUIRE | VQREC_F_VIRT;
    flags |= v == POLL_RECORD_POLL ? VQREC_F_POLL : VQREC_F_WATCHED;
    emit_access(VQREC_LOAD, 2, flags, cpu, pa, value, pc);
    pthread_mutex_unlock(&lock);
}

/* An access to MMIO (hw is io): a virtio register's, with its value from QEMU's trace. */
static void mmio_mem(unsigned cpu, int store, unsigned size, uint64_t va, uint64_t pa,
                     uint64_t pc, uint8_t flags)
{
    pthread_mutex_lock(&lock);
    drain_log();
    uint64_t value = 0;
    int kind = MR_OTHER;
    if (take_mmio(cpu, store, pa, &value, &kind) && kind != MR_OTHER) {
        if (va != pa) {
            flags |= VQREC_F_VIRT;
            output_mmu_seen();
        }
        record_register(cpu, kind, store, size, pa, value, pc, flags & VQREC_F_VIRT);
        /* configuration space holds no ring address; a status write makes no ring known */
        if (store && kind != MR_ECAM && phase == PHASE_STORES && !status_register(kind, pa))
            switch_to_full(cpu);
    } else if (kind == MR_OTHER) {
        for (unsigned i = 0; i < n_windows; i++)
            if (!windows[i].pci && pa - windows[i].base < WINDOW_SIZE) {
                n_unmatched++; /* a window access without its line */
                break;
            }
    }
    pthread_mutex_unlock(&lock);
}

/* An access to RAM at pa (ring_page: a ring overlaps its page): recorded when it touches a
 * ring, or when it is a poll outside them. */
static void ram_mem(unsigned cpu, int store, unsigned size, uint64_t va, uint64_t pa,
                    uint64_t pc, uint8_t flags, bool ring_page)
{
    if (!ring_page || !in_ranges(pa, size)) {
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
            output_mmu_seen();
        }
        flags &= store ? (VQREC_F_RELEASE | VQREC_F_VIRT) : (VQREC_F_ACQUIRE | VQREC_F_VIRT);
        uint64_t value = ram_read(pa, size);
        if (!store && size == 2)
            avail_event_read(pa, (uint16_t)value);
        emit_access(store ? VQREC_STORE : VQREC_LOAD, (uint8_t)size, flags, cpu, pa, value, pc);
        if (store && size == 2)
            packed_flags_stored(cpu, pa, (uint16_t)value); /* vqrec_packed.c */
    }
    pthread_mutex_unlock(&lock);
}

/* A memory access vc_quiet did not settle: its physical page comes from the vCPU's cache of
 * pages (va_cache.h) when it can, else from QEMU (qemu_plugin_get_hwaddr, the costly part). */
static __attribute__((noinline)) void mem_access(unsigned int cpu, qemu_plugin_meminfo_t info,
                                                 uint64_t va, void *udata)
{
    int store = qemu_plugin_mem_is_store(info);
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    uint64_t pc = (uint64_t)(uintptr_t)udata & ~(uint64_t)3;
    uint8_t flags = (uint8_t)((uintptr_t)udata & 3);
    uint64_t pa = 0, cached = 0;
    bool ring_page = false;
    enum vc_result v = vc_lookup(cpu, va, size, &cached, &ring_page);
    if (v == VC_HIT) {
        ram_mem(cpu, store, size, va, cached, pc, flags, ring_page);
        return;
    }
    uint64_t gen = vc_generation();
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, va);
    if (!hw)
        return;
    int io = qemu_plugin_hwaddr_is_io(hw);
    pa = io ? qemu_plugin_hwaddr_phys_addr(hw) : ram_phys(hw);
    if (v == VC_VERIFY)
        vc_verify(cached, io, pa);
    if (io) {
        mmio_mem(cpu, store, size, va, pa, pc, flags);
        return;
    }
    if (v == VC_MISS)
        vc_fill(cpu, va, size, pa, in_ranges(pa - pa % 4096, 4096), gen);
    ram_mem(cpu, store, size, va, pa, pc, flags, true); /* exactly: it may cross a page */
}

/* An access vc_quiet may settle once its width and direction are known: one that starts in
 * the last 128 bytes of a page (an access is at most 2^7 bytes, MemOp's size field: it may cross
 * into the next), or one at 2 mod 4 once a queue was notified (a 2-byte load there may be a
 * poll: ram_mem). */
static __attribute__((noinline)) void mem_unsure(unsigned int cpu, qemu_plugin_meminfo_t info,
                                                 uint64_t va, void *udata)
{
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    bool poll = size == 2 && va % 4 == 2 && !qemu_plugin_mem_is_store(info) &&
                __atomic_load_n(&notified, __ATOMIC_RELAXED);
    if (!poll && va % VC_PAGE + size <= VC_PAGE && vc_quiet(cpu, va))
        return;
    mem_access(cpu, info, va, udata);
}

/* Every guest memory access. Nearly all are to RAM pages with no ring (va_cache.h's vc_quiet):
 * nothing to do. This path calls nothing but in tail position (mem_unsure, mem_access), so
 * that it saves no registers. */
static void on_mem(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t va, void *udata)
{
    if (va % VC_PAGE > VC_PAGE - 128 ||
        (va % 4 == 2 && __atomic_load_n(&notified, __ATOMIC_RELAXED)))
        mem_unsure(cpu, info, va, udata);
    else if (!vc_quiet(cpu, va))
        mem_access(cpu, info, va, udata);
}

/* storesfirst=verify: an instruction a64_no_store says writes no memory made an access; a
 * store counts against the decoding (a NOTE at the end). */
static void on_mem_no_store(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t va,
                            void *udata)
{
    if (qemu_plugin_mem_is_store(info))
        __atomic_add_fetch(&n_decode_misses[0], 1, __ATOMIC_RELAXED);
    on_mem(cpu, info, va, udata);
}

/* The same for an instruction a64_no_memory says accesses no memory: any access counts. */
static void on_mem_no_memory(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t va,
                             void *udata)
{
    __atomic_add_fetch(&n_decode_misses[1], 1, __ATOMIC_RELAXED);
    on_mem(cpu, info, va, udata);
}

/* A TLBI or a write to a translation register is about to run (va_cache.h). */
static void on_mmu_change(unsigned int cpu, void *udata)
{
    (void)udata;
    vc_mmu_change(cpu);
}

/* QEMU stopped this vCPU and lets it run again: it may have reset it (va_cache.h). */
static void on_resume(qemu_plugin_id_t id, unsigned int cpu)
{
    (void)id;
    vc_cpu_resumed(cpu);
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

#define BARRIER_SITES 4096u /* kept in a table (a Linux boot has about 2,000); more: malloc'd */

/* The site of the barrier at pc: a few thousand per guest, kept for the run. QEMU translates a
 * block again after a flush (stores first: every block), so a site is looked up first: an
 * open-addressed table, twice the sites' size. Lock held. */
static struct barrier_site *barrier_site(uint64_t pc, uint32_t op, uint32_t kind)
{
    static struct barrier_site sites[BARRIER_SITES];
    static struct barrier_site *table[2 * BARRIER_SITES];
    static unsigned n_sites;
    unsigned h = (unsigned)((pc >> 2) * 0x9e3779b97f4a7c15ull >> 51) % (2 * BARRIER_SITES);
    for (struct barrier_site *b; (b = table[h]); h = (h + 1) % (2 * BARRIER_SITES))
        if (b->pc == pc && b->opcode == op)
            return b;
    if (n_sites < BARRIER_SITES) {
        sites[n_sites] = (struct barrier_site){pc, op, kind};
        return table[h] = &sites[n_sites++];
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
    bool stores_only = __atomic_load_n(&phase, __ATOMIC_ACQUIRE) == PHASE_STORES;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        uint32_t op = 0, kind;
        if (qemu_plugin_insn_size(insn) == 4)
            memcpy(&op, qemu_plugin_insn_data(insn), 4);
        if (vc_mmu_insn(op)) { /* no memory access of its own */
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mmu_change, QEMU_PLUGIN_CB_NO_REGS,
                                                   NULL);
            continue;
        }
        if (barrier_kind(op, &kind)) {
            pthread_mutex_lock(&lock);
            struct barrier_site *b = barrier_site(pc, op, kind);
            pthread_mutex_unlock(&lock);
            if (b)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_barrier, QEMU_PLUGIN_CB_NO_REGS, b);
            continue;
        }
        /* An instruction that accesses no memory gets no callback (registering one costs QEMU
         * an allocation); stores only: nor does one that writes none. (QEMU 7.2's
         * QEMU_PLUGIN_MEM_W does not do that: plugin-gen.c's op_rw lets its loads call back too;
         * RW is exact on every version.) In verify mode they get one that checks the decoding. */
        bool no_memory = a64_no_memory(op), no_store = no_memory || a64_no_store(op);
        if (!verify_decode && (no_memory || (stores_only && no_store)))
            continue;
        /* pc is 4-byte aligned: its low bits carry the ordering flags to the callback. */
        qemu_plugin_register_vcpu_mem_cb(insn, !verify_decode ? on_mem
                                               : no_memory ? on_mem_no_memory
                                               : no_store ? on_mem_no_store : on_mem,
                                         QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                         (void *)(uintptr_t)(pc | order_flags(op)));
    }
}

/* What the recording holds of the time before the switch (phase), and what it could not see. */
static void stores_first_notes(void)
{
    char note[400];
    uint64_t traced, waiting, lost;
    traced_counts(&traced, &waiting, &lost);
    if (verify_decode)
        snprintf(note, sizeof(note), "vqrec: stores first: off (every access called back from "
                 "the start); verify: %" PRIu64 " stores by instructions decoded as loads only, %"
                 PRIu64 " accesses by instructions decoded as accessing no memory",
                 __atomic_load_n(&n_decode_misses[0], __ATOMIC_RELAXED),
                 __atomic_load_n(&n_decode_misses[1], __ATOMIC_RELAXED));
    else if (!stores_first)
        snprintf(note, sizeof(note), "vqrec: stores first: off (every access called back from "
                 "the start)");
    else if (phase == PHASE_STORES)
        snprintf(note, sizeof(note), "vqrec: stores first: no store to a virtio register other "
                 "than the device status: only "
                 "stores and barriers called back; %" PRIu64 " register reads taken from QEMU's "
                 "trace alone (those of virtio devices recorded with flag TRACED: no pc)", traced);
    else
        snprintf(note, sizeof(note), "vqrec: stores first: only stores and barriers called back "
                 "until the first store to a virtio register other than the device status (event %"
                 PRIu64 ", vCPU %u), every access from the end of its translation "
                 "block on%s; %" PRIu64 " register reads taken from QEMU's trace alone (those "
                 "of virtio devices recorded with flag TRACED: no pc)", switch_store, switch_cpu,
                 switch_done ? "" : " (not in effect yet at the end)", traced);
    emit_text(VQREC_NOTE, 0, 0, 0, note);
    if (waiting || lost) {
        snprintf(note, sizeof(note), "vqrec: unobserved: %" PRIu64 " register reads known only "
                 "from QEMU's trace are not in the recording (a configuration-space read made "
                 "before the ECAM's address was known, and the reads after it, held in order)",
                 waiting + lost);
        emit_text(VQREC_NOTE, 0, 0, 0, note);
    }
    if (ring_in_window) {
        snprintf(note, sizeof(note), "vqrec: unobserved: a ring was set up or a queue notified "
                 "while code instrumented for stores only could still run (after event %" PRIu64
                 "): loads in that code are not in the recording", switch_store);
        emit_text(VQREC_NOTE, 0, 0, 0, note);
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    pthread_mutex_lock(&lock);
    drain_log();
    if (output_active()) {
        if (n_unmatched) {
            char note[96];
            snprintf(note, sizeof(note), "vqrec: %" PRIu64 " window accesses had no trace line",
                     n_unmatched);
            emit_text(VQREC_NOTE, 0, 0, 0, note);
        }
        if (windows_untracked) {
            char note[128];
            snprintf(note, sizeof(note), "vqrec: %u accesses to windows or functions beyond the "
                     "%u followed: their rings were not recorded", windows_untracked, MAX_WINDOWS);
            emit_text(VQREC_NOTE, 0, 0, 0, note);
        }
        stores_first_notes();
        uint64_t hits, lookups, bad = vc_disagreements();
        vc_counts(&hits, &lookups);
        char vnote[200];
        snprintf(vnote, sizeof(vnote), "vqrec: %" PRIu64 " of %" PRIu64 " accesses resolved by "
                 "the page cache; %" PRIu64 " disagreement(s) with QEMU%s", hits, lookups, bad,
                 vc_is_off() ? " (the cache is off for this machine: vacache=off)"
                 : bad ? ": the cache was turned off" : "");
        emit_text(VQREC_NOTE, 0, 0, 0, vnote);
        uint64_t executed, kept;
        bf_counts(&executed, &kept);
        char bnote[128];
        snprintf(bnote, sizeof(bnote), "vqrec: %" PRIu64 " barriers executed, %" PRIu64
                 " recorded (between recorded accesses of one vCPU)", executed, kept);
        emit_text(VQREC_NOTE, 0, 0, 0, bnote);
        output_finish();
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
    const char *out_path = NULL, *shm = NULL, *log = NULL, *v;
    int punch = 0;
    uint64_t ram_base = 0, ram_size = 0;
    for (int i = 0; i < argc; i++) {
        if ((v = arg(argv[i], "out")))
            out_path = v;
        else if ((v = arg(argv[i], "log")))
            log = v;
        else if ((v = arg(argv[i], "punch")))
            punch = !strcmp(v, "on");
        else if ((v = arg(argv[i], "shm")))
            shm = v;
        else if ((v = arg(argv[i], "rambase")))
            ram_base = strtoull(v, NULL, 0);
        else if ((v = arg(argv[i], "ramsize")))
            ram_size = strtoull(v, NULL, 0);
        else if ((v = arg(argv[i], "vacache")) && !strcmp(v, "off"))
            vc_turn_off();
        else if ((v = arg(argv[i], "storesfirst")) && (!strcmp(v, "off") ||
                                                        !strcmp(v, "verify"))) {
            stores_first = false;
            verify_decode = !strcmp(v, "verify");
            phase = PHASE_FULL;
        }
        else {
            fprintf(stderr, "vqrec plugin: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (!out_path || !info || !info->system_emulation) {
        fprintf(stderr, "vqrec plugin: needs out=FILE and system emulation\n");
        return -1;
    }
    log_setup(log, punch);
    if (ram_setup(shm, ram_base, ram_size))
        return -1;
    if (output_start(out_path, ram_base, ram_size, (uint32_t)info->system.smp_vcpus)) {
        fprintf(stderr, "vqrec plugin: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    plugin_id = id;
    register_callbacks(id);
    return 0;
}
