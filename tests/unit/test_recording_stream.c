/* test_recording_stream.c — recording format 2 (the events deflated, recording_zlib.h) and the
 * streaming reader: format 2 reads as the same events at the same offsets as format 1; a stream
 * cut short ends after its last whole event; a corrupt stream is an error naming its offset; a
 * second stream after the first (how `vqsim record` appends END) is read on; the reader's live
 * heap does not grow with the recording (the same peak for 2,000 and 200,000 events, from a
 * buffer and from a file); a pass after the first that checked the streams sums the compressed
 * bytes instead and says when the recording changed in between; the reader's own Adler-32
 * (recording_adler.h) is zlib's, and checks a stream whose check value straddles two reads of
 * the file; and the plugin's page cache (va_cache.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>

#include "record/plugin/va_cache.h"
#include "record/recording.h"
#include "record/recording_adler.h"
#include "record/recording_reader.h"
#include "record/recording_zlib.h"

#ifdef __SANITIZE_ADDRESS__ /* ASan's allocator (gcc ships no header declaring it) */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t live_heap(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
static size_t live_heap(void) { return mallinfo2().uordblks; }
#endif

/* ---- a recording, format 1 (plain) and 2 (deflated) ---- */

struct buf {
    uint8_t *b;
    size_t n, cap;
};

static void put(struct buf *r, const void *p, size_t n)
{
    if (r->n + n > r->cap) {
        r->cap = 2 * (r->n + n);
        r->b = realloc(r->b, r->cap);
        assert_non_null(r->b);
    }
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

/* The events of a recording: n round trips of stores, loads, a barrier and a dump of 40 bytes,
 * then END; format 1 bytes (header with major 1). */
static struct buf plain_recording(unsigned n)
{
    struct buf r = {0};
    struct vqrec_header h = {.major = VQREC_VERSION_MAJOR_PLAIN, .minor = VQREC_VERSION_MINOR,
                             .header_size = sizeof(h), .ram_base = 0x40000000,
                             .ram_size = 64u << 20, .n_cpus = 1};
    memcpy(h.magic, VQREC_MAGIC, 8);
    put(&r, &h, sizeof(h));
    uint8_t dump[40] = {1, 2, 3};
    static const uint8_t pad[8];
    for (unsigned i = 0; i < n; i++) {
        struct vqrec_event s = {.kind = VQREC_STORE, .size = 2, .addr = 0x40001002,
                                .value = i & 0xffff, .pc = 0xffff000010000000ull + i % 7};
        struct vqrec_event b = {.kind = VQREC_BARRIER, .value = VQREC_WMB, .addr = 0xd5033abf};
        struct vqrec_event m = {.kind = VQREC_MEMORY, .len = sizeof(dump) - i % 3,
                                .addr = 0x40100000, .value = sizeof(dump)};
        put(&r, &b, sizeof(b));
        put(&r, &s, sizeof(s));
        put(&r, &m, sizeof(m));
        put(&r, dump, m.len);
        put(&r, pad, (8 - m.len % 8) % 8);
    }
    struct vqrec_event end = {.kind = VQREC_END, .cpu = VQREC_CPU_NONE};
    put(&r, &end, sizeof(end));
    return r;
}

/* Format 1 bytes as format 2: the header (major 2) and the events deflated, in `streams`
 * zlib streams back to back (split at event offset `split` when 2). */
static struct buf deflated(const struct buf *p, int streams, size_t split)
{
    struct buf r = {0};
    size_t hs = sizeof(struct vqrec_header);
    FILE *f = tmpfile();
    assert_non_null(f);
    struct vqrec_header h;
    memcpy(&h, p->b, hs);
    h.major = VQREC_VERSION_MAJOR;
    assert_int_equal(fwrite(&h, hs, 1, f), 1);
    struct vqrec_zwriter *z = malloc(sizeof(*z));
    assert_non_null(z);
    size_t cut = streams == 2 ? split : p->n;
    assert_int_equal(vqrec_zw_start(z, f), 0);
    vqrec_zw_put(z, p->b + hs, cut - hs);
    assert_int_equal(vqrec_zw_finish(z), 0);
    if (streams == 2) {
        assert_int_equal(vqrec_zw_start(z, f), 0);
        vqrec_zw_put(z, p->b + cut, p->n - cut);
        assert_int_equal(vqrec_zw_finish(z), 0);
    }
    free(z);
    long n = ftell(f);
    r.b = malloc((size_t)n);
    r.n = (size_t)n;
    rewind(f);
    assert_int_equal(fread(r.b, 1, r.n, f), r.n);
    fclose(f);
    return r;
}

static void same_events(const struct vqrec_recording *a, const struct vqrec_recording *b)
{
    assert_int_equal(a->n_items, b->n_items);
    for (size_t i = 0; i < a->n_items; i++) {
        assert_int_equal(a->items[i].offset, b->items[i].offset);
        assert_memory_equal(&a->items[i].ev, &b->items[i].ev, sizeof(a->items[i].ev));
        if (a->items[i].ev.len)
            assert_memory_equal(a->items[i].payload, b->items[i].payload, a->items[i].ev.len);
    }
    assert_int_equal(a->has_end, b->has_end);
    assert_int_equal(a->truncated, b->truncated);
}

static void test_format2_same_events(void **state)
{
    (void)state;
    char err[256];
    struct buf p = plain_recording(500), z1 = deflated(&p, 1, 0);
    /* the second stream starts at an event's offset: after the first 100 round trips */
    size_t split = sizeof(struct vqrec_header) + 100 * (3 * 32 + 40);
    struct buf z2 = deflated(&p, 2, split);
    assert_true(z1.n * 5 < p.n); /* compact: the same few addresses again and again */
    struct vqrec_recording a, b, c;
    assert_int_equal(vqrec_parse(p.b, p.n, &a, err, sizeof(err)), VQREC_OK);
    assert_int_equal(vqrec_parse(z1.b, z1.n, &b, err, sizeof(err)), VQREC_OK);
    assert_int_equal(vqrec_parse(z2.b, z2.n, &c, err, sizeof(err)), VQREC_OK);
    assert_int_equal(a.n_items, 1501);
    assert_true(a.has_end && !a.truncated);
    same_events(&a, &b);
    same_events(&a, &c);
    assert_int_equal(b.header.major, 2);
    /* the stream reader (a buffer) hands out the same */
    struct vqrec_reader rd;
    struct vqrec_item it;
    assert_int_equal(vqrec_reader_open_buffer(&rd, z2.b, z2.n, err, sizeof(err)), VQREC_OK);
    for (size_t i = 0; i < a.n_items; i++) {
        assert_int_equal(vqrec_reader_next(&rd, &it, i % 2 == 0, err, sizeof(err)), 1);
        assert_int_equal(it.offset, a.items[i].offset);
        assert_memory_equal(&it.ev, &a.items[i].ev, sizeof(it.ev));
        if (i % 2 == 0 && it.ev.len) /* read where it lies in the window, or across two */
            assert_memory_equal(it.payload, a.items[i].payload, it.ev.len);
        else
            assert_null(it.payload);
    }
    assert_int_equal(vqrec_reader_next(&rd, &it, true, err, sizeof(err)), 0);
    assert_int_equal(vqrec_reader_rewind(&rd, err, sizeof(err)), VQREC_OK);
    assert_int_equal(vqrec_reader_next(&rd, &it, true, err, sizeof(err)), 1);
    assert_int_equal(it.offset, sizeof(struct vqrec_header));
    vqrec_reader_close(&rd);
    vqrec_free(&a);
    vqrec_free(&b);
    vqrec_free(&c);
    free(p.b);
    free(z1.b);
    free(z2.b);
}

/* A deflated stream cut anywhere reads as its whole events before the cut (no END); a corrupt
 * one is an error naming an offset. */
static void test_format2_cut_and_corrupt(void **state)
{
    (void)state;
    char err[256];
    struct buf p = plain_recording(300), z = deflated(&p, 1, 0);
    struct vqrec_recording all;
    assert_int_equal(vqrec_parse(p.b, p.n, &all, err, sizeof(err)), VQREC_OK);
    size_t last = 0;
    for (size_t cut = sizeof(struct vqrec_header); cut < z.n; cut += 7) {
        struct vqrec_recording r;
        assert_int_equal(vqrec_parse(z.b, cut, &r, err, sizeof(err)), VQREC_OK);
        assert_true(r.n_items >= last && r.n_items <= all.n_items);
        /* END is there only when everything is (a cut in zlib's checksum at the end) */
        assert_true(r.has_end == (r.n_items == all.n_items));
        assert_true(!r.has_end || cut + 8 > z.n);
        for (size_t i = 0; i < r.n_items; i++)
            assert_int_equal(r.items[i].offset, all.items[i].offset);
        last = r.n_items;
        vqrec_free(&r);
    }
    assert_true(last > all.n_items / 2);
    z.b[sizeof(struct vqrec_header)] ^= 0xff; /* the zlib header */
    struct vqrec_recording r;
    assert_int_equal(vqrec_parse(z.b, z.n, &r, err, sizeof(err)), VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 72: the compressed stream is corrupt"));
    vqrec_free(&all);
    free(p.b);
    free(z.b);
}

/* vqrec_adler32 is zlib's adler32: every length to 300 and around its 32 KiB rounds, from 1 and
 * from other values, on bytes of all 0xff (the largest sums) and on varied ones. */
static void test_adler32_is_zlibs(void **state)
{
    (void)state;
    size_t n = 3u << 16;
    uint8_t *b = malloc(n);
    assert_non_null(b);
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < n; i++)
            b[i] = fill ? (uint8_t)(i * 131u + (i >> 7)) : 0xff;
        static const uint32_t from[] = {1u, 0xfff0fff0u, 0x12345678u % 65521u};
        for (size_t f = 0; f < sizeof(from) / sizeof(from[0]); f++) {
            for (size_t len = 0; len <= 300; len++)
                assert_int_equal(vqrec_adler32(from[f], b + 3, len),
                                 (uint32_t)adler32(from[f], b + 3, (uInt)len));
            static const size_t big[] = {32767, 32768, 32769, 32768 + 15, 65536 + 17, 3u << 16};
            for (size_t k = 0; k < sizeof(big) / sizeof(big[0]); k++)
                assert_int_equal(vqrec_adler32(from[f], b, big[k]),
                                 (uint32_t)adler32(from[f], b, (uInt)big[k]));
        }
    }
    free(b);
}

/* A zlib stream (stored blocks) of n varied bytes, ending `end` bytes into the file after a
 * 72-byte lead: found by trying lengths; false when none gives that end. */
static bool stream_ending_at(size_t end, uint8_t **data, size_t *n, uint8_t **z, size_t *zn)
{
    for (size_t len = end - 40; len < end; len++) {
        uLongf cap = compressBound((uLong)len);
        uint8_t *d = malloc(len), *c = malloc(cap);
        assert_true(d && c);
        for (size_t i = 0; i < len; i++)
            d[i] = (uint8_t)(i * 7u + (i >> 9));
        assert_int_equal(compress2(c, &cap, d, (uLong)len, 0), Z_OK);
        if (cap == end) {
            *data = d, *n = len, *z = c, *zn = cap;
            return true;
        }
        free(d);
        free(c);
    }
    return false;
}

/* Read from a file, a stream's Adler-32 (its last 4 bytes) lies in one read of VQREC_ZBUF bytes
 * or across two: checked either way, and a changed check value is zlib's "incorrect data check". */
static void test_own_check_across_reads(void **state)
{
    (void)state;
    for (size_t end = VQREC_ZBUF; end <= VQREC_ZBUF + 4; end++) {
        uint8_t *d, *z;
        size_t n, zn;
        assert_true(stream_ending_at(end, &d, &n, &z, &zn));
        for (int bad = 0; bad < 2; bad++) {
            FILE *f = tmpfile();
            assert_non_null(f);
            static const uint8_t lead[72];
            z[zn - 1] ^= (uint8_t)bad;
            assert_int_equal(fwrite(lead, 1, sizeof(lead), f), sizeof(lead));
            assert_int_equal(fwrite(z, 1, zn, f), zn);
            z[zn - 1] ^= (uint8_t)bad;
            struct vqrec_zsource *s = malloc(sizeof(*s));
            assert_non_null(s);
            assert_int_equal(vqrec_zs_open(s, f, NULL, 0, sizeof(lead)), 0);
            uint8_t *out = malloc(n + 1);
            size_t got = vqrec_zs_read(s, out, n + 1);
            if (bad) {
                assert_int_equal(s->error, VQREC_ZS_EDATA);
                assert_non_null(strstr(s->msg, "incorrect data check"));
                assert_true(got <= n);
            } else {
                assert_int_equal(s->error, 0);
                assert_int_equal(got, n);
                assert_memory_equal(out, d, n);
                assert_true(s->complete);
            }
            vqrec_zs_close(s);
            free(s);
            free(out);
            fclose(f);
        }
        free(d);
        free(z);
    }
}

/* Every event of rd to its end: how many, or the error status. */
static int read_all(struct vqrec_reader *rd, unsigned *n, char *err, size_t errlen)
{
    struct vqrec_item it;
    int rc;
    *n = 0;
    while ((rc = vqrec_reader_next(rd, &it, true, err, errlen)) == 1)
        (*n)++;
    return rc;
}

/* A pass after the first, which checked every stream's Adler-32, does not compute it again: it
 * sums the compressed bytes instead, and a recording changed in between is an error at its end,
 * even where the change still inflates (a stored block, level 0, whose bytes are the events). */
static void test_format2_changed_between_passes(void **state)
{
    (void)state;
    char err[256];
    struct buf p = plain_recording(200);
    size_t hs = sizeof(struct vqrec_header);
    uLongf zn = compressBound((uLong)(p.n - hs));
    uint8_t *z = malloc(hs + zn);
    assert_non_null(z);
    memcpy(z, p.b, hs);
    ((struct vqrec_header *)z)->major = VQREC_VERSION_MAJOR;
    assert_int_equal(compress2(z + hs, &zn, p.b + hs, (uLong)(p.n - hs), 0), Z_OK);
    struct vqrec_reader rd;
    unsigned n1, n2, n3;
    assert_int_equal(vqrec_reader_open_buffer(&rd, z, hs + zn, err, sizeof(err)), VQREC_OK);
    assert_int_equal(read_all(&rd, &n1, err, sizeof(err)), 0);
    assert_int_equal(n1, 601);
    assert_true(rd.z->checked);
    assert_int_equal(vqrec_reader_rewind(&rd, err, sizeof(err)), VQREC_OK);
    assert_int_equal(read_all(&rd, &n2, err, sizeof(err)), 0); /* the same bytes: fine */
    assert_int_equal(n2, n1);
    /* a STORE's address (0x40001002), changed in the stored block: still a valid stream */
    static const uint8_t addr[8] = {0x02, 0x10, 0x00, 0x40};
    uint8_t *at = memmem(z + hs, zn, addr, sizeof(addr));
    assert_non_null(at);
    at[1] = 0x20;
    assert_int_equal(vqrec_reader_rewind(&rd, err, sizeof(err)), VQREC_OK);
    assert_int_equal(read_all(&rd, &n3, err, sizeof(err)), VQREC_E_INVALID);
    assert_non_null(strstr(err, "the recording changed since it was first read"));
    vqrec_reader_close(&rd);
    /* read first as changed: the first pass checks it (its Adler-32 fails) */
    assert_int_equal(vqrec_reader_open_buffer(&rd, z, hs + zn, err, sizeof(err)), VQREC_OK);
    assert_int_equal(read_all(&rd, &n3, err, sizeof(err)), VQREC_E_INVALID);
    assert_non_null(strstr(err, "incorrect data check"));
    vqrec_reader_close(&rd);
    free(z);
    free(p.b);
}

/* The reader's peak live heap while streaming every event with its payload. */
static size_t stream_peak(const struct buf *z, const char *path, unsigned *n_events)
{
    char err[256];
    size_t before = live_heap(), peak = 0;
    struct vqrec_reader *rd = malloc(sizeof(*rd));
    assert_non_null(rd);
    if (path)
        assert_int_equal(vqrec_reader_open(rd, path, err, sizeof(err)), VQREC_OK);
    else
        assert_int_equal(vqrec_reader_open_buffer(rd, z->b, z->n, err, sizeof(err)), VQREC_OK);
    struct vqrec_item it;
    *n_events = 0;
    while (vqrec_reader_next(rd, &it, true, err, sizeof(err)) == 1) {
        if (++*n_events % 512 == 0 && live_heap() - before > peak)
            peak = live_heap() - before;
    }
    assert_true(rd->info.has_end);
    vqrec_reader_close(rd);
    free(rd);
    return peak;
}

static void test_reader_memory_flat(void **state)
{
    (void)state;
    struct buf ps = plain_recording(2000), pl = plain_recording(200000);
    struct buf zs = deflated(&ps, 1, 0), zl = deflated(&pl, 1, 0);
    unsigned ns, nl;
    size_t short_peak = stream_peak(&zs, NULL, &ns), long_peak = stream_peak(&zl, NULL, &nl);
    assert_int_equal(nl, 100 * ns - 99); /* 100x the events (END once) */
    assert_true(short_peak > 0);
    assert_int_equal(long_peak, short_peak);
    /* from a file, format 2 and format 1 */
    char path[] = "/tmp/vqsim-stream-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const struct buf *files[] = {&zs, &zl, &ps, &pl};
    size_t peaks[4];
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(files[i]->b, 1, files[i]->n, f), files[i]->n);
        fclose(f);
        unsigned n;
        peaks[i] = stream_peak(NULL, path, &n);
        assert_int_equal(n, i % 2 ? nl : ns);
    }
    assert_int_equal(peaks[1], peaks[0]);
    assert_int_equal(peaks[3], peaks[2]);
    remove(path);
    free(ps.b);
    free(pl.b);
    free(zs.b);
    free(zl.b);
}

