/* vqrec_output.c — the recording file the plugin writes (recording.h): its header, rewritten at
 * the end (its flags are known only then), and its events, deflated (format 2). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "record/plugin/barrier_filter.h"
#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"
#include "record/recording_zlib.h"

static FILE *out;
static struct vqrec_zwriter zw; /* the events, deflated (format 2) */
static struct vqrec_header header;
static uint64_t n_events;

void emit(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
          uint64_t value, uint64_t pc, const void *payload, uint32_t len)
{
    static const uint8_t zero[8];
    struct vqrec_event e = {kind, size, flags, (uint8_t)cpu, len, addr, value, pc};
    if (!out)
        return;
    vqrec_zw_put(&zw, &e, sizeof(e));
    if (len) {
        vqrec_zw_put(&zw, payload, len);
        if (len % 8)
            vqrec_zw_put(&zw, zero, 8 - len % 8);
    }
    n_events++;
}

void emit_text(uint8_t kind, uint64_t addr, uint64_t value, uint64_t pc, const char *text)
{
    emit(kind, 0, 0, VQREC_CPU_NONE, addr, value, pc, text, (uint32_t)strlen(text) + 1);
}

/* A recorded access of `cpu` follows: first the barriers it executed since its previous one
 * (none for a read known from QEMU's trace alone: where it lay among them is not known, so they
 * go with the vCPU's next access the plugin saw). */
void emit_access(uint8_t kind, uint8_t size, uint8_t flags, unsigned cpu, uint64_t addr,
                 uint64_t value, uint64_t pc)
{
    struct bf_barrier b[2];
    unsigned n = flags & VQREC_F_TRACED ? 0 : bf_access(cpu, b);
    for (unsigned i = 0; i < n; i++)
        emit(VQREC_BARRIER, 0, 0, cpu, b[i].op, b[i].kind, b[i].pc, NULL, 0);
    emit(kind, size, flags, cpu, addr, value, pc, NULL, 0);
}

int output_start(const char *path, uint64_t ram_base, uint64_t ram_size, uint32_t n_cpus)
{
    out = fopen(path, "w+b");
    if (!out)
        return -1;
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    memcpy(header.magic, VQREC_MAGIC, 8);
    header.major = VQREC_VERSION_MAJOR;
    header.minor = VQREC_VERSION_MINOR;
    header.header_size = sizeof(header);
    header.ram_base = ram_base;
    header.ram_size = ram_size;
    header.n_cpus = n_cpus;
    snprintf(header.source, sizeof(header.source), "qemu-7.2-tcg-plugin");
    if (fwrite(&header, sizeof(header), 1, out) != 1 || vqrec_zw_start(&zw, out) != 0) {
        fclose(out);
        out = NULL;
        return -1;
    }
    return 0;
}

bool output_active(void)
{
    return out != NULL;
}

uint64_t output_events(void)
{
    return n_events;
}

void output_mmu_seen(void)
{
    header.flags |= VQREC_HF_MMU_SEEN;
}

void output_finish(void)
{
    if (!out)
        return;
    if (vqrec_zw_finish(&zw) != 0)
        fprintf(stderr, "vqrec plugin: writing the recording failed: %s\n",
                zw.err_no ? strerror(zw.err_no) : "zlib could not compress it");
    fflush(out);
    if (fseek(out, 0, SEEK_SET) == 0) /* the header's flags are known only now */
        fwrite(&header, sizeof(header), 1, out);
    fclose(out);
    out = NULL;
}
