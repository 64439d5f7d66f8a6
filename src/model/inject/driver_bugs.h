/* driver_bugs.h — replayed driver bugs, applied at the bus between the real driver and the device.
 *
 * The driver source stays correct; a scenario names the bug and this layer rewrites what crosses
 * the seam, as the buggy driver would have produced it:
 *   drop-mmio-write     {reg: NAME, nth: K}          the K-th write to NAME never happens
 *   rewrite-mmio-write  {reg: NAME, value: V, nth: K} the K-th write to NAME carries V instead
 *   rewrite-mmio-read   {reg: NAME, value: V, nth: K} the K-th read of NAME returns V to the driver
 *                       (what a driver that hard-codes a register value, or misreads it, sees)
 *   redirect-mmio-write {reg: NAME, to: NAME2, nth: K} the K-th write to NAME lands on NAME2
 *                       (a driver that computed the wrong offset, e.g. a config field)
 *   rewrite-ring-store  {field: F, value: V, nth: K, queue: Q}
 *                       the K-th driver store to ring field F (desc.addr, desc.len, desc.flags,
 *                       desc.next, avail.flags, avail.idx, avail.ring, avail.used_event,
 *                       used.flags, and indirect.addr/len/flags/next in a table a ring
 *                       descriptor names) stores V
 *   skip-mmio-read      {reg: NAME, value: V, nth: K} the driver never makes the K-th read of NAME
 *                       (the device does not see it); it goes on as if it had read V
 *   add-mmio-write      {reg: NAME|OFFSET, value: V, after: {reg: R, nth: K, op: write|read}}
 *   add-mmio-read       {reg: NAME|OFFSET, after: {...}}
 *                       an extra access the driver makes right after its K-th write (or read) of
 *                       R; without `after`, before the driver's first access
 *   delay-mmio-write    {reg: NAME, nth: K, after: {reg: R, nth: J, op: write|read}}
 *                       the K-th write to NAME is held back and made right after the anchor: two
 *                       writes change places
 *   skip-status-bit     {bit: ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK}
 *                       the driver never sets that Status bit, and believes it did (its Status
 *                       reads show the bit once it meant to set it)
 * Ring-side bugs, named for what the buggy driver does (nth counts the stores they name):
 *   clear-write-flag    {nth: K, queue: Q}          the K-th ring desc.flags store that carries
 *                       WRITE stores it without WRITE (the response buffer looks device-readable)
 *   set-desc-flags      {in: ring|indirect, add: [NEXT, WRITE, INDIRECT], remove: [...], nth, queue}
 *                       the K-th desc.flags store, in the ring or in an indirect table, gets
 *                       those bits set / cleared
 *   virt-as-phys        {offset: V, nth: K, queue: Q}
 *                       the K-th desc.addr store (ring or indirect table) carries addr + V: a
 *                       virtual address (a linear-map offset) given where the physical one is due
 *   alter-exposed-desc  {field: addr|len|flags|next, value: V, nth: K, queue: Q}
 *                       right after the K-th avail.idx store, the driver stores V into that field
 *                       of the head descriptor of the chain it just made available
 *
 * Barriers and notifications (barrier_check.h, notify_checks.h):
 *   drop-barrier        {kind: wmb|rmb|mb, nth: K}   the K-th call of that barrier never happens
 *   rewrite-ring-load   {field: F, value: V, nth: K, queue: Q}
 *                       the K-th driver load of ring field F (used.flags, used.idx,
 *                       used.avail_event, used.id, used.len) returns V to the driver
 *   ring-init           {field: avail.flags|used.flags, value: V, queue: Q}
 *                       the driver left V in that field when it created the queue (the device
 *                       finds it there when the ring goes live)
 * nth 0 means every occurrence. Anchors count only the driver's own accesses. Each rewritten or
 * added access is marked in the trace.
 */
#ifndef DRIVER_BUGS_H
#define DRIVER_BUGS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

enum fault_kind {
    FAULT_DROP_MMIO_WRITE,
    FAULT_REWRITE_MMIO_WRITE,
    FAULT_REWRITE_MMIO_READ,
    FAULT_REWRITE_RING_STORE,
    FAULT_REDIRECT_MMIO_WRITE,
    /* barriers and notifications */
    FAULT_DROP_BARRIER,       /* reg = enum bc_barrier */
    FAULT_REWRITE_RING_LOAD,
    FAULT_RING_INIT,
    FAULT_SKIP_MMIO_READ,
    FAULT_ADD_MMIO_WRITE,
    FAULT_ADD_MMIO_READ,
    FAULT_DELAY_MMIO_WRITE,
    FAULT_SKIP_STATUS_BIT,
    /* ring-side bugs (see above) */
    FAULT_CLEAR_WRITE_FLAG,
    FAULT_SET_DESC_FLAGS,
    FAULT_VIRT_AS_PHYS,
    FAULT_ALTER_EXPOSED_DESC,
    FAULT_ALTER_HELD_DESC,   /* packed: a descriptor the device holds, at a driver ring store */
};

