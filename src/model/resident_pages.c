/* resident_pages.c — see resident_pages.h. */
#include "model/resident_pages.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#ifdef NDEBUG
#define RP_CROSS_CHECK 0
#else
#define RP_CROSS_CHECK 1
#include <assert.h>
#endif

#if defined(__linux__)
/* The PAGEMAP_SCAN interface (Linux 6.7, include/uapi/linux/fs.h), declared here for the older
 * headers the project builds with; a kernel without it answers ENOTTY / EINVAL. */
#define RP_PAGEMAP_SCAN _IOWR('f', 16, struct rp_scan_arg)
#define RP_PAGE_IS_PRESENT (1u << 3)
#define RP_PAGE_IS_SWAPPED (1u << 4)
#define RP_PAGE_IS_PFNZERO (1u << 5)
struct rp_region {
    uint64_t start, end, categories;
};
struct rp_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define RP_VEC 64u

/* /proc/self/pagemap of this process: opened once, again after a fork (vqsim run -j forks its
 * workers: an inherited descriptor would describe the parent's memory); machines on several
 * threads (hal_sim.h) share it. -1: not available. */
static int pagemap_fd(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static int fd = -1;
    static pid_t owner;
    static bool tried;
    pid_t me = getpid();
    pthread_mutex_lock(&lock);
    if (!tried || owner != me) {
        if (fd >= 0)
            close(fd);
        fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        owner = me;
        tried = true;
    }
    int r = fd;
    pthread_mutex_unlock(&lock);
    return r;
}

/* The runs through PAGEMAP_SCAN, gathered whole before the first is reported (a scan that
 * fails part way reports nothing): pages present or swapped, and with `nonzero` not the shared
 * zero page. -1 when the kernel has no PAGEMAP_SCAN (or it failed). */
static int scan(const uint8_t *p, size_t len, bool nonzero, void (*run)(void *, size_t, size_t),
                void *ctx)
{
    int fd = pagemap_fd();
    if (fd < 0)
        return -1;
    struct rp_region vec[RP_VEC];
    uint64_t at = (uint64_t)(uintptr_t)p, end = at + len;
    size_t n_runs = 0, cap = 0;
    uint64_t *runs = NULL; /* (first page, pages) pairs */
    int rc = 0;
    while (at < end && rc == 0) {
        struct rp_scan_arg a = {
            .size = sizeof(a), .start = at, .end = end, .vec = (uint64_t)(uintptr_t)vec,
            .vec_len = RP_VEC, .category_anyof_mask = RP_PAGE_IS_PRESENT | RP_PAGE_IS_SWAPPED,
            .return_mask = RP_PAGE_IS_PRESENT | RP_PAGE_IS_SWAPPED,
            /* a matching page: (categories ^ inverted) has every bit of mask */
            .category_mask = nonzero ? RP_PAGE_IS_PFNZERO : 0,
            .category_inverted = nonzero ? RP_PAGE_IS_PFNZERO : 0};
        int n = ioctl(fd, RP_PAGEMAP_SCAN, &a);
        if (n < 0 || a.walk_end <= at)
            rc = -1;
        for (int i = 0; i < n && rc == 0; i++) {
            uint64_t first = (vec[i].start - (uint64_t)(uintptr_t)p) / RP_PAGE;
            uint64_t k = (vec[i].end - vec[i].start) / RP_PAGE;
            if (n_runs && runs[2 * n_runs - 2] + runs[2 * n_runs - 1] == first) {
                runs[2 * n_runs - 1] += k; /* present then swapped, or split by a call: one run */
                continue;
            }
            if (n_runs == cap) {
                uint64_t *g = realloc(runs, (cap = cap ? 2 * cap : 32) * 2 * sizeof(*runs));
                if (!g) {
                    rc = -1;
                    break;
                }
                runs = g;
            }
            runs[2 * n_runs] = first, runs[2 * n_runs + 1] = k, n_runs++;
        }
        at = a.walk_end;
    }
    for (size_t i = 0; i < n_runs && rc == 0; i++)
        run(ctx, (size_t)runs[2 * i], (size_t)runs[2 * i + 1]);
    free(runs);
    return rc;
}
#endif

/* The runs through mincore: one byte per page. */
static int by_mincore(const uint8_t *p, size_t len, void (*run)(void *, size_t, size_t),
                      void *ctx)
{
    size_t pages = len / RP_PAGE;
    unsigned char *v = malloc(pages ? pages : 1);
    if (!v || mincore((void *)p, len, v) != 0) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < pages;) {
        uint64_t eight;
        if (i % 8 == 0 && i + 8 <= pages) { /* eight at a time where none is (a sparse guest) */
            __builtin_memcpy(&eight, v + i, 8);
            if (!(eight & 0x0101010101010101ull)) {
                i += 8;
                continue;
            }
        }
        if (!(v[i] & 1)) {
            i++;
            continue;
        }
        size_t first = i;
        while (i < pages && (v[i] & 1))
            i++;
        run(ctx, first, i - first);
    }
    free(v);
    return 0;
}

#if defined(__linux__) && RP_CROSS_CHECK
/* Test builds: what PAGEMAP_SCAN said, page by page, against mincore ... */
struct rp_mark {
    unsigned char *v;
};
static void mark(void *ctx, size_t first, size_t n)
{
    struct rp_mark *m = ctx;
    for (size_t i = 0; i < n; i++)
        m->v[first + i] = 1;
}
/* ... every page mincore calls resident is named (swapped pages: PAGEMAP_SCAN only); with
 * `nonzero`, one left out reads zero (one not resident reads zero anyway: a page of a private
 * anonymous mapping never touched). */
static void cross_check(const uint8_t *p, size_t len, bool nonzero)
{
    size_t pages = len / RP_PAGE;
    struct rp_mark a = {calloc(pages ? pages : 1, 1)}, b = {calloc(pages ? pages : 1, 1)};
    static const uint8_t zero[RP_PAGE];
    if (a.v && b.v && scan(p, len, nonzero, mark, &a) >= 0 && by_mincore(p, len, mark, &b) == 0)
        for (size_t i = 0; i < pages; i++)
            assert(a.v[i] || !b.v[i] || (nonzero && !memcmp(p + i * RP_PAGE, zero, RP_PAGE)));
    free(a.v);
    free(b.v);
}
#endif

/* A range the host can be asked about: whole pages of the size RP_PAGE assumes. */
static bool range_ok(const uint8_t *p, size_t len)
{
    return (size_t)sysconf(_SC_PAGESIZE) == RP_PAGE && (uintptr_t)p % RP_PAGE == 0 &&
           len % RP_PAGE == 0;
}

int resident_runs(const uint8_t *p, size_t len, void (*run)(void *ctx, size_t first, size_t n),
                  void *ctx)
{
    if (!range_ok(p, len))
        return -1;
#if defined(__linux__)
#if RP_CROSS_CHECK
    cross_check(p, len, false);
#endif
    if (scan(p, len, false, run, ctx) >= 0)
        return 0;
#endif
    return by_mincore(p, len, run, ctx);
}

int written_runs(const uint8_t *p, size_t len, void (*run)(void *ctx, size_t first, size_t n),
                 void *ctx)
{
    if (!range_ok(p, len))
        return -1;
#if defined(__linux__)
#if RP_CROSS_CHECK
    cross_check(p, len, true);
#endif
    return scan(p, len, true, run, ctx);
#else
    (void)run;
    (void)ctx;
    return -1;
#endif
}
