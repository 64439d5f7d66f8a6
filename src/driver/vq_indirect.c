/* vq_indirect.c — see vq_indirect.h. */
#include "driver/vq_indirect.h"

#include "driver/virtio_hal.h"

static uint32_t table_bytes(const struct virtq *vq)
{
    return (uint32_t)vq->num * VQ_INDIRECT_MAX * (uint32_t)sizeof(struct virtq_desc);
}

int vq_enable_indirect(struct virtq *vq)
{
    if (!vq || !vq->state || vq->indirect)
        return VIRTIO_ERR_INVALID;
    /* §2.6.5.3 sets no alignment for a table; 16 keeps each entry naturally aligned. */
    uint64_t phys;
    void *p = vhal_dma_alloc(table_bytes(vq), VIRTQ_DESC_ALIGN, VHAL_DMA_RING, &phys);
    if (!p)
        return VIRTIO_ERR_NOMEM;
    vq->indirect = p;
    vq->indirect_phys = phys;
    return VIRTIO_OK;
}

void vq_indirect_free(struct virtq *vq)
{
    if (vq->indirect)
        vhal_dma_free((void *)vq->indirect, table_bytes(vq));
    vq->indirect = NULL;
    vq->indirect_phys = 0;
}

bool vq_indirect_usable(const struct virtq *vq, unsigned total)
{
    /* A single buffer gains nothing from a table; §2.6.5.3.1: a chain (in a table too) is never
     * longer than the queue. */
    return vq->indirect && total > 1 && total <= VQ_INDIRECT_MAX && total <= vq->num;
}

static void store_desc(volatile struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
                       uint16_t next)
{
    vhal_ring_store64(&d->addr, addr);
    vhal_ring_store32(&d->len, len);
    vhal_ring_store16(&d->flags, flags);
    vhal_ring_store16(&d->next, next);
}

void vq_indirect_write(struct virtq *vq, uint16_t head, const struct vq_buf *out, unsigned n_out,
                       const struct vq_buf *in, unsigned n_in)
{
    unsigned total = n_out + n_in;
    uint64_t offset = (uint64_t)head * VQ_INDIRECT_MAX;
    volatile struct virtq_desc *t = vq->indirect + offset;
    uint64_t t_phys = vq->indirect_phys + offset * sizeof(struct virtq_desc);
    store_desc(&vq->desc[head], t_phys, (uint32_t)(total * sizeof(struct virtq_desc)),
               VIRTQ_DESC_F_INDIRECT, 0);
    vq->state[head].flags = VIRTQ_DESC_F_INDIRECT;
    for (unsigned k = 0; k < total; k++) {
        const struct vq_buf *b = k < n_out ? &out[k] : &in[k - n_out];
        uint16_t flags = k < n_out ? 0 : VIRTQ_DESC_F_WRITE;
        if (k + 1 < total)
            flags |= VIRTQ_DESC_F_NEXT;
        store_desc(&t[k], b->phys, b->len, flags, k + 1 < total ? (uint16_t)(k + 1) : 0);
    }
}
