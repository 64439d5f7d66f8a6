/* test_input.c — the input device (src/model/devices/input_device.c) driven by the real driver
 * (src/driver/virtio_input.c): QEMU's keyboard identity read through select/subsel (each select
 * write a configuration change: ConfigGeneration moves), the script's events received in order,
 * a batch that does not fit dropped whole (and named by the device's account), nothing before
 * DRIVER_OK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_input.h"
#include "model/devices/input_device.h"
#include "model/diagnosis/diagnosis.h"
#include "sim_fixture.h"

static const struct virtio_input_event script[] = {
    {VIRTIO_INPUT_EV_KEY, 30, 1}, {VIRTIO_INPUT_EV_SYN, 0, 0},
    {VIRTIO_INPUT_EV_KEY, 30, 0}, {VIRTIO_INPUT_EV_KEY, 48, 1}, {VIRTIO_INPUT_EV_SYN, 0, 0},
};

static struct machine *input_machine(void)
{
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(2);
    cfg.device = "input";
    cfg.input_script = script;
    cfg.input_script_len = sizeof(script) / sizeof(script[0]);
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    hal_sim_bind(m);
    return m;
}

static struct vinput_config config(int32_t buffers)
{
    return (struct vinput_config){.mmio_base = FX_MMIO_BASE, .queue_size = 8,
                                  .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 20000000ull,
                                  .event_buffers = buffers};
}

static void test_identity_and_events(void **state)
{
    (void)state;
    struct machine *m = input_machine();
    uint32_t gen0 = m->dev.config_generation;
    struct vinput v;
    struct vinput_config c = config(-1);
    assert_int_equal(vinput_init(&v, &c), VIRTIO_OK);
    assert_string_equal(v.name, "QEMU Virtio Keyboard");
    assert_int_equal(v.ids.bustype, 6);
    assert_int_equal(v.ids.vendor, 0x0627);
    assert_int_equal(v.ids.product, 1);
    assert_int_equal(v.ids.version, 1);
    assert_int_equal(v.n_posted, 8);
    /* two select writes before DRIVER_OK: QEMU's notify_config does nothing then */
    assert_int_equal(m->dev.config_generation, gen0);
    assert_int_equal(input_device_inject(m, 2), 2);
    assert_int_equal(input_device_inject(m, 3), 3);
    for (uint32_t i = 0; i < 5; i++) {
        struct virtio_input_event ev;
        assert_int_equal(vinput_next_event(&v, &ev), VIRTIO_OK);
        assert_memory_equal(&ev, &script[i], sizeof(ev));
    }
    assert_int_equal(input_device_inject(m, 1), 0); /* the script is played out */
    /* a select write after DRIVER_OK is a configuration change */
    vtr_config_write32(v.t, 0, VIRTIO_INPUT_CFG_ID_NAME);
    assert_int_equal(m->dev.config_generation, gen0 + 1);
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

static void test_batch_dropped_whole(void **state)
{
    (void)state;
    struct machine *m = input_machine();
    struct vinput v;
    struct vinput_config c = config(1); /* one buffer: the 3-event batch cannot fit */
    assert_int_equal(vinput_init(&v, &c), VIRTIO_OK);
    assert_int_equal(input_device_inject(m, 2), 2); /* 2 events, 1 buffer: dropped */
    assert_int_equal(m->dev.q[0].used_idx, 0);
    struct virtio_input_event ev;
    assert_int_equal(vinput_next_event(&v, &ev), VIRTIO_ERR_TIMEOUT);
    struct diagnosis d;
    diagnose_timeout(m, 0, 0, &d);
    assert_non_null(d.cause);
    assert_string_equal(d.cause, "no-buffers-posted");
    assert_string_equal(diag_evidence_get(&d, "buffers_available"), "1");
    assert_string_equal(diag_evidence_get(&d, "buffers_needed"), "2");
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_events),
        cmocka_unit_test(test_batch_dropped_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
