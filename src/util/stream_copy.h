/* stream_copy.h — a large copy whose destination is not read again soon.
 *
 * TRANSFER_TO_HOST_2D copies a frame (8 MB at 1080p) from guest memory into the resource's host
 * pixels, which are read back only when a flush of them is shown (lazily: model/devices/
 * gpu_present.c), often never. A copy through the cache first reads every destination line it
 * is about to overwrite and pushes out what the next frame's copy will read; with a flush
 * pending, the transfer writes into the resource's other buffer (gpu_present_before_transfer),
 * so each frame's destination is the one least recently used. Streaming (non-temporal) stores
 * write the destination straight to memory. */
#ifndef STREAM_COPY_H
#define STREAM_COPY_H

#include <stddef.h>

/* Copies of at least this many bytes stream (a core's L2 cache here is 1 MiB). */
#define STREAM_COPY_MIN (1u << 20)

/* memcpy(dst, src, n) (the areas do not overlap); from STREAM_COPY_MIN bytes on with streaming
 * stores where the CPU has them (x86-64: SSE2), memcpy elsewhere. */
void stream_copy(void *dst, const void *src, size_t n);

#endif /* STREAM_COPY_H */
