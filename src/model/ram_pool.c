/* ram_pool.c — see ram_pool.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
#include "model/ram_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>

#define POOL_MAX_RUNS 128u

struct pool_run {
    uint8_t *p;
    size_t len;
};

static _Thread_local struct {
    struct pool_run run[POOL_MAX_RUNS];
    uint32_t n;
    size_t bytes;
} pool;

/* A thread that ends gives its pool back to the kernel (a library's threads come and go). */
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_free(void *unused)
{
    (void)unused;
    for (uint32_t i = 0; i < pool.n; i++)
        munmap(pool.run[i].p, pool.run[i].len);
    pool.n = 0;
    pool.bytes = 0;
}

static void pool_key_create(void) { (void)pthread_key_create(&pool_key, pool_free); }

static bool move_to(uint8_t *src, size_t len, uint8_t *dst)
{
#if defined(__linux__) && defined(MREMAP_FIXED)
    return mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != MAP_FAILED;
#else
    (void)src, (void)len, (void)dst;
    return false; /* no mremap: the pool stays empty, every page comes fresh */
#endif
}

void ram_pool_place(uint8_t *dst, size_t len, void (*placed)(void *ctx, size_t off, size_t n),
                    void *ctx)
{
    size_t off = 0;
    while (off < len && pool.n > 0) {
        struct pool_run *r = &pool.run[pool.n - 1];
        size_t k = r->len < len - off ? r->len : len - off;
        /* the run's tail: what stays is still one mapping */
        if (!move_to(r->p + (r->len - k), k, dst + off))
            return;
        r->len -= k;
        pool.bytes -= k;
        if (r->len == 0)
            pool.n--;
        placed(ctx, off, k);
        off += k;
    }
}

void ram_pool_take(const struct ram_piece *piece, uint32_t n)
{
    size_t total = 0;
    uint32_t fit = 0;
    while (fit < n && pool.n + fit < POOL_MAX_RUNS &&
           piece[fit].len <= RAM_POOL_MAX_BYTES - pool.bytes - total)
        total += piece[fit++].len;
    if (total == 0 || pthread_once(&pool_once, pool_key_create) != 0 ||
        pthread_setspecific(pool_key, &pool) != 0) /* (any non-NULL value: pool_free runs) */
        return;
    /* One new place for them all, reserved before the first move: a move leaves a hole in guest
     * RAM, and a place asked for afterwards could land in it — and go with the RAM's unmap. */
    uint8_t *home = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                         -1, 0);
    if (home == MAP_FAILED)
        return;
    for (uint32_t i = 0; i < fit; home += piece[i].len, i++) {
        if (move_to(piece[i].p, piece[i].len, home)) {
            pool.run[pool.n++] = (struct pool_run){home, piece[i].len};
            pool.bytes += piece[i].len;
        } else {
            munmap(home, piece[i].len); /* its share of the reservation */
        }
    }
}

size_t ram_pool_bytes(void) { return pool.bytes; }
