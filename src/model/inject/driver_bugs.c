/* driver_bugs.c — see driver_bugs.h. */
#include "model/inject/driver_bugs.h"

#include <string.h>

#include "spec/virtio_spec.h"

#include "model/checks/exposed_snapshot.h"
#include "model/checks/packed_exposed.h"
#include "model/rings/packed_ring.h"
#include "model/rings/ring.h"
#include "model/machine.h"
#include "model/observer.h"

const char *const fault_ring_fields[] = {"desc.addr", "desc.len", "desc.flags", "desc.next",
                                         "avail.flags", "avail.idx", "avail.ring",
                                         "avail.used_event", "used.flags", "indirect.addr",
                                         "indirect.len", "indirect.flags", "indirect.next",
                                         "desc.id", "indirect.id", "driver_event.off_wrap",
                                         "driver_event.flags", NULL}; /* from desc.id: packed */

const char fault_note_dropped[] = "replayed bug drop-mmio-write: the device never saw this write";

static bool hit(struct fault *f)
{
    f->seen++;
    if (f->nth != 0 && f->seen != f->nth)
        return false;
    f->fired++;
    return true;
}

static __attribute__((noinline)) bool mmio_write(struct machine *m, uint32_t *off,
                                                 uint32_t *value, const char **note)
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

bool faults_mmio_write(struct machine *m, uint32_t *off, uint32_t *value, const char **note)
{
    return !m->faults.n || mmio_write(m, off, value, note); /* (no bug: kept as it is) */
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

static void ring_side_store(struct machine *m, struct fault *f, uint64_t gpa, uint64_t *value,
                            const char **note);

void faults_ring_store(struct machine *m, uint64_t gpa, uint64_t *value, const char **note)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->queue >= MMIO_NUM_QUEUES)
            continue;
        if (f->kind == FAULT_CLEAR_WRITE_FLAG || f->kind == FAULT_SET_DESC_FLAGS ||
            f->kind == FAULT_VIRT_AS_PHYS) {
            ring_side_store(m, f, gpa, value, note);
            continue;
        }
        if (f->kind != FAULT_REWRITE_RING_STORE)
            continue;
        uint32_t index;
        const char *what = ring_classify(&m->dev.q[f->queue], gpa, &index);
        if (!what)
            what = ring_classify_table(&m->dev.q[f->queue], gpa, &index);
        if (!what || strcmp(what, f->field) != 0 || !hit(f))
            continue;
        *value = f->value;
        *note = "replayed bug rewrite-ring-store: the driver stored the rewritten value";
    }
}

/* ---- barriers and notifications (barrier_check.h, notify_checks.h) ---- */

const char *const fault_barrier_kinds[] = {"mb", "rmb", "wmb", NULL};
const char *const fault_ring_load_fields[] = {"used.flags", "used.idx", "used.avail_event",
                                              "used.id", "used.len", NULL};
const char *const fault_ring_init_fields[] = {"avail.flags", "used.flags", NULL};
const char fault_note_barrier_dropped[] =
    "replayed bug drop-barrier: this barrier was not executed";

bool faults_barrier(struct machine *m, unsigned kind)
{
    bool drop = false;
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind == FAULT_DROP_BARRIER && f->reg == kind && hit(f))
            drop = true;
    }
    return drop;
}

void faults_ring_load(struct machine *m, uint64_t gpa, uint64_t *value, const char **note)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_REWRITE_RING_LOAD || f->queue >= MMIO_NUM_QUEUES)
            continue;
        uint32_t index;
        const char *what = ring_classify(&m->dev.q[f->queue], gpa, &index);
        if (!what || strcmp(what, f->field) != 0 || !hit(f))
            continue;
        *value = f->value;
        *note = "replayed bug rewrite-ring-load: the driver got the rewritten value";
    }
}

void faults_queue_live(struct machine *m, uint32_t qi)
{
    const struct dev_queue *q = &m->dev.q[qi];
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->kind != FAULT_RING_INIT || f->queue != qi || !hit(f))
            continue;
        uint64_t at = !strcmp(f->field, "used.flags") ? q->used : q->avail;
        gm_write16(&m->mem, at, (uint16_t)f->value);
        observe_memory(m->observer, m, at, 2); /* what the ring holds, not a store */
        struct trace_event *e = machine_trace(m, TR_DEVICE, at, f->value, 2,
                                              "replayed bug ring-init: the driver left this "
                                              "value in the ring when it created the queue");
        if (e)
            e->queue = (uint8_t)qi;
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

static __attribute__((noinline)) void after_access(struct machine *m, uint32_t off, bool write,
                                                   fault_bus_write_fn wr, fault_bus_read_fn rd)
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

void faults_after_access(struct machine *m, uint32_t off, bool write, fault_bus_write_fn wr,
                         fault_bus_read_fn rd)
{
    if (m->faults.n) /* (most runs replay no bug: no frame for the loop) */
        after_access(m, off, write, wr, rd);
}

/* ---- ring-side bugs ---------------------------------------------------------------------- */

const char *const fault_desc_flag_names[] = {"NEXT", "WRITE", "INDIRECT", NULL};
const char *const fault_desc_fields[] = {"addr", "len", "flags", "next", NULL};

