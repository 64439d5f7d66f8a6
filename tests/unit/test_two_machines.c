/* test_two_machines.c — two machines in one process (harness/hal_sim.h: the HAL's machine is bound
 * per thread; the model has no global).
 *
 *   concurrent   two threads, each running the built-in driver through whole scenarios, over
 *                and over, against a machine of its own: a modern device with a 320x200 display
 *                and 40 GET_DISPLAY_INFO requests, a legacy one with a 200x150 display and 25.
 *                Every run of each must end as that scenario alone ends: outcome ok, no
 *                violation, exactly its own number of answered requests, its own display size
 *                and the `bars` pattern on it pixel for pixel.
 *   interleaved  one thread, two machines, two drivers: each driver call made with its own
 *                machine bound, alternating between them; each display ends filled with its
 *                own colour, each device answered exactly its own requests.
 *   library      two threads, each running vqsim_run (include/vqsim/vqsim.h) on a machine of
 *                its own, with the built-in driver linked to the library's vhal_*: each run
 *                clean, each display showing exactly its own colour at its own size (the
 *                display's SHA-256 against one computed here from the colour).
 * A HAL call reaching the other machine (a shared binding) would show as another machine's
 * requests, a timeout, a violation or another display's pixels (with the binding a plain global,
 * the concurrent case fails: a timeout, a double free, or a driver that never returns).
 */
#include <pthread.h>
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

#include "driver/gpu_fb.h"
#include "driver/virtio_gpu.h"
#include "model/devices/gpu_device.h"
#include "harness/hal_sim.h"
#include "harness/patterns.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "sim_fixture.h"
#include "util/sha256.h"

#define RUNS 6 /* runs per thread: enough for the two threads' runs to overlap many times */

static const char scenario_a[] =
    "name: two-a\n"
    "device: {transport: modern, display: {width: 320, height: 200}}\n"
    "steps:\n"
    "  - repeat: {count: 40, step: get_display_info}\n"
    "  - resource_create_2d: {id: 1}\n"
    "  - attach_backing: {id: 1}\n"
    "  - set_scanout: {scanout: 0, id: 1}\n"
    "  - draw: {id: 1, pattern: bars}\n"
    "  - transfer_to_host_2d: {id: 1}\n"
    "  - resource_flush: {id: 1}\n"
    "expect: {outcome: ok, violations: []}\n";

static const char scenario_b[] =
    "name: two-b\n"
    "device: {transport: legacy, display: {width: 200, height: 150}}\n"
    "driver: {queue_size: 16, queue_align: 4096}\n"
    "steps:\n"
    "  - repeat: {count: 25, step: get_display_info}\n"
    "  - resource_create_2d: {id: 7}\n"
    "  - attach_backing: {id: 7, entries: 3}\n"
    "  - set_scanout: {scanout: 0, id: 7}\n"
    "  - draw: {id: 7, pattern: bars}\n"
    "  - transfer_to_host_2d: {id: 7}\n"
    "  - resource_flush: {id: 7}\n"
    "expect: {outcome: ok, violations: []}\n";

/* What one run showed, taken while its machine still exists (asserted on the main thread). */
struct seen {
    int rc;
    bool passed;
    char outcome[32];
    uint32_t violations;
    uint16_t used_idx;        /* control queue: requests the device answered */
    uint32_t width, height;   /* scanout 0 */
    uint64_t wrong_pixels;    /* scanout 0 against the `bars` pattern at that size */
    bool composed;
};

/* Pixels of scanout 0 that differ from `bars` at the display's size. */
static uint64_t wrong_pixels(const struct machine *m, bool *composed)
{
    const struct gpu_scanout *so = &gpu_of(m)->scanouts[0];
    uint8_t *pic = gpu_display_compose(gpu_of(m), 0);
    uint32_t *row = malloc(so->width * sizeof(*row));
    *composed = pic && row;
    uint64_t bad = 0;
    for (uint32_t y = 0; *composed && y < so->height; y++) {
        pattern_row("bars", y, so->width, so->height, row);
        for (uint32_t x = 0; x < so->width; x++) {
            const uint8_t *p = pic + ((uint64_t)y * so->width + x) * 3;
            bad += ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) != row[x];
        }
    }
    free(row);
    free(pic);
    return bad;
}

