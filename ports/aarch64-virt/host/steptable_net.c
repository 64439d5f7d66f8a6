/* steptable_net.c — see steptable_net.h. The frames come from the scenario as the simulator
 * makes them: the source's as parsed (device.net.frames), each net_send's from pattern_net_byte
 * with the header the step gives, cut after the header size the driver negotiates (12 bytes with
 * VERSION_1 or MRG_RXBUF, §5.1.6.1, else 10): what QEMU's backend receives. */
#include "steptable_net.h"

#include <stdio.h>
#include <string.h>

#include "../../../src/harness/patterns.h"
#include "../../../src/spec/virtio_net.h"
#include "../step_table.h"

static uint32_t net_sends(const struct scenario *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_steps; i++)
        n += s->steps[i].kind == STEP_NET_SEND;
    return n;
}

const char *steptable_net_why(const struct scenario *s)
{
    uint64_t bytes = sizeof(struct vqst_net);
    for (uint32_t i = 0; i < s->net_frames_len; i++)
        bytes += s->net_frames[i].len;
    for (uint32_t i = 0; i < s->n_steps; i++)
        bytes += s->steps[i].kind == STEP_NET_SEND ? s->steps[i].bytes : 0;
    if (s->net_frames_len > VQST_NET_MAX_FRAMES || net_sends(s) > VQST_NET_MAX_FRAMES ||
        bytes > VQST_DISK_MAX)
        return "device.net: the port's copy of the frames holds 64 source frames and 64 "
               "net_send steps in 16 MiB";
    for (uint32_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].kind == STEP_NET_CTRL) /* guest_runner.c has no net_ctrl step yet */
            return "net_ctrl: the port does not send controlq commands yet (the step table "
                   "carries no command bytes)";
    return NULL;
}

/* What the backend gets of step st: the header (the driver's, or the step's first header_bytes
 * bytes) and the frame, past the negotiated header. */
static uint32_t tx_frame(const struct scenario_step *st, uint32_t hdr, uint8_t *out)
{
    static uint8_t sent[12 + 65550];
    struct virtio_net_hdr h = {.flags = (uint8_t)st->net_flags,
                               .gso_type = (uint8_t)st->net_gso_type,
                               .num_buffers = (uint16_t)st->net_num_buffers};
    uint32_t hb = !st->net_raw_header || st->net_header_bytes > 12 ? hdr : st->net_header_bytes;
    if (!st->net_raw_header)
        memset(&h, 0, sizeof(h));
    memcpy(sent, &h, hb);
    for (uint32_t i = 0; i < st->bytes; i++)
        sent[hb + i] = pattern_net_byte(st->seed, i);
    uint32_t total = hb + st->bytes, len = total > hdr ? total - hdr : 0;
    memcpy(out, sent + hdr, len);
    return len;
}

int steptable_net_write(const struct scenario *s, const char *path, char *err, size_t n)
{
    static struct vqst_net h;
    static uint8_t frame[65550];
    static const uint8_t qemu_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memset(&h, 0, sizeof(h));
    h.magic = VQST_NET_MAGIC;
    h.n_rx = s->net_frames_len;
    memcpy(h.mac, s->net_mac_set ? s->net_mac : qemu_mac, 6);
    uint32_t hdr = virtio_net_hdr_size(scenario_driver_features(s) |
                                       (uint64_t)(s->transport_version == 2) << 32);
    for (uint32_t i = 0; i < h.n_rx; i++)
        h.rx_len[i] = s->net_frames[i].len;
    FILE *f = fopen(path, "wb");
    bool ok = f && fseek(f, sizeof(h), SEEK_SET) == 0;
    for (uint32_t i = 0; ok && i < h.n_rx; i++)
        ok = fwrite(s->net_frames[i].data, 1, h.rx_len[i], f) == h.rx_len[i];
    for (uint32_t i = 0; ok && i < s->n_steps && i < VQST_MAX_STEPS; i++) {
        if (s->steps[i].kind != STEP_NET_SEND)
            continue;
        uint32_t len = tx_frame(&s->steps[i], hdr, frame);
        h.tx[h.n_tx++] = (struct vqst_net_tx){i, s->steps[i].repeat ? s->steps[i].repeat : 1,
                                              len, 0};
        ok = fwrite(frame, 1, len, f) == len;
    }
    ok = ok && fseek(f, 0, SEEK_SET) == 0 && fwrite(&h, sizeof(h), 1, f) == 1;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, n, "vqsim-steptable: cannot write %s", path);
    return ok ? 0 : -1;
}
