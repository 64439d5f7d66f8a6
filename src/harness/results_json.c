/* results_json.c — see results_json.h. */
#include "harness/results_json.h"

#include <stdio.h>
#include <string.h>

#include "driver/virtio_gpu.h"
#include "spec/feature_names.h"
#include "spec/spec_version.h"

void results_json_begin(struct jw *w)
{
    jw_obj_begin(w);
    jw_kstr(w, "schema", VQSIM_RESULTS_SCHEMA);
    jw_kstr(w, "vqsim_version", VQSIM_VERSION);
    jw_key(w, "scenarios");
    jw_arr_begin(w);
}

void results_json_end(struct jw *w, unsigned total, unsigned passed)
{
    jw_arr_end(w);
    jw_key(w, "summary");
    jw_obj_begin(w);
    jw_ku64(w, "total", total);
    jw_ku64(w, "passed", passed);
    jw_ku64(w, "failed", total - passed);
    jw_obj_end(w);
    jw_obj_end(w);
}

/* A feature mask as a list of names (bitN for bits without a name on this device). */
static void json_features(struct jw *w, const char *key, uint64_t bits, const char *device)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (uint32_t b = 0; b < 64; b++) {
        if (!(bits >> b & 1))
            continue;
        const char *name = feature_name_of(device, b);
        if (name) {
            jw_str(w, name);
        } else {
            char tmp[16];
            snprintf(tmp, sizeof(tmp), "bit%u", b);
            jw_str(w, tmp);
        }
    }
    jw_arr_end(w);
}

