/* test_access_checks.c — the register-file rule checks (status_checks.c, mmio_checks.c,
 * config_checks.c): silent on the correct access sequence of each transport, and on the real
 * driver in both profiles; each rule fires, alone, on a sequence with exactly one mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "model/checks/access_checks.h"
#include "sim_fixture.h"

enum op_kind { END, RD, WR, SET_ISR, CFG_CHANGE };
struct op {
    enum op_kind k;
    uint32_t off, v;
};

#define MAX_OPS 64
#define Q_DESC 0x40100000u
#define Q_AVAIL 0x40100100u
#define Q_USED 0x40100200u
#define VERSION1_HI 1u /* VIRTIO_F_VERSION_1 in the high word */
#define ANY_LAYOUT (1u << VIRTIO_F_ANY_LAYOUT)

/* The correct sequence on a version 2 device: probe, §3.1.1 steps 1–8, a config read under the
 * generation protocol, a notify, and one handled interrupt. */
static const struct op good_v2[] = {
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0}, {RD, VIRTIO_MMIO_DEVICE_ID, 0},
    {WR, VIRTIO_MMIO_STATUS, 0}, {RD, VIRTIO_MMIO_STATUS, 0},
    {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},
    {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},
    {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},
    {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, 0},
    {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, VERSION1_HI},
    {WR, VIRTIO_MMIO_STATUS, 0x0b}, {RD, VIRTIO_MMIO_STATUS, 0},
    {WR, VIRTIO_MMIO_QUEUE_SEL, 0}, {RD, VIRTIO_MMIO_QUEUE_READY, 0},
    {RD, VIRTIO_MMIO_QUEUE_NUM_MAX, 0}, {WR, VIRTIO_MMIO_QUEUE_NUM, 16},
    {WR, VIRTIO_MMIO_QUEUE_DESC_LOW, Q_DESC}, {WR, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0},
    {WR, VIRTIO_MMIO_QUEUE_DRIVER_LOW, Q_AVAIL}, {WR, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0},
    {WR, VIRTIO_MMIO_QUEUE_DEVICE_LOW, Q_USED}, {WR, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0},
    {WR, VIRTIO_MMIO_QUEUE_READY, 1}, {WR, VIRTIO_MMIO_STATUS, 0x0f},
    {RD, VIRTIO_MMIO_CONFIG_GENERATION, 0}, {RD, VIRTIO_MMIO_CONFIG + 8, 0},
    {RD, VIRTIO_MMIO_CONFIG_GENERATION, 0},
    {WR, VIRTIO_MMIO_QUEUE_NOTIFY, 0},
    {SET_ISR, 0, 1}, {RD, VIRTIO_MMIO_INTERRUPT_STATUS, 0}, {WR, VIRTIO_MMIO_INTERRUPT_ACK, 1},
    {END, 0, 0},
};

/* The correct sequence on a version 1 (legacy) device (§4.2.4, §3.1.2). */
static const struct op good_v1[] = {
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0}, {RD, VIRTIO_MMIO_DEVICE_ID, 0},
    {WR, VIRTIO_MMIO_STATUS, 0}, {RD, VIRTIO_MMIO_STATUS, 0},
    {WR, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096},
    {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},
    {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},
    {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, ANY_LAYOUT},
    {WR, VIRTIO_MMIO_QUEUE_SEL, 0}, {RD, VIRTIO_MMIO_QUEUE_PFN, 0},
    {RD, VIRTIO_MMIO_QUEUE_NUM_MAX, 0}, {WR, VIRTIO_MMIO_QUEUE_NUM, 16},
    {WR, VIRTIO_MMIO_QUEUE_ALIGN, 4096}, {WR, VIRTIO_MMIO_QUEUE_PFN, Q_DESC >> 12},
    {WR, VIRTIO_MMIO_STATUS, 7}, {RD, VIRTIO_MMIO_CONFIG + 8, 0},
    {WR, VIRTIO_MMIO_QUEUE_NOTIFY, 0},
    {SET_ISR, 0, 1}, {RD, VIRTIO_MMIO_INTERRUPT_STATUS, 0}, {WR, VIRTIO_MMIO_INTERRUPT_ACK, 1},
    {END, 0, 0},
};

