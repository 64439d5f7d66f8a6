/* memory_guard.c — see memory_guard.h. */
#include "model/memory_guard.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/machine.h"
#include "model/resident_pages.h"

#define MG_PAGE RP_PAGE

static bool inside_alloc(const struct memory_guard *g, uint64_t a)
{
    for (uint32_t i = 0; i < g->n_alloc; i++)
        if (a >= g->alloc[i].start && a < g->alloc[i].end)
            return true;
    return false;
}

void memory_guard_on_alloc(struct machine *m, uint64_t addr, uint64_t size)
{
    struct memory_guard *g = &m->mguard;
    if (g->n_alloc >= MG_MAX_RANGES) {
        g->overflow = true;
        return;
    }
    g->alloc[g->n_alloc++] = (struct mg_range){addr, addr + size};
    if (!g->canary || g->n_band >= MG_MAX_RANGES)
        return;
    /* The band stops short of any allocation it would run into: those bytes are the driver's. */
    uint64_t start = addr + size, end = start + MG_CANARY_BAND;
    if (inside_alloc(g, start))
        return;
    for (uint32_t i = 0; i < g->n_alloc; i++)
        if (g->alloc[i].start > start && g->alloc[i].start < end)
            end = g->alloc[i].start;
    uint64_t ram_end = m->mem.base + m->mem.size;
    if (end > ram_end)
        end = ram_end;
    if (end <= start)
        return;
    uint8_t *p = gm_ptr(&m->mem, start, end - start);
    if (!p)
        return;
    memset(p, MG_CANARY_BYTE, end - start);
    g->band[g->n_band++] = (struct mg_range){start, end};
}

/* Expected content of one page outside allocations: 0 fresh RAM, 1 canary, 2 not judged. */
static void page_map(const struct memory_guard *g, uint64_t page, uint8_t *map)
{
    memset(map, 0, MG_PAGE);
    for (uint32_t i = 0; i < g->n_band; i++) {
        const struct mg_range *r = &g->band[i];
        if (r->end <= page || r->start >= page + MG_PAGE)
            continue;
        uint64_t s = r->start > page ? r->start - page : 0;
        uint64_t e = r->end < page + MG_PAGE ? r->end - page : MG_PAGE;
        memset(map + s, 1, e - s);
    }
    for (uint32_t i = 0; i < g->n_alloc; i++) {
        const struct mg_range *r = &g->alloc[i];
        if (r->end <= page || r->start >= page + MG_PAGE)
            continue;
        uint64_t s = r->start > page ? r->start - page : 0;
        uint64_t e = r->end < page + MG_PAGE ? r->end - page : MG_PAGE;
        memset(map + s, 2, e - s);
    }
}

/* Whether one allocation covers the whole page: none of its bytes is judged. */
static bool page_in_one_alloc(const struct memory_guard *g, uint64_t page)
{
    for (uint32_t i = 0; i < g->n_alloc; i++)
        if (g->alloc[i].start <= page && g->alloc[i].end >= page + MG_PAGE)
            return true;
    return false;
}

/* Whether a canary band reaches into the page (its bytes must read MG_CANARY_BYTE, not 0). */
static bool page_has_band(const struct memory_guard *g, uint64_t page)
{
    for (uint32_t i = 0; i < g->n_band; i++)
        if (g->band[i].end > page && g->band[i].start < page + MG_PAGE)
            return true;
    return false;
}

static bool page_all_zero(const uint8_t *p)
{
    uint64_t acc = 0;
    for (uint32_t k = 0; k < MG_PAGE; k += 8) {
        uint64_t w;
        memcpy(&w, p + k, sizeof(w));
        acc |= w;
    }
    return acc == 0;
}

/* Bytes [k, end) of the page against the map (page_map), counted one by one. */
static void count_bytes(const uint8_t *map, const uint8_t *p, uint64_t page, uint32_t k,
                        uint32_t end, struct mg_result *out)
{
    for (; k < end; k++) {
        if (map[k] == 2)
            continue;
        uint8_t want = map[k] ? MG_CANARY_BYTE : 0;
        if (p[k] != want && out->changed_bytes++ == 0)
            out->first_changed = page + k;
    }
}

#define MG_BYTES8(b) (0x0101010101010101ull * (b))

/* The same, eight bytes at a time where the map's eight agree (all allocated: skipped; all
 * fresh, all canary: one compare that holds), byte by byte where they do not or differ. */
static void count_words(const uint8_t *map, const uint8_t *p, uint64_t page,
                        struct mg_result *out)
{
    for (uint32_t k = 0; k < MG_PAGE; k += 8) {
        uint64_t mw, pw;
        memcpy(&mw, map + k, sizeof(mw));
        memcpy(&pw, p + k, sizeof(pw));
        if (mw == MG_BYTES8(2) || (mw == 0 && pw == 0) ||
            (mw == MG_BYTES8(1) && pw == MG_BYTES8(MG_CANARY_BYTE)))
            continue;
        count_bytes(map, p, page, k, k + 8, out);
    }
}

/* The page's bytes outside the allocations against what they must be (page_map), counted. */
static void page_judge(const struct memory_guard *g, uint64_t page, const uint8_t *p,
                       uint8_t *map, struct mg_result *out)
{
    /* The common cases need no byte map: a page inside one allocation (nothing judged), and a
     * page with no canary that reads all zero (nothing outside the allocations can differ). */
    if (page_in_one_alloc(g, page) || (!page_has_band(g, page) && page_all_zero(p)))
        return;
    page_map(g, page, map);
#ifndef NDEBUG /* test builds: the word-wise count is the byte-wise one */
    struct mg_result slow = *out;
    count_bytes(map, p, page, 0, MG_PAGE, &slow);
#endif
    count_words(map, p, page, out);
    assert(out->changed_bytes == slow.changed_bytes && out->first_changed == slow.first_changed);
}

/* What the walk over resident runs needs. */
struct mg_walk {
    const struct machine *m;
    uint8_t *map;
    struct mg_result *out;
};

static void judge_pages(void *ctx, size_t first, size_t n)
{
    struct mg_walk *w = ctx;
    for (size_t i = first; i < first + n; i++) {
        w->out->pages_scanned++;
        page_judge(&w->m->mguard, w->m->mem.base + (uint64_t)i * MG_PAGE,
                   w->m->mem.host + (uint64_t)i * MG_PAGE, w->map, w->out);
    }
}

void memory_guard_check(const struct machine *m, struct mg_result *out)
{
    const struct memory_guard *g = &m->mguard;
    memset(out, 0, sizeof(*out));
    out->allocations = g->n_alloc;
    /* No allocation known (a replayed recording: the guest's memory is its own business; a driver
     * that took no DMA memory through the HAL): nothing says which memory is the driver's, so
     * "outside its buffers" means nothing — not judged, rather than every guest byte "changed". */
    if (g->n_alloc == 0 || g->overflow || !m->mem.host || m->mem.size % MG_PAGE ||
        m->mem.base % MG_PAGE)
        return;
    uint8_t *map = malloc(MG_PAGE);
    if (!map)
        return;
    /* Pages the host never made resident still read as zero: nothing there can differ. Where
     * the host cannot say (resident_pages.h), every page is looked at. */
    struct mg_walk w = {m, map, out};
    if (resident_runs(m->mem.host, m->mem.size, judge_pages, &w) != 0)
        judge_pages(&w, 0, m->mem.size / MG_PAGE);
    out->judged = true;
    free(map);
}
