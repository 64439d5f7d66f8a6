/* vqrec_internal.h — shared by the files of the recording plugin (vqrec_plugin.c says what it
 * records and how):
 *   vqrec_plugin.c     loading (arguments), QEMU's callbacks, instruction decoding
 *   vqrec_output.c     the recording file: its header and events
 *   vqrec_ram.c        guest RAM through the shared file; physical addresses of RAM accesses
 *   vqrec_registers.c  the virtio-mmio windows and the registers the plugin follows
 *   vqrec_rings.c      where the rings are (the ranges every RAM access is matched against) and
 *                      the dumps of what the device reads
 *   vqrec_qemu_log.c   QEMU's log: the MMIO values of the trace, the device-side events
 *   vqrec_pci.c        virtio-pci functions: configuration space (ECAM) and BAR accesses
 * What is instrumented changes once (vqrec_plugin.c, "stores first"): phase below.
 * Every symbol is hidden (CMakeLists.txt): the plugin exports only QEMU's entry points.
 */
#ifndef VQREC_INTERNAL_H
#define VQREC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "record/plugin/qemu_plugin_api.h"

#define MAX_WINDOWS 64u  /* virt's 32 virtio-mmio windows, and virtio-pci functions */
#define MAX_QUEUES 8u

/* virtio-mmio registers (§4.2.2, §4.2.4) the plugin follows. */
enum {
    R_VERSION = 0x004, R_GUEST_PAGE_SIZE = 0x028, R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034,
    R_QUEUE_NUM = 0x038, R_QUEUE_ALIGN = 0x03c, R_QUEUE_PFN = 0x040, R_QUEUE_READY = 0x044,
    R_QUEUE_NOTIFY = 0x050, R_DRIVER_FEATURES = 0x020, R_DRIVER_FEATURES_SEL = 0x024,
    R_STATUS = 0x070, R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090,
    R_DRIVER_HI = 0x094, R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4,
};
#define WINDOW_SIZE 0x200u

struct queue {
    uint32_t num, num_max, align, pfn;
    uint64_t desc, driver, device; /* the registers as last written */
    /* Version 2: QEMU takes the three addresses only at QueueReady = 1 and ignores writes to
     * them while the queue is ready (they wait for the next QueueReady = 1): the rings of a
     * ready queue are the ones latched then. */
    int ready;
    uint64_t live_desc, live_driver, live_device;
    uint16_t last_avail;   /* chains dumped up to here (avail index; packed: ring offset) */
    uint16_t popped;       /* chains QEMU's device took since the ring was set up */
    uint8_t wrap0;         /* packed: the wrap counter at last_avail is 0 (reset: 1) */
};

struct window {
    uint64_t base;         /* virtio-mmio: the window; virtio-pci: the structures BAR */
    int pci;               /* a virtio-pci function's (its registers translated, vqrec_pci.c) */
    uint32_t version, sel, page_shift;
    uint32_t features_sel;
    int packed;            /* the driver accepted VIRTIO_F_RING_PACKED: its rings are packed */
    struct queue q[MAX_QUEUES];
};

/* ---- vqrec_plugin.c ---- */
/* What the code translated now is instrumented for. Until the guest's first store to a virtio
 * register other than the device status (a virtio-mmio window, a virtio-pci function's
 * structures or MSI-X table) no ring can exist (the driver has not told the device one: the
 * status register holds no address), so only instructions that may store (a64_insn.h),
 * barriers and translation-register writes call back: register reads come from QEMU's trace alone
 * (VQREC_F_TRACED). That store asks QEMU for a new translation of everything (qemu_plugin_reset);
 * until it is done (every vCPU out of the block it was in) code instrumented for stores only may
 * still run: PHASE_SWITCHING. */
enum { PHASE_STORES = 0, PHASE_SWITCHING = 1, PHASE_FULL = 2 };
extern int phase; /* read without the lock (translation); written with it */

/* ---- vqrec_registers.c ---- */
/* The windows seen, in the order of their first access. */
extern struct window windows[MAX_WINDOWS];
extern unsigned n_windows;
extern unsigned windows_untracked; /* accesses to a window or function beyond MAX_WINDOWS */
extern int notified;       /* some queue was notified: from then on a guest may poll an answer */
/* The window of a register address (a WINDOW event at its first access); NULL when full. */
struct window *window_of(uint64_t addr, unsigned cpu);
/* The virtio-pci function whose structures BAR is at `base` (no WINDOW event: the replay finds
 * it from configuration space); NULL when full. */
struct window *pci_window_of(uint64_t base);
/* A register access of `cpu` at offset `off` of window w: what the plugin follows of it. */
void mmio_access(unsigned cpu, struct window *w, uint32_t off, int write, uint64_t value);
/* Is the register at pa (an access of `kind`, enum mr_kind) a device's status (virtio-mmio
 * Status, §4.2.2; virtio-pci device_status, §4.1.4.3)? */
bool status_register(int kind, uint64_t pa);
/* An access of `kind` (enum mr_kind, not MR_OTHER) with its value from QEMU's trace: recorded
 * (flags: VQREC_F_VIRT, VQREC_F_TRACED) and followed. */
void record_register(unsigned cpu, int kind, int store, unsigned size, uint64_t pa, uint64_t value,
                     uint64_t pc, uint8_t flags);

/* ---- vqrec_packed.c: the same for a packed ring (§2.7) ---- */
/* The bytes of each area of a packed queue of num descriptors (descriptor ring, the two event
 * suppression structures). */
