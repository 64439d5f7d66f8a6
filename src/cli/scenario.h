/* scenario.h — a scenario file: the device, the driver's settings, replayed bugs, the steps the
 * driver runs, and what must come out. The format is documented in README.md ("Scenario format").
 * Parsing is strict: an unknown key, a wrong type or an out-of-range value is an error with
 * file:line:column, so a typo never silently changes what a scenario tests.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "../driver/virtqueue.h"
#include "../fakedevice/faults.h"

enum step_kind {
    STEP_GET_DISPLAY_INFO,
    STEP_RESOURCE_CREATE_2D,
    STEP_ATTACH_BACKING,
    STEP_SET_SCANOUT,
    STEP_DRAW,
    STEP_TRANSFER_TO_HOST_2D,
    STEP_RESOURCE_FLUSH,
    STEP_POKE_PIXEL,
};

struct step_rect {
    bool set;
    uint32_t x, y, width, height;
};

struct scenario_step {
    enum step_kind kind;
    int line;
    uint32_t id;                 /* resource id (default 1) */
    uint32_t format;             /* create: pixel format (default B8G8R8X8) */
    uint32_t width, height;      /* create: 0 = the display mode */
    uint32_t scanout;
    struct step_rect rect;       /* set_scanout/transfer/flush: default the whole resource */
    bool has_offset;
    uint64_t offset;             /* transfer: backing offset (default y*stride + x*4) */
    const char *pattern;         /* draw */
    uint32_t x, y, color;        /* poke_pixel: 0xRRGGBB */
};

#define SCENARIO_MAX_STEPS 64
#define SCENARIO_MAX_EXPECT_VIOLATIONS 16

struct scenario {
    char *file;
    char *name;
    char *description;
    /* device */
    uint32_t transport_version;  /* 1 legacy, 2 modern */
    uint32_t profile;            /* enum machine_profile: 0 qemu, 1 strict */
    uint32_t magic, version_shown;   /* what MagicValue / Version read (0: as QEMU) */
    bool device_id_set;
    uint32_t device_id;
    uint32_t config_change_after;    /* config changes after this many config reads (0 never) */
    uint32_t display_width, display_height;
    uint64_t latency_ns;
    uint64_t ram_base, ram_size, mmio_base;
    uint64_t device_offer;       /* feature bits offered beyond QEMU's defaults */
    uint64_t device_withhold;    /* feature bits QEMU offers that this device does not */
    /* driver */
    uint16_t queue_size;
    enum vq_layout_kind layout;
    uint32_t queue_align;
    uint64_t timeout_ns;
    uint64_t place[4];           /* by enum vhal_dma_use */
    uint64_t driver_features;    /* optional features the driver accepts when offered */
    /* bugs */
    struct fault_list faults;
    /* steps */
    struct scenario_step steps[SCENARIO_MAX_STEPS];
    uint32_t n_steps;
    /* expect */
    const char *expect_outcome;  /* static string */
    char *expect_violations[SCENARIO_MAX_EXPECT_VIOLATIONS];
    uint32_t n_expect_violations;
    char *expect_cause;
    bool expect_display;
    bool expect_active_set, expect_active;
    char *expect_sha256;
    const char *expect_pattern;  /* static string */
};

/* Load and validate a scenario file. Returns 0, or -1 with "file:line:col: message" in err. */
int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen);
void scenario_free(struct scenario *s);
const char *step_name(enum step_kind k);
/* Outcome names the verdict uses: ok, timeout, violation, device-error, driver-error. */
bool outcome_valid(const char *s);

#endif /* SCENARIO_H */
