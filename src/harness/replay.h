/* replay.h — a recorded driver: replays a recording (recording.h) against the simulated machine
 * through the same HAL the built-in driver uses, so the same rule checks, barrier analysis and
 * diagnosis judge a real guest's virtqueue traffic (`vqsim check`).
 *
 * Every recorded driver access goes through virtio_hal.h in accessors mode: register writes and
 * reads, ring stores and loads on the host pointer of their guest-physical address, barriers —
 * each vCPU's as that vCPU's (the barrier analysis keeps its state per vCPU: a barrier orders
 * only the accesses of the CPU that executes it). Memory dumps (the buffers the device reads) are
 * copied into guest RAM without checks. The device answers as QEMU would: when the guest loads a
 * used.idx or avail_event (or reads an InterruptStatus, a Status) the model has not reached yet,
 * virtual time advances until it has, or a bound passes — then the difference is a
 * model-vs-QEMU discrepancy, noted, never a driver violation.
 *
 * The recording is streamed (recording_reader.h): one pass to validate it and learn where the
 * gpu is, one to replay it, in memory that does not grow with its length.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/other_rings.h"
#include "record/recording_reader.h"

#define REPLAY_MAX_NOTES 8
#define REPLAY_MAX_CPUS 256 /* the recording's vCPU field is 8 bits */

struct replay_queue {
    /* what the guest wrote to the registers while this queue was selected */
    bool num_set, desc_set, avail_set, used_set, pfn_set;
    uint32_t num, pfn, align;
    uint64_t desc, avail, used;
    uint64_t inferred_avail; /* legacy without QueueNum: from its first avail.idx store */
    /* what the guest did with the ring */
    bool polled;            /* it loaded this queue's used.idx */
    uint64_t poll_addr;     /* where (the last time) */
    uint16_t seen_used;     /* the used.idx it last saw (the recorded value) */
    uint8_t poll_cpu;       /* the vCPU that loaded it */
    bool repeat;            /* its last poll saw the same value as the one before */
    bool avail_stored;
    uint16_t avail_idx;     /* the avail.idx it last stored */
    uint8_t publish_cpu;    /* the vCPU that stored it… */
    bool publish_open;      /* …and has not notified nor gone on to anything else since */
    bool busy;              /* it stored to this ring since it last saw an answer */
    bool polled_since_request; /* it loaded used.idx since the request began */
    uint64_t req_start;     /* virtual time of the first such store */
    struct rf_mark req_mark; /* the run's counters then (the diagnosis counts since) */
    bool notified;          /* the guest wrote QueueNotify with this queue's index */
    uint64_t first_notify;
    struct rf_mark notify_mark;
    bool ring_seen;         /* the recording has an access to this queue's ring */
    bool catch_up_failed;   /* the model never reached a used.idx the guest saw (noted once) */
    uint32_t pk_lists;      /* packed: lists the guest made available since the ring was set
                             * up (flags stores that show available, without NEXT: a list's
                             * last descriptor, or an indirect head) */
    bool event_catch_up_failed; /* … or an avail_event */
    uint64_t device_notifies; /* QEMU's own virtio_queue_notify trace for this queue */
    /* A notify is one event that the recording can show twice, in either order: QEMU's trace
     * line (logged while the write happens) and the vCPU's register write (its callback, which
     * can run after the device acted). The model's device is notified at the first of the two;
     * these count the halves still waiting for their other half (replay_device.c: notify_seen). */
    uint32_t notify_lines_ahead;  /* trace lines whose register write is still to come */
    uint32_t notify_writes_ahead; /* register writes whose trace line is still to come */
    /* pacing (replay_pace.c): chains QEMU's device had taken and answered, as its trace counts them
     * and as the guest's loads of avail_event and used.idx show (since the ring was set up) */
    uint16_t qemu_pops, qemu_flushed, seen_taken, seen_published;
    uint16_t decided_idx;   /* avail.idx at the guest's last notify decision (its avail_event or
                               used.flags load after publishing) */
    uint64_t arrival_bytes; /* a standing queue's QEMU fills since its last flush (host_arrival) */
    /* QEMU's chains taken and not yet answered, in the order it took them: the element its
     * virtqueue_pop and virtqueue_fill lines name, and the chain's head (replay_device.c: a fill
     * out of that order is followed, device_pace.h pace_order) */
    struct replay_popped {
        uint64_t elem;
        uint16_t head;
    } popped[MMIO_QUEUE_NUM_MAX];
    uint32_t n_popped;
    /* a reset by the driver that found requests of this queue unanswered (replay_abandon.c) */
    bool dropped;           /* …and the driver has not written Status again nor read this
                             * used.idx since */
    bool dropped_served;    /* QEMU's device had answered them or had a reason to take them */
    bool dropped_taken;     /* …it had taken them all (answered or at work) */
    uint16_t dropped_n;     /* how many: avail.idx - the used.idx the guest had last seen */
    uint64_t dropped_at;    /* virtual time of that reset (set at the end of the run) */
};

