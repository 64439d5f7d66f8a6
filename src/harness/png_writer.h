/* png_writer.h — write and read 8-bit RGB images as PNG (libpng). */
#ifndef PNG_WRITER_H
#define PNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* rgb: width*height*3 bytes, row-major. Returns 0, or -1 with a message in err. */
int png_write_rgb(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height, char *err,
                  size_t errlen);

/* Read a PNG of any colour type as 8-bit R,G,B; *rgb is malloc'd. Returns 0, or -1 with a
 * message in err. */
int png_read_rgb(const char *path, uint8_t **rgb, uint32_t *width, uint32_t *height, char *err,
                 size_t errlen);
/* The same from the file's bytes in memory. */
int png_read_rgb_mem(const void *bytes, size_t n, uint8_t **rgb, uint32_t *width,
                     uint32_t *height, char *err, size_t errlen);

#endif /* PNG_WRITER_H */