/* One edit of a good sequence: at the `nth` op matching (k, off) — and value, if `match_v` —
 * replace its value, delete it, insert `ins` before or after it, or cut the rest. */
enum edit_kind { NONE, REPLACE, DELETE, INSERT_BEFORE, INSERT_AFTER, CUT_AFTER };
struct edit {
    enum edit_kind e;
    enum op_kind k;
    uint32_t off;
    int nth;
    uint32_t v;       /* REPLACE: the new value */
    struct op ins;    /* INSERT_*: the op */
};

static size_t find(const struct op *seq, enum op_kind k, uint32_t off, int nth)
{
    for (size_t i = 0; seq[i].k != END; i++)
        if (seq[i].k == k && seq[i].off == off && --nth == 0)
            return i;
    fail_msg("no op %d at 0x%x in the base sequence", k, off);
    return 0;
}

static void apply(const struct op *base, const struct edit *ed, size_t ned, struct op *out)
{
    struct op tmp[MAX_OPS];
    size_t n = 0;
    while (base[n].k != END)
        n++;
    memcpy(out, base, (n + 1) * sizeof(*out));
    for (size_t e = 0; e < ned; e++) {
        size_t i = find(out, ed[e].k, ed[e].off, ed[e].nth ? ed[e].nth : 1), len = 0;
        while (out[len].k != END)
            len++;
        assert_true(len + 2 < MAX_OPS);
        memcpy(tmp, out, (len + 1) * sizeof(*tmp));
        switch (ed[e].e) {
        case REPLACE: out[i].v = ed[e].v; break;
        case DELETE: memcpy(out + i, tmp + i + 1, (len - i) * sizeof(*out)); break;
        case INSERT_BEFORE:
        case INSERT_AFTER: {
            size_t at = ed[e].e == INSERT_BEFORE ? i : i + 1;
            out[at] = ed[e].ins;
            memcpy(out + at + 1, tmp + at, (len + 1 - at) * sizeof(*out));
            break;
        }
        case CUT_AFTER: out[i + 1].k = END; break;
        case NONE: break;
        }
    }
}

struct device_tweak {
    uint32_t magic, version_shown;
    bool device_id_set;
    uint32_t device_id;
};

/* Run `seq` on a fresh machine; end the run (the end-of-run checks too). */
static struct machine *run_seq(uint32_t version, enum machine_profile prof,
                               const struct device_tweak *tw, const struct op *seq)
{
    struct machine *m = fx_machine_new(version);
    m->cfg.profile = prof;
    if (tw && tw->magic)
        m->dev.magic = tw->magic;
    if (tw && tw->version_shown)
        m->dev.version_shown = tw->version_shown;
    if (tw && tw->device_id_set)
        m->dev.device_id = tw->device_id;
    for (size_t i = 0; seq[i].k != END; i++) {
        switch (seq[i].k) {
        case RD: (void)vhal_mmio_read32(fx_reg(m, seq[i].off)); break;
        case WR: vhal_mmio_write32(fx_reg(m, seq[i].off), seq[i].v); break;
        case SET_ISR: m->dev.isr |= seq[i].v; break;
        case CFG_CHANGE: mmio_device_notify_config(m); break;
        case END: break;
        }
    }
    access_checks_finish(m);
    return m;
}

static void assert_only(struct machine *m, const char *rule)
{
    for (uint32_t i = 0; i < m->n_violations; i++)
        if (strcmp(m->violations[i].rule->id, rule) != 0)
            fail_msg("expected only %s, but %s fired: %s", rule, m->violations[i].rule->id,
                     m->violations[i].message);
    if (fx_count_violations(m, rule) == 0)
        fail_msg("%s did not fire", rule);
}

static void test_good_sequences_are_silent(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        struct machine *m = run_seq(2, (enum machine_profile)p, NULL, good_v2);
        assert_int_equal(m->n_violations, 0);
        assert_true(m->dev.q[0].live);
        assert_int_equal(m->dev.status, 0x0f);
        fx_machine_free(m);
        m = run_seq(1, (enum machine_profile)p, NULL, good_v1);
        assert_int_equal(m->n_violations, 0);
        assert_int_equal(m->dev.guest_features, ANY_LAYOUT);
        assert_int_equal(m->dev.status, 0x07);
        fx_machine_free(m);
    }
}

