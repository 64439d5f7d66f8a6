/* patterns.h — named pictures a scenario draws into a framebuffer and expects on the display.
 * The same generator produces both, so "the display shows pattern X" is checked pixel by pixel. */
#ifndef PATTERNS_H
#define PATTERNS_H

#include <stdbool.h>
#include <stdint.h>

/* Canonical name of a known pattern (static string), or NULL. */
const char *pattern_lookup(const char *name);
/* The 0xRRGGBB colour of pattern `name` at (x, y) in a w×h picture. */
uint32_t pattern_pixel(const char *name, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* Row y of the same picture into out[0..w): identical to pattern_pixel for every x, without a
 * division per pixel (drawing and checking a display is per pixel: bench/ table 3). */
void pattern_row(const char *name, uint32_t y, uint32_t w, uint32_t h, uint32_t *out);

/* The rows of one w×h picture, one after another (drawing it, checking a display against it):
 * most rows of "bars" differ from others of their kind only in the border and the diagonal, so
 * each kind's row is made once and copied (a 1280x800 picture was 800 rows made twice per
 * scenario). Every row is exactly pattern_row's. The storage is the caller's (this file is also
 * built freestanding: ports/aarch64-virt). */
#define PATTERN_ROW_KINDS 4
struct pattern_rows {
    const char *name;
    uint32_t w, h;
    uint32_t *u32;  /* each kind's row, 0xRRGGBB (NULL: each row made as asked) */
    uint8_t *rgb;   /* the same as R,G,B bytes (NULL: made as asked) */
    bool made[PATTERN_ROW_KINDS];
};
/* u32: room for PATTERN_ROW_KINDS * w pixels, rgb for 3 times as many bytes, or NULL (no room:
 * every row made as asked, as for a pattern other than "bars"). */
void pattern_rows_init(struct pattern_rows *r, const char *name, uint32_t w, uint32_t h,
                       uint32_t *u32, uint8_t *rgb);
/* Row y (< h) into out[0..w), as pattern_row gives it. */
void pattern_rows_get(struct pattern_rows *r, uint32_t y, uint32_t *out);
/* Row y (< h) as the display holds it: 3w bytes R,G,B. */
void pattern_rows_get_rgb(struct pattern_rows *r, uint32_t y, uint8_t *out);
/* Byte i of a blk_write of `seed` at `sector` (kernel_blk.c, and the bare-metal port). */
uint8_t pattern_blk_byte(uint32_t seed, uint64_t sector, uint32_t i);
/* Byte i of the frame `{bytes: N, seed: S}` names (a net source frame, a net_send; kernel_net.c,
 * and the bare-metal port): an Ethernet header (broadcast destination, source 52:54:00 and the
 * seed, EtherType 0x88b5, the IEEE's local experimental one) then bytes of splitmix64 of the
 * seed and the position. */
uint8_t pattern_net_byte(uint32_t seed, uint32_t i);

#endif /* PATTERNS_H */
