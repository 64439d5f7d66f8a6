/* faults.h — replayed driver bugs, applied at the bus between the real driver and the device.
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
 *                       desc.next, avail.flags, avail.idx, avail.ring, used.flags, and
 *                       indirect.addr/len/flags/next in a table a ring descriptor names) stores V
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
 * nth 0 means every occurrence. Each rewritten access is marked in the trace.
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

enum fault_kind {
    FAULT_DROP_MMIO_WRITE,
    FAULT_REWRITE_MMIO_WRITE,
    FAULT_REWRITE_MMIO_READ,
    FAULT_REWRITE_RING_STORE,
    FAULT_REDIRECT_MMIO_WRITE,
    /* ring-side bugs (see above) */
    FAULT_CLEAR_WRITE_FLAG,
    FAULT_SET_DESC_FLAGS,
    FAULT_VIRT_AS_PHYS,
    FAULT_ALTER_EXPOSED_DESC,
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
    /* ring-side bugs */
    bool in_table;         /* set-desc-flags: stores into an indirect table, not the ring */
    uint16_t add, remove;  /* set-desc-flags: descriptor flag bits */
    uint32_t field_off;    /* alter-exposed-desc: offset of the field in the descriptor */
    uint8_t field_size;
};

struct fault_list {
    struct fault f[FAULT_MAX];
    uint32_t n;
};

/* The ring field names rewrite-ring-store accepts (NULL-terminated). */
extern const char *const fault_ring_fields[];

/* The trace note of an MMIO write a replayed bug dropped (compare by pointer). */
extern const char fault_note_dropped[];

/* Apply to an MMIO write: false when the write is dropped; *value (and, for a redirected
 * write, *off) may be rewritten. */
bool faults_mmio_write(struct machine *m, uint32_t *off, uint32_t *value, const char **note);
/* Apply to an MMIO read: *value (what the device returned) may be rewritten. */
void faults_mmio_read(struct machine *m, uint32_t off, uint32_t *value, const char **note);
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

#endif /* FAULTS_H */