struct fire_case {
    const char *rule;
    uint32_t version;
    struct edit ed[4];
    size_t ned;
    struct device_tweak tw;
};

#define E(kind, ...) {kind, __VA_ARGS__}
#define INS(where, k_, off_, nth_, ik, ioff, iv) {where, k_, off_, nth_, 0, {ik, ioff, iv}}
static const struct fire_case cases[] = {
    {"status.set-bits-per-sequence", 2, {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 2, 0x21)}, 1, {0}},
    {"status.no-clear-bits", 2, {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 4, 0x0a)}, 1, {0}},
    {"status.failed-then-reset", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 2, WR, VIRTIO_MMIO_STATUS, 0x81)}, 1, {0}},
    {"feat.accept-only-offered", 2, {E(REPLACE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 1, 1)}, 1, {0}},
    {"feat.version1-accept", 2, {E(REPLACE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 2, 0)}, 1, {0}},
    {"feat.sr-iov-not-non-pci", 2, {E(REPLACE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 2, 0x21)}, 1,
     {0}},
    {"feat.legacy.accept-any-layout", 1, {E(REPLACE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 1, 0)}, 1,
     {0}},
    {"config.no-assume-atomic", 2,
     {INS(INSERT_AFTER, RD, VIRTIO_MMIO_CONFIG + 8, 1, CFG_CHANGE, 0, 0)}, 1, {0}},
    {"init.step1-reset", 2, {E(DELETE, WR, VIRTIO_MMIO_STATUS, 1)}, 1, {0}},
    {"init.step2-acknowledge", 2, {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 2, 2)}, 1, {0}},
    {"init.step3-driver", 2,
     {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 3, 1), E(REPLACE, WR, VIRTIO_MMIO_STATUS, 4, 0x09),
      E(REPLACE, WR, VIRTIO_MMIO_STATUS, 5, 0x0d)}, 3, {0}},
    {"init.step4-negotiate", 2,
     {E(DELETE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 1), E(DELETE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 1)},
     2, {0}},
    {"init.step4-no-config-write", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 3, WR, VIRTIO_MMIO_CONFIG + 4, 0)}, 1, {0}},
    {"init.step5-features-ok", 2,
     {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 4, 3), E(REPLACE, WR, VIRTIO_MMIO_STATUS, 5, 7)}, 2, {0}},
    {"init.step5-no-new-features", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 4, WR, VIRTIO_MMIO_DRIVER_FEATURES, 3)}, 1, {0}},
    {"init.step6-reread-features-ok", 2, {E(DELETE, RD, VIRTIO_MMIO_STATUS, 2)}, 1, {0}},
    {"init.step7-device-setup", 2, {E(DELETE, WR, VIRTIO_MMIO_QUEUE_READY, 1)}, 1, {0}},
    {"init.step8-driver-ok", 2,
     {E(CUT_AFTER, WR, VIRTIO_MMIO_STATUS, 5), E(DELETE, WR, VIRTIO_MMIO_STATUS, 5)}, 2, {0}},
    {"init.no-continue-after-error", 2, {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 5, 0x8f)}, 1, {0}},
    {"init.no-notify-before-driver-ok", 2,
     {INS(INSERT_BEFORE, WR, VIRTIO_MMIO_STATUS, 5, WR, VIRTIO_MMIO_QUEUE_NOTIFY, 0)}, 1, {0}},
    {"init.legacy.skip-features-ok", 1, {E(REPLACE, WR, VIRTIO_MMIO_STATUS, 4, 0x0f)}, 1, {0}},
    /* (QueuePFN given as a byte address, so the ring the device computes is still in RAM) */
    {"mmio.legacy.page-size-first", 1,
     {E(DELETE, WR, VIRTIO_MMIO_GUEST_PAGE_SIZE, 1), E(REPLACE, WR, VIRTIO_MMIO_QUEUE_PFN, 1, Q_DESC)},
     2, {0}},
    {"mmio.legacy.page-size-pow2", 1, {E(REPLACE, WR, VIRTIO_MMIO_GUEST_PAGE_SIZE, 1, 0x3000)}, 1,
     {0}},
    {"mmio.legacy.queue-num-le-max", 1, {E(REPLACE, WR, VIRTIO_MMIO_QUEUE_NUM, 1, 2048)}, 1, {0}},
    {"mmio.legacy.align-pow2", 1, {E(REPLACE, WR, VIRTIO_MMIO_QUEUE_ALIGN, 1, 3000)}, 1, {0}},
    {"mmio.no-undefined-offsets", 2, {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 2, RD, 0x0d0, 0)},
     1, {0}},
    {"mmio.no-write-ro", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_SEL, 1, WR, VIRTIO_MMIO_QUEUE_NUM_MAX, 16)}, 1, {0}},
    {"mmio.no-read-wo", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_NUM, 1, RD, VIRTIO_MMIO_QUEUE_NUM, 0)}, 1, {0}},
    {"mmio.reg-access-32bit-aligned", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 2, RD, 0x072, 0)}, 1, {0}},
    {"mmio.config-access-width", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_STATUS, 5, RD, VIRTIO_MMIO_CONFIG + 9, 0)}, 1, {0}},
    {"mmio.ignore-bad-magic", 2, {{NONE}}, 0, {.magic = 0x12345678}},
    {"mmio.ignore-bad-version", 2, {{NONE}}, 0, {.version_shown = 3}},
    {"mmio.init.device-id-0-abort", 2, {{NONE}}, 0, {.device_id_set = true, .device_id = 0}},
    {"mmio.init.device-id-0-no-access", 2,
     {E(CUT_AFTER, RD, VIRTIO_MMIO_DEVICE_ID, 1),
      INS(INSERT_AFTER, RD, VIRTIO_MMIO_DEVICE_ID, 1, RD, VIRTIO_MMIO_VENDOR_ID, 0)}, 2,
     {.device_id_set = true, .device_id = 0}},
    {"mmio.features-sel-before-read", 2, {E(DELETE, WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1)}, 1,
     {0}},
    {"mmio.driver-features-sel-before-write", 2,
     {E(DELETE, WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1)}, 1, {0}},
    {"mmio.queue-num-le-max", 2, {E(REPLACE, WR, VIRTIO_MMIO_QUEUE_NUM, 1, 2048)}, 1, {0}},
    {"mmio.no-queue-regs-while-ready", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_READY, 1, WR, VIRTIO_MMIO_QUEUE_DESC_LOW, Q_DESC)},
     1, {0}},
    {"mmio.queue-stop-read-back", 2,
     {INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_READY, 1, WR, VIRTIO_MMIO_QUEUE_READY, 1),
      INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_READY, 1, WR, VIRTIO_MMIO_QUEUE_READY, 0)}, 2, {0}},
    {"mmio.ack-handled-events", 2, {E(DELETE, WR, VIRTIO_MMIO_INTERRUPT_ACK, 1)}, 1, {0}},
    {"mmio.ack-no-undefined-bits", 2, {E(REPLACE, WR, VIRTIO_MMIO_INTERRUPT_ACK, 1, 5)}, 1, {0}},
    {"mmio.irq.read-status", 2, {E(DELETE, RD, VIRTIO_MMIO_INTERRUPT_STATUS, 1)}, 1, {0}},
    {"mmio.init.read-magic-version-first", 2,
     {INS(INSERT_BEFORE, RD, VIRTIO_MMIO_MAGIC_VALUE, 1, RD, VIRTIO_MMIO_VENDOR_ID, 0)}, 1, {0}},
    {"mmio.init.read-device-id", 2, {E(DELETE, RD, VIRTIO_MMIO_DEVICE_ID, 1)}, 1, {0}},
};

