/* test_scenario.c — scenario_load (src/harness/scenario.c) on files written to a temporary directory:
 * what a valid file parses to, and that every kind of mistake is an error naming file:line:col
 * and saying what is wrong, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/scenario.h"
#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "sim_fixture.h"

static char tmpdir[64];
static unsigned n_files;

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vqsim-unit-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    /* only the files this test wrote: f0.yaml … and the sub-directory */
    for (unsigned i = 0; i < n_files; i++) {
        snprintf(cmd, sizeof(cmd), "%s/f%u.yaml", tmpdir, i);
        unlink(cmd);
    }
    snprintf(cmd, sizeof(cmd), "%s/adir", tmpdir);
    rmdir(cmd);
    return rmdir(tmpdir);
}

/* Write `len` bytes to a fresh file in the temp dir; its path goes to `path`. */
static void write_bytes(char path[256], const void *data, size_t len)
{
    snprintf(path, 256, "%s/f%u.yaml", tmpdir, n_files++);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(char path[256], const char *text) { write_bytes(path, text, strlen(text)); }

/* Load `text`, expect failure, and return the message (in a static buffer). */
static const char *load_error(const char *text, char path[256])
{
    static char err[512];
    static struct scenario s;
    write_text(path, text);
    memset(err, 0, sizeof(err));
    int rc = scenario_load(path, &s, err, sizeof(err));
    scenario_free(&s);
    if (rc != -1)
        fail_msg("scenario loaded but should not have:\n%s", text);
    if (strncmp(err, path, strlen(path)) != 0)
        fail_msg("error '%s' does not start with the file name '%s'", err, path);
    return err;
}

/* Expect exactly "path:<where>" as the message. */
static void expect_error(const char *text, const char *where)
{
    char path[256];
    const char *err = load_error(text, path);
    char want[768];
    snprintf(want, sizeof(want), "%s:%s", path, where);
    assert_string_equal(err, want);
}

/* Expect "path:L:C: …" with the text `contains` somewhere in the message. */
static void expect_error_at(const char *text, int line, int col, const char *contains)
{
    char path[256];
    const char *err = load_error(text, path);
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", path, line, col);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", err, prefix);
    if (!strstr(err, contains))
        fail_msg("error '%s' does not contain '%s'", err, contains);
}

/* ---- valid files -------------------------------------------------------------------------- */