/* ---- the plugin's page cache (va_cache.h) ---- */

static void test_va_cache(void **state)
{
    (void)state;
    uint64_t pa;
    bool ring;
    assert_int_equal(vc_lookup(0, 0xffff000012345678ull, 4, &pa, &ring), VC_MISS);
    uint64_t g = vc_generation();
    vc_fill(0, 0xffff000012345678ull, 4, 0x40345678, true, g);
    assert_int_equal(vc_lookup(0, 0xffff000012345ff8ull, 8, &pa, &ring), VC_HIT);
    assert_int_equal(pa, 0x40345ff8);
    assert_true(ring);
    assert_int_equal(vc_lookup(0, 0xffff000012345ffcull, 8, &pa, &ring), VC_MISS); /* crosses */
    assert_int_equal(vc_lookup(1, 0xffff000012345678ull, 4, &pa, &ring), VC_MISS); /* vCPU 1 */
    /* an entry filled from an answer older than a translation change is never used */
    vc_fill(1, 0x1000, 4, 0x40001000, false, g);
    vc_mmu_change(2);
    assert_int_equal(vc_lookup(0, 0xffff000012345678ull, 4, &pa, &ring), VC_MISS);
    assert_int_equal(vc_lookup(1, 0x1000, 4, &pa, &ring), VC_MISS);
    /* the changing vCPU drops everything again at its next access (the change is done then) */
    g = vc_generation();
    vc_fill(0, 0x2000, 4, 0x40002000, false, g);
    assert_int_equal(vc_lookup(0, 0x2000, 4, &pa, &ring), VC_HIT);
    assert_int_equal(vc_lookup(2, 0x9000, 4, &pa, &ring), VC_MISS); /* vCPU 2's next access */
    assert_int_equal(vc_lookup(0, 0x2000, 4, &pa, &ring), VC_MISS);
    /* the ring ranges changed: the same */
    g = vc_generation();
    vc_fill(0, 0x3000, 2, 0x40003000, false, g);
    vc_invalidate();
    assert_int_equal(vc_lookup(0, 0x3000, 2, &pa, &ring), VC_MISS);
    /* a vCPU that QEMU stopped and lets run again (it may have reset it) forgets its own
     * entries, and only its own */
    g = vc_generation();
    vc_fill(4, 0x5000, 4, 0x40005000, false, g);
    vc_fill(5, 0x5000, 4, 0x40007000, false, g);
    vc_cpu_resumed(4);
    assert_int_equal(vc_lookup(4, 0x5000, 4, &pa, &ring), VC_MISS);
    assert_int_equal(vc_lookup(5, 0x5000, 4, &pa, &ring), VC_HIT);
    assert_int_equal(pa, 0x40007000);
    vc_fill(4, 0x5000, 4, 0x40006000, false, vc_generation());
    assert_int_equal(vc_lookup(4, 0x5000, 4, &pa, &ring), VC_HIT);
    assert_int_equal(pa, 0x40006000);
    /* one hit in VC_VERIFY_EVERY is checked; a disagreement turns the cache off */
    g = vc_generation();
    vc_fill(3, 0x4000, 2, 0x40004000, false, g);
    int verify = 0;
    for (unsigned i = 0; i < 2 * VC_VERIFY_EVERY; i++) {
        enum vc_result r = vc_lookup(3, 0x4000, 2, &pa, &ring);
        assert_true(r == VC_HIT || r == VC_VERIFY);
        assert_int_equal(pa, 0x40004000);
        if (r == VC_VERIFY) {
            verify++;
            vc_verify(pa, false, pa);
        }
    }
    assert_int_equal(verify, 2);
    assert_int_equal(vc_disagreements(), 0);
    assert_true(vc_quiet(5, 0x5000)); /* (not its 64th hit) */
    vc_verify(0x40004000, false, 0x40008000);
    assert_int_equal(vc_disagreements(), 1);
    assert_int_equal(vc_lookup(3, 0x4000, 2, &pa, &ring), VC_MISS);
    assert_false(vc_quiet(5, 0x5000)); /* nor the fast path, on any vCPU */
    assert_int_equal(vc_lookup(5, 0x5000, 4, &pa, &ring), VC_MISS);
    /* vacache=off: never used (and said so) */
    assert_false(vc_is_off());
    vc_turn_off();
    assert_true(vc_is_off());
    vc_fill(6, 0x6000, 4, 0x40006000, false, vc_generation());
    assert_int_equal(vc_lookup(6, 0x6000, 4, &pa, &ring), VC_MISS);
}

