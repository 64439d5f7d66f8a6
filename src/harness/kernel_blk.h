/* kernel_blk.h — the steps of a blk scenario (blk_read, blk_write, blk_flush), done as a kernel
 * does them through the built-in driver (driver/virtio_blk.h), each outcome checked by content:
 * the kernel keeps its own copy of the disk — the image file as it was when the run began, read
 * by the harness apart from the model, with the kernel's own completed writes applied — and
 * every sector read must equal it.
 */
#ifndef KERNEL_BLK_H
#define KERNEL_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_blk.h"
#include "harness/results.h"
#include "harness/scenario.h"

#define KERNEL_BLK_MAX_SECTORS 128u /* one step's data */

struct kernel_disk {
    struct vblk *drv;
    struct vblk_config cfg;
    uint8_t *expect;            /* what the disk must hold (see above) */
    uint64_t expect_bytes;
    bool *unknown;              /* per sector: discarded, so not judged (§5.2.6.1) */
    uint8_t *buf;               /* DMA memory for one step's data */
    uint64_t buf_phys;
    char failure[256];          /* the last step's content check, when it failed */
};

/* Read the image as the kernel's expectation; 0, or -1 (the reason in d->failure). */
int kernel_disk_open(struct kernel_disk *d, struct vblk *drv, const struct vblk_config *cfg,
                     const char *image);
void kernel_disk_close(struct kernel_disk *d);
/* The `init` step: vblk_init, and the step's detail. */
int kernel_blk_init(struct kernel_disk *d, struct step_result *sr);
/* One blk step; sr->detail says what was done, d->failure what the content check found. */
int kernel_blk_step(struct kernel_disk *d, const struct scenario_step *st,
                    struct step_result *sr);
/* Byte i of the data a blk_write with `seed` writes (sector-relative index). */
uint8_t kernel_blk_pattern(uint32_t seed, uint64_t sector, uint32_t i);

#endif /* KERNEL_BLK_H */
