/* virtio_blk.c — see virtio_blk.h. */
#include "driver/virtio_blk.h"

#include "driver/virtio_device.h"
#include "driver/virtio_hal.h"

#define VBLK_MAX_DATA 4u /* data buffers of one request (vblk_submit) */

static int latch(struct vblk *b, int status)
{
    if (!b->broken) {
        b->broken = true;
        b->broken_status = status;
    }
    return status;
}

/* The config is little-endian 32-bit words on this transport: capacity is words 0 and 1, read
 * with the §2.4.1 generation protocol each. A torn pair is re-read by the caller's retry. */
static int read_capacity(struct vblk *b)
{
    uint32_t lo = 0, hi = 0, lo2 = 0;
    for (int tries = 0; tries < VMMIO_CONFIG_TRIES; tries++) {
        if (vtr_config_read32(b->t, 0, &lo) != VIRTIO_OK ||
            vtr_config_read32(b->t, 4, &hi) != VIRTIO_OK ||
            vtr_config_read32(b->t, 0, &lo2) != VIRTIO_OK)
            return VIRTIO_ERR_BAD_CONFIG;
        if (lo == lo2) {
            b->capacity = (uint64_t)hi << 32 | lo;
            return VIRTIO_OK;
        }
    }
    return VIRTIO_ERR_BAD_CONFIG;
}

int vblk_init(struct vblk *b, const struct vblk_config *cfg)
{
    if (!b || !cfg || cfg->queue_size < 3)
        return VIRTIO_ERR_INVALID;
    uint8_t *zero = (uint8_t *)b;
    for (uint32_t i = 0; i < sizeof(*b); i++)
        zero[i] = 0;
    b->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    int rc = vdev_attach(cfg->transport, &b->mmio, cfg->mmio_base, b->timeout_ns,
                         VIRTIO_ID_BLOCK, &b->t);
    if (rc != VIRTIO_OK)
        return rc; /* (not a block device: left untouched) */
    if ((rc = vtr_begin_init(b->t)) != VIRTIO_OK ||
        (rc = vtr_negotiate(b->t, cfg->features & VBLK_DRIVER_FEATURES)) != VIRTIO_OK)
        return rc;
    /* the header (16 bytes) and the status byte, in one allocation of their own */
    b->hdr = vhal_dma_alloc(64, 16, VHAL_DMA_BUFFER, &b->hdr_phys);
    if (!b->hdr) {
        vtr_fail(b->t);
        return VIRTIO_ERR_NOMEM;
    }
    b->status = (uint8_t *)b->hdr + 32;
    b->status_phys = b->hdr_phys + 32;
    rc = vtr_setup_queue(b->t, &b->vq, 0, cfg->queue_size, cfg->layout, cfg->legacy_align);
    if (rc == VIRTIO_OK && (b->t->features >> VIRTIO_RING_F_INDIRECT_DESC & 1u))
        rc = vq_enable_indirect(&b->vq); /* §2.6.5.3.1: only when negotiated */
    if (rc != VIRTIO_OK) {
        vtr_fail(b->t); /* §3.1.1: set FAILED and stop */
        return rc;
    }
    vq_set_event_idx(&b->vq, b->t->features >> VIRTIO_RING_F_EVENT_IDX & 1u);
    b->read_only = b->t->features >> VIRTIO_BLK_F_RO & 1u;
    b->can_flush = b->t->features >> VIRTIO_BLK_F_FLUSH & 1u;
    b->can_discard = b->t->features >> VIRTIO_BLK_F_DISCARD & 1u;
    b->can_write_zeroes = b->t->features >> VIRTIO_BLK_F_WRITE_ZEROES & 1u;
    if ((rc = vtr_driver_ok(b->t)) != VIRTIO_OK)
        return rc;
    if ((rc = read_capacity(b)) != VIRTIO_OK) {
        vtr_fail(b->t);
        return latch(b, rc);
    }
    return VIRTIO_OK;
}

/* Wait (bounded) for the request in flight; its token is the header. */
static int wait_answer(struct vblk *b)
{
    void *token = 0;
    uint32_t len = 0;
    int rc = vdev_wait_used(b->t, &b->vq, b->timeout_ns, &token, &len);
    if (rc != VIRTIO_OK) /* silent (timeout, NEEDS_RESET, reset) or a hostile used ring */
        return latch(b, rc);
    if (token != b->hdr)
        return latch(b, VIRTIO_ERR_BAD_USED);
    b->last_used_len = len;
    b->last_status = *(volatile uint8_t *)b->status; /* after vdev_wait_used's read barrier */
    return b->last_status == VIRTIO_BLK_S_OK ? VIRTIO_OK : VIRTIO_ERR_RESPONSE;
}

