/* recording_reader.c — see recording_reader.h. */
#include "record/recording_reader.h"

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

/* Bytes [off, off + n) of the recording into dst; false when they cannot all be read. */
static bool get(struct vqrec_reader *r, uint64_t off, void *dst, size_t n)
{
    if (off > r->info.size || n > r->info.size - off)
        return false;
    if (!r->f) {
        memcpy(dst, r->buf + off, n);
        return true;
    }
    if (off != r->fpos && fseeko(r->f, (off_t)off, SEEK_SET) != 0) {
        r->fpos = UINT64_MAX;
        return false;
    }
    bool ok = fread(dst, 1, n, r->f) == n;
    r->fpos = ok ? off + n : UINT64_MAX; /* reading on from there needs no seek */
    return ok;
}

static int read_header(struct vqrec_reader *r, char *err, size_t errlen)
{
    struct vqrec_info *in = &r->info;
    uint64_t len = in->size;
    if (len < sizeof(struct vqrec_header))
        return errf(err, errlen, 0, "%llu bytes: too short for a recording header (%zu)",
                    (unsigned long long)len, sizeof(struct vqrec_header));
    if (!get(r, 0, &in->header, sizeof(in->header)))
        return errf(err, errlen, 0, "the header cannot be read");
    const struct vqrec_header *h = &in->header;
    if (memcmp(h->magic, VQREC_MAGIC, 8) != 0)
        return errf(err, errlen, 0, "not a vqsim recording (magic is not %s)", VQREC_MAGIC);
    if (h->major != VQREC_VERSION_MAJOR)
        return errf(err, errlen, 8, "recording format version %u.%u; this vqsim reads %u.x",
                    h->major, h->minor, VQREC_VERSION_MAJOR);
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

int vqrec_reader_open_buffer(struct vqrec_reader *r, const uint8_t *buf, size_t len, char *err,
                             size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->info.size = buf ? len : 0;
    int rc = read_header(r, err, errlen);
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
    int rc = read_header(r, msg, sizeof(msg));
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
    (void)err;
    (void)errlen;
    return VQREC_OK;
}

void vqrec_reader_close(struct vqrec_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->payload);
    memset(r, 0, sizeof(*r));
}

int vqrec_reader_next(struct vqrec_reader *r, struct vqrec_item *it, bool payload, char *err,
                      size_t errlen)
{
    struct vqrec_info *in = &r->info;
    for (;;) {
        if (r->done)
            return 0;
        uint64_t off = r->off, len = in->size;
        if (off >= len) {
            r->done = true;
            return 0;
        }
        struct vqrec_event e;
        if (len - off < sizeof(e)) {
            in->truncated = true;
            in->truncated_at = off;
            r->done = true;
            return 0;
        }
        if (!get(r, off, &e, sizeof(e))) {
            r->done = true;
            snprintf(err, errlen, "%s: read error at offset %llu", r->path,
                     (unsigned long long)off);
            return VQREC_E_UNREADABLE;
        }
        const char *why = check_event(&e);
        if (why) {
            r->done = true;
            return errf(err, errlen, off, "%s event: %s", vqrec_kind_name(e.kind), why);
        }
        uint64_t padded = ((uint64_t)e.len + 7) & ~7ull;
        if (padded > len - off - sizeof(e)) { /* the payload runs past the end: cut short */
            in->truncated = true;
            in->truncated_at = off;
            r->done = true;
            return 0;
        }
        uint64_t next = off + sizeof(e) + padded;
        r->off = next;
        if (e.kind < VQREC_MMIO_READ || e.kind > VQREC_PCI_ECAM) {
            in->skipped_unknown++;
            continue;
        }
        it->ev = e;
        it->offset = off;
        it->payload = NULL;
        if (e.len && payload) {
            if (!r->f) {
                it->payload = r->buf + off + sizeof(e);
            } else {
                if (e.len > r->payload_cap) {
                    uint8_t *p = realloc(r->payload, e.len);
                    if (!p) {
                        r->done = true;
                        snprintf(err, errlen, "%s: out of memory for a %u-byte event at offset "
                                 "%llu", r->path, e.len, (unsigned long long)off);
                        return VQREC_E_NOMEM;
                    }
                    r->payload = p;
                    r->payload_cap = e.len;
                }
                if (!get(r, off + sizeof(e), r->payload, e.len)) {
                    r->done = true;
                    snprintf(err, errlen, "%s: read error at offset %llu", r->path,
                             (unsigned long long)off);
                    return VQREC_E_UNREADABLE;
                }
                it->payload = r->payload;
            }
        }
        in->n_items++;
        if (e.kind == VQREC_END) {
            in->has_end = true;
            in->trailing_bytes = len - next;
            r->done = true;
        }
        return 1;
    }
}

int vqrec_parse(const uint8_t *buf, size_t len, struct vqrec_recording *r, char *err,
                size_t errlen)
{
    memset(r, 0, sizeof(*r));
    struct vqrec_reader rd;
    int rc = vqrec_reader_open_buffer(&rd, buf, len, err, errlen);
    if (rc != VQREC_OK)
        return rc;
    size_t cap = (len - rd.info.header.header_size) / sizeof(struct vqrec_event) + 1;
    r->items = calloc(cap, sizeof(*r->items));
    if (!r->items) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory for %zu events", cap);
        return VQREC_E_NOMEM;
    }
    struct vqrec_item it;
    while ((rc = vqrec_reader_next(&rd, &it, true, err, errlen)) == 1)
        r->items[r->n_items++] = it;
    if (rc < 0) {
        free(r->items);
        memset(r, 0, sizeof(*r));
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
    memset(r, 0, sizeof(*r));
}
