/* test_gpu.c — the virtio-gpu driver (src/driver/virtio_gpu.c, gpu_commands.c, gpu_cursor.c,
 * gpu_fb.c) against the device model (src/model/devices/gpu_device.c): the gpu checks stay silent
 * on the real driver and fire on the mistakes they name; response codes map to distinct driver
 * statuses; pixels, fences, cursor and config events checked on what the device holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/gpu_fb.h"
#include "driver/gpu_internal.h"
#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

static int setup(void **state)
{
    *state = fx_machine_new(2);
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static void up(struct machine *m, struct vgpu *g, bool fences, bool cursor)
{
    (void)m;
    struct vgpu_config c = {.mmio_base = FX_MMIO_BASE, .queue_size = 16,
                            .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 1000000000ull,
                            .features = 1ull << VIRTIO_GPU_F_EDID, .fences = fences,
                            .cursor = cursor};
    assert_int_equal(vgpu_init(g, &c), VIRTIO_OK);
}

static const uint8_t *shown(const struct machine *m, uint32_t x, uint32_t y)
{
    const struct gpu_scanout *s = &gpu_of(m)->scanouts[0];
    return gpu_scanout_pixels(gpu_of(m), 0) + ((size_t)y * s->width + x) * 3;
}

/* A one-entry control queue can carry no two-buffer command: init refuses it without touching
 * the device (no MMIO access at all). */
static void test_queue_of_one_is_refused(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    size_t before = m->trace.len;
    struct vgpu_config c = {.mmio_base = FX_MMIO_BASE, .queue_size = 1,
                            .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 1000000ull};
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_ERR_INVALID);
    assert_int_equal(m->trace.len, before);
    c.queue_size = 2;
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    assert_int_equal(m->n_violations, 0);
}

