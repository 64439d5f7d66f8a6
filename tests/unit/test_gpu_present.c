/* test_gpu_present.c — a flush converted when the display is looked at (gpu_present.c) shows
 * byte for byte what converting it at the flush showed: random sequences of transfers (whole and
 * partial, from a backing full or too short, of new bytes or of the bytes the image holds),
 * flushes and looks, against a reference written out
 * here that converts every flush at once; and a flushed picture survives the resource's unref, a
 * device reset and a display mode change that come before anyone looked. Through the real driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"
#include "util/rgb_rows.h"

#define RW 80u /* larger than the 64x48 display mode */
#define RH 60u
#define IMG (RW * RH * 4)

struct rig {
    struct machine *m;
    struct vgpu g;
    uint8_t *fb;                                     /* guest memory: the backing */
    uint32_t backing;                                /* bytes of it attached */
    uint8_t image[IMG];                              /* reference: the host image */
    uint8_t want[FX_DISPLAY_W * FX_DISPLAY_H * 3];   /* reference: the display */
    struct virtio_gpu_rect s;                        /* the shown rectangle */
    uint32_t rng;
};

static uint32_t rnd(struct rig *r, uint32_t n)
{
    r->rng = r->rng * 1103515245u + 12345u;
    return (r->rng >> 8) % n;
}

/* The backing attached in entries of this many bytes (not a multiple of a row: rows span
 * entries), 0: one entry. */
static uint32_t piece;

static struct rig *rig_new(uint32_t backing, uint32_t seed)
{
    struct rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->m = fx_machine_new(2);
    r->rng = seed;
    r->backing = backing;
    struct vgpu_config gc = {.mmio_base = (uintptr_t)FX_MMIO_BASE, .queue_size = 16,
                             .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                             .timeout_ns = 1000000000ull};
    assert_int_equal(vgpu_init(&r->g, &gc), VIRTIO_OK);
    uint64_t phys;
    r->fb = vhal_dma_alloc(IMG, 4096, VHAL_DMA_FRAMEBUFFER, &phys);
    assert_non_null(r->fb);
    struct virtio_gpu_mem_entry e[IMG / 1000 + 1];
    uint32_t n = 0;
    for (uint32_t at = 0; at < backing; n++) { /* pieces of `piece` bytes (0: one piece) */
        uint32_t len = piece && backing - at > piece ? piece : backing - at;
        e[n] = (struct virtio_gpu_mem_entry){.addr = phys + at, .length = len};
        at += len;
    }
    r->s = (struct virtio_gpu_rect){8, 4, 70, 50};
    assert_int_equal(vgpu_resource_create_2d(&r->g, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, RW, RH),
                     VIRTIO_OK);
    assert_int_equal(vgpu_attach_backing(&r->g, 1, e, n), VIRTIO_OK);
    assert_int_equal(vgpu_set_scanout(&r->g, 0, 1, r->s), VIRTIO_OK);
    return r;
}

static void rig_free(struct rig *r)
{
    fx_machine_free(r->m);
    free(r);
}

/* New guest pixels (or, one time in two, the same: a transfer then copies bytes the image
 * holds already, in part or in whole, as a console redrawing what it drew), then
 * TRANSFER_TO_HOST_2D of t: offset at its first pixel (a driver whose backing is laid out like
 * the image), or 0 (a partial rectangle from the backing's start, which a short backing still
 * has); the reference copies what the backing holds. */
static void transfer(struct rig *r, struct virtio_gpu_rect t)
{
    if (rnd(r, 2))
        for (uint32_t i = 0; i < IMG; i++)
            r->fb[i] = (uint8_t)(rnd(r, 256));
    uint64_t off = rnd(r, 2) ? ((uint64_t)t.y * RW + t.x) * 4 : 0;
    for (uint32_t y = 0; y < t.height; y++)
        for (uint32_t b = 0; b < t.width * 4; b++) {
            uint64_t src = off + (uint64_t)y * RW * 4 + b;
            if (src >= r->backing)
                goto done; /* the copy stops where the backing ends */
            r->image[((t.y + y) * RW + t.x) * 4 + b] = r->fb[src];
        }
done:
    assert_int_equal(vgpu_transfer_to_host_2d(&r->g, 1, t, off), VIRTIO_OK);
}

