/* fuzz_input.h — reading a fuzzer's input as a stream of decisions.
 *
 * Every target reads its input front to back: a byte picks an operation, the next bytes are its
 * arguments. When the input runs out every read returns 0, which each target defines as "behave
 * sanely", so a short input is still a complete, meaningful run and a mutation of one byte changes
 * one decision. Header-only so each target is one translation unit plus the code under test.
 *
 * A target with two actors (the driver's caller and a hostile device) gives each its own part of
 * the input (fin_split), so a mutation of one actor's decisions does not shift the other's.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fin {
    const uint8_t *p;
    size_t n;
};

static inline size_t fin_left(const struct fin *f) { return f->n; }

static inline uint8_t fin_u8(struct fin *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fin_u16(struct fin *f)
{
    uint16_t lo = fin_u8(f);
    return (uint16_t)(lo | (uint16_t)fin_u8(f) << 8);
}

static inline uint32_t fin_u32(struct fin *f)
{
    uint32_t lo = fin_u16(f);
    return lo | (uint32_t)fin_u16(f) << 16;
}

static inline uint64_t fin_u64(struct fin *f)
{
    uint64_t lo = fin_u32(f);
    return lo | (uint64_t)fin_u32(f) << 32;
}

/* Copy up to n bytes; the rest of dst is zero. Returns the bytes taken from the input. */
static inline size_t fin_bytes(struct fin *f, void *dst, size_t n)
{
    size_t k = n < f->n ? n : f->n;
    memcpy(dst, f->p, k);
    memset((uint8_t *)dst + k, 0, n - k);
    f->p += k;
    f->n -= k;
    return k;
}

/* Split off the first n bytes (fewer if the input is shorter) as a stream of their own. */
static inline struct fin fin_split(struct fin *f, size_t n)
{
    struct fin head = {f->p, n < f->n ? n : f->n};
    f->p += head.n;
    f->n -= head.n;
    return head;
}

#endif /* FUZZ_INPUT_H */
