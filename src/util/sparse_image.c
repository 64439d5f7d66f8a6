/* sparse_image.c — see sparse_image.h. The overlay is an open-addressing hash table (linear
 * probing, at most half full) from chunk number + 1 (0: an empty slot) to the chunk's bytes. */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include "util/sparse_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct slot {
    uint64_t key; /* chunk number + 1; 0: empty */
    uint8_t *bytes;
};

struct sparse_image {
    FILE *file;         /* NULL: a disk of zeros */
    bool write_through;
    uint64_t size;
    struct slot *slots;
    size_t cap, n;      /* cap: a power of two, or 0 */
};

struct sparse_image *sparse_image_open(const char *path, bool write_through, uint64_t zero_bytes)
{
    struct sparse_image *im = calloc(1, sizeof(*im));
    if (!im)
        return NULL;
    im->size = zero_bytes;
    if (path) {
        im->file = fopen(path, write_through ? "r+b" : "rb");
        off_t end = im->file && fseeko(im->file, 0, SEEK_END) == 0 ? ftello(im->file) : -1;
        if (end < 0) {
            sparse_image_close(im);
            return NULL;
        }
        im->size = (uint64_t)end;
        im->write_through = write_through;
    }
    return im;
}

void sparse_image_close(struct sparse_image *im)
{
    if (!im)
        return;
    for (size_t i = 0; i < im->cap; i++)
        free(im->slots[i].bytes);
    free(im->slots);
    if (im->file)
        fclose(im->file);
    free(im);
}

uint64_t sparse_image_size(const struct sparse_image *im)
{
    return im->size;
}

size_t sparse_image_chunks(const struct sparse_image *im)
{
    return im->n;
}

static size_t slot_of(const struct slot *slots, size_t cap, uint64_t key)
{
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    return i;
}

static uint8_t *find(const struct sparse_image *im, uint64_t chunk)
{
    if (!im->cap)
        return NULL;
    const struct slot *s = &im->slots[slot_of(im->slots, im->cap, chunk + 1)];
    return s->key ? s->bytes : NULL;
}

static bool grow(struct sparse_image *im)
{
    size_t cap = im->cap ? im->cap * 2 : 64;
    struct slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < im->cap; i++)
        if (im->slots[i].key)
            slots[slot_of(slots, cap, im->slots[i].key)] = im->slots[i];
    free(im->slots);
    im->slots = slots;
    im->cap = cap;
    return true;
}

/* Bytes of the image as the file (or zeros) holds them, ignoring the overlay. */
static bool read_below(struct sparse_image *im, uint64_t off, uint8_t *dst, uint64_t len)
{
    if (!im->file) {
        memset(dst, 0, len);
        return true;
    }
    return fseeko(im->file, (off_t)off, SEEK_SET) == 0 && fread(dst, 1, len, im->file) == len;
}

/* Chunk `chunk` in the overlay, copied there from below first: NULL out of memory. */
static uint8_t *materialise(struct sparse_image *im, uint64_t chunk)
{
    uint8_t *b = find(im, chunk);
    if (b)
        return b;
    if ((im->n + 1) * 2 > im->cap && !grow(im))
        return NULL;
    uint64_t off = chunk * SPARSE_IMAGE_CHUNK;
    uint64_t len = im->size - off < SPARSE_IMAGE_CHUNK ? im->size - off : SPARSE_IMAGE_CHUNK;
    b = calloc(1, SPARSE_IMAGE_CHUNK);
    if (!b || !read_below(im, off, b, len)) {
        free(b);
        return NULL;
    }
    struct slot *s = &im->slots[slot_of(im->slots, im->cap, chunk + 1)];
    *s = (struct slot){chunk + 1, b};
    im->n++;
    return b;
}

static bool in_image(const struct sparse_image *im, uint64_t off, uint64_t len)
{
    return off <= im->size && len <= im->size - off;
}

bool sparse_image_read(struct sparse_image *im, uint64_t off, void *dst, uint64_t len)
{
    if (!in_image(im, off, len))
        return false;
    uint8_t *out = dst;
    while (len) {
        uint64_t chunk = off / SPARSE_IMAGE_CHUNK, at = off % SPARSE_IMAGE_CHUNK;
        uint64_t n = SPARSE_IMAGE_CHUNK - at < len ? SPARSE_IMAGE_CHUNK - at : len;
        const uint8_t *b = find(im, chunk);
        if (b)
            memcpy(out, b + at, n);
        else if (!read_below(im, off, out, n))
            return false;
        out += n, off += n, len -= n;
    }
    return true;
}

/* The file's bytes [off, off + len) become src's (zeros when NULL). */
static bool write_file(struct sparse_image *im, uint64_t off, const uint8_t *src, uint64_t len)
{
    static const uint8_t zeros[SPARSE_IMAGE_CHUNK];
    bool ok = fseeko(im->file, (off_t)off, SEEK_SET) == 0;
    for (uint64_t done = 0; ok && done < len;) {
        uint64_t n = src || len - done < sizeof(zeros) ? len - done : sizeof(zeros);
        ok = fwrite(src ? src + done : zeros, 1, n, im->file) == n;
        done += n;
    }
    return ok && fflush(im->file) == 0;
}

bool sparse_image_write(struct sparse_image *im, uint64_t off, const void *src, uint64_t len)
{
    if (!in_image(im, off, len))
        return false;
    const uint8_t *in = src;
    if (im->write_through && !write_file(im, off, in, len))
        return false;
    for (uint64_t o = off, left = len; left;) { /* (write-through: only chunks already held) */
        uint64_t chunk = o / SPARSE_IMAGE_CHUNK, at = o % SPARSE_IMAGE_CHUNK;
        uint64_t n = SPARSE_IMAGE_CHUNK - at < left ? SPARSE_IMAGE_CHUNK - at : left;
        uint8_t *b = im->write_through ? find(im, chunk) : materialise(im, chunk);
        if (!b && !im->write_through)
            return false;
        if (b && in)
            memcpy(b + at, in + (o - off), n);
        else if (b)
            memset(b + at, 0, n);
        o += n, left -= n;
    }
    return true;
}

uint8_t *sparse_image_byte(struct sparse_image *im, uint64_t off)
{
    if (off >= im->size)
        return NULL;
    uint8_t *b = materialise(im, off / SPARSE_IMAGE_CHUNK);
    return b ? b + off % SPARSE_IMAGE_CHUNK : NULL;
}
