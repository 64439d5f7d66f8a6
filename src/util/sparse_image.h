/* sparse_image.h — a raw disk image of any size, held sparsely: the bytes of its file, read when
 * asked and never loaded whole (or zeros, for a disk without a file), under an overlay of the
 * 4 KiB chunks changed since it was opened. A multi-GiB disk costs memory only for the chunks a
 * run writes. With write_through a write goes to the file instead, as it is made (opened for
 * update; the overlay then holds only what sparse_image_byte put there). Errors as values:
 * false / NULL, nothing printed. */
#ifndef SPARSE_IMAGE_H
#define SPARSE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPARSE_IMAGE_CHUNK 4096u

struct sparse_image;

/* The image of file `path` (its size, whole), or, with path NULL, `zero_bytes` bytes of zeros.
 * NULL when the file cannot be opened (for update, with write_through) or sized. */
struct sparse_image *sparse_image_open(const char *path, bool write_through, uint64_t zero_bytes);
void sparse_image_close(struct sparse_image *im);

uint64_t sparse_image_size(const struct sparse_image *im);

/* Bytes [off, off + len) into dst: written chunks from the overlay, the rest from the file (or
 * zeros). False when the range runs past the image or the file cannot be read. */
bool sparse_image_read(struct sparse_image *im, uint64_t off, void *dst, uint64_t len);

/* Bytes [off, off + len) become src's (zeros when src is NULL): in the overlay, or the file's
 * with write_through. False past the image, out of memory, or when the file refuses it. */
bool sparse_image_write(struct sparse_image *im, uint64_t off, const void *src, uint64_t len);

/* Byte `off`, in the overlay (its chunk copied there first): to change one byte in place, as a
 * test does. NULL past the image or out of memory. A change made here does not reach the file. */
uint8_t *sparse_image_byte(struct sparse_image *im, uint64_t off);

/* Chunks the overlay holds (memory in use: that many × SPARSE_IMAGE_CHUNK bytes). */
size_t sparse_image_chunks(const struct sparse_image *im);

#endif /* SPARSE_IMAGE_H */
