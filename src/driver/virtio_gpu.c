/* virtio_gpu.c — virtio-gpu 2D: initialisation, the request slots and the wait, and the commands
 * that light a display (§5.7.6). See virtio_gpu.h. More commands: gpu_commands.c, gpu_cursor.c. */
#include "driver/virtio_gpu.h"

#include "driver/gpu_internal.h"
#include "driver/virtio_hal.h"

/* Four words at a time where the addresses allow it (every GET_DISPLAY_INFO zeroes and copies a
 * 408-byte answer: the loop's own overhead was most of its cost), then words, then bytes;
 * may_alias: the words overlay structs of any type. */
typedef uint64_t __attribute__((may_alias)) vgpu_word;

void vgpu_zero(void *p, uint32_t n)
{
    uint8_t *b = p;
    uint32_t i = 0;
    if (((uintptr_t)b & 7u) == 0) {
        for (; n - i >= 32; i += 32) {
            vgpu_word *w = (vgpu_word *)(b + i);
            w[0] = 0, w[1] = 0, w[2] = 0, w[3] = 0;
        }
        for (; n - i >= 8; i += 8)
            *(vgpu_word *)(b + i) = 0;
    }
    for (; i < n; i++)
        b[i] = 0;
}

void vgpu_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    uint32_t i = 0;
    if ((((uintptr_t)d | (uintptr_t)s) & 7u) == 0) {
        for (; n - i >= 32; i += 32) {
            vgpu_word *w = (vgpu_word *)(d + i);
            const vgpu_word *r = (const vgpu_word *)(s + i);
            vgpu_word a = r[0], b = r[1], c = r[2], e = r[3];
            w[0] = a, w[1] = b, w[2] = c, w[3] = e;
        }
        for (; n - i >= 8; i += 8)
            *(vgpu_word *)(d + i) = *(const vgpu_word *)(s + i);
    }
    for (; i < n; i++)
        d[i] = s[i];
}

const char *vgpu_status_name(int rc)
{
    switch (rc) {
    case VGPU_ERR_UNSPEC: return "gpu-err-unspec";
    case VGPU_ERR_OUT_OF_MEMORY: return "gpu-err-out-of-memory";
    case VGPU_ERR_INVALID_SCANOUT_ID: return "gpu-err-invalid-scanout-id";
    case VGPU_ERR_INVALID_RESOURCE_ID: return "gpu-err-invalid-resource-id";
    case VGPU_ERR_INVALID_CONTEXT_ID: return "gpu-err-invalid-context-id";
    case VGPU_ERR_INVALID_PARAMETER: return "gpu-err-invalid-parameter";
    case VGPU_ERR_UNEXPECTED_RESPONSE: return "gpu-unexpected-response";
    case VGPU_ERR_SHORT_RESPONSE: return "gpu-short-response";
    case VGPU_ERR_FENCE: return "gpu-fence-not-echoed";
    case VGPU_ERR_BAD_EDID: return "gpu-bad-edid";
    case VGPU_ERR_BAD_DISPLAY_INFO: return "gpu-bad-display-info";
    default: return virtio_status_name(rc);
    }
}

bool vgpu_is_device_error(int rc)
{
    return rc == VIRTIO_ERR_RESPONSE || (rc <= VGPU_ERR_UNSPEC && rc >= VGPU_ERR_BAD_DISPLAY_INFO);
}

bool vgpu_is_no_answer(int rc)
{
    return rc == VIRTIO_ERR_TIMEOUT || rc == VIRTIO_ERR_NEEDS_RESET ||
           rc == VIRTIO_ERR_DEVICE_RESET;
}

int vgpu_status_from_response(uint32_t type, uint32_t expect)
{
    if (type == expect)
        return VIRTIO_OK;
    switch (type) {
    case VIRTIO_GPU_RESP_ERR_UNSPEC: return VGPU_ERR_UNSPEC;
    case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY: return VGPU_ERR_OUT_OF_MEMORY;
    case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID: return VGPU_ERR_INVALID_SCANOUT_ID;
    case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID: return VGPU_ERR_INVALID_RESOURCE_ID;
    case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID: return VGPU_ERR_INVALID_CONTEXT_ID;
    case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER: return VGPU_ERR_INVALID_PARAMETER;
    default: return VGPU_ERR_UNEXPECTED_RESPONSE;
    }
}

