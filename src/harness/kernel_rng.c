/* kernel_rng.c — see kernel_rng.h. */
#include "harness/kernel_rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "driver/virtio_rng.h"

#define KERNEL_RNG_MAX_BYTES 65536u

struct kernel_rng {
    struct vrng drv;
    struct vrng_config cfg;
    uint64_t seed;
    uint64_t pos;              /* stream bytes received so far */
    uint8_t *buf;
    uint64_t buf_phys;
};

uint8_t kernel_rng_expected(uint64_t seed, uint64_t pos)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ull * (pos / 8 + 1);
    z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ z >> 27) * 0x94d049bb133111ebull;
    uint64_t word = z ^ z >> 31;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(word >> 8 * i);
    return le[pos % 8];
}

static void *rng_open(const struct scenario *sc, char *failure)
{
    (void)failure;
    struct kernel_rng *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->cfg = (struct vrng_config){
        .mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
        .layout = sc->layout, .legacy_align = sc->queue_align, .timeout_ns = sc->timeout_ns,
        .features = sc->driver_features};
    k->seed = sc->rng_seed;
    return k;
}

static void rng_close(void *k) { free(k); }

static int rng_init(void *kk, struct virtio_transport *t, struct step_result *sr, char *failure)
{
    (void)failure;
    struct kernel_rng *k = kk;
    k->cfg.transport = t;
    /* QEMU's queue holds 8 (virtio_add_queue(vdev, 8, …)): virtio-pci shows it as queue_size and
     * refuses more, virtio-mmio shows QueueNumMax 1024; a kernel sizes its ring by what the
     * device holds, as Linux does, so no more than 8. */
    if (k->cfg.queue_size > 8)
        k->cfg.queue_size = 8;
    int rc = vrng_init(&k->drv, &k->cfg);
    if (rc == VIRTIO_OK && !k->buf)
        k->buf = vhal_dma_alloc(KERNEL_RNG_MAX_BYTES, 64, VHAL_DMA_BUFFER, &k->buf_phys);
    if (rc == VIRTIO_OK && !k->buf)
        rc = VIRTIO_ERR_NOMEM;
    if (rc == VIRTIO_OK)
        snprintf(sr->detail, sizeof(sr->detail), "%s version %u, entropy, queue 0 of %u",
                 k->drv.t->ops->name, k->drv.t->version, k->cfg.queue_size);
    return rc;
}

/* The request: `count` buffers sharing `bytes`, the first `readable` device-readable. */
static int send(struct kernel_rng *k, const struct scenario_step *st, uint32_t bytes,
                uint32_t *got)
{
    uint32_t n = st->count ? st->count : 1;
    if (n == 1 && !st->readable)
        return vrng_read(&k->drv, k->buf_phys, bytes, got);
    struct vq_buf bufs[4];
    bool writable[4];
    for (uint32_t i = 0, off = 0; i < n; i++) {
        uint32_t len = i + 1 == n ? bytes - off : bytes / n;
        bufs[i] = (struct vq_buf){k->buf_phys + off, len};
        writable[i] = i >= st->readable;
        off += len;
    }
    return vrng_submit(&k->drv, bufs, writable, n, got);
}

static int rng_step(void *kk, const struct scenario_step *st, struct step_result *sr,
                    char *failure)
{
    struct kernel_rng *k = kk;
    uint32_t bytes = st->bytes ? st->bytes : 64, got = 0;
    memset(k->buf, 0xa5, bytes);
    int rc = send(k, st, bytes, &got);
    sr->used_len = got;
    snprintf(sr->detail, sizeof(sr->detail), "%u byte(s) asked in %u buffer(s)%s: %u received",
             bytes, st->count ? st->count : 1, st->readable ? " (some device-readable)" : "", got);
    /* the random bytes land in the writable buffers, which follow the readable ones */
    uint32_t first = 0;
    for (uint32_t i = 0, n = st->count ? st->count : 1; i < st->readable && i < n; i++)
        first += bytes / n;
    for (uint32_t i = 0; rc == VIRTIO_OK && i < got; i++) {
        uint8_t want = kernel_rng_expected(k->seed, k->pos + i);
        if (first + i >= bytes || k->buf[first + i] != want) {
            snprintf(failure, KERNEL_FAILURE_LEN, "byte %llu of the stream reads 0x%02x, the "
                     "seeded stream has 0x%02x", (unsigned long long)(k->pos + i),
                     first + i < bytes ? k->buf[first + i] : 0, want);
            break;
        }
    }
    k->pos += got;
    return rc;
}

static const struct virtq *rng_queue(const void *k, uint32_t q)
{
    return q == 0 ? &((const struct kernel_rng *)k)->drv.vq : NULL;
}

static bool rng_broken(const void *kk, int *status)
{
    const struct kernel_rng *k = kk;
    *status = k->drv.broken_status;
    return k->drv.broken;
}

const struct kernel_device_ops kernel_rng_ops = {
    .device = "rng",
    .open = rng_open,
    .init = rng_init,
    .step = rng_step,
    .queue = rng_queue,
    .broken = rng_broken,
    .close = rng_close,
};