/* The whole real driver, every feature on: no gpu (or any) rule fires. */
static void test_real_driver_is_silent(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, true, true);
    struct gpu_fb fb = {0};
    assert_int_equal(gpu_fb_set_mode(&fb, &g, 0, 1, FX_DISPLAY_W, FX_DISPLAY_H), VIRTIO_OK);
    assert_true(fb.n_entries >= 1);
    gpu_fb_fill_rect(&fb, 0, 0, FX_DISPLAY_W, FX_DISPLAY_H, 0x102030);
    assert_int_equal(gpu_fb_present(&fb), VIRTIO_OK);
    assert_int_equal(g.max_inflight, 2); /* transfer and flush in flight together */
    gpu_fb_fill_rect(&fb, 10, 5, 4, 3, 0xff0000);
    gpu_fb_put_pixel(&fb, 20, 30, 0x00ff00);
    assert_int_equal(fb.damage.x, 10);
    assert_int_equal(fb.damage.y, 5);
    assert_int_equal(fb.damage.width, 11);
    assert_int_equal(fb.damage.height, 26);
    assert_int_equal(gpu_fb_present(&fb), VIRTIO_OK);
    assert_memory_equal(shown(m, 0, 0), "\x10\x20\x30", 3);
    assert_memory_equal(shown(m, 13, 7), "\xff\x00\x00", 3);
    assert_memory_equal(shown(m, 20, 30), "\x00\xff\x00", 3);
    assert_memory_equal(shown(m, 14, 7), "\x10\x20\x30", 3);
    /* a row drawn at once: its pixels, and the same damage as put_pixel would make (clipped) */
    uint32_t row[FX_DISPLAY_W + 4];
    for (uint32_t x = 0; x < FX_DISPLAY_W + 4; x++)
        row[x] = 0x010203u * x;
    gpu_fb_put_row(&fb, 9, row, FX_DISPLAY_W + 4);
    assert_int_equal(fb.damage.x, 0);
    assert_int_equal(fb.damage.y, 9);
    assert_int_equal(fb.damage.width, FX_DISPLAY_W);
    assert_int_equal(fb.damage.height, 1);
    assert_int_equal(gpu_fb_present(&fb), VIRTIO_OK);
    assert_memory_equal(shown(m, 0, 9), "\x00\x00\x00", 3);
    assert_memory_equal(shown(m, 5, 9), "\x05\x0a\x0f", 3);
    assert_memory_equal(shown(m, 6, 10), "\x10\x20\x30", 3); /* the row below untouched */
    /* cursor: 64x64, backed, transferred with a fence, then shown */
    assert_int_equal(vgpu_resource_create_2d(&g, 9, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64),
                     VIRTIO_OK);
    uint64_t phys;
    void *cur = vhal_dma_alloc(64 * 64 * 4, 4096, VHAL_DMA_FRAMEBUFFER, &phys);
    memset(cur, 0xff, 64 * 64 * 4);
    struct virtio_gpu_mem_entry e = {phys, 64 * 64 * 4, 0};
    assert_int_equal(vgpu_attach_backing(&g, 9, &e, 1), VIRTIO_OK);
    struct virtio_gpu_rect r = {0, 0, 64, 64};
    assert_int_equal(vgpu_transfer_to_host_2d(&g, 9, r, 0), VIRTIO_OK);
    assert_int_equal(vgpu_update_cursor(&g, 0, 9, 3, 4, 0, 0), VIRTIO_OK);
    assert_int_equal(g.last_used_len, 0); /* cursor queue: no payload */
    assert_int_equal(vgpu_move_cursor(&g, 0, 5, 6), VIRTIO_OK);
    const struct gpu_cursor *c = &gpu_of(m)->scanouts[0].cursor;
    assert_true(c->visible);
    assert_int_equal(c->x, 5);
    assert_int_equal(c->y, 6);
    assert_int_equal(c->updates, 1);
    assert_int_equal(c->moves, 1);
    /* display change: events_read set, config interrupt, the driver clears through events_clear */
    assert_int_equal(gpu_device_display_change(m, 0, 80, 64, true), 0);
    assert_int_equal(gpu_of(m)->events_read, VIRTIO_GPU_EVENT_DISPLAY);
    assert_true(m->dev.isr & VIRTIO_MMIO_INT_CONFIG);
    uint32_t ev = 0;
    assert_int_equal(vgpu_handle_config_event(&g, &ev), VIRTIO_OK);
    assert_int_equal(ev, VIRTIO_GPU_EVENT_DISPLAY);
    assert_int_equal(gpu_of(m)->events_read, 0);
    assert_false(m->dev.isr & VIRTIO_MMIO_INT_CONFIG);
    /* fences: every command carried one and the device echoed them all */
    assert_true(g.next_fence > 0);
    assert_int_equal(g.last_fence_done, g.next_fence);
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(fx_count_violations(m, "gpu.cursor.resource-ready-fenced"), 0);
    assert_int_equal(fx_count_violations(m, "gpu.events-read-no-write"), 0);
}

static void test_cursor_without_fence_fires(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, false, true);
    assert_int_equal(vgpu_resource_create_2d(&g, 9, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64),
                     VIRTIO_OK);
    /* never transferred: fires, naming why */
    uint64_t phys;
    vhal_dma_alloc(64 * 64 * 4, 4096, VHAL_DMA_FRAMEBUFFER, &phys);
    struct virtio_gpu_mem_entry e = {phys, 64 * 64 * 4, 0};
    assert_int_equal(vgpu_attach_backing(&g, 9, &e, 1), VIRTIO_OK);
    assert_int_equal(vgpu_update_cursor(&g, 0, 9, 0, 0, 0, 0), VIRTIO_OK);
    assert_int_equal(fx_count_violations(m, "gpu.cursor.resource-ready-fenced"), 1);
    assert_non_null(strstr(m->violations[0].message, "never transferred"));
    /* transferred, but no fence: fires again */
    struct virtio_gpu_rect r = {0, 0, 64, 64};
    assert_int_equal(vgpu_transfer_to_host_2d(&g, 9, r, 0), VIRTIO_OK);
    assert_int_equal(vgpu_update_cursor(&g, 0, 9, 0, 0, 0, 0), VIRTIO_OK);
    assert_int_equal(fx_count_violations(m, "gpu.cursor.resource-ready-fenced"), 2);
    assert_non_null(strstr(m->violations[1].message, "fenced"));
    /* MOVE_CURSOR and resource 0 (hide) never fire */
    assert_int_equal(vgpu_move_cursor(&g, 0, 1, 1), VIRTIO_OK);
    assert_int_equal(vgpu_update_cursor(&g, 0, 0, 0, 0, 0, 0), VIRTIO_OK);
    assert_int_equal(fx_count_violations(m, "gpu.cursor.resource-ready-fenced"), 2);
    assert_false(gpu_of(m)->scanouts[0].cursor.visible);
}

