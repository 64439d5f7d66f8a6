/* runner.c — see runner.h. */
#include "harness/runner.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checks/access_checks.h"
#include "model/memory_guard.h"
#include "record/recording_writer.h"
#include "spec/rules.h"
#include "harness/hal_sim.h"
#include "harness/judge.h"
#include "harness/kernel_device.h"
#include "spec/virtio_blk.h"
#include "harness/kernel_steps.h"

/* The run of a scenario's steps: the kernel playing them, and the diagnosis's mark. */
struct run_ctx {
    const struct scenario *s;
    struct run_result *r;
    struct kernel k;
    char failure[KERNEL_FAILURE_LEN]; /* a device kernel's content check (kernel_device.h) */
    struct rf_mark step_mark;  /* the run's counters when the current step began (run_facts.h) */
};

static enum step_status classify(int rc)
{
    switch (rc) {
    case VIRTIO_OK: return ST_OK;
    default:
        /* no answer came (a Status read may have said why: the step's driver status names it) */
        if (vgpu_is_no_answer(rc))
            return ST_TIMEOUT;
        return vgpu_is_device_error(rc) ? ST_DEVICE_ERROR : ST_DRIVER_ERROR;
    }
}

/* The step's status from the driver's, its end time, and the status said in its detail. */
static void finish_step(struct run_ctx *c, struct step_result *sr, int rc)
{
    sr->driver_status = rc;
    sr->status = classify(rc);
    sr->t_end = c->r->m.now;
    if (rc != VIRTIO_OK && !sr->detail[0])
        snprintf(sr->detail, sizeof(sr->detail), "%s", vgpu_status_name(rc));
    else if (rc != VIRTIO_OK) {
        size_t l = strlen(sr->detail);
        snprintf(sr->detail + l, sizeof(sr->detail) - l, ": %s", vgpu_status_name(rc));
    }
}

/* Diagnose the first request that got no answer (or one the driver could not use), once the
 * step is judged: an error answer the step expected is the step doing its job. */
static void diagnose_step(struct run_ctx *c, const struct step_result *sr, uint32_t queue)
{
    if ((sr->status == ST_TIMEOUT || sr->status == ST_DEVICE_ERROR) && !c->r->has_diag) {
        const struct vgpu *g = &c->r->gpu;
        const struct virtq *vq = run_driver_queue(c->r, c->r->kdev ? queue : 0);
        struct diag_request rq = {
            .kind = sr->status != ST_TIMEOUT ? DIAG_BAD_RESPONSE
                    : !c->r->driver_up && !vq->state ? DIAG_REGISTER_WAIT /* init: no request */
                                                     : DIAG_TIMEOUT,
            .queue = queue, .since = sr->t, .mark = &c->step_mark};
        if (vq->state) { /* the kernel knows where its driver put the queue */
            rq.driver = (struct diag_driver_view){true, vq->desc_phys, vq->avail_phys,
                                                  vq->used_phys, vq->num,
                                                  !c->r->kdev && g->wait == VGPU_WAIT_INTERRUPT};
        } else {
            rq.driver.waits_for_interrupt = c->s->wait == VGPU_WAIT_INTERRUPT;
        }
        diagnose(&c->r->m, &rq, &c->r->diag);
        bc_explain(&c->r->m, queue, &c->r->diag); /* a broken barrier pairing behind it */
        c->r->has_diag = c->r->diag.n_causes > 0;
    }
}

/* The scenario's machine; -1 when it cannot be built (the failure is in r). */
/* r zeroed but for its machine, which machine_init zeroes first thing (121 of r's 211 KB: zeroed
 * twice per scenario before). Test builds fill the machine with a pattern instead, so a machine
 * that came out of machine_init not zeroed would show in every scenario. */
static void zero_but_machine(struct run_result *r)
{
    size_t at = offsetof(struct run_result, m), end = at + sizeof(r->m);
    memset(r, 0, at);
    memset((uint8_t *)r + end, 0, sizeof(*r) - end);
#ifndef NDEBUG
    memset(&r->m, 0xa5, sizeof(r->m));
#endif
}

