/* test_api.c — the public library API (include/vqsim/vqsim.h) driven by the example driver
 * (examples/hobby-gpu/hobby_gpu.c, compiled in). Built twice: as shipped (silent: outcome ok,
 * no rule, the picture on the display) and with -DHOBBY_BUG_NO_WMB (the rule fires, and in
 * weak-memory mode the run times out with the barrier named as the underlying cause). Plus the
 * API's error values: nothing aborts on bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <vqsim/vqsim.h>

#include "../../examples/hobby-gpu/hobby_gpu.h"
#include "util/sha256.h"

static struct vqsim_machine *open_small(bool weak)
{
    struct vqsim_config cfg = {.size = sizeof(cfg), .name = "api-test", .display_width = 64,
                               .display_height = 48, .weak_memory = weak};
    char err[256] = "";
    struct vqsim_machine *m = vqsim_open_config(&cfg, err, sizeof(err));
    assert_non_null(m);
    assert_string_equal(err, "");
    return m;
}

/* The example's picture as the display shows it (RGB): R = x ^ y, G = y, B = x. */
static void expected_sha(uint32_t w, uint32_t h, char out[65])
{
    struct sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t px[3] = {(uint8_t)(x ^ y), (uint8_t)y, (uint8_t)x};
            sha256_update(&s, px, 3);
        }
    sha256_final(&s, d);
    sha256_hex(d, out);
}

static void test_strong_memory(void **state)
{
    (void)state;
    struct vqsim_machine *m = open_small(false);
    void *host = (void *)1;
    uint64_t gpa = 0, size = 0;
    assert_int_equal(vqsim_guest_ram(m, &host, &gpa, &size), VQSIM_OK);
    assert_null(host); /* not built before the run */
    assert_int_equal(gpa, 0x40000000u);
    assert_int_equal(size, 256u << 20);
    assert_int_equal(vqsim_mmio_base(m), 0x0a003e00u);
    assert_null(vqsim_outcome(m));
    struct hobby_result res = {0};
    assert_int_equal(vqsim_run(m, hobby_gpu_main, &res, 0), VQSIM_OK);
    assert_int_equal(res.width, 64);
    assert_int_equal(res.height, 48);
    assert_int_equal(vqsim_guest_ram(m, &host, NULL, NULL), VQSIM_OK);
    assert_non_null(host);
    char want[65];
    expected_sha(64, 48, want);
    assert_string_equal(vqsim_display_sha256(m), want);
    assert_int_equal(vqsim_cause_count(m), 0);
#ifdef HOBBY_BUG_NO_WMB
    assert_string_equal(vqsim_outcome(m), "violation");
    assert_false(vqsim_clean(m));
    assert_int_equal(vqsim_driver_rc(m), VQSIM_DRIVER_OK); /* works by luck on strong memory */
    assert_int_equal(vqsim_violation_count(m), 1);
    assert_string_equal(vqsim_violation_rule(m, 0), "split.avail.idx-barrier");
#else
    assert_string_equal(vqsim_outcome(m), "ok");
    assert_true(vqsim_clean(m));
    assert_int_equal(vqsim_driver_rc(m), VQSIM_DRIVER_OK);
    assert_int_equal(vqsim_violation_count(m), 0);
#endif
    assert_null(vqsim_violation_rule(m, 5));
    assert_int_equal(vqsim_run(m, hobby_gpu_main, NULL, 0), VQSIM_E_STATE); /* once per machine */
    vqsim_close(m);
}

static void test_weak_memory(void **state)
{
    (void)state;
    struct vqsim_machine *m = open_small(true);
    assert_int_equal(vqsim_run(m, hobby_gpu_main, NULL, 0), VQSIM_OK);
#ifdef HOBBY_BUG_NO_WMB
    /* the device read the ring before the entry landed: a zero-length descriptor broke it */
    assert_string_equal(vqsim_outcome(m), "timeout");
    assert_int_equal(vqsim_driver_rc(m), VQSIM_DRIVER_TIMEOUT);
    assert_true(vqsim_cause_count(m) >= 1);
    assert_string_equal(vqsim_cause_id(m, 0), "device-broken");
    assert_string_equal(vqsim_violation_rule(m, 0), "split.avail.idx-barrier");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(vqsim_write_json(m, f), VQSIM_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"barrier_violation\": \"split.avail.idx-barrier"));
    assert_non_null(strstr(buf, "\"schema\": \"vqsim-results/1\""));
    assert_non_null(strstr(buf, "\"outcome\": \"timeout\""));
    free(buf);
#else
    assert_string_equal(vqsim_outcome(m), "ok");
    assert_int_equal(vqsim_violation_count(m), 0);
    assert_int_equal(vqsim_cause_count(m), 0);
#endif
    vqsim_close(m);
}

/* A driver that gives up at once: its return code becomes the step status and the outcome, and
 * a timeout is diagnosed (here: the device was never even set up). */
static int gives_up(const struct vqsim_platform *p, void *arg)
{
    assert_int_equal(p->api_version, VQSIM_API_VERSION);
    assert_int_equal(p->size, sizeof(*p));
    assert_int_equal(p->mmio_base, 0x0a003e00u);
    return *(int *)arg;
}

