/* test_sparse_image.c — util/sparse_image.c: a disk image held sparsely. Outcomes by content:
 * every byte read is the file's (read here with stdio, apart from it) or zero, but where a write
 * changed it; writes reach the file only in write-through mode; memory is the chunks written
 * (an 8 GiB disk of zeros holds none until written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/sparse_image.h"

#define FILE_BYTES (3u * SPARSE_IMAGE_CHUNK + 100u)

static char path[64];

static uint8_t file_byte(uint64_t i) { return (uint8_t)(i * 7u + (i >> 12) * 31u + 1u); }

static int make_file(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/vqsim-sparse-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    for (uint64_t i = 0; i < FILE_BYTES; i++)
        fputc(file_byte(i), f);
    return fclose(f);
}

static int remove_file(void **state)
{
    (void)state;
    return unlink(path);
}

static uint8_t on_disk(uint64_t off)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
    int c = fgetc(f);
    fclose(f);
    return (uint8_t)c;
}

static void test_zeros_of_8_gib_hold_nothing_until_written(void **state)
{
    (void)state;
    const uint64_t size = 8ull << 30;
    struct sparse_image *im = sparse_image_open(NULL, false, size);
    assert_non_null(im);
    assert_true(sparse_image_size(im) == size);
    uint8_t buf[64], want[64] = {0};
    memset(buf, 0xee, sizeof(buf));
    assert_true(sparse_image_read(im, size - sizeof(buf), buf, sizeof(buf)));
    assert_memory_equal(buf, want, sizeof(buf));
    assert_int_equal(sparse_image_chunks(im), 0);
    /* a write across a chunk boundary at 4 GiB: two chunks, the bytes around it still zero */
    const uint8_t data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_true(sparse_image_write(im, (4ull << 30) - 5, data, sizeof(data)));
    assert_int_equal(sparse_image_chunks(im), 2);
    assert_true(sparse_image_read(im, (4ull << 30) - 8, buf, 16));
    const uint8_t around[16] = {0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0};
    assert_memory_equal(buf, around, 16);
    /* past the end: refused, nothing held for it */
    assert_false(sparse_image_read(im, size - 1, buf, 2));
    assert_false(sparse_image_write(im, size, data, 1));
    assert_null(sparse_image_byte(im, size));
    assert_int_equal(sparse_image_chunks(im), 2);
    sparse_image_close(im);
}

static void test_file_bytes_with_writes_over_them(void **state)
{
    (void)state;
    struct sparse_image *im = sparse_image_open(path, false, 0);
    assert_non_null(im);
    assert_int_equal(sparse_image_size(im), FILE_BYTES);
    static uint8_t buf[FILE_BYTES];
    assert_true(sparse_image_read(im, 0, buf, FILE_BYTES));
    for (uint64_t i = 0; i < FILE_BYTES; i++)
        if (buf[i] != file_byte(i))
            fail_msg("byte %llu: 0x%02x, the file 0x%02x", (unsigned long long)i, buf[i],
                     file_byte(i));
    /* zeros over the last chunk's edge and into the partial chunk; a byte changed in place */
    assert_true(sparse_image_write(im, 3 * SPARSE_IMAGE_CHUNK - 3, NULL, 6));
    *sparse_image_byte(im, 5) ^= 0xff;
    assert_true(sparse_image_read(im, 0, buf, FILE_BYTES));
    for (uint64_t i = 0; i < FILE_BYTES; i++) {
        bool zero = i >= 3 * SPARSE_IMAGE_CHUNK - 3 && i < 3 * SPARSE_IMAGE_CHUNK + 3;
        uint8_t want = zero ? 0 : i == 5 ? (uint8_t)(file_byte(5) ^ 0xff) : file_byte(i);
        if (buf[i] != want)
            fail_msg("byte %llu: 0x%02x, expected 0x%02x", (unsigned long long)i, buf[i], want);
    }
    assert_int_equal(sparse_image_chunks(im), 3);
    /* the file is untouched */
    assert_int_equal(on_disk(5), file_byte(5));
    assert_int_equal(on_disk(3 * SPARSE_IMAGE_CHUNK), file_byte(3 * SPARSE_IMAGE_CHUNK));
    sparse_image_close(im);
}

static void test_write_through_reaches_the_file_only(void **state)
{
    (void)state;
    struct sparse_image *im = sparse_image_open(path, true, 0);
    assert_non_null(im);
    const uint8_t data[3] = {0xaa, 0xbb, 0xcc};
    assert_true(sparse_image_write(im, SPARSE_IMAGE_CHUNK - 1, data, sizeof(data)));
    assert_int_equal(sparse_image_chunks(im), 0);
    uint8_t buf[3];
    assert_true(sparse_image_read(im, SPARSE_IMAGE_CHUNK - 1, buf, sizeof(buf)));
    assert_memory_equal(buf, data, sizeof(data));
    assert_true(sparse_image_write(im, 10, NULL, 1)); /* zeros reach it too */
    sparse_image_close(im);
    assert_int_equal(on_disk(SPARSE_IMAGE_CHUNK - 1), 0xaa);
    assert_int_equal(on_disk(SPARSE_IMAGE_CHUNK + 1), 0xcc);
    assert_int_equal(on_disk(10), 0);
    assert_int_equal(on_disk(11), file_byte(11));
    assert_null(sparse_image_open("/nonexistent/vqsim.img", false, 0));
}

static void test_many_chunks_stay_apart(void **state)
{
    (void)state;
    struct sparse_image *im = sparse_image_open(NULL, false, 1ull << 40);
    assert_non_null(im);
    for (uint64_t k = 0; k < 3000; k++) { /* the table grows many times */
        uint64_t v = k * 0x9e37u;
        assert_true(sparse_image_write(im, k * 7919 * SPARSE_IMAGE_CHUNK, &v, sizeof(v)));
    }
    assert_int_equal(sparse_image_chunks(im), 3000);
    for (uint64_t k = 0; k < 3000; k++) {
        uint64_t v = 0;
        assert_true(sparse_image_read(im, k * 7919 * SPARSE_IMAGE_CHUNK, &v, sizeof(v)));
        assert_true(v == k * 0x9e37u);
    }
    sparse_image_close(im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeros_of_8_gib_hold_nothing_until_written),
        cmocka_unit_test(test_file_bytes_with_writes_over_them),
        cmocka_unit_test(test_write_through_reaches_the_file_only),
        cmocka_unit_test(test_many_chunks_stay_apart),
    };
    return cmocka_run_group_tests(tests, make_file, remove_file);
}