static void test_events_read_write_fires(void **state)
{
    struct machine *m = *state;
    /* A driver writes the configuration only after FEATURES_OK (§3.1.1 step 4), having probed
     * the device first (§4.2.3.1.1): do so, so only the gpu rule can fire here. */
    static const struct { bool write; uint32_t off, v; } init[] = {
        {false, VIRTIO_MMIO_MAGIC_VALUE, 0}, {false, VIRTIO_MMIO_VERSION, 0},
        {false, VIRTIO_MMIO_DEVICE_ID, 0}, {true, VIRTIO_MMIO_STATUS, 0},
        {false, VIRTIO_MMIO_STATUS, 0}, {true, VIRTIO_MMIO_STATUS, 1}, {true, VIRTIO_MMIO_STATUS, 3},
        {true, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1}, {false, VIRTIO_MMIO_DEVICE_FEATURES, 0},
        {true, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1}, {true, VIRTIO_MMIO_DRIVER_FEATURES, 1},
        {true, VIRTIO_MMIO_STATUS, 0x0b}, {false, VIRTIO_MMIO_STATUS, 0}};
    for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++) {
        if (init[i].write)
            vhal_mmio_write32(fx_reg(m, init[i].off), init[i].v);
        else
            (void)vhal_mmio_read32(fx_reg(m, init[i].off));
    }
    assert_int_equal(m->n_violations, 0);
    gpu_of(m)->events_read = VIRTIO_GPU_EVENT_DISPLAY;
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_CONFIG + 4), 0); /* events_clear: silent */
    assert_int_equal(m->n_violations, 0);
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_CONFIG + 0), VIRTIO_GPU_EVENT_DISPLAY);
    assert_int_equal(fx_count_violations(m, "gpu.events-read-no-write"), 1);
    assert_int_equal(gpu_of(m)->events_read, VIRTIO_GPU_EVENT_DISPLAY); /* ignored, as QEMU */
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_CONFIG + 4), VIRTIO_GPU_EVENT_DISPLAY);
    assert_int_equal(gpu_of(m)->events_read, 0);
    assert_int_equal(m->n_violations, 1);
}

static void test_each_response_code_has_its_status(void **state)
{
    (void)state;
    static const uint32_t codes[] = {
        VIRTIO_GPU_RESP_ERR_UNSPEC, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
        VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
        VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
        VIRTIO_GPU_RESP_OK_DISPLAY_INFO, 0x1299};
    static const int want[] = {VGPU_ERR_UNSPEC, VGPU_ERR_OUT_OF_MEMORY,
                               VGPU_ERR_INVALID_SCANOUT_ID, VGPU_ERR_INVALID_RESOURCE_ID,
                               VGPU_ERR_INVALID_CONTEXT_ID, VGPU_ERR_INVALID_PARAMETER,
                               VGPU_ERR_UNEXPECTED_RESPONSE, VGPU_ERR_UNEXPECTED_RESPONSE};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        int s = vgpu_status_from_response(codes[i], VIRTIO_GPU_RESP_OK_NODATA);
        assert_int_equal(s, want[i]);
        assert_true(vgpu_is_device_error(s));
        for (size_t j = 0; j < i && j < 6; j++) /* the six error codes: pairwise distinct */
            if (i < 6)
                assert_string_not_equal(vgpu_status_name(s), vgpu_status_name(want[j]));
    }
    assert_int_equal(vgpu_status_from_response(VIRTIO_GPU_RESP_OK_NODATA,
                                               VIRTIO_GPU_RESP_OK_NODATA), VIRTIO_OK);
    assert_false(vgpu_is_device_error(VIRTIO_ERR_TIMEOUT));
    assert_true(vgpu_is_device_error(VGPU_ERR_FENCE));
}

