/* judge.c — see judge.h. */
#include "harness/judge.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_gpu.h"
#include "model/query.h"
#include "harness/patterns.h"
#include "harness/png_writer.h"
#include "harness/reference_png.h"

/* A step with `expect_response`: the device's answer must be exactly that; an expected error
 * response is the step doing its job (the run goes on). */
static void judge_response(const struct scenario_step *st, struct step_result *sr,
                           uint32_t index, struct results *res)
{
    if (!st->has_expect_response)
        return;
    const char *want = response_name(st->expect_response);
    const char *got = response_name(sr->response);
    if (sr->response == st->expect_response) {
        if (sr->status == ST_DEVICE_ERROR && vgpu_status_from_response(sr->response, 0) ==
                                                 sr->driver_status)
            sr->status = ST_OK;
        return;
    }
    if (got)
        results_fail(res, "step %u (%s, line %d): expected response %s, got %s", index, sr->name,
                     st->line, want, got);
    else
        results_fail(res, "step %u (%s, line %d): expected response %s, got none (%s)", index,
                     sr->name, st->line, want, vgpu_status_name(sr->driver_status));
}

void judge_step(const struct scenario_step *st, struct step_result *sr, uint32_t index,
                struct results *res)
{
    judge_response(st, sr, index, res);
    /* `expect_status`: the driver must return exactly that status */
    if (st->has_expect_status && sr->driver_status != st->expect_status)
        results_fail(res, "step %u (%s, line %d): expected driver status %s, got %s", index,
                     sr->name, st->line, vgpu_status_name(st->expect_status),
                     vgpu_status_name(sr->driver_status));
}

/* expect.driver and expect.memory_outside_buffers (the hostile-device scenarios). */
static void judge_hostile(const struct scenario *sc, struct results *res)
{
    const struct result_driver *d = &res->driver;
    if (sc->expect_broken_set && d->broken != sc->expect_broken)
        results_fail(res, "expected the driver %s, it is %s",
                     sc->expect_broken ? "latched broken" : "not broken",
                     d->broken ? "broken" : "not broken");
    const char *want = vgpu_status_name(sc->expect_broken_status);
    if (sc->expect_broken_status_set && (!d->broken_status || strcmp(d->broken_status, want)))
        results_fail(res, "expected the driver latched broken by %s, got %s", want,
                     d->broken_status ? d->broken_status : "no latch");
    uint32_t qb = (d->control.set_up && d->control.broken ? 1u : 0u) |
                  (d->cursor.set_up && d->cursor.broken ? 2u : 0u);
    static const char *const sets[] = {"[]", "[control]", "[cursor]", "[control, cursor]"};
    if (sc->expect_queues_broken_set && qb != sc->expect_queues_broken)
        results_fail(res, "expected the queues latched broken to be %s, they are %s",
                     sets[sc->expect_queues_broken & 3u], sets[qb]);
    if (!sc->expect_memory)
        return;
    const struct result_memory *mr = &res->memory;
    if (!mr->judged)
        results_fail(res, "guest memory outside the driver's buffers could not be judged (%u "
                          "allocations)", mr->allocations);
    else if (!strcmp(sc->expect_memory, "untouched") && mr->changed_bytes)
        results_fail(res, "%llu bytes of guest memory outside the driver's buffers changed, the "
                          "first at 0x%llx", (unsigned long long)mr->changed_bytes,
                     (unsigned long long)mr->first_changed);
    else if (!strcmp(sc->expect_memory, "changed") && !mr->changed_bytes)
        results_fail(res, "expected guest memory outside the driver's buffers to change; it did "
                          "not");
}

/* Write the actual picture (when no PNG was written yet) and a diff image (differing pixels
 * red over a dimmed picture) beside a reference that does not match. */
