/* guest_memory.h — simulated guest-physical RAM.
 *
 * One RAM region at a guest-physical base (0x40000000 as on the aarch64 `virt` machine). The
 * backing is reserved with mmap and filled lazily by the host kernel, so a large guest costs only
 * the pages it touches. Every address the driver hands the device is guest-physical and goes
 * through gm_ptr(), which refuses any range not wholly inside RAM: a bad address is a value the
 * model reports, never a host crash.
 */
#ifndef GUEST_MEMORY_H
#define GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GM_MAX_RUNS 64u

struct guest_memory {
    uint64_t base;
    uint64_t size;
    uint8_t *host;
    /* Whole-page runs gm_zero cleared (offsets from host): resident, handed to the thread's
     * page pool when RAM is unmapped (ram_pool.h); beyond GM_MAX_RUNS simply unmapped. */
    struct gm_run {
        uint64_t off, len;
    } runs[GM_MAX_RUNS];
    uint32_t n_runs;
};

int gm_init(struct guest_memory *gm, uint64_t base, uint64_t size);
void gm_destroy(struct guest_memory *gm);
/* Clear p[0..len) (inside RAM: from gm_ptr), as memset does: afterwards it reads zero and every
 * page of it is resident. A fresh page's fault costs about 1.4 us here (the kernel allocates,
 * clears and charges it), 25 times the clearing, and unmapping frees it again: so a long run of
 * whole pages (a framebuffer) takes pages from the thread's pool where it has them (ram_pool.h),
 * and the rest are made resident in one call (Linux 5.14's MADV_POPULATE_WRITE) rather than a
 * fault each; where the kernel cannot, memset faults them in. */
void gm_zero(struct guest_memory *gm, uint8_t *p, uint64_t len);
/* Drop every page of RAM (madvise MADV_DONTNEED on the private anonymous mapping): each reads as
 * zero again, exactly as after gm_init, and only the pages touched since cost anything. For a
 * caller that builds many machines of one RAM size in a row (machine_init_reusing). 0 or -1. */
int gm_clear(struct guest_memory *gm);

/* The accessors below are inline: the device model calls them for every ring field it reads
 * and the HAL for every ring access it records (bench/ table 1b counts them). */

/* True when [gpa, gpa+len) lies wholly inside RAM (len 0 counts as inside when gpa is). */
static inline bool gm_contains(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (gpa < gm->base)
        return false;
    uint64_t off = gpa - gm->base;
    return off <= gm->size && len <= gm->size - off && (len > 0 || off < gm->size);
}

/* Host pointer for [gpa, gpa+len), or NULL when the range is not wholly inside RAM. */
static inline void *gm_ptr(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
    return gm_contains(gm, gpa, len) ? gm->host + (gpa - gm->base) : NULL;
}

/* Guest-physical address of a host pointer into RAM, or UINT64_MAX. */
static inline uint64_t gm_gpa_of(const struct guest_memory *gm, const volatile void *host)
{
    const uint8_t *p = (const uint8_t *)host;
    if (!gm->host || p < gm->host || p >= gm->host + gm->size)
        return UINT64_MAX;
    return gm->base + (uint64_t)(p - gm->host);
}

/* Little-endian field access; false when outside RAM (the value is then 0). */
#define GM_READ(bits)                                                                            \
    static inline bool gm_read##bits(const struct guest_memory *gm, uint64_t gpa,                \
                                     uint##bits##_t *v)                                          \
    {                                                                                            \
        void *p = gm_ptr(gm, gpa, sizeof(*v));                                                   \
        *v = 0;                                                                                  \
        if (!p)                                                                                  \
            return false;                                                                        \
        memcpy(v, p, sizeof(*v)); /* little-endian host: see virtio_spec.h */                    \
        return true;                                                                             \
    }
GM_READ(16)
GM_READ(32)
GM_READ(64)
#undef GM_READ

#define GM_WRITE(bits)                                                                           \
    static inline bool gm_write##bits(struct guest_memory *gm, uint64_t gpa, uint##bits##_t v)   \
    {                                                                                            \
        void *p = gm_ptr(gm, gpa, sizeof(v));                                                    \
        if (p)                                                                                   \
            memcpy(p, &v, sizeof(v));                                                            \
        return p != NULL;                                                                        \
    }
GM_WRITE(16)
GM_WRITE(32)
#undef GM_WRITE

#endif /* GUEST_MEMORY_H */
