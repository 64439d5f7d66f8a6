/* test_gpu_flush.c — RESOURCE_FLUSH reaches the display exactly where it should: the flushed
 * rectangle, clipped to the scanout rectangle and to the display mode, converted per format.
 * Checked pixel by pixel against the rule written out per pixel here, through the real driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

#define RW 80u /* resource larger than the 64x48 display mode */
#define RH 60u

struct rig {
    struct machine *m;
    struct vgpu g;
    uint8_t *fb;
    uint8_t want[FX_DISPLAY_W * FX_DISPLAY_H * 3];
};

static void fill(struct rig *r, uint32_t seed)
{
    for (uint32_t i = 0; i < RW * RH * 4; i++)
        r->fb[i] = (uint8_t)(i * 7 + seed * 31 + (i >> 8));
}

/* What the display must show after flushing f, per pixel, with resource bytes at byte positions
 * (pr, pg, pb) for red, green and blue. */
static void expect_flush(struct rig *r, struct virtio_gpu_rect s, struct virtio_gpu_rect f, int pr,
                         int pg, int pb)
{
    for (uint32_t y = f.y; y < f.y + f.height; y++)
        for (uint32_t x = f.x; x < f.x + f.width; x++) {
            if (x < s.x || x >= s.x + s.width || y < s.y || y >= s.y + s.height ||
                x - s.x >= FX_DISPLAY_W || y - s.y >= FX_DISPLAY_H)
                continue;
            const uint8_t *px = r->fb + (y * RW + x) * 4;
            uint8_t *o = r->want + ((y - s.y) * FX_DISPLAY_W + (x - s.x)) * 3;
            o[0] = px[pr];
            o[1] = px[pg];
            o[2] = px[pb];
        }
}

/* Seven flushes of one format; returns how many display bytes differ from the rule (each
 * difference is printed). */
static uint32_t run_format(uint32_t format, int pr, int pg, int pb)
{
    struct rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->m = fx_machine_new(2);
    struct vgpu_config gc = {.mmio_base = (uintptr_t)FX_MMIO_BASE, .queue_size = 16,
                             .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                             .timeout_ns = 1000000000ull};
    assert_int_equal(vgpu_init(&r->g, &gc), VIRTIO_OK);
    uint64_t phys;
    r->fb = vhal_dma_alloc(RW * RH * 4, 4096, VHAL_DMA_FRAMEBUFFER, &phys);
    assert_non_null(r->fb);
    struct virtio_gpu_mem_entry e = {.addr = phys, .length = RW * RH * 4};
    struct virtio_gpu_rect full = {0, 0, RW, RH};
    struct virtio_gpu_rect s = {8, 4, 70, 50}; /* shown part: wider and taller than the mode */
    assert_int_equal(vgpu_resource_create_2d(&r->g, 1, format, RW, RH), VIRTIO_OK);
    assert_int_equal(vgpu_attach_backing(&r->g, 1, &e, 1), VIRTIO_OK);
    assert_int_equal(vgpu_set_scanout(&r->g, 0, 1, s), VIRTIO_OK);
    static const struct virtio_gpu_rect flushes[] = {
        {0, 0, RW, RH},   /* everything: clipped on all sides */
        {0, 0, 8, 4},     /* wholly outside the scanout rectangle: no pixel */
        {0, 0, 20, 20},   /* overlaps the top-left corner */
        {30, 20, 50, 40}, /* overlaps right and bottom, beyond the mode */
        {71, 51, 9, 9},   /* past the mode (x - 8 >= 64), inside the resource: no pixel */
        {9, 5, 1, 1},     /* one pixel */
        {8, 4, 64, 48},   /* exactly the visible part */
    };
    uint32_t bad = 0;
    for (uint32_t k = 0; k < sizeof(flushes) / sizeof(flushes[0]); k++) {
        fill(r, k + 1);
        assert_int_equal(vgpu_transfer_to_host_2d(&r->g, 1, full, 0), VIRTIO_OK);
        assert_int_equal(vgpu_resource_flush(&r->g, 1, flushes[k]), VIRTIO_OK);
        expect_flush(r, s, flushes[k], pr, pg, pb);
        const uint8_t *got = gpu_scanout_pixels(gpu_of(r->m), 0);
        for (uint32_t i = 0; i < sizeof(r->want); i++)
            if (got[i] != r->want[i] && bad++ < 8)
                print_error("format %u, flush %u: display byte %u (pixel %u,%u) is %u, want %u\n",
                            format, k, i, i / 3 % FX_DISPLAY_W, i / 3 / FX_DISPLAY_W, got[i],
                            r->want[i]);
    }
    assert_int_equal(gpu_of(r->m)->scanouts[0].flushes, 7);
    fx_machine_free(r->m);
    free(r);
    return bad;
}

/* Byte positions of red, green and blue in one 4-byte pixel of each format (§5.7.6.8). */
static void test_flush_b8g8r8x8(void **state)
{
    (void)state;
    assert_int_equal(run_format(VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 2, 1, 0), 0);
}
static void test_flush_x8r8g8b8(void **state)
{
    (void)state;
    assert_int_equal(run_format(VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, 1, 2, 3), 0);
}
static void test_flush_r8g8b8a8(void **state)
{
    (void)state;
    assert_int_equal(run_format(VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, 0, 1, 2), 0);
}
static void test_flush_a8b8g8r8(void **state)
{
    (void)state;
    assert_int_equal(run_format(VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, 3, 2, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_b8g8r8x8),
        cmocka_unit_test(test_flush_x8r8g8b8),
        cmocka_unit_test(test_flush_r8g8b8a8),
        cmocka_unit_test(test_flush_a8b8g8r8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