int vgpu_init(struct vgpu *g, const struct vgpu_config *cfg)
{
    /* Every gpu command is a chain of at least two buffers (request, response), and §2.6.5.3.1
     * forbids a chain longer than the queue even inside an indirect table: a queue of one entry
     * could never carry a command. Refuse it before touching the device. */
    if (!g || !cfg || cfg->queue_size < 2)
        return VIRTIO_ERR_INVALID;
    vgpu_zero(g, sizeof(*g));
    g->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    g->fences = cfg->fences;
    g->wait = cfg->wait;
    /* g->t is never NULL after vgpu_init, even when the probe fails (its fields read 0) */
    g->t = cfg->transport ? cfg->transport : &g->mmio.t;
    int rc = cfg->transport ? VIRTIO_OK : vmmio_probe(&g->mmio, cfg->mmio_base, g->timeout_ns);
    if (rc != VIRTIO_OK)
        return rc;
    if (g->t->device_id != VIRTIO_ID_GPU)
        return VIRTIO_ERR_WRONG_DEVICE; /* not ours: leave it untouched */
    if ((rc = vtr_begin_init(g->t)) != VIRTIO_OK)
        return rc;
    if ((rc = vtr_negotiate(g->t, cfg->features & VGPU_DRIVER_FEATURES)) != VIRTIO_OK)
        return rc;
    uint64_t req_phys = 0, resp_phys = 0;
    uint8_t *req = vhal_dma_alloc(VGPU_REQ_BYTES * VGPU_MAX_INFLIGHT, 64, VHAL_DMA_BUFFER,
                                  &req_phys);
    uint8_t *resp = vhal_dma_alloc(VGPU_RESP_BYTES * VGPU_MAX_INFLIGHT, 64, VHAL_DMA_BUFFER,
                                   &resp_phys);
    if (cfg->cursor) /* one cursor command at a time: 56 bytes */
        g->cur_req = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &g->cur_req_phys);
    if (!req || !resp || (cfg->cursor && !g->cur_req)) {
        vtr_fail(g->t);
        return VIRTIO_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++) {
        g->slot[i].req = req + i * VGPU_REQ_BYTES;
        g->slot[i].resp = resp + i * VGPU_RESP_BYTES;
        g->slot[i].req_phys = req_phys + i * VGPU_REQ_BYTES;
        g->slot[i].resp_phys = resp_phys + i * VGPU_RESP_BYTES;
    }
    g->req = g->slot[0].req;
    g->resp = g->slot[0].resp;
    g->req_phys = g->slot[0].req_phys;
    g->resp_phys = g->slot[0].resp_phys;
    rc = vtr_setup_queue(g->t, &g->ctrl, VIRTIO_GPU_QUEUE_CONTROL, cfg->queue_size,
                           cfg->layout, cfg->legacy_align);
    if (rc == VIRTIO_OK && (g->t->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)))
        rc = vq_enable_indirect(&g->ctrl); /* §2.6.5.3.1: only when negotiated */
    if (rc == VIRTIO_OK && (g->t->features & (1ull << VIRTIO_F_IN_ORDER)))
        rc = vq_set_in_order(&g->ctrl);
    if (rc == VIRTIO_OK && cfg->cursor) {
        rc = vtr_setup_queue(g->t, &g->cursorq, VIRTIO_GPU_QUEUE_CURSOR, cfg->queue_size,
                               cfg->layout, cfg->legacy_align);
        if (rc == VIRTIO_OK && (g->t->features & (1ull << VIRTIO_F_IN_ORDER)))
            rc = vq_set_in_order(&g->cursorq); /* one-buffer commands, in ring order too */
        g->has_cursor = rc == VIRTIO_OK;
    }
    if (rc != VIRTIO_OK) {
        vtr_fail(g->t); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    bool event_idx = (g->t->features >> VIRTIO_RING_F_EVENT_IDX) & 1u;
    vq_set_event_idx(&g->ctrl, event_idx);
    vq_set_used_len_policy(&g->ctrl, cfg->used_len);
    if (g->has_cursor) {
        vq_set_event_idx(&g->cursorq, event_idx);
        vq_set_used_len_policy(&g->cursorq, cfg->used_len);
    }
    if ((rc = vtr_driver_ok(g->t)) != VIRTIO_OK)
        return rc;
    /* §5.7.4: num_scanouts is 1..16. It sizes every later loop over scanouts, so a value out
     * of range (or never read consistently, §2.4.1) is refused before use: the device is
     * FAILED (§3.1.1), not believed. */
    uint32_t n = 0;
    if (vtr_config_read32(g->t, 8, &n) != VIRTIO_OK || n == 0 ||
        n > VIRTIO_GPU_MAX_SCANOUTS) {
        vtr_fail(g->t);
        return vgpu_latch(g, VIRTIO_ERR_BAD_CONFIG);
    }
    g->num_scanouts = n;
    return VIRTIO_OK;
}

