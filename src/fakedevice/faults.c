/* faults.c — see faults.h. */
#include "faults.h"

#include <string.h>

#include "../driver/virtio_spec.h"
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
        if (f->kind == FAULT_SKIP_STATUS_BIT && *off == VIRTIO_MMIO_STATUS) {
            f->bit_meant = (*value & f->value) != 0;
            if (f->bit_meant) {
                *value &= ~(uint32_t)f->value;
                f->fired++;
                *note = "replayed bug skip-status-bit: the driver left that Status bit out";
            }
            continue;
        }
        if (f->kind == FAULT_DELAY_MMIO_WRITE && f->reg == *off && hit(f)) {
            f->held = true;
            f->held_value = *value;
            keep = false;
            *note = "replayed bug delay-mmio-write: this write is made later";
            continue;
        }
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
        if (f->kind == FAULT_SKIP_STATUS_BIT && off == VIRTIO_MMIO_STATUS && f->bit_meant &&
            !(*value & f->value)) {
            *value |= (uint32_t)f->value;
            *note = "replayed bug skip-status-bit: the driver believes the bit is set";
            continue;
        }
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

bool faults_skip_mmio_read(struct machine *m, uint32_t off, uint32_t *value, const char **note)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_SKIP_MMIO_READ || f->reg != off || !hit(f))
            continue;
        *value = (uint32_t)f->value;
        *note = "replayed bug skip-mmio-read: the driver never made this read (the device did "
                "not see it); it used this value";
        return true;
    }
    return false;
}

static const char note_added[] = "replayed bug add-mmio-*: an access the driver added";
static const char note_delayed[] = "replayed bug delay-mmio-write: the held-back write, made now";

static void make(struct machine *m, struct fault *f, fault_bus_write_fn wr, fault_bus_read_fn rd)
{
    f->fired++;
    if (f->kind == FAULT_ADD_MMIO_WRITE)
        wr(m, f->reg, (uint32_t)f->value, note_added);
    else if (f->kind == FAULT_ADD_MMIO_READ)
        rd(m, f->reg, note_added);
}

void faults_before_access(struct machine *m, fault_bus_write_fn wr, fault_bus_read_fn rd)
{
    if (m->faults.started)
        return;
    m->faults.started = true;
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if ((f->kind == FAULT_ADD_MMIO_WRITE || f->kind == FAULT_ADD_MMIO_READ) && !f->has_after)
            make(m, f, wr, rd);
    }
}

void faults_after_access(struct machine *m, uint32_t off, bool write, fault_bus_write_fn wr,
                         fault_bus_read_fn rd)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_ADD_MMIO_WRITE && f->kind != FAULT_ADD_MMIO_READ &&
            f->kind != FAULT_DELAY_MMIO_WRITE)
            continue;
        if (!f->has_after || f->after_reg != off || f->after_read == write)
            continue;
        f->after_seen++;
        if (f->after_nth != 0 && f->after_seen != f->after_nth)
            continue;
        if (f->kind != FAULT_DELAY_MMIO_WRITE) {
            make(m, f, wr, rd);
        } else if (f->held) {
            f->held = false;
            wr(m, f->reg, f->held_value, note_delayed);
        }
    }
}
