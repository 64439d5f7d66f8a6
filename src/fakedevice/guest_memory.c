/* guest_memory.c — see guest_memory.h. */
#include "guest_memory.h"

#include <string.h>
#include <sys/mman.h>

int gm_init(struct guest_memory *gm, uint64_t base, uint64_t size)
{
    memset(gm, 0, sizeof(*gm));
    if (size == 0 || base + size < base)
        return -1;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return -1;
    gm->base = base;
    gm->size = size;
    gm->host = p;
    return 0;
}

void gm_destroy(struct guest_memory *gm)
{
    if (gm->host)
        munmap(gm->host, gm->size);
    memset(gm, 0, sizeof(*gm));
}