static void test_minimal(void **state)
{
    (void)state;
    char path[256];
    write_text(path, "name: minimal\n"
                     "device:\n"
                     "  transport: modern\n"
                     "steps:\n"
                     "  - get_display_info\n"
                     "expect:\n"
                     "  outcome: ok\n");
    struct scenario *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    char err[512] = "";
    if (scenario_load(path, s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(s->file, path);
    assert_string_equal(s->name, "minimal");
    assert_string_equal(s->description, "");
    assert_int_equal(s->transport_version, 2);
    /* defaults */
    assert_int_equal(s->display_width, 1280); /* QEMU 7.2's xres, yres */
    assert_int_equal(s->display_height, 800);
    assert_int_equal(s->latency_ns, 10000);
    assert_int_equal(s->ram_base, 0x40000000);
    assert_int_equal(s->ram_size, 256ull << 20);
    assert_int_equal(s->mmio_base, 0x0a003e00);
    assert_int_equal(s->queue_size, 16);
    assert_int_equal(s->layout, VQ_LAYOUT_SEPARATE);
    assert_int_equal(s->queue_align, 4096);
    assert_int_equal(s->timeout_ns, 1000000000ull);
    assert_int_equal(s->faults.n, 0);
    assert_int_equal(s->n_steps, 1);
    assert_int_equal(s->steps[0].kind, STEP_GET_DISPLAY_INFO);
    assert_int_equal(s->steps[0].line, 5);
    assert_string_equal(s->expect_outcome, "ok");
    assert_int_equal(s->n_expect_violations, 0);
    assert_null(s->expect_cause);
    assert_int_equal(s->n_displays, 0);
    scenario_free(s);
    free(s);
}

static void test_full(void **state)
{
    (void)state;
    char path[256];
    write_text(path,
               "name: full_one-2\n"
               "description: \"All the sections\"\n"
               "device:\n"
               "  transport: legacy\n"
               "  profile: qemu\n"
               "  display: {width: 640, height: 480}\n"
               "  latency_us: 25\n"
               "  ram: {base: 0x8000_0000, size: 0x200_0000}\n"
               "  mmio_base: 0x0a000000\n"
               "driver:\n"
               "  queue_size: 64\n"
               "  queue_align: 4\n"
               "  timeout_ms: 50\n"
               "  place: {rings: 0x80100000, buffers: 0x80200000}\n"
               "bugs:\n"
               "  - drop-mmio-write: {reg: QueueReady}\n"
               "  - rewrite-ring-store: {field: avail.idx, value: 7, nth: 2, queue: 1}\n"
               "  - rewrite-mmio-read: {reg: QueueNumMax, value: 0x10, nth: 0}\n"
               "steps:\n"
               "  - get_display_info\n"
               "  - resource_create_2d: {id: 3, format: R8G8B8A8, width: 32, height: 16}\n"
               "  - attach_backing: {id: 3}\n"
               "  - set_scanout: {id: 3, scanout: 0, rect: {x: 1, y: 2, width: 30, height: 10}}\n"
               "  - draw: {id: 3, pattern: black}\n"
               "  - transfer_to_host_2d: {id: 3, offset: 128}\n"
               "  - resource_flush\n"
               "  - poke_pixel: {x: 5, y: 6, color: 0xff0000}\n"
               "  - resource_create_2d: {format: 999}\n"
               "expect:\n"
               "  outcome: violation\n"
               "  violations: [split.align, split.desc.zero-length]\n"
               "  cause: device-broken\n"
               "  display:\n"
               "    active: false\n"
               "    sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
               "    pattern: bars\n");
    struct scenario *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    char err[512] = "";
    if (scenario_load(path, s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(s->name, "full_one-2");
    assert_string_equal(s->description, "All the sections");
    assert_int_equal(s->transport_version, 1);
    assert_int_equal(s->display_width, 640);
    assert_int_equal(s->display_height, 480);
    assert_int_equal(s->latency_ns, 25000);
    assert_int_equal(s->ram_base, 0x80000000ull);
    assert_int_equal(s->ram_size, 0x2000000ull);
    assert_int_equal(s->mmio_base, 0x0a000000);
    assert_int_equal(s->queue_size, 64);
    assert_int_equal(s->queue_align, 4);
    assert_int_equal(s->timeout_ns, 50000000ull);
    assert_int_equal(s->place[VHAL_DMA_RING], 0x80100000ull);
    assert_int_equal(s->place[VHAL_DMA_BUFFER], 0x80200000ull);
    assert_int_equal(s->place[VHAL_DMA_FRAMEBUFFER], 0);

    assert_int_equal(s->faults.n, 3);
    assert_int_equal(s->faults.f[0].kind, FAULT_DROP_MMIO_WRITE);
    assert_int_equal(s->faults.f[0].reg, VIRTIO_MMIO_QUEUE_READY);
    assert_int_equal(s->faults.f[0].nth, 1);
    assert_int_equal(s->faults.f[1].kind, FAULT_REWRITE_RING_STORE);
    assert_string_equal(s->faults.f[1].field, "avail.idx");
    assert_int_equal(s->faults.f[1].value, 7);
    assert_int_equal(s->faults.f[1].nth, 2);
    assert_int_equal(s->faults.f[1].queue, 1);
    assert_int_equal(s->faults.f[2].kind, FAULT_REWRITE_MMIO_READ);
    assert_int_equal(s->faults.f[2].reg, VIRTIO_MMIO_QUEUE_NUM_MAX);
    assert_int_equal(s->faults.f[2].value, 16);
    assert_int_equal(s->faults.f[2].nth, 0);

    assert_int_equal(s->n_steps, 9);
    assert_int_equal(s->steps[0].kind, STEP_GET_DISPLAY_INFO);
    assert_int_equal(s->steps[1].kind, STEP_RESOURCE_CREATE_2D);
    assert_int_equal(s->steps[1].line, 21);
    assert_int_equal(s->steps[1].id, 3);
    assert_int_equal(s->steps[1].format, VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM);
    assert_int_equal(s->steps[1].width, 32);
    assert_int_equal(s->steps[1].height, 16);
    assert_int_equal(s->steps[2].kind, STEP_ATTACH_BACKING);
    assert_int_equal(s->steps[2].id, 3);
    assert_int_equal(s->steps[3].kind, STEP_SET_SCANOUT);
    assert_true(s->steps[3].rect.set);
    assert_int_equal(s->steps[3].rect.x, 1);
    assert_int_equal(s->steps[3].rect.y, 2);
    assert_int_equal(s->steps[3].rect.width, 30);
    assert_int_equal(s->steps[3].rect.height, 10);
    assert_int_equal(s->steps[4].kind, STEP_DRAW);
    assert_string_equal(s->steps[4].pattern, "black");
    assert_int_equal(s->steps[5].kind, STEP_TRANSFER_TO_HOST_2D);
    assert_true(s->steps[5].has_offset);
    assert_int_equal(s->steps[5].offset, 128);
    assert_false(s->steps[5].rect.set);
    assert_int_equal(s->steps[6].kind, STEP_RESOURCE_FLUSH);
    assert_int_equal(s->steps[6].id, 1); /* default */
    assert_false(s->steps[6].has_offset);
    assert_int_equal(s->steps[7].kind, STEP_POKE_PIXEL);
    assert_int_equal(s->steps[7].x, 5);
    assert_int_equal(s->steps[7].y, 6);
    assert_int_equal(s->steps[7].color, 0xff0000);
    assert_int_equal(s->steps[8].format, 999); /* raw numbers test bad formats */
    assert_int_equal(s->steps[8].id, 1);

    assert_string_equal(s->expect_outcome, "violation");
    assert_int_equal(s->n_expect_violations, 2);
    assert_string_equal(s->expect_violations[0], "split.align");
    assert_string_equal(s->expect_violations[1], "split.desc.zero-length");
    assert_string_equal(s->expect_cause, "device-broken");
    assert_int_equal(s->n_displays, 1);
    assert_int_equal(s->displays[0].scanout, 0);
    assert_true(s->displays[0].active_set);
    assert_false(s->displays[0].active);
    assert_string_equal(s->displays[0].sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(s->displays[0].pattern, "bars");
    scenario_free(s);
    free(s);
}

/* ---- the errors the brief names ---------------------------------------------------------------- */

#define HEAD "name: t\ndevice: {transport: modern}\n"
#define STEPS "steps: [get_display_info]\n"

static void test_unknown_key(void **state)
{
    (void)state;
    /* The list of expected keys grows with the format: check its start, not all of it. */
    expect_error_at("name: t\n"
                    "device:\n"
                    "  transport: modern\n"
                    "  colour: red\n" STEPS "expect: {outcome: ok}\n",
                    4, 3, "unknown key 'colour' in device (expected one of: transport, profile, ");
    expect_error_at(HEAD STEPS "expect: {outcome: ok}\nextra: 1\n", 5, 1,
                    "unknown key 'extra' in the scenario");
    expect_error_at(HEAD STEPS "expect: {outcome: ok, verdict: pass}\n", 4, 23,
                    "unknown key 'verdict' in expect");
    expect_error_at(HEAD "steps:\n  - set_scanout: {id: 1, rekt: {width: 1, height: 1}}\n"
                         "expect: {outcome: ok}\n",
                    4, 26, "unknown key 'rekt' in set_scanout");
}

static void test_unknown_step(void **state)
{
    (void)state;
    expect_error_at(HEAD "steps:\n  - get_display_info\n  - frobnicate: {id: 1}\n"
                         "expect: {outcome: ok}\n",
                    5, 5, "unknown step 'frobnicate'");
    expect_error_at(HEAD "steps:\n  - frobnicate\nexpect: {outcome: ok}\n", 4, 5,
                    "unknown step 'frobnicate' (expected one of: get_display_info, "
                    "resource_create_2d");
}

static void test_bad_transport(void **state)
{
    (void)state;
    expect_error("name: t\ndevice:\n  transport: pci\n" STEPS "expect: {outcome: ok}\n",
                 "3:14: 'transport' must be one of: legacy, modern");
    expect_error_at("name: t\ndevice: {display: {width: 64, height: 48}}\n" STEPS
                    "expect: {outcome: ok}\n",
                    2, 9, "needs 'transport: modern' or 'transport: legacy'");
    expect_error_at("name: t\ndevice: {transport: [modern]}\n" STEPS "expect: {outcome: ok}\n",
                    2, 21, "'transport' must be one of");
}

static void test_missing_expect(void **state)
{
    (void)state;
    expect_error(HEAD STEPS,
                 "1:1: the scenario needs an 'expect' section: a test that does not check the "
                 "outcome checks nothing");
}

static void test_unknown_rule_id(void **state)
{
    (void)state;
    expect_error(HEAD STEPS "expect:\n  outcome: violation\n  violations: [split.align, split.nope]\n",
                 "6:29: unknown rule id 'split.nope' (see `vqsim rules`)");
    expect_error_at(HEAD STEPS "expect:\n  outcome: violation\n  violations: split.align\n", 6, 15,
                    "'violations' must be a list of rule ids");
}

static void test_bad_sha256(void **state)
{
    (void)state;
    /* upper case */
    expect_error(HEAD STEPS "expect:\n  display:\n    sha256: "
                 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n",
                 "6:13: 'sha256' must be 64 lower-case hex digits");
    /* 63 digits */
    expect_error_at(HEAD STEPS "expect:\n  display:\n    sha256: "
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n",
                    6, 13, "'sha256' must be 64 lower-case hex digits");
    /* not hex */
    expect_error_at(HEAD STEPS "expect:\n  display:\n    sha256: "
                    "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
                    6, 13, "'sha256' must be 64 lower-case hex digits");
    /* a list */
    expect_error_at(HEAD STEPS "expect:\n  display:\n    sha256: [a]\n", 6, 13,
                    "'sha256' must be 64 lower-case hex digits");
}

/* §2.6: a split ring's queue_size is a power of two (the driver refuses any other, vq_create);
 * said at load with its position. A packed ring (§2.7.10.1) takes any size. */
static void test_split_queue_size_power_of_two(void **state)
{
    (void)state;
    expect_error(HEAD "driver:\n  queue_size: 12\n" STEPS "expect: {outcome: ok}\n",
                 "4:15: queue_size 12 is not a power of two, which a split ring's size must be "
                 "(§2.6); a packed ring (device ring: packed) takes any size");
    static const unsigned ok[] = {1, 2, 256, 32768};
    for (size_t i = 0; i < 4 + 1; i++) { /* the powers of two split, and 12 packed */
        char path[256], text[256];
        snprintf(text, sizeof(text),
                 "name: t\ndevice: {transport: modern%s}\ndriver:\n  queue_size: %u\n"
                 STEPS "expect: {outcome: ok}\n", i < 4 ? "" : ", ring: packed",
                 i < 4 ? ok[i] : 12u);
        write_text(path, text);
        struct scenario *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        char err[512] = "";
        if (scenario_load(path, s, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        assert_int_equal(s->queue_size, i < 4 ? ok[i] : 12u);
        scenario_free(s);
        free(s);
    }
}

static void test_number_out_of_range(void **state)
{
    (void)state;
    expect_error(HEAD "driver:\n  queue_size: 40000\n" STEPS "expect: {outcome: ok}\n",
                 "4:15: 'queue_size' is 40000, outside 1..32768");
    expect_error_at(HEAD "driver:\n  queue_size: 0\n" STEPS "expect: {outcome: ok}\n", 4, 15,
                    "'queue_size' is 0, outside 1..32768");
    expect_error_at(HEAD "driver:\n  queue_size: 99999999999999999999\n" STEPS
                    "expect: {outcome: ok}\n",
                    4, 15, "'queue_size' must be a number");
    expect_error_at(HEAD "driver:\n  queue_size: -1\n" STEPS "expect: {outcome: ok}\n", 4, 15,
                    "'queue_size' must be a number");
    expect_error_at("name: t\ndevice: {transport: modern, display: {width: 8, height: 48}}\n" STEPS
                    "expect: {outcome: ok}\n",
                    2, 46, "'width' is 8, outside 16..8192");
    expect_error_at("name: t\ndevice: {transport: modern, latency_us: 60000001}\n" STEPS
                    "expect: {outcome: ok}\n",
                    2, 41, "'latency_us' is 60000001, outside 0..60000000");
    expect_error_at(HEAD "steps:\n  - poke_pixel: {x: 1, y: 1, color: 0x1000000}\n"
                         "expect: {outcome: ok}\n",
                    4, 37, "'color' is 16777216, outside 0..16777215");
    expect_error_at(HEAD "bugs:\n  - rewrite-ring-store: {field: avail.idx, value: 1, queue: 3}\n"
                    STEPS "expect: {outcome: ok}\n",
                    4, 61, "'queue' is 3, outside 0..2");
}

static void test_nonexistent_file(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s/does-not-exist.yaml", tmpdir);
    struct scenario s;
    char err[512] = "";
    assert_int_equal(scenario_load(path, &s, err, sizeof(err)), -1);
    scenario_free(&s);
    char want[400];
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);
}

static void test_empty_file(void **state)
{
    (void)state;
    expect_error("", "1:1: empty document");
    expect_error("# nothing here\n\n", "1:1: empty document");
}

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    char path[256];
    const char *err = load_error("name: t\ndevice: {transport: modern\nsteps: []\n", path);
    int line = 0, col = 0, n = 0;
    assert_int_equal(sscanf(err + strlen(path), ":%d:%d: %n", &line, &col, &n), 2);
    assert_true(line >= 2 && line <= 4);
    assert_true(col >= 1);
    assert_true(n > 0 && err[strlen(path) + (size_t)n] != 0); /* a message follows */
    assert_non_null(strstr(err, "expected"));
    /* tab indentation */
    err = load_error("name: t\ndevice:\n\ttransport: modern\n", path);
    assert_int_equal(sscanf(err + strlen(path), ":%d:%d:", &line, &col), 2);
    assert_int_equal(line, 3);
    /* duplicate key and alias, through the loader */
    expect_error("name: t\nname: u\n", "2:1: duplicate key 'name'");
    expect_error("name: &n t\ndescription: *n\n", "2:14: aliases are not supported in vqsim files");
}

/* ---- everything else is an error with a position, never a crash ---------------------------- */

static void test_malformed_never_crash(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *contains;
    } cases[] = {
        {"just a string\n", "the scenario must be a mapping"},
        {"- a\n- b\n", "the scenario must be a mapping"},
        {"42\n", "must be a mapping"},
        {"device: {transport: modern}\n" STEPS "expect: {outcome: ok}\n", "needs a 'name'"},
        {"name: ''\ndevice: {transport: modern}\n" STEPS "expect: {outcome: ok}\n",
         "needs a 'name'"},
        {"name: [x]\ndevice: {transport: modern}\n" STEPS "expect: {outcome: ok}\n",
         "'name' must be a string"},
        {"name: Big Name\ndevice: {transport: modern}\n" STEPS "expect: {outcome: ok}\n",
         "may hold only a-z"},
        {"name: ../x\ndevice: {transport: modern}\n" STEPS "expect: {outcome: ok}\n",
         "may hold only a-z"},
        {"name: t\n" STEPS "expect: {outcome: ok}\n", "needs a 'device' section"},
        {"name: t\ndevice:\n" STEPS "expect: {outcome: ok}\n", "device must be a mapping"},
        {"name: t\ndevice: [modern]\n" STEPS "expect: {outcome: ok}\n", "device must be a mapping"},
        {"name: t\ndevice: {transport: modern, profile: kvm}\n" STEPS "expect: {outcome: ok}\n",
         "'profile' must be one of: qemu, strict"},
        {"name: t\ndevice: {transport: modern, display: 640x480}\n" STEPS "expect: {outcome: ok}\n",
         "device.display must be a mapping"},
        {"name: t\ndevice: {transport: modern, ram: {base: 0x40000001}}\n" STEPS
         "expect: {outcome: ok}\n", "multiples of 4096"},
        {"name: t\ndevice: {transport: modern, ram: {size: 0x1000}}\n" STEPS
         "expect: {outcome: ok}\n", "'size' is 4096, outside"},
        {"name: t\ndevice: {transport: modern, mmio_base: 0x40000000}\n" STEPS
         "expect: {outcome: ok}\n", "overlaps guest RAM"},
        {"name: t\ndevice: {transport: modern, mmio_base: 0x3ffffe01}\n" STEPS
         "expect: {outcome: ok}\n", "4-byte aligned"},
        {"name: t\ndevice: {transport: modern, mmio_base: 0x100000000}\n" STEPS
         "expect: {outcome: ok}\n", "'mmio_base' is 4294967296"},
        {HEAD "driver: {queue_align: 3}\n" STEPS "expect: {outcome: ok}\n", "power of two"},
        {HEAD "driver: {layout: ring}\n" STEPS "expect: {outcome: ok}\n",
         "'layout' must be one of: separate, packed"},
        {"name: t\ndevice: {transport: legacy}\ndriver: {layout: packed}\n" STEPS
         "expect: {outcome: ok}\n", "'layout' applies to modern devices"},
        {HEAD "driver: {timeout_ms: 0}\n" STEPS "expect: {outcome: ok}\n", "'timeout_ms' is 0"},
        {HEAD "driver: {place: {stack: 1}}\n" STEPS "expect: {outcome: ok}\n",
         "unknown key 'stack' in driver.place"},
        {HEAD "driver: 16\n" STEPS "expect: {outcome: ok}\n", "driver must be a mapping"},
        {HEAD "bugs: {a: 1}\n" STEPS "expect: {outcome: ok}\n", "'bugs' must be a list"},
        {HEAD "bugs: [drop-mmio-write]\n" STEPS "expect: {outcome: ok}\n", "one-key mapping"},
        {HEAD "bugs:\n  - {drop-mmio-write: {reg: Status}, rewrite-mmio-read: {reg: Status}}\n"
         STEPS "expect: {outcome: ok}\n", "one-key mapping"},
        {HEAD "bugs:\n  - flip-bits: {reg: Status}\n" STEPS "expect: {outcome: ok}\n",
         "unknown bug 'flip-bits'"},
        {HEAD "bugs:\n  - drop-mmio-write: {reg: Bogus}\n" STEPS "expect: {outcome: ok}\n",
         "unknown register 'Bogus'"},
        {HEAD "bugs:\n  - drop-mmio-write: {}\n" STEPS "expect: {outcome: ok}\n", "needs 'reg'"},
        {HEAD "bugs:\n  - drop-mmio-write:\n" STEPS "expect: {outcome: ok}\n",
         "must be a mapping"},
        {HEAD "bugs:\n  - drop-mmio-write: {reg: [Status]}\n" STEPS "expect: {outcome: ok}\n",
         "'reg' must be a string"},
        {HEAD "bugs:\n  - drop-mmio-write: {reg: Status, value: 1}\n" STEPS
         "expect: {outcome: ok}\n", "unknown key 'value'"},
        {HEAD "bugs:\n  - rewrite-mmio-write: {reg: Status}\n" STEPS "expect: {outcome: ok}\n",
         "needs 'value'"},
        {HEAD "bugs:\n  - rewrite-mmio-write: {reg: Status, value: 0x100000000}\n" STEPS
         "expect: {outcome: ok}\n", "'value' is 4294967296"},
        {HEAD "bugs:\n  - rewrite-ring-store: {field: used.idx, value: 1}\n" STEPS
         "expect: {outcome: ok}\n", "'field' must be one of: desc.addr"},
        {HEAD "bugs:\n  - rewrite-ring-store: {field: avail.idx}\n" STEPS
         "expect: {outcome: ok}\n", "needs 'field' and 'value'"},
        {HEAD "expect: {outcome: ok}\n", "needs a non-empty 'steps' list"},
        {HEAD "steps: []\nexpect: {outcome: ok}\n", "needs a non-empty 'steps' list"},
        {HEAD "steps: get_display_info\nexpect: {outcome: ok}\n", "needs a non-empty 'steps'"},
        {HEAD "steps: [[get_display_info]]\nexpect: {outcome: ok}\n", "a step is a name"},
        {HEAD "steps: [{draw: {}, set_scanout: {}}]\nexpect: {outcome: ok}\n", "a step is a name"},
        {HEAD "steps: [{draw: [1]}]\nexpect: {outcome: ok}\n", "draw must be a mapping"},
        {HEAD "steps: [{get_display_info: {id: 1}}]\nexpect: {outcome: ok}\n",
         "unknown key 'id' in get_display_info"},
        {HEAD "steps: [poke_pixel]\nexpect: {outcome: ok}\n", "poke_pixel needs x, y and color"},
        {HEAD "steps: [{poke_pixel: {x: 1, y: 1}}]\nexpect: {outcome: ok}\n",
         "poke_pixel needs x, y and color"},
        {HEAD "steps: [{resource_create_2d: {format: RGB565}}]\nexpect: {outcome: ok}\n",
         "unknown format"},
        {HEAD "steps: [{resource_create_2d: {format: 0x100000000}}]\nexpect: {outcome: ok}\n",
         "unknown format"},
        {HEAD "steps: [{resource_create_2d: {width: 0}}]\nexpect: {outcome: ok}\n",
         "'width' is 0, outside 1..16384"},
        {HEAD "steps: [{draw: {pattern: plaid}}]\nexpect: {outcome: ok}\n", "unknown pattern"},
        {HEAD "steps: [{set_scanout: {rect: {x: 1}}}]\nexpect: {outcome: ok}\n",
         "rect needs width and height"},
        {HEAD "steps: [{set_scanout: {rect: 5}}]\nexpect: {outcome: ok}\n",
         "rect must be a mapping"},
        {HEAD "steps: [{set_scanout: {scanout: 16}}]\nexpect: {outcome: ok}\n",
         "'scanout' is 16, outside 0..15"},
        {HEAD STEPS "expect:\n", "expect must be a mapping"},
        {HEAD STEPS "expect: ok\n", "expect must be a mapping"},
        {HEAD STEPS "expect: {outcome: fine}\n",
         "'outcome' must be one of: ok, timeout, violation, device-error, driver-error"},
        {HEAD STEPS "expect: {violations: [[split.align]]}\n", "a rule id must be a string"},
        {HEAD STEPS "expect: {cause: gremlins}\n", "'cause' must be one of: pci-memory-decoding-off, pci-notify-wrong-offset, pci-msix-no-vector, reinit-without-reset"},
        {HEAD STEPS "expect: {display: {active: maybe}}\n", "'active' must be true or false"},
        {HEAD STEPS "expect: {display: {pattern: plaid}}\n", "unknown pattern"},
        {HEAD STEPS "expect: {display: {colour: red}}\n", "unknown key 'colour' in expect.display"},
        {HEAD STEPS "expect: {display: true}\n", "expect.display must be a mapping"},
        {"? [a]\n: b\n", "mapping keys must be scalars"},
        {"name: t\n---\nname: u\n", "only one YAML document per file"},
        {"name: \"unterminated\n", ""},
        {"{{{{\n", ""},
        {"]\n", ""},
        {"name: t\n  device: x\n", ""},
    };
    /* fail_msg is CMocka's assert_ with a message: each case fails the test on a bad error. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[256];
        const char *err = load_error(cases[i].text, path);
        int line = 0, col = 0, n = 0;
        if (sscanf(err + strlen(path), ":%d:%d: %n", &line, &col, &n) != 2 || n == 0 ||
            line < 1 || col < 1)
            fail_msg("case %zu: error '%s' has no file:line:col prefix", i, err);
        if (!strstr(err, cases[i].contains))
            fail_msg("case %zu: error '%s' does not contain '%s'", i, err, cases[i].contains);
        if (!err[strlen(path) + (size_t)n])
            fail_msg("case %zu: error '%s' has no message", i, err);
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* 64 steps load; 65 do not */
    size_t cap = 4096;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int steps = 64; steps <= 65; steps++) {
        int len = snprintf(text, cap, HEAD "steps:\n");
        for (int i = 0; i < steps; i++)
            len += snprintf(text + len, cap - (size_t)len, "  - get_display_info\n");
        snprintf(text + len, cap - (size_t)len, "expect: {outcome: ok}\n");
        char path[256];
        write_text(path, text);
        struct scenario *s = calloc(1, sizeof(*s));
        char err[512] = "";
        int rc = scenario_load(path, s, err, sizeof(err));
        if (steps == 64) {
            assert_int_equal(rc, 0);
            assert_int_equal(s->n_steps, 64);
            assert_int_equal(s->steps[63].line, 4 + 63);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, ":4:3: at most 64 steps"));
        }
        scenario_free(s);
        free(s);
    }
    /* 16 bugs load; 17 do not */
    for (int bugs = 16; bugs <= 17; bugs++) {
        int len = snprintf(text, cap, HEAD "bugs:\n");
        for (int i = 0; i < bugs; i++)
            len += snprintf(text + len, cap - (size_t)len, "  - drop-mmio-write: {reg: Status, nth: %d}\n",
                            i + 1);
        snprintf(text + len, cap - (size_t)len, STEPS "expect: {outcome: ok}\n");
        char path[256];
        write_text(path, text);
        struct scenario *s = calloc(1, sizeof(*s));
        char err[512] = "";
        int rc = scenario_load(path, s, err, sizeof(err));
        if (bugs == 16) {
            assert_int_equal(rc, 0);
            assert_int_equal(s->faults.n, 16);
            assert_int_equal(s->faults.f[15].nth, 16);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "at most 16 bugs"));
        }
        scenario_free(s);
        free(s);
    }
    /* 16 expected violations load; 17 do not */
    for (int nv = 16; nv <= 17; nv++) {
        int len = snprintf(text, cap, HEAD STEPS "expect:\n  violations:\n");
        for (int i = 0; i < nv; i++)
            len += snprintf(text + len, cap - (size_t)len, "    - split.align\n");
        char path[256];
        write_text(path, text);
        struct scenario *s = calloc(1, sizeof(*s));
        char err[512] = "";
        int rc = scenario_load(path, s, err, sizeof(err));
        if (nv == 16) {
            assert_int_equal(rc, 0);
            assert_int_equal(s->n_expect_violations, 16);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, ":22:7: too many expected violations"));
        }
        scenario_free(s); /* frees the ids copied before the error */
        free(s);
    }
    free(text);
}

