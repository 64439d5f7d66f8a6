/* guest_devices.c — the devices other than the gpu on real QEMU: a scenario's virtio-blk and
 * entropy steps through the unchanged drivers (src/driver/virtio_blk.h, virtio_rng.h), as
 * src/harness/kernel_blk.c and kernel_rng.c run them on the model, each step's outcome checked
 * by content where QEMU's device is predictable:
 *   blk  every byte read equals the disk image (QEMU's generic loader put a copy at
 *        VQST_DISK_ADDR; the guest applies its own writes to that copy, and stops judging
 *        discarded sectors, §5.2.6.1), and the capacity the device shows is the image's;
 *   rng  the count of bytes received (the bytes are QEMU's host entropy: not comparable);
 *   input every event received equals the script's (the host plays the script's next events
 *        through QMP input-send-event when the guest says `VQ inject from=F n=N`), and the
 *        device calls itself "QEMU Virtio Keyboard";
 *   net  (guest_net.c) the mac, and every frame received equals the source's.
 * One line per step on the UART, as guest_runner.c's, with `blk=STATUS` and `content=ok` (or
 * what differed) for tools/qemu_diff.py. */
#include "../../src/driver/virtio_blk.h"
#include "../../src/driver/virtio_hal.h"
#include "../../src/driver/virtio_input.h"
#include "../../src/driver/virtio_rng.h"
#include "../../src/harness/patterns.h"
#include "../../src/harness/scenario.h"
#include <string.h>

#include "guest_devices.h"
#include "guest_net.h"
#include "platform.h"

#define BLK_MAX_BYTES (128u * 512u) /* kernel_blk.h: KERNEL_BLK_MAX_SECTORS */
#define RNG_MAX_BYTES 65536u        /* kernel_rng.c */

static struct vblk blk;
static struct vrng rng;
static struct vinput inp;
static const struct vqst_table *table; /* the input script */
static uint32_t played;                /* script events played so far */
static uint32_t device;
static uint8_t *buf;
static uint64_t buf_phys;
static uint8_t *disk;               /* the image's copy: what the disk must hold */
static uint64_t disk_bytes;
static uint8_t unknown[VQST_DISK_MAX / 512 / 8]; /* discarded sectors: not judged */
static const char *content = "ok";
static char content_buf[96];

void gdev_say(const char *what, uint64_t a, uint64_t b, uint64_t c)
{
    /* "byte A of sector B read C" in a fixed buffer (no printf on bare metal) */
    static const char hex[] = "0123456789abcdef";
    char *p = content_buf;
    for (const char *s = what; *s; s++)
        *p++ = *s;
    const uint64_t v[3] = {a, b, c};
    for (int k = 0; k < 3; k++) {
        *p++ = '/';
        for (int sh = 28; sh >= 0; sh -= 4)
            *p++ = hex[(v[k] >> sh) & 15];
    }
    *p = 0;
    content = content_buf;
}

static int input_init(const struct vqst_table *t, struct virtio_transport *transport,
                      uint32_t *version)
{
    const struct vinput_config c = {
        .transport = transport, .mmio_base = (uintptr_t)t->mmio_base,
        .queue_size = (uint16_t)t->queue_size, .layout = (enum vq_layout_kind)t->layout,
        .legacy_align = t->queue_align, .timeout_ns = t->timeout_ns, .features = t->features,
        .event_buffers = (int32_t)t->event_buffers, .event_bytes = t->event_bytes};
    table = t;
    int rc = vinput_init(&inp, &c);
    *version = inp.t ? inp.t->version : 0;
    static const char want[] = "QEMU Virtio Keyboard";
    if (rc == VIRTIO_OK && memcmp(inp.name, want, sizeof(want)))
        gdev_say("name", (uint8_t)inp.name[0], 0, 0);
    return rc;
}

/* The host plays the script's next `count` events (tools/qemu_diff.py, on this line); the
 * driver must receive exactly them, as kernel_input.c checks on the model. */
void gdev_announce(const struct vqst_step *st)
{
    if (device == VQST_DEV_NET)
        gnet_announce(st);
    if (device != VQST_DEV_INPUT || st->kind != STEP_INPUT_EVENTS)
        return;
    uint32_t n = st->entries ? st->entries : 1;
    uart_puts("VQ inject from=");
    uart_put_dec(played);
    uart_puts(" n=");
    uart_put_dec(n);
    uart_putc('\n');
}

