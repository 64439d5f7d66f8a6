/* eva_packed.c — Frama-C Eva entry point: the packed virtqueue (vq_packed.c, through
 * virtqueue.c's API) against a device that may show any value (hal_any.c).
 *
 * One configuration per analysis (tools/frama-c/run_eva.py runs them all): queue size EVA_NUM,
 * EVENT_IDX, INDIRECT_DESC, the used-len policy. Then EVA_ROUNDS rounds, each of which adds a
 * list of 0..2 readable and 0..2 writable buffers of any length, asks
 * whether to notify, takes a used descriptor, re-enables interrupts and polls: every descriptor
 * flags word, used id and len and Device Area word the device shows is any value. The rounds go
 * round the ring more than once (the wrap counters flip) when EVA_ROUNDS * 3 > EVA_NUM. */
#include "__fc_builtin.h"
#include "driver/virtqueue.h"
#include "eva_add.h"

#ifndef EVA_NUM
#define EVA_NUM 4
#endif
#ifndef EVA_ROUNDS
#define EVA_ROUNDS 3
#endif

static struct virtq vq;
static unsigned char bufs[EVA_ROUNDS + 1][64];

int eva_packed(void);
int eva_packed(void)
{
    if (vq_create(&vq, 0, EVA_NUM, VQ_LAYOUT_PACKED_RING, 0) != VIRTIO_OK)
        return 0;
    vq_set_event_idx(&vq, EVA_EVENT_IDX);
    if (EVA_INDIRECT && vq_enable_indirect(&vq) != VIRTIO_OK)
        return 0;
    (void)vq_set_in_order(&vq); /* refused on a packed ring */
    vq_set_used_len_policy(&vq, EVA_POLICY);
    for (int r = 0; r < EVA_ROUNDS; r++) {
        void *token;
        uint32_t len;
        eva_add_any(&vq, 2, bufs[r]);
        (void)vq_kick_prepare(&vq);
        (void)vq_get_used(&vq, &token, &len);
        (void)vq_enable_interrupts(&vq);
        (void)vq_has_used(&vq);
    }
    (void)vq_notify_next(&vq);
    vq_destroy(&vq);
    return 0;
}