static int build_machine(const struct scenario *sc, struct run_result *r)
{
    zero_but_machine(r);
    r->res.outcome = "driver-error";
    char err[256];
    const struct rule_catalogue *cat = rules_builtin(err, sizeof(err));
    struct machine_config cfg = {
        .ram_base = sc->ram_base, .ram_size = sc->ram_size, .mmio_base = sc->mmio_base,
        .transport_version = sc->transport_version, .display_width = sc->display_width,
        .display_height = sc->display_height, .device_latency_ns = sc->latency_ns,
        .n_extra_scanouts = sc->n_extra_scanouts,
        .profile = sc->profile == 1 ? PROFILE_STRICT : PROFILE_QEMU, .offer_add = sc->device_offer,
        .offer_remove = sc->device_withhold, .weak_memory = sc->weak_memory,
        .ring_access = (enum bc_mode)sc->ring_access, .spec = (enum spec_version)sc->spec,
        .transport = sc->bus == SCN_BUS_MMIO ? TRANSPORT_MMIO : TRANSPORT_PCI};
    memcpy(cfg.place, sc->place, sizeof(cfg.place));
    _Static_assert(sizeof(cfg.place_next) == sizeof(sc->place_next), "pins");
    memcpy(cfg.place_next, sc->place_next, sizeof(cfg.place_next));
    memcpy(cfg.n_place_next, sc->n_place_next, sizeof(cfg.n_place_next));
    memcpy(cfg.extra_width, sc->extra_width, sizeof(cfg.extra_width));
    memcpy(cfg.extra_height, sc->extra_height, sizeof(cfg.extra_height));
    cfg.magic = sc->magic;
    cfg.version_shown = sc->version_shown;
    cfg.device_id_set = sc->device_id_set;
    cfg.device_id = sc->device_id;
    cfg.config_change_after = sc->config_change_after;
    cfg.memory_canary = sc->expect_memory != NULL; /* memory_guard.h: only where asserted */
    cfg.device = sc->device_type;
    cfg.disk_image = sc->disk_image;
    cfg.disk_writes_to_file = sc->disk_writes_to_file;
    cfg.disk_read_only = sc->disk_read_only;
    cfg.disk_sectors = sc->disk_sectors;
    cfg.rng_seed = sc->rng_seed;
    cfg.input_script = sc->input_script;
    cfg.input_script_len = sc->input_script_len;
    cfg.net_frames = sc->net_frames;
    cfg.net_frames_len = sc->net_frames_len;
    cfg.net_mac = sc->net_mac_set ? sc->net_mac : NULL;
    if (sc->disk_read_only) /* QEMU readonly=on: virtio_blk_get_features adds RO */
        cfg.offer_add |= 1ull << VIRTIO_BLK_F_RO;
    if (!cat || machine_init(&r->m, &cfg, cat) != 0) {
        if (!cat)
            memset(&r->m, 0, sizeof(r->m)); /* as machine_init leaves a machine it could not build */
        results_fail(&r->res, "cannot build the machine: %s", cat ? "out of memory" : err);
        /* the results of a run that never began: nearly empty, complete in form */
        results_fill(&r->res, r, sc, &(struct mg_result){0});
        results_fill_displays(&r->res, &r->m, NULL, sc->name);
        return -1;
    }
    r->machine_ok = true;
    r->m.faults = sc->faults;
    r->m.pci_bugs = sc->pci_bugs;
    memcpy(r->m.dfaults.f, sc->dfaults.f, sizeof(sc->dfaults.f));
    r->m.dfaults.n = sc->dfaults.n;
    return 0;
}

/* After the driver: let due device work land, run the end-of-run checks, fill the results,
 * name the outcome, look at the displays, judge. */
