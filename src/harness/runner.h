/* runner.h — runs one scenario: builds the machine, runs the real driver through the steps (the
 * harness plays the kernel that calls the driver: kernel_steps.h), and fills what the run says
 * (results.h), judged against `expect:` (judge.h). The run's result holds the machine and the
 * driver until it is freed; everything that reports on the run reads its `res`.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_pci.h"
#include "model/diagnosis/diagnosis.h"
#include "model/machine.h"
#include "harness/results.h"
#include "harness/scenario.h"

struct vqrec_writer;

#define RUN_MAX_QUEUES MMIO_NUM_QUEUES

struct run_result {
    struct results res;     /* what the run says: the writers and the judge read only this */
    /* The run itself: */
    struct machine m;
    bool machine_ok;
    struct vqrec_writer *rec; /* `vqsim run --record`: the recording being written, or NULL */
    struct vgpu gpu;        /* the driver's state (the harness is its kernel) */
    /* A device other than the gpu (device.type): its kernel and that kernel's state, which
     * holds its driver (kernel_device.h); NULL for the gpu. */
    const struct kernel_device_ops *kdev;
    void *kstate;
    struct vpci pci;        /* its transport when the device is on PCI (`transport: pci`) */
    bool driver_up;
    /* An external driver ran instead of the built-in one (run_scenario_external): `gpu` is
     * unused; queue_view says where that driver put each queue (known = false: not told). */
    bool external;
    struct diag_driver_view queue_view[RUN_MAX_QUEUES];
    const char *view_source;  /* run_external.view_source */
    /* The run's counters when the request the external driver waited on began (run_facts.h):
     * taken when the run starts; run() moves it with sr->t when its request began later. */
    struct rf_mark request_mark;
    struct diagnosis diag;  /* the diagnosis, made when a step first got no usable answer */
    bool has_diag;
};

struct run_options {
    const char *png_dir;    /* write scanout PNGs here, or NULL */
    const char *record_dir; /* write DIR/NAME.vqrec, the run as a recording, or NULL */
    /* hash only the display a result line shows (displays[0] when active; results_print) and
     * those whose sha256 the scenario expects: the others' sha256 stay "" (vqsim run and check
     * without --json, where nothing else reads them) */
    bool digest_shown_only;
    /* nothing reads the results' trace (vqsim run without --json): leave it out of them */
    bool trace_unread;
};

/* Run the scenario; r must be released with run_result_free. Returns 0, or -1 when the machine
 * itself could not be built (out of memory: the failure is in r->res.failures). */
int run_scenario(const struct scenario *s, const struct run_options *o, struct run_result *r);

/* A driver other than the built-in one: a foreign driver (vqsim as a library), a recorded guest
 * being replayed (vqsim check). It runs once, with the scenario's machine bound to the calling
 * thread (hal_sim.h), and reaches the machine only through virtio_hal.h, as the built-in driver
 * does. Its run is one step. */
struct run_external {
    const char *step_name;  /* the step's name in the results ("driver", "recording"…) */
    /* Run the driver. Set sr->driver_status and (optionally) sr->detail; return the step's
     * status. For ST_TIMEOUT / ST_DEVICE_ERROR set *queue to the queue whose request got no
     * (usable) answer (default: the control queue): the diagnosis looks at it. */
    enum step_status (*run)(void *ctx, struct run_result *r, struct step_result *sr,
                            uint32_t *queue);
    /* Optional: where the driver put queue q, for the diagnosis and the results' queues;
     * return false when it does not know (or did not set that queue up). */
    bool (*queue_view)(void *ctx, uint32_t q, struct diag_driver_view *v);
    const char *view_source; /* where queue_view's answers come from ("queue_placed"…) */
    void *ctx;
    bool judge;             /* judge the scenario's expect: as for the built-in driver */
    /* Optional: true after run when its ST_TIMEOUT was a wait on a register before any request
     * (the reset read-back of Status): diagnosed as DIAG_REGISTER_WAIT. */
    const bool *register_wait;
};

/* Run the scenario's machine (device, device faults, replayed bus bugs, profile) against an
 * external driver instead of the scenario's steps; the result has the same shape as
 * run_scenario's (one step). Returns as run_scenario. */
int run_scenario_external(const struct scenario *s, const struct run_options *o,
                          struct run_result *r, const struct run_external *x);
/* What r holds released (r itself is left as it is: run_scenario zeroes it before a run). */
void run_result_free(struct run_result *r);

/* The built-in driver's queue q (its own state), whichever device the scenario runs; NULL when
 * that driver has no queue q. */
const struct virtq *run_driver_queue(const struct run_result *r, uint32_t q);

#endif /* RUNNER_H */