void faults_set_desc_field(struct fault *f, int i)
{
    static const uint8_t off[] = {0, 8, 12, 14}, size[] = {8, 4, 2, 2};
    f->field_off = off[i];
    f->field_size = size[i];
}

/* The descriptor field a store lands in: "desc.flags" … in the ring, "indirect.flags" … in a
 * table the ring names, else NULL. */
static const char *desc_field_of(struct machine *m, uint32_t qi, uint64_t gpa, bool *in_table)
{
    uint32_t index;
    const char *what = ring_classify(&m->dev.q[qi], gpa, &index);
    *in_table = false;
    if (what && !strncmp(what, "desc.", 5))
        return what + 5;
    what = ring_classify_table(&m->dev.q[qi], gpa, &index);
    if (what) {
        *in_table = true;
        return what + 9; /* after "indirect." */
    }
    return NULL;
}

static void ring_side_store(struct machine *m, struct fault *f, uint64_t gpa, uint64_t *value,
                            const char **note)
{
    bool in_table;
    const char *field = desc_field_of(m, f->queue, gpa, &in_table);
    if (!field)
        return;
    switch (f->kind) {
    case FAULT_CLEAR_WRITE_FLAG:
        if (in_table || strcmp(field, "flags") || !(*value & VIRTQ_DESC_F_WRITE) || !hit(f))
            return;
        *value &= ~(uint64_t)VIRTQ_DESC_F_WRITE;
        *note = "replayed bug clear-write-flag: the response descriptor lost WRITE";
        return;
    case FAULT_SET_DESC_FLAGS:
        if (in_table != f->in_table || strcmp(field, "flags") || !hit(f))
            return;
        *value = (*value | f->add) & ~(uint64_t)f->remove;
        *note = "replayed bug set-desc-flags: the driver stored other descriptor flags";
        return;
    case FAULT_VIRT_AS_PHYS:
        if (strcmp(field, "addr") || !hit(f))
            return;
        *value += f->value;
        *note = "replayed bug virt-as-phys: the driver gave a virtual address as physical";
        return;
    default:
        return;
    }
}

/* Store `value` into a field of descriptor `desc` behind the driver's back, as the driver would:
 * traced, observed, and checked as a driver store. A packed descriptor has its id where a split
 * one has flags, and its flags where a split one has next (the field offsets are split's). */
static void alter_desc(struct machine *m, struct fault *f, const struct dev_queue *q,
                       uint32_t desc, const char *note)
{
    uint32_t off = f->field_off;
    if (!ring_is_split(q) && (off == 12 || off == 14))
        off = off == 12 ? 14 : 12;
    uint64_t at = q->desc + 16ull * desc + off, v = f->value, old = 0;
    void *p = gm_ptr(&m->mem, at, f->field_size);
    if (!p)
        return;
    memcpy(&old, p, f->field_size);
    memcpy(p, &v, f->field_size); /* little-endian host, as the ring (virtio_spec.h) */
    observe_ring(m->observer, m, true, at, v, f->field_size);
    struct trace_event *e = machine_trace(m, TR_RING_STORE, at, v, f->field_size, NULL);
    if (e)
        e->note = note;
    exposed_on_driver_store(m, at, f->field_size);
    packed_on_driver_store(m, at, old, v, f->field_size);
}

/* The head the driver just made available, or -1: split, the avail.ring entry of the avail.idx
 * store at gpa; packed, the descriptor at the device's next offset whose flags store at gpa made
 * it available. */
static int32_t published_head(struct machine *m, const struct dev_queue *q, uint64_t gpa)
{
    uint32_t index;
    const char *what = ring_classify(q, gpa, &index);
    if (!q->live || !what)
        return -1;
    if (!ring_is_split(q)) {
        uint16_t flags;
        if (strcmp(what, "desc.flags") || index != q->last_avail_idx ||
            !gm_read16(&m->mem, gpa, &flags) || !packed_desc_avail(flags, packed_avail_wrap(q)))
            return -1;
        return (int32_t)index;
    }
    uint16_t idx, head;
    if (strcmp(what, "avail.idx") || !gm_read16(&m->mem, q->avail + 2, &idx) ||
        !gm_read16(&m->mem, q->avail + 4 + 2ull * ((uint16_t)(idx - 1) % q->live_num), &head) ||
        head >= q->live_num)
        return -1;
    return head;
}

void faults_after_ring_store(struct machine *m, uint64_t gpa)
{
    for (uint32_t i = 0; i < m->faults.n; i++) {
        struct fault *f = &m->faults.f[i];
        if (f->queue >= MMIO_NUM_QUEUES)
            continue;
        const struct dev_queue *q = &m->dev.q[f->queue];
        if (f->kind == FAULT_ALTER_EXPOSED_DESC) {
            int32_t head = published_head(m, q, gpa);
            if (head >= 0 && hit(f))
                alter_desc(m, f, q, (uint32_t)head,
                           "replayed bug alter-exposed-desc: the driver changed a descriptor it "
                           "had already made available");
        } else if (f->kind == FAULT_ALTER_HELD_DESC) {
            /* packed: the first descriptor the device took and has not marked used */
            if (q->live && !ring_is_split(q) && q->pk_inuse_descs && hit(f))
                alter_desc(m, f, q, q->used_idx,
                           "replayed bug alter-held-desc: the driver changed a descriptor the "
                           "device holds");
        }
    }
}