static void test_odd_files(void **state)
{
    (void)state;
    struct scenario s;
    char err[512];
    char path[256];
    /* a directory */
    snprintf(path, sizeof(path), "%s/adir", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    memset(err, 0, sizeof(err));
    assert_int_equal(scenario_load(path, &s, err, sizeof(err)), -1);
    scenario_free(&s);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_true(strlen(err) > strlen(path) + 2);
    /* binary garbage, with NUL bytes */
    static const unsigned char junk[] = {0x00, 0xff, 0xfe, 'n', 'a', 0x00, 0x01, '\n', 0x80};
    write_bytes(path, junk, sizeof(junk));
    memset(err, 0, sizeof(err));
    assert_int_equal(scenario_load(path, &s, err, sizeof(err)), -1);
    scenario_free(&s);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_true(strlen(err) > strlen(path) + 2);
    /* larger than 1 MiB */
    size_t big = (1u << 20) + 10;
    char *b = malloc(big);
    assert_non_null(b);
    memset(b, '#', big);
    write_bytes(path, b, big);
    free(b);
    memset(err, 0, sizeof(err));
    assert_int_equal(scenario_load(path, &s, err, sizeof(err)), -1);
    scenario_free(&s);
    assert_non_null(strstr(err, "larger than 1 MiB"));
    /* a tiny error buffer truncates, never overflows */
    char tiny[8];
    memset(tiny, 'Z', sizeof(tiny));
    write_text(path, "name: t\n");
    assert_int_equal(scenario_load(path, &s, tiny, 5), -1);
    scenario_free(&s);
    assert_int_equal(strlen(tiny), 4);
    assert_int_equal(tiny[5], 'Z');
}

static void test_outcome_and_step_names(void **state)
{
    (void)state;
    assert_true(outcome_valid("ok"));
    assert_true(outcome_valid("driver-error"));
    assert_false(outcome_valid("OK"));
    assert_false(outcome_valid(""));
    assert_string_equal(step_name(STEP_GET_DISPLAY_INFO), "get_display_info");
    assert_string_equal(step_name(STEP_POKE_PIXEL), "poke_pixel");
    assert_string_equal(step_name(STEP_TRANSFER_TO_HOST_2D), "transfer_to_host_2d");
}

/* scenario_parse_buffer (the fuzz target's entry): same result as loading the file, errors
 * named after the given name, text without a trailing NUL, and the 1 MiB limit. */
static void test_parse_buffer(void **state)
{
    (void)state;
    static const char text[] = "name: buf\n"
                               "device: {transport: legacy}\n"
                               "steps: [get_display_info, {resource_create_2d: {id: 3}}]\n"
                               "expect: {outcome: timeout, cause: no-notify}\n";
    struct scenario *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    char err[512] = "";
    /* not NUL-terminated: a copy without the terminator, exactly as long as the text */
    char *copy = malloc(sizeof(text) - 1);
    assert_non_null(copy);
    memcpy(copy, text, sizeof(text) - 1);
    if (scenario_parse_buffer("mem.yaml", copy, sizeof(text) - 1, s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    free(copy);
    assert_string_equal(s->file, "mem.yaml");
    assert_string_equal(s->name, "buf");
    assert_int_equal(s->transport_version, 1);
    assert_int_equal(s->n_steps, 2);
    assert_int_equal(s->steps[1].kind, STEP_RESOURCE_CREATE_2D);
    assert_int_equal(s->steps[1].id, 3);
    assert_string_equal(s->expect_outcome, "timeout");
    assert_string_equal(s->expect_cause, "no-notify");
    scenario_free(s);

    err[0] = 0;
    assert_int_equal(scenario_parse_buffer("mem.yaml", "name: x\ndevice: {transport: pci}\n", 33, s,
                                           err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:2:21: 'transport' must be one of: legacy, modern");
    scenario_free(s);

    size_t big = (1u << 20) + 1;
    char *huge = calloc(1, big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    assert_int_equal(scenario_parse_buffer("big.yaml", huge, big, s, err, sizeof(err)), -1);
    assert_string_equal(err, "big.yaml: larger than 1 MiB; not a scenario");
    scenario_free(s);
    free(huge);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_step),
        cmocka_unit_test(test_bad_transport),
        cmocka_unit_test(test_missing_expect),
        cmocka_unit_test(test_unknown_rule_id),
        cmocka_unit_test(test_bad_sha256),
        cmocka_unit_test(test_number_out_of_range),
        cmocka_unit_test(test_split_queue_size_power_of_two),
        cmocka_unit_test(test_nonexistent_file),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_malformed_never_crash),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_odd_files),
        cmocka_unit_test(test_outcome_and_step_names),
        cmocka_unit_test(test_parse_buffer),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