static void run_and_look(const struct scenario *sc, struct seen *out)
{
    struct run_result *r = calloc(1, sizeof(*r));
    if (!r) {
        out->rc = -2;
        return;
    }
    out->rc = run_scenario(sc, NULL, r);
    out->passed = r->res.passed;
    snprintf(out->outcome, sizeof(out->outcome), "%s", r->res.outcome);
    out->violations = r->res.n_violations;
    out->used_idx = r->m.dev.q[0].used_idx;
    out->width = gpu_of(&r->m)->scanouts[0].width;
    out->height = gpu_of(&r->m)->scanouts[0].height;
    out->wrong_pixels = wrong_pixels(&r->m, &out->composed);
    run_result_free(r);
    free(r);
}

struct job {
    const struct scenario *sc;
    struct seen seen[RUNS];
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < RUNS; i++)
        run_and_look(j->sc, &j->seen[i]);
    return NULL;
}

static void parse(const char *text, struct scenario *sc)
{
    char err[512] = "";
    memset(sc, 0, sizeof(*sc));
    if (scenario_parse_buffer("two-machines", text, strlen(text), sc, err, sizeof(err)) != 0)
        fail_msg("scenario does not parse: %s", err);
}

static void assert_run(const struct seen *s, uint16_t used, uint32_t w, uint32_t h)
{
    assert_int_equal(s->rc, 0);
    assert_string_equal(s->outcome, "ok");
    assert_true(s->passed);
    assert_int_equal(s->violations, 0);
    /* requests: the repeated GET_DISPLAY_INFO, create, attach, set_scanout, transfer, flush */
    assert_int_equal(s->used_idx, used);
    assert_int_equal(s->width, w);
    assert_int_equal(s->height, h);
    assert_true(s->composed);
    assert_int_equal(s->wrong_pixels, 0);
}

static void test_two_threads_two_machines(void **state)
{
    (void)state;
    static struct scenario sa, sb; /* large: off the stack */
    parse(scenario_a, &sa);
    parse(scenario_b, &sb);
    static struct job ja, jb;
    ja.sc = &sa;
    jb.sc = &sb;
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, worker, &ja), 0);
    assert_int_equal(pthread_create(&tb, NULL, worker, &jb), 0);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    for (int i = 0; i < RUNS; i++) {
        assert_run(&ja.seen[i], 40 + 5, 320, 200);
        assert_run(&jb.seen[i], 25 + 5, 200, 150);
    }
    assert_null(hal_sim_bound()); /* the threads' bindings were theirs: this one never had one */
    scenario_free(&sa);
    scenario_free(&sb);
}

/* ---- one thread, two machines, alternating ---- */

struct side {
    struct machine m;
    struct vgpu g;
    struct gpu_fb fb;
    uint32_t colour;
};

static void side_init(struct side *s, uint32_t version, uint32_t w, uint32_t h, uint32_t colour)
{
    char err[256];
    struct machine_config cfg = fx_config(version);
    cfg.display_width = w;
    cfg.display_height = h;
    memset(s, 0, sizeof(*s));
    s->colour = colour;
    assert_int_equal(machine_init(&s->m, &cfg, rules_builtin(err, sizeof(err))), 0);
}

static const struct vgpu_config gpu_config = {
    .mmio_base = FX_MMIO_BASE, .queue_size = 16, .layout = VQ_LAYOUT_SEPARATE,
    .legacy_align = 4096, .timeout_ns = 1000000000ull, .wait = VGPU_WAIT_POLL};

