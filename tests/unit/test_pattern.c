/* test_pattern.c — pattern_row (the row-at-a-time test pattern used to draw and check displays)
 * and pattern_rows (each kind of row made once, then copied and marked) give exactly
 * pattern_pixel's colours, as 0xRRGGBB and as R,G,B bytes, for every pixel of pictures of awkward
 * sizes, rows asked for in order and out of order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "harness/patterns.h"

/* pattern_rows' row y, both forms, against pattern_pixel; exactly w pixels written. */
static void compare_rows_at(struct pattern_rows *r, uint32_t y, uint32_t *row, uint8_t *rgb)
{
    uint32_t w = r->w;
    row[w] = 0xdeadbeef;
    rgb[3 * w] = 0xa5;
    pattern_rows_get(r, y, row);
    pattern_rows_get_rgb(r, y, rgb);
    assert_int_equal(row[w], 0xdeadbeef);
    assert_int_equal(rgb[3 * w], 0xa5);
    for (uint32_t x = 0; x < w; x++) {
        uint32_t want = pattern_pixel(r->name, x, y, w, r->h);
        uint32_t got = (uint32_t)rgb[3 * x] << 16 | (uint32_t)rgb[3 * x + 1] << 8 | rgb[3 * x + 2];
        if (row[x] != want || got != want)
            fail_msg("rows %s %ux%u at (%u,%u): #%06x / bytes #%06x, pixel #%06x", r->name, w,
                     r->h, x, y, row[x], got, want);
    }
}

static void compare(const char *name, uint32_t w, uint32_t h)
{
    uint32_t *row = malloc((w + 1) * sizeof(*row));
    uint8_t *rgb = malloc(3 * (size_t)w + 1);
    assert_non_null(row);
    assert_non_null(rgb);
    uint32_t *kinds = malloc((w ? w : 1) * 4u * PATTERN_ROW_KINDS);
    uint8_t *kinds_rgb = malloc((w ? w : 1) * 3u * PATTERN_ROW_KINDS);
    assert_non_null(kinds);
    assert_non_null(kinds_rgb);
    struct pattern_rows r;
    for (int room = 0; room < 3; room++) { /* both stores; u32 only; none (made as asked) */
        pattern_rows_init(&r, name, w, h, room < 2 ? kinds : NULL, room == 0 ? kinds_rgb : NULL);
        for (uint32_t y = 0; y < h; y++)
            compare_rows_at(&r, y, row, rgb);
        for (uint32_t y = h; y-- > 0;) /* backwards: a kind's row made once serves every row */
            compare_rows_at(&r, y, row, rgb);
    }
    free(kinds);
    free(kinds_rgb);
    free(rgb);
    for (uint32_t y = 0; y < h + 2; y++) { /* two rows past the picture too */
        row[w] = 0xdeadbeef;
        pattern_row(name, y, w, h, row);
        assert_int_equal(row[w], 0xdeadbeef); /* writes exactly w pixels */
        for (uint32_t x = 0; x < w; x++)
            if (row[x] != pattern_pixel(name, x, y, w, h))
                fail_msg("%s %ux%u at (%u,%u): row gives #%06x, pixel #%06x", name, w, h, x, y,
                         row[x], pattern_pixel(name, x, y, w, h));
    }
    free(row);
}

static void test_rows_equal_pixels(void **state)
{
    (void)state;
    const char *bars = pattern_lookup("bars"), *black = pattern_lookup("black");
    assert_non_null(bars);
    assert_non_null(black);
    static const uint32_t sizes[][2] = {
        {1, 1}, {1, 5}, {2, 2}, {3, 7}, {7, 3}, {8, 8}, {9, 9}, {15, 31}, {16, 16}, {17, 13},
        {63, 47}, {64, 48}, {100, 3}, {3, 100}, {255, 17}, {511, 300}, {640, 480}, {1023, 769},
        {1024, 768},
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        compare(bars, sizes[i][0], sizes[i][1]);
        compare(black, sizes[i][0], sizes[i][1]);
        compare("bars", sizes[i][0], sizes[i][1]); /* a non-canonical copy of the name */
    }
    uint32_t one = 0x123456;
    pattern_row(bars, 0, 0, 5, &one); /* an empty row writes nothing */
    assert_int_equal(one, 0x123456);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_equal_pixels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