uint64_t packed_area_bytes(int area, uint32_t num);
/* At a QueueNotify or a pop of QEMU's: the readable buffers (and indirect tables) of the lists
 * made available from q->last_avail on, and the offset and wrap counter past them. */
void packed_dump_new(unsigned cpu, struct queue *q, uint64_t desc, uint32_t num);
/* The guest stored descriptor flags (pa, value): on a packed ring, flags that show it available
 * make its list's buffers dumped now, before the device can mark it used and overwrite the
 * descriptor (a notify or QEMU's pop line may come too late: the head is used by then). */
void packed_flags_stored(unsigned cpu, uint64_t pa, uint16_t value);

/* ---- vqrec_rings.c ---- */
/* The ring ranges again, after a register write moved or reset a ring. */
void rebuild_ranges(void);
/* Some ring's address is known (a driver has written one). */
int rings_known(void);
/* Does [pa, pa + size) overlap a ring? Lock-free. */
int in_ranges(uint64_t pa, unsigned size);
/* The device has just taken queue q's rings: what they hold now. */
void dump_rings(unsigned cpu, const struct window *w, const struct queue *q);
/* At a QueueNotify of queue qi: the chains made available since those already dumped. */
void dump_new_chains(unsigned cpu, struct window *w, uint32_t qi);
/* QEMU's device took a chain of queue qi (its virtqueue_pop trace line). */
void dump_popped(struct window *w, uint32_t qi);
/* The guest read `seen` at pa: when that is an avail_event, the chains taken up to it. */
void avail_event_read(uint64_t pa, uint16_t seen);

/* ---- vqrec_qemu_log.c ---- */
/* QEMU's log (its -D file) at path; punch: free what was read (a hole in the tmpfs file). */
void log_setup(const char *path, int punch);
/* Read QEMU's log up to its current end (whole lines only). */
void drain_log(void);
/* What QEMU's trace line names the memory region an MMIO access reached. */
enum mr_kind {
    MR_OTHER = 0, MR_VIRTIO_MMIO, MR_PCI_COMMON, MR_PCI_ISR, MR_PCI_DEVICE, MR_PCI_NOTIFY,
    MR_PCI_MSIX, MR_ECAM,
};
/* The trace line of this MMIO access: its value, and the region's kind. Before the switch to
 * full instrumentation is done (phase), the reads of that vCPU's older lines had no callback:
 * recorded from their lines first (VQREC_F_TRACED). */
int take_mmio(unsigned cpu, int write, uint64_t pa, uint64_t *value, int *kind);
/* Every vCPU is stopped: the register reads still without a callback never get one (recorded
 * from their lines). */
void traced_leftovers(void);
/* Register reads recorded from QEMU's trace alone; those that could not be placed (a
 * configuration read while the ECAM's address was not known yet, still waiting or lost). */
void traced_counts(uint64_t *recorded, uint64_t *waiting, uint64_t *lost);
/* The ECAM's guest-physical base, learnt from the first configuration access (QEMU traces those
 * at their offset in the ECAM); UINT64_MAX while not known. */
uint64_t ecam_base(void);

/* ---- vqrec_pci.c ---- */
#define PCI_BAR_STRUCTS 0x4000u  /* QEMU 7.2's virtio structures BAR: common 0x0000, ISR
                                    0x1000, device 0x2000, notify 0x3000 (multiplier 4) */
/* An MMIO access of `kind` (a virtio-pci region, an MSI-X table, ECAM), its trace line found. */
void pci_access(unsigned cpu, int kind, uint64_t pa, unsigned size, int store, uint64_t value,
                uint64_t pc, uint8_t flags);
/* Is pa, in a function's common configuration, its device_status field? */
bool pci_common_is_status(uint64_t pa);

/* ---- vqrec_ram.c ---- */
/* Guest RAM at [base, base + size), mapped read-only from the shared file shm (NULL: none).
 * 0, or -1 with a message on stderr. */
int ram_setup(const char *shm, uint64_t base, uint64_t size);
int ram_ok(uint64_t pa, uint64_t n);
/* n <= 8 bytes of guest RAM at pa, little-endian (0 outside RAM). */
uint64_t ram_read(uint64_t pa, unsigned n);
/* The host address of [pa, pa + n) in the shared file, NULL outside RAM. */
const uint8_t *ram_at(uint64_t pa, uint64_t n);
/* The guest-physical address of a RAM access. */
uint64_t ram_phys(struct qemu_plugin_hwaddr *hw);

/* ---- vqrec_output.c ---- */
/* The recording at path, its header written (ram_base, ram_size, n_cpus). 0, or -1 (errno). */
int output_start(const char *path, uint64_t ram_base, uint64_t ram_size, uint32_t n_cpus);
/* Still open (not finished). */
bool output_active(void);
/* Events written so far. */
uint64_t output_events(void);
/* The header says the guest used virtual addresses that differ from physical ones. */
void output_mmu_seen(void);
/* The header written again (its flags are known only now) and the file closed. */
void output_finish(void);
void emit(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
          uint64_t value, uint64_t pc, const void *payload, uint32_t len);
void emit_text(uint8_t kind, uint64_t addr, uint64_t value, uint64_t pc, const char *text);
/* A recorded access of `cpu` follows: first the barriers it executed since its previous one. */
void emit_access(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
                 uint64_t value, uint64_t pc);

#endif /* VQREC_INTERNAL_H */
