/* test_notify_decode.c — QueueNotify decoded once (access_checks.h): access_checks_notify, the
 * path every round trip's notify takes, leaves the register checks in exactly the state, with
 * exactly the findings and the verdict (applied or ignored, and why), that the path every other
 * register takes (access_checks_write_reg) leaves for the same write. Two machines are driven
 * through the same accesses into each state a notify can meet (probe unfinished or armed to be
 * ignored, before DRIVER_OK, after FAILED, a config read run open, a queue reset awaiting its
 * read-back, NOTIFICATION_DATA, both profiles, both transport versions); then one takes the
 * notify one way, the other the other way. Each state is also checked to make some rule fire, so
 * the comparison is not of two silent paths only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "model/checks/access_checks.h"
#include "spec/virtio_spec.h"
#include "sim_fixture.h"

enum op_kind { END, RD, WR };
struct op {
    enum op_kind k;
    uint32_t off, v;
};

#define Q_DESC 0x40100000u
#define Q_AVAIL 0x40100100u
#define Q_USED 0x40100200u
#define HI(bit) (1u << ((bit) - 32)) /* a feature bit of the high word */

static const struct op probe_v2[] = {
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0}, {RD, VIRTIO_MMIO_DEVICE_ID, 0},
    {END, 0, 0}};
static const struct op probe_half[] = {
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0}, {END, 0, 0}};
/* Up to FEATURES_OK with feature word 1 = w1, one queue live; no DRIVER_OK. */
#define INIT_V2(w1)                                                                               \
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0},                               \
        {RD, VIRTIO_MMIO_DEVICE_ID, 0}, {WR, VIRTIO_MMIO_STATUS, 0}, {RD, VIRTIO_MMIO_STATUS, 0}, \
        {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},                                 \
        {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},           \
        {WR, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1}, {RD, VIRTIO_MMIO_DEVICE_FEATURES, 0},           \
        {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, 0},           \
        {WR, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1}, {WR, VIRTIO_MMIO_DRIVER_FEATURES, (w1)},        \
        {WR, VIRTIO_MMIO_STATUS, 0x0b}, {RD, VIRTIO_MMIO_STATUS, 0},                              \
        {WR, VIRTIO_MMIO_QUEUE_SEL, 0}, {RD, VIRTIO_MMIO_QUEUE_READY, 0},                         \
        {RD, VIRTIO_MMIO_QUEUE_NUM_MAX, 0}, {WR, VIRTIO_MMIO_QUEUE_NUM, 16},                      \
        {WR, VIRTIO_MMIO_QUEUE_DESC_LOW, Q_DESC}, {WR, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0},           \
        {WR, VIRTIO_MMIO_QUEUE_DRIVER_LOW, Q_AVAIL}, {WR, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0},      \
        {WR, VIRTIO_MMIO_QUEUE_DEVICE_LOW, Q_USED}, {WR, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0},       \
        {WR, VIRTIO_MMIO_QUEUE_READY, 1}
static const struct op no_driver_ok[] = {INIT_V2(HI(VIRTIO_F_VERSION_1)), {END, 0, 0}};
static const struct op live[] = {INIT_V2(HI(VIRTIO_F_VERSION_1)), {WR, VIRTIO_MMIO_STATUS, 0x0f},
                                 {END, 0, 0}};
static const struct op failed[] = {INIT_V2(HI(VIRTIO_F_VERSION_1)),
                                   {WR, VIRTIO_MMIO_STATUS, 0x0f},
                                   {WR, VIRTIO_MMIO_STATUS, 0x8f}, {END, 0, 0}};
static const struct op config_run[] = {INIT_V2(HI(VIRTIO_F_VERSION_1)),
                                       {WR, VIRTIO_MMIO_STATUS, 0x0f},
                                       {RD, VIRTIO_MMIO_CONFIG_GENERATION, 0},
                                       {RD, VIRTIO_MMIO_CONFIG + 8, 0}, {END, 0, 0}};
static const struct op notify_data[] = {
    INIT_V2(HI(VIRTIO_F_VERSION_1) | HI(VIRTIO_F_NOTIFICATION_DATA)),
    {WR, VIRTIO_MMIO_STATUS, 0x0f}, {END, 0, 0}};
static const struct op queue_reset[] = {INIT_V2(HI(VIRTIO_F_VERSION_1) | HI(VIRTIO_F_RING_RESET)),
                                        {WR, VIRTIO_MMIO_STATUS, 0x0f},
                                        {WR, VIRTIO_MMIO_QUEUE_RESET, 1}, {END, 0, 0}};
static const struct op legacy_live[] = {
    {RD, VIRTIO_MMIO_MAGIC_VALUE, 0}, {RD, VIRTIO_MMIO_VERSION, 0}, {RD, VIRTIO_MMIO_DEVICE_ID, 0},
    {WR, VIRTIO_MMIO_STATUS, 0}, {WR, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096},
    {WR, VIRTIO_MMIO_STATUS, 1}, {WR, VIRTIO_MMIO_STATUS, 3},
    {WR, VIRTIO_MMIO_QUEUE_SEL, 0}, {WR, VIRTIO_MMIO_QUEUE_NUM, 16},
    {WR, VIRTIO_MMIO_QUEUE_ALIGN, 4096}, {WR, VIRTIO_MMIO_QUEUE_PFN, Q_DESC >> 12},
    {WR, VIRTIO_MMIO_STATUS, 7}, {END, 0, 0}};
