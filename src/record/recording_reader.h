/* recording_reader.h — reads a recording (recording.h) strictly, without trusting it.
 *
 * The whole file is parsed up front into an array of events (each with its byte offset), so the
 * replay can look ahead (the MEMORY dumps that follow a notify). Nothing on any input crashes
 * or aborts: a wrong magic, another major version, a header or event that makes no sense is an
 * error value naming the byte offset; a file cut short (QEMU killed while writing) ends after
 * its last whole event and says so (`truncated`); events of a kind this reader does not know
 * are skipped by their `len` and counted.
 */
#ifndef RECORDING_READER_H
#define RECORDING_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording.h"

/* One event as read: the fixed part copied out (the buffer need not be aligned), the payload
 * pointing into the buffer the recording was parsed from. */
struct vqrec_item {
    struct vqrec_event ev;
    const uint8_t *payload;  /* ev.len bytes, NULL when len is 0 */
    uint64_t offset;         /* byte offset of the event in the file */
};

struct vqrec_recording {
    struct vqrec_header header;
    char source[33];         /* header.source, NUL-terminated */
    struct vqrec_item *items;
    size_t n_items;
    uint64_t skipped_unknown;    /* events of unknown kinds skipped */
    bool has_end;                /* a VQREC_END event was read (the last item) */
    bool truncated;              /* the file ends inside an event (cut short) */
    uint64_t truncated_at;       /* offset of that partial event */
    uint64_t trailing_bytes;     /* bytes after END (ignored) */
    uint8_t *owned;              /* the file's bytes when loaded by vqrec_load_file */
    size_t size;
};

/* Status values (errors are values). */
enum vqrec_status {
    VQREC_OK = 0,
    VQREC_E_UNREADABLE = -1, /* the file cannot be opened or read */
    VQREC_E_INVALID = -2,    /* not a recording this reader accepts (message has the offset) */
    VQREC_E_NOMEM = -3,
};

/* Parse `len` bytes at `buf` (kept by reference: it must outlive r). r need not be initialised.
 * On error r is empty (vqrec_free is still fine) and err holds "offset N: what is wrong". */
int vqrec_parse(const uint8_t *buf, size_t len, struct vqrec_recording *r, char *err,
                size_t errlen);
/* Read and parse a file (the bytes are owned by r). err: "PATH: …". */
int vqrec_load_file(const char *path, struct vqrec_recording *r, char *err, size_t errlen);
void vqrec_free(struct vqrec_recording *r);

const char *vqrec_kind_name(unsigned kind);

#endif /* RECORDING_READER_H */
