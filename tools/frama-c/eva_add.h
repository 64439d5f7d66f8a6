/* eva_add.h — what both Eva entry points add each round (eva_split.c, eva_packed.c): a list of
 * 0..max readable and 0..max writable buffers (max ≤ 3) of any length, given to vq_add with
 * `token`. The buffer addresses are fixed (the driver never dereferences them); the lengths and
 * the counts are any value Eva splits on. */
#ifndef EVA_ADD_H
#define EVA_ADD_H

#include "__fc_builtin.h"
#include "driver/virtqueue.h"

static void eva_add_any(struct virtq *q, int max, void *token)
{
    struct vq_buf out[3], in[3];
    for (unsigned i = 0; i < 3; i++) {
        out[i].phys = 0x50000000u + 64u * i;
        out[i].len = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
        in[i].phys = 0x50001000u + 64u * i;
        in[i].len = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
    }
    unsigned n_out = (unsigned)Frama_C_interval_split(0, max);
    unsigned n_in = (unsigned)Frama_C_interval_split(0, max);
    (void)vq_add(q, out, n_out, in, n_in, token);
}

#endif /* EVA_ADD_H */
