/* recording_reader.c — see recording_reader.h. */
#include "recording_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Payload bounds: a register access, barrier, window or end carries none; a note or device trace
 * line is a line of text; a memory dump is a buffer the device reads (a gpu command, an
 * indirect table, a scatter list), never near a gigabyte. Anything beyond is not a recording. */
#define TEXT_MAX (64u * 1024u)
#define MEMORY_MAX (1u << 30)

static int fail(struct vqrec_recording *r, char *err, size_t errlen, uint64_t off,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(struct vqrec_recording *r, char *err, size_t errlen, uint64_t off,
                const char *fmt, ...)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
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

const char *vqrec_kind_name(unsigned kind)
{
    static const char *const n[] = {NULL,      "mmio-read", "mmio-write", "load",
                                    "store",   "barrier",   "memory",     "window",
                                    "device",  "end",       "note"};
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

int vqrec_parse(const uint8_t *buf, size_t len, struct vqrec_recording *r, char *err,
                size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->size = len;
    if (!buf || len < sizeof(struct vqrec_header))
        return fail(r, err, errlen, 0, "%zu bytes: too short for a recording header (%zu)", len,
                    sizeof(struct vqrec_header));
    memcpy(&r->header, buf, sizeof(r->header));
    const struct vqrec_header *h = &r->header;
    if (memcmp(h->magic, VQREC_MAGIC, 8) != 0)
        return fail(r, err, errlen, 0, "not a vqsim recording (magic is not %s)", VQREC_MAGIC);
    if (h->major != VQREC_VERSION_MAJOR)
        return fail(r, err, errlen, 8, "recording format version %u.%u; this vqsim reads %u.x",
                    h->major, h->minor, VQREC_VERSION_MAJOR);
    if (h->header_size < sizeof(struct vqrec_header) || h->header_size % 8 ||
        h->header_size > len)
        return fail(r, err, errlen, 12, "header size %u (must be at least %zu, a multiple of 8, "
                    "within the file's %zu bytes)", h->header_size, sizeof(struct vqrec_header),
                    len);
    if (h->ram_size == 0 || h->ram_base + h->ram_size < h->ram_base)
        return fail(r, err, errlen, 16, "guest RAM of no size, or one that wraps");
    memcpy(r->source, h->source, sizeof(h->source));
    r->source[sizeof(h->source)] = 0;
    for (size_t i = 0; r->source[i]; i++) /* printable only: it goes into text and JSON */
        if (r->source[i] < 0x20 || r->source[i] > 0x7e)
            r->source[i] = '?';

    size_t cap = (len - h->header_size) / sizeof(struct vqrec_event) + 1;
    r->items = calloc(cap, sizeof(*r->items));
    if (!r->items) {
        memset(r, 0, sizeof(*r));
        if (err && errlen)
            snprintf(err, errlen, "out of memory for %zu events", cap);
        return VQREC_E_NOMEM;
    }
    uint64_t off = h->header_size;
    while (off < len) {
        if (len - off < sizeof(struct vqrec_event)) {
            r->truncated = true;
            r->truncated_at = off;
            break;
        }
        struct vqrec_event e;
        memcpy(&e, buf + off, sizeof(e));
        const char *why = check_event(&e);
        if (why)
            return fail(r, err, errlen, off, "%s event: %s", vqrec_kind_name(e.kind), why);
        uint64_t padded = ((uint64_t)e.len + 7) & ~7ull;
        if (padded > len - off - sizeof(e)) { /* the payload runs past the end: cut short */
            r->truncated = true;
            r->truncated_at = off;
            break;
        }
        uint64_t next = off + sizeof(e) + padded;
        if (e.kind < VQREC_MMIO_READ || e.kind > VQREC_NOTE) {
            r->skipped_unknown++;
            off = next;
            continue;
        }
        struct vqrec_item *it = &r->items[r->n_items++];
        it->ev = e;
        it->payload = e.len ? buf + off + sizeof(e) : NULL;
        it->offset = off;
        off = next;
        if (e.kind == VQREC_END) {
            r->has_end = true;
            r->trailing_bytes = len - off;
            break;
        }
    }
    return VQREC_OK;
}

int vqrec_load_file(const char *path, struct vqrec_recording *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return VQREC_E_UNREADABLE;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (!b) {
        snprintf(err, errlen, "%s: out of memory reading the file", path);
        return VQREC_E_NOMEM;
    }
    if (bad) {
        free(b);
        snprintf(err, errlen, "%s: read error", path);
        return VQREC_E_UNREADABLE;
    }
    char msg[256];
    int rc = vqrec_parse(b, n, r, msg, sizeof(msg));
    if (rc != VQREC_OK) {
        snprintf(err, errlen, "%s: %s", path, msg);
        free(b);
    } else {
        r->owned = b; /* the items point into it */
    }
    return rc;
}

void vqrec_free(struct vqrec_recording *r)
{
    free(r->items);
    free(r->owned);
    memset(r, 0, sizeof(*r));
}