static void write_mismatch(struct results *res, const char *png_dir, const char *name,
                           uint32_t scanout, const uint8_t *pic, const uint8_t *ref, uint32_t w,
                           uint32_t h)
{
    struct result_display *so = &res->displays[scanout];
    char err[256];
    const char *dir = png_dir ? png_dir : ".";
    size_t n = strlen(dir) + strlen(name) + 40;
    if (!so->png && (so->png = malloc(n))) {
        snprintf(so->png, n, "%s/%s-scanout%u-actual.png", dir, name, scanout);
        if (png_write_rgb(so->png, pic, w, h, err, sizeof(err))) {
            free(so->png);
            so->png = NULL;
        }
    }
    uint8_t *diff = malloc((size_t)w * h * 3);
    if (diff && (so->diff_png = malloc(n))) {
        for (uint64_t i = 0; i < (uint64_t)w * h; i++) {
            bool differs = memcmp(pic + i * 3, ref + i * 3, 3) != 0;
            for (int k = 0; k < 3; k++)
                diff[i * 3 + k] = differs ? (k == 0 ? 255 : 0) : (uint8_t)(pic[i * 3 + k] / 4);
        }
        snprintf(so->diff_png, n, "%s/%s-scanout%u-diff.png", dir, name, scanout);
        if (png_write_rgb(so->diff_png, diff, w, h, err, sizeof(err))) {
            free(so->diff_png);
            so->diff_png = NULL;
        }
    }
    free(diff);
}

/* Compare a scanout with a reference PNG; a mismatch is a failure naming the first pixel that
 * differs, with the actual picture and a diff image written. */
static void compare_png(struct results *res, const char *png_dir, const struct scenario *sc,
                        const struct display_expect *x, const uint8_t *pic, uint32_t w,
                        uint32_t h)
{
    char err[256];
    uint8_t *ref = NULL;
    uint32_t rw = 0, rh = 0;
    if (reference_png_read(x->png, &ref, &rw, &rh, err, sizeof(err))) {
        results_fail(res, "scanout %u: cannot read reference %s: %s", x->scanout, x->png, err);
        return;
    }
    uint64_t bad = 0;
    uint32_t fx = 0, fy = 0;
    if (rw != w || rh != h) {
        results_fail(res, "scanout %u is %ux%u, reference %s is %ux%u", x->scanout, w, h, x->png,
                     rw, rh);
        free(ref);
        return;
    }
    bool same = !memcmp(pic, ref, (size_t)w * h * 3); /* (most are) */
    for (uint64_t i = 0; !same && i < (uint64_t)w * h; i++)
        if (memcmp(pic + i * 3, ref + i * 3, 3) && bad++ == 0)
            fx = (uint32_t)(i % w), fy = (uint32_t)(i / w);
    if (bad) {
        write_mismatch(res, png_dir, sc->name, x->scanout, pic, ref, w, h);
        const struct result_display *so = &res->displays[x->scanout];
        const uint8_t *g = pic + ((uint64_t)fy * w + fx) * 3;
        const uint8_t *e = ref + ((uint64_t)fy * w + fx) * 3;
        results_fail(res, "scanout %u differs from %s in %llu of %u pixels; first at (%u,%u): "
                          "#%02x%02x%02x instead of #%02x%02x%02x (actual: %s, diff: %s)",
                     x->scanout, x->png, (unsigned long long)bad, w * h, fx, fy, g[0], g[1], g[2],
                     e[0], e[1], e[2], so->png ? so->png : "not written",
                     so->diff_png ? so->diff_png : "not written");
    }
    free(ref);
}

