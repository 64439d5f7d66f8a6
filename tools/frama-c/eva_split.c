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
 * used element (id, len), avail_event and used.flags the device shows is any value.
 * With EVA_REFUSED (a queue size that is not a power of two) the configuration proves instead that
 * vq_create refuses it and that the same rounds on the refused queue are safe. */
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
#ifndef EVA_REFUSED
#define EVA_REFUSED 0
#endif

static struct virtq vq;
static unsigned char bufs[EVA_ROUNDS + 1][64];

static void start_at(uint16_t x)
{
    vq.avail_idx = vq.published_idx = vq.last_used_idx = vq.used_event = x;
    vq.avail->idx = x;
}

/* Reached only when the driver created a queue it must refuse: an invalid write, so an alarm
 * that fails the configuration (Eva runs with -no-annot: an ACSL assert would not be read). */
static void eva_must_not_reach(void)
{
    volatile int *p = NULL;
    *p = 0;
}

static void rounds(void);

int eva_split(void);
int eva_split(void)
{
    int rc = vq_create(&vq, 0, EVA_NUM, EVA_KIND, 4096);
#if EVA_REFUSED
    /* EVA_NUM is not a size a split queue may have (§2.6, a power of two): vq_create refuses it
     * with nothing allocated, and every call on the refused queue fails cleanly. */
    if (rc != VIRTIO_ERR_INVALID || vq.state || vq.region[0] || vq.desc)
        eva_must_not_reach();
    (void)vq_enable_indirect(&vq);
    (void)vq_set_in_order(&vq);
    rounds();
    return 0;
#endif
    if (rc != VIRTIO_OK)
        return 0;
    vq_set_event_idx(&vq, EVA_EVENT_IDX);
    if (EVA_INDIRECT && vq_enable_indirect(&vq) != VIRTIO_OK)
        return 0;
    if (EVA_IN_ORDER)
        (void)vq_set_in_order(&vq);
    vq_set_used_len_policy(&vq, EVA_POLICY);
    start_at(EVA_START);
    rounds();
    return 0;
}

static void rounds(void)
{
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
}