/* vc_quiet, the memory callback's first test: yes only for a remembered RAM page with no ring,
 * of the current generation; its VC_VERIFY_EVERY-th hit goes to vc_lookup as a VC_VERIFY. */
static void test_va_cache_quiet(void **state)
{
    (void)state;
    uint64_t pa, hits0, lookups0, hits, lookups;
    bool ring;
    vc_counts(&hits0, &lookups0);
    assert_false(vc_quiet(8, 0x10010));
    assert_false(vc_quiet(VC_CPUS, 0x10010));
    vc_fill(8, 0x10010, 4, 0x40010010, false, vc_generation());
    vc_fill(8, 0x11000, 4, 0x40011000, true, vc_generation());
    assert_true(vc_quiet(8, 0x10010));
    assert_true(vc_quiet(8, 0x10ff8));
    assert_false(vc_quiet(8, 0x11000));  /* a ring in the page: vc_lookup */
    assert_int_equal(vc_lookup(8, 0x11008, 2, &pa, &ring), VC_HIT);
    assert_int_equal(pa, 0x40011008);
    assert_true(ring);
    assert_false(vc_quiet(8, 0x12000));  /* not remembered */
    assert_false(vc_quiet(9, 0x10010));  /* another vCPU's */
    vc_counts(&hits, &lookups);
    assert_int_equal(hits - hits0, 3);
    /* every VC_VERIFY_EVERY-th hit is checked: vc_quiet says no, vc_lookup says VC_VERIFY */
    unsigned verify = 0;
    for (unsigned i = 0; i < 2 * VC_VERIFY_EVERY; i++)
        if (!vc_quiet(8, 0x10010)) {
            assert_int_equal(vc_lookup(8, 0x10010, 4, &pa, &ring), VC_VERIFY);
            assert_int_equal(pa, 0x40010010);
            assert_false(ring);
            verify++;
        }
    assert_int_equal(verify, 2);
    /* a new generation (ring ranges, translation change of another vCPU): no, and the
     * vCPU's next lookup empties its table */
    vc_invalidate();
    assert_false(vc_quiet(8, 0x10010));
    assert_int_equal(vc_lookup(8, 0x10010, 4, &pa, &ring), VC_MISS);
    assert_false(vc_quiet(8, 0x10010));
    /* its own translation change, a resume: no, from the next access on */
    vc_fill(8, 0x10010, 4, 0x40010010, false, vc_generation());
    assert_true(vc_quiet(8, 0x10010));
    vc_mmu_change(8);
    assert_false(vc_quiet(8, 0x10010));
    vc_fill(8, 0x10010, 4, 0x40010010, false, vc_generation()); /* before that access: no */
    assert_false(vc_quiet(8, 0x10010));
    assert_int_equal(vc_lookup(8, 0x10010, 4, &pa, &ring), VC_MISS);
    vc_fill(8, 0x10010, 4, 0x40010010, false, vc_generation());
    assert_true(vc_quiet(8, 0x10010));
    vc_cpu_resumed(8);
    assert_false(vc_quiet(8, 0x10010));
    /* an answer from before a change is not kept */
    uint64_t g = vc_generation();
    vc_invalidate();
    vc_fill(8, 0x10010, 4, 0x40010010, false, g);
    assert_false(vc_quiet(8, 0x10010));
    assert_int_equal(vc_lookup(8, 0x10010, 4, &pa, &ring), VC_MISS);
}

