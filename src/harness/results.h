/* results.h — what a run says, as plain data: the verdict, the steps, the findings, the
 * diagnosis, the displays, the driver's state, the queues, the trace, and (for a replayed
 * recording) where the run came from.
 *
 * The runner fills it as a run goes (steps, failures) and once it is over (results_fill, from
 * the model's public queries, model/query.h, and the harness's own state); the judge
 * (judge.h), the JSON writer (results_json.h) and the text printer (results_text.h) read it and
 * never the machine. So a model field can be renamed without a change to what a run reports.
 * Strings are held here or static (rule catalogue entries, names from fixed tables): a results
 * struct outlives its machine. The JSON it becomes is docs/results-schema.md.
 */
#ifndef RESULTS_H
#define RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/virtio_spec.h"
#include "harness/results_chains.h"

struct machine;

#define RESULTS_MAX_FAILURES 16
#define RESULTS_MAX_STEPS 65      /* a scenario's steps (SCENARIO_MAX_STEPS) and init */
#define RESULTS_MAX_QUEUES 3      /* every queue a device may have (DEVICE_MAX_QUEUES) */
#define RESULTS_MAX_CAUSES 6      /* DIAG_MAX_CAUSES */
#define RESULTS_MAX_EVIDENCE 16   /* DIAG_MAX_EVIDENCE */
#define RESULTS_MAX_NOT_JUDGED 8
#define RESULTS_MAX_NOT_IN_SPEC 8
#define RESULTS_MAX_NOTES 8       /* a recording's model-vs-recording notes (REPLAY_MAX_NOTES) */
#define RESULT_NO_QUEUE 0xffu     /* a finding or event about no queue in particular */

enum step_status { ST_OK, ST_TIMEOUT, ST_DEVICE_ERROR, ST_DRIVER_ERROR, ST_SKIPPED };
const char *step_status_name(enum step_status s);

struct step_result {
    const char *name;       /* "init" or the step name */
    enum step_status status;
    int driver_status;      /* enum virtio_status */
    uint32_t response;      /* response type the device wrote, 0 if none */
    uint32_t used_len;      /* used.len of the answer */
    uint64_t fence_id;      /* fence id the command carried, 0 if none */
    uint64_t t;             /* virtual time at the start */
    uint64_t t_end;
    char detail[160];
};

/* A violation, or an informational finding: the rule (spec/rules.yaml) and what happened. */
struct result_finding {
    const char *rule, *section, *title, *level;
    const char *spec;       /* "" for VirtIO 1.1, else the version the section is of */
    uint64_t time_ns;
    uint8_t queue;          /* the queue it is about, or RESULT_NO_QUEUE */
    char message[512];
};

/* A rule this run could not judge (plain ring access: model/checks/barrier_check.h). */
struct result_not_judged {
    const char *rule;
    bool partly;
    const char *why;
};

/* One cause of the diagnosis (model/diagnosis/diagnosis.h), with its evidence. */
struct result_cause {
    const char *id, *section, *title;
    char message[1400];
    struct {
        const char *key;
        char value[192];
    } evidence[RESULTS_MAX_EVIDENCE];
    int n_evidence;
};

/* One display (scanout), as a person would see it. */
struct result_display {
    const char *state;      /* "active", "not-active", "not-initialized" */
    bool active;
    uint32_t width, height, resource, flushes;
    bool cursor;            /* a cursor is shown; then where and which */
    uint32_t cursor_resource, cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;
    char sha256[65];        /* of the picture with the cursor composited */
    char *png;              /* the PNG written, or NULL (owned) */
    char *diff_png;         /* on a reference mismatch: the diff image, or NULL (owned) */
    bool dark;
    char dark_reason[400];
    /* The picture results_fill_displays looked at (mq_display_picture), kept while the judge
     * compares it with a pattern or a PNG (results.picture_kept), then dropped
     * (results_drop_pictures, which frees picture_owned: a composed copy); else NULL. */
    const uint8_t *picture;
    uint8_t *picture_owned;
};

/* What the built-in driver latched (its broken state), by queue. */
struct result_driver_queue {
    bool set_up;            /* the driver set the queue up */
    bool broken;
    const char *broken_status; /* the status that latched it, or NULL */
    uint64_t len_clamped;   /* used lengths clamped (lenient policy) */
};

struct result_driver {
    bool broken;
    const char *broken_status;
    bool stalled;
    const char *used_len;   /* the used-length policy: "strict" or "lenient" */
    struct result_driver_queue control, cursor;
};

/* Guest memory outside the driver's DMA allocations (model/memory_guard.h). */
struct result_memory {
    bool judged;
    bool canary;            /* canary bands were laid after each allocation */
    uint32_t allocations;
    uint64_t pages_scanned;
    uint64_t changed_bytes;
    uint64_t first_changed; /* when changed_bytes > 0 */
};

/* A queue: where the driver put it (as it holds it, reported it, or wrote the registers) and
 * where the device looks. */
struct result_queue {
    uint32_t index;
    bool has_num;
    uint32_t num;           /* the driver's size */
    bool has_desc, has_avail, has_used;
    uint64_t desc, avail, used; /* the driver's side */
    const char *source;     /* where the driver's side comes from: "driver", "registers"… */
    uint64_t dev_desc, dev_avail, dev_used;
    uint32_t dev_size;
    bool dev_ready;
    uint16_t avail_idx, used_idx; /* the device's */
    struct result_chains chains; /* the chains the device met on it, as its pop read them */
};

