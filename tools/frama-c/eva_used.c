/* eva_used.c — Frama-C Eva entry point: what a hostile device can make the split virtqueue do.
 * A queue of EVA_NUM descriptors (any layout, EVENT_IDX / IN_ORDER / indirect or not, either
 * used-len policy) with chains made available (one to three, one to four buffers each), then
 * EVA_ROUNDS calls of vq_get_used / vq_enable_interrupts / vq_kick_prepare, with every used.idx,
 * used element, avail_event and flags the device shows any value (hal_any.c), and chains added
 * again as they come back. */
#include "__fc_builtin.h"
#include "driver/virtqueue.h"

static struct virtq vq;
static unsigned char bufs[4][64];

static void add_some(int k)
{
    struct vq_buf out[2] = {{0x40000000u, 24}, {0x40000100u, 8}};
    struct vq_buf in[2] = {{0x40001000u, 408}, {0x40002000u, 4096}};
    switch (Frama_C_interval(0, 3)) {
    case 0: (void)vq_add(&vq, out, 1, in, 1, bufs[k]); break;
    case 1: (void)vq_add(&vq, out, 2, in, 2, bufs[k]); break;
    case 2: (void)vq_add(&vq, out, 1, in, 0, bufs[k]); break;
    default: (void)vq_add(&vq, out, 0, in, 2, bufs[k]); break;
    }
}

int eva_used(void);
int eva_used(void)
{
    enum vq_layout_kind kind = (enum vq_layout_kind)Frama_C_interval(0, 2);
    if (vq_create(&vq, 0, EVA_NUM, kind, 4096) != VIRTIO_OK)
        return 0;
    vq_set_event_idx(&vq, Frama_C_nondet(0, 1));
    if (Frama_C_nondet(0, 1))
        (void)vq_enable_indirect(&vq);
    if (Frama_C_nondet(0, 1))
        (void)vq_set_in_order(&vq);
    vq_set_used_len_policy(&vq, (enum vq_used_len_policy)Frama_C_interval(0, 1));
    add_some(0);
    add_some(1);
    (void)vq_kick_prepare(&vq);
    for (int r = 0; r < EVA_ROUNDS; r++) {
        void *token;
        uint32_t len;
        if (vq_get_used(&vq, &token, &len) == VIRTIO_OK) {
            add_some(2 + (r & 1));
            (void)vq_kick_prepare(&vq);
        }
        (void)vq_enable_interrupts(&vq);
    }
    vq_destroy(&vq);
    return 0;
}
