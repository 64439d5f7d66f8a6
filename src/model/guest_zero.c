/* guest_zero.c — see guest_zero.h. */
#include "model/guest_zero.h"

#include <stdlib.h>

#include "model/resident_pages.h"

struct zero_scan {
    struct gm_zero_map *z;
    uint64_t first_gpa;
    bool failed;
};

static void note_written(void *ctx, size_t first, size_t n)
{
    struct zero_scan *s = ctx;
    struct gm_zero_map *z = s->z;
    if (s->failed)
        return;
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 16;
        uint64_t *g = realloc(z->run, cap * 2 * sizeof(*g));
        if (!g) {
            s->failed = true;
            return;
        }
        z->run = g;
        z->cap = cap;
    }
    z->run[2 * z->n] = s->first_gpa + (uint64_t)first * RP_PAGE;
    z->run[2 * z->n + 1] = s->first_gpa + (uint64_t)(first + n) * RP_PAGE;
    z->n++;
}

void gm_zero_scan(const struct guest_memory *gm, uint64_t gpa, uint64_t len,
                  struct gm_zero_map *z)
{
    z->known = false;
    z->n = 0;
    uint64_t end = gpa + len < gpa ? UINT64_MAX : gpa + len;
    if (!gm->host || len == 0 || end <= gm->base || gpa >= gm->base + gm->size)
        return;
    uint64_t lo = (gpa < gm->base ? 0 : gpa - gm->base) & ~(uint64_t)(RP_PAGE - 1);
    uint64_t hi = end - gm->base > gm->size ? gm->size : end - gm->base;
    hi = (hi + RP_PAGE - 1) & ~(uint64_t)(RP_PAGE - 1);
    if (hi > gm->size) /* RAM of a size not a multiple of pages: its last page is not asked */
        hi -= RP_PAGE;
    if (hi <= lo)
        return;
    struct zero_scan s = {z, gm->base + lo, false};
    if (written_runs(gm->host + lo, hi - lo, note_written, &s) != 0 || s.failed)
        return;
    z->known = true;
    z->lo = gm->base + lo;
    z->hi = gm->base + hi;
}

bool gm_zero_known(const struct gm_zero_map *z, uint64_t lo, uint64_t hi_excl)
{
    if (!z->known || lo < z->lo || hi_excl > z->hi || hi_excl < lo)
        return false;
    size_t a = 0, b = z->n; /* the first run ending after lo */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (z->run[2 * mid + 1] <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a == z->n || z->run[2 * a] >= hi_excl;
}

void gm_zero_free(struct gm_zero_map *z)
{
    free(z->run);
    *z = (struct gm_zero_map){.known = false};
}