/* Per vCPU: a wait is one vCPU reading the same used.idx again with nothing done in between. */
struct replay_cpu {
    bool active_since_poll; /* a ring store, barrier or register access since its last used.idx load */
};

/* A load the recorder flagged as a poll outside every ring (VQREC_F_POLL), or a later change of
 * the value there: where the guest may be waiting for an answer in a used ring of its own. It
 * counts only if the recording ends with the guest still reading there (nothing else done since
 * by that vCPU) and a request left unanswered: an ordinary kernel load never becomes a wait. */
struct replay_poll {
    bool valid;
    uint8_t cpu;
    uint64_t addr;
    uint16_t value;
    uint64_t offset;        /* of the event, for notes */
};

/* One virtio-mmio window as the first pass saw the guest use it (a guest probes each of virt's
 * 32: most hold no device, DeviceID 0). */
#define REPLAY_MAX_WINDOWS 64u
#define REPLAY_MAX_VQS 256u
#define REPLAY_CONFIG_BYTES 64u
struct replay_window {
    uint64_t base, accesses;
    uint32_t version, device_id;
    bool version_read, id_read;
    uint32_t features_sel;  /* the last DeviceFeaturesSel written */
    bool packed;            /* DeviceFeatures read with sel 1 showed RING_PACKED */
    uint64_t features;      /* DeviceFeatures as the guest read them (both words) */
    uint8_t config[REPLAY_CONFIG_BYTES]; /* the device's config as the guest first read it… */
    uint64_t config_read;   /* …bit i: byte i was read */
};

/* What the first pass over the recording found. */
struct replay_summary {
    struct vqrec_info info;  /* header, events, end, cut short */
    /* The device checked (replay_target; the gpu until another is chosen) — the fields named
     * gpu_* are that device's: */
    uint64_t window;        /* the gpu's virtio-mmio window (guest-physical) */
    bool window_known;
    bool gpu_found;         /* some DeviceID read 16 (or the chosen window's DeviceID) */
    bool target_known;
    struct replay_window target; /* the window's own facts (a copy: a summary is copied whole) */
    uint32_t version;       /* Version as the guest read it (0: never read) */
    uint64_t virtio_accesses; /* register accesses to any virtio-mmio window */
    uint64_t gpu_accesses;  /* … to the gpu's */
    bool other_device_only; /* no DeviceID read 16, and the first window read another device's */
    bool packed_offered;    /* the gpu's DeviceFeatures (high word) showed VIRTIO_F_RING_PACKED:
                             * QEMU ran it with packed=on, and so does the model */
    bool ended;             /* END read */
    int64_t exit_status;
    bool killed;
    char qemu_said[200];    /* the recorder's note of what QEMU last wrote to stderr */
    /* QEMU's own VirtQueues of the gpu (from its trace lines, which name the VirtQueue; the
     * recorder said which window a VirtQueue's notify came from): when known, the replay paces
     * the model's device by them (replay_pace.c) */
    struct replay_vq {
        uint64_t vq;
        uint32_t queue;
    } gpu_vq[RUN_MAX_QUEUES];
    uint32_t n_gpu_vq;
    /* every window and every VirtQueue seen (the VirtQueue's window, when the recorder knew it) */
    struct replay_window win[REPLAY_MAX_WINDOWS];
    uint32_t n_win;
    uint64_t first_window;  /* UINT64_MAX: none */
    struct replay_vq_window {
        uint64_t vq, window;
        uint32_t queue;
    } vqs[REPLAY_MAX_VQS];
    uint32_t n_vq;
    /* virtio-pci (recording.h, VQREC_PCI_ECAM): the gpu is a PCI function; `window` is then
     * where its structures BAR was assigned (what the recorder names its device by) */
    bool ecam_known, pci;
    uint64_t ecam_base, ecam_size;
    uint32_t pci_bdf;       /* the gpu function's bus << 8 | device << 3 | function */
    uint64_t pci_other_bar[8][2]; /* the other virtio functions' structures BAR and MSI-X BAR
                                   * (their rings are another device's: other_rings.h) */
    uint32_t n_pci_other;
};

