/* replay_line.c — the numbers of QEMU's trace lines (a DEVICE event's payload: "virtqueue_fill
 * vq 0x55ab4eb3b910 elem 0x7f… len 0 idx 0"), read in place (replay_internal.h).
 *
 * A line is what the replay has always taken of a payload: its first REPLAY_LINE_MAX bytes at
 * most, NUL-terminated (copied once per event). A number is read as sscanf reads it ("%llx",
 * its 0x optional, or "%llu"): the common form — digits right after the key, few enough not to
 * overflow — here; anything else (spaces, a sign, 16 hex digits or more…) by sscanf itself.
 * sscanf was most of the cost of a busy recording's trace lines. Test builds read every number
 * both ways and assert they agree.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/replay_internal.h"

void replay_line_of(const struct vqrec_item *it, struct replay_line *l)
{
    size_t n = it->payload ? (it->ev.len < REPLAY_LINE_MAX ? it->ev.len : REPLAY_LINE_MAX) : 0;
    if (n)
        memcpy(l->s, it->payload, n);
    l->s[n] = 0;
}

/* A byte's value as a digit, plus one (0: no digit). */
static const uint8_t digit_plus_one[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
    ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
};

static inline int digit_of(char c, int base)
{
    int d = digit_plus_one[(uint8_t)c] - 1;
    return d < base ? d : -1;
}

/* The common form at p: 1 (*v), or -1 when sscanf must say. Hex: an optional 0x and 1 to 16
 * digits; decimal: 1 to 18 digits; the next byte no digit of the base (nor an x after a lone 0:
 * sscanf's business). */
static int quick(const char *p, int base, unsigned long long *v)
{
    if (base == 16 && p[0] == '0' && (p[1] | 0x20) == 'x' && digit_of(p[2], 16) >= 0)
        p += 2;
    unsigned k = 0;
    unsigned long long x = 0;
    for (int d; k <= 18 && (d = digit_of(p[k], base)) >= 0; k++)
        x = x * (unsigned)base + (unsigned)d;
    if (k == 0 || k > (base == 16 ? 16u : 18u) || (p[k] | 0x20) == 'x')
        return -1;
    *v = x;
    return 1;
}

static int slow(const char *p, int base, unsigned long long *v)
{
    return sscanf(p, base == 16 ? "%llx" : "%llu", v) == 1;
}

bool replay_line_number(const struct replay_line *l, const char *key, int base,
                        unsigned long long *v)
{
    const char *f = strstr(l->s, key);
    if (!f)
        return false;
    f += strlen(key);
    int got = quick(f, base, v);
#ifndef NDEBUG
    unsigned long long w = 0;
    int again = slow(f, base, &w);
    assert(got < 0 || (again == 1 && w == *v));
#endif
    if (got < 0)
        got = slow(f, base, v);
    return got == 1;
}
