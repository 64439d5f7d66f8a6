/* test_device_obligations.c — device-side rules of VirtIO 1.1 that shape what a driver sees, as
 * the model keeps them: Status reads back what the driver wrote (§2.1, §4.2.2), a reset clears
 * it, DEVICE_NEEDS_RESET only when VERSION_1 was negotiated and cleared by the reset (§2.1.2),
 * and ConfigGeneration moves whenever the configuration changes (§2.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "sim_fixture.h"

static void wr(struct machine *m, uint32_t off, uint32_t v) { vhal_mmio_write32(fx_reg(m, off), v); }
static uint32_t rd(struct machine *m, uint32_t off) { return vhal_mmio_read32(fx_reg(m, off)); }

static void init_to_driver_ok(struct machine *m, uint32_t features_hi)
{
    wr(m, VIRTIO_MMIO_STATUS, 0);
    wr(m, VIRTIO_MMIO_STATUS, 1);
    wr(m, VIRTIO_MMIO_STATUS, 3);
    if (m->dev.version == 2) {
        wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        wr(m, VIRTIO_MMIO_DRIVER_FEATURES, features_hi);
        wr(m, VIRTIO_MMIO_STATUS, 0x0b);
        wr(m, VIRTIO_MMIO_STATUS, 0x0f);
    } else {
        wr(m, VIRTIO_MMIO_STATUS, 0x07);
    }
}

static void test_status_reads_back(void **state)
{
    (void)state;
    static const uint8_t seq2[] = {0, 1, 3, 0x0b, 0x0f, 0x8f};
    static const uint8_t seq1[] = {0, 1, 3, 0x07, 0x87};
    for (uint32_t v = 1; v <= 2; v++) {
        struct machine *m = fx_machine_new(v);
        const uint8_t *s = v == 2 ? seq2 : seq1;
        size_t n = v == 2 ? sizeof(seq2) : sizeof(seq1);
        for (size_t i = 0; i < n; i++) {
            wr(m, VIRTIO_MMIO_STATUS, s[i]);
            assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), s[i]);
        }
        wr(m, VIRTIO_MMIO_STATUS, 0); /* reset: reads back 0 at once */
        assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0);
        assert_int_equal(m->dev.guest_features, 0);
        fx_machine_free(m);
    }
}

static void test_needs_reset_semantics(void **state)
{
    (void)state;
    /* VERSION_1 negotiated: NEEDS_RESET set, a config interrupt after DRIVER_OK; reset clears */
    struct machine *m = fx_machine_new(2);
    init_to_driver_ok(m, 1);
    mmio_device_set_broken(m, "split.desc.no-loops");
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    wr(m, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(m->dev.broken);
    fx_machine_free(m);
    /* without VERSION_1 (modern transport) and on legacy: no NEEDS_RESET, no interrupt */
    for (uint32_t v = 1; v <= 2; v++) {
        m = fx_machine_new(v);
        init_to_driver_ok(m, 0);
        mmio_device_set_broken(m, "split.desc.no-loops");
        assert_true(m->dev.broken);
        assert_int_equal(rd(m, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
        assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        fx_machine_free(m);
    }
}

static void test_config_generation_changes_with_config(void **state)
{
    (void)state;
    /* qemu: before DRIVER_OK neither a new generation nor an interrupt (virtio_notify_config
     * returns early); strict: a new generation (§4.2.2.1), still no interrupt */
    for (int p = 0; p < 2; p++) {
        struct machine *m = fx_machine_new(2);
        m->cfg.profile = (enum machine_profile)p;
        assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), 0);
        mmio_device_notify_config(m);
        assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), p == PROFILE_STRICT ? 1 : 0);
        assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        init_to_driver_ok(m, 1);
        uint32_t g = rd(m, VIRTIO_MMIO_CONFIG_GENERATION);
        mmio_device_notify_config(m);
        assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), g + 1);
        assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
        fx_machine_free(m);
    }

    /* device.config_change: after the 2nd config read (here after DRIVER_OK) the display event
     * is raised and the generation moves; the 2nd read itself still saw the old state */
    struct machine *m = fx_machine_new(2);
    init_to_driver_ok(m, 1);
    m->dev.config_change_after = 2;
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 0), 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 0), 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), 1);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 0), VIRTIO_GPU_EVENT_DISPLAY);
    /* events_clear changes events_read but is the driver's own write: the generation stays */
    wr(m, VIRTIO_MMIO_CONFIG + 4, VIRTIO_GPU_EVENT_DISPLAY);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 0), 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), 1);
    fx_machine_free(m);
}

/* QEMU's virtio_validate_features: with VERSION_1 accepted, ACCESS_PLATFORM offered and not
 * accepted makes the FEATURES_OK write fail whole; a write without FEATURES_OK is taken. */
static void test_features_ok_refused_like_qemu(void **state)
{
    (void)state;
    struct machine *m = fx_machine_new(2);
    m->dev.host_features |= 1ull << VIRTIO_F_ACCESS_PLATFORM;
    wr(m, VIRTIO_MMIO_STATUS, 0);
    wr(m, VIRTIO_MMIO_STATUS, 3);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 only */
    wr(m, VIRTIO_MMIO_STATUS, 0x0b);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x03);
    wr(m, VIRTIO_MMIO_STATUS, 0x8b); /* sets FEATURES_OK again: refused again */
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x03);
    wr(m, VIRTIO_MMIO_STATUS, 0x83);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x83);
    /* accepting it (VERSION_1 | ACCESS_PLATFORM) is fine */
    wr(m, VIRTIO_MMIO_STATUS, 0);
    wr(m, VIRTIO_MMIO_STATUS, 3);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 3);
    wr(m, VIRTIO_MMIO_STATUS, 0x0b);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x0b);
    fx_machine_free(m);
}

static void test_identification_options(void **state)
{
    (void)state;
    struct machine *m = fx_machine_new(2);
    m->dev.magic = 0x12345678;
    m->dev.version_shown = 3;
    m->dev.device_id = 0;
    assert_int_equal(rd(m, VIRTIO_MMIO_MAGIC_VALUE), 0x12345678);
    assert_int_equal(rd(m, VIRTIO_MMIO_VERSION), 3);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_ID), 0);
    /* the register file still behaves as version 2, and a reset keeps what it shows */
    wr(m, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_VERSION), 3);
    assert_int_equal(m->dev.version, 2);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_reads_back),
        cmocka_unit_test(test_needs_reset_semantics),
        cmocka_unit_test(test_config_generation_changes_with_config),
        cmocka_unit_test(test_features_ok_refused_like_qemu),
        cmocka_unit_test(test_identification_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
