/* machine.h — the simulated machine: guest RAM, one virtio-mmio device (a device model behind the
 * contract of device.h, chosen by name from model/devices/device_registry.h), a virtual clock, the
 * trace, the violations found, and the replayed driver bugs sitting on the bus.
 *
 * The driver reaches it only through virtio_hal.h (harness/hal_sim.c, which binds a machine to
 * the calling thread); the harness builds it from a scenario, runs the driver, and reads the
 * verdict out of it. Nothing in the model is global: machines are independent of each other, in
 * one thread or in several. Everything is deterministic: no wall-clock time, no randomness, no
 * host addresses in anything reported.
 */
#ifndef MACHINE_H
#define MACHINE_H

#include <stdbool.h>
#include <stdint.h>

/* The types of the machine's members (each checker's state is declared by the checker); what
 * is only pointed to is declared forward. */
#include "model/checks/barrier_check.h"
#include "model/checks/config_checks.h"
#include "model/checks/legacy_layout.h"
#include "model/checks/queue_reset_check.h"
#include "model/inject/device_faults.h"
#include "model/device_pace.h"
#include "model/inject/driver_bugs.h"
#include "model/inject/pci_bugs.h"
#include "model/device.h"
#include "model/guest_memory.h"
#include "spec/spec_version.h"
#include "model/memory_guard.h"
#include "model/checks/mmio_checks.h"
#include "model/transport/mmio_device.h"
#include "model/transport/pci_function.h"
#include "model/checks/notify_checks.h"
#include "model/checks/pci_checks.h"
#include "model/observer.h"
#include "model/diagnosis/run_facts.h"
#include "model/rings/chain.h"
#include "model/rings/ring_map.h"
#include "model/chain_log.h"
#include "model/checks/status_checks.h"
#include "model/trace.h"

struct rule;           /* spec/rules.h */
struct rule_catalogue;

#define MACHINE_MAX_VIOLATIONS 256
#define MACHINE_MAX_INFORMATIONAL 32
#define MACHINE_MAX_SKIPPED_RULES 8

/* How the device reacts to a driver's mistake. Both record every violation.
 *   PROFILE_QEMU    exactly as QEMU 7.2 (ignore, clamp, or break the device)
 *   PROFILE_STRICT  as the spec lets a conforming device: refuse FEATURES_OK for a subset it
 *                   cannot accept, ignore accesses the driver must not make */
enum machine_profile { PROFILE_QEMU = 0, PROFILE_STRICT = 1 };

/* The bus the device sits on: virtio-mmio (§4.2) at mmio_base, or a virtio-pci function (§4.1,
 * pci_function.h) at PCI_FN_BDF whose BARs the driver assigns. */
enum machine_transport { TRANSPORT_MMIO = 0, TRANSPORT_PCI = 1 };

struct violation {
    const struct rule *rule;
    uint64_t t;
    uint8_t queue;
    char message[512];
};

/* Where vhal_dma_alloc puts memory of each use: a bump cursor per use, optionally pinned. */
struct dma_arena {
    uint64_t next;      /* next free guest-physical address */
    uint64_t pins[8];   /* the next allocations go exactly here, in order (0: the arena's) */
    uint32_t n_pins, next_pin;
};

struct virtio_input_event;
struct net_frame;

