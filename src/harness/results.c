/* results.c — see results.h: the results filled from a finished run, and what they own. */
#include "harness/results.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_gpu.h"
#include "harness/kernel_device.h"
#include "model/checks/barrier_check.h"
#include "model/checks/barrier_packed.h"
#include "spec/rules.h"
#include "model/machine.h"
#include "model/query.h"
#include "harness/picture_digest.h"
#include "harness/png_writer.h"
#include "harness/runner.h"
#include "harness/scenario.h"

_Static_assert(RESULTS_MAX_STEPS == SCENARIO_MAX_STEPS + 1, "every step and init");
_Static_assert(RESULTS_MAX_QUEUES == DEVICE_MAX_QUEUES, "every queue");
_Static_assert(RESULTS_MAX_CAUSES == DIAG_MAX_CAUSES && RESULTS_MAX_EVIDENCE == DIAG_MAX_EVIDENCE,
               "every cause and its evidence");

const char *step_status_name(enum step_status s)
{
    static const char *n[] = {"ok", "timeout", "device-error", "driver-error", "skipped"};
    return n[s];
}

const char *result_event_kind_name(enum result_event_kind k)
{
    static const char *const n[] = {"mmio-read", "mmio-write", "ring-store", "ring-load",
                                    "barrier", "notify", "pop", "used", "irq", "step",
                                    "violation", "device"};
    return n[k];
}

void results_fail(struct results *res, const char *fmt, ...)
{
    if (res->n_failures >= RESULTS_MAX_FAILURES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->failures[res->n_failures++], sizeof(res->failures[0]), fmt, ap);
    va_end(ap);
}

const char *results_evidence(const struct results *res, const char *key)
{
    for (uint32_t i = 0; i < res->n_causes; i++)
        for (int k = 0; k < res->causes[i].n_evidence; k++)
            if (!strcmp(res->causes[i].evidence[k].key, key))
                return res->causes[i].evidence[k].value;
    return NULL;
}

void results_free(struct results *res)
{
    free(res->violations);
    free(res->informational);
    free(res->trace);
    for (uint32_t i = 0; i < res->n_queues; i++)
        results_chains_free(&res->queues[i].chains);
    for (uint32_t i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++) {
        free(res->displays[i].png);
        free(res->displays[i].diff_png);
        res->displays[i].png = res->displays[i].diff_png = NULL;
    }
    results_drop_pictures(res);
    /* Not the whole 59 KB zeroed again (results.h): what was freed forgotten, so a second
     * results_free frees nothing twice. */
    res->violations = res->informational = NULL;
    res->trace = NULL;
    res->n_queues = 0;
}

/* ---- filling ---- */

/* The machine's violations or informational findings, copied. */
static struct result_finding *findings(const struct machine *m, bool informational, uint32_t *n,
                                       enum spec_version spec)
{
    const struct violation *v = mq_findings(m, informational, n);
    struct result_finding *out = *n ? calloc(*n, sizeof(*out)) : NULL;
    if (!out)
        return NULL; /* *n findings and none to show: results_fill fails the run */
    for (uint32_t i = 0; i < *n; i++) {
        const struct rule *r = v[i].rule;
        struct rule_cite c = rule_cite(r, spec); /* its section in the version judged against */
        out[i] = (struct result_finding){.rule = r->id, .section = c.section, .title = c.title,
                                         .level = r->level, .spec = c.spec,
                                         .time_ns = v[i].t, .queue = v[i].queue};
        memcpy(out[i].message, v[i].message, sizeof(out[i].message));
        spec_rewrite_sections(out[i].message, sizeof(out[i].message), spec);
    }
    return out;
}

