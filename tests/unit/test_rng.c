/* test_rng.c — the entropy device (src/model/devices/rng_device.c) driven by the real driver
 * (src/driver/virtio_rng.c): the stream against splitmix64's published first output (seed 0:
 * 0xe220a8397b1dcdaf), QEMU's answer to a request with readable buffers (filled writable part;
 * a request with no writable byte held and never answered while alone, then answered with 0
 * before the next one), its rule and the device's account of the silence, and the harness's
 * stream (kernel_rng.c) equal to the model's without sharing its code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtio_rng.h"
#include "harness/kernel_rng.h"
#include "model/devices/rng_device.h"
#include "model/diagnosis/diagnosis.h"
#include "sim_fixture.h"

static struct machine *rng_machine(uint32_t version, uint64_t seed)
{
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(version);
    cfg.device = "rng";
    cfg.rng_seed = seed;
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    hal_sim_bind(m);
    return m;
}

static void init_driver(struct vrng *r, uint64_t features)
{
    const struct vrng_config c = {.mmio_base = FX_MMIO_BASE, .queue_size = 8,
                                  .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                                  .timeout_ns = 20000000ull, .features = features};
    assert_int_equal(vrng_init(r, &c), VIRTIO_OK);
}

static void test_stream_is_splitmix64(void **state)
{
    (void)state;
    for (uint32_t v = 1; v <= 2; v++) {
        struct machine *m = rng_machine(v, 0);
        assert_int_equal(m->dev.device_id, 4);
        assert_int_equal(m->dev.host_features, device_qemu_common_features(v));
        struct vrng r;
        init_driver(&r, v == 1 ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0);
        uint64_t phys = 0;
        uint8_t *buf = vhal_dma_alloc(4096, 64, VHAL_DMA_BUFFER, &phys);
        uint32_t got = 0;
        assert_int_equal(vrng_read(&r, phys, 8, &got), VIRTIO_OK);
        assert_int_equal(got, 8);
        static const uint8_t first[8] = {0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2};
        assert_memory_equal(buf, first, 8);
        /* the next 3000 bytes continue the stream, as the harness computes it */
        assert_int_equal(vrng_read(&r, phys, 3000, &got), VIRTIO_OK);
        assert_int_equal(got, 3000);
        for (uint32_t i = 0; i < 3000; i++)
            assert_int_equal(buf[i], kernel_rng_expected(0, 8 + i));
        assert_int_equal(m->n_violations, 0);
        fx_machine_free(m);
    }
}

/* rng_stream_fill (the device's fast path, a word per eight bytes) gives rng_stream_byte's
 * bytes at every start and length around word edges; and a read larger than one page (the
 * fill writes straight into guest memory, buffer after buffer) is the stream byte for byte. */
static void test_stream_fill_is_the_stream(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0, 0x0123456789abcdefull};
    uint8_t out[40];
    for (size_t k = 0; k < 2; k++)
        for (uint64_t pos = 0; pos < 18; pos++)
            for (size_t n = 0; n <= 33; n++) {
                memset(out, 0x5a, sizeof(out));
                rng_stream_fill(seeds[k], pos, out, n);
                for (size_t i = 0; i < n; i++)
                    assert_int_equal(out[i], rng_stream_byte(seeds[k], pos + i));
                for (size_t i = n; i < sizeof(out); i++)
                    assert_int_equal(out[i], 0x5a); /* nothing past n */
            }
    struct machine *m = rng_machine(2, 0);
    struct vrng r;
    init_driver(&r, 0);
    uint64_t phys = 0;
    uint8_t *buf = vhal_dma_alloc(3 * 4096, 64, VHAL_DMA_BUFFER, &phys);
    uint32_t got = 0;
    assert_int_equal(vrng_read(&r, phys, 5, &got), VIRTIO_OK); /* the next starts mid-word */
    assert_int_equal(vrng_read(&r, phys, 3 * 4096, &got), VIRTIO_OK);
    assert_int_equal(got, 3 * 4096);
    for (uint32_t i = 0; i < 3 * 4096; i++)
        assert_int_equal(buf[i], kernel_rng_expected(0, 5 + i));
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

static void test_readable_buffers(void **state)
{
    (void)state;
    struct machine *m = rng_machine(2, 9);
    struct vrng r;
    init_driver(&r, 0);
    uint64_t phys = 0;
    uint8_t *buf = vhal_dma_alloc(256, 64, VHAL_DMA_BUFFER, &phys);
    memset(buf, 0xee, 256);
    /* readable 100 + writable 50: the 50 filled, used.len 50, the rule fires */
    struct vq_buf two[2] = {{phys, 100}, {phys + 100, 50}};
    bool wr[2] = {false, true};
    uint32_t got = 0;
    assert_int_equal(vrng_submit(&r, two, wr, 2, &got), VIRTIO_OK);
    assert_int_equal(got, 50);
    assert_int_equal(buf[0], 0xee);
    for (uint32_t i = 0; i < 50; i++)
        assert_int_equal(buf[100 + i], kernel_rng_expected(9, i));
    assert_int_equal(fx_count_violations(m, "rng.buf.writable-only"), 1);
    /* all readable: held, never answered; the device says why */
    struct vq_buf one = {phys, 16};
    bool ro = false;
    assert_int_equal(vrng_submit(&r, &one, &ro, 1, &got), VIRTIO_ERR_TIMEOUT);
    assert_int_equal(fx_count_violations(m, "rng.buf.writable-only"), 2);
    struct diagnosis d;
    diagnose_timeout(m, 0, 0, &d);
    assert_non_null(d.cause);
    assert_string_equal(d.cause, "request-unservable");
    assert_string_equal(diag_evidence_get(&d, "held_requests"), "1");
    assert_int_equal(m->dev.q[0].used_idx, 1);
    fx_machine_free(m);
}

/* Before DRIVER_OK the device does nothing (QEMU's is_guest_ready). */
static void test_nothing_before_driver_ok(void **state)
{
    (void)state;
    struct machine *m = rng_machine(2, 1);
    struct vmmio d;
    struct virtq vq;
    assert_int_equal(vmmio_probe(&d, FX_MMIO_BASE, 10000000ull), VIRTIO_OK);
    assert_int_equal(vmmio_begin_init(&d), VIRTIO_OK);
    assert_int_equal(vmmio_negotiate(&d, 0), VIRTIO_OK);
    assert_int_equal(vmmio_setup_queue(&d, &vq, 0, 8, VQ_LAYOUT_SEPARATE, 4096), VIRTIO_OK);
    uint64_t phys = 0;
    (void)vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &phys);
    struct vq_buf in = {phys, 64};
    assert_int_equal(vq_add(&vq, NULL, 0, &in, 1, &in), VIRTIO_OK);
    vmmio_notify(&d, 0);
    vhal_delay_ns(10 * FX_LATENCY_NS);
    assert_int_equal(m->dev.q[0].used_idx, 0);
    assert_int_equal(m->dev.q[0].pops, 0);
    vq_destroy(&vq);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_is_splitmix64),
        cmocka_unit_test(test_stream_fill_is_the_stream),
        cmocka_unit_test(test_readable_buffers),
        cmocka_unit_test(test_nothing_before_driver_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
