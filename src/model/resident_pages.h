/* resident_pages.h — which pages of a mapping the host has made resident (the run touched them).
 *
 * The memory guard (memory_guard.h) looks only at pages a run touched: a page never touched
 * still reads zero. mincore answers with one byte per page of the range, so asking about a
 * 256 MiB guest costs the same 65,536 bytes however little the run touched (about 50 us here,
 * the largest cost of a short scenario's end). Linux 6.7's PAGEMAP_SCAN ioctl on
 * /proc/self/pagemap answers with the resident runs themselves, at a cost that follows the page
 * tables the run made: that is used where the kernel has it, mincore otherwise.
 *
 * "Resident" is what mincore says of an anonymous mapping (its page table entry is present: a
 * page written, or read and given the shared zero page), plus pages swapped out (PAGE_IS_SWAPPED:
 * touched too, which mincore does not report). In test builds (!NDEBUG) every answer of
 * PAGEMAP_SCAN is checked against mincore's. */
#ifndef RESIDENT_PAGES_H
#define RESIDENT_PAGES_H

#include <stddef.h>
#include <stdint.h>

#define RP_PAGE 4096u

/* Call run(ctx, first page, pages) for each run of resident pages of [p, p + len) (p and len
 * multiples of RP_PAGE; the host's page size RP_PAGE), in address order. Returns 0, or -1 when
 * the host cannot say (another page size, no mincore): the caller looks at every page. */
int resident_runs(const uint8_t *p, size_t len, void (*run)(void *ctx, size_t first, size_t n),
                  void *ctx);

/* The same for the pages that may hold a byte other than zero: resident pages other than the
 * kernel's shared zero page (a page only ever read), and pages swapped out. A page it leaves out
 * reads zero. Only PAGEMAP_SCAN says this (mincore tells neither the zero page nor a swapped
 * page): -1 where the kernel has no PAGEMAP_SCAN, and the caller reads the bytes. */
int written_runs(const uint8_t *p, size_t len, void (*run)(void *ctx, size_t first, size_t n),
                 void *ctx);

#endif /* RESIDENT_PAGES_H */