#define FAULT_MAX 16

struct fault {
    enum fault_kind kind;
    uint32_t reg;          /* MMIO offset */
    uint32_t to;           /* redirect-mmio-write: the offset the write lands on */
    const char *field;     /* ring field name (static string from the accepted list) */
    uint32_t queue;
    uint64_t value;
    uint32_t nth;          /* 1-based occurrence, 0 = all */
    uint32_t seen;         /* occurrences so far */
    uint32_t fired;
    const char *label;     /* static: "drop-mmio-write" … (for the trace) */
    /* add-/delay-: the anchor access after which the access is made */
    bool has_after;        /* false: before the driver's first MMIO access */
    bool after_read;       /* anchor is a read (default: a write) */
    uint32_t after_reg, after_nth, after_seen;
    bool held;             /* delay-mmio-write: a write is held back */
    uint32_t held_value;
    bool bit_meant;        /* skip-status-bit: the driver's last Status write meant to set it */
    /* ring-side bugs */
    bool in_table;         /* set-desc-flags: stores into an indirect table, not the ring */
    uint16_t add, remove;  /* set-desc-flags: descriptor flag bits */
    uint32_t field_off;    /* alter-exposed-desc: offset of the field in the descriptor */
    uint8_t field_size;
};

struct fault_list {
    struct fault f[FAULT_MAX];
    uint32_t n;
    bool started;          /* the driver made its first MMIO access */
};

/* The ring field names rewrite-ring-store accepts (NULL-terminated). */
extern const char *const fault_ring_fields[];

/* The trace note of an MMIO write a replayed bug dropped (compare by pointer). */
extern const char fault_note_dropped[];

/* drop-barrier / rewrite-ring-load / ring-init vocabulary (NULL-terminated). */
extern const char *const fault_barrier_kinds[];   /* indexed by enum bc_barrier */
extern const char *const fault_ring_load_fields[];
extern const char *const fault_ring_init_fields[];
/* The trace note of a barrier a replayed bug dropped. */
extern const char fault_note_barrier_dropped[];
/* True when this call of barrier `kind` (enum bc_barrier) is dropped. */
bool faults_barrier(struct machine *m, unsigned kind);
/* Apply to a driver ring load at gpa: *value (what memory held) may be rewritten. */
void faults_ring_load(struct machine *m, uint64_t gpa, uint64_t *value, const char **note);
/* Queue qi went live: leave the ring-init values in its fields. */
void faults_queue_live(struct machine *m, uint32_t qi);

/* Apply to an MMIO write: false when the write is dropped; *value (and, for a redirected
 * write, *off) may be rewritten. */
bool faults_mmio_write(struct machine *m, uint32_t *off, uint32_t *value, const char **note);
/* Apply to an MMIO read: *value (what the device returned) may be rewritten. */
void faults_mmio_read(struct machine *m, uint32_t off, uint32_t *value, const char **note);
/* The accesses a replayed bug adds (add-mmio-*, delay-mmio-write), made by the bus. */
typedef void (*fault_bus_write_fn)(struct machine *m, uint32_t off, uint32_t value,
                                   const char *note);
typedef void (*fault_bus_read_fn)(struct machine *m, uint32_t off, const char *note);
/* Before a driver access (the first one gets the `after`-less additions) and after it (additions
 * and held writes anchored on it). */
void faults_before_access(struct machine *m, fault_bus_write_fn wr, fault_bus_read_fn rd);
void faults_after_access(struct machine *m, uint32_t off, bool write, fault_bus_write_fn wr,
                         fault_bus_read_fn rd);
/* True when a replayed bug removes this driver read (skip-mmio-read): *value is what the driver
 * gets instead. */
bool faults_skip_mmio_read(struct machine *m, uint32_t off, uint32_t *value, const char **note);

/* Apply to a driver ring store at gpa: *value may be rewritten. */
void faults_ring_store(struct machine *m, uint64_t gpa, uint64_t *value, const char **note);

/* Descriptor flag names set-desc-flags accepts, index = bit (NEXT, WRITE, INDIRECT). */
extern const char *const fault_desc_flag_names[];
/* Descriptor fields alter-exposed-desc accepts (addr, len, flags, next; NULL-terminated). */
extern const char *const fault_desc_fields[];
/* Set a fault's field_off/field_size for fault_desc_fields[i]. */
void faults_set_desc_field(struct fault *f, int i);
/* After a driver ring store at gpa has landed: bugs that add a store of their own. */
void faults_after_ring_store(struct machine *m, uint64_t gpa);

#endif /* DRIVER_BUGS_H */