struct machine_config {
    /* The device model: a built-in type by name (model/devices/device_registry.h; NULL: its
     * DEVICE_DEFAULT_NAME), or a type of the caller's own (a unit test's), which wins when set. */
    const char *device;
    const struct device_ops *device_ops;
    uint64_t ram_base, ram_size;
    uint64_t mmio_base;
    uint32_t transport_version;   /* 1 legacy, 2 modern */
    enum machine_transport transport; /* TRANSPORT_PCI: modern only (transport_version 2) */
    uint32_t display_width, display_height; /* a display device's (its create reads them) */
    const char *disk_image;       /* a block device's raw image file (blk_device.h) */
    bool disk_writes_to_file;     /* its writes reach the file (else the model's copy only) */
    bool disk_read_only;          /* offered VIRTIO_BLK_F_RO, writes fail (QEMU readonly=on) */
    uint64_t disk_sectors;        /* no disk_image: a disk of this many zero sectors (a replay
                                     knows the capacity QEMU's device showed, not its bytes) */
    uint64_t rng_seed;            /* an entropy device's stream (rng_device.h) */
    const struct virtio_input_event *input_script; /* an input device's events (input_device.h) */
    uint32_t input_script_len;
    const struct net_frame *net_frames; /* a network device's packet source (net_device.h) */
    uint32_t net_frames_len;
    const uint8_t *net_mac;       /* its MAC, 6 bytes (NULL: QEMU's 52:54:00:12:34:56) */
    uint32_t n_extra_scanouts;    /* scanouts beyond the first (QEMU's max_outputs - 1) */
    uint32_t extra_width[15], extra_height[15];
    uint64_t device_latency_ns;   /* notify → the device looks at the queue */
    enum machine_profile profile;
    uint64_t place[4];            /* pinned first allocation per vhal_dma_use, 0 = default */
    uint64_t place_next[4][7];    /* …and the next ones (n_place_next of them) */
    uint32_t n_place_next[4];
    uint64_t offer_add;           /* feature bits offered beyond QEMU's defaults */
    uint64_t offer_remove;        /* feature bits QEMU offers that this device withholds */
    bool weak_memory;             /* barrier_check.h: unordered stores seen in the worst order */
    enum bc_mode ring_access;     /* how the driver's ring accesses are learnt (barrier_check.h) */
    /* What the device shows, to make the probe rules fire (0 = as QEMU): */
    uint32_t magic;               /* MagicValue */
    uint32_t version_shown;       /* Version (the register file still behaves as transport_version) */
    bool device_id_set;
    uint32_t device_id;           /* DeviceID */
    uint32_t config_change_after; /* change the config (display event) after this many config
                                     reads; 0 = never */
    bool memory_canary;           /* canary bands after each DMA allocation (memory_guard.h) */
    size_t trace_limit;           /* events the trace keeps (0 = TRACE_DEFAULT_LIMIT) */
    /* Benchmarks only (bench/), never set by a scenario: the trace records nothing and the HAL
     * skips the checks it runs on each ring access (exposed chains, legacy layout, replayed
     * bugs). The model still pops, pushes and refuses what would be unsafe (indices out of
     * range, addresses outside RAM), but the checks and the diagnosis that read the trace have
     * nothing to read. */
    bool checks_off;
    /* The VirtIO version the driver is judged against (spec/spec_version.h; SPEC_QEMU default):
     * a finding of a rule that does not hold in it is not recorded (machine.skipped_rules). */
    enum spec_version spec;
};

