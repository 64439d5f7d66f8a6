/* recording_zlib.c — see recording_zlib.h. */
#include "record/recording_zlib.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "record/recording_adler.h"

/* ---- writing ---- */

/* Deflate what waits in `in` (flush: Z_NO_FLUSH, or Z_FINISH to end the stream) and write it. */
static void zw_deflate(struct vqrec_zwriter *w, int flush)
{
    w->z.next_in = w->in;
    w->z.avail_in = (uInt)w->in_len;
    int rc;
    do {
        w->z.next_out = w->out;
        w->z.avail_out = sizeof(w->out);
        rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR) {
            w->failed = true;
            w->err_no = 0;
            return;
        }
        size_t n = sizeof(w->out) - w->z.avail_out;
        if (n && fwrite(w->out, 1, n, w->f) != n) {
            w->failed = true;
            w->err_no = errno;
            return;
        }
    } while (w->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    w->in_len = 0;
}

int vqrec_zw_start(struct vqrec_zwriter *w, FILE *f)
{
    memset(&w->z, 0, sizeof(w->z));
    w->f = f;
    w->failed = false;
    w->err_no = 0;
    w->in_len = 0;
    /* Level 1: the plugin deflates under its lock while vCPUs wait, and a simulated run of
     * 70,000 requests writes 85 MB of events (level 6 cost 0.5 s of CPU there, level 1 a few
     * times less, for a file about 1.5x larger). */
    w->started = deflateInit(&w->z, Z_BEST_SPEED) == Z_OK;
    return w->started ? 0 : -1;
}

void vqrec_zw_put(struct vqrec_zwriter *w, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n && w->started && !w->failed) {
        size_t k = sizeof(w->in) - w->in_len;
        if (k > n)
            k = n;
        memcpy(w->in + w->in_len, b, k);
        w->in_len += k;
        b += k;
        n -= k;
        if (w->in_len == sizeof(w->in))
            zw_deflate(w, Z_NO_FLUSH);
    }
}

int vqrec_zw_finish(struct vqrec_zwriter *w)
{
    if (!w->started)
        return -1;
    if (!w->failed)
        zw_deflate(w, Z_FINISH);
    deflateEnd(&w->z);
    w->started = false;
    return w->failed ? -1 : 0;
}

/* ---- reading ---- */

static int zs_fail(struct vqrec_zsource *s, int error, const char *what)
{
    s->error = error;
    s->end = true;
    snprintf(s->msg, sizeof(s->msg), "%s", what);
    return -1;
}

/* The input used up (zlib took all of it): its last bytes into `tail`. */
static void zs_keep_tail(struct vqrec_zsource *s)
{
    size_t n = s->in_n < 4 ? s->in_n : 4;
    memmove(s->tail, s->tail + n, 4 - n);
    if (n)
        memcpy(s->tail + 4 - n, s->in_at + s->in_n - n, n);
}

/* The 4 compressed bytes before next_in, big-endian (RFC 1950: a stream's Adler-32 when it has
 * just ended). */
static uint32_t zs_trailer(const struct vqrec_zsource *s)
{
    size_t used = (size_t)(s->z.next_in - s->in_at);
    uint32_t v = 0;
    for (size_t back = 4; back >= 1; back--)
        v = v << 8 | (back <= used ? s->z.next_in[-(ptrdiff_t)back] : s->tail[4 - (back - used)]);
    return v;
}

/* Compressed bytes into `in` when zlib has used up what it had. 0, 1 at the end of the data, or
 * -1 on a read error. */
static int zs_feed_raw(struct vqrec_zsource *s)
{
    if (s->z.avail_in)
        return 0;
    zs_keep_tail(s);
    s->in_n = 0;
    if (!s->f) {
        uint64_t at = (uint64_t)(s->z.next_in ? s->z.next_in - s->buf : (ptrdiff_t)s->start);
        if (at >= s->buf_len)
            return 1;
        uint64_t n = s->buf_len - at;
        s->z.next_in = (Bytef *)(uintptr_t)(s->buf + at); /* zlib does not write through it */
        s->z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
        s->in_at = s->z.next_in;
        s->in_n = s->z.avail_in;
        return 0;
    }
    size_t n = fread(s->in, 1, sizeof(s->in), s->f);
    if (!n)
        return ferror(s->f) ? zs_fail(s, VQREC_ZS_EREAD, strerror(errno)) : 1;
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)n;
    s->in_at = s->in;
    s->in_n = n;
    return 0;
}

/* The data ended, no error so far: the first time, what was fed is the recording checked (every
 * stream's check value was); after that, what was fed must be the same bytes. 1, or -1 (they
 * were not: s->error). */
static int zs_data_end(struct vqrec_zsource *s)
{
    if (!s->checked) {
        s->checked = true;
        s->checked_sum = s->fed_sum;
        s->checked_len = s->fed_len;
    } else if (s->fed_sum != s->checked_sum || s->fed_len != s->checked_len) {
        return zs_fail(s, VQREC_ZS_EDATA, "the recording changed since it was first read");
    }
    return 1;
}

/* Compressed bytes into `in` when zlib has used up what it had (summed: zs_data_end). 0, 1 at
 * the end of the data, or -1 on a read error or a changed recording. */
