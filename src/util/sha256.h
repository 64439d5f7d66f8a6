/* sha256.h — SHA-256 (FIPS 180-4), for hashing displayed pixels. */
#ifndef SHA256_H
#define SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Lower-case hex of the digest: 64 characters plus NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

/* Internal: the 64 round constants. */
extern const uint32_t sha256_k[64];
/* Internal: n 64-byte blocks with CPU instructions (sha256_x86.c); false when the CPU has none.
 * sha256_force_portable(true) makes sha256_update ignore it (tests run both paths). */
bool sha256_blocks_fast(uint32_t h[8], const uint8_t *p, size_t n);
void sha256_force_portable(bool on);

#endif /* SHA256_H */