/* RESOURCE_FLUSH of f of resource id, whose image is img; the reference converts it now
 * (B8G8R8X8: R, G, B at bytes 2, 1, 0). */
static void flush_of(struct rig *r, uint32_t id, const uint8_t *img, struct virtio_gpu_rect f)
{
    for (uint32_t y = f.y; y < f.y + f.height; y++)
        for (uint32_t x = f.x; x < f.x + f.width; x++) {
            if (x < r->s.x || x >= r->s.x + r->s.width || y < r->s.y ||
                y >= r->s.y + r->s.height || x - r->s.x >= FX_DISPLAY_W ||
                y - r->s.y >= FX_DISPLAY_H)
                continue;
            const uint8_t *px = img + (y * RW + x) * 4;
            uint8_t *o = r->want + ((y - r->s.y) * FX_DISPLAY_W + (x - r->s.x)) * 3;
            o[0] = px[2], o[1] = px[1], o[2] = px[0];
        }
    assert_int_equal(vgpu_resource_flush(&r->g, id, f), VIRTIO_OK);
}

static void flush(struct rig *r, struct virtio_gpu_rect f)
{
    flush_of(r, 1, r->image, f);
}

static void look(struct rig *r, const char *when)
{
    const uint8_t *got = gpu_scanout_pixels(gpu_of(r->m), 0);
    assert_non_null(got);
    for (uint32_t i = 0; i < sizeof(r->want); i++)
        if (got[i] != r->want[i])
            fail_msg("%s: display byte %u (pixel %u,%u) is %u, want %u", when, i,
                     i / 3 % FX_DISPLAY_W, i / 3 / FX_DISPLAY_W, got[i], r->want[i]);
}

static struct virtio_gpu_rect any_rect(struct rig *r)
{
    if (rnd(r, 3) == 0)
        return (struct virtio_gpu_rect){0, 0, RW, RH}; /* whole: often, as real drivers do */
    uint32_t x = rnd(r, RW), y = rnd(r, RH);
    return (struct virtio_gpu_rect){x, y, 1 + rnd(r, RW - x), 1 + rnd(r, RH - y)};
}

/* 400 random steps: transfer, flush, or look (and a look at the end). */
static void random_run(uint32_t backing, uint32_t seed)
{
    struct rig *r = rig_new(backing, seed);
    char when[64];
    for (uint32_t step = 0; step < 400; step++) {
        uint32_t op = rnd(r, 7);
        if (op < 3)
            transfer(r, any_rect(r));
        else if (op < 6)
            flush(r, any_rect(r));
        else {
            snprintf(when, sizeof(when), "seed %u step %u", seed, step);
            look(r, when);
        }
    }
    look(r, "the end");
    rig_free(r);
}

static void test_random_sequences(void **state)
{
    (void)state;
    for (int portable = 0; portable < 2; portable++) { /* the CPU's byte shuffle, then without */
        rgb_rows_force_portable(portable);
        for (uint32_t seed = 1; seed <= 6; seed++)
            random_run(IMG, seed);
    }
    rgb_rows_force_portable(false);
    piece = 1000; /* a backing in pieces (a Linux guest's pages) */
    for (uint32_t seed = 1; seed <= 6; seed++)
        random_run(IMG, seed);
    piece = 0;
}

/* A backing shorter than the image: a whole-image transfer stops part way, and the pixels it did
 * not reach keep what they held — also when it wrote into a new buffer (gpu_present.c). */
static void test_short_backing(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 4; seed++)
        random_run(IMG / 2 + 52, seed); /* ends in row 30 of 60: the display shows rows 4..51 */
}

/* The transfer + flush loop of a frame-by-frame driver, never looked at until the end; then the
 * resource's unref, a reset, a mode change: the display keeps the last flushed picture. */