static int input_step(const struct vqst_step *st, struct gdev_result *out)
{
    uint32_t n = st->entries ? st->entries : 1, first = played;
    if (first + n > table->n_events)
        return VIRTIO_ERR_INVALID;
    played += n;
    int rc = VIRTIO_OK;
    for (uint32_t got = 0; got < n && rc == VIRTIO_OK; got++) {
        struct virtio_input_event ev;
        if ((rc = vinput_next_event(&inp, &ev)) != VIRTIO_OK)
            break;
        const struct vqst_event *w = &table->events[first + got];
        if (content[0] == 'o' && (ev.type != w->type || ev.code != w->code || ev.value != w->value))
            gdev_say("event", first + got, ev.type, ev.code);
    }
    out->used_len = 0;
    out->blk_status = 0xff;
    return rc;
}

int gdev_init(const struct vqst_table *t, struct virtio_transport *transport, uint32_t *version)
{
    device = t->device;
    if (device == VQST_DEV_NET)
        return gnet_init(t, transport, version);
    if (device == VQST_DEV_INPUT)
        return input_init(t, transport, version);
    if (device == VQST_DEV_BLK) {
        const struct vblk_config c = {
            .transport = transport, .mmio_base = (uintptr_t)t->mmio_base,
            .queue_size = (uint16_t)t->queue_size, .layout = (enum vq_layout_kind)t->layout,
            .legacy_align = t->queue_align, .timeout_ns = t->timeout_ns,
            .features = t->features | VBLK_DEVICE_FEATURES};
        disk = (uint8_t *)(uintptr_t)VQST_DISK_ADDR;
        disk_bytes = (uint64_t)t->disk_sectors * 512;
        int rc = vblk_init(&blk, &c);
        *version = blk.t ? blk.t->version : 0;
        if (rc == VIRTIO_OK && blk.capacity * 512 != disk_bytes)
            gdev_say("capacity", blk.capacity, disk_bytes / 512, 0);
        buf = vhal_dma_alloc(BLK_MAX_BYTES, 512, VHAL_DMA_BUFFER, &buf_phys);
        return rc == VIRTIO_OK && !buf ? VIRTIO_ERR_NOMEM : rc;
    }
    struct vrng_config c = {
        .transport = transport, .mmio_base = (uintptr_t)t->mmio_base,
        .queue_size = (uint16_t)t->queue_size, .layout = (enum vq_layout_kind)t->layout,
        .legacy_align = t->queue_align, .timeout_ns = t->timeout_ns, .features = t->features};
    if (c.queue_size > 8) /* QEMU's queue holds 8 (kernel_rng.c) */
        c.queue_size = 8;
    int rc = vrng_init(&rng, &c);
    *version = rng.t ? rng.t->version : 0;
    buf = vhal_dma_alloc(RNG_MAX_BYTES, 64, VHAL_DMA_BUFFER, &buf_phys);
    return rc == VIRTIO_OK && !buf ? VIRTIO_ERR_NOMEM : rc;
}

/* The request as kernel_blk.c's send: checked by the driver, or raw (a replayed bug). */
static int blk_send(const struct vqst_step *st, uint64_t sector, uint32_t count, uint64_t bytes)
{
    bool zeroes = st->x & VQST_F_ZEROES, unmap = st->x & VQST_F_UNMAP;
    if (!(st->x & VQST_F_RAW)) {
        switch ((enum step_kind)st->kind) {
        case STEP_BLK_READ: return vblk_read(&blk, sector, count, buf, buf_phys);
        case STEP_BLK_WRITE: return vblk_write(&blk, sector, count, buf, buf_phys);
        case STEP_BLK_FLUSH: return vblk_flush(&blk);
        default:
            return zeroes ? vblk_write_zeroes(&blk, sector, count, unmap, buf, buf_phys)
                          : vblk_discard(&blk, sector, count, buf, buf_phys);
        }
    }
    bool rd = st->kind == STEP_BLK_READ, ro = st->x & VQST_F_STATUS_READONLY;
    struct vq_buf data = {buf_phys, (uint32_t)bytes};
    static const uint32_t types[] = {VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH};
    uint32_t type = st->kind <= STEP_BLK_FLUSH ? types[st->kind - STEP_BLK_READ]
                    : zeroes                    ? VIRTIO_BLK_T_WRITE_ZEROES
                                                : VIRTIO_BLK_T_DISCARD;
    struct vblk_raw r = {.hdr = {type, 0, sector}, .data = &data,
                         .n_data = st->kind == STEP_BLK_FLUSH ? 0 : 1,
                         .data_writable = rd && !ro, .status_writable = !ro};
    if (st->kind == STEP_BLK_DISCARD) {
        struct virtio_blk_discard_write_zeroes seg = {sector, count,
                                                      unmap ? VIRTIO_BLK_WZ_F_UNMAP : 0};
        memcpy(buf, &seg, sizeof(seg));
        r.hdr.sector = 0;
        data.len = st->entry_length ? st->entry_length : sizeof(seg);
    }
    return vblk_submit(&blk, &r);
}

