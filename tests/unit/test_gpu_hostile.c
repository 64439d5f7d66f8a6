/* test_gpu_hostile.c — the gpu driver against a hostile device model (device faults and poked
 * device state): config values and display modes refused before use, DEVICE_NEEDS_RESET and a
 * self-reset recognised, the broken latch refusing every later call; and the memory guard
 * (memory_guard.c) that proves nothing outside the driver's buffers changed. ASan/UBSan on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

static struct vgpu_config cfg(enum vgpu_wait wait)
{
    struct vgpu_config c = {.mmio_base = FX_MMIO_BASE, .queue_size = 16,
                            .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 100000000ull,
                            .wait = wait, .fences = true};
    return c;
}

static void fault(struct machine *m, enum df_kind k, uint32_t nth, uint32_t field, uint32_t value)
{
    struct device_fault *f = &m->dfaults.f[m->dfaults.n++];
    memset(f, 0, sizeof(*f));
    f->kind = k;
    f->nth = nth;
    f->field = field;
    f->value = value;
    f->has_value = k == DF_GARBAGE_CONFIG;
}

/* Every command after the latch: VIRTIO_ERR_BROKEN, and no request reaches the device. */
static void assert_latched(struct machine *m, struct vgpu *g, int why)
{
    assert_true(vgpu_is_broken(g));
    assert_int_equal(g->broken_status, why);
    uint32_t pops = m->dev.q[0].pops;
    struct virtio_gpu_resp_display_info info;
    struct virtio_gpu_rect r = {0, 0, 8, 8};
    uint32_t ev = 0;
    assert_int_equal(vgpu_get_display_info(g, &info), VIRTIO_ERR_BROKEN);
    assert_int_equal(vgpu_resource_create_2d(g, 1, 2, 8, 8), VIRTIO_ERR_BROKEN);
    assert_int_equal(vgpu_resource_flush(g, 1, r), VIRTIO_ERR_BROKEN);
    assert_int_equal(vgpu_handle_config_event(g, &ev), VIRTIO_ERR_BROKEN);
    vgpu_batch_begin(g);
    assert_int_equal(vgpu_batch_end(g), VIRTIO_ERR_BROKEN);
    assert_int_equal(m->dev.q[0].pops, pops);
}

static void test_num_scanouts_out_of_range_fails_init(void **state)
{
    static const uint32_t bad[] = {0, 17, 0xffffffffu};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct machine *m = fx_machine_new(2);
        fault(m, DF_GARBAGE_CONFIG, 0, 8, bad[i]);
        struct vgpu g;
        struct vgpu_config c = cfg(VGPU_WAIT_POLL);
        assert_int_equal(vgpu_init(&g, &c), VIRTIO_ERR_BAD_CONFIG);
        assert_int_equal(g.num_scanouts, 0); /* never believed */
        assert_true(m->dev.status & VIRTIO_STATUS_FAILED); /* §3.1.1: the driver gave up */
        assert_latched(m, &g, VIRTIO_ERR_BAD_CONFIG);
        fx_machine_free(m);
    }
    (void)state;
}

static void test_num_scanouts_16_is_fine(void **state)
{
    struct machine *m = *state;
    fault(m, DF_GARBAGE_CONFIG, 0, 8, 16);
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    assert_int_equal(g.num_scanouts, 16);
    assert_false(vgpu_is_broken(&g));
}

static void test_display_rectangles_checked_before_use(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    struct gpu_scanout *s = &gpu_of(m)->scanouts[0];
    uint32_t w = s->width;
    static const uint32_t bad[] = {0, VGPU_MAX_DISPLAY_EDGE + 1, 0xffffffffu};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct virtio_gpu_resp_display_info out;
        memset(&out, 0xab, sizeof(out));
        s->width = bad[i];
        assert_int_equal(vgpu_get_display_info(&g, &out), VGPU_ERR_BAD_DISPLAY_INFO);
        assert_int_equal(out.hdr.type, 0xabababab); /* nothing copied out */
        assert_false(vgpu_is_broken(&g)); /* the ring was sound: one bad answer, no latch */
    }
    s->width = w;
    struct virtio_gpu_resp_display_info out;
    memset(&out, 0xab, sizeof(out)); /* every byte of the answer is written: copied or zeroed */
    assert_int_equal(vgpu_get_display_info(&g, &out), VIRTIO_OK);
    assert_int_equal(out.hdr.type, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
    assert_int_equal(out.pmodes[0].r.width, w);
    assert_int_equal(out.pmodes[0].enabled, 1);
    static const uint8_t zero[sizeof(out.pmodes) - sizeof(out.pmodes[0])];
    /* past num_scanouts: zeroed, not believed */
    assert_memory_equal(&out.pmodes[1], zero, sizeof(zero));
}

