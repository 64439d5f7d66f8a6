/* heap_hint.c — see heap_hint.h. */
#include "cli/heap_hint.h"

#include <stdint.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void heap_keep_big(size_t mmap_threshold, size_t trim_threshold, size_t grow)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
    uint8_t *p = grow < mmap_threshold ? malloc(grow) : NULL; /* untouched: no memory used */
    if (!p)
        return;
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + grow) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* a hint: refused, nothing lost */
    free(p); /* stays in the heap (trim threshold): the next buffers are carved from it */
#else
    (void)mmap_threshold, (void)trim_threshold, (void)grow;
#endif
}