int vgpu_latch(struct vgpu *g, int status)
{
    if (!g->broken) {
        g->broken = true;
        g->broken_status = status;
    }
    return status;
}

bool vgpu_is_broken(const struct vgpu *g)
{
    return g && (g->broken || g->stalled);
}

int vgpu_reset(struct vgpu *g)
{
    if (!g)
        return VIRTIO_ERR_INVALID;
    int rc = vtr_begin_init(g->t); /* §3.1.1 step 1: reset, then ACKNOWLEDGE|DRIVER */
    g->stalled = true; /* the queues are gone with the reset */
    return rc;
}

void vgpu_hdr_init(struct virtio_gpu_ctrl_hdr *h, uint32_t type)
{
    vgpu_zero(h, sizeof(*h));
    h->type = type;
}

/* The interrupt handler: true when the line rose since the last look; then it reads the
 * interrupt status and acknowledges what it handles (§4.2.3.4, §4.1.4.5), as a kernel's does. */
static bool irq_arrived(struct vgpu *g, uint32_t *isr)
{
    *isr = 0;
    if (vhal_irq_take() == 0)
        return false;
    *isr = vtr_ack_interrupt(g->t);
    return true;
}

void vgpu_kick(struct vgpu *g, struct virtq *vq, uint32_t queue)
{
    if (g->wait == VGPU_WAIT_INTERRUPT) /* about to sleep on the interrupt: ask for it */
        (void)vq_enable_interrupts(vq); /* nothing of this request can be used yet */
    if (vq_kick_prepare(vq))
        vtr_notify_next(g->t, (uint16_t)queue, vq_notify_next(vq));
}

struct vgpu_slot *vgpu_slot_get(struct vgpu *g)
{
    if (!g->batching)
        return g->slot[0].busy ? NULL : &g->slot[0];
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++)
        if (!g->slot[i].busy && !g->slot[i].done)
            return &g->slot[i];
    return NULL;
}

int vgpu_no_slot(const struct vgpu *g)
{
    if (!g)
        return VIRTIO_ERR_INVALID;
    return vgpu_is_broken(g) ? VIRTIO_ERR_BROKEN : VIRTIO_ERR_NOSPC;
}