static void test_garbage_events_read_refused(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    gpu_of(m)->events_read = 0x80000000u | VIRTIO_GPU_EVENT_DISPLAY;
    uint32_t ev = 0;
    assert_int_equal(vgpu_handle_config_event(&g, &ev), VIRTIO_ERR_BAD_CONFIG);
    assert_int_equal(ev, 0x80000000u | VIRTIO_GPU_EVENT_DISPLAY); /* reported as read */
    /* nothing echoed into events_clear: the device still shows the bits */
    assert_int_equal(gpu_of(m)->events_read, 0x80000000u | VIRTIO_GPU_EVENT_DISPLAY);
    assert_latched(m, &g, VIRTIO_ERR_BAD_CONFIG);
}

static void test_num_scanouts_garbage_on_display_event(void **state)
{
    struct machine *m = *state;
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    assert_int_equal(g.num_scanouts, 1);
    fault(m, DF_GARBAGE_CONFIG, 0, 8, 4096);
    gpu_of(m)->events_read = VIRTIO_GPU_EVENT_DISPLAY;
    uint32_t ev = 0;
    assert_int_equal(vgpu_handle_config_event(&g, &ev), VIRTIO_ERR_BAD_CONFIG);
    assert_int_equal(g.num_scanouts, 1); /* the old, checked value stays */
    assert_latched(m, &g, VIRTIO_ERR_BAD_CONFIG);
}

static void test_needs_reset_wakes_interrupt_waiter(void **state)
{
    struct machine *m = *state;
    fault(m, DF_SET_NEEDS_RESET, 2, 0, 0);
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_INTERRUPT);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    struct virtio_gpu_resp_display_info info;
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_OK);
    uint64_t t0 = m->now;
    assert_int_equal(vgpu_resource_create_2d(&g, 1, 2, 8, 8), VIRTIO_ERR_NEEDS_RESET);
    assert_true(m->now - t0 < c.timeout_ns / 10); /* woken by the config interrupt */
    assert_latched(m, &g, VIRTIO_ERR_NEEDS_RESET);
}

static void test_needs_reset_found_at_poll_deadline(void **state)
{
    struct machine *m = *state;
    fault(m, DF_SET_NEEDS_RESET, 1, 0, 0);
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    uint64_t t0 = m->now;
    struct virtio_gpu_resp_display_info info;
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_ERR_NEEDS_RESET);
    assert_true(m->now - t0 >= c.timeout_ns); /* bounded: exactly one deadline */
    assert_true(m->now - t0 < 2 * c.timeout_ns);
    assert_latched(m, &g, VIRTIO_ERR_NEEDS_RESET);
}

static void test_self_reset_recognised(void **state)
{
    struct machine *m = *state;
    fault(m, DF_RESET, 1, 0, 0);
    struct vgpu g;
    struct vgpu_config c = cfg(VGPU_WAIT_POLL);
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    struct virtio_gpu_resp_display_info info;
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_ERR_DEVICE_RESET);
    assert_latched(m, &g, VIRTIO_ERR_DEVICE_RESET);
    /* init again: the latch is gone and the device works */
    m->dfaults.n = 0;
    assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
    assert_false(vgpu_is_broken(&g));
    assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_OK);
}

static void test_used_ring_faults_latch_the_driver(void **state)
{
    static const struct {
        enum df_kind k;
        int status;
    } cases[] = {{DF_USED_ID_OUT_OF_RANGE, VIRTIO_ERR_USED_ID_RANGE},
                 {DF_USED_ID_NOT_HEAD, VIRTIO_ERR_BAD_USED},
                 {DF_USED_IDX_JUMP, VIRTIO_ERR_USED_IDX_JUMP},
                 {DF_USED_LEN_TOO_LARGE, VIRTIO_ERR_USED_LEN}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct machine *m = fx_machine_new(2);
        fault(m, cases[i].k, 1, 0, 0);
        struct vgpu g;
        struct vgpu_config c = cfg(VGPU_WAIT_POLL);
        assert_int_equal(vgpu_init(&g, &c), VIRTIO_OK);
        struct virtio_gpu_resp_display_info info;
        memset(&info, 0x5a, sizeof(info));
        assert_int_equal(vgpu_get_display_info(&g, &info), cases[i].status);
        assert_int_equal(info.hdr.type, 0x5a5a5a5a);
        assert_true(g.ctrl.broken);
        assert_latched(m, &g, cases[i].status);
        struct mg_result r;
        memory_guard_check(m, &r);
        assert_true(r.judged);
        assert_int_equal(r.changed_bytes, 0);
        fx_machine_free(m);
    }
    (void)state;
}