static void test_each_rule_fires_alone(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const struct fire_case *fc = &cases[c];
        struct op seq[MAX_OPS];
        apply(fc->version == 1 ? good_v1 : good_v2, fc->ed, fc->ned, seq);
        /* qemu: this rule alone; strict: recorded too (a write the strict device ignores may
         * leave it in a state that makes later correct accesses look wrong) */
        struct machine *m = run_seq(fc->version, PROFILE_QEMU, &fc->tw, seq);
        assert_only(m, fc->rule);
        fx_machine_free(m);
        m = run_seq(fc->version, PROFILE_STRICT, &fc->tw, seq);
        if (fx_count_violations(m, fc->rule) == 0)
            fail_msg("%s did not fire in the strict profile", fc->rule);
        fx_machine_free(m);
    }
}

/* The probe rules stay silent when the driver stops after the identification reads. */
static void test_probe_stop_is_silent(void **state)
{
    (void)state;
    struct op seq[MAX_OPS];
    static const struct device_tweak tw[] = {
        {.magic = 0x12345678}, {.version_shown = 3}, {.device_id_set = true, .device_id = 0}};
    for (size_t i = 0; i < 3; i++) {
        struct edit cut = {CUT_AFTER, RD, i == 0 ? VIRTIO_MMIO_MAGIC_VALUE
                                          : i == 1 ? VIRTIO_MMIO_VERSION
                                                   : VIRTIO_MMIO_DEVICE_ID, 1, 0, {0}};
        apply(good_v2, &cut, 1, seq);
        struct machine *m = run_seq(2, PROFILE_QEMU, &tw[i], seq);
        assert_int_equal(m->n_violations, 0);
        fx_machine_free(m);
    }
}