int vgpu_wait_used(struct vgpu *g, struct virtq *vq, void **token, uint32_t *len)
{
    /* Bounded poll: back off from 1 µs to 1 ms so a long deadline costs few iterations. */
    uint64_t start = vhal_now_ns();
    uint64_t deadline = start + g->timeout_ns;
    uint64_t delay = 1000;
    int rc;
    bool rearm = true; /* interrupt mode: re-enable and re-check once before each sleep */
    uint32_t isr = 0;
    for (;;) {
        rc = VIRTIO_ERR_EMPTY; /* interrupt mode looks at the ring only after an interrupt… */
        if (g->wait != VGPU_WAIT_INTERRUPT || irq_arrived(g, &isr)) {
            /* §2.1.2: a device that sets DEVICE_NEEDS_RESET signals a configuration change;
             * a sleeping driver wakes on it and stops waiting for an answer that cannot come. */
            if ((isr & VIRTIO_ISR_CONFIG) &&
                (rc = vtr_check_alive(g->t)) != VIRTIO_OK) {
                g->last_wait_ns = vhal_now_ns() - start;
                g->stalled = true;
                return vgpu_latch(g, rc);
            }
            rc = vq_get_used(vq, token, len);
            rearm = true;
        } else if (rearm) { /* …or when re-arming finds a buffer used meanwhile (§2.6.14) */
            rearm = false;
            if (vq_enable_interrupts(vq))
                rc = vq_get_used(vq, token, len);
        }
        if (rc != VIRTIO_ERR_EMPTY)
            break;
        if (vhal_now_ns() >= deadline) {
            g->last_wait_ns = vhal_now_ns() - start;
            g->stalled = true;
            /* One Status read says why the device is silent: DEVICE_NEEDS_RESET (§2.1.2) or a
             * reset of its own (DRIVER_OK gone, §2.1); otherwise a plain timeout. */
            rc = vtr_check_alive(g->t);
            return rc != VIRTIO_OK ? vgpu_latch(g, rc) : VIRTIO_ERR_TIMEOUT;
        }
        vhal_delay_ns(delay);
        if (delay < 1000000)
            delay *= 2;
    }
    g->last_wait_ns = vhal_now_ns() - start;
    vtr_ack_interrupt(g->t); /* the used-buffer event is handled (§4.2.3.4, §4.1.4.5) */
    if (rc != VIRTIO_OK && vq->broken) /* the used ring was hostile: the whole driver stops */
        vgpu_latch(g, vq->broken_status);
    return rc;
}

/* The answer to slot s arrived with used.len `len`: judge it. */
static void complete(struct vgpu *g, struct vgpu_slot *s, uint32_t len)
{
    const struct virtio_gpu_ctrl_hdr *resp = s->resp;
    s->busy = false;
    s->done = true;
    s->used_len = len;
    s->resp_type = 0;
    if (len < sizeof(*resp)) {
        s->status = VGPU_ERR_SHORT_RESPONSE;
        return;
    }
    s->resp_type = resp->type;
    s->status = vgpu_status_from_response(resp->type, s->expect_type);
    if (s->status == VIRTIO_OK && len < s->resp_len)
        s->status = VGPU_ERR_SHORT_RESPONSE;
    if (s->fence_id) { /* §5.7.6.7: the device echoes the flag and the id */
        if (!(resp->flags & VIRTIO_GPU_FLAG_FENCE) || resp->fence_id != s->fence_id) {
            if (s->status == VIRTIO_OK)
                s->status = VGPU_ERR_FENCE;
        } else if (resp->fence_id > g->last_fence_done) {
            g->last_fence_done = resp->fence_id;
        }
    }
}

/* Wait until every slot in flight is answered; the first failure stops the wait. */
static int collect(struct vgpu *g)
{
    for (;;) {
        bool pending = false;
        for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT && !pending; i++)
            pending = g->slot[i].busy;
        if (!pending)
            return VIRTIO_OK;
        void *token = 0;
        uint32_t len = 0;
        int rc = vgpu_wait_used(g, &g->ctrl, &token, &len);
        if (rc != VIRTIO_OK)
            return rc;
        /* the slot the token names (compared as integers: a token may point anywhere) */
        uintptr_t off = (uintptr_t)token - (uintptr_t)g->slot;
        struct vgpu_slot *s = off < sizeof(g->slot) && off % sizeof(g->slot[0]) == 0
                                  ? &g->slot[off / sizeof(g->slot[0])] : NULL;
        if (!s || !s->busy) /* a token the driver never gave: its own state is corrupt, stop */
            return vgpu_latch(g, VIRTIO_ERR_BAD_USED);
        complete(g, s, len);
    }
}

static void report(struct vgpu *g, const struct vgpu_slot *s)
{
    g->last_resp_type = s->resp_type;
    g->last_used_len = s->used_len;
    g->last_fence_id = s->fence_id;
}