static void test_config_generation_that_never_settles(void **state)
{
    struct machine *m = *state;
    struct vmmio d;
    assert_int_equal(vmmio_probe(&d, FX_MMIO_BASE, 1000000), VIRTIO_OK);
    uint32_t v = 0;
    assert_int_equal(vmmio_config_read32_checked(&d, 8, &v), VIRTIO_OK);
    assert_int_equal(v, 1);
    fault(m, DF_GARBAGE_CONFIG, 0, DF_FIELD_GENERATION, 7);
    size_t before = m->trace.len;
    assert_int_equal(vmmio_config_read32_checked(&d, 8, &v), VIRTIO_ERR_BAD_CONFIG);
    unsigned gens = 0, fields = 0;
    for (size_t i = before; i < m->trace.len; i++) {
        const struct trace_event *e = &m->trace.ev[i];
        if (e->kind != TR_MMIO_READ)
            continue;
        gens += e->addr == VIRTIO_MMIO_CONFIG_GENERATION;
        fields += e->addr == VIRTIO_MMIO_CONFIG + 8;
    }
    assert_int_equal(gens, 2 * VMMIO_CONFIG_TRIES); /* bounded: 16 rounds, then refused */
    assert_int_equal(fields, VMMIO_CONFIG_TRIES);
}

static void test_memory_guard(void **state)
{
    (void)state;
    struct machine_config c = fx_config(2);
    c.memory_canary = true;
    struct machine *m = fx_machine_new(2);
    fx_machine_free(m);
    m = calloc(1, sizeof(*m));
    assert_non_null(m);
    char err[128];
    assert_int_equal(machine_init(m, &c, rules_builtin(err, sizeof(err))), 0);
    hal_sim_bind(m);
    uint64_t a, b;
    uint8_t *pa = vhal_dma_alloc(100, 64, VHAL_DMA_BUFFER, &a);
    uint8_t *pb = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &b);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_int_equal(b, a + 128);
    /* the band after a stops at b; the gap [a+100, a+128) carries the canary */
    assert_int_equal(pa[100], MG_CANARY_BYTE);
    assert_int_equal(pa[127], MG_CANARY_BYTE);
    assert_int_equal(pb[0], 0);
    memset(pa, 0xff, 100);
    memset(pb, 0xff, 64); /* inside the allocations: the driver's own */
    struct mg_result r;
    memory_guard_check(m, &r);
    assert_true(r.judged);
    assert_int_equal(r.allocations, 2);
    assert_int_equal(r.changed_bytes, 0);
    pa[100] = 0; /* one byte off the end of a, written with zero: the canary sees it */
    uint8_t *far = gm_ptr(&m->mem, FX_RAM_BASE + 0x800000, 1);
    far[0] = 1; /* untouched RAM, nowhere near an allocation */
    memory_guard_check(m, &r);
    assert_int_equal(r.changed_bytes, 2);
    assert_int_equal(r.first_changed, FX_RAM_BASE + 0x800000 < a + 100 ? FX_RAM_BASE + 0x800000
                                                                        : a + 100);
    hal_sim_unbind();
    machine_destroy(m);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_scanouts_out_of_range_fails_init),
        cmocka_unit_test_setup_teardown(test_num_scanouts_16_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_display_rectangles_checked_before_use, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_events_read_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_num_scanouts_garbage_on_display_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_needs_reset_wakes_interrupt_waiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_needs_reset_found_at_poll_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_reset_recognised, setup, teardown),
        cmocka_unit_test(test_used_ring_faults_latch_the_driver),
        cmocka_unit_test_setup_teardown(test_config_generation_that_never_settles, setup,
                                        teardown),
        cmocka_unit_test(test_memory_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
