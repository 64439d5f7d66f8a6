/* vqsim_api.c — the public library API (include/vqsim/vqsim.h) on top of the runner.
 *
 * A machine handle is a parsed scenario plus, once run, a run_result: vqsim_run hands the
 * foreign driver to run_scenario_external (the same machine, faults, diagnosis and results as
 * `vqsim run`), and the platform hooks are thin wrappers around hal_sim.c's virtio_hal.h
 * implementation on the current machine. Nothing here aborts: every error is a status value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vqsim/vqsim.h>
#include "harness/hal_sim.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/results_json.h"
#include "harness/results_text.h"
#include "driver/virtio_hal.h"
#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "driver/virtio_status.h"
#include "model/machine.h"
#include "util/json_writer.h"
#include "lib/vqsim_internal.h"

_Static_assert((int)VQSIM_DMA_RING == (int)VHAL_DMA_RING &&
                   (int)VQSIM_DMA_PRIVATE == (int)VHAL_DMA_PRIVATE,
               "vqsim_dma_use mirrors vhal_dma_use");

/* Virtual time one now_ns() call takes: a loop that polls with rmb() + now_ns() only still
 * lets the device's latency elapse and reaches its own deadline. */
#define NOW_NS_COST 1000u
/* …and one barrier: a loop that polls used.idx with nothing but rmb() gets its answer too (the
 * device's default 10 µs latency is 500 iterations). After the barrier, so the device never
 * runs between a driver's stores and the barrier that orders them. */
#define BARRIER_NS_COST 20u

volatile uint64_t *vqsim_hook_calls;

struct vqsim_machine {
    struct scenario sc;
    bool ran;
    struct run_result r;
    int driver_rc;
    vqsim_driver_entry entry;
    void *arg;
    uint32_t last_queue;              /* the last queue the driver notified */
    struct diag_driver_view placed[RUN_MAX_QUEUES];
};

/* The machine whose driver is running on this thread (the hooks have no context argument; the
 * HAL's machine is bound per thread too, hal_sim.h). */
static _Thread_local struct vqsim_machine *running;

uint32_t vqsim_api_version(void) { return VQSIM_API_VERSION; }

