/* wp_c11.c — the C11 conversion to an unsigned type for Frama-C WP (tools/frama-c/run_wp.py), in
 * the targets that reason about the 16-bit wrap.
 *
 * C11 6.3.1.3p2: a value converted to an unsigned type is the value modulo 2^N. WP's library
 * leaves to_uint16 / to_uint32 abstract (only their range and the identity on values in range),
 * which is not enough to reason about the 16-bit wrap; the two axioms give the provers the
 * definition (the one of WP's own Coq realisation). They are kept out of the targets that do not
 * need them: quantified over every integer, they slow the provers on every other goal. */
#include <stdint.h>

/*@ axiomatic C11_unsigned_conversion {
      axiom to_u16_mod: \forall integer x; (uint16_t)x == ((x % 65536) + 65536) % 65536;
      axiom to_u32_mod: \forall integer x; (uint32_t)x == ((x % 4294967296) + 4294967296) % 4294967296;
    } */

/* Consequences for 16-bit free-running indices, proven from the axioms and then used by WP in the
 * functions' goals: the distance between two different indices is at least 1; the count of chains
 * in flight, (uint16_t)(avail - used), moves by one when either index moves by one, across the
 * wrap, as long as it stays in 0 .. 65535. */
/*@ lemma distance_nonzero: \forall integer x; -65535 <= x <= 65535 && x != 0 ==> (uint16_t)x >= 1;
    lemma in_flight_up: \forall integer a, u; 0 <= a <= 65535 && 0 <= u <= 65535 &&
      (uint16_t)(a - u) < 65535 ==> (uint16_t)((uint16_t)(a + 1) - u) == (uint16_t)(a - u) + 1;
    lemma in_flight_down: \forall integer a, u; 0 <= a <= 65535 && 0 <= u <= 65535 &&
      (uint16_t)(a - u) >= 1 ==> (uint16_t)(a - (uint16_t)(u + 1)) == (uint16_t)(a - u) - 1;
 */