/* One driver step on side s: bind its machine, make the call, check it succeeded. */
static void step(struct side *s, int n)
{
    hal_sim_bind(&s->m);
    int rc = VIRTIO_ERR_INVALID;
    struct virtio_gpu_resp_display_info info;
    switch (n) {
    case 0: rc = vgpu_init(&s->g, &gpu_config); break;
    case 1:
        rc = vgpu_get_display_info(&s->g, &info);
        /* the mode this machine's device reports, not the other's */
        assert_int_equal(info.pmodes[0].r.width, gpu_of(&s->m)->scanouts[0].width);
        assert_int_equal(info.pmodes[0].r.height, gpu_of(&s->m)->scanouts[0].height);
        break;
    case 2:
        rc = gpu_fb_set_mode(&s->fb, &s->g, 0, 1, gpu_of(&s->m)->scanouts[0].width,
                             gpu_of(&s->m)->scanouts[0].height);
        break;
    case 3:
        gpu_fb_fill_rect(&s->fb, 0, 0, s->fb.width, s->fb.height, s->colour);
        rc = gpu_fb_present(&s->fb);
        break;
    }
    hal_sim_unbind();
    assert_int_equal(rc, VIRTIO_OK);
}

/* Every pixel of scanout 0 is s's colour. */
static void assert_filled(const struct side *s, uint32_t w, uint32_t h)
{
    const struct gpu_scanout *so = &gpu_of(&s->m)->scanouts[0];
    assert_int_equal(so->state, SCANOUT_ACTIVE);
    assert_int_equal(so->width, w);
    assert_int_equal(so->height, h);
    uint8_t *pic = gpu_display_compose(gpu_of(&s->m), 0);
    assert_non_null(pic);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < (uint64_t)w * h; i++)
        bad += ((uint32_t)pic[3 * i] << 16 | (uint32_t)pic[3 * i + 1] << 8 | pic[3 * i + 2]) !=
               s->colour;
    free(pic);
    assert_int_equal(bad, 0);
}

static void test_one_thread_interleaved(void **state)
{
    (void)state;
    static struct side a, b;
    side_init(&a, 2, 96, 64, 0x2040ff);
    side_init(&b, 1, 48, 80, 0xff8000);
    for (int n = 0; n < 4; n++) { /* a's step n, then b's step n */
        step(&a, n);
        step(&b, n);
    }
    step(&b, 1); /* and b once more on its own */
    assert_null(hal_sim_bound());
    assert_filled(&a, 96, 64);
    assert_filled(&b, 48, 80);
    /* a: display info, set_mode (create, attach, set_scanout), present (transfer, flush) */
    assert_int_equal(a.m.dev.q[0].used_idx, 6);
    assert_int_equal(b.m.dev.q[0].used_idx, 7);
    assert_int_equal(a.m.n_violations, 0);
    assert_int_equal(b.m.n_violations, 0);
    assert_int_equal(a.m.dev.version, 2);
    assert_int_equal(b.m.dev.version, 1);
    machine_destroy(&a.m);
    machine_destroy(&b.m);
}

/* ---- through the library, two threads ---- */

struct lib_job {
    uint32_t version, width, height, colour;
    struct {
        int rc;
        char outcome[32];
        size_t violations;
        char sha256[65];
        uint32_t info_w, info_h; /* the mode GET_DISPLAY_INFO reported to the driver */
    } seen[RUNS];
    int run;
};

/* The built-in driver as a library user's driver: vgpu_* over the library's vhal_*, its whole
 * state on this thread's stack. */