int vblk_submit(struct vblk *b, const struct vblk_raw *r)
{
    if (!b || !r || r->n_data > VBLK_MAX_DATA || (r->n_data && !r->data))
        return VIRTIO_ERR_INVALID;
    if (b->broken)
        return VIRTIO_ERR_BROKEN;
    *b->hdr = r->hdr;
    *b->status = 0xff; /* not a status: an answer that never wrote it shows */
    struct vq_buf out[VBLK_MAX_DATA + 2], in[VBLK_MAX_DATA + 1];
    unsigned n_out = 0, n_in = 0;
    out[n_out++] = (struct vq_buf){b->hdr_phys, sizeof(*b->hdr)};
    for (uint32_t i = 0; i < r->n_data; i++) {
        if (r->data_writable)
            in[n_in++] = r->data[i];
        else
            out[n_out++] = r->data[i];
    }
    if (r->status_writable)
        in[n_in++] = (struct vq_buf){b->status_phys, 1};
    else if (n_in == 0) /* the bug: the status byte device-readable (§5.2.6 says writable) */
        out[n_out++] = (struct vq_buf){b->status_phys, 1};
    else
        return VIRTIO_ERR_INVALID; /* readable after writable cannot be a chain (§2.6.4.2) */
    /* (the header and data are ordered before avail.idx by vq_add's own write barrier) */
    int rc = vq_add(&b->vq, out, n_out, in, n_in, b->hdr);
    if (rc != VIRTIO_OK)
        return rc;
    if (vq_kick_prepare(&b->vq))
        vtr_notify(b->t, 0);
    return wait_answer(b);
}

/* A read or write of whole sectors, checked against what the device said. */
static int rw(struct vblk *b, uint32_t type, uint64_t sector, uint32_t n, uint64_t buf_phys)
{
    if (!b || n == 0 || n > UINT32_MAX / VIRTIO_BLK_SECTOR_SIZE || sector > b->capacity ||
        n > b->capacity - sector || (type == VIRTIO_BLK_T_OUT && b->read_only))
        return VIRTIO_ERR_INVALID; /* §5.2.6.1: never beyond capacity */
    struct vq_buf data = {buf_phys, n * VIRTIO_BLK_SECTOR_SIZE};
    struct vblk_raw r = {.hdr = {type, 0, sector}, .data = &data, .n_data = 1,
                         .data_writable = type == VIRTIO_BLK_T_IN, .status_writable = true};
    return vblk_submit(b, &r);
}

int vblk_read(struct vblk *b, uint64_t sector, uint32_t n, void *buf, uint64_t buf_phys)
{
    (void)buf; /* the caller's view of buf_phys: the device writes through the physical address */
    return rw(b, VIRTIO_BLK_T_IN, sector, n, buf_phys);
}

int vblk_write(struct vblk *b, uint64_t sector, uint32_t n, const void *buf, uint64_t buf_phys)
{
    (void)buf;
    return rw(b, VIRTIO_BLK_T_OUT, sector, n, buf_phys);
}

int vblk_flush(struct vblk *b)
{
    if (!b || !b->can_flush)
        return VIRTIO_ERR_INVALID; /* §5.2.3: FLUSH only with VIRTIO_BLK_F_FLUSH */
    struct vblk_raw r = {.hdr = {VIRTIO_BLK_T_FLUSH, 0, 0}, .status_writable = true};
    return vblk_submit(b, &r); /* §5.2.6.1: sector 0, no data */
}

/* One DISCARD / WRITE_ZEROES segment (§5.2.6), checked. */
static int dwz(struct vblk *b, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags,
               void *seg, uint64_t seg_phys)
{
    if (!seg || n == 0 || sector > b->capacity || n > b->capacity - sector || b->read_only)
        return VIRTIO_ERR_INVALID;
    struct virtio_blk_discard_write_zeroes *s = seg;
    s->sector = sector;
    s->num_sectors = n;
    s->flags = flags;
    struct vq_buf data = {seg_phys, sizeof(*s)};
    struct vblk_raw r = {.hdr = {type, 0, 0}, .data = &data, .n_data = 1,
                         .status_writable = true};
    return vblk_submit(b, &r);
}

int vblk_discard(struct vblk *b, uint64_t sector, uint32_t n, void *seg, uint64_t seg_phys)
{
    if (!b || !b->can_discard)
        return VIRTIO_ERR_INVALID;
    return dwz(b, VIRTIO_BLK_T_DISCARD, sector, n, 0, seg, seg_phys); /* unmap 0 (§5.2.6.1) */
}

int vblk_write_zeroes(struct vblk *b, uint64_t sector, uint32_t n, bool unmap, void *seg,
                      uint64_t seg_phys)
{
    if (!b || !b->can_write_zeroes)
        return VIRTIO_ERR_INVALID;
    return dwz(b, VIRTIO_BLK_T_WRITE_ZEROES, sector, n, unmap ? VIRTIO_BLK_WZ_F_UNMAP : 0, seg,
               seg_phys);
}
