/* memory_guard.h — did anything change guest memory outside the driver's DMA allocations?
 *
 * The machine records every allocation vhal_dma_alloc hands out (rings, command and response
 * buffers, framebuffers, driver bookkeeping). Memory outside them starts as fresh RAM (zero);
 * with `canary` on, a band of MG_CANARY_BAND bytes after each allocation is filled with
 * MG_CANARY_BYTE too, so a write that runs off the end of a buffer shows even when it writes
 * zeros. At the end, mg_check compares every byte outside the allocations with what it must be;
 * a run with no allocation known (a replayed recording) is not judged.
 * Cheap on a sparse guest: only pages the host has made resident (resident_pages.h) can differ
 * from zero, so a 256 MiB guest that touched a few MiB costs a few MiB of reads.
 *
 * The canary is opt-in (scenarios that assert expect.memory_outside_buffers) because a replayed
 * driver bug may make the device read memory the driver never allocated (a ring in the wrong
 * place); there it must keep reading zeros, as the hang scenarios expect.
 */
#ifndef MEMORY_GUARD_H
#define MEMORY_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define MG_MAX_RANGES 256u
#define MG_CANARY_BAND 256u
#define MG_CANARY_BYTE 0xc5u

struct mg_range {
    uint64_t start, end; /* [start, end) guest-physical */
};

struct memory_guard {
    bool canary;                          /* lay canary bands (machine_config.memory_canary) */
    struct mg_range alloc[MG_MAX_RANGES];
    uint32_t n_alloc;
    struct mg_range band[MG_MAX_RANGES];  /* canary bands as laid (may overlap later allocations) */
    uint32_t n_band;
    bool overflow;                        /* more allocations than MG_MAX_RANGES: not judged */
};

struct mg_result {
    bool judged;            /* false: too many allocations to track, or no RAM */
    uint64_t changed_bytes; /* bytes outside the allocations that differ from what they must be */
    uint64_t first_changed; /* guest-physical address of the first (when changed_bytes > 0) */
    uint32_t allocations;
    uint64_t pages_scanned; /* resident pages looked at */
};

/* machine_dma_alloc made [addr, addr + size): record it, then lay its canary band. */
void memory_guard_on_alloc(struct machine *m, uint64_t addr, uint64_t size);
/* Compare memory outside the allocations with zero / the canary. */
void memory_guard_check(const struct machine *m, struct mg_result *out);

#endif /* MEMORY_GUARD_H */
