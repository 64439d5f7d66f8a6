/* wp_ring.c — lemmas on the split ring's 16-bit index arithmetic, proven by WP
 * (tools/frama-c/run_wp.py, target "wrap").
 *
 * The driver keeps free-running 16-bit indices (avail_idx, published_idx, last_used_idx) and
 * finds an index's ring slot as idx % num (virtqueue.c: vq_add, vq_get_used; the device does the
 * same, §2.6.6, §2.6.8). Proven here, with the C11 conversion of wp_c11.c:
 * - slot_next(num) (virtqueue.h): the slot of idx + 1 follows the slot of idx, also from 0xffff
 *   to 0, for every queue size the split ring allows (vq_split_size, §2.6: a power of 2 up to
 *   32768; split_sizes_slot_next gathers them, and vq_create's contract uses it: it accepts no
 *   other size). It does NOT hold for a queue size that does not divide 65536: with 12, idx
 *   0xffff is slot 3 and idx 0 slot 0 (tests/test_frama_c_wp.py shows WP cannot prove it for 3
 *   and 12).
 * (wp_c11.c's lemmas on the distance of two indices and the count in flight are proven in this
 * target too.) */
#include "driver/virtqueue.h"

/*@
    lemma slot_next_1: slot_next(1);
    lemma slot_next_2: slot_next(2);
    lemma slot_next_4: slot_next(4);
    lemma slot_next_8: slot_next(8);
    lemma slot_next_16: slot_next(16);
    lemma slot_next_32: slot_next(32);
    lemma slot_next_64: slot_next(64);
    lemma slot_next_128: slot_next(128);
    lemma slot_next_256: slot_next(256);
    lemma slot_next_512: slot_next(512);
    lemma slot_next_1024: slot_next(1024);
    lemma slot_next_2048: slot_next(2048);
    lemma slot_next_4096: slot_next(4096);
    lemma slot_next_8192: slot_next(8192);
    lemma slot_next_16384: slot_next(16384);
    lemma slot_next_32768: slot_next(32768);
    lemma split_sizes_slot_next: \forall integer n; vq_split_size(n) ==> slot_next(n);
 */
#ifdef WP_SLOT_NUM /* tests/test_frama_c_wp.py: a queue size for which slot_next must fail */
/*@ lemma slot_next_other: slot_next(WP_SLOT_NUM); */
#endif