static void fill_causes(struct results *res, const struct diagnosis *d, enum spec_version spec)
{
    res->n_causes = d->cause ? (uint32_t)d->n_causes : 0;
    for (uint32_t i = 0; i < res->n_causes; i++) {
        const struct diag_cause *c = &d->causes[i];
        struct result_cause *o = &res->causes[i];
        o->id = c->id;
        /* a cause cites a 1.1 section: its number in the version judged against, when it has one */
        const char *in = spec_section_in(c->section, spec);
        o->section = in ? in : c->section;
        o->title = c->title;
        memcpy(o->message, c->message, sizeof(o->message));
        spec_rewrite_sections(o->message, sizeof(o->message), spec);
        o->n_evidence = c->n_evidence;
        for (int k = 0; k < c->n_evidence; k++) {
            o->evidence[k].key = c->evidence[k].key;
            memcpy(o->evidence[k].value, c->evidence[k].value, sizeof(o->evidence[k].value));
        }
    }
}

static void driver_queue(struct result_driver_queue *o, const struct virtq *vq)
{
    *o = (struct result_driver_queue){.set_up = vq->state != NULL, .broken = vq->broken,
                                      .broken_status = vq->broken
                                                           ? vgpu_status_name(vq->broken_status)
                                                           : NULL,
                                      .len_clamped = vq->len_clamped};
}

/* What the built-in driver latched (an external driver's run leaves it as never set up). */
static void fill_driver(struct results *res, const struct run_result *r, const struct scenario *s)
{
    const struct vgpu *g = &r->gpu;
    res->driver = (struct result_driver){
        .broken = vgpu_is_broken(g),
        .broken_status = g->broken ? vgpu_status_name(g->broken_status) : NULL,
        .stalled = g->stalled, .used_len = s->used_len ? "lenient" : "strict"};
    int status = 0;
    if (r->kdev) { /* a device's own kernel and driver (kernel_device.h) */
        bool broken = r->kdev->broken(r->kstate, &status);
        res->driver = (struct result_driver){
            .broken = broken, .broken_status = broken ? vgpu_status_name(status) : NULL,
            .stalled = broken, .used_len = "strict"};
    }
    const struct virtq *vq0 = run_driver_queue(r, 0), *vq1 = run_driver_queue(r, 1);
    if (vq0)
        driver_queue(&res->driver.control, vq0);
    if (vq1)
        driver_queue(&res->driver.cursor, vq1);
}

/* Where the driver put queue q: what the built-in driver holds, what an external driver
 * reported, or else what its register writes say (model/query.h). False when none of them
 * shows the queue set up. */
static bool driver_side(const struct run_result *r, uint32_t q, struct result_queue *o)
{
    if (!r->external) { /* the built-in driver: its own state */
        const struct virtq *vq = run_driver_queue(r, q);
        if (!vq)
            return false;
        *o = (struct result_queue){.has_num = true, .num = vq->num, .has_desc = true,
                                   .has_avail = true, .has_used = true, .desc = vq->desc_phys,
                                   .avail = vq->avail_phys, .used = vq->used_phys,
                                   .source = "driver"};
        return vq->state != NULL;
    }
    const struct diag_driver_view *dv = &r->queue_view[q];
    if (dv->known) {
        *o = (struct result_queue){.has_num = true, .num = dv->num, .has_desc = true,
                                   .has_avail = true, .has_used = true, .desc = dv->desc,
                                   .avail = dv->avail, .used = dv->used,
                                   .source = r->view_source};
        return true;
    }
    struct mq_register_queue v;
    mq_register_queue(&r->m, q, &v);
    *o = (struct result_queue){.has_num = v.has_num, .num = v.num, .has_desc = v.has_desc,
                               .has_avail = v.has_avail, .has_used = v.has_used,
                               .desc = v.desc, .avail = v.avail, .used = v.used,
                               .source = v.polled ? "registers, polls" : "registers"};
    return v.shown;
}

/* Every queue the driver set up (or the device has): both sides of it. */
static void fill_queues(struct results *res, const struct run_result *r)
{
    res->n_queues = 0;
    for (uint32_t q = 0; r->machine_ok && q < RESULTS_MAX_QUEUES; q++) {
        struct result_queue *o = &res->queues[res->n_queues];
        if (!driver_side(r, q, o))
            continue;
        struct mq_device_queue d;
        mq_device_queue(&r->m, q, &d);
        o->index = q;
        o->dev_desc = d.desc;
        o->dev_avail = d.avail;
        o->dev_used = d.used;
        o->dev_size = d.size;
        o->dev_ready = d.live;
        o->avail_idx = d.avail_idx;
        o->used_idx = d.used_idx;
        if (!results_chains_fill(&o->chains, &r->m, q))
            results_fail(res, "out of memory: the chains of queue %u are not in the results", q);
        res->n_queues++;
    }
}

