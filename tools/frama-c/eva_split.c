/* eva_split.c — Frama-C Eva entry point: the split virtqueue (virtqueue.c, vq_indirect.c)
 * against a device that may show any value (hal_any.c).
 *
 * One configuration per analysis, chosen at preprocessing time (tools/frama-c/run_eva.py runs
 * them all): queue size EVA_NUM, layout EVA_KIND, EVENT_IDX, INDIRECT_DESC, IN_ORDER, the
 * used-len policy. The queue starts at any 16-bit index EVA_START (as after that many chains went
 * through it and came back: the driver's three indices equal, avail.idx published), so the rounds
 * cross the wrap from 0xffff to 0 when EVA_START is near it. Then EVA_ROUNDS rounds, each of
 * which adds a chain of any shape the API accepts (0..3 readable, 0..3 writable buffers of any
 * length), publishes it, takes a used element, re-enables interrupts and polls: every used.idx,
 * used element (id, len), avail_event and used.flags the device shows is any value. */
#include "__fc_builtin.h"
#include "driver/virtqueue.h"
#include "eva_add.h"

#ifndef EVA_NUM
#define EVA_NUM 4
#endif
#ifndef EVA_KIND
#define EVA_KIND VQ_LAYOUT_SEPARATE
#endif
#ifndef EVA_ROUNDS
#define EVA_ROUNDS 3
#endif
#ifndef EVA_START
#define EVA_START 0
#endif

static struct virtq vq;
static unsigned char bufs[EVA_ROUNDS + 1][64];

static void start_at(uint16_t x)
{
    vq.avail_idx = vq.published_idx = vq.last_used_idx = vq.used_event = x;
    vq.avail->idx = x;
}

int eva_split(void);
int eva_split(void)
{
    if (vq_create(&vq, 0, EVA_NUM, EVA_KIND, 4096) != VIRTIO_OK)
        return 0;
    vq_set_event_idx(&vq, EVA_EVENT_IDX);
    if (EVA_INDIRECT && vq_enable_indirect(&vq) != VIRTIO_OK)
        return 0;
    if (EVA_IN_ORDER)
        (void)vq_set_in_order(&vq);
    vq_set_used_len_policy(&vq, EVA_POLICY);
    start_at(EVA_START);
    for (int r = 0; r < EVA_ROUNDS; r++) {
        void *token;
        uint32_t len;
        eva_add_any(&vq, 3, bufs[r]);
        (void)vq_kick_prepare(&vq);
        (void)vq_get_used(&vq, &token, &len);
        (void)vq_enable_interrupts(&vq);
        (void)vq_has_used(&vq);
    }
    (void)vq_notify_next(&vq);
    vq_destroy(&vq);
    return 0;
}