static void test_picture_survives(void **state)
{
    (void)state;
    struct virtio_gpu_rect whole = {0, 0, RW, RH};
    struct rig *r = rig_new(IMG, 7);
    for (int i = 0; i < 5; i++) {
        transfer(r, whole);
        flush(r, whole);
    }
    transfer(r, whole); /* not flushed: not shown */
    look(r, "after five frames and a transfer");
    flush(r, (struct virtio_gpu_rect){3, 3, 20, 20});
    transfer(r, whole);
    flush(r, (struct virtio_gpu_rect){10, 10, 30, 30});
    assert_int_equal(vgpu_resource_unref(&r->g, 1), VIRTIO_OK); /* frees what that flush showed */
    look(r, "after unref");
    rig_free(r);

    r = rig_new(IMG, 9); /* a device reset frees every resource */
    transfer(r, whole);
    flush(r, whole);
    vhal_mmio_write32(FX_MMIO_BASE + VIRTIO_MMIO_STATUS, 0); /* the driver resets the device */
    assert_int_equal(gpu_of(r->m)->n_res, 0);
    look(r, "after a reset");
    rig_free(r);

    r = rig_new(IMG, 8);
    transfer(r, whole);
    flush(r, whole);
    transfer(r, whole);
    assert_int_equal(gpu_device_display_change(r->m, 0, 32, 24, true), 0);
    const uint8_t *got = gpu_scanout_pixels(gpu_of(r->m), 0);
    for (uint32_t y = 0; y < 24; y++) /* the new mode keeps what fits of the old picture */
        assert_memory_equal(got + y * 32 * 3, r->want + y * FX_DISPLAY_W * 3, 32 * 3);
    rig_free(r);
}

/* Flushes of the same pixels, unchanged, pile up (more than GPU_PENDING_RECTS of them, covering
 * and covered, a transfer of the bytes the image holds between them): the display shows each
 * one; then a transfer of new bytes and flushes of parts of it. */
static void test_flushes_pile_up(void **state)
{
    (void)state;
    struct virtio_gpu_rect whole = {0, 0, RW, RH};
    for (uint32_t seed = 1; seed <= 4; seed++) {
        struct rig *r = rig_new(IMG, seed);
        for (uint32_t round = 0; round < 3; round++) {
            for (uint32_t i = 0; i < IMG; i++)
                r->fb[i] = (uint8_t)(rnd(r, 256));
            transfer(r, whole);
            for (uint32_t k = 0; k < 3 * GPU_PENDING_RECTS; k++) {
                uint32_t x = rnd(r, RW), y = rnd(r, RH);
                flush(r, (struct virtio_gpu_rect){x, y, 1 + rnd(r, RW - x) / (1 + rnd(r, 4)),
                                                  1 + rnd(r, RH - y) / (1 + rnd(r, 4))});
                if (rnd(r, 8) == 0) /* the bytes it holds: nothing changes */
                    assert_int_equal(vgpu_transfer_to_host_2d(&r->g, 1, whole, 0), VIRTIO_OK);
            }
            look(r, "after the pile");
        }
        /* another resource shown at the same place: its flush reads other pixels */
        static uint8_t other[IMG];
        for (uint32_t i = 0; i < IMG; i++)
            other[i] = r->fb[i] = (uint8_t)(rnd(r, 256));
        struct virtio_gpu_mem_entry e = {.addr = vhal_virt_to_phys(r->fb), .length = IMG};
        assert_int_equal(vgpu_resource_create_2d(&r->g, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, RW,
                                                 RH), VIRTIO_OK);
        assert_int_equal(vgpu_attach_backing(&r->g, 2, &e, 1), VIRTIO_OK);
        assert_int_equal(vgpu_transfer_to_host_2d(&r->g, 2, whole, 0), VIRTIO_OK);
        flush(r, (struct virtio_gpu_rect){0, 0, 20, 20});
        assert_int_equal(vgpu_set_scanout(&r->g, 0, 2, r->s), VIRTIO_OK);
        flush_of(r, 2, other, (struct virtio_gpu_rect){10, 10, 30, 30});
        look(r, "after the other resource's flush");
        rig_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_short_backing),
        cmocka_unit_test(test_picture_survives),
        cmocka_unit_test(test_flushes_pile_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