struct replay {
    struct vqrec_reader *rd;
    struct replay_summary sum;
    uint64_t window;        /* the gpu's virtio-mmio window (guest-physical) */
    bool window_known;
    uint32_t version;       /* Version as the guest read it (0: never read) */
    uint32_t queue_sel, page_size;
    bool isr_read;          /* the guest read InterruptStatus */
    struct replay_queue q[RUN_MAX_QUEUES];
    struct replay_cpu cpu[REPLAY_MAX_CPUS];
    struct replay_poll poll; /* a possible wait outside the rings */
    bool paced;             /* the device takes chains when QEMU's did (sum.n_gpu_vq) */
    /* counts */
    uint64_t n_mmio, n_other_window, n_stores, n_loads, n_barriers, n_memory, n_device, n_virt;
    uint64_t n_polls;       /* loads recorded as polls outside the known rings (VQREC_F_POLL) */
    uint64_t n_outside;     /* loads outside every gpu ring (a polled location's later values) */
    uint64_t n_device_gpu;  /* device events of the gpu's window */
    uint64_t n_discrepancies;
    uint64_t n_isr_ahead;   /* InterruptStatus reads where the model was ahead of QEMU */
    /* the other virtio-mmio devices' rings (other_rings.h): their ring loads / stores and the
     * memory dumps of their notifies are not replayed, only counted */
    struct other_rings others;
    uint64_t n_other_devices;
    bool others_overflow_noted;
    bool cpu_overflow_noted;
    struct {
        uint64_t offset;
        char text[200];
    } notes[REPLAY_MAX_NOTES];
    uint32_t n_notes;
    bool ended;             /* END read */
    int64_t exit_status;
    bool killed;
    uint32_t timed_out_queue; /* RUN_MAX_QUEUES: none */
    /* an MMIO write waits for the memory dumps that follow it (the buffers of a notify, a ring
     * the device takes): they are in memory before the device can look */
    bool write_pending;
    struct vqrec_item pending;
    /* the guest reading one register again and again, with nothing else in between */
    uint32_t poll_reg, poll_reg_value, poll_reg_reads;
    uint64_t poll_reg_since;
    struct rf_mark poll_reg_mark;
    bool register_wait;     /* the recording ended in such a wait, no request outstanding */
    int read_error;         /* the second pass failed (a status of recording_reader.h) */
    char read_msg[256];
};

/* Where the recording says the machine is: a first pass over the whole stream validates every
 * event and finds RAM (the header), the gpu window (the window whose DeviceID read 16, else the
 * first WINDOW / MMIO access), the Version the guest read, how it ended; then the stream is
 * rewound for the replay. `rd` must stay open while rp is used. Returns VQREC_OK or the
 * reader's error status (err "PATH: offset N: …"). */
int replay_init(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen);

/* Check the device of the window at `base` instead (one the first pass saw: sum.win[]): its
 * register and ring accesses are replayed, every other window's are left out as another
 * device's. Call before the replay runs (after replay_init, on a fresh copy of its result for
 * each device: the stream is rewound). false when no such window was seen. */
bool replay_target(struct replay *rp, uint64_t base);

/* The device model that stands for the window's device (device_registry.h), or NULL. */
const char *replay_device_type(const struct replay_window *w);

/* The machine for the recording: the device side of `base` (a scenario, or NULL for QEMU's
 * defaults and the Version the guest read) with everything driver-side cleared (its steps,
 * replayed bugs — the recording already carries their effect — and expectations: a check
 * expects a clean run). RAM and the window always come from the recording: they are where the
 * guest's accesses went. The result aliases `base`'s strings:
 * never scenario_free it. `defaults` must stay alive as long as *out (holds the defaults). */
int replay_scenario(const struct replay *rp, const struct scenario *base,
                    struct scenario *defaults, const char *name, const char *file,
                    struct scenario *out, char *err, size_t errlen);

/* The run_external driver of the replay (ctx = struct replay). */
struct run_external replay_driver(struct replay *rp);

/* Why the recording cannot be checked clean whatever the guest did, or NULL: nothing of a
 * virtio device in it, QEMU failed (its exit status and message). Into buf. */
const char *replay_unusable(const struct replay *rp, char *buf, size_t n);

/* Where a replayed run came from, for its results (the JSON's `source` object,
 * docs/results-schema.md): what was read and replayed, the model-vs-recording notes. */
void replay_source(const struct replay *rp, struct result_source *out);
/* The requests the checked device's model took and answered, per queue, over the replay. */
void replay_source_requests(const struct machine *m, struct result_source *out);
/* Discrepancies and what was replayed, for the console (indented lines). */
void replay_print(FILE *f, const struct replay *rp, bool verbose);

#endif /* REPLAY_H */