int vgpu_submit(struct vgpu *g, struct vgpu_slot *s, uint32_t req_len, uint32_t resp_len,
                uint32_t expect_type)
{
    struct vq_buf out = {s->req_phys, req_len};
    return vgpu_submit_parts(g, s, &out, 1, resp_len, expect_type);
}

int vgpu_submit_parts(struct vgpu *g, struct vgpu_slot *s, const struct vq_buf *out,
                      unsigned n_out, uint32_t resp_len, uint32_t expect_type)
{
    if (vgpu_is_broken(g))
        return VIRTIO_ERR_BROKEN;
    struct virtio_gpu_ctrl_hdr *h = s->req;
    s->fence_id = 0;
    if (g->fences) {
        h->flags |= VIRTIO_GPU_FLAG_FENCE;
        h->fence_id = s->fence_id = ++g->next_fence;
    }
    vgpu_zero(s->resp, resp_len); /* a stale type must never pass for an answer */
    s->expect_type = expect_type;
    s->resp_len = resp_len;
    s->done = false;
    s->status = VIRTIO_OK;
    struct vq_buf in = {s->resp_phys, resp_len};
    int rc = vq_add(&g->ctrl, out, n_out, &in, 1, s);
    if (rc != VIRTIO_OK)
        return rc;
    s->busy = true;
    uint32_t inflight = 0;
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++)
        inflight += g->slot[i].busy;
    if (inflight > g->max_inflight)
        g->max_inflight = inflight;
    if (g->batching)
        return VIRTIO_OK; /* published by vgpu_batch_end */
    vgpu_kick(g, &g->ctrl, VIRTIO_GPU_QUEUE_CONTROL);
    g->last_resp_type = 0;
    g->last_used_len = 0;
    rc = collect(g);
    s->done = false;
    if (rc != VIRTIO_OK)
        return rc;
    report(g, s);
    return s->status;
}

void vgpu_batch_begin(struct vgpu *g)
{
    if (g)
        g->batching = true;
}

int vgpu_batch_end(struct vgpu *g)
{
    if (!g || !g->batching)
        return VIRTIO_ERR_INVALID;
    g->batching = false;
    if (vgpu_is_broken(g))
        return VIRTIO_ERR_BROKEN;
    vgpu_kick(g, &g->ctrl, VIRTIO_GPU_QUEUE_CONTROL); /* one notification for everything queued */
    int rc = collect(g);
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++) {
        struct vgpu_slot *s = &g->slot[i];
        if (!s->done)
            continue;
        s->done = false;
        report(g, s);
        if (rc == VIRTIO_OK && s->status != VIRTIO_OK)
            rc = s->status;
        if (rc == s->status && rc != VIRTIO_OK)
            break;
    }
    for (uint32_t i = 0; i < VGPU_MAX_INFLIGHT; i++)
        g->slot[i].done = false;
    return rc;
}

