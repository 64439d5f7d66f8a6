/* guest_memory.c — see guest_memory.h. */
#include "guest_memory.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

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

void gm_destroy(struct guest_memory *gm)
{
    if (gm->host)
        munmap(gm->host - GM_GUARD, gm->size + 2 * GM_GUARD);
    memset(gm, 0, sizeof(*gm));
}

bool gm_contains(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (gpa < gm->base)
        return false;
    uint64_t off = gpa - gm->base;
    return off <= gm->size && len <= gm->size - off && (len > 0 || off < gm->size);
}

void *gm_ptr(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
    return gm_contains(gm, gpa, len) ? gm->host + (gpa - gm->base) : NULL;
}

uint64_t gm_gpa_of(const struct guest_memory *gm, const volatile void *host)
{
    const uint8_t *p = (const uint8_t *)host;
    if (!gm->host || p < gm->host || p >= gm->host + gm->size)
        return UINT64_MAX;
    return gm->base + (uint64_t)(p - gm->host);
}

#define GM_RW(bits)                                                                              \
    bool gm_read##bits(const struct guest_memory *gm, uint64_t gpa, uint##bits##_t *v)          \
    {                                                                                            \
        void *p = gm_ptr(gm, gpa, sizeof(*v));                                                   \
        *v = 0;                                                                                  \
        if (!p)                                                                                  \
            return false;                                                                        \
        memcpy(v, p, sizeof(*v)); /* little-endian host: see virtio_spec.h */                    \
        return true;                                                                             \
    }
GM_RW(16)
GM_RW(32)
GM_RW(64)

bool gm_write16(struct guest_memory *gm, uint64_t gpa, uint16_t v)
{
    void *p = gm_ptr(gm, gpa, sizeof(v));
    if (p)
        memcpy(p, &v, sizeof(v));
    return p != NULL;
}

bool gm_write32(struct guest_memory *gm, uint64_t gpa, uint32_t v)
{
    void *p = gm_ptr(gm, gpa, sizeof(v));
    if (p)
        memcpy(p, &v, sizeof(v));
    return p != NULL;
}
