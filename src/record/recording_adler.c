/* recording_adler.c — see recording_adler.h.
 *
 * Adler-32 is two sums mod 65521: A = 1 + the bytes, B = the sum of every A after a byte. For K
 * blocks of 16 bytes, lane i keeps sa[i] (the sum of the blocks' byte i) and sb[i] (the sum,
 * over the blocks, of sa[i] before the block): then A grows by sum(sa) and B by 16·K·A +
 * 16·sum(sb) + sum((16 - i)·sa[i]). Lanes are 32-bit: K at most 2048 keeps sb[i] below
 * 2048·2047/2·255 < 2^32; the totals are taken in 64 bits and reduced once per 32 KiB.
 */
#include "record/recording_adler.h"

#define ADLER_MOD 65521u
#define LANES 16u
#define BLOCKS 2048u

uint32_t vqrec_adler32(uint32_t adler, const uint8_t *p, size_t n)
{
    uint64_t a = adler & 0xffffu, b = adler >> 16;
    while (n >= LANES) {
        size_t k = n / LANES < BLOCKS ? n / LANES : BLOCKS;
        uint32_t sa[LANES] = {0}, sb[LANES] = {0};
        for (size_t j = 0; j < k; j++, p += LANES)
            for (unsigned i = 0; i < LANES; i++) {
                sb[i] += sa[i];
                sa[i] += p[i];
            }
        uint64_t ta = 0, tb = 0;
        for (unsigned i = 0; i < LANES; i++) {
            ta += sa[i];
            tb += (uint64_t)LANES * sb[i] + (uint64_t)(LANES - i) * sa[i];
        }
        b = (b + (uint64_t)LANES * k * a + tb) % ADLER_MOD;
        a = (a + ta) % ADLER_MOD;
        n -= k * LANES;
    }
    while (n--) { /* fewer than 16 left: a and b stay far below 2^32 */
        a += *p++;
        b += a;
    }
    return (uint32_t)((b % ADLER_MOD) << 16 | (a % ADLER_MOD));
}
