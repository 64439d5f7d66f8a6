/* device_faults_hostile.c — the hostile-device faults of device_faults.h: answers a conforming
 * device never gives (VIRTIO 1.1 §2.6.8, §2.6.8.1, §5.7.4, §5.7.6.7), for proving that the
 * driver refuses them. Each rewrites one answer (or one config field) and records a `device`
 * trace event named after the fault; none of them writes guest memory outside the queue's rings
 * and the chain's own buffers, so what the memory check (memory_guard.h) finds is the driver's. */
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/inject/device_faults.h"
#include "model/machine.h"

static bool has(uint32_t mask, enum df_kind k) { return (mask & (1u << k)) != 0; }

/* The fault of kind k that selected the current request (for its arguments). */
static const struct device_fault *selected(const struct machine *m, enum df_kind k, uint32_t qi,
                                           uint32_t request)
{
    const struct device_faults *d = &m->dfaults;
    for (uint32_t i = 0; i < d->n; i++) {
        const struct device_fault *f = &d->f[i];
        if (f->kind != k || f->queue != qi || m->now < f->after_ns)
            continue;
        if (f->from_nth ? request >= f->from_nth : (f->nth == 0 || f->nth == request))
            return f;
    }
    return NULL;
}

/* Garbage over every descriptor of the chain at head (the table the device knows), walked with
 * a bound so a chain the driver linked into a loop cannot hold the device. */
static void rewrite_chain(struct machine *m, uint32_t qi, uint16_t head)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint32_t i = head;
    for (uint32_t n = 0; n < q->live_num && i < q->live_num; n++) {
        uint64_t at = q->desc + 16ull * i;
        uint16_t flags = 0, next = 0;
        gm_read16(&m->mem, at + 12, &flags);
        gm_read16(&m->mem, at + 14, &next);
        uint8_t junk[16];
        memset(junk, 0xa5, sizeof(junk)); /* addr 0xa5a5…, len 0xa5a5a5a5, every flag, next */
        void *p = gm_ptr(&m->mem, at, sizeof(junk));
        if (p)
            memcpy(p, junk, sizeof(junk));
        if (!(flags & VIRTQ_DESC_F_NEXT))
            break;
        i = next;
    }
}

bool device_faults_hostile_push(struct machine *m, uint32_t qi, uint32_t mask, uint32_t request,
                                uint16_t head, uint32_t len)
{
    struct device_faults *d = &m->dfaults;
    struct dev_queue *q = &m->dev.q[qi];
    if (!q->live || q->live_num == 0)
        return false;
    uint32_t id = head, extra = 0;
    bool rewritten = false;
    if (d->twice_pending[qi]) { /* used-id-twice, second half: this answer names the old id */
        d->twice_pending[qi] = false;
        id = d->twice_head[qi];
        device_fault_trace(m, DF_USED_ID_TWICE, qi, request, id, len);
        rewritten = true;
    }
    if (has(mask, DF_USED_ID_TWICE)) {
        d->twice_pending[qi] = true;
        d->twice_head[qi] = head;
    }
    if (has(mask, DF_USED_ID_OUT_OF_RANGE)) {
        id = q->live_num;
        device_fault_trace(m, DF_USED_ID_OUT_OF_RANGE, qi, request, head, id);
        rewritten = true;
    }
    if (has(mask, DF_USED_ID_NOT_HEAD)) {
        /* the chain's second descriptor; a one-descriptor chain: the next slot of the table */
        uint16_t flags = 0, next = 0;
        gm_read16(&m->mem, q->desc + 16ull * head + 12, &flags);
        gm_read16(&m->mem, q->desc + 16ull * head + 14, &next);
        id = (flags & VIRTQ_DESC_F_NEXT) ? next : (head + 1u) % q->live_num;
        device_fault_trace(m, DF_USED_ID_NOT_HEAD, qi, request, head, id);
        rewritten = true;
    }
    if (has(mask, DF_USED_LEN_TOO_LARGE)) {
        uint64_t w = m->chain.head == head ? m->chain.writable : 0;
        len = w >= UINT32_MAX ? UINT32_MAX : (uint32_t)w + 1u;
        device_fault_trace(m, DF_USED_LEN_TOO_LARGE, qi, request, head, len);
        rewritten = true;
    }
    if (has(mask, DF_REWRITE_DESCRIPTORS)) {
        rewrite_chain(m, qi, head);
        device_fault_trace(m, DF_REWRITE_DESCRIPTORS, qi, request, q->desc + 16ull * head, head);
        rewritten = true;
    }
    if (has(mask, DF_USED_IDX_JUMP)) {
        const struct device_fault *f = selected(m, DF_USED_IDX_JUMP, qi, request);
        extra = f && f->by ? f->by : 2u;
        rewritten = true;
    }
    if (!rewritten)
        return false;
    ring_push_parts(&m->dev.q[qi], (uint16_t)(id > 0xffffu ? 0xffffu : id), len,
                    RING_PUSH_ELEM | RING_PUSH_IDX);
    if (id > 0xffffu) /* the push writes a 16-bit head: put the full id in place */
        gm_write32(&m->mem, q->used + 4 + 8ull * ((uint16_t)(q->used_idx - 1u) % q->live_num), id);
    if (extra) {
        q->used_idx = (uint16_t)(q->used_idx + extra);
        gm_write16(&m->mem, q->used + 2, q->used_idx);
        device_fault_trace(m, DF_USED_IDX_JUMP, qi, request, q->used + 2, q->used_idx);
    }
    return true;
}