int vgpu_get_display_info(struct vgpu *g, struct virtio_gpu_resp_display_info *out)
{
    if (!g || !out || g->batching) /* the answer is needed now: not inside a batch */
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_ctrl_hdr *c = s->req;
    vgpu_hdr_init(c, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
    int rc = vgpu_submit(g, s, sizeof(*c), sizeof(*out), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
    if (rc != VIRTIO_OK)
        return rc;
    /* §5.7.6.8: a mode per scanout the device has; the caller sizes resources and framebuffers
     * from these, so an impossible rectangle is refused here, before use. Scanouts at or past
     * num_scanouts are zeroed rather than believed. */
    const struct virtio_gpu_resp_display_info *d = s->resp;
    uint32_t n = g->num_scanouts < VIRTIO_GPU_MAX_SCANOUTS ? g->num_scanouts
                                                           : VIRTIO_GPU_MAX_SCANOUTS;
    for (uint32_t i = 0; i < n; i++) {
        const struct virtio_gpu_display_one *p = &d->pmodes[i];
        if (p->enabled > 1)
            return VGPU_ERR_BAD_DISPLAY_INFO;
        if (p->enabled && (p->r.width == 0 || p->r.height == 0 ||
                           p->r.width > VGPU_MAX_DISPLAY_EDGE ||
                           p->r.height > VGPU_MAX_DISPLAY_EDGE || p->r.x > VGPU_MAX_DISPLAY_EDGE ||
                           p->r.y > VGPU_MAX_DISPLAY_EDGE))
            return VGPU_ERR_BAD_DISPLAY_INFO;
    }
    uint32_t kept = (uint32_t)((const uint8_t *)&d->pmodes[n] - (const uint8_t *)d);
    vgpu_copy(out, d, kept); /* the header and the n modes checked */
    vgpu_zero((uint8_t *)out + kept, (uint32_t)sizeof(*out) - kept);
    return VIRTIO_OK;
}

int vgpu_resource_create_2d(struct vgpu *g, uint32_t id, uint32_t format, uint32_t width,
                            uint32_t height)
{
    struct vgpu_slot *s = g ? vgpu_slot_get(g) : NULL;
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_resource_create_2d *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
    c->resource_id = id;
    c->format = format;
    c->width = width;
    c->height = height;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_attach_backing(struct vgpu *g, uint32_t id, const struct virtio_gpu_mem_entry *entries,
                        uint32_t n)
{
    uint32_t max = (VGPU_REQ_BYTES - sizeof(struct virtio_gpu_resource_attach_backing)) /
                   sizeof(struct virtio_gpu_mem_entry);
    if (!g || !entries || n == 0 || n > max)
        return VIRTIO_ERR_INVALID;
    struct vgpu_slot *s = vgpu_slot_get(g);
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_resource_attach_backing *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
    c->resource_id = id;
    c->nr_entries = n;
    struct virtio_gpu_mem_entry *e = (struct virtio_gpu_mem_entry *)(c + 1);
    for (uint32_t i = 0; i < n; i++) {
        e[i].addr = entries[i].addr;
        e[i].length = entries[i].length;
        e[i].padding = 0;
    }
    /* With indirect tables, as Linux does: the command and its entry array as two
     * device-readable buffers (the device gathers them, §2.6.4: framing does not depend on
     * buffer boundaries); the table costs one ring descriptor however many entries it has.
     * Without tables the request stays one buffer, so every command is a chain of two. */
    struct vq_buf out[2] = {{s->req_phys, (uint32_t)sizeof(*c)},
                            {s->req_phys + sizeof(*c), (uint32_t)(n * sizeof(*e))}};
    unsigned n_out = g->ctrl.indirect && g->ctrl.num >= 3 ? 2u : 1u;
    if (n_out == 1)
        out[0].len += out[1].len;
    return vgpu_submit_parts(g, s, out, n_out, sizeof(struct virtio_gpu_ctrl_hdr),
                             VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_set_scanout(struct vgpu *g, uint32_t scanout, uint32_t id, struct virtio_gpu_rect r)
{
    struct vgpu_slot *s = g ? vgpu_slot_get(g) : NULL;
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_set_scanout *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_SET_SCANOUT);
    c->r = r;
    c->scanout_id = scanout;
    c->resource_id = id;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_transfer_to_host_2d(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r,
                             uint64_t offset)
{
    struct vgpu_slot *s = g ? vgpu_slot_get(g) : NULL;
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_transfer_to_host_2d *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
    c->r = r;
    c->offset = offset;
    c->resource_id = id;
    c->padding = 0;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}

int vgpu_resource_flush(struct vgpu *g, uint32_t id, struct virtio_gpu_rect r)
{
    struct vgpu_slot *s = g ? vgpu_slot_get(g) : NULL;
    if (!s)
        return vgpu_no_slot(g);
    struct virtio_gpu_resource_flush *c = s->req;
    vgpu_hdr_init(&c->hdr, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
    c->r = r;
    c->resource_id = id;
    c->padding = 0;
    return vgpu_submit(g, s, sizeof(*c), sizeof(struct virtio_gpu_ctrl_hdr),
                       VIRTIO_GPU_RESP_OK_NODATA);
}
