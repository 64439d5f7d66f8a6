/* faults.c — see faults.h. */
#include "faults.h"

#include <string.h>

#include "machine.h"

const char *const fault_ring_fields[] = {"desc.addr", "desc.len", "desc.flags", "desc.next",
                                         "avail.flags", "avail.idx", "avail.ring", "used.flags",
                                         NULL};

const char fault_note_dropped[] = "replayed bug drop-mmio-write: the device never saw this write";

static bool hit(struct fault *f)
{
    f->seen++;
    if (f->nth != 0 && f->seen != f->nth)
        return false;
    f->fired++;
    return true;
}

bool faults_mmio_write(struct machine *m, uint32_t *off, uint32_t *value, const char **note)
{
    bool keep = true;
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if ((f->kind != FAULT_DROP_MMIO_WRITE && f->kind != FAULT_REWRITE_MMIO_WRITE &&
             f->kind != FAULT_REDIRECT_MMIO_WRITE) ||
            f->reg != *off || !hit(f))
            continue;
        if (f->kind == FAULT_REDIRECT_MMIO_WRITE) {
            *off = f->to;
            *note = "replayed bug redirect-mmio-write: the write landed on another register";
            break;
        }
        if (f->kind == FAULT_DROP_MMIO_WRITE) {
            keep = false;
            *note = fault_note_dropped;
        } else {
            *value = (uint32_t)f->value;
            *note = "replayed bug rewrite-mmio-write: the device saw the rewritten value";
        }
    }
    return keep;
}

void faults_mmio_read(struct machine *m, uint32_t off, uint32_t *value, const char **note)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_REWRITE_MMIO_READ || f->reg != off || !hit(f))
            continue;
        *value = (uint32_t)f->value;
        *note = "replayed bug rewrite-mmio-read: the driver got the rewritten value";
    }
}

void faults_ring_store(struct machine *m, uint64_t gpa, uint64_t *value, const char **note)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_REWRITE_RING_STORE || f->queue >= MMIO_NUM_QUEUES)
            continue;
        uint32_t index;
        const char *what = sr_classify(m, f->queue, gpa, &index);
        if (!what || strcmp(what, f->field) != 0 || !hit(f))
            continue;
        *value = f->value;
        *note = "replayed bug rewrite-ring-store: the driver stored the rewritten value";
    }
}
