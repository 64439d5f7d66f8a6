/* gpu_queues.c — the gpu's two queues (§5.7.2): taking requests as QEMU 7.2 does, running
 * each control command and answering it (fences, errors, a response cut short), the commands that
 * only report (GET_DISPLAY_INFO, GET_EDID) and the cursor queue. The resource commands are in
 * gpu_resources.c. See gpu_device.h and gpu_internal.h.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checks/gpu_feature_checks.h"
#include "model/devices/gpu_internal.h"

static uint32_t cmd_get_display_info(const struct gpu_device *g,
                                     struct virtio_gpu_resp_display_info *resp)
{
    memset(resp->pmodes, 0, sizeof(resp->pmodes));
    for (uint32_t i = 0; i < g->n_scanouts; i++) {
        const struct gpu_scanout *s = &g->scanouts[i];
        if (!s->enabled)
            continue; /* QEMU fills only the outputs in enabled_output_bitmask */
        resp->pmodes[i].r.width = s->width;
        resp->pmodes[i].r.height = s->height;
        resp->pmodes[i].enabled = 1;
    }
    return VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
}

/* A 128-byte EDID base block naming the scanout's mode as its preferred timing, no extension
 * blocks, the rest of the 1024-byte array zero (QEMU's qemu_edid_generate says more: a CTA
 * extension, ranges, a name). */