/* kernel_blk.c's check_read and apply, on the image's copy. */
static void blk_judge(const struct vqst_step *st, uint64_t sector, uint64_t bytes, int rc)
{
    uint64_t off = sector * 512;
    if (rc != VIRTIO_OK || off >= disk_bytes)
        return;
    uint64_t n = bytes < disk_bytes - off ? bytes : disk_bytes - off;
    if (st->kind == STEP_BLK_READ) {
        for (uint64_t i = 0; i < n && content[0] == 'o'; i++) {
            uint64_t s = sector + i / 512;
            if (buf[i] != disk[off + i] && !(unknown[s / 8] >> (s % 8) & 1))
                gdev_say("byte", i % 512, s, buf[i]);
        }
    } else if (st->kind == STEP_BLK_WRITE) {
        memcpy(disk + off, buf, n);
    } else if (st->kind == STEP_BLK_DISCARD && (st->x & VQST_F_ZEROES)) {
        memset(disk + off, 0, n);
    } else if (st->kind == STEP_BLK_DISCARD) {
        for (uint64_t k = 0; k < n / 512; k++)
            unknown[(sector + k) / 8] |= (uint8_t)(1u << ((sector + k) % 8));
    }
}

static int blk_step(const struct vqst_step *st, struct gdev_result *out)
{
    uint64_t sector = st->offset;
    uint32_t count = st->entries;
    uint64_t bytes = st->entry_length && st->kind != STEP_BLK_DISCARD ? st->entry_length
                                                                       : (uint64_t)count * 512;
    if (bytes > BLK_MAX_BYTES)
        return VIRTIO_ERR_INVALID;
    for (uint32_t i = 0; i < bytes; i++)
        buf[i] = st->kind == STEP_BLK_WRITE ? pattern_blk_byte(st->color, sector, i) : 0xa5;
    blk.last_status = 0xff;
    int rc = blk_send(st, sector, count, bytes);
    out->used_len = blk.last_used_len;
    out->blk_status = (rc == VIRTIO_OK || rc == VIRTIO_ERR_RESPONSE) ? blk.last_status : 0xff;
    blk_judge(st, sector, bytes, rc);
    if (st->has_expect_response && rc == VIRTIO_ERR_RESPONSE &&
        out->blk_status == st->expect_response)
        rc = VIRTIO_OK; /* the error status the step expected (kernel_blk.c) */
    return rc;
}

/* kernel_rng.c's send: `count` buffers sharing `bytes`, the first `readable` device-readable. */
static int rng_step(const struct vqst_step *st, struct gdev_result *out)
{
    uint32_t bytes = st->entry_length ? st->entry_length : 64, got = 0;
    uint32_t n = st->entries ? st->entries : 1;
    if (bytes > RNG_MAX_BYTES || n > 4)
        return VIRTIO_ERR_INVALID;
    int rc;
    if (n == 1 && !st->y) {
        rc = vrng_read(&rng, buf_phys, bytes, &got);
    } else {
        struct vq_buf bufs[4];
        bool writable[4];
        for (uint32_t i = 0, off = 0; i < n; i++) {
            uint32_t len = i + 1 == n ? bytes - off : bytes / n;
            bufs[i] = (struct vq_buf){buf_phys + off, len};
            writable[i] = i >= st->y;
            off += len;
        }
        rc = vrng_submit(&rng, bufs, writable, n, &got);
    }
    out->used_len = got;
    out->blk_status = 0xff;
    return rc;
}

int gdev_step(const struct vqst_step *st, struct gdev_result *out)
{
    return device == VQST_DEV_BLK   ? blk_step(st, out)
           : device == VQST_DEV_INPUT ? input_step(st, out)
           : device == VQST_DEV_NET   ? gnet_step(st, out)
                                      : rng_step(st, out);
}

const char *gdev_content(void)
{
    return content;
}
