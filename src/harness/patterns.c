/* patterns.c — see patterns.h.
 *
 * "bars": a picture where any misplaced row, column, channel or byte shows: a 1-pixel red border,
 * eight colour bars over the top two thirds, below them a grey ramp (left) and an 8×8
 * checkerboard (right), and a green diagonal from the top-left corner. Every row and column
 * differs from its neighbours somewhere, so an off-by-one stride or offset changes the hash. */
#include "harness/patterns.h"

#include <string.h>

static const char *const names[] = {"bars", "black", NULL};

const char *pattern_lookup(const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    return NULL;
}

uint32_t pattern_pixel(const char *name, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    /* Called per pixel: the canonical name (pattern_lookup) compares by address first. */
    if ((name != names[0] && strcmp(name, "bars") != 0) || w == 0 || h == 0)
        return 0x000000;
    static const uint32_t bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                     0xff00ff, 0xff0000, 0x0000ff, 0x000000};
    if (x == 0 || y == 0 || x == w - 1 || y == h - 1)
        return 0xff0000;
    if (x == y)
        return 0x00ff00;
    if (y < h * 2 / 3)
        return bars[(uint64_t)x * 8 / w];
    if (x < w / 2) {
        uint32_t v = (uint32_t)((uint64_t)x * 255 / (w / 2 ? w / 2 : 1));
        return v << 16 | v << 8 | v;
    }
    return ((x / 8) + (y / 8)) % 2 ? 0xffffff : 0x202020;
}

void pattern_row(const char *name, uint32_t y, uint32_t w, uint32_t h, uint32_t *out)
{
    if ((name != names[0] && strcmp(name, "bars") != 0) || w == 0 || h == 0 || y >= h) {
        for (uint32_t x = 0; x < w; x++) /* flat black, or outside the picture */
            out[x] = pattern_pixel(name, x, y, w, h);
        return;
    }
    /* pattern_pixel, with its divisions turned into running counters along the row. */
    static const uint32_t bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                     0xff00ff, 0xff0000, 0x0000ff, 0x000000};
    if (y == 0 || y == h - 1) {
        for (uint32_t x = 0; x < w; x++)
            out[x] = 0xff0000;
    } else if (y < h * 2 / 3) { /* bar b covers x with x*8/w == b */
        uint32_t b = 0;
        uint64_t next = ((uint64_t)w + 7) / 8; /* first x of bar 1: ceil(w/8) */
        for (uint32_t x = 0; x < w; x++) {
            while (x >= next) {
                b++;
                next = ((uint64_t)(b + 1) * w + 7) / 8;
            }
            out[x] = bars[b];
        }
    } else {
        uint64_t half = w / 2 ? w / 2 : 1, num = 0; /* grey ramp: x*255/half */
        uint32_t v = 0;
        for (uint32_t x = 0; x < w; x++, num += 255) {
            if (x < w / 2) {
                while (num >= (uint64_t)(v + 1) * half)
                    v++;
                out[x] = v << 16 | v << 8 | v;
            } else {
                out[x] = ((x / 8) + (y / 8)) % 2 ? 0xffffff : 0x202020;
            }
        }
    }
    out[0] = out[w - 1] = 0xff0000; /* the border, then the diagonal, as pattern_pixel orders them */
    if (y > 0 && y != h - 1 && y < w - 1)
        out[y] = 0x00ff00;
}

uint8_t pattern_blk_byte(uint32_t seed, uint64_t sector, uint32_t i)
{
    uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (sector * 512 + i) * 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    return (uint8_t)(x * 0x94d049bb133111ebull >> 56);
}

uint8_t pattern_net_byte(uint32_t seed, uint32_t i)
{
    static const uint8_t eth[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0x52, 0x54, 0x00, 0, 0, 0, 0x88, 0xb5};
    if (i >= 9 && i < 12)
        return (uint8_t)(seed >> 8 * (i - 9));
    if (i < 14)
        return eth[i];
    uint64_t z = (uint64_t)seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull;
    z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ z >> 27) * 0x94d049bb133111ebull;
    return (uint8_t)((z ^ z >> 31) >> 56);
}