/* A config change during the reads is fine when the driver reads again after ConfigGeneration
 * moved (§2.4.1). */
static void test_generation_retry_is_silent(void **state)
{
    (void)state;
    struct op seq[MAX_OPS];
    struct edit ed[] = {
        INS(INSERT_AFTER, RD, VIRTIO_MMIO_CONFIG + 8, 1, CFG_CHANGE, 0, 0),
        INS(INSERT_AFTER, RD, VIRTIO_MMIO_CONFIG_GENERATION, 2, RD, VIRTIO_MMIO_CONFIG_GENERATION, 0),
        INS(INSERT_AFTER, RD, VIRTIO_MMIO_CONFIG_GENERATION, 3, RD, VIRTIO_MMIO_CONFIG + 8, 0),
        INS(INSERT_AFTER, RD, VIRTIO_MMIO_CONFIG + 8, 2, RD, VIRTIO_MMIO_CONFIG_GENERATION, 0),
    };
    apply(good_v2, ed, 4, seq);
    struct machine *m = run_seq(2, PROFILE_QEMU, NULL, seq);
    assert_int_equal(m->dev.config_generation, 1);
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

/* Strict reactions: FEATURES_OK refused for a feature not offered; QEMU masks it and accepts. */
static void test_strict_refuses_features_ok(void **state)
{
    (void)state;
    struct op seq[MAX_OPS];
    struct edit ed = E(REPLACE, WR, VIRTIO_MMIO_DRIVER_FEATURES, 1, 1);
    apply(good_v2, &ed, 1, seq);
    struct edit cut = E(CUT_AFTER, WR, VIRTIO_MMIO_STATUS, 4);
    struct op upto_fok[MAX_OPS];
    apply(seq, &cut, 1, upto_fok);
    struct machine *m = run_seq(2, PROFILE_QEMU, NULL, upto_fok);
    assert_int_equal(m->dev.status, 0x0b);
    assert_int_equal(m->dev.guest_features, 1ull << VIRTIO_F_VERSION_1);
    fx_machine_free(m);
    m = run_seq(2, PROFILE_STRICT, NULL, upto_fok);
    assert_int_equal(m->dev.status, 0x03); /* the FEATURES_OK write was refused */
    assert_int_equal(fx_count_violations(m, "feat.accept-only-offered"), 1);
    fx_machine_free(m);
}

/* Strict: a notify before DRIVER_OK and a queue register write while ready are ignored. */
static void test_strict_ignores(void **state)
{
    (void)state;
    struct op seq[MAX_OPS];
    struct edit ed[] = {
        INS(INSERT_AFTER, WR, VIRTIO_MMIO_QUEUE_READY, 1, WR, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000),
        INS(INSERT_BEFORE, WR, VIRTIO_MMIO_STATUS, 5, WR, VIRTIO_MMIO_QUEUE_NOTIFY, 0),
    };
    apply(good_v2, ed, 2, seq);
    struct machine *m = run_seq(2, PROFILE_QEMU, NULL, seq);
    assert_int_equal(m->dev.q[0].reg_desc, 0x1000);
    assert_int_equal(m->dev.q[0].notifies, 2);
    fx_machine_free(m);
    m = run_seq(2, PROFILE_STRICT, NULL, seq);
    assert_int_equal(m->dev.q[0].reg_desc, Q_DESC);
    assert_int_equal(m->dev.q[0].notifies, 1);
    assert_int_equal(fx_count_violations(m, "mmio.no-queue-regs-while-ready"), 1);
    assert_int_equal(fx_count_violations(m, "init.no-notify-before-driver-ok"), 1);
    fx_machine_free(m);
}

/* Every register the register file knows for a version is defined for the checks too, and
 * nothing else is: the direction table and the register table agree. */
static void test_register_tables_agree(void **state)
{
    (void)state;
    for (uint32_t v = 1; v <= 2; v++) {
        struct machine *m = fx_machine_new(v);
        unsigned defined = 0;
        for (uint32_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4) {
            const struct mmio_later_reg *later = mmio_reg_later(off);
            bool known = mmio_reg_name(off) && !mmio_reg_other_version(off, v) && !later;
            unsigned before = fx_count_violations(m, "mmio.no-undefined-offsets");
            uint32_t info = m->n_informational;
            uint32_t got = vhal_mmio_read32(fx_reg(m, off));
            unsigned after = fx_count_violations(m, "mmio.no-undefined-offsets");
            if (later && v == 2) {
                /* a register of VirtIO 1.2: said, with the version; never a violation; read as
                 * QEMU 7.2 reads it */
                assert_int_equal(after, before);
                assert_int_equal(m->n_informational, info + 1);
                assert_string_equal(m->informational[info].rule->id,
                                    "mmio.later-version-register");
                assert_non_null(strstr(m->informational[info].message, later->name));
                assert_non_null(strstr(m->informational[info].message, "VirtIO 1.2"));
                assert_int_equal(got, later->all_ones ? 0xffffffffu : 0);
                continue;
            }
            if (known != (after == before))
                fail_msg("v%u offset 0x%03x: register file says %s, checks say %s", v, off,
                         known ? "defined" : "undefined", after == before ? "defined" : "undefined");
            if (later) /* legacy: undefined in every version, read as QEMU 7.2 reads it */
                assert_int_equal(got, later->all_ones ? 0xffffffffu : 0);
            assert_int_equal(m->n_informational, info);
            defined += known;
        }
        assert_int_equal(defined, v == 1 ? 18 : 23); /* §4.2.4's and §4.2.2's tables */
        fx_machine_free(m);
    }
}

/* Linux's virtio-gpu on a legacy device: it writes the features it would take (no ANY_LAYOUT), finds
 * no VERSION_1 and sets FAILED instead of DRIVER_OK. Feature rules judge what a driver commits to:
 * it committed to nothing, so no rule fires; the refusal is reported as information, with the
 * Status sequence and the reason the bus shows. The same features followed by DRIVER_OK do fire. */
static void test_refusal_is_no_violation(void **state)
{
    (void)state;
    static const struct op refuse[] = {
        {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0},
        {RD, VIRTIO_MMIO_DEVICE_ID, 0}, {WR, VIRTIO_MMIO_STATUS, 0}, {RD, VIRTIO_MMIO_STATUS, 0},
        {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},
        {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},
        {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, 0x30000002},
        {WR, VIRTIO_MMIO_STATUS, 0x83}, {END, 0, 0},
    };
    struct machine *m = run_seq(1, PROFILE_QEMU, NULL, refuse);
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(m->n_informational, 1);
    const struct violation *v = &m->informational[0];
    assert_string_equal(v->rule->id, "status.driver-failed");
    assert_non_null(strstr(v->message, "refused the device"));
    assert_non_null(strstr(v->message, "0x00 -> 0x01 -> 0x03 -> 0x83"));
    assert_non_null(strstr(v->message, "VIRTIO_F_VERSION_1"));
    fx_machine_free(m);
    static const struct op commit[] = {
        {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0},
        {RD, VIRTIO_MMIO_DEVICE_ID, 0}, {WR, VIRTIO_MMIO_STATUS, 0}, {RD, VIRTIO_MMIO_STATUS, 0},
        {WR, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096},
        {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},
        {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},
        {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, 0x30000002},
        {WR, VIRTIO_MMIO_QUEUE_SEL, 0}, {RD, VIRTIO_MMIO_QUEUE_PFN, 0},
        {RD, VIRTIO_MMIO_QUEUE_NUM_MAX, 0}, {WR, VIRTIO_MMIO_QUEUE_NUM, 16},
        {WR, VIRTIO_MMIO_QUEUE_ALIGN, 4096}, {WR, VIRTIO_MMIO_QUEUE_PFN, Q_DESC >> 12},
        {WR, VIRTIO_MMIO_STATUS, 7}, {END, 0, 0},
    };
    m = run_seq(1, PROFILE_QEMU, NULL, commit);
    assert_int_equal(fx_count_violations(m, "feat.legacy.accept-any-layout"), 1);
    assert_int_equal(m->n_violations, 1);
    assert_int_equal(m->n_informational, 0);
    fx_machine_free(m);
}

/* A driver that writes Status as read-modify-write echoes DEVICE_NEEDS_RESET while the device
 * shows it: that sets nothing new. Setting it otherwise is the driver claiming a device bit. */
static void test_needs_reset_echo(void **state)
{
    (void)state;
    struct machine *m = run_seq(2, PROFILE_QEMU, NULL, good_v2);
    mmio_device_set_broken(m, "split.desc.no-loops"); /* VERSION_1 negotiated: NEEDS_RESET */
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_STATUS), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(m->n_violations, 0);
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_STATUS), 0); /* reset clears NEEDS_RESET */
    (void)vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_STATUS));
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_STATUS), 1 | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(fx_count_violations(m, "status.set-bits-per-sequence"), 1);
    assert_int_equal(m->n_violations, 1);
    fx_machine_free(m);
}

