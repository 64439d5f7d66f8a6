/* runner.h — runs one scenario: builds the machine, runs the real driver through the steps (the
 * harness plays the kernel that calls the driver), and judges the outcome against `expect:`. */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "../driver/virtio_gpu.h"
#include "../fakedevice/diagnosis.h"
#include "../fakedevice/machine.h"
#include "scenario.h"

enum step_status { ST_OK, ST_TIMEOUT, ST_DEVICE_ERROR, ST_DRIVER_ERROR, ST_SKIPPED };

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

#define RUN_MAX_FAILURES 16

struct run_result {
    struct machine m;
    bool machine_ok;
    struct vgpu gpu;        /* the driver's state (the harness is its kernel) */
    bool driver_up;
    struct step_result steps[SCENARIO_MAX_STEPS + 1];
    uint32_t n_steps;
    const char *outcome;
    struct diagnosis diag;
    bool has_diag;
    char sha256[65];        /* scanout 0 (the single-display form) */
    char *png;              /* scanout 0's written PNG path, or NULL */
    struct scanout_result {
        char sha256[65];    /* of the picture with the cursor composited */
        char *png;          /* written PNG, or NULL */
        char *diff_png;     /* on a reference mismatch: the diff image, or NULL */
        bool dark;
        char dark_reason[400];
    } scanouts[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t n_scanouts;
    struct mg_result memory; /* guest memory outside the driver's allocations (memory_guard.h) */
    bool passed;
    char failures[RUN_MAX_FAILURES][400];
    uint32_t n_failures;
};

struct run_options {
    const char *png_dir;    /* write scanout PNGs here, or NULL */
};

/* Run the scenario; r must be released with run_result_free. Returns 0, or -1 when the machine
 * itself could not be built (out of memory: the failure is in r->failures). */
int run_scenario(const struct scenario *s, const struct run_options *o, struct run_result *r);
void run_result_free(struct run_result *r);
const char *step_status_name(enum step_status s);

#endif /* RUNNER_H */