/* garbage-response: one field of a display-info or EDID answer. */
static void garbage_field(struct machine *m, uint32_t qi, uint32_t r, uint32_t type, void *resp,
                          size_t cap)
{
    const struct device_fault *f = selected(m, DF_GARBAGE_RESPONSE, qi, r);
    if (!f)
        return;
    uint32_t *field = NULL;
    if (type == VIRTIO_GPU_RESP_OK_DISPLAY_INFO &&
        cap >= sizeof(struct virtio_gpu_resp_display_info)) {
        struct virtio_gpu_resp_display_info *d = resp;
        field = f->field == DF_RESP_DISPLAY_WIDTH    ? &d->pmodes[0].r.width
                : f->field == DF_RESP_DISPLAY_HEIGHT  ? &d->pmodes[0].r.height
                : f->field == DF_RESP_DISPLAY_ENABLED ? &d->pmodes[0].enabled
                                                      : NULL;
    } else if (type == VIRTIO_GPU_RESP_OK_EDID && cap >= sizeof(struct virtio_gpu_resp_edid) &&
               f->field == DF_RESP_EDID_SIZE) {
        field = &((struct virtio_gpu_resp_edid *)resp)->size;
    }
    if (!field)
        return; /* not the answer that has the field: nothing to spoil */
    device_fault_trace(m, DF_GARBAGE_RESPONSE, qi, r, *field, f->value);
    *field = f->value;
}

void device_faults_on_response(struct machine *m, uint32_t qi, uint32_t *type, size_t *len,
                               void *resp, size_t cap)
{
    struct device_faults *d = &m->dfaults;
    if (qi >= DF_QUEUES)
        return;
    uint32_t mask = d->cur_mask[qi], r = d->cur_request[qi];
    if (has(mask, DF_GARBAGE_RESPONSE))
        garbage_field(m, qi, r, *type, resp, cap);
    if (has(mask, DF_WRONG_RESPONSE_TYPE)) {
        const struct device_fault *f = selected(m, DF_WRONG_RESPONSE_TYPE, qi, r);
        uint32_t t = f && f->has_value ? f->value
                     : *type == VIRTIO_GPU_RESP_OK_DISPLAY_INFO || *type == VIRTIO_GPU_RESP_OK_EDID
                         ? VIRTIO_GPU_RESP_OK_NODATA
                         : VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
        device_fault_trace(m, DF_WRONG_RESPONSE_TYPE, qi, r, *type, t);
        *type = t;
    }
    if (has(mask, DF_WRONG_RESPONSE_SIZE)) {
        const struct device_fault *f = selected(m, DF_WRONG_RESPONSE_SIZE, qi, r);
        size_t n = f && f->has_value ? f->value : sizeof(struct virtio_gpu_ctrl_hdr);
        device_fault_trace(m, DF_WRONG_RESPONSE_SIZE, qi, r, *len, n);
        *len = n;
    }
}

void device_faults_on_config_read(struct machine *m, uint32_t off, uint32_t *value)
{
    struct device_faults *d = &m->dfaults;
    for (uint32_t i = 0; i < d->n; i++) {
        const struct device_fault *f = &d->f[i];
        if (f->kind != DF_GARBAGE_CONFIG || f->field != off || m->now < f->after_ns)
            continue;
        uint32_t v = off == DF_FIELD_GENERATION ? f->value + d->generation_reads++ : f->value;
        if (*value != v) {
            struct trace_event *e = machine_trace(m, TR_DEVICE, off, v, 0,
                                                  device_fault_names[DF_GARBAGE_CONFIG]);
            if (e)
                e->note = device_fault_note;
            rf_fault(m, device_fault_names[DF_GARBAGE_CONFIG], 0, 0, off, v);
        }
        *value = v;
    }
}
