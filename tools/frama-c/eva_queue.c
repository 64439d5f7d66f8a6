/* eva_queue.c — Frama-C Eva entry point: the split virtqueue (virtqueue.c, vq_indirect.c) driven
 * through its whole API against a device that answers anything (hal_any.c). Queue size, layout,
 * features (EVENT_IDX, INDIRECT_DESC, IN_ORDER), used-len policy, chain shapes and the number of
 * rounds are any value the API accepts; every used element the device writes is any value. */
#include "__fc_builtin.h"
#include "driver/virtqueue.h"

static struct virtq vq;
static unsigned char bufs[8][64];

int eva_queue(void);
int eva_queue(void)
{
    uint16_t num = (uint16_t)Frama_C_interval(1, EVA_MAX_NUM);
    enum vq_layout_kind kind = (enum vq_layout_kind)Frama_C_interval(0, 2);
    uint32_t align = 1u << Frama_C_interval(0, 16);
    if (vq_create(&vq, 0, num, kind, align) != VIRTIO_OK)
        return 0;
    vq_set_event_idx(&vq, Frama_C_nondet(0, 1));
    if (Frama_C_nondet(0, 1))
        (void)vq_enable_indirect(&vq);
    if (Frama_C_nondet(0, 1))
        (void)vq_set_in_order(&vq);
    vq_set_used_len_policy(&vq, (enum vq_used_len_policy)Frama_C_interval(0, 1));
    int rounds = EVA_ROUNDS; /* concrete: Eva unrolls the rounds (-eva-slevel) */
    for (int r = 0; r < rounds; r++) {
        struct vq_buf out[4], in[4];
        unsigned n_out = (unsigned)Frama_C_interval(0, 4), n_in = (unsigned)Frama_C_interval(0, 4);
        for (unsigned i = 0; i < 4; i++) {
            out[i].phys = 0x40000000u + 64u * i;
            out[i].len = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
            in[i].phys = 0x40001000u + 64u * i;
            in[i].len = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
        }
        switch (Frama_C_interval(0, 4)) {
        case 0:
            (void)vq_add(&vq, out, n_out, in, n_in, bufs[r % 8]);
            break;
        case 1:
            (void)vq_kick_prepare(&vq);
            break;
        case 2: {
            void *token;
            uint32_t len;
            (void)vq_get_used(&vq, &token, &len);
            break;
        }
        case 3:
            (void)vq_enable_interrupts(&vq);
            break;
        default:
            (void)vq_has_used(&vq);
            break;
        }
    }
    vq_destroy(&vq);
    return 0;
}