struct machine {
    struct machine_config cfg;
    const struct rule_catalogue *rules;
    struct guest_memory mem;
    struct trace trace;
    struct mmio_device dev;       /* the transport: its register file and queues */
    struct device device;         /* the device model behind it (device.h) */
    struct pci_function pci;      /* the PCI function in front of it (cfg.transport PCI) */
    struct fault_list faults;
    struct pci_bug_list pci_bugs; /* replayed virtio-pci driver bugs (pci_bugs.h) */
    struct dma_arena arena[4];
    uint64_t now;                 /* virtual time, ns */
    /* No queue's work falls due before this time (a lower bound: 0 after machine_init; set by
     * machine_schedule_queue_at, recomputed by machine_advance's scan). machine_advance to a
     * time before it only moves the clock. Builds with assertions check it against the queues. */
    uint64_t due_hint;
    struct violation *violations; /* grown as they come, up to MACHINE_MAX_VIOLATIONS */
    uint32_t n_violations, violations_cap;
    uint32_t dropped_violations;  /* beyond MACHINE_MAX_VIOLATIONS (or no memory to grow) */
    /* Informational findings (rules of level `informational`): what the driver did that no
     * requirement of VirtIO 1.1 forbids but a user should know — never a violation */
    struct violation informational[MACHINE_MAX_INFORMATIONAL];
    uint32_t n_informational;
    /* Rules the driver broke that do not hold in cfg.spec: not judged, named once each */
    const struct rule *skipped_rules[MACHINE_MAX_SKIPPED_RULES];
    uint32_t n_skipped_rules;
    struct sr_chain chain;        /* scratch for the chain being processed */
    struct sr_batch batch;        /* chains taken, not yet processed (chain.h) */
    struct ring_env rings;        /* what the queues' rings work on (machine_rings.c) */
    uint32_t ring_layout_gen;     /* bumped by every change of the queues' layout (ring.h) */
    struct ring_map ring_map;     /* the split rings' areas at that layout (ring_map.h) */
    struct chain_log chain_log;   /* the chains the device met, as it read them (chain_log.h) */
    struct device_faults dfaults; /* injected device faults (scenario device_faults:) */
    struct {                      /* the driver's interrupt handler, as seen through the HAL */
        uint32_t taken;           /* line rises delivered to it (vhal_irq_take) */
        uint32_t checks;          /* times it asked */
        uint64_t last_check_at;
    } irq_wait;
    struct barrier_check bc;      /* barrier pairing analysis (barrier_check.h) */
    struct notify_state notify;   /* notification suppression, both sides (notify_checks.h) */
    struct exposed_state *exposed;/* copies of exposed chains (exposed_snapshot.c) */
    struct legacy_layout_state legacy_layout; /* legacy_layout.h */
    /* the register-file rule checks (access_checks.h) */
    struct status_check_state status_checks;
    struct mmio_check_state mmio_checks;
    struct queue_reset_check qrc;  /* VirtIO 1.2 queue reset (queue_reset_check.h) */
    struct config_check_state config_checks;
    struct pci_check_state pci_checks;
    struct memory_guard mguard;   /* DMA allocations, canaries (memory_guard.h) */
    struct run_facts facts;       /* what the diagnosis needs, outside the trace (run_facts.h) */
    struct device_pace pace;      /* a replay's device keeping a recorded one's pace */
    const struct machine_observer *observer; /* what watches the bus (observer.h), or NULL */
};

/* 0, or -1 when the machine cannot be built (out of memory; a device name the registry does not
 * know; a device type with no queue or more than DEVICE_MAX_QUEUES; its create failed): *m then
 * holds nothing allocated and no device (its cfg and rules are set). */
int machine_init(struct machine *m, const struct machine_config *cfg,
                 const struct rule_catalogue *rules);
void machine_destroy(struct machine *m);

/* Many machines of one RAM size in a row (the fuzz targets: one per input) without mapping guest
 * RAM each time. *ram is guest RAM mapped by gm_init with cfg's ram_base and ram_size, held by
 * the caller; machine_init_reusing clears it (gm_clear: every page reads zero, as a new
 * mapping's) and builds the machine on it exactly as machine_init does; machine_destroy_keeping
 * destroys the machine as machine_destroy does but hands the RAM back in *ram. A machine built
 * so is in the state machine_init gives (tests/test_fuzz_reuse.py compares the end state of
 * every fuzz seed on a reused machine with its end state on a fresh one). machine_init_reusing
 * returns -1 (nothing allocated, *ram still the caller's) when *ram is not cfg's RAM or cannot
 * be cleared. */
int machine_init_reusing(struct machine *m, const struct machine_config *cfg,
                         const struct rule_catalogue *rules, struct guest_memory *ram);
void machine_destroy_keeping(struct machine *m, struct guest_memory *ram);

/* Attach o as the machine's observer (observer.h), replacing any; NULL detaches. */
void machine_observe(struct machine *m, const struct machine_observer *o);

