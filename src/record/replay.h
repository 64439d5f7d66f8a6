/* replay.h — a recorded driver: replays a recording (recording.h) against the simulated machine
 * through the same HAL the built-in driver uses, so the same rule checks, barrier analysis and
 * diagnosis judge a real guest's virtqueue traffic (`vqsim check`).
 *
 * Every recorded driver access goes through virtio_hal.h in accessors mode: register writes and
 * reads, ring stores and loads on the host pointer of their guest-physical address, barriers.
 * Memory dumps (the buffers the device reads) are copied into guest RAM without checks. The
 * device answers as QEMU would: when the guest loads a used.idx (or reads an InterruptStatus)
 * the model has not reached yet, virtual time advances until it has, or a bound passes — then
 * the difference is a model-vs-QEMU discrepancy, noted, never a driver violation.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cli/runner.h"
#include "../cli/scenario.h"
#include "../util/json_writer.h"
#include "other_rings.h"
#include "recording_reader.h"

#define REPLAY_MAX_NOTES 8

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
    bool repeat;            /* its last poll saw the same value as the one before */
    bool avail_stored;
    uint16_t avail_idx;     /* the avail.idx it last stored */
    bool busy;              /* it stored to this ring since it last saw an answer */
    bool polled_since_request; /* it loaded used.idx since the request began */
    uint64_t req_start;     /* virtual time of the first such store */
    struct rf_mark req_mark; /* the run's counters then (the diagnosis counts since) */
    bool notified;          /* the guest wrote QueueNotify with this queue's index */
    uint64_t first_notify;
    struct rf_mark notify_mark;
    bool ring_seen;         /* the recording has an access to this queue's ring */
    bool catch_up_failed;   /* the model never reached a used.idx the guest saw (noted once) */
};

struct replay {
    const struct vqrec_recording *rec;
    uint64_t window;        /* the gpu's virtio-mmio window (guest-physical) */
    bool window_known;
    uint32_t version;       /* Version as the guest read it (0: never read) */
    uint32_t queue_sel, page_size;
    bool isr_read;          /* the guest read InterruptStatus */
    bool active_since_poll; /* a ring store or barrier since the last used.idx load */
    struct replay_queue q[RUN_MAX_QUEUES];
    /* counts */
    uint64_t n_mmio, n_other_window, n_stores, n_loads, n_barriers, n_memory, n_device, n_virt;
    uint64_t n_polls;       /* loads recorded as polls outside the known rings (VQREC_F_POLL) */
    uint64_t n_discrepancies;
    /* the other virtio-mmio devices' rings (other_rings.h): their ring loads / stores and the
     * memory dumps of their notifies are not replayed, only counted */
    struct other_rings others;
    uint64_t n_other_devices;
    bool others_overflow_noted;
    struct {
        uint64_t offset;
        char text[200];
    } notes[REPLAY_MAX_NOTES];
    uint32_t n_notes;
    bool ended;             /* END read */
    int64_t exit_status;
    bool killed;
    uint32_t timed_out_queue; /* RUN_MAX_QUEUES: none */
    size_t memory_done_until; /* dumps before this item were applied ahead, at their notify */
    /* the guest reading one register again and again, with nothing else in between */
    uint32_t poll_reg, poll_reg_value, poll_reg_reads;
    uint64_t poll_reg_since;
    struct rf_mark poll_reg_mark;
    bool register_wait;     /* the recording ended in such a wait, no request outstanding */
};

/* Where the recording says the machine is: RAM from the header, the gpu window (the window whose
 * DeviceID read 16, else the first WINDOW / MMIO access), the Version the guest read. */
void replay_init(struct replay *rp, const struct vqrec_recording *rec);

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

/* The `source` object of the results JSON (docs/results-schema.md). */
void replay_json(struct jw *w, const void *rp);
/* Discrepancies and what was replayed, for the console (indented lines). */
void replay_print(FILE *f, const struct replay *rp, bool verbose);

#endif /* REPLAY_H */