static enum result_event_kind event_kind(enum trace_kind k)
{
    switch (k) {
    case TR_MMIO_READ: return RE_MMIO_READ;
    case TR_MMIO_WRITE: return RE_MMIO_WRITE;
    case TR_RING_STORE: return RE_RING_STORE;
    case TR_RING_LOAD: return RE_RING_LOAD;
    case TR_BARRIER: return RE_BARRIER;
    case TR_NOTIFY: return RE_NOTIFY;
    case TR_POP: return RE_POP;
    case TR_USED: return RE_USED;
    case TR_IRQ: return RE_IRQ;
    case TR_STEP: return RE_STEP;
    case TR_VIOLATION: return RE_VIOLATION;
    case TR_DEVICE: break;
    }
    return RE_DEVICE;
}

/* The trace as kept, each ring access named by the ring field it touched. */
static void fill_trace(struct results *res, const struct machine *m)
{
    if (res->trace_unread) /* only the JSON shows the trace (results_json.c) */
        return;
    size_t n;
    const struct trace_event *ev = mq_trace(m, &n, &res->trace_dropped);
    res->trace = n ? calloc(n, sizeof(*res->trace)) : NULL;
    res->n_trace = res->trace ? n : 0;
    if (n && !res->trace)
        results_fail(res, "out of memory: the trace (%zu events) is not in the results", n);
    for (size_t i = 0; i < res->n_trace; i++) {
        const struct trace_event *e = &ev[i];
        struct result_event *o = &res->trace[i];
        *o = (struct result_event){.t = e->t, .kind = event_kind((enum trace_kind)e->kind),
                                   .addr = e->addr, .value = e->value, .id = e->aux,
                                   .count = e->count, .size = e->size, .queue = e->queue,
                                   .line_rose = e->aux != 0, .what = e->what, .note = e->note};
        if (o->kind == RE_RING_STORE || o->kind == RE_RING_LOAD)
            o->what = mq_ring_field(m, e->addr);
    }
}

void results_fill(struct results *res, const struct run_result *r, const struct scenario *s,
                  const struct mg_result *mg)
{
    if (r->machine_ok)
        mq_features(&r->m, &res->offered, &res->negotiated);
    enum spec_version spec = (enum spec_version)s->spec;
    res->spec_version = spec_version_name(spec);
    res->violations = findings(&r->m, false, &res->n_violations, spec);
    res->informational = findings(&r->m, true, &res->n_informational, spec);
    uint32_t n_skipped = 0;
    const struct rule *const *skipped = mq_skipped_rules(&r->m, &n_skipped);
    res->n_not_in_spec = 0;
    for (uint32_t i = 0; r->machine_ok && i < n_skipped && i < RESULTS_MAX_NOT_IN_SPEC; i++)
        res->not_in_spec[res->n_not_in_spec++] = skipped[i]->id;
    if ((res->n_violations && !res->violations) || (res->n_informational && !res->informational)) {
        results_fail(res, "out of memory: %u violation(s) and %u informational finding(s) are "
                          "not in the results", res->n_violations, res->n_informational);
        res->n_violations = res->violations ? res->n_violations : 0;
        res->n_informational = res->informational ? res->n_informational : 0;
    }
    res->n_not_judged = 0; /* plain ring access: what the barrier analysis cannot see */
    for (const struct bc_not_judged *n = bc_plain_not_judged; s->ring_access && n->rule; n++)
        if (res->n_not_judged < RESULTS_MAX_NOT_JUDGED)
            res->not_judged[res->n_not_judged++] =
                (struct result_not_judged){n->rule, n->partly, n->why};
    bool packed = (res->negotiated >> VIRTIO_F_RING_PACKED) & 1;
    for (const struct bc_not_judged *n = bcp_plain_not_judged; s->ring_access && packed && n->rule; n++)
        if (res->n_not_judged < RESULTS_MAX_NOT_JUDGED)
            res->not_judged[res->n_not_judged++] =
                (struct result_not_judged){n->rule, n->partly, n->why};
    if (r->has_diag)
        fill_causes(res, &r->diag, spec);
    fill_driver(res, r, s);
    res->memory = (struct result_memory){
        .judged = mg->judged, .canary = r->machine_ok && mq_memory_canary(&r->m),
        .allocations = mg->allocations, .pages_scanned = mg->pages_scanned,
        .changed_bytes = mg->changed_bytes, .first_changed = mg->first_changed};
    fill_queues(res, r);
    fill_trace(res, &r->m);
}

