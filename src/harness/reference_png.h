/* reference_png.h — a scenario's reference picture (expect.display.png), decoded.
 *
 * Several scenarios compare their display with the same reference (the demo's picture on mmio,
 * packed and pci); decoding it (libpng: inflate, unfilter, convert) cost more than the rest of
 * such a scenario's judging. This thread keeps the last file decoded, by its bytes: a file whose
 * bytes are the same, compared in full, is not decoded again. Nothing is assumed from its name,
 * size or time. */
#ifndef REFERENCE_PNG_H
#define REFERENCE_PNG_H

#include <stddef.h>
#include <stdint.h>

/* As png_read_rgb (png_writer.h): *rgb malloc'd, the caller's; 0, or -1 with the same message
 * png_read_rgb gives. */
int reference_png_read(const char *path, uint8_t **rgb, uint32_t *width, uint32_t *height,
                       char *err, size_t errlen);

#endif /* REFERENCE_PNG_H */
