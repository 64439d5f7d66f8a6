/* test_pattern.h — named pictures a scenario draws into a framebuffer and expects on the display.
 * The same generator produces both, so "the display shows pattern X" is checked pixel by pixel. */
#ifndef TEST_PATTERN_H
#define TEST_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

/* Canonical name of a known pattern (static string), or NULL. */
const char *pattern_lookup(const char *name);
/* The 0xRRGGBB colour of pattern `name` at (x, y) in a w×h picture. */
uint32_t pattern_pixel(const char *name, uint32_t x, uint32_t y, uint32_t w, uint32_t h);

#endif /* TEST_PATTERN_H */
