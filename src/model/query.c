/* query.c — see query.h. */
#include "model/query.h"

#include <string.h>

#include "model/devices/gpu_device.h"
#include "model/machine.h"
#include "model/rings/ring.h"

void mq_features(const struct machine *m, uint64_t *offered, uint64_t *negotiated)
{
    *offered = m->dev.host_features;
    *negotiated = m->dev.guest_features;
}

void mq_device_queue(const struct machine *m, uint32_t q, struct mq_device_queue *out)
{
    const struct dev_queue *dq = &m->dev.q[q];
    *out = (struct mq_device_queue){.live = dq->live, .desc = dq->desc, .avail = dq->avail,
                                    .used = dq->used, .size = dq->live_num,
                                    .avail_idx = dq->last_avail_idx, .used_idx = dq->used_idx};
}

/* The driver polled queue q's used.idx where the device placed it (one of the 16-bit ring
 * addresses it loaded most): it reads the used ring the device writes. */
static bool polls_device_used(const struct machine *m, uint32_t q)
{
    const struct run_facts *f = &m->facts;
    const struct dev_queue *dq = &m->dev.q[q];
    for (uint32_t i = 0; i < RF_POLL_SLOTS; i++)
        if (f->poll_count[i] && dq->live && f->poll_addr[i] == dq->used + 2)
            return true;
    return false;
}

void mq_register_queue(const struct machine *m, uint32_t q, struct mq_register_queue *out)
{
    const struct dev_queue *dq = &m->dev.q[q];
    const struct mmio_device *d = &m->dev;
    memset(out, 0, sizeof(*out));
    if (d->version == 2) {
        if (!dq->reg_desc && !dq->reg_driver && !dq->reg_device && !dq->live)
            return;
        *out = (struct mq_register_queue){.shown = true, .has_desc = true, .has_avail = true,
                                          .has_used = true, .has_num = true,
                                          .desc = dq->reg_desc, .avail = dq->reg_driver,
                                          .used = dq->reg_device, .num = dq->num};
        return;
    }
    if (!dq->pfn)
        return;
    out->shown = true;
    out->has_num = true;
    out->num = dq->num;
    if (d->guest_page_size_written) { /* QueuePFN counts pages of the size the driver wrote */
        out->has_desc = out->has_avail = true;
        out->desc = (uint64_t)dq->pfn << d->guest_page_shift;
        out->avail = out->desc + 16ull * dq->num;
    }
    if (polls_device_used(m, q)) { /* it reads the used ring where the device writes it */
        out->has_used = true;
        out->used = dq->used;
        out->polled = true;
    }
}

const struct violation *mq_findings(const struct machine *m, bool informational, uint32_t *n)
{
    *n = informational ? m->n_informational : m->n_violations;
    return informational ? m->informational : m->violations;
}

const struct rule *const *mq_skipped_rules(const struct machine *m, uint32_t *n)
{
    *n = m->n_skipped_rules;
    return m->skipped_rules;
}

const struct trace_event *mq_trace(const struct machine *m, size_t *n, uint64_t *dropped)
{
    /* The window in one array: moving it to ev[0] changes no event, only where they are kept
     * (trace.h), so the machine is the same machine to every other query. */
    struct trace *t = (struct trace *)&m->trace;
    trace_linearize(t);
    *n = t->len;
    *dropped = t->dropped;
    return t->ev;
}

const char *mq_ring_field(const struct machine *m, uint64_t addr)
{
    uint32_t idx;
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        const char *w = ring_classify(&m->dev.q[q], addr, &idx);
        if (w)
            return w;
        if ((w = ring_classify_table(&m->dev.q[q], addr, &idx)))
            return w;
    }
    return NULL;
}

bool mq_memory_canary(const struct machine *m) { return m->mguard.canary; }

/* The displays are the gpu's (a device without a display has none). */
uint32_t mq_display_count(const struct machine *m)
{
    const struct gpu_device *g = gpu_of(m);
    return g ? g->n_scanouts : 0;
}

void mq_display(const struct machine *m, uint32_t i, struct mq_display *out)
{
    static const struct gpu_scanout never = {.state = SCANOUT_NOT_INITIALIZED};
    const struct gpu_device *g = gpu_of(m);
    const struct gpu_scanout *so = g && i < VIRTIO_GPU_MAX_SCANOUTS ? &g->scanouts[i] : &never;
    bool active = so->state == SCANOUT_ACTIVE;
    *out = (struct mq_display){.state = scanout_state_name(so->state), .active = active,
                               .width = so->width, .height = so->height,
                               .resource = so->resource_id, .flushes = so->flushes,
                               .cursor = so->cursor.visible && active,
                               .cursor_resource = so->cursor.resource_id,
                               .cursor_x = so->cursor.x, .cursor_y = so->cursor.y,
                               .cursor_hot_x = so->cursor.hot_x,
                               .cursor_hot_y = so->cursor.hot_y};
}

const uint8_t *mq_display_picture(const struct machine *m, uint32_t i, uint8_t **owned)
{
    /* not const: the picture is what every flush made it, a pending one converted now
     * (gpu_present.c); what the machine shows does not change */
    struct gpu_device *g = gpu_of(m);
    *owned = NULL;
    return g ? gpu_display_view(g, i, owned) : NULL;
}

bool mq_display_dark(const struct machine *m, uint32_t i, char *buf, size_t len)
{
    const struct gpu_device *g = gpu_of(m);
    return g && gpu_display_explain_dark(g, i, buf, len);
}