static void conclude(const struct scenario *sc, const struct run_options *o, struct run_result *r,
                     bool judge_expect)
{
    /* Let the device finish whatever is still due (a late answer still lands in the trace). */
    machine_advance(&r->m, r->m.now + sc->latency_ns);
    char err[256];
    if (r->rec && vqrec_writer_close(r->rec, &r->m, 0, err, sizeof(err)) != 0)
        results_fail(&r->res, "%s", err);
    r->rec = NULL;
    access_checks_finish(&r->m);
    struct mg_result mg;
    memory_guard_check(&r->m, &mg);
    struct results *res = &r->res;
    res->trace_unread = o && o->trace_unread;
    results_fill(res, r, sc, &mg);

    /* The outcome: the strongest symptom the driver saw, else violations, else ok. */
    res->outcome = res->n_violations ? "violation" : "ok";
    for (uint32_t i = 0; i < res->n_steps; i++) {
        if (res->steps[i].status == ST_TIMEOUT) {
            res->outcome = "timeout";
            break;
        }
        if (res->steps[i].status == ST_DEVICE_ERROR)
            res->outcome = "device-error";
        else if (res->steps[i].status == ST_DRIVER_ERROR)
            res->outcome = "driver-error";
    }
    const char *png_dir = o ? o->png_dir : NULL;
    res->digest_shown_only = o && o->digest_shown_only && !png_dir;
    for (uint32_t i = 0; judge_expect && i < sc->n_displays; i++) { /* what the judge reads */
        const struct display_expect *x = &sc->displays[i];
        uint32_t bit = x->scanout < 32 ? 1u << x->scanout : 0;
        res->digest_also |= x->sha256 ? bit : 0;
        res->picture_kept |= x->pattern || x->png ? bit : 0;
    }
    results_fill_displays(res, &r->m, png_dir, sc->name);
    if (judge_expect)
        judge_run(sc, png_dir, &r->m, res);
    results_drop_pictures(res);
    res->passed = res->n_failures == 0;
}

/* On PCI the kernel finds the function and its structures, sizes and assigns its BARs
 * (vpci_probe), and gives the driver the transport. */
static int probe_pci(struct run_ctx *c)
{
    if (c->s->bus != SCN_BUS_PCI)
        return VIRTIO_OK;
    const struct vpci_window win = {(uintptr_t)SCN_PCI_MEM_BASE, SCN_PCI_MEM_SIZE};
    int rc = vpci_probe(&c->r->pci, PCI_FN_BDF, &win, c->k.gc.timeout_ns);
    if (rc == VIRTIO_OK)
        c->k.gc.transport = &c->r->pci.t;
    return rc;
}

/* The `init` step: the driver probes and sets the device up (§3.1.1). Returns its status. */
static int run_init(struct run_ctx *c)
{
    struct run_result *r = c->r;
    struct step_result *init = &r->res.steps[r->res.n_steps++];
    init->name = "init";
    init->t = r->m.now;
    machine_trace(&r->m, TR_STEP, 0, 0, 0, "init");
    rf_mark(&r->m, &c->step_mark);
    c->failure[0] = 0;
    int rc = probe_pci(c);
    if (rc == VIRTIO_OK)
        rc = r->kdev ? r->kdev->init(r->kstate, c->k.gc.transport, init, c->failure)
                     : vgpu_init(&r->gpu, &c->k.gc);
    if (c->failure[0])
        results_fail(&r->res, "init: %s", c->failure);
    if (rc == VIRTIO_OK && !r->kdev && c->s->bus == SCN_BUS_PCI)
        snprintf(init->detail, sizeof(init->detail), "virtio-pci 00:%02x.%u (device 0x%04x), gpu, "
                 "queue 0 of %u", (PCI_FN_BDF >> 3) & 0x1fu, PCI_FN_BDF & 7u,
                 r->pci.pci_device_id, c->s->queue_size);
    else if (rc == VIRTIO_OK && !r->kdev) /* (a device's kernel says what it did itself) */
        snprintf(init->detail, sizeof(init->detail), "virtio-mmio version %u, gpu, queue 0 of %u",
                 r->gpu.t->version, c->s->queue_size);
    finish_step(c, init, rc);
    diagnose_step(c, init, VIRTIO_GPU_QUEUE_CONTROL);
    r->driver_up = rc == VIRTIO_OK;
    return rc;
}

