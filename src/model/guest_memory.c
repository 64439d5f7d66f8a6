/* guest_memory.c — see guest_memory.h. */
#include "model/guest_memory.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


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
    return madvise(gm->host, gm->size, MADV_DONTNEED) == 0 ? 0 : -1;
}

void gm_destroy(struct guest_memory *gm)
{
    if (gm->host)
        munmap(gm->host - GM_GUARD, gm->size + 2 * GM_GUARD);
    memset(gm, 0, sizeof(*gm));
}

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 (include/uapi/asm-generic/mman-common.h) */
#endif

void gm_zero(struct guest_memory *gm, uint8_t *p, uint64_t len)
{
    (void)gm;
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = GM_GUARD;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + page - 1) & ~(page - 1));
    uint8_t *e = (uint8_t *)(((uintptr_t)p + len) & ~(page - 1));
    if (e > a && (size_t)(e - a) >= 2 * page) /* one page: its fault costs what the call does */
        (void)madvise(a, (size_t)(e - a), MADV_POPULATE_WRITE); /* (refused: memset faults) */
#endif
    memset(p, 0, len);
}
