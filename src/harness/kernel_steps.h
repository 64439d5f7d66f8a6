/* kernel_steps.h — a scenario's steps, done as a kernel does them: through the built-in driver's
 * API (driver/virtio_gpu.h, driver/gpu_fb.h), with framebuffers of its own in guest memory that
 * it draws into as a kernel's graphics stack would. One step, one call (or a few), one
 * sentence of what was done (the step's `detail`); the runner (runner.c) sequences the steps,
 * times them and judges them.
 */
#ifndef KERNEL_STEPS_H
#define KERNEL_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/gpu_fb.h"
#include "driver/virtio_gpu.h"
#include "harness/results.h"
#include "harness/scenario.h"

struct machine;

#define KERNEL_MAX_FB 8

/* A resource the kernel created, and the guest framebuffer that backs it. */
struct kernel_fb {
    uint32_t id, format, width, height;
    uint8_t *mem;
    uint64_t phys;
    bool has_uuid;             /* assign_uuid answered: the UUID the device gave */
    uint8_t uuid[16];
};

/* The kernel's state across a run's steps. */
struct kernel {
    struct vgpu *g;            /* the driver */
    struct machine *m;         /* the machine, for the host's side of a step (a monitor resized) */
    struct vgpu_config gc;     /* the driver's configuration (an `init` step probes again) */
    struct kernel_fb fb[KERNEL_MAX_FB];
    uint32_t n_fb;
    uint32_t mode_w, mode_h;   /* from GET_DISPLAY_INFO, else QEMU's default mode */
    struct gpu_fb fbs[VIRTIO_GPU_MAX_SCANOUTS]; /* the framebuffer API, one per scanout */
    struct virtio_gpu_mem_entry entries[254];   /* an attach_backing step's page list */
    bool quiet;                /* a `repeat` that is not the last: its detail is discarded, so
                                * a step repeated many times need not write it */
};

/* A kernel with no resources yet, QEMU's default mode, driving g on m as gc says. */
void kernel_init(struct kernel *k, struct vgpu *g, struct machine *m,
                 const struct vgpu_config *gc);
/* Do step st once; sr->detail says what was done. Returns the driver status (enum
 * virtio_status; a step the kernel itself cannot do is VIRTIO_ERR_INVALID or _NOMEM). */
int kernel_step(struct kernel *k, const struct scenario_step *st, struct step_result *sr);

/* What the steps' files share (kernel_steps.c): */
struct kernel_fb *kernel_find_fb(struct kernel *k, uint32_t id);
/* The rectangle a step names, else the whole resource (else the mode). */
struct virtio_gpu_rect kernel_full_rect(struct kernel *k, const struct scenario_step *st);
/* f's framebuffer (allocated on first use) as n pieces of whole pixels into k->entries: how
 * many, 0 when there is no guest memory for it. */
uint32_t kernel_fb_entries(struct kernel *k, struct kernel_fb *f, uint32_t n,
                           struct step_result *sr);
/* kernel_gpu_1_2.c: resource_create_blob, set_scanout_blob, assign_uuid, gpu_command */
int kernel_step_1_2(struct kernel *k, const struct scenario_step *st, struct step_result *sr);

#endif /* KERNEL_STEPS_H */