static int builtin_entry(const struct vqsim_platform *p, void *arg)
{
    struct lib_job *j = arg;
    struct vgpu g;
    struct gpu_fb fb;
    struct virtio_gpu_resp_display_info info;
    struct vgpu_config c = gpu_config;
    c.mmio_base = (uintptr_t)p->mmio_base;
    memset(&fb, 0, sizeof(fb));
    if (vgpu_init(&g, &c) != VIRTIO_OK)
        return VQSIM_DRIVER_ERROR;
    for (int i = 0; i < 30; i++) /* long enough for the two threads' runs to overlap */
        if (vgpu_get_display_info(&g, &info) != VIRTIO_OK)
            return VQSIM_DRIVER_ERROR;
    j->seen[j->run].info_w = info.pmodes[0].r.width;
    j->seen[j->run].info_h = info.pmodes[0].r.height;
    if (gpu_fb_set_mode(&fb, &g, 0, 1, info.pmodes[0].r.width, info.pmodes[0].r.height) !=
        VIRTIO_OK)
        return VQSIM_DRIVER_ERROR;
    gpu_fb_fill_rect(&fb, 0, 0, fb.width, fb.height, j->colour);
    return gpu_fb_present(&fb) == VIRTIO_OK ? VQSIM_DRIVER_OK : VQSIM_DRIVER_ERROR;
}

static void *lib_worker(void *arg)
{
    struct lib_job *j = arg;
    for (j->run = 0; j->run < RUNS; j->run++) {
        struct vqsim_config cfg = {.size = sizeof(cfg), .name = "two-lib",
                                   .transport_version = j->version, .display_width = j->width,
                                   .display_height = j->height};
        char err[256];
        struct vqsim_machine *m = vqsim_open_config(&cfg, err, sizeof(err));
        if (!m) {
            j->seen[j->run].rc = -100;
            continue;
        }
        j->seen[j->run].rc = vqsim_run(m, builtin_entry, j, VQSIM_RUN_RING_ACCESSORS);
        snprintf(j->seen[j->run].outcome, sizeof(j->seen[0].outcome), "%s",
                 vqsim_outcome(m) ? vqsim_outcome(m) : "(none)");
        j->seen[j->run].violations = vqsim_violation_count(m);
        const char *sha = vqsim_display_sha256(m);
        snprintf(j->seen[j->run].sha256, 65, "%s", sha ? sha : "");
        vqsim_close(m);
    }
    return NULL;
}

/* SHA-256 of a w×h display (R,G,B per pixel) showing one colour. */
static void solid_sha256(uint32_t w, uint32_t h, uint32_t rgb, char out[65])
{
    struct sha256 s;
    uint8_t d[32], px[3] = {(uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb};
    sha256_init(&s);
    for (uint64_t i = 0; i < (uint64_t)w * h; i++)
        sha256_update(&s, px, 3);
    sha256_final(&s, d);
    sha256_hex(d, out);
}

static void test_library_two_threads(void **state)
{
    (void)state;
    static struct lib_job ja = {.version = 2, .width = 160, .height = 100, .colour = 0x10c020};
    static struct lib_job jb = {.version = 1, .width = 72, .height = 144, .colour = 0xc01080};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, lib_worker, &ja), 0);
    assert_int_equal(pthread_create(&tb, NULL, lib_worker, &jb), 0);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    const struct lib_job *jobs[] = {&ja, &jb};
    for (int k = 0; k < 2; k++) {
        char want[65];
        solid_sha256(jobs[k]->width, jobs[k]->height, jobs[k]->colour, want);
        for (int i = 0; i < RUNS; i++) {
            assert_int_equal(jobs[k]->seen[i].rc, VQSIM_OK);
            assert_string_equal(jobs[k]->seen[i].outcome, "ok");
            assert_int_equal(jobs[k]->seen[i].violations, 0);
            assert_int_equal(jobs[k]->seen[i].info_w, jobs[k]->width);
            assert_int_equal(jobs[k]->seen[i].info_h, jobs[k]->height);
            assert_string_equal(jobs[k]->seen[i].sha256, want);
        }
    }
}

int main(void)
{
    alarm(300); /* a binding shared between the threads can leave a driver waiting forever */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_threads_two_machines),
        cmocka_unit_test(test_one_thread_interleaved),
        cmocka_unit_test(test_library_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