/* Which instructions change the translation: TLBI, MSR to CRn 1 / 2; not reads, not others. */
static void test_va_cache_mmu_insns(void **state)
{
    (void)state;
    static const uint32_t yes[] = {
        0xd508831f, /* tlbi vmalle1is */
        0xd5088720, /* tlbi vae1, x0 */
        0xd5088360, /* tlbi vaae1is, x0 */
        0xd5182000, /* msr ttbr0_el1, x0 */
        0xd5182021, /* msr ttbr1_el1, x1 */
        0xd5182042, /* msr tcr_el1, x2 */
        0xd5181000, /* msr sctlr_el1, x0 */
        0xd51c1100, /* msr hcr_el2, x0 */
    };
    static const uint32_t no[] = {
        0xd5382000, /* mrs x0, ttbr0_el1 */
        0xd518a200, /* msr mair_el1, x0 */
        0xd5033bbf, /* dmb ish */
        0xd503201f, /* nop */
        0xd50b7e20, /* dc civac, x0 */
        0xd51bd040, /* msr tpidr_el0, x0 */
        0xb9000020, /* str w0, [x1] */
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(vc_mmu_insn(yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(vc_mmu_insn(no[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format2_same_events),
        cmocka_unit_test(test_format2_cut_and_corrupt),
        cmocka_unit_test(test_format2_changed_between_passes),
        cmocka_unit_test(test_adler32_is_zlibs),
        cmocka_unit_test(test_own_check_across_reads),
        cmocka_unit_test(test_reader_memory_flat),
        cmocka_unit_test(test_va_cache_quiet), /* before test_va_cache, which turns it off */
        cmocka_unit_test(test_va_cache),
        cmocka_unit_test(test_va_cache_mmu_insns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
