/* recording_reader.h — reads a recording (recording.h) strictly, without trusting it.
 *
 * Two ways:
 *   - a stream (struct vqrec_reader): one event at a time, from a file or a buffer, in memory
 *     that does not grow with the recording (the largest payload is the most it holds). This is
 *     what `vqsim check` replays: a recording of a long guest run is hundreds of megabytes;
 *   - a whole parse (struct vqrec_recording, vqrec_parse): every event in an array with its
 *     offset, for the tests and the fuzzer.
 * Both read format 1 (events as they are) and format 2 (the same events deflated:
 * recording_zlib.h); offsets are those of the uncompressed recording either way.
 * Nothing on any input crashes or aborts: a wrong magic, another major version, a header or event
 * that makes no sense is an error value naming the byte offset; a file cut short (QEMU killed
 * while writing) ends after its last whole event and says so (`truncated`); events of a kind
 * this reader does not know are skipped by their `len` and counted.
 */
#ifndef RECORDING_READER_H
#define RECORDING_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record/recording.h"
#include "record/recording_zlib.h"

/* One event as read: the fixed part copied out (the buffer need not be aligned), the payload
 * pointing into the reader's buffer (a stream: valid until its next call) or the parsed bytes. */
struct vqrec_item {
    struct vqrec_event ev;
    const uint8_t *payload;  /* ev.len bytes, NULL when len is 0 */
    uint64_t offset;         /* byte offset of the event in the file */
};

/* Status values (errors are values). */
enum vqrec_status {
    VQREC_OK = 0,
    VQREC_E_UNREADABLE = -1, /* the file cannot be opened or read */
    VQREC_E_INVALID = -2,    /* not a recording this reader accepts (message has the offset) */
    VQREC_E_NOMEM = -3,
};

/* What reading a recording found out besides its events. */
struct vqrec_info {
    struct vqrec_header header;
    char source[33];         /* header.source, NUL-terminated, printable */
    uint64_t n_items;        /* events read so far (all of them once the end is reached) */
    uint64_t skipped_unknown;    /* events of unknown kinds skipped */
    bool has_end;                /* a VQREC_END event was read (the last item) */
    bool truncated;              /* the file ends inside an event (cut short) */
    uint64_t truncated_at;       /* offset of that partial event */
    uint64_t trailing_bytes;     /* bytes after END (ignored) */
    uint64_t size;               /* bytes in the file (format 2: compressed) */
};

struct vqrec_reader {
    struct vqrec_info info;
    FILE *f;                 /* the file (NULL: reading `buf`) */
    uint64_t fpos;           /* where f is (UINT64_MAX: not known) */
    const uint8_t *buf;
    struct vqrec_zsource *z; /* format 2: the events inflated from here (NULL: format 1) */
    uint64_t off;            /* offset of the next event */
    bool done;               /* END, the end of the data, or an error */
    uint8_t *payload;        /* a file's payloads are read into this */
    size_t payload_cap;
    char path[256];          /* for messages */
};

/* Open a file / a buffer (kept by reference: it must outlive r) and read the header. err:
 * "PATH: …" / "offset N: …". On error r needs no close. */
int vqrec_reader_open(struct vqrec_reader *r, const char *path, char *err, size_t errlen);
int vqrec_reader_open_buffer(struct vqrec_reader *r, const uint8_t *buf, size_t len, char *err,
                             size_t errlen);
/* The next event: 1 (in *it), 0 at the end, or an error status (err "offset N: …"). With
 * `payload` false the payload is skipped unread (it->payload NULL): a quick pass. */
int vqrec_reader_next(struct vqrec_reader *r, struct vqrec_item *it, bool payload, char *err,
                      size_t errlen);
/* Back to the first event (the counts start again). */
int vqrec_reader_rewind(struct vqrec_reader *r, char *err, size_t errlen);
void vqrec_reader_close(struct vqrec_reader *r);

/* A whole recording in memory. */
struct vqrec_recording {
    struct vqrec_header header;
    uint8_t *inflated;       /* format 2: the uncompressed recording the items point into */
    size_t inflated_len;
    char source[33];
    struct vqrec_item *items;
    size_t n_items;
    uint64_t skipped_unknown;
    bool has_end;
    bool truncated;
    uint64_t truncated_at;
    uint64_t trailing_bytes;
    size_t size;
};

/* Parse `len` bytes at `buf` (kept by reference: it must outlive r; format 2 is inflated into
 * r->inflated first, at most VQREC_PARSE_MAX bytes). r need not be initialised.
 * On error r is empty (vqrec_free is still fine) and err holds "offset N: what is wrong". */
int vqrec_parse(const uint8_t *buf, size_t len, struct vqrec_recording *r, char *err,
                size_t errlen);
void vqrec_free(struct vqrec_recording *r);
#define VQREC_PARSE_MAX (256u << 20)

const char *vqrec_kind_name(unsigned kind);

#endif /* RECORDING_READER_H */