/* One trace event, in the results' own terms. */
enum result_event_kind {
    RE_MMIO_READ, RE_MMIO_WRITE, RE_RING_STORE, RE_RING_LOAD, RE_BARRIER, RE_NOTIFY, RE_POP,
    RE_USED, RE_IRQ, RE_STEP, RE_VIOLATION, RE_DEVICE
};
const char *result_event_kind_name(enum result_event_kind k);

struct result_event {
    uint64_t t;
    enum result_event_kind kind;
    uint64_t addr;          /* register offset, guest-physical address; pop: the head */
    uint64_t value;         /* pop: the avail index seen; used: the length; irq: InterruptStatus */
    uint32_t id;            /* used: the element's id */
    uint32_t count;         /* ring load: identical consecutive loads folded into it */
    uint8_t size;
    uint8_t queue;          /* or RESULT_NO_QUEUE */
    bool line_rose;         /* irq: false when InterruptStatus was already set */
    const char *what;       /* register, ring field, barrier, step, rule, device event, or NULL */
    const char *note;       /* or NULL */
};

/* A replayed recording (vqsim check): what was read and replayed (harness/replay.h). */
struct result_source {
    bool present;
    char recorder[33];
    uint64_t events, skipped_unknown;
    bool truncated, ended, killed, mmu_seen;
    int64_t exit_status;    /* when ended */
    uint32_t vcpus;
    uint64_t window;        /* the checked device's virtio-mmio window (vqsim check: one result
                               per device of the recording) */
    struct {
        uint64_t mmio, other_windows, stores, loads, polls, outside_loads, barriers,
            memory_dumps, device_events, other_devices, interrupt_status_ahead;
    } replayed;
    /* per queue of the checked device: the requests (chains) its model took and answered over
     * the whole replay, every one judged by the rules */
    uint64_t requests_taken[RESULTS_MAX_QUEUES], requests_answered[RESULTS_MAX_QUEUES];
    uint32_t n_request_queues;
    uint64_t discrepancies;
    struct {
        uint64_t offset;
        char text[200];
    } notes[RESULTS_MAX_NOTES];
    uint32_t n_notes;
};

struct results {
    bool passed;
    const char *spec_version; /* judged against: "1.1".."1.4", or "qemu-7.2" (spec_version.h) */
    /* rules the driver broke that do not hold in that version: not judged (machine.h) */
    const char *not_in_spec[RESULTS_MAX_NOT_IN_SPEC];
    uint32_t n_not_in_spec;
    const char *outcome;    /* "ok", "violation", "timeout", "device-error", "driver-error"… */
    char failures[RESULTS_MAX_FAILURES][400];
    uint32_t n_failures;
    uint64_t offered, negotiated; /* feature bits */
    struct step_result steps[RESULTS_MAX_STEPS];
    uint32_t n_steps;
    struct result_finding *violations, *informational; /* owned */
    uint32_t n_violations, n_informational;
    struct result_not_judged not_judged[RESULTS_MAX_NOT_JUDGED];
    uint32_t n_not_judged;
    struct result_cause causes[RESULTS_MAX_CAUSES]; /* the diagnosis, first cause first */
    uint32_t n_causes;
    /* displays[0] is always filled (the schema's single `display`); n_displays the device's */
    struct result_display displays[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t n_displays;
    bool digest_shown_only;  /* results_fill_displays: run_options.digest_shown_only */
    uint32_t digest_also;    /* bit i: scanout i's sha256 is read all the same (expected) */
    uint32_t picture_kept;   /* bit i: keep scanout i's picture for the judge (.picture) */
    struct result_driver driver;
    struct result_memory memory;
    struct result_queue queues[RESULTS_MAX_QUEUES]; /* the queues set up, in index order */
    uint32_t n_queues;
    struct result_event *trace; /* owned; NULL when trace_unread */
    bool trace_unread;      /* results_fill leaves the trace out: nothing reads it (no --json) */
    size_t n_trace;
    uint64_t trace_dropped; /* events dropped before trace[0] (the trace's bound) */
    struct result_source source;
};

struct run_result;
struct scenario;
struct mg_result;

/* Fill what a finished run says (all but the displays, and the steps and failures the runner
 * added as it went): its findings, the diagnosis, the driver's state, guest memory outside its
 * buffers (mg, model/memory_guard.h), the queues, the trace. Runs on a machine that could not be
 * built too (then nearly everything is empty). */
void results_fill(struct results *res, const struct run_result *r, const struct scenario *s,
                  const struct mg_result *mg);
/* Fill the displays: state, mode, cursor, the picture's hash, whether it is dark and why; with
 * png_dir, write each picture as PNG_DIR/NAME.png (scanout 0) or NAME-scanoutI.png (a write
 * that fails is a failure of the run). Each picture is composed once: hashed (all of them, or
 * with digest_shown_only the shown one and those in digest_also), written, and kept in
 * displays[i].picture where picture_kept asks. */
void results_fill_displays(struct results *res, const struct machine *m, const char *png_dir,
                           const char *name);
/* Free the pictures results_fill_displays kept (the judge is done with them). */
void results_drop_pictures(struct results *res);

/* Add a failure (one more reason the run did not pass); beyond RESULTS_MAX_FAILURES dropped. */
void results_fail(struct results *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first cause's evidence `key` … the last's; NULL when no cause has it. */
const char *results_evidence(const struct results *res, const char *key);
/* Free what res owns and forget it (a second call frees nothing); the rest of res is left as it
 * is (59 KB: the next run zeroes it first, run_scenario). */
void results_free(struct results *res);

#endif /* RESULTS_H */
