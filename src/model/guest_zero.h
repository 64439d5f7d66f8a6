/* guest_zero.h — which bytes of a span of guest RAM are known to read zero, without reading them.
 *
 * Guest RAM is a private anonymous mapping (guest_memory.h): a page nobody wrote reads zero. A
 * replayed recording carries no framebuffer bytes, so the backing of a Linux guest's framebuffer
 * is pages the replay never wrote, and a TRANSFER_TO_HOST_2D of a resource never written compares
 * megabytes of them against zeros (gpu_resources.c), per transfer: most of a check's time.
 * The host's page tables say which pages may hold anything else (resident_pages.h's
 * written_runs: one question per span); only those are read. Where the host cannot say, nothing
 * is known and every byte is read, as before.
 */
#ifndef GUEST_ZERO_H
#define GUEST_ZERO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/guest_memory.h"

struct gm_zero_map {
    bool known;        /* the host answered: pages of [lo, hi) outside `run` read zero */
    uint64_t lo, hi;   /* the span asked about (gpa, whole pages) */
    uint64_t *run;     /* (first gpa, end gpa) pairs of pages that may hold a non-zero byte,
                        * in address order */
    size_t n, cap;
};

/* Ask the host about the pages of RAM that [gpa, gpa + len) touches (clipped to RAM). */
void gm_zero_scan(const struct guest_memory *gm, uint64_t gpa, uint64_t len,
                  struct gm_zero_map *z);
/* True when every byte of [gpa, gpa + len) is known to read zero: inside the span scanned and on
 * no page the host named. False says nothing (the bytes must be read). */
bool gm_zero_known(const struct gm_zero_map *z, uint64_t lo, uint64_t hi_excl);
void gm_zero_free(struct gm_zero_map *z);

#endif /* GUEST_ZERO_H */