static const struct op none[] = {{END, 0, 0}};

struct state {
    const char *name;
    const struct op *ops;
    uint32_t version;
    uint32_t magic;       /* what MagicValue shows (0: QEMU's): a wrong one arms "ignore" */
    uint64_t offer_add;
    const char *fires;    /* a rule the notify makes fire in this state (NULL: none) */
    uint32_t value;       /* …with this QueueNotify value */
};

static const struct state states[] = {
    {"first access", none, 2, 0, 0, "mmio.init.read-magic-version-first", 0},
    {"probe unfinished", probe_half, 2, 0, 0, "mmio.init.read-device-id", 0},
    {"bad magic", probe_v2, 2, 0x12345678u, 0, "mmio.ignore-bad-magic", 0},
    {"probed", probe_v2, 2, 0, 0, "init.no-notify-before-driver-ok", 0},
    {"no DRIVER_OK", no_driver_ok, 2, 0, 0, "init.no-notify-before-driver-ok", 0},
    {"live", live, 2, 0, 0, NULL, 0},
    {"FAILED", failed, 2, 0, 0, "init.no-continue-after-error", 0},
    {"config run open", config_run, 2, 0, 0, NULL, 0},
    {"NOTIFICATION_DATA", notify_data, 2, 0, 1ull << VIRTIO_F_NOTIFICATION_DATA,
     "notify.data-next", 0x00050000u},
    {"queue reset awaiting", queue_reset, 2, 0, 1ull << VIRTIO_F_RING_RESET,
     "mmio.queue-reset.wait-read-back", 0},
    {"legacy live", legacy_live, 1, 0, 0, NULL, 0},
};

static struct machine *machine_in(const struct state *s, enum machine_profile profile)
{
    char err[256] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(s->version);
    cfg.profile = profile;
    cfg.magic = s->magic;
    cfg.offer_add = s->offer_add;
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    hal_sim_bind(m);
    for (const struct op *o = s->ops; o->k != END; o++) {
        if (o->k == RD)
            (void)vhal_mmio_read32(fx_reg(m, o->off));
        else
            vhal_mmio_write32(fx_reg(m, o->off), o->v);
    }
    return m;
}

/* The two machines hold the same check state and the same findings, in the same order. */
static void assert_same(const struct machine *a, const struct machine *b, const char *name)
{
    if (memcmp(&a->mmio_checks, &b->mmio_checks, sizeof(a->mmio_checks)) ||
        memcmp(&a->status_checks, &b->status_checks, sizeof(a->status_checks)) ||
        memcmp(&a->qrc, &b->qrc, sizeof(a->qrc)) ||
        memcmp(&a->config_checks, &b->config_checks, sizeof(a->config_checks)))
        fail_msg("%s: the check state differs", name);
    assert_int_equal(a->n_violations, b->n_violations);
    for (uint32_t i = 0; i < a->n_violations; i++) {
        assert_string_equal(a->violations[i].rule->id, b->violations[i].rule->id);
        assert_string_equal(a->violations[i].message, b->violations[i].message);
    }
    assert_int_equal(a->n_informational, b->n_informational);
}

static void one(const struct state *s, enum machine_profile profile, uint32_t value)
{
    struct machine *a = machine_in(s, profile);
    struct machine *b = machine_in(s, profile);
    assert_same(a, b, s->name); /* the same start */
    uint32_t before = a->n_violations;
    const char *note_a = NULL, *note_b = NULL;
    hal_sim_bind(a);
    bool apply_a = access_checks_write_reg(a, VIRTIO_MMIO_QUEUE_NOTIFY, value, &note_a);
    hal_sim_bind(b);
    bool apply_b = access_checks_notify(b, value, &note_b);
    assert_int_equal(apply_a, apply_b);
    assert_ptr_equal(note_a, note_b);
    assert_same(a, b, s->name);
    if (s->fires && value == s->value) { /* the state is one where the notify is judged */
        if (fx_count_violations(a, s->fires) == 0 || a->n_violations == before)
            fail_msg("%s: %s did not fire on QueueNotify 0x%x", s->name, s->fires, value);
    }
    fx_machine_free(a);
    fx_machine_free(b);
}

static void test_notify_decoded_as_any_register(void **st)
{
    (void)st;
    static const uint32_t values[] = {0, 1, 2, 7, 0x10000u, 0x00050000u, 1024};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        for (int p = PROFILE_QEMU; p <= PROFILE_STRICT; p++)
            for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
                one(&states[i], (enum machine_profile)p, values[v]);
}

/* The strict profile's device ignores a notify the checks refuse (before DRIVER_OK, after
 * FAILED): the decoded path says so with the same note. */
static void test_strict_refusal_kept(void **st)
{
    (void)st;
    struct machine *m = machine_in(&states[4], PROFILE_STRICT); /* no DRIVER_OK */
    const char *note = NULL;
    assert_false(access_checks_write(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0, &note));
    assert_non_null(note);
    assert_int_equal(fx_count_violations(m, "init.no-notify-before-driver-ok"), 1);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_decoded_as_any_register),
        cmocka_unit_test(test_strict_refusal_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
