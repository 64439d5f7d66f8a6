/* picture_digest.h — the SHA-256 of a display's picture (its R,G,B bytes), as the results and
 * the verdict line print it.
 *
 * A suite lights few distinct pictures (296 scenarios: 264 lit displays, 12 different pictures;
 * most of the rest black) and comparing bytes is far cheaper than hashing them, so the digests
 * of the last PICTURE_DIGEST_KEEP pictures (up to PICTURE_DIGEST_KEEP_BYTES each) are kept with a copy of their bytes: a picture equal
 * to one of them, byte for byte, reuses its digest. Never a digest of anything but these exact
 * bytes: no fingerprint, no sampling. Any thread may call it (machines may run on several,
 * hal_sim.h).
 */
#ifndef PICTURE_DIGEST_H
#define PICTURE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define PICTURE_DIGEST_KEEP 6u
#define PICTURE_DIGEST_KEEP_BYTES (4u << 20) /* larger pictures are hashed every time */

/* SHA-256 of pic[0..n) as 64 lower-case hex digits (pic NULL: of nothing). */
void picture_sha256(const uint8_t *pic, size_t n, char out[65]);

#endif /* PICTURE_DIGEST_H */