static void test_errors_reach_the_caller(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, true, false);
    struct virtio_gpu_rect r = {0, 0, 64, 48};
    assert_int_equal(vgpu_resource_create_2d(&g, 0, 2, 64, 48), VGPU_ERR_INVALID_RESOURCE_ID);
    assert_int_equal(g.last_resp_type, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 77, 64, 48), VGPU_ERR_INVALID_PARAMETER);
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 16384, 16384), VGPU_ERR_OUT_OF_MEMORY);
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 64, 48), VIRTIO_OK);
    assert_int_equal(vgpu_set_scanout(&g, 1, 1, r), VGPU_ERR_INVALID_SCANOUT_ID);
    assert_int_equal(vgpu_set_scanout(&g, 0, 1, r), VGPU_ERR_UNSPEC); /* no backing */
    assert_int_equal(vgpu_detach_backing(&g, 1), VGPU_ERR_UNSPEC);
    assert_int_equal(vgpu_resource_unref(&g, 5), VGPU_ERR_INVALID_RESOURCE_ID);
    assert_int_equal(vgpu_resource_unref(&g, 1), VIRTIO_OK);
    assert_int_equal(gpu_of(m)->n_res, 0);
    /* a refused command leaves the driver usable; fences still echoed on errors */
    assert_int_equal(g.last_fence_done, g.next_fence);
    assert_int_equal(m->n_violations, 0);
}

/* Several requests in flight: one notification, every answer collected, the first failure in
 * issue order returned, the others still done. */
static void test_batch(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, true, false);
    vgpu_batch_begin(&g);
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 64, 48), VIRTIO_OK); /* queued */
    assert_int_equal(vgpu_resource_unref(&g, 7), VIRTIO_OK);                 /* queued */
    assert_int_equal(vgpu_resource_create_2d(&g, 2, 2, 64, 48), VIRTIO_OK); /* queued */
    struct virtio_gpu_resp_display_info info;
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_ERR_INVALID); /* needs an answer */
    assert_int_equal(gpu_of(m)->n_res, 0); /* nothing published yet */
    size_t from = m->trace.len;
    assert_int_equal(vgpu_batch_end(&g), VGPU_ERR_INVALID_RESOURCE_ID);
    assert_int_equal(g.last_resp_type, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    assert_int_equal(gpu_of(m)->n_res, 2); /* both creates done around the failed unref */
    assert_int_equal(g.max_inflight, 3);
    unsigned notifies = 0;
    for (size_t i = from; i < m->trace.len; i++)
        notifies += m->trace.ev[i].kind == TR_MMIO_WRITE &&
                    m->trace.ev[i].addr == VIRTIO_MMIO_QUEUE_NOTIFY;
    assert_int_equal(notifies, 1);
    assert_int_equal(g.last_fence_done, 3);
    /* and the driver goes on one at a time */
    assert_int_equal(vgpu_resource_unref(&g, 2), VIRTIO_OK);
    assert_int_equal(gpu_of(m)->n_res, 1);
}

static void test_edid(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, false, false);
    uint8_t edid[1024];
    uint32_t size = 0, w = 0, h = 0;
    assert_int_equal(vgpu_get_edid(&g, 0, edid, sizeof(edid), &size), VIRTIO_OK);
    assert_int_equal(size, 1024);
    assert_int_equal(g.last_resp_type, VIRTIO_GPU_RESP_OK_EDID);
    assert_int_equal(g.last_used_len, sizeof(struct virtio_gpu_resp_edid));
    assert_int_equal(vgpu_edid_preferred_mode(edid, size, &w, &h), VIRTIO_OK);
    assert_int_equal(edid[126], 0); /* no extension blocks */
    assert_int_equal(w, FX_DISPLAY_W);
    assert_int_equal(h, FX_DISPLAY_H);
    assert_int_equal(vgpu_get_edid(&g, 1, edid, sizeof(edid), &size), VGPU_ERR_INVALID_PARAMETER);
    edid[127] ^= 1; /* checksum broken */
    assert_int_equal(vgpu_edid_preferred_mode(edid, 128, &w, &h), VGPU_ERR_BAD_EDID);
}