static int zs_feed(struct vqrec_zsource *s)
{
    if (s->z.avail_in)
        return 0;
    int rc = zs_feed_raw(s);
    if (rc == 0) {
        s->fed_sum = vqrec_adler32(s->fed_sum, s->z.next_in, s->z.avail_in);
        s->fed_len += s->z.avail_in;
    }
    return rc == 1 ? zs_data_end(s) : rc;
}

/* The window's new bytes into the stream's Adler-32 (test builds: asserted equal to zlib's). */
static void zs_sum(struct vqrec_zsource *s)
{
#ifndef NDEBUG
    uint32_t zlib_sum = (uint32_t)adler32(s->own_sum, s->out, (uInt)s->out_len);
#endif
    s->own_sum = vqrec_adler32(s->own_sum, s->out, s->out_len);
    assert(s->own_sum == zlib_sum);
}

/* A stream just ended: true when its Adler-32 is the one it ends with (the next starts at 1),
 * else false with zlib's words for it (what inflate said when it checked). */
static bool zs_stream_checked(struct vqrec_zsource *s)
{
    if (s->own_sum != zs_trailer(s)) {
        zs_fail(s, VQREC_ZS_EDATA, "the compressed stream is corrupt (zlib: incorrect data check)");
        return false;
    }
    s->own_sum = 1;
    return true;
}

/* The window refilled: false at the end of the stream or of the data (or on an error). */
static bool zs_fill(struct vqrec_zsource *s)
{
    s->out_at = s->out_len = 0;
    while (!s->end && !s->out_len) {
        int fed = zs_feed(s);
        if (fed < 0)
            return false;
        if (fed > 0) { /* the data ends before the stream does: cut short */
            s->end = true;
            return false;
        }
        s->z.next_out = s->out;
        s->z.avail_out = sizeof(s->out);
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->out_len = sizeof(s->out) - s->z.avail_out;
        if (s->own_check && (rc == Z_OK || rc == Z_STREAM_END))
            zs_sum(s);
        if (rc == Z_STREAM_END && s->own_check && !zs_stream_checked(s)) {
            s->out_len = 0; /* as zlib's own check would: nothing of that inflate is handed out */
            return false;
        }
        if (rc == Z_STREAM_END) { /* another stream may follow (recording_zlib.h) */
            int more = zs_feed(s);
            if (more < 0) { /* nothing of a recording that changed is handed out */
                s->out_len = 0;
                return false;
            }
            if (more > 0)
                s->end = s->complete = true;
            else if (inflateReset(&s->z) != Z_OK) {
                zs_fail(s, VQREC_ZS_EDATA, "zlib could not start again");
                return false;
            }
        } else if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR ||
                 rc == Z_STREAM_ERROR) {
            char m[96];
            snprintf(m, sizeof(m), "the compressed stream is corrupt (zlib: %s)",
                     s->z.msg ? s->z.msg : "error");
            zs_fail(s, VQREC_ZS_EDATA, m);
            s->out_len = 0;
            return false;
        }
    }
    return s->out_len > 0;
}

int vqrec_zs_open(struct vqrec_zsource *s, FILE *f, const uint8_t *buf, uint64_t buf_len,
                  uint64_t start)
{
    memset(&s->z, 0, sizeof(s->z));
    s->checked = false;
    s->f = f;
    s->buf = buf;
    s->buf_len = buf_len;
    s->start = start;
    s->started = inflateInit(&s->z) == Z_OK;
    if (!s->started)
        return zs_fail(s, VQREC_ZS_EDATA, "out of memory for zlib");
    return vqrec_zs_rewind(s);
}

int vqrec_zs_rewind(struct vqrec_zsource *s)
{
    s->pos = 0;
    s->out_at = s->out_len = 0;
    s->end = s->complete = false;
    s->error = 0;
    s->msg[0] = 0;
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    s->fed_sum = 1; /* adler32's start */
    s->fed_len = 0;
    s->in_at = NULL;
    s->in_n = 0;
    memset(s->tail, 0, sizeof(s->tail));
    s->own_sum = 1;
    s->own_check = false;
    if (!s->started || inflateReset(&s->z) != Z_OK)
        return zs_fail(s, VQREC_ZS_EDATA, "zlib could not start again");
#if ZLIB_VERNUM >= 0x1290
    /* each stream's check value checked until a pass has checked them all (recording_zlib.h),
     * here rather than by zlib (recording_adler.h); a zlib without inflateValidate checks it
     * itself, on every pass */
    if (inflateValidate(&s->z, 0) != Z_OK)
        return zs_fail(s, VQREC_ZS_EDATA, "zlib could not start again");
    s->own_check = !s->checked;
#endif
    if (s->f && fseeko(s->f, (off_t)s->start, SEEK_SET) != 0)
        return zs_fail(s, VQREC_ZS_EREAD, strerror(errno));
    return 0;
}

size_t vqrec_zs_read(struct vqrec_zsource *s, void *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (s->out_at == s->out_len && !zs_fill(s))
            break;
        size_t k = s->out_len - s->out_at;
        if (k > n - got)
            k = n - got;
        if (dst)
            memcpy((unsigned char *)dst + got, s->out + s->out_at, k);
        s->out_at += k;
        got += k;
    }
    s->pos += got;
    return got;
}

void vqrec_zs_close(struct vqrec_zsource *s)
{
    if (s->started)
        inflateEnd(&s->z);
    s->started = false;
}
