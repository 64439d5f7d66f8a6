/* sha256_x86.c — SHA-256 blocks with the x86 SHA extensions (SHA-NI), when the CPU has them.
 *
 * The portable block function runs at a few hundred MB/s; hashing every scenario's display
 * (1024x768x3 bytes by default) was the largest single cost of a suite run (bench/ table 3).
 * The SHA instructions do four rounds per pair of sha256rnds2 and the message schedule with
 * sha256msg1/msg2. Same digest by construction; test_util runs the FIPS vectors on both paths.
 * Elsewhere (another architecture, an old CPU) sha256_blocks_fast() says no and the caller uses
 * the portable code. */
#include "util/sha256.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static _Atomic int have_sha = -1; /* -1 unknown, 0 no, 1 yes (any thread may ask first) */

static bool cpu_has_sha(void)
{
    if (have_sha < 0) {
        unsigned a, b, c, d;
        /* CPUID.(EAX=7,ECX=0):EBX bit 29 = SHA; the code also needs SSSE3 and SSE4.1
         * (CPUID.1:ECX bits 9 and 19). */
        bool sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
        bool sse = __get_cpuid(1, &a, &b, &c, &d) && (c >> 9 & 1) && (c >> 19 & 1);
        have_sha = sha && sse;
    }
    return have_sha == 1;
}

__attribute__((target("sha,ssse3,sse4.1")))
static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    /* The instructions want the state as ABEF and CDGH. */
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1); /* CDAB */
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b); /* EFGH */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);    /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xf0);         /* CDGH */
    for (; n > 0; n--, p += 64) {
        __m128i save0 = s0, save1 = s1, w[4];
        for (int k = 0; k < 16; k++) { /* four rounds per k */
            __m128i x;
            if (k < 4) {
                x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * k)), bswap);
            } else { /* W[t-16] + s0(W[t-15]) + W[t-7], then + s1(W[t-2]) */
                x = _mm_sha256msg1_epu32(w[k % 4], w[(k + 1) % 4]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(k + 3) % 4], w[(k + 2) % 4], 4));
                x = _mm_sha256msg2_epu32(x, w[(k + 3) % 4]);
            }
            w[k % 4] = x;
            __m128i m = _mm_add_epi32(x, _mm_loadu_si128((const __m128i *)&sha256_k[4 * k]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));
        }
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
    }
    t = _mm_shuffle_epi32(s0, 0x1b);           /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xb1);          /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xf0);         /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);            /* HGFE */
    _mm_storeu_si128((__m128i *)&h[0], s0);
    _mm_storeu_si128((__m128i *)&h[4], s1);
}

bool sha256_blocks_fast(uint32_t h[8], const uint8_t *p, size_t n)
{
    if (!cpu_has_sha())
        return false;
    blocks(h, p, n);
    return true;
}
#else
bool sha256_blocks_fast(uint32_t h[8], const uint8_t *p, size_t n)
{
    (void)h, (void)p, (void)n;
    return false;
}
#endif