/* The picture against a pattern, pixel by pixel; a failure names the first that differs. */
static void compare_pattern(struct results *res, const struct display_expect *x,
                            const struct result_display *so, const uint8_t *pic)
{
    uint64_t bad = 0;
    uint32_t fx = 0, fy = 0, got = 0, want = 0;
    uint32_t *row = malloc((so->width ? so->width : 1) * sizeof(*row));
    uint8_t *bytes = malloc((so->width ? so->width : 1) * 3u);
    uint32_t *kinds = malloc((so->width ? so->width : 1) * 4u * PATTERN_ROW_KINDS);
    uint8_t *kinds_rgb = malloc((so->width ? so->width : 1) * 3u * PATTERN_ROW_KINDS);
    bool ok = row && bytes && kinds && kinds_rgb;
    struct pattern_rows rows;
    pattern_rows_init(&rows, x->pattern, so->width, so->height, kinds, kinds_rgb);
    for (uint32_t y = 0; ok && y < so->height; y++) {
        pattern_rows_get_rgb(&rows, y, bytes); /* the row as the picture holds it */
        if (!memcmp(bytes, pic + (uint64_t)y * so->width * 3, (size_t)so->width * 3))
            continue; /* the row is right (most are): no pixel to count */
        pattern_rows_get(&rows, y, row);
        for (uint32_t xx = 0; xx < so->width; xx++) {
            const uint8_t *p = pic + ((uint64_t)y * so->width + xx) * 3;
            uint32_t gv = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            if (gv != row[xx] && bad++ == 0)
                fx = xx, fy = y, got = gv, want = row[xx];
        }
    }
    if (!ok)
        results_fail(res, "out of memory comparing scanout %u with pattern '%s'", x->scanout,
                     x->pattern);
    free(kinds);
    free(kinds_rgb);
    free(row);
    free(bytes);
    if (bad)
        results_fail(res, "display differs from pattern '%s' in %llu of %u pixels; first at "
                          "(%u,%u): #%06x instead of #%06x%s%s", x->pattern,
                     (unsigned long long)bad, so->width * so->height, fx, fy, got, want,
                     so->dark ? "; " : "", so->dark ? so->dark_reason : "");
}

/* Scanout i's picture: the one results_fill_displays kept (results.picture_kept), else looked
 * at now (a composed copy in *owned, which the caller frees). Both are the same bytes: nothing
 * runs between the two (asserted in test builds). */
static const uint8_t *picture(const struct machine *m, const struct result_display *so,
                              uint32_t i, uint8_t **owned)
{
    *owned = NULL;
    if (!so->picture)
        return mq_display_picture(m, i, owned);
#ifndef NDEBUG
    uint8_t *copy;
    const uint8_t *again = mq_display_picture(m, i, &copy);
    assert(again && !memcmp(again, so->picture, (size_t)so->width * so->height * 3));
    free(copy);
#endif
    return so->picture;
}

static void judge_display(const struct scenario *sc, const char *png_dir,
                          const struct machine *m, struct results *res,
                          const struct display_expect *x)
{
    if (x->scanout >= res->n_displays) {
        results_fail(res, "expected scanout %u, the device has %u", x->scanout, res->n_displays);
        return;
    }
    const struct result_display *so = &res->displays[x->scanout];
    const char *dark = so->dark ? so->dark_reason : "";
    if (x->active_set && so->active != x->active)
        results_fail(res, "expected scanout %u %s, it is %s%s%s", x->scanout,
                     x->active ? "active" : "not active", so->state, so->dark ? ": " : "", dark);
    if (x->state && strcmp(x->state, so->state) != 0)
        results_fail(res, "expected scanout %u %s, it is %s%s%s", x->scanout, x->state,
                     so->state, so->dark ? ": " : "", dark);
    if (x->dark_set && so->dark != x->dark)
        results_fail(res, "expected scanout %u %s, it %s", x->scanout, x->dark ? "dark" : "lit",
                     so->dark ? so->dark_reason : "shows what the driver flushed");
    if (x->cursor_set && so->cursor != x->cursor)
        results_fail(res, "expected %s cursor on scanout %u", x->cursor ? "a" : "no", x->scanout);
    if (x->sha256 && strcmp(x->sha256, so->sha256) != 0)
        results_fail(res, "display sha256 is %s, expected %s%s%s", so->sha256, x->sha256,
                     so->dark ? "; " : "", dark);
    uint8_t *owned = NULL;
    const uint8_t *pic = (x->pattern || x->png) ? picture(m, so, x->scanout, &owned) : NULL;
    if (x->pattern && pic)
        compare_pattern(res, x, so, pic);
    if (x->png && pic)
        compare_png(res, png_dir, sc, x, pic, so->width, so->height);
    free(owned);
}