/* Step i once, by the kernel of the scenario's device; a device kernel's content check fails the
 * run when the bytes (events, frames) are not what they must be. */
static int one_step(struct run_ctx *c, const struct scenario_step *st, struct step_result *sr,
                    uint32_t i)
{
    struct run_result *r = c->r;
    if (!r->kdev)
        return kernel_step(&c->k, st, sr);
    c->failure[0] = 0;
    int rc = r->kdev->step(r->kstate, st, sr, c->failure);
    if (c->failure[0])
        results_fail(&r->res, "step %u (%s, line %d): %s", i + 1, sr->name, st->line,
                     c->failure);
    return rc;
}

/* Step i (its `repeat` times), judged as it ends. Returns whether the run goes on. */
static bool run_step(struct run_ctx *c, uint32_t i, struct step_result *sr)
{
    struct run_result *r = c->r;
    const struct scenario_step *st = &c->s->steps[i];
    machine_trace(&r->m, TR_STEP, 0, i + 1, 0, sr->name);
    rf_mark(&r->m, &c->step_mark);
    r->gpu.last_resp_type = 0;
    r->gpu.last_used_len = 0;
    r->gpu.last_fence_id = 0;
    bool device_event = st->kind == STEP_DISPLAY_CHANGE || st->kind == STEP_DRAW ||
                        st->kind == STEP_POKE_PIXEL || st->kind == STEP_FB_DRAW ||
                        st->kind == STEP_FB_FILL;
    c->k.quiet = st->repeat > 1; /* only the last repetition's detail is kept */
    int rc = one_step(c, st, sr, i);
    for (uint32_t k = 1; k < st->repeat && rc == VIRTIO_OK; k++) { /* repeat: {count: N} */
        sr->detail[0] = 0;
        c->k.quiet = k + 1 < st->repeat;
        rc = one_step(c, st, sr, i);
    }
    c->k.quiet = false;
    if (st->repeat > 1) {
        size_t l = strlen(sr->detail);
        snprintf(sr->detail + l, sizeof(sr->detail) - l, " (×%u)", st->repeat);
    }
    if (!device_event && !r->kdev) {
        sr->response = r->gpu.last_resp_type;
        sr->used_len = r->gpu.last_used_len;
        sr->fence_id = r->gpu.last_fence_id;
    }
    bool cursor = st->kind == STEP_UPDATE_CURSOR || st->kind == STEP_MOVE_CURSOR;
    finish_step(c, sr, rc);
    judge_step(st, sr, i + 1, &r->res);
    /* (an error response the step expected is ok by now) */
    uint32_t queue = cursor ? VIRTIO_GPU_QUEUE_CURSOR : VIRTIO_GPU_QUEUE_CONTROL;
    if (r->kdev && r->kdev->step_queue) /* the queue the device's step waits on */
        queue = r->kdev->step_queue(r->kstate, st);
    diagnose_step(c, sr, queue);
    /* An error the step expected (expect_status) is the step proving its point: the run goes
     * on (the next step may show the latch), the outcome still counts it. */
    return sr->status == ST_OK ||
           (st->has_expect_status && sr->driver_status == st->expect_status);
}

