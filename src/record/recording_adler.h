/* recording_adler.h — Adler-32 (RFC 1950 §8.2) of a format 2 recording's
 * inflated bytes, the check value that ends each of its zlib streams (recording_zlib.h).
 *
 * The same value as zlib's adler32(), computed 16 bytes at a time in lanes the compiler keeps in
 * vector registers: zlib's own check was most of a busy recording's first pass after inflate
 * itself (about 3.6 instructions a byte against 1.3). Test builds compare every value with
 * zlib's (recording_zlib.c), and tests/unit/test_recording_stream.c checks it on edge lengths.
 * Plain C: the plugin includes it too.
 */
#ifndef RECORDING_ADLER_H
#define RECORDING_ADLER_H

#include <stddef.h>
#include <stdint.h>

/* Adler-32 of n bytes at p, continuing from `adler` (1 to start, as zlib's). */
uint32_t vqrec_adler32(uint32_t adler, const uint8_t *p, size_t n);

#endif /* RECORDING_ADLER_H */
