/* png_writer.c — see png_writer.h. */
#include "harness/png_writer.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int png_write_rgb(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        snprintf(err, errlen, "libpng: out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        snprintf(err, errlen, "libpng: write failed");
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* Our pictures are flat colours, patterns and text: one cheap filter and fast deflate
     * compress them about as well as libpng's defaults (trying five filters on every row, zlib
     * level 6), in a fraction of the time (`vqsim run --png` writes one per lit display). */
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

int png_read_rgb(const char *path, uint8_t **rgb, uint32_t *width, uint32_t *height, char *err,
                 size_t errlen)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    *rgb = NULL;
    if (!png_image_begin_read_from_file(&img, path)) {
        snprintf(err, errlen, "%s", img.message[0] ? img.message : "not a PNG");
        return -1;
    }
    if (img.width == 0 || img.height == 0 || img.width > 16384 || img.height > 16384) {
        png_image_free(&img);
        snprintf(err, errlen, "size %ux%u out of range", img.width, img.height);
        return -1;
    }
    img.format = PNG_FORMAT_RGB; /* any colour type, converted to 8-bit R,G,B */
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf) {
        png_image_free(&img);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        free(buf);
        snprintf(err, errlen, "%s", img.message);
        return -1;
    }
    *rgb = buf;
    *width = img.width;
    *height = img.height;
    return 0;
}
