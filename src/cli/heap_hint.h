/* heap_hint.h — a command that allocates and frees the same big buffers over and over (vqsim run:
 * scenario after scenario; vqsim check: recording after recording) keeps them in its heap.
 *
 * glibc serves blocks over its mmap threshold with mmap and returns a heap top above its trim
 * threshold to the kernel: each buffer's pages came back as page faults every time (about 1.4 us
 * each on these machines, against 55 ns to clear a page in place). Raised thresholds keep them;
 * and the heap is grown once by `grow` bytes (under mmap_threshold) that ask the kernel for
 * transparent huge pages (one fault per 2 MiB where the machine's THP setting is `madvise`,
 * Debian's default). Untouched, the growth costs nothing. A hint: where refused, nothing is
 * lost. Outside glibc it does nothing. */
#ifndef HEAP_HINT_H
#define HEAP_HINT_H

#include <stddef.h>

void heap_keep_big(size_t mmap_threshold, size_t trim_threshold, size_t grow);

#endif /* HEAP_HINT_H */