static void test_driver_rc(void **state)
{
    (void)state;
    static const struct { int rc; const char *outcome; } c[] = {
        {VQSIM_DRIVER_OK, "ok"}, {VQSIM_DRIVER_TIMEOUT, "timeout"},
        {VQSIM_DRIVER_DEVICE_ERROR, "device-error"}, {VQSIM_DRIVER_ERROR, "driver-error"},
        {-7, "driver-error"}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct vqsim_machine *m = open_small(false);
        int rc = c[i].rc;
        assert_int_equal(vqsim_run(m, gives_up, &rc, 0), VQSIM_OK);
        assert_string_equal(vqsim_outcome(m), c[i].outcome);
        assert_int_equal(vqsim_driver_rc(m), c[i].rc);
        if (c[i].rc == VQSIM_DRIVER_TIMEOUT)
            assert_true(vqsim_cause_count(m) >= 1); /* a timeout always gets a diagnosis */
        vqsim_close(m);
    }
}

/* A config's placement reaches the machine and the platform. */
static int read_magic(const struct vqsim_platform *p, void *arg)
{
    assert_int_equal(p->mmio_base, 0x10000000u);
    assert_int_equal(p->ram_base, 0x80000000u);
    assert_int_equal(p->ram_size, 32u << 20);
    uint64_t pa = 0;
    assert_non_null(p->dma_alloc(64, 64, VQSIM_DMA_BUFFER, &pa));
    assert_true(pa >= 0x80000000u && pa < 0x80000000u + (32u << 20));
    ((uint32_t *)arg)[0] = p->mmio_read32(p->mmio_base);        /* MagicValue */
    ((uint32_t *)arg)[1] = p->mmio_read32(p->mmio_base + 4);    /* Version */
    return VQSIM_DRIVER_OK;
}

static void test_config_placement(void **state)
{
    (void)state;
    struct vqsim_config cfg = {.size = sizeof(cfg), .transport_version = 1,
                               .mmio_base = 0x10000000u, .ram_base = 0x80000000u,
                               .ram_size = 32u << 20};
    char err[256] = "";
    struct vqsim_machine *m = vqsim_open_config(&cfg, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(vqsim_mmio_base(m), 0x10000000u);
    uint32_t regs[2] = {0, 0};
    assert_int_equal(vqsim_run(m, read_magic, regs, 0), VQSIM_OK);
    assert_int_equal(regs[0], 0x74726976u);
    assert_int_equal(regs[1], 1); /* legacy */
    assert_string_equal(vqsim_outcome(m), "ok");
    vqsim_close(m);
}

static void test_errors_are_values(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(vqsim_open_scenario("/nonexistent/x.yaml", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/x.yaml"));
    char path[] = "/tmp/vqsim-api-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char bad[] = "name: x\ndevice: {transport: modern, bogus: 1}\n";
    assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
    close(fd);
    assert_null(vqsim_open_scenario(path, err, sizeof(err)));
    char want[64];
    snprintf(want, sizeof(want), "%s:2:", path); /* file:line as vqsim run */
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "bogus"));
    unlink(path);
    assert_null(vqsim_open_scenario(NULL, err, sizeof(err)));
    assert_null(vqsim_open_config(NULL, err, sizeof(err)));
    struct vqsim_config cfg = {.size = sizeof(cfg), .display_width = 8};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err))); /* below the parser's 16 */
    assert_non_null(strstr(err, "width"));
    cfg = (struct vqsim_config){.size = 4};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err)));
    cfg = (struct vqsim_config){.size = sizeof(cfg), .name = "bad name: {"};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err)));
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    cfg = (struct vqsim_config){.size = sizeof(cfg), .name = long_name};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err)));
    assert_string_equal(err, "config name: 1 to 128 characters");
    cfg = (struct vqsim_config){.size = sizeof(cfg), .name = ""};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err)));
    cfg = (struct vqsim_config){.size = sizeof(cfg), .transport_version = 3};
    assert_null(vqsim_open_config(&cfg, err, sizeof(err)));
    /* NULL machine, not run yet */
    assert_int_equal(vqsim_run(NULL, gives_up, NULL, 0), VQSIM_E_INVALID);
    assert_null(vqsim_outcome(NULL));
    assert_int_equal(vqsim_violation_count(NULL), 0);
    assert_int_equal(vqsim_write_json(NULL, stdout), VQSIM_E_INVALID);
    struct vqsim_machine *m = open_small(false);
    assert_int_equal(vqsim_run(m, NULL, NULL, 0), VQSIM_E_INVALID);
    assert_int_equal(vqsim_write_json(m, stdout), VQSIM_E_STATE);
    assert_int_equal(vqsim_print_verdict(m, stdout, false), VQSIM_E_STATE);
    assert_int_equal(vqsim_write_json_path(m, "/tmp/x.json"), VQSIM_E_STATE);
    int rc = 0;
    assert_int_equal(vqsim_run(m, gives_up, &rc, 0), VQSIM_OK);
    assert_int_equal(vqsim_write_json_path(m, "/nonexistent/dir/x.json"), VQSIM_E_IO);
    vqsim_close(m);
    vqsim_close(NULL);
    assert_int_equal(vqsim_api_version(), VQSIM_API_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strong_memory),
        cmocka_unit_test(test_weak_memory),
        cmocka_unit_test(test_driver_rc),
        cmocka_unit_test(test_config_placement),
        cmocka_unit_test(test_errors_are_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
