/* reference_png_read (harness/reference_png.h) keeps the last reference decoded, by its bytes:
 * the same bytes give the same picture without decoding, a file rewritten under the same name
 * (same size, other pixels) is decoded again, and a file that cannot be read gives png_read_rgb's
 * own message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/png_writer.h"
#include "harness/reference_png.h"

#define W 37u
#define H 23u

static void picture(uint8_t *rgb, uint8_t seed)
{
    for (unsigned i = 0; i < W * H * 3; i++)
        rgb[i] = (uint8_t)(i * 7 + seed);
}

static void read_back(const char *path, const uint8_t *want)
{
    uint8_t *got = NULL;
    uint32_t w = 0, h = 0;
    char err[256];
    assert_int_equal(reference_png_read(path, &got, &w, &h, err, sizeof(err)), 0);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_memory_equal(got, want, W * H * 3);
    free(got);
}

static void test_same_bytes_same_picture_new_bytes_decoded(void **state)
{
    (void)state;
    char path[] = "/tmp/vqsim-refpng-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    uint8_t a[W * H * 3], b[W * H * 3];
    char err[256];
    picture(a, 1);
    picture(b, 2);
    assert_int_equal(png_write_rgb(path, a, W, H, err, sizeof(err)), 0);
    read_back(path, a);
    read_back(path, a); /* from what was kept */
    assert_int_equal(png_write_rgb(path, b, W, H, err, sizeof(err)), 0); /* same name, size */
    read_back(path, b);
    read_back(path, b);
    unlink(path);
    /* gone: the message png_read_rgb gives */
    uint8_t *got = NULL;
    uint32_t w, h;
    char want[256];
    assert_int_equal(png_read_rgb(path, &got, &w, &h, want, sizeof(want)), -1);
    assert_int_equal(reference_png_read(path, &got, &w, &h, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    assert_null(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_same_picture_new_bytes_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