static void err_set(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

static void hook(void)
{
    if (vqsim_hook_calls)
        (*vqsim_hook_calls)++;
}

/* ---- the platform ---- */

static uint32_t p_mmio_read32(uint64_t addr)
{
    hook();
    return vhal_mmio_read32((uintptr_t)addr);
}

static void p_mmio_write32(uint64_t addr, uint32_t value)
{
    hook();
    struct machine *m = hal_sim_bound();
    if (running && m && addr == m->cfg.mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY &&
        value < RUN_MAX_QUEUES)
        running->last_queue = value; /* the queue a timeout is diagnosed on */
    vhal_mmio_write32((uintptr_t)addr, value);
}

static void barrier_time(void)
{
    struct machine *m = hal_sim_bound();
    if (m)
        machine_advance(m, m->now + BARRIER_NS_COST);
}

static void p_mb(void) { hook(); vhal_mb(); barrier_time(); }
static void p_rmb(void) { hook(); vhal_rmb(); barrier_time(); }
static void p_wmb(void) { hook(); vhal_wmb(); barrier_time(); }

static void *p_dma_alloc(size_t size, size_t align, enum vqsim_dma_use use, uint64_t *phys)
{
    hook();
    return vhal_dma_alloc(size, align, (enum vhal_dma_use)use, phys);
}

static void p_dma_free(void *ptr, size_t size) { vhal_dma_free(ptr, size); }
static uint64_t p_virt_to_phys(const void *ptr) { return vhal_virt_to_phys(ptr); }

static uint64_t p_now_ns(void)
{
    hook();
    struct machine *m = hal_sim_bound();
    if (m)
        machine_advance(m, m->now + NOW_NS_COST);
    return vhal_now_ns();
}

static void p_delay_ns(uint64_t ns) { hook(); vhal_delay_ns(ns); }
static uint32_t p_irq_take(void) { hook(); return vhal_irq_take(); }
static uint16_t p_load16(const volatile uint16_t *p) { hook(); return vhal_ring_load16(p); }
static uint32_t p_load32(const volatile uint32_t *p) { hook(); return vhal_ring_load32(p); }
static void p_store16(volatile uint16_t *p, uint16_t v) { hook(); vhal_ring_store16(p, v); }
static void p_store32(volatile uint32_t *p, uint32_t v) { hook(); vhal_ring_store32(p, v); }
static void p_store64(volatile uint64_t *p, uint64_t v) { hook(); vhal_ring_store64(p, v); }

static void p_queue_placed(uint32_t q, uint64_t desc, uint64_t avail, uint64_t used,
                           uint32_t num)
{
    if (!running || q >= RUN_MAX_QUEUES)
        return;
    running->placed[q] = (struct diag_driver_view){
        .known = true, .desc = desc, .avail = avail, .used = used, .num = num};
}

/* ---- opening ---- */

/* A machine that owns the scenario the parser gave (parse_rc 0), or NULL with the parser's
 * message (or "out of memory") in err; the scenario is released either way on failure. */
static struct vqsim_machine *adopt(int parse_rc, struct scenario *sc, const char *parse_err,
                                   char *err, size_t errlen)
{
    struct vqsim_machine *m = parse_rc == 0 ? calloc(1, sizeof(*m)) : NULL;
    if (!m) {
        scenario_free(sc); /* what the parser got to before an error */
        err_set(err, errlen, parse_rc == 0 ? "out of memory" : parse_err);
        return NULL;
    }
    m->sc = *sc;
    return m;
}

struct vqsim_machine *vqsim_open_scenario(const char *path, char *err, size_t errlen)
{
    if (!path) {
        err_set(err, errlen, "no scenario path");
        return NULL;
    }
    struct scenario sc;
    char e[512];
    memset(&sc, 0, sizeof(sc));
    int rc = scenario_load(path, &sc, e, sizeof(e));
    return adopt(rc, &sc, e, err, errlen);
}

struct vqsim_machine *vqsim_open_config(const struct vqsim_config *cfg, char *err, size_t errlen)
{
    if (!cfg || cfg->size < sizeof(*cfg)) {
        err_set(err, errlen, "no config, or its size field is not sizeof(struct vqsim_config)");
        return NULL;
    }
    /* The config becomes a scenario text, so a config is validated exactly as a scenario file
     * is (same ranges, same messages). The step and expect are placeholders a foreign run
     * does not use. */
    const char *name = cfg->name ? cfg->name : "foreign-driver";
    if (!*name || strlen(name) > 128) {
        err_set(err, errlen, "config name: 1 to 128 characters");
        return NULL;
    }
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.')) {
            err_set(err, errlen, "config name: only letters, digits, '-', '_' and '.'");
            return NULL;
        }
    char text[1024];
    int n = snprintf(text, sizeof(text),
                     "name: %s\ndevice:\n  transport: %s\n  profile: %s\n  memory: %s\n",
                     name, cfg->transport_version == 1 ? "legacy" : "modern",
                     cfg->strict ? "strict" : "qemu", cfg->weak_memory ? "weak" : "strong");
    if (cfg->transport_version > 2) {
        err_set(err, errlen, "config transport_version: 1 (legacy) or 2 (modern)");
        return NULL;
    }
    if (cfg->display_width || cfg->display_height)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "  display: {width: %u, height: %u}\n",
                      cfg->display_width ? cfg->display_width : QEMU_GPU_XRES,
                      cfg->display_height ? cfg->display_height : QEMU_GPU_YRES);
    if (cfg->ram_base || cfg->ram_size)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "  ram: {base: %llu, size: %llu}\n",
                      (unsigned long long)(cfg->ram_size && !cfg->ram_base ? 0x40000000ull
                                                                           : cfg->ram_base),
                      (unsigned long long)(cfg->ram_size ? cfg->ram_size : 256ull << 20));
    if (cfg->mmio_base)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "  mmio_base: %llu\n",
                      (unsigned long long)cfg->mmio_base);
    snprintf(text + n, sizeof(text) - (size_t)n, "steps: [get_display_info]\nexpect: {}\n");
    struct scenario sc;
    char e[512];
    memset(&sc, 0, sizeof(sc));
    int rc = scenario_parse_buffer("config", text, strlen(text), &sc, e, sizeof(e));
    return adopt(rc, &sc, e, err, errlen);
}

