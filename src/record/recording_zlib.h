/* recording_zlib.h — the compressed event stream of a format 2 recording (recording.h).
 *
 * Format 2 is format 1's events, byte for byte, deflated after the uncompressed header: one or
 * more zlib streams (RFC 1950) back to back, their contents one after the other (`vqsim record`
 * appends its NOTEs and END to the plugin's stream as a second one). A recording is mostly the same few addresses, pcs and trace lines
 * again and again: deflate makes a Linux guest's recording about 10x smaller. Offsets (in
 * messages, in a check's discrepancies) count bytes of the uncompressed recording — the header
 * and the inflated stream — so they name the same event in both formats.
 *
 * Writing: the plugin (src/record/plugin/vqrec_output.c) and the simulator's writer
 * (recording_writer.c) put their events through a struct vqrec_zwriter. Reading: the reader
 * (recording_reader.c) inflates through a struct vqrec_zsource, in memory that does not grow
 * with the recording (two 64 KiB windows and zlib's state). Plain C and zlib: the plugin
 * includes it too.
 */
#ifndef RECORDING_ZLIB_H
#define RECORDING_ZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#define VQREC_ZBUF (64u * 1024u)

/* ---- writing ---- */
struct vqrec_zwriter {
    FILE *f;
    z_stream z;
    bool started;
    bool failed;               /* a write or zlib error: everything after is dropped */
    int err_no;                /* errno of a failed write (0: zlib's) */
    size_t in_len;             /* bytes waiting in `in` */
    unsigned char in[VQREC_ZBUF];
    unsigned char out[VQREC_ZBUF];
};

/* Start the stream; what follows goes to f at its current position. 0, or -1 (zlib's state
 * could not be made: out of memory). */
int vqrec_zw_start(struct vqrec_zwriter *w, FILE *f);
/* n bytes of the uncompressed stream (buffered; a failure is remembered). */
void vqrec_zw_put(struct vqrec_zwriter *w, const void *p, size_t n);
/* End the stream (everything written to f, not flushed) and free zlib's state. 0, or -1 when
 * any write failed (w->err_no: errno, or 0 for zlib). */
int vqrec_zw_finish(struct vqrec_zwriter *w);

/* ---- reading ---- */
enum { VQREC_ZS_EREAD = 1,     /* the file could not be read */
       VQREC_ZS_EDATA = 2 };   /* the bytes are not a zlib stream (corrupt) */
struct vqrec_zsource {
    z_stream z;
    bool started;
    FILE *f;                   /* compressed bytes from f (at `start`), or from buf */
    const uint8_t *buf;
    uint64_t buf_len;
    uint64_t start;            /* where the stream begins in the file / buffer */
    uint64_t pos;              /* uncompressed bytes handed out since the start */
    size_t out_at, out_len;    /* the window: out[out_at, out_len) comes next */
    bool end;                  /* the streams ended (or the data did: cut short) */
    bool complete;             /* ... and the last stream was whole (not cut short) */
    int error;                 /* 0, VQREC_ZS_EREAD or VQREC_ZS_EDATA (msg says why) */
    /* A pass read to the end of the data has checked every stream's Adler-32 (of the inflated
     * bytes, RFC 1950). A later pass (the replay after the validating first pass) does not
     * compute it again (inflateValidate: a fifth of the reading): it sums the compressed bytes
     * it feeds instead, ten times fewer, and at the end of the data they must be the first
     * pass's, or the recording changed since (VQREC_ZS_EDATA). */
    uint32_t fed_sum;          /* adler32 of the compressed bytes fed in this pass */
    uint64_t fed_len;
    bool checked;              /* a pass read to the end without an error: ... */
    uint32_t checked_sum;      /* ... these are its fed_sum and fed_len */
    uint64_t checked_len;
    /* The first pass's check of each stream's Adler-32, made here (recording_adler.h) rather
     * than by zlib: the inflated bytes' sum, compared at the stream's end with the 4 compressed
     * bytes just before next_in (the RFC 1950 trailer; those of them fed before the current
     * input are in `tail`). */
    bool own_check;            /* this pass checks (no pass read to the end yet) */
    uint32_t own_sum;          /* Adler-32 of this stream's inflated bytes so far */
    const uint8_t *in_at;      /* the current input: in_at[0, in_n) */
    size_t in_n;
    uint8_t tail[4];           /* the 4 compressed bytes fed before in_at */
    char msg[128];
    unsigned char in[VQREC_ZBUF];
    unsigned char out[VQREC_ZBUF];
};

/* Read the stream at `start` of f, or of buf[0, buf_len) when f is NULL. 0, or -1 (out of
 * memory). */
int vqrec_zs_open(struct vqrec_zsource *s, FILE *f, const uint8_t *buf, uint64_t buf_len,
                  uint64_t start);
/* The next n uncompressed bytes into dst (NULL: skipped). The count read: n, fewer where the
 * data ends (s->error then says whether it was an error rather than the end). */
size_t vqrec_zs_read(struct vqrec_zsource *s, void *dst, size_t n);
/* The next n uncompressed bytes where they lie in the window (valid until the next call), or
 * NULL when fewer than n are there (vqrec_zs_read reads across windows); vqrec_zs_take(s, n)
 * then hands them out. The reader's common case: an event read without a copy. */
static inline const uint8_t *vqrec_zs_peek(const struct vqrec_zsource *s, uint64_t n)
{
    return s->out_len - s->out_at >= n ? s->out + s->out_at : NULL;
}
static inline void vqrec_zs_take(struct vqrec_zsource *s, size_t n)
{
    s->out_at += n;
    s->pos += n;
}
/* Back to the stream's first byte. 0, or -1 (s->error). */
int vqrec_zs_rewind(struct vqrec_zsource *s);
void vqrec_zs_close(struct vqrec_zsource *s);

#endif /* RECORDING_ZLIB_H */