/* Record a violation of rule `id` (which must exist in the catalogue) at the current time. */
void machine_violation(struct machine *m, const char *id, int queue, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An informational finding of rule `id` (its catalogue level is `informational`): reported, never
 * a violation, never a reason for a run to fail. Each rule at most MACHINE_MAX_INFORMATIONAL times
 * in all. */
void machine_inform(struct machine *m, const char *id, int queue, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A violation QEMU treats as fatal (virtio_error): record it and break the device. */
void machine_break_device(struct machine *m, const char *id, int queue, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Break the device for a rule already reported (the violation that explains it came earlier): no
 * second violation, only the break and what it was (for the diagnosis). */
void machine_break_device_quietly(struct machine *m, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Trace helpers stamped with the current time; NULL with checks off (nothing is recorded).
 * Inline: a round trip records about twenty events. */
static inline struct trace_event *machine_trace(struct machine *m, enum trace_kind kind,
                                                uint64_t addr, uint64_t value, uint8_t size,
                                                const char *what)
{
    if (m->cfg.checks_off)
        return NULL;
    return trace_record(&m->trace, m->now, kind, addr, value, size, what);
}

/* When the device works. The device model never runs on its own: its work (a queue's available
 * chains processed, held answers released) runs at exactly two named points, both here, both
 * called by whoever owns the moment:
 *   machine_advance        virtual time moves to t; the work scheduled before t runs, in time
 *                          order (machine_process_queue for each queue that falls due). Time
 *                          moves in the HAL calls that cost time (a register access, a delay; the
 *                          library's barrier and clock hooks), in a replayed recording, and once
 *                          at the end of a run (runner.c).
 *   machine_process_queue  the device looks at queue q at this very instant, out of its
 *                          schedule: called directly only by the barrier analysis's weak-memory
 *                          mode (barrier_check.h), which chooses the instant and the ring state
 *                          the device sees (stores not yet visible); the machine runs the device.
 * Scheduling (machine_schedule_queue*) only records that work is due. */

/* The device will look at queue q at virtual time `at` (held answers falling due). Inline: every
 * notify schedules. */
static inline void machine_schedule_queue_at(struct machine *m, uint32_t q, uint64_t at)
{
    struct dev_queue *dq = &m->dev.q[q];
    if (!dq->pending || at < dq->pending_at) {
        dq->pending = true;
        dq->pending_at = at;
    }
    if (at < m->due_hint)
        m->due_hint = at;
}
/* The device will look at queue q after its latency (QEMU's bottom half). */
static inline void machine_schedule_queue(struct machine *m, uint32_t q)
{
    machine_schedule_queue_at(m, q, m->now + m->cfg.device_latency_ns);
}
/* The device model processes queue q now (device.h process_queue), then the used-buffer
 * interrupt is raised if it answered anything (unless the driver suppressed it). */
void machine_process_queue(struct machine *m, uint32_t q);
/* Advance virtual time to `t`, running device work that falls due on the way. Inline: on most
 * calls (a register access) nothing falls due, and the clock only moves. */
void machine_advance_due(struct machine *m, uint64_t t);
void machine_check_due_hint(const struct machine *m); /* assertion builds: the hint is a bound */
static inline void machine_advance(struct machine *m, uint64_t t)
{
#ifndef NDEBUG
    machine_check_due_hint(m);
#endif
    if (t >= m->due_hint)
        machine_advance_due(m, t);
    else if (t > m->now)
        m->now = t;
}

/* A register read the driver made and whose value is known (a recorded guest's read of a register
 * without read side effects, InterruptStatus): the rule checks and the trace see `seen`, not the
 * device's own value (hal_sim.c). For a device model that is ahead of the device the guest ran
 * with: the checks judge what the guest did with what it got. */
void machine_mmio_read_seen(struct machine *m, uint32_t off, uint32_t seen);

/* DMA memory for the driver (backs vhal_dma_alloc). */
void *machine_dma_alloc(struct machine *m, uint64_t size, uint64_t align, unsigned use,
                        uint64_t *phys);

#endif /* MACHINE_H */
