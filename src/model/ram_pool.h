/* ram_pool.h — guest RAM pages handed from one machine to the next, without the host kernel.
 *
 * Every machine maps its guest RAM fresh (guest_memory.h), and the memory guard reads from that
 * mapping which pages the run made resident (resident_pages.h): a page is resident iff the run
 * touched it. Zeroing a driver's DMA allocation (machine_dma_alloc) is the run's first touch of
 * most of its pages, and on fresh memory each page is a page fault: about 1.4 us here (the
 * kernel allocates, clears and charges the page), against 55 ns to clear a page already
 * resident — the largest cost of a short scenario after the driver's own work (bench/ table 3).
 *
 * So a thread keeps the pages its machines zeroed in long runs (RAM_POOL_MIN_RUN: a framebuffer;
 * a move and the mapping splits it makes cost more than a short run's pages, which gm_zero makes
 * resident in one call instead): when guest RAM is unmapped, each such whole-page run gm_zero
 * cleared is moved (mremap, page tables only) into this thread's pool; the next long gm_zero
 * moves pooled pages onto its whole pages before clearing the range. What a run sees is the same
 * byte for byte: the range reads zero and every page of it is resident, exactly as the plain
 * clear of fresh memory leaves it; pages outside the range are not touched. Where the pool is
 * empty or a move fails, the range is simply cleared (the kernel's fresh pages).
 *
 * The pool is per thread (machines on several threads: hal_sim.h), holds at most
 * RAM_POOL_MAX_BYTES, and is unmapped when its thread ends. */
#ifndef RAM_POOL_H
#define RAM_POOL_H

#include <stddef.h>
#include <stdint.h>

#define RAM_POOL_MAX_BYTES (32u << 20)
#define RAM_POOL_MIN_RUN (64u * 4096u) /* shorter runs: one MADV_POPULATE_WRITE costs less */

/* Move up to len bytes (a multiple of 4096) of pooled pages onto dst (page-aligned, inside one
 * read-write private anonymous mapping), in pieces; each piece placed is reported through
 * placed(ctx, offset in dst, length). Stops at the first move that fails. Pages placed hold
 * old bytes: the caller clears them. */
void ram_pool_place(uint8_t *dst, size_t len, void (*placed)(void *ctx, size_t off, size_t n),
                    void *ctx);
/* A page-aligned range of one mapping. */
struct ram_piece {
    uint8_t *p;
    size_t len;
};
/* Take the pieces (in a mapping about to be unmapped) into the pool, those it has room for,
 * first to last; a piece taken is no longer mapped where it was. A piece whose move fails (it
 * spans mappings, or its pages went with an earlier piece) stays where it is. */
void ram_pool_take(const struct ram_piece *piece, uint32_t n);
/* Bytes in this thread's pool. */
size_t ram_pool_bytes(void);

#endif /* RAM_POOL_H */