void vqsim_close(struct vqsim_machine *m)
{
    if (!m)
        return;
    if (m->ran)
        run_result_free(&m->r);
    scenario_free(&m->sc);
    free(m);
}

uint64_t vqsim_mmio_base(const struct vqsim_machine *m) { return m ? m->sc.mmio_base : 0; }

int vqsim_guest_ram(const struct vqsim_machine *m, void **host, uint64_t *gpa, uint64_t *size)
{
    if (!m)
        return VQSIM_E_INVALID;
    const struct machine *mm = m->ran || running == m ? &m->r.m : NULL;
    if (host)
        *host = mm ? mm->mem.host : NULL;
    if (gpa)
        *gpa = m->sc.ram_base;
    if (size)
        *size = m->sc.ram_size;
    return VQSIM_OK;
}

/* ---- running ---- */

static enum step_status run_entry(void *ctx, struct run_result *r, struct step_result *sr,
                                  uint32_t *queue)
{
    struct vqsim_machine *m = ctx;
    const struct scenario *sc = &m->sc;
    struct vqsim_platform p = {
        .api_version = VQSIM_API_VERSION, .size = sizeof(p), .mmio_base = sc->mmio_base,
        .ram_base = sc->ram_base, .ram_size = sc->ram_size,
        .mmio_read32 = p_mmio_read32, .mmio_write32 = p_mmio_write32,
        .mb = p_mb, .rmb = p_rmb, .wmb = p_wmb,
        .dma_alloc = p_dma_alloc, .dma_free = p_dma_free, .virt_to_phys = p_virt_to_phys,
        .now_ns = p_now_ns, .delay_ns = p_delay_ns, .irq_take = p_irq_take,
        .ring_load16 = p_load16, .ring_load32 = p_load32, .ring_store16 = p_store16,
        .ring_store32 = p_store32, .ring_store64 = p_store64, .queue_placed = p_queue_placed};
    (void)r;
    running = m;
    int rc = m->entry(&p, m->arg);
    running = NULL;
    m->driver_rc = rc;
    *queue = m->last_queue;
    snprintf(sr->detail, sizeof(sr->detail), "foreign driver returned %d", rc);
    /* driver_status in the results: the built-in driver's status of the same meaning */
    switch (rc) {
    case VQSIM_DRIVER_OK: sr->driver_status = VIRTIO_OK; return ST_OK;
    case VQSIM_DRIVER_TIMEOUT: sr->driver_status = VIRTIO_ERR_TIMEOUT; return ST_TIMEOUT;
    case VQSIM_DRIVER_DEVICE_ERROR:
        sr->driver_status = VIRTIO_ERR_RESPONSE;
        return ST_DEVICE_ERROR;
    default: sr->driver_status = rc > 0 ? rc : 1; return ST_DRIVER_ERROR; /* "unknown-error" */
    }
}

static bool view(void *ctx, uint32_t q, struct diag_driver_view *v)
{
    struct vqsim_machine *m = ctx;
    *v = m->placed[q];
    return v->known;
}

int vqsim_run(struct vqsim_machine *m, vqsim_driver_entry entry, void *arg, unsigned flags)
{
    if (!m || !entry)
        return VQSIM_E_INVALID;
    if (m->ran || running)
        return VQSIM_E_STATE;
    /* A foreign driver is judged by what it did, not by the built-in driver's `expect:`; its
     * ring accesses are learnt by diffing unless it says it uses the accessors. */
    m->sc.ring_access = (flags & VQSIM_RUN_RING_ACCESSORS) ? BC_ACCESSORS : BC_PLAIN;
    m->entry = entry;
    m->arg = arg;
    struct run_external x = {.step_name = "driver", .run = run_entry, .queue_view = view,
                             .view_source = "queue_placed",
                             .ctx = m, .judge = false};
    int rc = run_scenario_external(&m->sc, NULL, &m->r, &x);
    m->ran = true;
    if (rc != 0)
        return VQSIM_E_NOMEM;
    /* passed = clean: the results' pass/fail says whether the driver's run was clean. */
    struct results *res = &m->r.res;
    if (strcmp(res->outcome, "ok") != 0)
        results_fail(res, "foreign driver: outcome %s (a foreign run is not judged against "
                          "expect:; clean means outcome ok)", res->outcome);
    res->passed = res->n_failures == 0;
    return VQSIM_OK;
}

