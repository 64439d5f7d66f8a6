/* rgb_rows.c — see rgb_rows.h. */
#include "util/rgb_rows.h"

static bool portable_only;

void rgb_rows_force_portable(bool on) { portable_only = on; }

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static _Atomic int have_ssse3 = -1; /* -1 unknown, 0 no, 1 yes (any thread may ask first) */

static bool cpu_has_ssse3(void)
{
    if (have_ssse3 < 0) {
        unsigned a, b, c, d; /* CPUID.1:ECX bit 9 = SSSE3 */
        have_ssse3 = __get_cpuid(1, &a, &b, &c, &d) && (c >> 9 & 1);
    }
    return have_ssse3 == 1;
}

__attribute__((target("ssse3")))
static void rows16(const uint8_t *src, uint8_t *out, uint32_t n16, const uint8_t pos[3])
{
    /* byte 3i+k of a shuffled group of 4 pixels is byte 4i+pos[k] of the group; 12..15 zero */
    int8_t m[16];
    for (int j = 0; j < 16; j++)
        m[j] = j < 12 ? (int8_t)(4 * (j / 3) + pos[j % 3]) : (int8_t)-128;
    const __m128i mask = _mm_loadu_si128((const __m128i *)m);
    for (uint32_t g = 0; g < n16; g++, src += 64, out += 48) {
        __m128i a = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)src), mask);
        __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(src + 16)), mask);
        __m128i c = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(src + 32)), mask);
        __m128i d = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(src + 48)), mask);
        /* 4 x 12 bytes into 3 x 16 */
        _mm_storeu_si128((__m128i *)out, _mm_or_si128(a, _mm_slli_si128(b, 12)));
        _mm_storeu_si128((__m128i *)(out + 16), _mm_or_si128(_mm_srli_si128(b, 4),
                                                            _mm_slli_si128(c, 8)));
        _mm_storeu_si128((__m128i *)(out + 32), _mm_or_si128(_mm_srli_si128(c, 8),
                                                            _mm_slli_si128(d, 4)));
    }
}

bool rgb_row_fast(const uint8_t *src, uint8_t *out, uint32_t n, const uint8_t pos[3])
{
    if (portable_only || !cpu_has_ssse3())
        return false;
    uint32_t n16 = n / 16;
    rows16(src, out, n16, pos);
    for (uint32_t i = 16 * n16; i < n; i++) /* the last few pixels of the row */
        for (int k = 0; k < 3; k++)
            out[3 * i + k] = src[4 * i + pos[k]];
    return true;
}
#else
bool rgb_row_fast(const uint8_t *src, uint8_t *out, uint32_t n, const uint8_t pos[3])
{
    (void)src, (void)out, (void)n, (void)pos;
    return false;
}
#endif
