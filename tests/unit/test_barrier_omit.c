/* test_barrier_omit.c — proof that the suite notices a removed barrier.
 *
 * This file is built once per barrier call of src/driver/virtqueue.c, each time against a copy of
 * the driver compiled with -DVQ_OMIT_BARRIER=N (that one call compiled out), and once with N=0
 * (the driver as shipped). It runs the real driver on the simulated machine through init and a
 * few commands and asserts that exactly the expected rule fires: VQ_OMIT_EXPECT, or none for 0.
 * EVENT_IDX is negotiated so that barrier 4 (pairing D) is on the path too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

#ifndef VQ_OMIT_EXPECT
#error "build with -DVQ_OMIT_EXPECT=\"rule id\" (\"\" for the intact driver)"
#endif

static void run_driver(struct machine *m, bool weak, enum vgpu_wait wait)
{
    bc_init(&m->bc, BC_ACCESSORS, weak);
    m->dev.host_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    struct vgpu g;
    struct vgpu_config cfg = {.mmio_base = FX_MMIO_BASE, .queue_size = 4,
                              .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 10000000ull,
                              .features = 1ull << VIRTIO_RING_F_EVENT_IDX, .wait = wait};
    assert_int_equal(vgpu_init(&g, &cfg), VIRTIO_OK);
    assert_true(g.t->features & (1ull << VIRTIO_RING_F_EVENT_IDX));
    struct virtio_gpu_resp_display_info info;
    int rc = VIRTIO_OK;
    /* Six commands over a 4-entry queue: the indices wrap the ring once. */
    for (int i = 0; i < 6 && rc == VIRTIO_OK; i++)
        rc = vgpu_get_display_info(&g, &info);
    if (!weak) { /* strongly ordered, a missing barrier changes nothing the driver sees */
        assert_int_equal(rc, VIRTIO_OK);
        assert_int_equal(info.pmodes[0].r.width, FX_DISPLAY_W);
        assert_int_equal(gpu_of(m)->commands, 6);
    }
}

/* Returns how often the expected rule fired; no other barrier rule may fire (a weak run may add
 * the consequence's own rule), and the intact driver (no expected rule) must break nothing. */
static unsigned check_verdict(struct machine *m)
{
    const char *want = VQ_OMIT_EXPECT;
    if (!want[0]) {
        for (uint32_t i = 0; i < m->n_violations; i++)
            print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
        assert_int_equal(m->n_violations, 0);
        return 0;
    }
    for (uint32_t i = 0; i < m->n_violations; i++)
        if (strcmp(m->violations[i].rule->id, want) != 0)
            assert_true(strcmp(m->violations[i].rule->area, "barriers") != 0);
    return fx_count_violations(m, want);
}

static unsigned run(bool weak, enum vgpu_wait wait)
{
    struct machine *m = fx_machine_new(2);
    run_driver(m, weak, wait);
    unsigned n = check_verdict(m);
    fx_machine_free(m);
    return n;
}

/* Each barrier sits on the polling path, the interrupt path or both: the strongly ordered runs
 * of the two together must show the rule, and each run must show nothing else. */
static void test_strong(void **state)
{
    (void)state;
    unsigned n = run(false, VGPU_WAIT_POLL) + run(false, VGPU_WAIT_INTERRUPT);
    if (VQ_OMIT_EXPECT[0])
        assert_true(n >= 1);
    else
        assert_int_equal(n, 0);
}

/* Weakly ordered, the analysis reads the same program order: the rule fires as in the strong
 * runs (and the intact driver still breaks nothing), whatever the reordering then breaks. */
static void test_weak(void **state)
{
    (void)state;
    unsigned n = run(true, VGPU_WAIT_POLL) + run(true, VGPU_WAIT_INTERRUPT);
    if (VQ_OMIT_EXPECT[0])
        assert_true(n >= 1);
    else
        assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strong),
        cmocka_unit_test(test_weak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