static void test_two_scanouts(void **state)
{
    struct machine *m = *state;
    assert_true(gpu_device_add_scanout(gpu_of(m), 32, 32));
    struct vgpu g;
    up(m, &g, true, false);
    assert_int_equal(g.num_scanouts, 2);
    struct virtio_gpu_resp_display_info info;
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_OK);
    assert_int_equal(info.pmodes[1].r.width, 32);
    assert_int_equal(info.pmodes[1].enabled, 1);
    assert_int_equal(info.pmodes[2].enabled, 0);
    struct gpu_fb a = {0}, b = {0};
    assert_int_equal(gpu_fb_set_mode(&a, &g, 0, 1, 64, 48), VIRTIO_OK);
    assert_int_equal(gpu_fb_set_mode(&b, &g, 1, 2, 32, 32), VIRTIO_OK);
    gpu_fb_fill_rect(&b, 0, 0, 32, 32, 0x00ff00);
    assert_int_equal(gpu_fb_present(&b), VIRTIO_OK);
    assert_memory_equal(gpu_scanout_pixels(gpu_of(m), 1) + (31 * 32 + 31) * 3, "\x00\xff\x00", 3);
    assert_memory_equal(gpu_scanout_pixels(gpu_of(m), 0), "\x00\x00\x00", 3); /* untouched */
    struct virtio_gpu_rect r = {0, 0, 32, 32};
    assert_int_equal(vgpu_set_scanout(&g, 2, 2, r), VGPU_ERR_INVALID_SCANOUT_ID);
    /* unref of resource 2 disables only scanout 1 */
    assert_int_equal(gpu_fb_disable(&b), VIRTIO_OK);
    assert_int_equal(gpu_of(m)->scanouts[1].state, SCANOUT_INACTIVE);
    assert_int_equal(gpu_of(m)->scanouts[0].state, SCANOUT_ACTIVE);
    assert_int_equal(m->n_violations, 0);
}

static void test_timeout_on_truncated_header(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    up(m, &g, false, false);
    g.timeout_ns = 1000000;
    m->faults.f[0] = (struct fault){.kind = FAULT_REWRITE_RING_STORE, .field = "desc.len",
                                    .value = 16, .nth = 1, .label = "t"};
    m->faults.n = 1;
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 64, 48), VIRTIO_ERR_TIMEOUT);
    assert_int_equal(gpu_of(m)->n_res, 0);
    assert_true(fx_trace_find(m, 0, TR_DEVICE,
                              "command shorter than the 24-byte header: never answered",
                              UINT64_MAX) >= 0);
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 64, 48), VIRTIO_ERR_BROKEN);
}

/* vgpu_zero / vgpu_copy against memset / memcpy: every length 0..100 at every alignment of
 * destination and source (blocks of four words, then words, then bytes), nothing outside. */
static void test_zero_and_copy_are_memset_and_memcpy(void **state)
{
    (void)state;
    uint8_t src[128], got[136], want[136];
    for (uint32_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 7 + 1);
    for (uint32_t n = 0; n <= 100; n++)
        for (uint32_t da = 0; da < 8; da++)
            for (uint32_t sa = 0; sa < 8; sa++) {
                memset(got, 0xee, sizeof(got));
                memset(want, 0xee, sizeof(want));
                vgpu_copy(got + da, src + sa, n);
                memcpy(want + da, src + sa, n);
                assert_memory_equal(got, want, sizeof(got));
                vgpu_zero(got + da, n);
                memset(want + da, 0, n);
                assert_memory_equal(got, want, sizeof(got));
            }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_queue_of_one_is_refused),
        T(test_real_driver_is_silent),
        T(test_cursor_without_fence_fires),
        T(test_events_read_write_fires),
        T(test_each_response_code_has_its_status),
        T(test_errors_reach_the_caller),
        T(test_batch),
        T(test_edid),
        T(test_two_scanouts),
        T(test_timeout_on_truncated_header),
        cmocka_unit_test(test_zero_and_copy_are_memset_and_memcpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