/* The real driver: zero violations on both transports and both profiles. */
static void test_real_driver_is_silent(void **state)
{
    (void)state;
    for (uint32_t v = 1; v <= 2; v++)
        for (int p = 0; p < 2; p++) {
            struct machine *m = fx_machine_new(v);
            m->cfg.profile = (enum machine_profile)p;
            struct vgpu g;
            struct vgpu_config gc = {.mmio_base = (uintptr_t)FX_MMIO_BASE, .queue_size = 16,
                                     .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                                     .timeout_ns = 100000000ull};
            assert_int_equal(vgpu_init(&g, &gc), VIRTIO_OK);
            struct virtio_gpu_resp_display_info info;
            assert_int_equal(vgpu_get_display_info(&g, &info), VIRTIO_OK);
            assert_int_equal(info.pmodes[0].r.width, FX_DISPLAY_W);
            access_checks_finish(m);
            for (uint32_t i = 0; i < m->n_violations; i++)
                print_message("v%u %s: %s %s\n", v, p ? "strict" : "qemu",
                              m->violations[i].rule->id, m->violations[i].message);
            assert_int_equal(m->n_violations, 0);
            assert_int_equal(m->dev.status, 0x0f & (v == 1 ? 0x07 : 0x0f));
            fx_machine_free(m);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_sequences_are_silent),
        cmocka_unit_test(test_each_rule_fires_alone),
        cmocka_unit_test(test_probe_stop_is_silent),
        cmocka_unit_test(test_generation_retry_is_silent),
        cmocka_unit_test(test_strict_refuses_features_ok),
        cmocka_unit_test(test_strict_ignores),
        cmocka_unit_test(test_register_tables_agree),
        cmocka_unit_test(test_needs_reset_echo),
        cmocka_unit_test(test_refusal_is_no_violation),
        cmocka_unit_test(test_real_driver_is_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
