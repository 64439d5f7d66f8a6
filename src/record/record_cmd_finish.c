/* record_cmd_finish.c — `vqsim record` finishing the recording the plugin wrote
 * (record_cmd_internal.h): a partial last event cut, the NOTEs of the command line and of QEMU's
 * last words, and END. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record/record_cmd_internal.h"
#include "record/recording.h"

static void put_note(FILE *f, const char *text)
{
    static const uint8_t zero[8];
    uint32_t len = (uint32_t)strlen(text) + 1;
    struct vqrec_event e = {.kind = VQREC_NOTE, .cpu = VQREC_CPU_NONE, .len = len};
    fwrite(&e, sizeof(e), 1, f);
    fwrite(text, 1, len, f);
    fwrite(zero, 1, (8 - len % 8) % 8, f);
}

/* Append NOTEs (the command line; what QEMU last wrote to stderr) and END to the recording the
 * plugin wrote. */
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
    char note[2048];
    size_t used = (size_t)snprintf(note, sizeof(note), "vqsim record --");
    for (int i = 0; i < qargc && used < sizeof(note); i++)
        used += (size_t)snprintf(note + used, sizeof(note) - used, " %s", qargv[i]);
    put_note(f, note);
    if (qemu_said && *qemu_said) {
        snprintf(note, sizeof(note), "qemu stderr: %s", qemu_said);
        put_note(f, note);
    }
    struct vqrec_event end = {.kind = VQREC_END, .cpu = VQREC_CPU_NONE, .flags = flags,
                              .value = status};
    fwrite(&end, sizeof(end), 1, f);
    return fclose(f) ? -1 : 0;
}
