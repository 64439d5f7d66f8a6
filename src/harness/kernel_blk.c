/* kernel_blk.c — see kernel_blk.h. */
#include "harness/kernel_blk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_blk.h"
#include "driver/virtio_hal.h"
#include "harness/patterns.h"
#include "util/sparse_image.h"

struct kernel_disk {
    struct vblk drv;
    struct vblk_config cfg;
    struct sparse_image *expect; /* what the disk must hold (kernel_blk.h), sparse: any size */
    uint64_t expect_bytes;
    struct sector_range {       /* sectors discarded, so not judged (§5.2.6.1); or written */
        uint64_t first, end;    /* where the device's writes reach the file and the driver */
    } *unknown;                 /* did not see it done (the file may hold them or not) */
    uint32_t n_unknown, cap_unknown;
    bool writes_to_file;
    uint8_t *buf;               /* DMA memory for one step's data */
    uint64_t buf_phys;
    char *failure;              /* the current call's content check (KERNEL_FAILURE_LEN) */
};

static void say(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static void disk_close(void *k)
{
    struct kernel_disk *d = k;
    if (!d)
        return;
    sparse_image_close(d->expect);
    free(d->unknown);
    free(d);
}

/* The image as the kernel's expectation, the driver's configuration from the scenario. */
static void *disk_open(const struct scenario *sc, char *failure)
{
    struct kernel_disk *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = (struct vblk_config){
        .mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
        .layout = sc->layout, .legacy_align = sc->queue_align, .timeout_ns = sc->timeout_ns,
        .features = scenario_driver_features(sc) | VBLK_DEVICE_FEATURES};
    d->writes_to_file = sc->disk_writes_to_file;
    d->expect = sc->disk_image ? sparse_image_open(sc->disk_image, false, 0) : NULL;
    if (d->expect && sparse_image_size(d->expect) >= 512) {
        d->expect_bytes = sparse_image_size(d->expect) / 512 * 512;
        return d;
    }
    snprintf(failure, KERNEL_FAILURE_LEN, "cannot read the disk image %s",
             sc->disk_image ? sc->disk_image : "(none)");
    disk_close(d);
    return NULL;
}

uint8_t *kernel_blk_expected(void *k, uint64_t off)
{
    struct kernel_disk *d = k;
    return off < d->expect_bytes ? sparse_image_byte(d->expect, off) : NULL;
}

static bool unknown(const struct kernel_disk *d, uint64_t sector)
{
    for (uint32_t i = 0; i < d->n_unknown; i++)
        if (sector >= d->unknown[i].first && sector < d->unknown[i].end)
            return true;
    return false;
}

/* Sectors [first, first + n) are not judged from now on (false: out of memory). */
static bool forget(struct kernel_disk *d, uint64_t first, uint64_t n)
{
    if (d->n_unknown == d->cap_unknown) {
        uint32_t cap = d->cap_unknown ? 2 * d->cap_unknown : 8;
        struct sector_range *r = realloc(d->unknown, cap * sizeof(*r));
        if (!r)
            return false;
        d->unknown = r;
        d->cap_unknown = cap;
    }
    d->unknown[d->n_unknown++] = (struct sector_range){first, first + n};
    return true;
}

uint8_t kernel_blk_pattern(uint32_t seed, uint64_t sector, uint32_t i)
{
    return pattern_blk_byte(seed, sector, i);
}

static int disk_init(void *k, struct virtio_transport *t, struct step_result *sr, char *failure)
{
    struct kernel_disk *d = k;
    d->failure = failure;
    d->cfg.transport = t;
    int rc = vblk_init(&d->drv, &d->cfg);
    if (rc == VIRTIO_OK && !d->buf)
        d->buf = vhal_dma_alloc(KERNEL_BLK_MAX_SECTORS * 512, 512, VHAL_DMA_BUFFER, &d->buf_phys);
    if (rc == VIRTIO_OK && !d->buf)
        rc = VIRTIO_ERR_NOMEM;
    if (rc == VIRTIO_OK)
        say(sr->detail, sizeof(sr->detail), "%s version %u, blk, %llu sectors%s%s",
            d->drv.t->ops->name, d->drv.t->version, (unsigned long long)d->drv.capacity,
            d->drv.read_only ? ", read-only" : "", d->drv.can_flush ? ", flush" : "");
    if (rc == VIRTIO_OK && d->drv.capacity * 512 != d->expect_bytes)
        say(d->failure, KERNEL_FAILURE_LEN, "the device says %llu sectors, the image has %llu",
            (unsigned long long)d->drv.capacity, (unsigned long long)(d->expect_bytes / 512));
    return rc;
}

/* The bytes read equal the kernel's expectation of the disk (sectors past it: not judged). */
static void check_read(struct kernel_disk *d, uint64_t sector, uint64_t bytes)
{
    static uint8_t want[KERNEL_BLK_MAX_SECTORS * 512];
    uint64_t off = sector * 512;
    if (off >= d->expect_bytes)
        return;
    uint64_t n = bytes < d->expect_bytes - off ? bytes : d->expect_bytes - off;
    if (n > sizeof(want) || !sparse_image_read(d->expect, off, want, n)) {
        say(d->failure, KERNEL_FAILURE_LEN, "cannot read the disk image at sector %llu",
            (unsigned long long)sector);
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        if (d->buf[i] != want[i] && !unknown(d, sector + i / 512)) {
            say(d->failure, KERNEL_FAILURE_LEN, "byte %llu of sector %llu read 0x%02x, the disk "
                "holds 0x%02x", (unsigned long long)(i % 512),
                (unsigned long long)(sector + i / 512), d->buf[i], want[i]);
            return;
        }
}

/* A checked request through the driver's API. */
static int send_checked(struct kernel_disk *d, const struct scenario_step *st)
{
    switch (st->kind) {
    case STEP_BLK_READ: return vblk_read(&d->drv, st->sector, st->count, d->buf, d->buf_phys);
    case STEP_BLK_WRITE: return vblk_write(&d->drv, st->sector, st->count, d->buf, d->buf_phys);
    case STEP_BLK_FLUSH: return vblk_flush(&d->drv);
    default:
        return st->zeroes ? vblk_write_zeroes(&d->drv, st->sector, st->count, st->unmap, d->buf,
                                              d->buf_phys)
                          : vblk_discard(&d->drv, st->sector, st->count, d->buf, d->buf_phys);
    }
}

/* The request as the step describes it: checked by the driver, or raw (a replayed bug). */
static int send(struct kernel_disk *d, const struct scenario_step *st, uint64_t bytes)
{
    if (!st->raw)
        return send_checked(d, st);
    bool rd = st->kind == STEP_BLK_READ;
    struct vq_buf data = {d->buf_phys, (uint32_t)bytes};
    static const uint32_t types[] = {VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH};
    uint32_t type = st->kind <= STEP_BLK_FLUSH ? types[st->kind - STEP_BLK_READ]
                    : st->zeroes                ? VIRTIO_BLK_T_WRITE_ZEROES
                                                : VIRTIO_BLK_T_DISCARD;
    struct vblk_raw r = {.hdr = {type, 0, st->sector}, .data = &data,
                         .n_data = st->kind == STEP_BLK_FLUSH ? 0 : 1, .data_writable = rd,
                         .status_writable = !st->status_readonly};
    if (st->kind == STEP_BLK_DISCARD) { /* one segment, the header's sector 0 (§5.2.6) */
        struct virtio_blk_discard_write_zeroes seg = {
            st->sector, st->count, st->unmap ? VIRTIO_BLK_WZ_F_UNMAP : 0};
        memcpy(d->buf, &seg, sizeof(seg));
        r.hdr.sector = 0;
        data.len = st->bytes ? st->bytes : sizeof(seg); /* bytes: a segment cut short (a bug) */
    }
    if (rd && st->status_readonly) /* readable status after writable data: not a chain; the
                                    * buggy driver puts the whole request read-only */
        r.data_writable = false;
    return vblk_submit(&d->drv, &r);
}

/* What a completed request changed in the kernel's expectation of the disk. */
static void apply(struct kernel_disk *d, const struct scenario_step *st, uint64_t bytes)
{
    uint64_t off = st->sector * 512;
    if (off >= d->expect_bytes || (st->kind != STEP_BLK_WRITE && st->kind != STEP_BLK_DISCARD))
        return;
    uint64_t room = d->expect_bytes - off, n = bytes < room ? bytes : room;
    bool ok = true;
    if (st->kind == STEP_BLK_WRITE)
        ok = sparse_image_write(d->expect, off, d->buf, n);
    else if (st->zeroes) /* §5.2.6.2: reads return zeroes after WRITE_ZEROES */
        ok = sparse_image_write(d->expect, off, NULL, n);
    else /* §5.2.6.1: nothing may be assumed of discarded sectors: not judged from now on */
        ok = forget(d, st->sector, n / 512);
    if (!ok)
        say(d->failure, KERNEL_FAILURE_LEN, "out of memory keeping the disk's expectation");
}

static const char *const blk_status_names[] = {"OK", "IOERR", "UNSUPP"};

static const char *status_name(uint8_t s)
{
    return s < 3 ? blk_status_names[s] : "not written";
}

static int disk_step(void *k, const struct scenario_step *st, struct step_result *sr,
                     char *failure)
{
    struct kernel_disk *d = k;
    d->failure = failure;
    uint64_t bytes = st->bytes && st->kind != STEP_BLK_DISCARD ? st->bytes
                                                                : (uint64_t)st->count * 512;
    if (st->kind == STEP_BLK_WRITE)
        for (uint32_t i = 0; i < bytes; i++)
            d->buf[i] = kernel_blk_pattern(st->seed, st->sector, i);
    else if (st->kind == STEP_BLK_READ)
        memset(d->buf, 0xa5, bytes); /* what was not read shows */
    d->drv.last_status = 0xff;
    int rc = send(d, st, bytes);
    uint8_t status = d->drv.last_status;
    bool answered = rc == VIRTIO_OK || rc == VIRTIO_ERR_RESPONSE;
    static const char *const whats[] = {"read", "write", "flush", "discard", "write-zeroes"};
    const char *what = whats[st->kind - STEP_BLK_READ + (st->zeroes ? 1 : 0)];
    say(sr->detail, sizeof(sr->detail), "%s%s %llu bytes at sector %llu: status %s", what,
        st->raw ? " (raw)" : "", (unsigned long long)(st->kind == STEP_BLK_FLUSH ? 0 : bytes),
        (unsigned long long)st->sector, answered ? status_name(status) : "none");
    sr->used_len = d->drv.last_used_len;
    if (rc == VIRTIO_OK && st->kind == STEP_BLK_READ)
        check_read(d, st->sector, bytes);
    if (rc == VIRTIO_OK)
        apply(d, st, bytes);
    else if (d->writes_to_file && (st->kind == STEP_BLK_WRITE || st->kind == STEP_BLK_DISCARD) &&
             st->sector < d->expect_bytes / 512) /* the file may hold them now, or not */
        (void)forget(d, st->sector, st->kind == STEP_BLK_WRITE ? (bytes + 511) / 512 : st->count);
    if (st->has_expect_blk_status) {
        if (!answered || status != st->expect_blk_status)
            say(d->failure, KERNEL_FAILURE_LEN, "expected status %s, got %s",
                status_name((uint8_t)st->expect_blk_status),
                answered ? status_name(status) : "no answer");
        else if (rc == VIRTIO_ERR_RESPONSE)
            rc = VIRTIO_OK; /* the error status the step expected: the step proved its point */
    }
    return rc;
}

static const struct virtq *disk_queue(const void *k, uint32_t q)
{
    const struct kernel_disk *d = k;
    return q == 0 ? &d->drv.vq : NULL;
}

static bool disk_broken(const void *k, int *status)
{
    const struct kernel_disk *d = k;
    *status = d->drv.broken_status;
    return d->drv.broken;
}

const struct kernel_device_ops kernel_blk_ops = {
    .device = "blk",
    .open = disk_open,
    .init = disk_init,
    .step = disk_step,
    .queue = disk_queue,
    .broken = disk_broken,
    .close = disk_close,
};
