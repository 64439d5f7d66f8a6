/* guest_memory.c — see guest_memory.h. */
#include "model/guest_memory.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/ram_pool.h"

/* One inaccessible page on each side of RAM: a host access that strays past either end of guest
 * memory faults at once instead of reading a neighbouring mapping (the fuzz targets rely on it). */
#define GM_GUARD 4096u

int gm_init(struct guest_memory *gm, uint64_t base, uint64_t size)
{
    memset(gm, 0, sizeof(*gm));
    if (size == 0 || base + size < base || size > SIZE_MAX - 2 * GM_GUARD)
        return -1;
    uint8_t *p = mmap(NULL, size + 2 * GM_GUARD, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (mprotect(p + GM_GUARD, size, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, size + 2 * GM_GUARD);
        return -1;
    }
    gm->base = base;
    gm->size = size;
    gm->host = p + GM_GUARD;
    return 0;
}

int gm_clear(struct guest_memory *gm)
{
    if (!gm->host)
        return -1;
    gm->n_runs = 0; /* their pages are dropped too */
    return madvise(gm->host, gm->size, MADV_DONTNEED) == 0 ? 0 : -1;
}

void gm_destroy(struct guest_memory *gm)
{
    if (gm->host) {
        struct ram_piece piece[GM_MAX_RUNS];
        for (uint32_t i = 0; i < gm->n_runs; i++)
            piece[i] = (struct ram_piece){gm->host + gm->runs[i].off, gm->runs[i].len};
        ram_pool_take(piece, gm->n_runs);
        munmap(gm->host - GM_GUARD, gm->size + 2 * GM_GUARD);
    }
    memset(gm, 0, sizeof(*gm));
}

static void note_run(struct guest_memory *gm, uint8_t *p, size_t len)
{
    if (len >= RAM_POOL_MIN_RUN && gm->n_runs < GM_MAX_RUNS)
        gm->runs[gm->n_runs++] = (struct gm_run){(uint64_t)(p - gm->host), len};
}

struct placing {
    struct guest_memory *gm;
    uint8_t *at;
    size_t done; /* pieces are placed from `at` on, one after the other */
};

static void placed(void *ctx, size_t off, size_t n)
{
    struct placing *c = ctx;
    note_run(c->gm, c->at + off, n); /* a mapping of its own: taken back as one */
    c->done = off + n;
}

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 (include/uapi/asm-generic/mman-common.h) */
#endif

/* Whole pages [a, a + n) resident at once (a refusal changes nothing: memset faults them in). */
static void populate(uint8_t *a, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    if (n >= 2 * GM_GUARD) /* one page: its fault costs what the call does */
        (void)madvise(a, n, MADV_POPULATE_WRITE);
#else
    (void)a, (void)n;
#endif
}

void gm_zero(struct guest_memory *gm, uint8_t *p, uint64_t len)
{
    const uintptr_t page = GM_GUARD;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + page - 1) & ~(page - 1));
    uint8_t *e = (uint8_t *)(((uintptr_t)p + len) & ~(page - 1));
    if (e > a) {
        size_t n = (size_t)(e - a), done = 0;
        if (n >= RAM_POOL_MIN_RUN) {
            struct placing c = {gm, a, 0};
            ram_pool_place(a, n, placed, &c);
            done = c.done;
            note_run(gm, a + done, n - done); /* the rest: the kernel's pages, pooled at the end */
        }
        populate(a + done, n - done);
    }
    memset(p, 0, len);
}
