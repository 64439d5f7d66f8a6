/* recording_reader.c — see recording_reader.h. */
#include "record/recording_reader.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Payload bounds: a register access, barrier, window or end carries none; a note or device trace
 * line is a line of text; a memory dump is a buffer the device reads (a gpu command, an
 * indirect table, a scatter list), never near a gigabyte. Anything beyond is not a recording. */
#define TEXT_MAX (64u * 1024u)
#define MEMORY_MAX (1u << 30)

const char *vqrec_kind_name(unsigned kind)
{
    static const char *const n[] = {NULL,      "mmio-read", "mmio-write", "load",
                                    "store",   "barrier",   "memory",     "window",
                                    "device",  "end",       "note",       "pci-ecam"};
    return kind < sizeof(n) / sizeof(n[0]) && n[kind] ? n[kind] : "unknown";
}

static bool width_ok(uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

/* Check one known event; NULL when it is well formed, else what is wrong. */
static const char *check_event(const struct vqrec_event *e)
{
    switch (e->kind) {
    case VQREC_MMIO_READ:
    case VQREC_MMIO_WRITE:
    case VQREC_LOAD:
    case VQREC_STORE:
        if (!width_ok(e->size))
            return "access width is not 1, 2, 4 or 8 bytes";
        if (e->len)
            return "an access carries no payload";
        if (e->addr + e->size < e->addr)
            return "access wraps past the end of the address space";
        return NULL;
    case VQREC_BARRIER:
        if (e->value > VQREC_WMB)
            return "barrier kind is not mb, rmb or wmb";
        return e->len ? "a barrier carries no payload" : NULL;
    case VQREC_MEMORY:
        if (e->len == 0)
            return "a memory dump without bytes";
        if (e->len > MEMORY_MAX)
            return "a memory dump larger than 1 GiB";
        if (e->addr + e->len < e->addr)
            return "memory dump wraps past the end of the address space";
        return NULL;
    case VQREC_WINDOW:
    case VQREC_PCI_ECAM:
        if (e->value == 0 || e->addr + e->value < e->addr)
            return "a window of no size, or one that wraps";
        return e->len ? "a window carries no payload" : NULL;
    case VQREC_DEVICE:
    case VQREC_NOTE:
        return e->len > TEXT_MAX ? "a text payload larger than 64 KiB" : NULL;
    case VQREC_END:
        return e->len ? "an end event carries no payload" : NULL;
    default:
        return NULL; /* unknown: skipped by its len */
    }
}

static int errf(char *err, size_t errlen, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, uint64_t off, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "offset %llu: ", (unsigned long long)off);
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < errlen)
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return VQREC_E_INVALID;
}

/* Bytes [off, off + n) of the (uncompressed) recording into dst (NULL: skipped): how many there
 * were (fewer than n where the recording ends), or -1 when they cannot be read (a read error, a
 * corrupt compressed stream: get_error() says which). */
static int64_t get(struct vqrec_reader *r, uint64_t off, void *dst, size_t n)
{
    if (r->z && off >= r->info.header.header_size) { /* format 2's events */
        struct vqrec_zsource *z = r->z;
        uint64_t at = r->info.header.header_size + z->pos;
        if (off < at && vqrec_zs_rewind(z) != 0)
            return -1;
        at = r->info.header.header_size + z->pos;
        if (off > at && vqrec_zs_read(z, NULL, off - at) != off - at)
            return z->error ? -1 : 0;
        size_t got = vqrec_zs_read(z, dst, n);
        return got < n && z->error ? -1 : (int64_t)got;
    }
    if (off > r->info.size)
        return 0;
    if (n > r->info.size - off)
        n = (size_t)(r->info.size - off);
    if (!r->f) {
        if (dst)
            memcpy(dst, r->buf + off, n);
        return (int64_t)n;
    }
    uint8_t pad[8];
    if (!dst && n > sizeof(pad)) {
        r->fpos = UINT64_MAX; /* the next read seeks */
        return (int64_t)n;
    }
    if (!dst)
        dst = pad; /* a payload's padding: read through, no seek */
    if (off != r->fpos && fseeko(r->f, (off_t)off, SEEK_SET) != 0) {
        r->fpos = UINT64_MAX;
        return -1;
    }
    bool ok = fread(dst, 1, n, r->f) == n;
    r->fpos = ok ? off + n : UINT64_MAX; /* reading on from there needs no seek */
    return ok ? (int64_t)n : -1;
}

