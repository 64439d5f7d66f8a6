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

static bool is_bars(const char *name) { return name == names[0] || !strcmp(name, "bars"); }

/* A "bars" row before its border and diagonal (bars_marks): the same for every row of its kind
 * (bars_kind). */
static void bars_base(uint32_t y, uint32_t w, uint32_t h, uint32_t *out)
{
    /* pattern_pixel, with its divisions turned into running counters along the row. */
    static const uint32_t bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                     0xff00ff, 0xff0000, 0x0000ff, 0x000000};
    if (y == 0 || y == h - 1) {
        for (uint32_t x = 0; x < w; x++)
            out[x] = 0xff0000;
    } else if (y < h * 2 / 3) { /* bar b covers x with x*8/w == b: x < ceil((b+1)*w/8) */
        uint32_t x = 0;
        for (uint32_t b = 0; b < 8; b++) {
            uint64_t next = ((uint64_t)(b + 1) * w + 7) / 8; /* first x of bar b+1 (<= w) */
            for (; x < next; x++)
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
}

/* Which rows share a base: the border rows, the bar rows, and the lower rows by the parity of
 * y / 8 (their checkerboard). */
static uint32_t bars_kind(uint32_t y, uint32_t h)
{
    return y == 0 || y == h - 1 ? 0 : y < h * 2 / 3 ? 1 : 2 + (y / 8) % 2;
}

/* The border, then the diagonal, as pattern_pixel orders them: pixel x of row y is set to
 * set(ctx, x, colour). */
static void bars_marks(uint32_t y, uint32_t w, uint32_t h, void (*set)(void *, uint32_t, uint32_t),
                       void *ctx)
{
    set(ctx, 0, 0xff0000);
    set(ctx, w - 1, 0xff0000);
    if (y > 0 && y != h - 1 && y < w - 1)
        set(ctx, y, 0x00ff00);
}

static void set_u32(void *row, uint32_t x, uint32_t c) { ((uint32_t *)row)[x] = c; }

static void set_rgb(void *row, uint32_t x, uint32_t c)
{
    uint8_t *p = (uint8_t *)row + 3 * (size_t)x;
    p[0] = (uint8_t)(c >> 16), p[1] = (uint8_t)(c >> 8), p[2] = (uint8_t)c;
}

void pattern_row(const char *name, uint32_t y, uint32_t w, uint32_t h, uint32_t *out)
{
    if (!is_bars(name) || w == 0 || h == 0 || y >= h) {
        for (uint32_t x = 0; x < w; x++) /* flat black, or outside the picture */
            out[x] = pattern_pixel(name, x, y, w, h);
        return;
    }
    bars_base(y, w, h, out);
    bars_marks(y, w, h, set_u32, out);
}

void pattern_rows_init(struct pattern_rows *r, const char *name, uint32_t w, uint32_t h,
                       uint32_t *u32, uint8_t *rgb)
{
    memset(r, 0, sizeof(*r));
    r->name = name, r->w = w, r->h = h;
    if (is_bars(name) && w && h) /* else nothing to keep: each row is made as asked */
        r->u32 = u32, r->rgb = u32 ? rgb : NULL;
}

/* The base of row y's kind, made the first time it is asked for: its index, or -1 (no bases). */
static int kind_base(struct pattern_rows *r, uint32_t y)
{
    if (!r->u32 || y >= r->h)
        return -1;
    uint32_t k = bars_kind(y, r->h), w = r->w;
    if (!r->made[k]) {
        uint32_t *px = r->u32 + (size_t)k * w;
        bars_base(y, w, r->h, px);
        for (uint32_t x = 0; r->rgb && x < w; x++)
            set_rgb(r->rgb + (size_t)k * w * 3, x, px[x]);
        r->made[k] = true;
    }
    return (int)k;
}

void pattern_rows_get(struct pattern_rows *r, uint32_t y, uint32_t *out)
{
    int k = kind_base(r, y);
    if (k < 0) {
        pattern_row(r->name, y, r->w, r->h, out);
        return;
    }
    memcpy(out, r->u32 + (size_t)k * r->w, (size_t)r->w * 4);
    bars_marks(y, r->w, r->h, set_u32, out);
}

void pattern_rows_get_rgb(struct pattern_rows *r, uint32_t y, uint8_t *out)
{
    int k = kind_base(r, y);
    if (k >= 0 && r->rgb) {
        memcpy(out, r->rgb + (size_t)k * r->w * 3, (size_t)r->w * 3);
        bars_marks(y, r->w, r->h, set_rgb, out);
        return;
    }
    for (uint32_t x = 0; x < r->w; x++) /* not "bars": each pixel as pattern_pixel gives it */
        set_rgb(out, x, pattern_pixel(r->name, x, y, r->w, r->h));
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