int run_scenario(const struct scenario *sc, const struct run_options *o, struct run_result *r)
{
    if (build_machine(sc, r) != 0)
        return -1;
    if (o && o->record_dir) { /* vqsim run --record DIR */
        char path[4096], err[300];
        snprintf(path, sizeof(path), "%s/%s.vqrec", o->record_dir, sc->name);
        if (!(r->rec = vqrec_writer_open(&r->m, path, err, sizeof(err))))
            results_fail(&r->res, "%s", err);
    }
    struct run_ctx c = {.s = sc, .r = r};
    const struct vgpu_config gc = {
        .mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
        .layout = sc->layout, .legacy_align = sc->queue_align, .timeout_ns = sc->timeout_ns,
        .wait = sc->wait, .features = scenario_driver_features(sc), .fences = sc->fences,
        .cursor = sc->cursor, .used_len = (enum vq_used_len_policy)sc->used_len};
    kernel_init(&c.k, &r->gpu, &r->m, &gc);
    if ((r->kdev = kernel_device_find(sc->device_type)) &&
        !(r->kstate = r->kdev->open(sc, c.failure))) {
        results_fail(&r->res, "%s", c.failure[0] ? c.failure : "out of memory");
        r->kdev = NULL;
        conclude(sc, o, r, true);
        return 0;
    }
    hal_sim_bind(&r->m); /* the driver's HAL calls reach this machine, from this thread */
    bool go_on = run_init(&c) == VIRTIO_OK;
    for (uint32_t i = 0; i < sc->n_steps; i++) {
        struct step_result *sr = &r->res.steps[r->res.n_steps++];
        sr->name = step_name(sc->steps[i].kind);
        sr->t = r->m.now;
        if (!go_on)
            sr->status = ST_SKIPPED;
        else
            go_on = run_step(&c, i, sr);
    }
    hal_sim_unbind();
    conclude(sc, o, r, true);
    return 0;
}

int run_scenario_external(const struct scenario *sc, const struct run_options *o,
                          struct run_result *r, const struct run_external *x)
{
    if (build_machine(sc, r) != 0)
        return -1;
    r->external = true;
    struct step_result *sr = &r->res.steps[r->res.n_steps++];
    sr->name = x->step_name;
    sr->t = r->m.now;
    machine_trace(&r->m, TR_STEP, 0, 0, 0, x->step_name);
    rf_mark(&r->m, &r->request_mark); /* run() may move it to where its request began */
    uint32_t queue = VIRTIO_GPU_QUEUE_CONTROL;
    hal_sim_bind(&r->m); /* the driver's HAL calls reach this machine, from this thread */
    sr->status = x->run(x->ctx, r, sr, &queue);
    sr->t_end = r->m.now;
    for (uint32_t q = 0; x->queue_view && q < RUN_MAX_QUEUES; q++)
        if (!x->queue_view(x->ctx, q, &r->queue_view[q]))
            memset(&r->queue_view[q], 0, sizeof(r->queue_view[q]));
    hal_sim_unbind();
    r->view_source = x->view_source ? x->view_source : "reported";
    if ((sr->status == ST_TIMEOUT || sr->status == ST_DEVICE_ERROR) && queue < RUN_MAX_QUEUES) {
        struct diag_request rq = {.kind = sr->status != ST_TIMEOUT ? DIAG_BAD_RESPONSE
                                          : x->register_wait && *x->register_wait ? DIAG_REGISTER_WAIT
                                                                                  : DIAG_TIMEOUT,
                                  .queue = queue, .since = sr->t, .mark = &r->request_mark,
                                  .driver = r->queue_view[queue]};
        diagnose(&r->m, &rq, &r->diag);
        bc_explain(&r->m, queue, &r->diag);
        r->has_diag = r->diag.n_causes > 0;
    }
    conclude(sc, o, r, x->judge);
    return 0;
}

const struct virtq *run_driver_queue(const struct run_result *r, uint32_t q)
{
    if (r->kdev)
        return r->kdev->queue(r->kstate, q);
    return q == 0 ? &r->gpu.ctrl : q == 1 ? &r->gpu.cursorq : NULL;
}

void run_result_free(struct run_result *r)
{
    if (r->kdev)
        r->kdev->close(r->kstate);
    if (r->machine_ok)
        machine_destroy(&r->m);
    results_free(&r->res);
    /* r itself is not zeroed again (run_scenario zeroes it first): what was released forgotten,
     * so a second call releases nothing twice */
    r->kdev = NULL;
    r->kstate = NULL;
    r->machine_ok = false;
}