/* What get() could not read, said. */
static const char *get_error(const struct vqrec_reader *r)
{
    return r->z && r->z->error ? r->z->msg : "read error";
}

/* Format 2: the events are a zlib stream after the header. */
static int start_inflate(struct vqrec_reader *r, char *err, size_t errlen)
{
    r->z = malloc(sizeof(*r->z));
    if (!r->z || vqrec_zs_open(r->z, r->f, r->buf, r->info.size,
                               r->info.header.header_size) != 0) {
        if (r->z)
            vqrec_zs_close(r->z);
        free(r->z);
        r->z = NULL;
        if (err && errlen)
            snprintf(err, errlen, "offset %u: out of memory for the compressed stream",
                     r->info.header.header_size);
        return VQREC_E_NOMEM;
    }
    return VQREC_OK;
}

static int read_header(struct vqrec_reader *r, char *err, size_t errlen)
{
    struct vqrec_info *in = &r->info;
    uint64_t len = in->size;
    if (len < sizeof(struct vqrec_header))
        return errf(err, errlen, 0, "%llu bytes: too short for a recording header (%zu)",
                    (unsigned long long)len, sizeof(struct vqrec_header));
    if (get(r, 0, &in->header, sizeof(in->header)) != (int64_t)sizeof(in->header))
        return errf(err, errlen, 0, "the header cannot be read");
    const struct vqrec_header *h = &in->header;
    if (memcmp(h->magic, VQREC_MAGIC, 8) != 0)
        return errf(err, errlen, 0, "not a vqsim recording (magic is not %s)", VQREC_MAGIC);
    if (h->major != VQREC_VERSION_MAJOR && h->major != VQREC_VERSION_MAJOR_PLAIN)
        return errf(err, errlen, 8, "recording format version %u.%u; this vqsim reads %u.x and "
                    "%u.x", h->major, h->minor, VQREC_VERSION_MAJOR_PLAIN, VQREC_VERSION_MAJOR);
    if (h->header_size < sizeof(struct vqrec_header) || h->header_size % 8 ||
        h->header_size > len)
        return errf(err, errlen, 12, "header size %u (must be at least %zu, a multiple of 8, "
                    "within the file's %llu bytes)", h->header_size,
                    sizeof(struct vqrec_header), (unsigned long long)len);
    if (h->ram_size == 0 || h->ram_base + h->ram_size < h->ram_base)
        return errf(err, errlen, 16, "guest RAM of no size, or one that wraps");
    memcpy(in->source, h->source, sizeof(h->source));
    in->source[sizeof(h->source)] = 0;
    for (size_t i = 0; in->source[i]; i++) /* printable only: it goes into text and JSON */
        if (in->source[i] < 0x20 || in->source[i] > 0x7e)
            in->source[i] = '?';
    r->off = h->header_size;
    return VQREC_OK;
}

/* The header read; format 2's stream started, unless `inflated` (the buffer holds it inflated
 * already: vqrec_parse). */
static int open_events(struct vqrec_reader *r, bool inflated, char *err, size_t errlen)
{
    int rc = read_header(r, err, errlen);
    if (rc == VQREC_OK && r->info.header.major == VQREC_VERSION_MAJOR && !inflated)
        rc = start_inflate(r, err, errlen);
    return rc;
}

int vqrec_reader_open_buffer(struct vqrec_reader *r, const uint8_t *buf, size_t len, char *err,
                             size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->info.size = buf ? len : 0;
    int rc = open_events(r, false, err, errlen);
    if (rc != VQREC_OK)
        memset(r, 0, sizeof(*r));
    return rc;
}

