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

bool gm_zero(struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (!gm->host || !gm_contains(gm, gpa, len))
        return false;
    uint8_t *p = gm->host + (gpa - gm->base), *end = p + len;
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096u;
    uint8_t *first = (uint8_t *)(((uintptr_t)p + page - 1) & ~(page - 1));
    uint8_t *last = (uint8_t *)((uintptr_t)end & ~(page - 1)); /* whole pages: [first, last) */
    if (first >= last || madvise(first, (size_t)(last - first), MADV_DONTNEED) != 0) {
        memset(p, 0, len); /* no whole page in it (or the kernel refused): cleared byte by byte */
        return true;
    }
    memset(p, 0, (size_t)(first - p));
    memset(last, 0, (size_t)(end - last));
    return true;
}

void gm_destroy(struct guest_memory *gm)
{
    if (gm->host)
        munmap(gm->host - GM_GUARD, gm->size + 2 * GM_GUARD);
    memset(gm, 0, sizeof(*gm));
}
