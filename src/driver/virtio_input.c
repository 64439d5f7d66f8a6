/* virtio_input.c — see virtio_input.h. */
#include "driver/virtio_input.h"

#include "driver/virtio_device.h"
#include "driver/virtio_hal.h"

static int latch(struct vinput *v, int status)
{
    if (!v->broken) {
        v->broken = true;
        v->broken_status = status;
    }
    return status;
}

/* §5.8.5: select, subsel, then size; the union's first `max` bytes into out. */
static int config_query(struct vinput *v, uint8_t select, uint8_t subsel, uint8_t *out,
                        uint32_t max, uint8_t *size)
{
    vtr_config_write32(v->t, 0, (uint32_t)select | (uint32_t)subsel << 8);
    uint32_t w = 0;
    int rc = vtr_config_read32(v->t, 0, &w);
    if (rc != VIRTIO_OK)
        return rc;
    *size = (uint8_t)(w >> 16); /* §5.8.5.1: check size before the union */
    for (uint32_t off = 0; off < *size && off < max; off += 4) {
        if ((rc = vtr_config_read32(v->t, 8 + off, &w)) != VIRTIO_OK)
            return rc;
        for (uint32_t k = 0; k < 4 && off + k < max; k++)
            out[off + k] = (uint8_t)(w >> 8 * k);
    }
    return VIRTIO_OK;
}

static int read_identity(struct vinput *v)
{
    uint8_t size = 0;
    int rc = config_query(v, VIRTIO_INPUT_CFG_ID_NAME, 0, (uint8_t *)v->name, 128, &size);
    v->name[size < 128 ? size : 128] = 0;
    if (rc == VIRTIO_OK)
        rc = config_query(v, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, (uint8_t *)&v->ids, sizeof(v->ids),
                          &size);
    return rc;
}

static int post(struct vinput *v, uint32_t i)
{
    struct vq_buf in = {v->events_phys + (uint64_t)i * sizeof(struct virtio_input_event),
                        v->event_bytes}; /* one event's room apart, event_bytes each */
    return vq_add(&v->eventq, 0, 0, &in, 1, &v->events[0] + i);
}

static int fill_eventq(struct vinput *v, const struct vinput_config *cfg)
{
    uint32_t n = cfg->event_buffers < 0 ? cfg->queue_size : (uint32_t)cfg->event_buffers;
    if (n > cfg->queue_size || n > VINPUT_MAX_BUFFERS)
        return VIRTIO_ERR_INVALID;
    v->event_bytes = cfg->event_bytes ? cfg->event_bytes : sizeof(struct virtio_input_event);
    if (v->event_bytes > sizeof(struct virtio_input_event))
        return VIRTIO_ERR_INVALID;
    v->events = vhal_dma_alloc(VINPUT_MAX_BUFFERS * sizeof(struct virtio_input_event), 8,
                               VHAL_DMA_BUFFER, &v->events_phys);
    if (!v->events)
        return VIRTIO_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        int rc = post(v, i);
        if (rc != VIRTIO_OK)
            return rc;
    }
    v->n_posted = n;
    if (n && vq_kick_prepare(&v->eventq))
        vtr_notify(v->t, VIRTIO_INPUT_QUEUE_EVENT);
    return VIRTIO_OK;
}

static int setup_queues(struct vinput *v, const struct vinput_config *cfg)
{
    int rc = vtr_setup_queue(v->t, &v->eventq, VIRTIO_INPUT_QUEUE_EVENT, cfg->queue_size,
                             cfg->layout, cfg->legacy_align);
    if (rc == VIRTIO_OK)
        rc = vtr_setup_queue(v->t, &v->statusq, VIRTIO_INPUT_QUEUE_STATUS, cfg->queue_size,
                             cfg->layout, cfg->legacy_align);
    bool event_idx = v->t->features >> VIRTIO_RING_F_EVENT_IDX & 1u;
    vq_set_event_idx(&v->eventq, event_idx);
    vq_set_event_idx(&v->statusq, event_idx);
    return rc;
}

int vinput_init(struct vinput *v, const struct vinput_config *cfg)
{
    if (!v || !cfg || cfg->queue_size < 1)
        return VIRTIO_ERR_INVALID;
    uint8_t *zero = (uint8_t *)v;
    for (uint32_t i = 0; i < sizeof(*v); i++)
        zero[i] = 0;
    v->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    int rc = vdev_attach(cfg->transport, &v->mmio, cfg->mmio_base, v->timeout_ns,
                         VIRTIO_ID_INPUT, &v->t);
    if (rc != VIRTIO_OK)
        return rc; /* (not an input device: left untouched) */
    uint64_t want = cfg->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
    if ((rc = vtr_begin_init(v->t)) != VIRTIO_OK || (rc = vtr_negotiate(v->t, want)) != VIRTIO_OK)
        return rc;
    if ((rc = setup_queues(v, cfg)) != VIRTIO_OK || (rc = read_identity(v)) != VIRTIO_OK) {
        vtr_fail(v->t); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    if ((rc = vtr_driver_ok(v->t)) != VIRTIO_OK)
        return rc;
    return fill_eventq(v, cfg); /* as Linux: after DRIVER_OK, before any event is wanted */
}

int vinput_next_event(struct vinput *v, struct virtio_input_event *ev)
{
    if (!v || !ev)
        return VIRTIO_ERR_INVALID;
    if (v->broken)
        return VIRTIO_ERR_BROKEN;
    void *token = 0;
    uint32_t len = 0;
    int rc = vdev_wait_used(v->t, &v->eventq, v->timeout_ns, &token, &len);
    if (rc != VIRTIO_OK) /* silent (timeout, NEEDS_RESET, reset) or a hostile used ring */
        return latch(v, rc);
    const struct virtio_input_event *e = token;
    uint32_t i = (uint32_t)(e - v->events);
    if (i >= v->n_posted)
        return latch(v, VIRTIO_ERR_BAD_USED);
    *ev = *(const volatile struct virtio_input_event *)e;
    rc = post(v, i); /* §5.8.6.1: keep the eventq populated */
    if (rc == VIRTIO_OK && vq_kick_prepare(&v->eventq))
        vtr_notify(v->t, VIRTIO_INPUT_QUEUE_EVENT);
    if (rc != VIRTIO_OK)
        return rc;
    return len < sizeof(*ev) ? VIRTIO_ERR_RESPONSE : VIRTIO_OK;
}