int vqrec_reader_open(struct vqrec_reader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->f = fopen(path, "rb");
    struct stat st;
    if (!r->f || fstat(fileno(r->f), &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (r->f)
            fclose(r->f);
        memset(r, 0, sizeof(*r));
        return VQREC_E_UNREADABLE;
    }
    r->info.size = (uint64_t)st.st_size;
    char msg[256];
    int rc = open_events(r, false, msg, sizeof(msg));
    if (rc != VQREC_OK) {
        snprintf(err, errlen, "%s: %s", path, msg);
        vqrec_reader_close(r);
    }
    return rc;
}

int vqrec_reader_rewind(struct vqrec_reader *r, char *err, size_t errlen)
{
    struct vqrec_info keep = r->info;
    memset(&r->info, 0, sizeof(r->info));
    r->info.header = keep.header;
    memcpy(r->info.source, keep.source, sizeof(keep.source));
    r->info.size = keep.size;
    r->off = keep.header.header_size;
    r->done = false;
    if (r->z && vqrec_zs_rewind(r->z) != 0) {
        r->done = true;
        snprintf(err, errlen, "%s: %s", r->path, r->z->msg);
        return r->z->error == VQREC_ZS_EREAD ? VQREC_E_UNREADABLE : VQREC_E_INVALID;
    }
    return VQREC_OK;
}

void vqrec_reader_close(struct vqrec_reader *r)
{
    if (r->z)
        vqrec_zs_close(r->z);
    free(r->z);
    if (r->f)
        fclose(r->f);
    free(r->payload);
    memset(r, 0, sizeof(*r));
}

/* The end of the data at `off`, inside an event when `partial`. */
static int at_end(struct vqrec_reader *r, uint64_t off, bool partial)
{
    if (partial) {
        r->info.truncated = true;
        r->info.truncated_at = off;
    }
    r->done = true;
    return 0;
}

static int read_failed(struct vqrec_reader *r, uint64_t off, char *err, size_t errlen)
{
    r->done = true;
    if (r->z && r->z->error == VQREC_ZS_EDATA)
        return errf(err, errlen, off, "%s", r->z->msg);
    snprintf(err, errlen, "%s: %s at offset %llu", r->path, get_error(r),
             (unsigned long long)off);
    return VQREC_E_UNREADABLE;
}

/* r->payload holds at least n bytes. */
static int payload_room(struct vqrec_reader *r, uint32_t n, uint64_t off, char *err,
                        size_t errlen)
{
    if (n <= r->payload_cap)
        return VQREC_OK;
    uint8_t *p = realloc(r->payload, n);
    if (!p) {
        r->done = true;
        snprintf(err, errlen, "%s: out of memory for a %u-byte event at offset %llu", r->path, n,
                 (unsigned long long)off);
        return VQREC_E_NOMEM;
    }
    r->payload = p;
    r->payload_cap = n;
    return VQREC_OK;
}

/* The payload of the event at off (e->len bytes) into the reader's buffer: 1, 0 when the data
 * ends inside it, or an error. The buffer grows as the bytes turn up (a compressed stream's size
 * is not known beforehand: a claimed length is no reason to allocate it). */
static int read_payload(struct vqrec_reader *r, const struct vqrec_event *e, uint64_t off,
                        char *err, size_t errlen)
{
    uint32_t have = 0;
    while (have < e->len) {
        uint32_t want = e->len;
        if (r->z && want - have > have + VQREC_ZBUF)
            want = 2 * have + VQREC_ZBUF;
        int rc = payload_room(r, want, off, err, errlen);
        if (rc != VQREC_OK)
            return rc;
        int64_t got = get(r, off + sizeof(*e) + have, r->payload + have, want - have);
        if (got < 0)
            return read_failed(r, off, err, errlen);
        if ((uint64_t)got < want - have)
            return at_end(r, off, true);
        have = want;
    }
    return 1;
}

/* After END: how many bytes follow (ignored). */
static uint64_t trailing(struct vqrec_reader *r, uint64_t next)
{
    if (!r->z)
        return r->info.size - next;
    uint64_t n = 0;
    int64_t got;
    while ((got = get(r, next + n, NULL, VQREC_ZBUF)) > 0)
        n += (uint64_t)got;
    return n;
}

/* The commonest events, well formed (check_event would say NULL): a ring load or store of 1, 2,
 * 4 or 8 bytes that does not wrap, or a barrier of a known kind; no payload. (Test builds:
 * asserted against check_event.) */
static inline bool access_ok(const struct vqrec_event *e)
{
    bool ok = !e->len &&
              (((e->kind == VQREC_LOAD || e->kind == VQREC_STORE) && e->size <= 8 &&
                ((0x116u >> e->size) & 1u) && e->addr + e->size >= e->addr) ||
               (e->kind == VQREC_BARRIER && e->value <= VQREC_WMB));
    assert(!ok || !check_event(e));
    return ok;
}

/* Format 2's common case: the next event whole in the inflated window, handed out where it lies
 * (the payload valid until the next call, as the contract says). 1, or 0 when the general path
 * below must read it: an event across windows, an END (the bytes after it are counted), an
 * unknown kind, anything check_event refuses (the general path says what). */
static int next_in_window(struct vqrec_reader *r, struct vqrec_item *it, bool payload)
{
    struct vqrec_zsource *z = r->z;
    const uint8_t *p = vqrec_zs_peek(z, sizeof(struct vqrec_event));
    if (!p || r->info.header.header_size + z->pos != r->off)
        return 0;
    struct vqrec_event *e = &it->ev;
    memcpy(e, p, sizeof(*e));
    if (!access_ok(e) && (e->kind < VQREC_MMIO_READ || e->kind > VQREC_PCI_ECAM ||
                          e->kind == VQREC_END || check_event(e)))
        return 0;
    uint64_t whole = sizeof(*e) + (((uint64_t)e->len + 7) & ~7ull);
    if (!vqrec_zs_peek(z, whole))
        return 0;
    it->payload = payload && e->len ? p + sizeof(*e) : NULL;
    it->offset = r->off;
    vqrec_zs_take(z, (size_t)whole);
    r->off += whole;
    r->info.n_items++;
    return 1;
}

int vqrec_reader_next(struct vqrec_reader *r, struct vqrec_item *it, bool payload, char *err,
                      size_t errlen)
{
    struct vqrec_info *in = &r->info;
    if (r->z && !r->done && next_in_window(r, it, payload))
        return 1;
    for (;;) {
        if (r->done)
            return 0;
        uint64_t off = r->off;
        struct vqrec_event e;
        int64_t got = get(r, off, &e, sizeof(e));
        if (got < 0)
            return read_failed(r, off, err, errlen);
        if (got < (int64_t)sizeof(e))
            return at_end(r, off, got > 0);
        const char *why = check_event(&e);
        if (why) {
            r->done = true;
            return errf(err, errlen, off, "%s event: %s", vqrec_kind_name(e.kind), why);
        }
        uint64_t padded = ((uint64_t)e.len + 7) & ~7ull;
        uint64_t next = off + sizeof(e) + padded;
        bool known = e.kind >= VQREC_MMIO_READ && e.kind <= VQREC_PCI_ECAM;
        it->payload = NULL;
        if (known && e.len && payload && !r->f && !r->z) {
            if (padded > in->size - off - sizeof(e))
                return at_end(r, off, true);
            it->payload = r->buf + off + sizeof(e);
        } else if (known && e.len && payload) {
            int rc = read_payload(r, &e, off, err, errlen);
            if (rc != 1)
                return rc;
            it->payload = r->payload;
        }
        /* the payload's padding (all of it, when not read) is there: the event is whole */
        uint64_t rest = it->payload ? padded - e.len : padded;
        if (rest) {
            got = get(r, next - rest, NULL, rest);
            if (got < 0)
                return read_failed(r, off, err, errlen);
            if ((uint64_t)got < rest)
                return at_end(r, off, true);
        }
        r->off = next;
        if (!known) {
            in->skipped_unknown++;
            continue;
        }
        it->ev = e;
        it->offset = off;
        in->n_items++;
        if (e.kind == VQREC_END) {
            in->has_end = true;
            in->trailing_bytes = trailing(r, next);
            r->done = true;
        }
        return 1;
    }
}

/* Format 2 in memory: the header and the inflated stream into one new buffer (*out, *out_len),
 * at most VQREC_PARSE_MAX bytes; a stream cut short ends where it was cut. */
static int inflate_all(struct vqrec_reader *rd, uint8_t **out, size_t *out_len, char *err,
                       size_t errlen)
{
    size_t hs = rd->info.header.header_size, cap = hs + VQREC_ZBUF, n = hs;
    uint8_t *b = malloc(cap);
    if (!b) {
        errf(err, errlen, 0, "out of memory for the inflated recording");
        return VQREC_E_NOMEM;
    }
    memcpy(b, rd->buf, hs);
    for (;;) {
        if (n == cap) {
            uint8_t *nb = cap >= VQREC_PARSE_MAX ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                errf(err, errlen, n, "the inflated recording is larger than %u MiB",
                     VQREC_PARSE_MAX >> 20);
                return VQREC_E_NOMEM;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = vqrec_zs_read(rd->z, b + n, cap - n);
        n += got;
        if (rd->z->error) {
            free(b);
            return errf(err, errlen, n, "%s", rd->z->msg);
        }
        if (n < cap)
            break; /* the stream (or the data) ended */
    }
    *out = b;
    *out_len = n;
    return VQREC_OK;
}

int vqrec_parse(const uint8_t *buf, size_t len, struct vqrec_recording *r, char *err,
                size_t errlen)
{
    memset(r, 0, sizeof(*r));
    struct vqrec_reader rd;
    int rc = vqrec_reader_open_buffer(&rd, buf, len, err, errlen);
    if (rc != VQREC_OK)
        return rc;
    if (rd.z) { /* format 2: parse its inflated bytes (the items point into them) */
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        rc = inflate_all(&rd, &raw, &raw_len, err, errlen);
        vqrec_reader_close(&rd);
        if (rc != VQREC_OK)
            return rc;
        memset(&rd, 0, sizeof(rd));
        rd.buf = raw;
        rd.info.size = raw_len;
        open_events(&rd, true, NULL, 0); /* the header was read once already */
        r->inflated = raw;
        r->inflated_len = raw_len;
    }
    size_t cap = (rd.info.size - rd.info.header.header_size) / sizeof(struct vqrec_event) + 1;
    r->items = calloc(cap, sizeof(*r->items));
    if (!r->items) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory for %zu events", cap);
        vqrec_free(r);
        return VQREC_E_NOMEM;
    }
    struct vqrec_item it;
    while ((rc = vqrec_reader_next(&rd, &it, true, err, errlen)) == 1)
        r->items[r->n_items++] = it;
    if (rc < 0) {
        vqrec_reader_close(&rd);
        vqrec_free(r);
        return rc;
    }
    r->header = rd.info.header;
    memcpy(r->source, rd.info.source, sizeof(r->source));
    r->skipped_unknown = rd.info.skipped_unknown;
    r->has_end = rd.info.has_end;
    r->truncated = rd.info.truncated;
    r->truncated_at = rd.info.truncated_at;
    r->trailing_bytes = rd.info.trailing_bytes;
    r->size = len;
    vqrec_reader_close(&rd);
    return VQREC_OK;
}

void vqrec_free(struct vqrec_recording *r)
{
    free(r->items);
    free(r->inflated);
    memset(r, 0, sizeof(*r));
}
