/* rgb_rows.h — a row of 4-byte pixels to R,G,B bytes with the CPU's byte shuffle.
 *
 * A display's picture is 3 bytes a pixel; a resource's pixels are 4 (virtio-gpu's formats,
 * §5.7.6.8), the colour bytes at positions that depend on the format. Converting a flushed
 * rectangle byte by byte was most of the time `vqsim check` spent on a Linux console's frames
 * (a transfer of the next lines converts the flush before it: model/devices/gpu_present.c).
 */
#ifndef RGB_ROWS_H
#define RGB_ROWS_H

#include <stdbool.h>
#include <stdint.h>

/* out[3i + k] = src[4i + pos[k]] for i < n, k < 3 (pos[k] <= 3), with SSSE3's pshufb, 16 pixels
 * at a time; true when done, false when the CPU has no SSSE3 (or rgb_rows_force_portable): the
 * caller converts the row itself. Reads 4n bytes at src, writes 3n at out, nothing beyond. */
bool rgb_row_fast(const uint8_t *src, uint8_t *out, uint32_t n, const uint8_t pos[3]);
/* Tests: make rgb_row_fast say no, to compare both paths. */
void rgb_rows_force_portable(bool on);

#endif /* RGB_ROWS_H */
