/* ring_layout.h — where every part of a split virtqueue of N entries lies (§2.6, §2.6.2), as the
 * device model places it.
 *
 * One source of layout arithmetic for the device and for teaching: mmio_device.c asks
 * rl_legacy_used() where a version 1 device's used ring goes, and `vqsim explain --layout` prints
 * the same computation, so the table a student reads can never disagree with the device they run
 * against. The unit tests tie each part's name to ring_classify (split_ring.c) byte for byte.
 *
 * Offsets are relative to the descriptor table. The modern layout (§2.6) lets the driver put the
 * three parts anywhere at 16/2/4 alignment; it is described back to back at exactly those
 * alignments (the tightest legal packing). The legacy layout (§2.6.2) is one region: descriptor
 * table, available ring, then the used ring at the next QueueAlign boundary. QEMU 7.2 (and so the
 * device model) rounds up the end of avail.ring[N] — without used_event —, §2.6.2's formula rounds
 * up the end including used_event; the two differ when avail.ring[N] ends exactly on a boundary.
 */
#ifndef RING_LAYOUT_H
#define RING_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

enum rl_kind {
    RL_MODERN = 0,      /* §2.6: three parts at 16/2/4 alignment, back to back */
    RL_LEGACY_QEMU = 1, /* §2.6.2 as QEMU 7.2 and the device model place the used ring */
    RL_LEGACY_SPEC = 2, /* §2.6.2 as the spec's formula places it (used_event included) */
};

/* Which of the three areas a part belongs to (RL_AREA_NONE: padding between them). */
enum rl_area { RL_AREA_DESC, RL_AREA_AVAIL, RL_AREA_USED, RL_AREA_NONE };

struct rl_part {
    const char *name;    /* "avail.idx", "used.ring", "padding" … (ring_classify's names) */
    enum rl_area area;
    uint64_t off, size;  /* bytes from the start of the descriptor table */
    uint32_t entries;    /* ring / table entries in this part, 0 for a single field */
    uint32_t entry_size;
    const char *note;    /* static: what it holds and who writes it */
};

#define RL_MAX_PARTS 12u

struct ring_layout {
    enum rl_kind kind;
    uint32_t num;            /* Queue Size */
    uint32_t align;          /* QueueAlign (legacy), 0 for modern */
    uint64_t desc, avail, used; /* offsets of the three areas */
    uint64_t desc_size, avail_size, used_size; /* event fields included */
    uint32_t desc_align, avail_align, used_align; /* alignment each area starts on */
    uint64_t end;            /* first byte after the used ring */
    struct rl_part part[RL_MAX_PARTS];
    unsigned n_parts;
};

/* Bytes of each area for N entries, event fields included (§2.6.5, §2.6.6, §2.6.8). */
uint64_t rl_desc_bytes(uint32_t num);
uint64_t rl_avail_bytes(uint32_t num);
uint64_t rl_used_bytes(uint32_t num);

/* The legacy used ring's address for a ring at `desc` (QueuePFN × GuestPageSize): QEMU 7.2's
 * ALIGN_UP(desc + 16N + 4 + 2N, align). QueueAlign need not be a power of two (QEMU's round-up
 * divides). align 0 is treated as 1 (no rounding) so the function is total. */
uint64_t rl_legacy_used(uint64_t desc, uint32_t num, uint32_t align);
/* The same by §2.6.2's formula, which includes used_event: ALIGN_UP(desc + 16N + 6 + 2N, align). */
uint64_t rl_legacy_used_spec(uint64_t desc, uint32_t num, uint32_t align);
/* Bytes of a legacy ring's whole region, from the descriptor table to the end of the used ring
 * wherever a driver may have put it — by QEMU's formula or §2.6.2's. §2.6.2's used ring never
 * starts before QEMU's (it rounds up two more bytes), so it is the one that ends the region.
 * What the recorder records and the replay claims for a legacy queue. */
uint64_t rl_legacy_region_bytes(uint64_t desc, uint32_t num, uint32_t align);

/* Fill *out for a queue of `num` entries (1..32768); `align` is QueueAlign for the legacy kinds
 * (≥ 1) and ignored for RL_MODERN. Returns 0, or -1 on a value out of range. */
int ring_layout_compute(uint32_t num, enum rl_kind kind, uint32_t align, struct ring_layout *out);

#endif /* RING_LAYOUT_H */
