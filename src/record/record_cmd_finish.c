/* record_cmd_finish.c — `vqsim record` finishing the recording the plugin wrote
 * (record_cmd_internal.h): a partial last event cut, the NOTEs of the command line and of QEMU's
 * last words, and END. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/record_cmd_internal.h"
#include "record/recording.h"
#include "record/recording_reader.h"
#include "record/recording_zlib.h"

/* Where the finishing events go: a format 1 file, or format 2's zlib stream. */
struct sink {
    FILE *f;
    struct vqrec_zwriter *z;
};

static void put(struct sink *k, const void *p, size_t n)
{
    if (k->z)
        vqrec_zw_put(k->z, p, n);
    else
        fwrite(p, 1, n, k->f);
}

static void put_event(struct sink *k, const struct vqrec_event *e, const void *payload)
{
    static const uint8_t zero[8];
    put(k, e, sizeof(*e));
    if (e->len) {
        put(k, payload, e->len);
        put(k, zero, (8 - e->len % 8) % 8);
    }
}

static void put_note(struct sink *k, const char *text)
{
    struct vqrec_event e = {.kind = VQREC_NOTE, .cpu = VQREC_CPU_NONE,
                            .len = (uint32_t)strlen(text) + 1};
    put_event(k, &e, text);
}

/* NOTEs (the command line; what QEMU last wrote to stderr) and END. */
static void put_tail(struct sink *k, char **qargv, int qargc, uint64_t status, uint8_t flags,
                     const char *qemu_said)
{
    char note[2048];
    size_t used = (size_t)snprintf(note, sizeof(note), "vqsim record --");
    for (int i = 0; i < qargc && used < sizeof(note); i++)
        used += (size_t)snprintf(note + used, sizeof(note) - used, " %s", qargv[i]);
    put_note(k, note);
    if (qemu_said && *qemu_said) {
        snprintf(note, sizeof(note), "qemu stderr: %s", qemu_said);
        put_note(k, note);
    }
    struct vqrec_event end = {.kind = VQREC_END, .cpu = VQREC_CPU_NONE, .flags = flags,
                              .value = status};
    put_event(k, &end, NULL);
}

/* The whole events rd holds, from its first, into k (a plugin killed mid-write left a cut
 * stream: its events up to the cut). */
static void copy_events(struct vqrec_reader *rd, struct sink *k)
{
    char err[256];
    struct vqrec_item it;
    if (vqrec_reader_rewind(rd, err, sizeof(err)) != VQREC_OK)
        return;
    while (vqrec_reader_next(rd, &it, true, err, sizeof(err)) == 1)
        put_event(k, &it.ev, it.payload);
}

/* Format 2. The plugin's stream is whole (QEMU exited): the tail goes after it as a stream of
 * its own. Cut short (QEMU killed while the plugin wrote): its whole events and the tail are
 * written into a new file that replaces it. */
static int finish_deflated(const char *path, const struct vqrec_header *h, char **qargv,
                           int qargc, uint64_t status, uint8_t flags, const char *qemu_said)
{
    struct vqrec_reader rd;
    struct vqrec_item it;
    char err[256], tmp[4096];
    if (vqrec_reader_open(&rd, path, err, sizeof(err)) != VQREC_OK)
        return -1;
    int rc;
    while ((rc = vqrec_reader_next(&rd, &it, false, err, sizeof(err))) == 1)
        ;
    bool whole = rc == 0 && !rd.info.truncated && rd.z && rd.z->complete;
    struct vqrec_zwriter *z = malloc(sizeof(*z));
    FILE *f = NULL;
    if (whole)
        f = fopen(path, "ab");
    else if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", path) < sizeof(tmp))
        f = fopen(tmp, "wb");
    if (!z || !f || (!whole && fwrite(h, sizeof(*h), 1, f) != 1) || vqrec_zw_start(z, f)) {
        free(z);
        if (f)
            fclose(f);
        vqrec_reader_close(&rd);
        return -1;
    }
    struct sink k = {f, z};
    if (!whole) {
        copy_events(&rd, &k);
        flags |= VQREC_END_TRUNCATED;
    }
    vqrec_reader_close(&rd);
    put_tail(&k, qargv, qargc, status, flags, qemu_said);
    rc = vqrec_zw_finish(z);
    free(z);
    if (fclose(f) || rc || (!whole && rename(tmp, path)))
        return -1;
    return 0;
}

/* Append NOTEs (the command line; what QEMU last wrote to stderr) and END to the recording the
 * plugin wrote (format 2; format 1 from an older plugin given with --plugin). */
int finish_recording(const char *path, char **qargv, int qargc, uint64_t status,
                     uint8_t flags, const char *qemu_said)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return -1;
    struct vqrec_header h;
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, VQREC_MAGIC, 8)) {
        fclose(f);
        return -1;
    }
    if (h.major == VQREC_VERSION_MAJOR) {
        fclose(f);
        return finish_deflated(path, &h, qargv, qargc, status, flags, qemu_said);
    }
    /* Cut a partial last event (a plugin killed mid-write), so END follows a whole one. */
    if (fseek(f, 0, SEEK_END)) {
        fclose(f);
        return -1;
    }
    long size = ftell(f);
    long pos = (long)h.header_size, good = pos;
    while (pos + (long)sizeof(struct vqrec_event) <= size) {
        struct vqrec_event e;
        if (fseek(f, pos, SEEK_SET) || fread(&e, sizeof(e), 1, f) != 1)
            break;
        long next = pos + (long)sizeof(e) + (long)((e.len + 7u) & ~7u);
        if (next > size)
            break;
        pos = good = next;
    }
    if (good != size) {
        flags |= VQREC_END_TRUNCATED;
        if (ftruncate(fileno(f), good)) {
            fclose(f);
            return -1;
        }
    }
    fseek(f, good, SEEK_SET);
    struct sink k = {f, NULL};
    put_tail(&k, qargv, qargc, status, flags, qemu_said);
    return fclose(f) ? -1 : 0;
}
