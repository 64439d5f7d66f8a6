/* virtio_rng.c — see virtio_rng.h. */
#include "driver/virtio_rng.h"

#include "driver/virtio_device.h"
#include "driver/virtio_hal.h"

#define VRNG_MAX_BUFS 4u

static int latch(struct vrng *r, int status)
{
    if (!r->broken) {
        r->broken = true;
        r->broken_status = status;
    }
    return status;
}

int vrng_init(struct vrng *r, const struct vrng_config *cfg)
{
    if (!r || !cfg || cfg->queue_size < 1)
        return VIRTIO_ERR_INVALID;
    uint8_t *zero = (uint8_t *)r;
    for (uint32_t i = 0; i < sizeof(*r); i++)
        zero[i] = 0;
    r->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    int rc = vdev_attach(cfg->transport, &r->mmio, cfg->mmio_base, r->timeout_ns,
                         VIRTIO_ID_ENTROPY, &r->t);
    if (rc != VIRTIO_OK)
        return rc; /* (not an entropy device: left untouched) */
    uint64_t want = cfg->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC |
                                     1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_F_RING_PACKED);
    if ((rc = vtr_begin_init(r->t)) != VIRTIO_OK ||
        (rc = vtr_negotiate(r->t, want)) != VIRTIO_OK)
        return rc;
    rc = vtr_setup_queue(r->t, &r->vq, VIRTIO_RNG_QUEUE_REQUEST, cfg->queue_size,
                           cfg->layout, cfg->legacy_align);
    if (rc == VIRTIO_OK && (r->t->features >> VIRTIO_RING_F_INDIRECT_DESC & 1u))
        rc = vq_enable_indirect(&r->vq); /* §2.6.5.3.1: only when negotiated */
    if (rc != VIRTIO_OK) {
        vtr_fail(r->t); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    vq_set_event_idx(&r->vq, r->t->features >> VIRTIO_RING_F_EVENT_IDX & 1u);
    return vtr_driver_ok(r->t); /* §5.4.5: the queue is initialised: nothing more */
}

/* Wait (bounded) for the request in flight, whose token is `token`. */
static int wait_answer(struct vrng *r, void *token, uint32_t *got)
{
    void *t = 0;
    uint32_t len = 0;
    int rc = vdev_wait_used(r->t, &r->vq, r->timeout_ns, &t, &len);
    if (rc != VIRTIO_OK) /* silent (timeout, NEEDS_RESET, reset) or a hostile used ring */
        return latch(r, rc);
    if (t != token)
        return latch(r, VIRTIO_ERR_BAD_USED);
    r->last_len = len;
    *got = len;
    return len ? VIRTIO_OK : VIRTIO_ERR_RESPONSE; /* §5.4.6.2: one or more bytes */
}

int vrng_submit(struct vrng *r, const struct vq_buf *bufs, const bool *writable, uint32_t n,
                uint32_t *got)
{
    if (!r || !bufs || !writable || !got || n == 0 || n > VRNG_MAX_BUFS)
        return VIRTIO_ERR_INVALID;
    if (r->broken)
        return VIRTIO_ERR_BROKEN;
    struct vq_buf out[VRNG_MAX_BUFS], in[VRNG_MAX_BUFS];
    unsigned n_out = 0, n_in = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (writable[i])
            in[n_in++] = bufs[i];
        else if (n_in) /* readable after writable cannot be a chain (§2.6.4.2) */
            return VIRTIO_ERR_INVALID;
        else
            out[n_out++] = bufs[i];
    }
    *got = 0;
    /* an empty side goes as NULL (vq_add's contract): nothing of it is read */
    int rc = vq_add(&r->vq, n_out ? out : NULL, n_out, n_in ? in : NULL, n_in, (void *)bufs);
    if (rc != VIRTIO_OK)
        return rc;
    if (vq_kick_prepare(&r->vq))
        vtr_notify(r->t, VIRTIO_RNG_QUEUE_REQUEST);
    return wait_answer(r, (void *)bufs, got);
}

int vrng_read(struct vrng *r, uint64_t phys, uint32_t len, uint32_t *got)
{
    if (!r || len == 0 || !got)
        return VIRTIO_ERR_INVALID;
    const struct vq_buf buf = {phys, len};
    const bool writable = true; /* §5.4.6.1 */
    return vrng_submit(r, &buf, &writable, 1, got);
}