/* Findings of one kind (`what`) against the expected rule ids: each expected one reported, and
 * nothing else (each unexpected rule once). */
static void judge_rule_set(struct results *res, const char *what, const struct result_finding *f,
                           uint32_t n, char *const *want, uint32_t n_want)
{
    bool violations = !strcmp(what, "violation");
    for (uint32_t i = 0; i < n_want; i++) {
        bool found = false;
        for (uint32_t k = 0; k < n; k++)
            found |= !strcmp(f[k].rule, want[i]);
        if (!found && violations)
            results_fail(res, "expected rule %s to fire; it did not", want[i]);
        else if (!found)
            results_fail(res, "expected the informational finding %s; it was not reported",
                         want[i]);
    }
    for (uint32_t k = 0; k < n; k++) {
        bool expected = false, dup = false;
        for (uint32_t i = 0; i < n_want; i++)
            expected |= !strcmp(f[k].rule, want[i]);
        for (uint32_t j = 0; violations && j < k; j++)
            dup |= !strcmp(f[k].rule, f[j].rule);
        if (!expected && !dup && violations)
            results_fail(res, "unexpected violation of %s (§%s): %s", f[k].rule, f[k].section,
                         f[k].message);
        else if (!expected && !dup)
            results_fail(res, "unexpected informational finding %s: %s", f[k].rule,
                         f[k].message);
    }
}

/* The diagnosis: its first cause, every cause in order, and the evidence asked for. */
static void judge_diagnosis(const struct scenario *sc, struct results *res)
{
    const char *cause = res->n_causes ? res->causes[0].id : NULL;
    if (sc->expect_cause && (!cause || strcmp(cause, sc->expect_cause) != 0))
        results_fail(res, "expected diagnosis %s, got %s", sc->expect_cause,
                     cause ? cause : "none");
    if (sc->expect_causes_set) {
        char want[400] = "", got[400] = "";
        for (uint32_t i = 0; i < sc->n_expect_causes; i++)
            snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? ", " : "",
                     sc->expect_causes[i]);
        for (uint32_t i = 0; i < res->n_causes; i++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? ", " : "",
                     res->causes[i].id);
        if (strcmp(want, got) != 0)
            results_fail(res, "expected the causes [%s], got [%s]", want, got);
    }
    for (uint32_t i = 0; i < sc->n_expect_evidence; i++) {
        const char *k = sc->expect_evidence[i].key, *v = sc->expect_evidence[i].value;
        const char *got = results_evidence(res, k);
        if (!got || strcmp(got, v) != 0)
            results_fail(res, "expected diagnosis evidence %s = %s, got %s", k, v,
                         got ? got : "none");
    }
}

void judge_run(const struct scenario *sc, const char *png_dir, const struct machine *m,
               struct results *res)
{
    if (strcmp(sc->expect_outcome, res->outcome) != 0)
        results_fail(res, "expected outcome %s, got %s", sc->expect_outcome, res->outcome);
    /* Violations: exactly the expected set of rule ids fired. Informational findings: exactly
     * the expected set, when the scenario names one. */
    judge_rule_set(res, "violation", res->violations, res->n_violations, sc->expect_violations,
                   sc->n_expect_violations);
    if (sc->expect_informational_set)
        judge_rule_set(res, "informational", res->informational, res->n_informational,
                       sc->expect_informational, sc->n_expect_informational);
    judge_diagnosis(sc, res);
    for (uint32_t i = 0; i < sc->n_displays; i++)
        judge_display(sc, png_dir, m, res, &sc->displays[i]);
    judge_hostile(sc, res);
}