/* ---- displays ---- */

/* Write display i's picture as PNG_DIR/NAME.png (scanout 0) or NAME-scanoutI.png. */
static void write_png(struct results *res, uint32_t i, const uint8_t *pic, const char *png_dir,
                      const char *name)
{
    struct result_display *d = &res->displays[i];
    size_t n = strlen(png_dir) + strlen(name) + 24;
    char err[256];
    if (!(d->png = malloc(n)))
        return;
    if (i == 0) /* scanout 0 keeps the plain name */
        snprintf(d->png, n, "%s/%s.png", png_dir, name);
    else
        snprintf(d->png, n, "%s/%s-scanout%u.png", png_dir, name, i);
    if (png_write_rgb(d->png, pic, d->width, d->height, err, sizeof(err))) {
        results_fail(res, "cannot write %s: %s", d->png, err);
        free(d->png);
        d->png = NULL;
    }
}

/* Whether display i's digest is read: by the JSON (every one unless digest_shown_only), the
 * verdict line (displays[0] when active) or an expected sha256 (digest_also). */
static bool digest_read(const struct results *res, uint32_t i)
{
    return !res->digest_shown_only || (i == 0 && res->displays[0].active) ||
           (res->digest_also >> i & 1u);
}

void results_fill_displays(struct results *res, const struct machine *m, const char *png_dir,
                           const char *name)
{
    res->n_displays = mq_display_count(m);
    for (uint32_t i = 0; i < res->n_displays || i == 0; i++) {
        struct result_display *d = &res->displays[i];
        struct mq_display q;
        mq_display(m, i, &q);
        *d = (struct result_display){.state = q.state, .active = q.active, .width = q.width,
                                     .height = q.height, .resource = q.resource,
                                     .flushes = q.flushes, .cursor = q.cursor,
                                     .cursor_resource = q.cursor_resource,
                                     .cursor_x = q.cursor_x, .cursor_y = q.cursor_y,
                                     .cursor_hot_x = q.cursor_hot_x,
                                     .cursor_hot_y = q.cursor_hot_y};
        if (i >= res->n_displays) /* displays[0] of a device without one: its state only */
            break;
        bool hash = digest_read(res, i), keep = res->picture_kept >> i & 1u;
        if (!hash && !keep && !png_dir) { /* nobody reads its picture */
            d->dark = mq_display_dark(m, i, d->dark_reason, sizeof(d->dark_reason));
            continue;
        }
        uint8_t *owned;
        const uint8_t *pic = mq_display_picture(m, i, &owned);
        if (hash)
            picture_sha256(pic, pic ? (size_t)d->width * d->height * 3 : 0, d->sha256);
        d->dark = mq_display_dark(m, i, d->dark_reason, sizeof(d->dark_reason));
        if (png_dir && pic)
            write_png(res, i, pic, png_dir, name);
        if (keep) {
            d->picture = pic;
            d->picture_owned = owned;
        } else {
            free(owned);
        }
    }
}

void results_drop_pictures(struct results *res)
{
    for (uint32_t i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++) {
        free(res->displays[i].picture_owned);
        res->displays[i].picture = NULL;
        res->displays[i].picture_owned = NULL;
    }
}
