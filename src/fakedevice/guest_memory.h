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

struct guest_memory {
    uint64_t base;
    uint64_t size;
    uint8_t *host;
};

int gm_init(struct guest_memory *gm, uint64_t base, uint64_t size);
void gm_destroy(struct guest_memory *gm);

/* True when [gpa, gpa+len) lies wholly inside RAM (len 0 counts as inside when gpa is). */
bool gm_contains(const struct guest_memory *gm, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa+len), or NULL when the range is not wholly inside RAM. */
void *gm_ptr(const struct guest_memory *gm, uint64_t gpa, uint64_t len);
/* Guest-physical address of a host pointer into RAM, or UINT64_MAX. */
uint64_t gm_gpa_of(const struct guest_memory *gm, const volatile void *host);

/* Little-endian field access; false when outside RAM (the value is then 0). */
bool gm_read16(const struct guest_memory *gm, uint64_t gpa, uint16_t *v);
bool gm_read32(const struct guest_memory *gm, uint64_t gpa, uint32_t *v);
bool gm_read64(const struct guest_memory *gm, uint64_t gpa, uint64_t *v);
bool gm_write16(struct guest_memory *gm, uint64_t gpa, uint16_t v);
bool gm_write32(struct guest_memory *gm, uint64_t gpa, uint32_t v);

#endif /* GUEST_MEMORY_H */