static void json_expected(struct jw *w, const struct scenario *s)
{
    jw_key(w, "expected");
    jw_obj_begin(w);
    jw_kstr(w, "outcome", s->expect_outcome);
    jw_key(w, "violations");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < s->n_expect_violations; i++)
        jw_str(w, s->expect_violations[i]);
    jw_arr_end(w);
    jw_kstr(w, "cause", s->expect_cause);
    if (s->expect_memory)
        jw_kstr(w, "memory_outside_buffers", s->expect_memory);
    if (s->expect_broken_set || s->expect_broken_status_set || s->expect_queues_broken_set) {
        jw_key(w, "driver");
        jw_obj_begin(w);
        if (s->expect_broken_set)
            jw_kbool(w, "broken", s->expect_broken);
        if (s->expect_broken_status_set)
            jw_kstr(w, "broken_status", vgpu_status_name(s->expect_broken_status));
        if (s->expect_queues_broken_set) {
            jw_key(w, "queues_broken");
            jw_arr_begin(w);
            if (s->expect_queues_broken & 1u)
                jw_str(w, "control");
            if (s->expect_queues_broken & 2u)
                jw_str(w, "cursor");
            jw_arr_end(w);
        }
        jw_obj_end(w);
    }
    jw_key(w, "display");
    if (!s->n_displays) {
        jw_null(w);
    } else {
        if (s->n_displays > 1)
            jw_arr_begin(w);
        for (uint32_t i = 0; i < s->n_displays; i++) {
            const struct display_expect *x = &s->displays[i];
            jw_obj_begin(w);
            if (s->n_displays > 1 || x->scanout)
                jw_ku64(w, "scanout", x->scanout);
            if (x->active_set)
                jw_kbool(w, "active", x->active);
            if (x->dark_set)
                jw_kbool(w, "dark", x->dark);
            if (x->cursor_set)
                jw_kbool(w, "cursor", x->cursor);
            if (x->sha256)
                jw_kstr(w, "sha256", x->sha256);
            if (x->pattern)
                jw_kstr(w, "pattern", x->pattern);
            if (x->png)
                jw_kstr(w, "png", x->png);
            jw_obj_end(w);
        }
        if (s->n_displays > 1)
            jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void json_driver_queue(struct jw *w, const char *key, const struct result_driver_queue *q)
{
    jw_key(w, key);
    if (!q->set_up) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_kbool(w, "broken", q->broken);
    jw_kstr(w, "broken_status", q->broken_status);
    jw_ku64(w, "len_clamped", q->len_clamped);
    jw_obj_end(w);
}

/* What the driver latched (its broken state, by queue) and whether guest memory outside its
 * DMA allocations stayed as it was (model/memory_guard.h). */
static void json_driver(struct jw *w, const struct results *res)
{
    const struct result_driver *d = &res->driver;
    jw_key(w, "driver");
    jw_obj_begin(w);
    jw_kbool(w, "broken", d->broken);
    jw_kstr(w, "broken_status", d->broken_status);
    jw_kbool(w, "stalled", d->stalled);
    jw_kstr(w, "used_len", d->used_len);
    json_driver_queue(w, "control_queue", &d->control);
    json_driver_queue(w, "cursor_queue", &d->cursor);
    jw_obj_end(w);
    const struct result_memory *m = &res->memory;
    jw_key(w, "memory_outside_buffers");
    jw_obj_begin(w);
    jw_kstr(w, "state", !m->judged ? "not-judged" : m->changed_bytes ? "changed" : "untouched");
    jw_kbool(w, "canary", m->canary);
    jw_ku64(w, "allocations", m->allocations);
    jw_ku64(w, "pages_scanned", m->pages_scanned);
    jw_ku64(w, "changed_bytes", m->changed_bytes);
    jw_key(w, "first_changed");
    if (m->changed_bytes)
        jw_hex(w, m->first_changed);
    else
        jw_null(w);
    jw_obj_end(w);
}

/* One scanout as a person would see it: state, mode, picture hash, files, and why it is dark. */
static void json_display(struct jw *w, const struct results *res, uint32_t i)
{
    const struct result_display *d = &res->displays[i];
    jw_obj_begin(w);
    jw_ku64(w, "scanout", i);
    jw_kstr(w, "state", d->state);
    jw_kbool(w, "active", d->active);
    jw_ku64(w, "width", d->width);
    jw_ku64(w, "height", d->height);
    jw_ku64(w, "resource", d->resource);
    jw_ku64(w, "flushes", d->flushes);
    jw_kbool(w, "dark", d->dark);
    jw_kstr(w, "dark_reason", d->dark ? d->dark_reason : NULL);
    jw_key(w, "cursor");
    if (d->cursor) {
        jw_obj_begin(w);
        jw_ku64(w, "resource", d->cursor_resource);
        jw_ku64(w, "x", d->cursor_x);
        jw_ku64(w, "y", d->cursor_y);
        jw_ku64(w, "hot_x", d->cursor_hot_x);
        jw_ku64(w, "hot_y", d->cursor_hot_y);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_kstr(w, "sha256", d->sha256);
    jw_kstr(w, "png", d->png);
    jw_kstr(w, "diff_png", d->diff_png);
    jw_obj_end(w);
}

static void json_maybe_hex(struct jw *w, const char *key, bool has, uint64_t v)
{
    jw_key(w, key);
    if (has)
        jw_hex(w, v);
    else
        jw_null(w);
}

/* Each queue set up: where the driver put it (and where that comes from), where the device
 * looks, and the device's indices. */
static void json_queues(struct jw *w, const struct results *res)
{
    jw_key(w, "queues");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_queues; i++) {
        const struct result_queue *q = &res->queues[i];
        jw_obj_begin(w);
        jw_ku64(w, "index", q->index);
        jw_key(w, "size");
        if (q->has_num)
            jw_u64(w, q->num);
        else
            jw_null(w);
        jw_key(w, "driver");
        jw_obj_begin(w);
        json_maybe_hex(w, "desc", q->has_desc, q->desc);
        json_maybe_hex(w, "avail", q->has_avail, q->avail);
        json_maybe_hex(w, "used", q->has_used, q->used);
        jw_kstr(w, "source", q->source);
        jw_obj_end(w);
        jw_key(w, "device");
        jw_obj_begin(w);
        jw_khex(w, "desc", q->dev_desc);
        jw_khex(w, "avail", q->dev_avail);
        jw_khex(w, "used", q->dev_used);
        jw_ku64(w, "size", q->dev_size);
        jw_kbool(w, "ready", q->dev_ready);
        jw_obj_end(w);
        jw_ku64(w, "avail_idx", q->avail_idx);
        jw_ku64(w, "used_idx", q->used_idx);
        results_chains_json(w, &q->chains); /* the chains the device met (results_chains.h) */
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* The fields of one trace event that its kind has, inside its open object. */
static void json_event_fields(struct jw *w, const struct result_event *e)
{
    switch (e->kind) {
    case RE_MMIO_READ:
    case RE_MMIO_WRITE:
        jw_khex(w, "offset", e->addr);
        jw_kstr(w, "reg", e->what);
        jw_khex(w, "value", e->value);
        break;
    case RE_RING_STORE:
    case RE_RING_LOAD:
        jw_khex(w, "addr", e->addr);
        jw_ku64(w, "size", e->size);
        jw_khex(w, "value", e->value);
        jw_kstr(w, "what", e->what);
        if (e->count > 1)
            jw_ku64(w, "count", e->count);
        break;
    case RE_NOTIFY:
        jw_ku64(w, "queue", e->queue);
        break;
    case RE_POP:
        jw_ku64(w, "queue", e->queue);
        jw_ku64(w, "head", e->addr);
        jw_ku64(w, "avail_idx", e->value);
        break;
    case RE_USED:
        jw_ku64(w, "queue", e->queue);
        jw_khex(w, "addr", e->addr);
        jw_ku64(w, "id", e->id);
        jw_ku64(w, "len", e->value);
        break;
    case RE_IRQ:
        jw_khex(w, "value", e->value);
        jw_kstr(w, "what", e->what);
        jw_kbool(w, "line_rose", e->line_rose); /* false: InterruptStatus was already set */
        break;
    case RE_VIOLATION:
        jw_kstr(w, "rule", e->what);
        if (e->queue != RESULT_NO_QUEUE) /* the queue it is about, when it is about one */
            jw_ku64(w, "queue", e->queue);
        break;
    default:
        jw_kstr(w, "what", e->what);
        if (e->addr)
            jw_khex(w, "addr", e->addr);
        if (e->value)
            jw_ku64(w, "value", e->value);
        break;
    }
}

static void json_trace(struct jw *w, const struct results *res)
{
    if (res->trace_dropped) /* only past the bound (trace.h): the window below starts later */
        jw_ku64(w, "trace_dropped", res->trace_dropped);
    jw_key(w, "trace");
    jw_arr_begin(w);
    for (size_t i = 0; i < res->n_trace; i++) {
        const struct result_event *e = &res->trace[i];
        jw_obj_begin(w);
        jw_ku64(w, "t", e->t);
        jw_kstr(w, "kind", result_event_kind_name(e->kind));
        json_event_fields(w, e);
        if (e->note)
            jw_kstr(w, "note", e->note);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* The fields of one cause, inside an open object. */
static void json_cause(struct jw *w, const struct result_cause *c)
{
    jw_kstr(w, "cause", c->id);
    jw_kstr(w, "section", c->section);
    jw_kstr(w, "title", c->title);
    jw_kstr(w, "message", c->message);
    jw_key(w, "evidence");
    jw_obj_begin(w);
    for (int i = 0; i < c->n_evidence; i++)
        jw_kstr(w, c->evidence[i].key, c->evidence[i].value);
    jw_obj_end(w);
}

/* The first cause, flat (as schema 1 always had it), then every cause in order; null when the
 * run was not diagnosed (or there was nothing to say). */
static void json_diagnosis(struct jw *w, const struct results *res)
{
    jw_key(w, "diagnosis");
    if (!res->n_causes) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    json_cause(w, &res->causes[0]);
    jw_key(w, "causes");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_causes; i++) {
        jw_obj_begin(w);
        json_cause(w, &res->causes[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

/* Each finding: rule, section, title, level, message, time. */
static void json_findings(struct jw *w, const char *key, const struct result_finding *f,
                          uint32_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "rule", f[i].rule);
        jw_kstr(w, "section", f[i].section);
        if (f[i].spec[0]) /* a section of another VirtIO version than 1.1 */
            jw_kstr(w, "spec", f[i].spec);
        jw_kstr(w, "title", f[i].title);
        jw_kstr(w, "level", f[i].level);
        jw_kstr(w, "message", f[i].message);
        jw_ku64(w, "time_ns", f[i].time_ns);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* What this run could not judge (plain ring access: model/checks/barrier_check.h). */
static void json_not_judged(struct jw *w, const struct results *res)
{
    jw_key(w, "not_judged");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_not_judged; i++) {
        const struct result_not_judged *n = &res->not_judged[i];
        jw_obj_begin(w);
        jw_kstr(w, "rule", n->rule);
        jw_kstr(w, "judged", n->partly ? "partly" : "no");
        jw_kstr(w, "why", n->why);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void json_steps(struct jw *w, const struct results *res)
{
    jw_key(w, "steps");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_steps; i++) {
        const struct step_result *st = &res->steps[i];
        jw_obj_begin(w);
        jw_kstr(w, "step", st->name);
        jw_kstr(w, "status", step_status_name(st->status));
        jw_kstr(w, "driver_status", st->status == ST_SKIPPED ? NULL
                                                             : vgpu_status_name(st->driver_status));
        jw_key(w, "response");
        if (st->response)
            jw_hex(w, st->response);
        else
            jw_null(w);
        jw_kstr(w, "response_name", response_name(st->response));
        jw_ku64(w, "used_len", st->used_len);
        if (st->fence_id)
            jw_ku64(w, "fence_id", st->fence_id);
        jw_ku64(w, "time_ns", st->t);
        jw_kstr(w, "detail", st->detail);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* The device as the scenario configured it, with the features offered and negotiated. */
static void json_device(struct jw *w, const struct scenario *s, const struct results *res)
{
    jw_key(w, "device");
    jw_obj_begin(w);
    jw_kstr(w, "type", s->device_type ? s->device_type : "gpu"); /* device_registry.h */
    jw_kstr(w, "transport", s->transport_version == 1 ? "legacy" : "modern");
    jw_ku64(w, "version", s->transport_version);
    if (s->bus == SCN_BUS_PCI) /* only on PCI: a virtio-mmio run's JSON is as it was */
        jw_kstr(w, "bus", "pci");
    jw_kstr(w, "profile", s->profile == 1 ? "strict" : "qemu");
    jw_kstr(w, "memory", s->weak_memory ? "weak" : "strong");           /* barrier_check.h */
    jw_kstr(w, "ring_access", s->ring_access ? "plain" : "accessors");  /* barrier_check.h */
    jw_key(w, "ram"); /* guest RAM: the viewer draws nothing outside it as memory */
    jw_obj_begin(w);
    jw_khex(w, "base", s->ram_base);
    jw_khex(w, "size", s->ram_size);
    jw_obj_end(w);
    json_features(w, "offered", res->offered, s->device_type);
    json_features(w, "negotiated", res->negotiated, s->device_type);
    jw_key(w, "display");
    jw_obj_begin(w);
    jw_ku64(w, "width", s->display_width);
    jw_ku64(w, "height", s->display_height);
    jw_obj_end(w);
    jw_obj_end(w);
}

/* A replayed recording: what was read and replayed (harness/replay.h). */
static void json_source(struct jw *w, const struct result_source *src)
{
    jw_key(w, "source");
    jw_obj_begin(w);
    jw_kstr(w, "kind", "recording");
    jw_kstr(w, "recorder", src->recorder);
    jw_ku64(w, "events", src->events);
    jw_ku64(w, "skipped_unknown", src->skipped_unknown);
    jw_kbool(w, "truncated", src->truncated);
    jw_kbool(w, "ended", src->ended);
    jw_key(w, "exit_status");
    if (src->ended)
        jw_i64(w, src->exit_status);
    else
        jw_null(w);
    jw_kbool(w, "killed", src->killed);
    jw_kbool(w, "mmu_seen", src->mmu_seen);
    jw_ku64(w, "vcpus", src->vcpus);
    jw_khex(w, "window", src->window);
    jw_key(w, "replayed");
    jw_obj_begin(w);
    jw_ku64(w, "mmio", src->replayed.mmio);
    jw_ku64(w, "other_windows", src->replayed.other_windows);
    jw_ku64(w, "stores", src->replayed.stores);
    jw_ku64(w, "loads", src->replayed.loads);
    jw_ku64(w, "polls", src->replayed.polls);
    jw_ku64(w, "outside_loads", src->replayed.outside_loads);
    jw_ku64(w, "barriers", src->replayed.barriers);
    jw_ku64(w, "memory_dumps", src->replayed.memory_dumps);
    jw_ku64(w, "device_events", src->replayed.device_events);
    jw_ku64(w, "other_devices", src->replayed.other_devices);
    jw_ku64(w, "interrupt_status_ahead", src->replayed.interrupt_status_ahead);
    jw_obj_end(w);
    jw_key(w, "requests"); /* per queue: taken and answered by the model's device */
    jw_arr_begin(w);
    for (uint32_t q = 0; q < src->n_request_queues; q++) {
        jw_obj_begin(w);
        jw_ku64(w, "queue", q);
        jw_ku64(w, "taken", src->requests_taken[q]);
        jw_ku64(w, "answered", src->requests_answered[q]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_ku64(w, "discrepancies", src->discrepancies);
    jw_key(w, "notes");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < src->n_notes; i++) {
        jw_obj_begin(w);
        jw_ku64(w, "offset", src->notes[i].offset);
        jw_kstr(w, "text", src->notes[i].text);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

void results_json_scenario(struct jw *w, const struct scenario *s, const struct results *res)
{
    jw_obj_begin(w);
    jw_kstr(w, "name", s->name);
    jw_kstr(w, "file", s->file);
    jw_kstr(w, "description", s->description);
    jw_kbool(w, "passed", res->passed);
    jw_key(w, "failures");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_failures; i++)
        jw_str(w, res->failures[i]);
    jw_arr_end(w);
    jw_kstr(w, "outcome", res->outcome);
    /* the VirtIO version judged against, and the TC commit its section numbers come from */
    jw_kstr(w, "spec_version", res->spec_version ? res->spec_version : "qemu-7.2");
    jw_kstr(w, "spec_source", spec_version_source((enum spec_version)s->spec));
    json_expected(w, s);
    jw_key(w, "qemu"); /* tools/qemu_diff.py: why the real-QEMU differential leaves it out */
    jw_obj_begin(w);
    jw_kstr(w, "skip", s->qemu_skip);
    jw_obj_end(w);
    json_device(w, s, res);
    json_steps(w, res);
    json_findings(w, "violations", res->violations, res->n_violations);
    json_findings(w, "informational", res->informational, res->n_informational);
    json_not_judged(w, res);
    jw_key(w, "not_in_spec"); /* rules broken that do not hold in spec_version: not judged */
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_not_in_spec; i++)
        jw_str(w, res->not_in_spec[i]);
    jw_arr_end(w);
    json_diagnosis(w, res);
    jw_key(w, "display");
    json_display(w, res, 0);
    jw_key(w, "displays");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < res->n_displays; i++)
        json_display(w, res, i);
    jw_arr_end(w);
    json_driver(w, res);
    json_queues(w, res);
    json_trace(w, res);
    if (res->source.present)
        json_source(w, &res->source);
    jw_obj_end(w);
}