const char *vqsim_outcome(const struct vqsim_machine *m)
{
    return m && m->ran ? m->r.res.outcome : NULL;
}

bool vqsim_clean(const struct vqsim_machine *m)
{
    return m && m->ran && !strcmp(m->r.res.outcome, "ok");
}

int vqsim_driver_rc(const struct vqsim_machine *m) { return m && m->ran ? m->driver_rc : 0; }

/* Violations with repeats of a rule folded, in first-seen order (as the verdict line). */
static const char *nth_rule(const struct vqsim_machine *m, size_t want, size_t *count)
{
    size_t k = 0;
    const struct result_finding *v = m && m->ran ? m->r.res.violations : NULL;
    for (uint32_t i = 0; v && i < m->r.res.n_violations; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < i; j++)
            dup |= !strcmp(v[j].rule, v[i].rule);
        if (dup)
            continue;
        if (k++ == want)
            return v[i].rule;
    }
    if (count)
        *count = k;
    return NULL;
}

size_t vqsim_violation_count(const struct vqsim_machine *m)
{
    size_t n = 0;
    nth_rule(m, SIZE_MAX, &n);
    return n;
}

const char *vqsim_violation_rule(const struct vqsim_machine *m, size_t i)
{
    return nth_rule(m, i, NULL);
}

size_t vqsim_cause_count(const struct vqsim_machine *m)
{
    return m && m->ran ? (size_t)m->r.res.n_causes : 0;
}

const char *vqsim_cause_id(const struct vqsim_machine *m, size_t i)
{
    return i < vqsim_cause_count(m) ? m->r.res.causes[i].id : NULL;
}

const char *vqsim_display_sha256(const struct vqsim_machine *m)
{
    return m && m->ran ? m->r.res.displays[0].sha256 : NULL;
}

int vqsim_write_json(const struct vqsim_machine *m, FILE *f)
{
    if (!m || !f)
        return VQSIM_E_INVALID;
    if (!m->ran)
        return VQSIM_E_STATE;
    struct jw w;
    jw_init(&w, f);
    results_json_begin(&w);
    results_json_scenario(&w, &m->sc, &m->r.res);
    results_json_end(&w, 1, m->r.res.passed ? 1 : 0);
    return ferror(f) ? VQSIM_E_IO : VQSIM_OK;
}

int vqsim_write_json_path(const struct vqsim_machine *m, const char *path)
{
    if (!m || !path)
        return VQSIM_E_INVALID;
    if (!m->ran)
        return VQSIM_E_STATE;
    FILE *f = fopen(path, "w");
    if (!f)
        return VQSIM_E_IO;
    int rc = vqsim_write_json(m, f);
    if (fclose(f) != 0 && rc == VQSIM_OK)
        rc = VQSIM_E_IO;
    return rc;
}

int vqsim_print_verdict(const struct vqsim_machine *m, FILE *f, bool verbose)
{
    if (!m || !f)
        return VQSIM_E_INVALID;
    if (!m->ran)
        return VQSIM_E_STATE;
    results_print(f, &m->sc, &m->r.res, verbose);
    return ferror(f) ? VQSIM_E_IO : VQSIM_OK;
}

/* ---- internal, for `vqsim run --driver` ---- */

const struct scenario *vqsim_machine_scenario(const struct vqsim_machine *m)
{
    return &m->sc;
}

const struct results *vqsim_machine_results(const struct vqsim_machine *m)
{
    return m->ran ? &m->r.res : NULL;
}