static void edid_generate(uint8_t *e, uint32_t width, uint32_t height)
{
    static const uint8_t header[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    memset(e, 0, 128);
    memcpy(e, header, 8);
    e[8] = 0x49, e[9] = 0x14;   /* manufacturer "RHT", as QEMU */
    e[10] = 0x34, e[11] = 0x12; /* product code */
    e[16] = 1, e[17] = 32;      /* week 1 of 2022 */
    e[18] = 1, e[19] = 4;       /* EDID 1.4 */
    e[20] = 0xa5;               /* digital input, 8 bits per colour, DisplayPort */
    uint8_t *d = e + 54;        /* detailed timing descriptor 1: the preferred mode */
    uint32_t hblank = 160, vblank = 30;
    uint64_t clock = ((uint64_t)(width + hblank) * (height + vblank) * 60) / 10000;
    d[0] = (uint8_t)clock, d[1] = (uint8_t)(clock >> 8);
    d[2] = (uint8_t)width, d[3] = (uint8_t)hblank;
    d[4] = (uint8_t)(((width >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf));
    d[5] = (uint8_t)height, d[6] = (uint8_t)vblank;
    d[7] = (uint8_t)(((height >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf));
    d[17] = 0x18;
    for (int i = 1; i < 4; i++) /* the other three descriptors: dummy (tag 0x10) */
        e[54 + 18 * i + 3] = 0x10;
    uint8_t sum = 0;
    for (int i = 0; i < 127; i++)
        sum = (uint8_t)(sum + e[i]);
    e[127] = (uint8_t)(0x100 - sum);
}

static uint32_t cmd_get_edid(struct gpu_device *g, struct machine *m, const struct sr_chain *c,
                             struct virtio_gpu_resp_edid *resp)
{
    struct virtio_gpu_get_edid cmd;
    FILL_CMD(m, c, cmd);
    if (cmd.scanout >= g->n_scanouts)
        return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 0, cmd.scanout,
                          "scanout %u does not exist (the device has %u)", cmd.scanout,
                          g->n_scanouts);
    const struct gpu_scanout *s = &g->scanouts[cmd.scanout];
    edid_generate(resp->edid, s->width, s->height);
    resp->size = sizeof(resp->edid); /* QEMU reports the whole 1024-byte array */
    return VIRTIO_GPU_RESP_OK_EDID;
}

/* UPDATE_CURSOR / MOVE_CURSOR (§5.7.6.9), as QEMU's update_cursor: a scanout out of range is
 * ignored silently; any type other than MOVE is an update; the image is copied only from a
 * 64x64 resource, from its host copy (so it must have been transferred). */
static void cmd_cursor(struct gpu_device *g, struct machine *m, const struct sr_chain *c)
{
    struct virtio_gpu_update_cursor cmd;
    memset(&cmd, 0, sizeof(cmd));
    if (sr_read(m, c, 0, &cmd, sizeof(cmd)) != sizeof(cmd))
        machine_trace(m, TR_DEVICE, c->head, c->readable, 0,
                      "cursor command size is not 56: logged, processed anyway");
    if (cmd.pos.scanout_id >= g->n_scanouts) {
        machine_trace(m, TR_DEVICE, c->head, cmd.pos.scanout_id, 0,
                      "cursor command for a scanout that does not exist: ignored");
        return;
    }
    struct gpu_cursor *cur = &g->scanouts[cmd.pos.scanout_id].cursor;
    cur->x = cmd.pos.x;
    cur->y = cmd.pos.y;
    if (cmd.hdr.type == VIRTIO_GPU_CMD_MOVE_CURSOR) {
        cur->moves++;
        return;
    }
    cur->updates++;
    cur->hot_x = cmd.hot_x;
    cur->hot_y = cmd.hot_y;
    cur->resource_id = cmd.resource_id;
    if (cmd.resource_id == 0) {
        cur->visible = false; /* resource 0 hides the cursor */
        return;
    }
    const struct gpu_resource *r = gpu_find_res(g, cmd.resource_id);
    /* §5.7.6.6: the cursor resource is created, backed and transferred, and a fence proved the
     * transfer complete, before UPDATE_CURSOR names it. */
    if (!r || !r->backing || !r->transfers)
        machine_violation(m, "gpu.cursor.resource-ready-fenced", VIRTIO_GPU_QUEUE_CURSOR,
                          "UPDATE_CURSOR names resource %u, which %s", cmd.resource_id,
                          !r ? "does not exist" : !r->backing ? "has no backing"
                                                              : "was never transferred");
    else if (g->fenced_seq < r->transfer_seq)
        machine_violation(m, "gpu.cursor.resource-ready-fenced", VIRTIO_GPU_QUEUE_CURSOR,
                          "UPDATE_CURSOR names resource %u, whose last transfer no fenced "
                          "command has completed after (driver cannot know it finished)",
                          cmd.resource_id);
    if (!r || r->width != VIRTIO_GPU_CURSOR_SIZE || r->height != VIRTIO_GPU_CURSOR_SIZE) {
        machine_trace(m, TR_DEVICE, cmd.resource_id, 0, 0,
                      "cursor resource missing or not 64x64: image ignored");
        return;
    }
    if (!cur->rgba && !(cur->rgba = malloc(VIRTIO_GPU_CURSOR_SIZE * VIRTIO_GPU_CURSOR_SIZE * 4))) {
        machine_trace(m, TR_DEVICE, cmd.resource_id, 0, 0, "out of memory: cursor image ignored");
        return;
    }
    for (uint32_t i = 0; i < VIRTIO_GPU_CURSOR_SIZE * VIRTIO_GPU_CURSOR_SIZE; i++) {
        const uint8_t *px = r->pixels + i * 4;
        uint8_t *o = cur->rgba + i * 4;
        gpu_format_to_rgb(r->format, px, o);
        /* alpha: the byte the format names A (X formats are opaque) */
        switch (r->format) {
        case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
        case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM: o[3] = px[3]; break;
        case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
        case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM: o[3] = px[0]; break;
        default: o[3] = 0xff; break;
        }
    }
    cur->visible = true;
}

/* Execute one control command and answer it; false when no answer is published now (a command
 * shorter than the header, which QEMU parks; a replay's pace holding the answer, device_pace.h). */
static bool control_command(struct gpu_device *g, struct machine *m, uint32_t qi,
                            struct sr_chain *c)
{
    struct virtio_gpu_ctrl_hdr hdr;
    if (sr_read(m, c, 0, &hdr, sizeof(hdr)) < sizeof(hdr)) {
        /* QEMU parks such a command forever: it is never answered. */
        struct trace_event *e = machine_trace(m, TR_DEVICE, c->head, c->readable, 0,
                                              gpu_note_short_header);
        if (e)
            e->queue = (uint8_t)qi;
        rf_short_header(m, qi, c->head, c->readable);
        return false;
    }
    union {
        struct virtio_gpu_ctrl_hdr hdr;
        struct virtio_gpu_resp_display_info info;
        struct virtio_gpu_resp_edid edid;
        struct virtio_gpu_resp_resource_uuid uuid;
    } resp;
    /* Zeroed as far as the answer goes (`defined` bytes), not the whole 1 KB union: a
     * GET_DISPLAY_INFO answer is 408 bytes, most are a header. */
    memset(&resp.hdr, 0, sizeof(resp.hdr));
    size_t defined = sizeof(resp.hdr);
    size_t resp_len = sizeof(resp.hdr);
    uint32_t type;
    g->commands++;
    g->seq++;
    gpu_feature_check(m, qi, &hdr); /* what the command needs negotiated (checks/) */
    switch (hdr.type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
        type = cmd_get_display_info(g, &resp.info); /* sets every mode (§5.7.6.8) */
        resp_len = defined = sizeof(resp.info);
        break;
    case VIRTIO_GPU_CMD_GET_EDID:
        memset(&resp.edid, 0, sizeof(resp.edid));
        type = cmd_get_edid(g, m, c, &resp.edid);
        resp_len = defined = sizeof(resp.edid);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: type = gpu_cmd_create_2d(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_UNREF: type = gpu_cmd_unref(g, m, c); break;
    case VIRTIO_GPU_CMD_SET_SCANOUT: type = gpu_cmd_set_scanout(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH: type = gpu_cmd_resource_flush(g, m, c); break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: type = gpu_cmd_transfer_to_host_2d(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: type = gpu_cmd_attach_backing(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: type = gpu_cmd_detach_backing(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB: type = gpu_cmd_create_blob(g, m, c); break;
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB: type = gpu_cmd_set_scanout_blob(g, m, c); break;
    case VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID:
        memset(&resp.uuid, 0, sizeof(resp.uuid));
        type = gpu_cmd_assign_uuid(g, m, c, &resp.uuid);
        resp_len = defined = sizeof(resp.uuid);
        break;
    default: /* QEMU 7.2's default case: the 3D commands, MAP/UNMAP_BLOB, capsets, unknown */
        type = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC, 0, NO_SCANOUT,
                          "command %s (0x%x) is not one QEMU 7.2's 2D device implements",
                          gpu_cmd_name(hdr.type) ? gpu_cmd_name(hdr.type) : "type", hdr.type);
        break;
    }
    if (type >= VIRTIO_GPU_RESP_ERR_UNSPEC) {
        g->errors++;
        resp_len = sizeof(resp.hdr);
        struct rf_error e = {.t = m->now, .head = c->head, .cmd = hdr.type, .resp = type,
                             .resource = g->why_resource, .scanout = g->why_scanout};
        snprintf(e.reason, sizeof(e.reason), "%s", g->why);
        rf_error(m, qi, &e);
    }
    if (m->dfaults.cur_mask[qi]) { /* a hostile answer may send (or garble) any of it */
        memset((uint8_t *)&resp + defined, 0, sizeof(resp) - defined);
        defined = sizeof(resp);
    }
    device_faults_on_response(m, qi, &type, &resp_len, &resp, sizeof(resp)); /* hostile */
    if (resp_len > sizeof(resp))
        resp_len = sizeof(resp);
    assert(resp_len <= defined); /* nothing sent that was not set */
    resp.hdr.type = type;
    if (hdr.flags & VIRTIO_GPU_FLAG_FENCE) { /* §5.7.6.7: echo the fence */
        resp.hdr.flags = VIRTIO_GPU_FLAG_FENCE;
        resp.hdr.fence_id = hdr.fence_id;
        resp.hdr.ctx_id = hdr.ctx_id;
        g->fenced_seq = g->seq; /* 2D: commands finish in order, fence with them */
    }
    /* used.len = bytes actually written (a short writable area truncates, as QEMU). */
    size_t written = sr_write(m, c, &resp, resp_len);
    if (written < resp_len) { /* QEMU: "response size incorrect", still returned */
        struct trace_event *e = machine_trace(m, TR_DEVICE, c->head, resp_len, 0,
                                              gpu_note_resp_truncated);
        if (e) {
            e->queue = (uint8_t)qi;
            e->aux = (uint32_t)written;
        }
        rf_truncated(m, qi, c->head, resp_len, (uint32_t)written);
    }
    return ring_push(&m->dev.q[qi], c->head, (uint32_t)written);
}

/* QEMU's virtio_gpu_handle_cursor: take a request, update the cursor, return it with no payload
 * (len 0), then the next. */
static uint32_t cursor_queue(struct gpu_device *g, struct machine *m, uint32_t qi)
{
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        cmd_cursor(g, m, c);
        pushed += ring_push(&m->dev.q[qi], c->head, 0);
    }
    return pushed;
}

/* QEMU's virtio_gpu_handle_ctrl: pop every available request first (virtqueue_pop until the ring
 * is empty or an error breaks the device), then execute them in order (virtio_gpu_process_cmdq).
 * Requests taken before an error that broke the device are still executed, and their answers
 * dropped (virtqueue_fill on a broken device writes nothing). */
static uint32_t control_queue(struct gpu_device *g, struct machine *m, uint32_t qi)
{
    struct sr_chain *c = &m->chain;
    struct sr_batch *b = &m->batch;
    uint32_t pushed = 0;
    b->n = b->nsegs = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        if (!sr_batch_add(b, c)) { /* out of memory: execute this one now */
            pushed += control_command(g, m, qi, c);
            continue;
        }
        b->chains[b->n - 1].request = m->dfaults.cur_request[qi];
        b->chains[b->n - 1].faults = m->dfaults.cur_mask[qi];
    }
    for (uint32_t i = 0; i < b->n; i++) {
        sr_batch_get(b, i, c);
        m->dfaults.cur_request[qi] = b->chains[i].request; /* the faults of this request */
        m->dfaults.cur_mask[qi] = b->chains[i].faults;
        pushed += control_command(g, m, qi, c);
    }
    b->n = b->nsegs = 0;
    return pushed;
}

uint32_t gpu_process_queue(void *state, struct machine *m, uint32_t qi)
{
    struct gpu_device *g = state;
    return qi == VIRTIO_GPU_QUEUE_CURSOR ? cursor_queue(g, m, qi) : control_queue(g, m, qi);
}
