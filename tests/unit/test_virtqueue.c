/* test_virtqueue.c — the driver's split virtqueue (src/driver/virtqueue.c): layouts, and what it
 * writes into guest memory when it runs on the simulated machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "sim_fixture.h"

/* ---- layouts ------------------------------------------------------------------------------ */

static uint32_t up(uint32_t x, uint32_t a) { return (x + a - 1) / a * a; }

static void test_layout_modern_separate_16(void **state)
{
    (void)state;
    struct vq_layout l;
    memset(&l, 0xee, sizeof(l));
    assert_int_equal(vq_layout_modern(16, VQ_LAYOUT_SEPARATE, &l), VIRTIO_OK);
    assert_int_equal(l.num, 16);
    assert_int_equal(l.desc_off, 0);
    assert_int_equal(l.avail_off, 0);
    assert_int_equal(l.used_off, 0);
    assert_int_equal(l.desc_size, 256);
    assert_int_equal(l.avail_size, 6 + 2 * 16);  /* flags, idx, ring[16], used_event */
    assert_int_equal(l.used_size, 6 + 8 * 16);   /* flags, idx, ring[16], avail_event */
    assert_int_equal(l.total, 256 + 38 + 134);
}

static void test_layout_modern_packed_16(void **state)
{
    (void)state;
    struct vq_layout l;
    assert_int_equal(vq_layout_modern(16, VQ_LAYOUT_PACKED, &l), VIRTIO_OK);
    assert_int_equal(l.num, 16);
    assert_int_equal(l.desc_off, 0);
    assert_int_equal(l.avail_off, 0x100);
    assert_int_equal(l.used_off, 0x128); /* 0x100 + 38 = 0x126, up to 4 */
    assert_int_equal(l.desc_size, 0x100);
    assert_int_equal(l.avail_size, 38);
    assert_int_equal(l.used_size, 134);
    assert_int_equal(l.total, 0x128 + 134);
}

static void test_layout_modern_packed_many(void **state)
{
    (void)state;
    static const struct {
        uint32_t n, avail_off, used_off, total;
    } want[] = {
        {1, 16, 24, 24 + 14},              /* avail 16..22 → used at 24 */
        {2, 32, 44, 44 + 22},              /* avail 32..42 → used at 44 */
        {3, 48, 60, 60 + 30},              /* avail 48..60 → used at 60 (already 4-aligned) */
        {256, 4096, 4616, 4616 + 2054},    /* 4096 + 518 = 4614 → 4616 */
        {32768, 524288, 589832, 589832 + 262150}, /* 524288 + 65542 = 589830 → 589832 */
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct vq_layout l;
        uint32_t n = want[i].n;
        assert_int_equal(vq_layout_modern(n, VQ_LAYOUT_PACKED, &l), VIRTIO_OK);
        /* independent of the table: the formula, and the 16/2/4 alignment of §2.6 */
        assert_int_equal(l.avail_off, 16 * n);
        assert_int_equal(l.used_off, up(16 * n + 6 + 2 * n, 4));
        assert_int_equal(l.desc_off % 16, 0);
        assert_int_equal(l.avail_off % 2, 0);
        assert_int_equal(l.used_off % 4, 0);
        assert_true(l.used_off >= l.avail_off + l.avail_size); /* no overlap */
        assert_true(l.used_off - (l.avail_off + l.avail_size) < 4); /* no more than required */
        assert_int_equal(l.total, l.used_off + 6 + 8 * n);
        assert_int_equal(l.avail_off, want[i].avail_off);
        assert_int_equal(l.used_off, want[i].used_off);
        assert_int_equal(l.total, want[i].total);
        /* SEPARATE: same sizes, zero offsets */
        struct vq_layout s;
        assert_int_equal(vq_layout_modern(n, VQ_LAYOUT_SEPARATE, &s), VIRTIO_OK);
        assert_int_equal(s.desc_size, 16 * n);
        assert_int_equal(s.avail_size, 6 + 2 * n);
        assert_int_equal(s.used_size, 6 + 8 * n);
        assert_int_equal(s.desc_off + s.avail_off + s.used_off, 0);
        assert_int_equal(s.total, 16 * n + 6 + 2 * n + 6 + 8 * n);
    }
}

static void test_layout_modern_invalid(void **state)
{
    (void)state;
    struct vq_layout l;
    assert_int_equal(vq_layout_modern(0, VQ_LAYOUT_SEPARATE, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(32769, VQ_LAYOUT_SEPARATE, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(32769, VQ_LAYOUT_PACKED, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(16, VQ_LAYOUT_LEGACY, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(16, (enum vq_layout_kind)7, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(16, VQ_LAYOUT_PACKED, NULL), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_modern(32768, VQ_LAYOUT_SEPARATE, &l), VIRTIO_OK);
}

static void test_layout_legacy(void **state)
{
    (void)state;
    struct vq_layout l;
    assert_int_equal(vq_layout_legacy(16, 4096, &l), VIRTIO_OK);
    assert_int_equal(l.num, 16);
    assert_int_equal(l.desc_off, 0);
    assert_int_equal(l.avail_off, 0x100);
    assert_int_equal(l.used_off, 0x1000);
    assert_int_equal(l.desc_size, 256);
    assert_int_equal(l.avail_size, 38);
    assert_int_equal(l.used_size, 134);
    assert_int_equal(l.total, 0x2000); /* used ring padded to the alignment */

    static const struct {
        uint32_t n, align, used_off;
    } want[] = {
        {64, 4096, 0x1000},   /* 1024 + 6 + 128 = 1158 */
        {1024, 4096, 0x5000}, /* 16384 + 6 + 2048 = 18438 = 0x4806 */
        {256, 4096, 0x2000},  /* 4096 + 6 + 512 = 4614 */
        {16, 4, 0x128},       /* 294 → 296: §2.6.2 keeps used_event before the used ring */
        {1, 4096, 0x1000},
        {3, 2, 60},
        {32768, 4096, 0x91000}, /* 524288 + 6 + 65536 = 589830 = 0x90006 */
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint32_t n = want[i].n, a = want[i].align;
        assert_int_equal(vq_layout_legacy(n, a, &l), VIRTIO_OK);
        assert_int_equal(l.desc_off, 0);
        assert_int_equal(l.avail_off, 16 * n);
        assert_int_equal(l.used_off, up(16 * n + 6 + 2 * n, a));
        assert_int_equal(l.used_off, want[i].used_off);
        assert_int_equal(l.used_off % a, 0);
        assert_int_equal(l.total, l.used_off + up(6 + 8 * n, a));
    }
}

static void test_layout_legacy_invalid(void **state)
{
    (void)state;
    struct vq_layout l;
    assert_int_equal(vq_layout_legacy(0, 4096, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(32769, 4096, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(16, 3, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(16, 0, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(16, 4097, &l), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(16, 4096, NULL), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_layout_legacy(32768, 4096, &l), VIRTIO_OK);
}

/* ---- on the simulated machine ---------------------------------------------------------------- */

static int setup_machine(void **state)
{
    *state = fx_machine_new(2);
    return 0;
}

static int teardown_machine(void **state)
{
    fx_machine_free(*state);
    return 0;
}

struct gdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static struct gdesc read_desc(struct machine *m, const struct virtq *vq, uint16_t i)
{
    struct gdesc d;
    uint64_t at = vq->desc_phys + 16ull * i;
    assert_true(gm_read64(&m->mem, at, &d.addr));
    assert_true(gm_read32(&m->mem, at + 8, &d.len));
    assert_true(gm_read16(&m->mem, at + 12, &d.flags));
    assert_true(gm_read16(&m->mem, at + 14, &d.next));
    return d;
}

static uint16_t rd16(struct machine *m, uint64_t gpa)
{
    uint16_t v;
    assert_true(gm_read16(&m->mem, gpa, &v));
    return v;
}

/* Play the device: put (id, len) in the next used slot and advance used.idx in guest memory. */
static void device_use(struct machine *m, const struct virtq *vq, uint32_t id, uint32_t len)
{
    uint16_t idx = rd16(m, vq->used_phys + 2);
    uint64_t e = vq->used_phys + 4 + 8ull * (idx % vq->num);
    assert_true(gm_write32(&m->mem, e, id));
    assert_true(gm_write32(&m->mem, e + 4, len));
    assert_true(gm_write16(&m->mem, vq->used_phys + 2, (uint16_t)(idx + 1)));
}

static void test_vq_create_separate(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    /* the ring arena starts at RAM + 1 MiB; parts are allocated at 16/2/4 alignment */
    assert_int_equal(vq.desc_phys, FX_RAM_BASE + 0x100000);
    assert_int_equal(vq.avail_phys, FX_RAM_BASE + 0x100100);
    assert_int_equal(vq.used_phys, FX_RAM_BASE + 0x100128); /* 0x100100 + 38 → 4-aligned */
    assert_ptr_equal((void *)vq.desc, gm_ptr(&m->mem, vq.desc_phys, 256));
    assert_ptr_equal((void *)vq.avail, gm_ptr(&m->mem, vq.avail_phys, 38));
    assert_ptr_equal((void *)vq.used, gm_ptr(&m->mem, vq.used_phys, 134));
    assert_int_equal(vq.num, 16);
    assert_int_equal(vq.num_free, 16);
    assert_int_equal(vq.free_head, 0);
    /* Every free-list link is an index of the table, the last back to 0 (no sentinel past the
     * end: tools/frama-c/ proves the accesses in range from this alone), and the list from
     * free_head visits every descriptor once. */
    uint32_t seen = 0;
    for (uint16_t k = 0, i = vq.free_head; k < vq.num; k++, i = vq.state[i].next) {
        assert_true(vq.state[i].next < vq.num);
        assert_false(seen & (1u << i));
        seen |= 1u << i;
    }
    assert_int_equal(seen, 0xffffu);
    assert_int_equal(vq.state[15].next, 0);
    assert_false(vq.broken);
    assert_int_equal(rd16(m, vq.avail_phys), 0);
    assert_int_equal(rd16(m, vq.avail_phys + 2), 0);
    assert_int_equal(rd16(m, vq.used_phys), 0);
    /* used.flags initialised through the accessor (§2.6.10.1) */
    assert_true(fx_trace_find(m, 0, TR_RING_STORE, NULL, vq.used_phys) >= 0);
    vq_destroy(&vq);
    assert_null(vq.state);
    assert_null((void *)vq.desc);
}

static void test_vq_create_packed_and_legacy(void **state)
{
    struct machine *m = *state;
    struct virtq p, l;
    assert_int_equal(vq_create(&p, 0, 16, VQ_LAYOUT_PACKED, 0), VIRTIO_OK);
    assert_int_equal(p.desc_phys % 16, 0);
    assert_int_equal(p.avail_phys, p.desc_phys + 0x100);
    assert_int_equal(p.used_phys, p.desc_phys + 0x128);
    assert_ptr_equal((void *)p.used, gm_ptr(&m->mem, p.used_phys, 1));

    assert_int_equal(vq_create(&l, 1, 16, VQ_LAYOUT_LEGACY, 4096), VIRTIO_OK);
    assert_int_equal(l.desc_phys % 4096, 0); /* QueuePFN is a page number */
    assert_int_equal(l.avail_phys, l.desc_phys + 0x100);
    assert_int_equal(l.used_phys, l.desc_phys + 0x1000);
    assert_true(l.desc_phys >= p.used_phys + 134); /* no overlap with the earlier queue */

    struct virtq bad;
    assert_int_equal(vq_create(&bad, 0, 0, VQ_LAYOUT_SEPARATE, 0), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_create(&bad, 0, 16, VQ_LAYOUT_LEGACY, 3), VIRTIO_ERR_INVALID);
    vq_destroy(&p);
    vq_destroy(&l);
}

/* vhal_dma_alloc returning NULL is an error the driver reports, never a crash. */
static void test_vq_create_nomem(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    /* no machine behind the HAL */
    hal_sim_unbind();
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_SEPARATE, 0), VIRTIO_ERR_NOMEM);
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_PACKED, 0), VIRTIO_ERR_NOMEM);
    assert_int_equal(vhal_mmio_read32(FX_MMIO_BASE), 0xffffffffu);
    hal_sim_bind(m);
    /* ring memory exhausted after the descriptor table */
    m->arena[VHAL_DMA_RING].next = FX_RAM_BASE + FX_RAM_SIZE - 256;
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_SEPARATE, 0), VIRTIO_ERR_NOMEM);
    assert_null(vq.state);
    assert_null(vq.region[0]);
    /* private memory exhausted after the rings */
    m->arena[VHAL_DMA_RING].next = FX_RAM_BASE + 0x100000;
    m->arena[VHAL_DMA_PRIVATE].next = FX_RAM_BASE + FX_RAM_SIZE - 8;
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_LEGACY, 4096), VIRTIO_ERR_NOMEM);
    assert_null(vq.state);
    assert_null((void *)vq.desc);
    /* and with memory again, it works */
    m->arena[VHAL_DMA_PRIVATE].next = FX_RAM_BASE + 0x300000;
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq.num_free, 16);
    vq_destroy(&vq);
}

static void test_vq_add_writes_descriptors(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int tok1, tok2;
    struct vq_buf out[2] = {{0x40200000, 24}, {0x40200100, 40}};
    struct vq_buf in[1] = {{0x40200200, 408}};
    assert_int_equal(vq_add(&vq, out, 2, in, 1, &tok1), VIRTIO_OK);
    assert_int_equal(vq.num_free, 5);

    struct gdesc d0 = read_desc(m, &vq, 0), d1 = read_desc(m, &vq, 1), d2 = read_desc(m, &vq, 2);
    assert_int_equal(d0.addr, 0x40200000);
    assert_int_equal(d0.len, 24);
    assert_int_equal(d0.flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(d0.next, 1);
    assert_int_equal(d1.addr, 0x40200100);
    assert_int_equal(d1.len, 40);
    assert_int_equal(d1.flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(d1.next, 2);
    assert_int_equal(d2.addr, 0x40200200);
    assert_int_equal(d2.len, 408);
    assert_int_equal(d2.flags, VIRTQ_DESC_F_WRITE);
    assert_int_equal(d2.next, 0);
    /* the ring entry is written, but avail.idx is not published before vq_kick_prepare */
    assert_int_equal(rd16(m, vq.avail_phys + 4), 0);
    assert_int_equal(rd16(m, vq.avail_phys + 2), 0);

    /* a second, single-descriptor chain takes the next free descriptor and ring slot */
    struct vq_buf one = {0x40200400, 8};
    assert_int_equal(vq_add(&vq, &one, 1, NULL, 0, &tok2), VIRTIO_OK);
    struct gdesc d3 = read_desc(m, &vq, 3);
    assert_int_equal(d3.addr, 0x40200400);
    assert_int_equal(d3.len, 8);
    assert_int_equal(d3.flags, 0);
    assert_int_equal(rd16(m, vq.avail_phys + 4), 0);
    assert_int_equal(rd16(m, vq.avail_phys + 6), 3);
    assert_int_equal(rd16(m, vq.avail_phys + 2), 0);

    assert_true(vq_kick_prepare(&vq)); /* used.flags is 0: the device wants a notification */
    assert_int_equal(rd16(m, vq.avail_phys + 2), 2);
    assert_false(vq_kick_prepare(&vq)); /* nothing new: no notification */

    /* used.flags NO_NOTIFY suppresses the notification but avail.idx is still published */
    assert_true(gm_write16(&m->mem, vq.used_phys, VIRTQ_USED_F_NO_NOTIFY));
    assert_int_equal(vq_add(&vq, &one, 1, NULL, 0, &tok2), VIRTIO_OK);
    assert_false(vq_kick_prepare(&vq));
    assert_int_equal(rd16(m, vq.avail_phys + 2), 3);
    assert_int_equal(rd16(m, vq.avail_phys + 8), 4);

    /* bad arguments */
    assert_int_equal(vq_add(&vq, &one, 1, NULL, 0, NULL), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_add(&vq, NULL, 0, NULL, 0, &tok1), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_add(&vq, NULL, 1, NULL, 0, &tok1), VIRTIO_ERR_INVALID);
    assert_int_equal(vq_add(&vq, NULL, 0, NULL, 1, &tok1), VIRTIO_ERR_INVALID);
    vq_destroy(&vq);
}

static void test_vq_nospc_and_empty(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t[4];
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_EMPTY);
    assert_false(vq_has_used(&vq));
    struct vq_buf b[5] = {{0x40200000, 1}, {0x40200010, 1}, {0x40200020, 1}, {0x40200030, 1},
                          {0x40200040, 1}};
    assert_int_equal(vq_add(&vq, b, 5, NULL, 0, &t[0]), VIRTIO_ERR_NOSPC); /* 5 > 4 */
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(vq_add(&vq, b, 3, NULL, 0, &t[0]), VIRTIO_OK);
    assert_int_equal(vq_add(&vq, b, 1, b + 1, 1, &t[1]), VIRTIO_ERR_NOSPC); /* 2 > 1 */
    assert_int_equal(vq_add(&vq, b, 1, NULL, 0, &t[1]), VIRTIO_OK);
    assert_int_equal(vq.num_free, 0);
    assert_int_equal(vq_add(&vq, b, 1, NULL, 0, &t[2]), VIRTIO_ERR_NOSPC);
    assert_int_equal(vq.avail_idx, 2); /* a refused add publishes nothing */
    vq_kick_prepare(&vq);
    assert_int_equal(rd16(m, vq.avail_phys + 2), 2);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_EMPTY);
    device_use(m, &vq, 3, 0);
    assert_true(vq_has_used(&vq));
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t[1]);
    assert_int_equal(vq.num_free, 1);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_EMPTY);
    assert_false(vq.broken);
    vq_destroy(&vq);
}

static void test_vq_free_list_reuse(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int ta, tb, tc;
    struct vq_buf oa = {0x40200000, 24}, ia = {0x40201000, 100};
    struct vq_buf ob = {0x40202000, 24}, ib = {0x40203000, 200};
    struct vq_buf oc = {0x40204000, 32}, ic = {0x40205000, 300};
    assert_int_equal(vq_add(&vq, &oa, 1, &ia, 1, &ta), VIRTIO_OK); /* descs 0,1 */
    assert_int_equal(vq_add(&vq, &ob, 1, &ib, 1, &tb), VIRTIO_OK); /* descs 2,3 */
    vq_kick_prepare(&vq);
    assert_int_equal(vq.num_free, 0);
    assert_int_equal(rd16(m, vq.avail_phys + 4), 0);
    assert_int_equal(rd16(m, vq.avail_phys + 6), 2);

    /* the device completes B first */
    device_use(m, &vq, 2, 77);
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &tb);
    assert_int_equal(len, 77);
    assert_int_equal(vq.num_free, 2);
    assert_int_equal(vq.free_head, 2);

    /* C reuses B's descriptors 2 and 3 and the third ring slot */
    assert_int_equal(vq_add(&vq, &oc, 1, &ic, 1, &tc), VIRTIO_OK);
    vq_kick_prepare(&vq);
    struct gdesc d2 = read_desc(m, &vq, 2), d3 = read_desc(m, &vq, 3);
    assert_int_equal(d2.addr, 0x40204000);
    assert_int_equal(d2.len, 32);
    assert_int_equal(d2.flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(d2.next, 3);
    assert_int_equal(d3.addr, 0x40205000);
    assert_int_equal(d3.len, 300);
    assert_int_equal(d3.flags, VIRTQ_DESC_F_WRITE);
    assert_int_equal(rd16(m, vq.avail_phys + 8), 2);
    assert_int_equal(rd16(m, vq.avail_phys + 2), 3);

    device_use(m, &vq, 0, 11);
    device_use(m, &vq, 2, 33);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &ta);
    assert_int_equal(len, 11);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &tc);
    assert_int_equal(len, 33);
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_EMPTY);

    /* many more requests than the queue size, completed in reverse order each round */
    static int tokens[64];
    unsigned next_tok = 0;
    for (int round = 0; round < 16; round++) {
        uint16_t heads[4];
        int *toks[4];
        unsigned n = 1 + (unsigned)round % 4; /* 1..4 chains of one descriptor each */
        for (unsigned k = 0; k < n; k++) {
            struct vq_buf b = {0x40210000 + 0x100ull * next_tok, 4 + next_tok};
            toks[k] = &tokens[next_tok++ % 64];
            uint16_t head = vq.free_head;
            /* device-writable, so the device may report up to b.len bytes (§2.6.8.1) */
            assert_int_equal(vq_add(&vq, NULL, 0, &b, 1, toks[k]), VIRTIO_OK);
            heads[k] = head;
            struct gdesc d = read_desc(m, &vq, head);
            assert_int_equal(d.addr, b.phys);
            assert_int_equal(d.len, b.len);
            assert_int_equal(d.flags, VIRTQ_DESC_F_WRITE);
        }
        vq_kick_prepare(&vq);
        for (unsigned k = n; k-- > 0;)
            device_use(m, &vq, heads[k], 1u + k);
        for (unsigned k = n; k-- > 0;) {
            assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
            assert_ptr_equal(tok, toks[k]);
            assert_int_equal(len, 1u + k);
        }
        assert_int_equal(vq.num_free, 4);
    }
    assert_false(vq.broken);
    vq_destroy(&vq);
}

static void assert_wrap(struct machine *m, uint16_t num, uint32_t cycles)
{
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, num, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int tok[2];
    uint16_t expect_idx = 0;
    for (uint32_t c = 0; c < cycles; c++) {
        trace_clear(&m->trace); /* keep the trace small: it is not what this test looks at */
        struct vq_buf b = {0x40200000 + 16ull * (c % 8), 1 + c % 100};
        void *t = &tok[c % 2];
        uint16_t head = vq.free_head;
        /* poison the slot this request must land in, so a store elsewhere shows */
        uint64_t slot = vq.avail_phys + 4 + 2u * (expect_idx % num);
        assert_true(gm_write16(&m->mem, slot, 0xffff));
        if (vq_add(&vq, NULL, 0, &b, 1, t) != VIRTIO_OK) /* writable: len up to b.len */
            fail_msg("vq_add failed at cycle %u", c);
        (void)vq_kick_prepare(&vq);
        expect_idx++;
        uint16_t avail_idx = rd16(m, vq.avail_phys + 2);
        if (avail_idx != expect_idx)
            fail_msg("cycle %u: avail.idx %u, want %u", c, avail_idx, expect_idx);
        uint16_t ring = rd16(m, vq.avail_phys + 4 + 2u * ((uint16_t)(expect_idx - 1) % num));
        if (ring != head)
            fail_msg("cycle %u: avail.ring entry %u, want %u", c, ring, head);
        device_use(m, &vq, head, b.len - c % 2);
        void *got = NULL;
        uint32_t len = 0;
        int rc = vq_get_used(&vq, &got, &len);
        if (rc != VIRTIO_OK || got != t || len != b.len - c % 2)
            fail_msg("cycle %u: vq_get_used rc %d len %u", c, rc, len);
        if (vq.num_free != num)
            fail_msg("cycle %u: num_free %u", c, vq.num_free);
    }
    /* the 16-bit indices wrapped: 70000 mod 65536 */
    assert_int_equal(rd16(m, vq.avail_phys + 2), (uint16_t)cycles);
    assert_int_equal(rd16(m, vq.used_phys + 2), (uint16_t)cycles);
    assert_int_equal(vq.last_used_idx, (uint16_t)cycles);
    assert_true(cycles > 65536);
    assert_true((uint16_t)cycles < cycles); /* really wrapped */
    assert_false(vq.broken);
    vq_destroy(&vq);
}

static void test_vq_wrap_size2(void **state) { assert_wrap(*state, 2, 70000); }
static void test_vq_wrap_size1(void **state) { assert_wrap(*state, 1, 65536 + 300); }
static void test_vq_wrap_size4(void **state) { assert_wrap(*state, 4, 65536 + 300); }

/* §2.6: a split queue's size is a power of two. Any other is refused on every split layout, with
 * nothing allocated (at the 16-bit wrap idx % 12 would put idx 0xffff in slot 3 and idx 0 in
 * slot 0); a packed ring takes it (§2.7.10.1). */
static void test_vq_create_refuses_split_size_not_pow2(void **state)
{
    struct machine *m = *state;
    static const uint16_t bad[] = {3, 5, 6, 12, 100, 1000, 1023, 1025, 32767};
    static const enum vq_layout_kind kinds[] = {VQ_LAYOUT_SEPARATE, VQ_LAYOUT_PACKED,
                                                VQ_LAYOUT_LEGACY};
    uint64_t ring_next = m->arena[VHAL_DMA_RING].next;
    uint64_t private_next = m->arena[VHAL_DMA_PRIVATE].next;
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            struct virtq vq;
            assert_int_equal(vq_create(&vq, 0, bad[i], kinds[k], 4096), VIRTIO_ERR_INVALID);
            assert_null(vq.state);
            assert_null(vq.region[0]);
            assert_null((void *)vq.desc);
            int t;
            struct vq_buf b = {0x40200000, 8};
            assert_int_equal(vq_add(&vq, &b, 1, NULL, 0, &t), VIRTIO_ERR_INVALID);
        }
    }
    assert_int_equal(m->arena[VHAL_DMA_RING].next, ring_next);
    assert_int_equal(m->arena[VHAL_DMA_PRIVATE].next, private_next);
    for (uint32_t n = 1; n <= 1024; n *= 2) {
        struct virtq vq;
        assert_int_equal(vq_create(&vq, 0, (uint16_t)n, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
        vq_destroy(&vq);
    }
    struct virtq p;
    assert_int_equal(vq_create(&p, 0, 3, VQ_LAYOUT_PACKED_RING, 0), VIRTIO_OK);
    vq_destroy(&p);
}

static void test_vq_bad_used_id_out_of_range(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t;
    struct vq_buf b = {0x40200000, 8};
    assert_int_equal(vq_add(&vq, &b, 1, NULL, 0, &t), VIRTIO_OK);
    vq_kick_prepare(&vq);
    device_use(m, &vq, 4, 0); /* id == num */
    void *tok = (void *)&vq;
    uint32_t len = 1234;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_ID_RANGE);
    assert_int_equal(vq.broken_status, VIRTIO_ERR_USED_ID_RANGE);
    assert_true(vq.broken);
    assert_ptr_equal(tok, &vq); /* outputs untouched on failure */
    assert_int_equal(len, 1234);
    assert_int_equal(vq.last_used_idx, 0);
    /* latched: every later call says broken */
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_BROKEN);
    assert_int_equal(vq_add(&vq, &b, 1, NULL, 0, &t), VIRTIO_ERR_BROKEN);
    assert_false(vq_kick_prepare(&vq));
    vq_destroy(&vq);
}

/* id == num must be refused on the range check alone, whatever lies past the private state. */
static void test_vq_bad_used_id_equal_num_next_to_busy_state(void **state)
{
    struct machine *m = *state;
    struct virtq a, b;
    assert_int_equal(vq_create(&a, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_create(&b, 1, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    /* the bump allocator puts b's bookkeeping right after a's: a.state[4] is b.state[0] */
    assert_ptr_equal(&a.state[4], &b.state[0]);
    int ta, tb;
    struct vq_buf o = {0x40200000, 8};
    assert_int_equal(vq_add(&a, &o, 1, NULL, 0, &ta), VIRTIO_OK);
    assert_int_equal(vq_add(&b, &o, 1, NULL, 0, &tb), VIRTIO_OK); /* b.state[0].token = &tb */
    vq_kick_prepare(&a);
    device_use(m, &a, 4, 0);
    void *tok = NULL;
    uint32_t len;
    assert_int_equal(vq_get_used(&a, &tok, &len), VIRTIO_ERR_USED_ID_RANGE);
    assert_null(tok);
    assert_true(a.broken);
    assert_false(b.broken);
    vq_destroy(&a);
    vq_destroy(&b);
}

static void test_vq_bad_used_id_not_in_flight(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t1, t2;
    struct vq_buf o = {0x40200000, 8}, i = {0x40200100, 8};
    assert_int_equal(vq_add(&vq, &o, 1, &i, 1, &t1), VIRTIO_OK); /* descs 0 (head), 1 */
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t2), VIRTIO_OK); /* desc 2 */
    vq_kick_prepare(&vq);
    device_use(m, &vq, 1, 0); /* 1 is in flight, but not a head */
    void *tok;
    uint32_t len;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_BAD_USED);
    assert_true(vq.broken);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_BROKEN);
    vq_destroy(&vq);

    /* a head that was already returned is not in flight any more */
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t1), VIRTIO_OK); /* desc 0 */
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t2), VIRTIO_OK); /* desc 1 */
    vq_kick_prepare(&vq);
    device_use(m, &vq, 0, 0);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t1);
    device_use(m, &vq, 0, 0); /* again */
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_ID_TWICE);
    assert_true(vq.broken);
    vq_destroy(&vq);

    /* a descriptor never handed out */
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t1), VIRTIO_OK);
    vq_kick_prepare(&vq);
    device_use(m, &vq, 3, 0);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_BAD_USED);
    vq_destroy(&vq);
}

static void test_vq_used_idx_beyond_in_flight(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t;
    struct vq_buf o = {0x40200000, 8};
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t), VIRTIO_OK);
    vq_kick_prepare(&vq);
    device_use(m, &vq, 0, 1);
    assert_true(gm_write16(&m->mem, vq.used_phys + 2, 2)); /* two used, one in flight */
    void *tok;
    uint32_t len;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_IDX_JUMP);
    assert_true(vq.broken);
    vq_destroy(&vq);
}

static void test_vq_barriers_in_trace(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t;
    struct vq_buf o = {0x40200000, 24}, i = {0x40200100, 24};
    size_t start = m->trace.len;
    assert_int_equal(vq_add(&vq, &o, 1, &i, 1, &t), VIRTIO_OK);
    assert_true(vq_kick_prepare(&vq));

    long ring = fx_trace_find(m, start, TR_RING_STORE, NULL, vq.avail_phys + 4);
    long idx = fx_trace_find(m, start, TR_RING_STORE, NULL, vq.avail_phys + 2);
    assert_true(ring >= 0);
    assert_true(idx > ring);
    assert_int_equal(m->trace.ev[ring].value, 0);   /* head 0 */
    assert_int_equal(m->trace.ev[ring].size, 2);
    assert_int_equal(m->trace.ev[idx].value, 1);    /* avail.idx = 1 */
    /* every descriptor store comes before the wmb, too */
    long last_desc = fx_trace_rfind(m, idx, TR_RING_STORE, NULL, vq.desc_phys + 16 + 14);
    assert_true(last_desc >= 0 && last_desc < ring);
    long wmb = fx_trace_find(m, (size_t)ring, TR_BARRIER, "wmb", UINT64_MAX);
    assert_true(wmb > ring && wmb < idx);
    /* and there is no ring store between the wmb and the idx store */
    assert_int_equal(fx_trace_find(m, (size_t)wmb, TR_RING_STORE, NULL, UINT64_MAX), idx);

    long flags = fx_trace_find(m, (size_t)idx, TR_RING_LOAD, NULL, vq.used_phys);
    assert_true(flags > idx);
    long mb = fx_trace_rfind(m, flags, TR_BARRIER, "mb", UINT64_MAX);
    assert_true(mb > idx && mb < flags);

    /* vq_get_used: rmb between the used.idx load and the element loads */
    device_use(m, &vq, 0, 24);
    size_t s2 = m->trace.len;
    void *tok;
    uint32_t len;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    long uidx = fx_trace_find(m, s2, TR_RING_LOAD, NULL, vq.used_phys + 2);
    long uid = fx_trace_find(m, s2, TR_RING_LOAD, NULL, vq.used_phys + 4);
    long rmb = fx_trace_find(m, s2, TR_BARRIER, "rmb", UINT64_MAX);
    assert_true(uidx >= 0 && rmb > uidx && uid > rmb);
    vq_destroy(&vq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_modern_separate_16),
        cmocka_unit_test(test_layout_modern_packed_16),
        cmocka_unit_test(test_layout_modern_packed_many),
        cmocka_unit_test(test_layout_modern_invalid),
        cmocka_unit_test(test_layout_legacy),
        cmocka_unit_test(test_layout_legacy_invalid),
        cmocka_unit_test_setup_teardown(test_vq_create_separate, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_create_packed_and_legacy, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_create_nomem, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_add_writes_descriptors, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_nospc_and_empty, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_free_list_reuse, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_wrap_size2, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_wrap_size1, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_wrap_size4, setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_create_refuses_split_size_not_pow2, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_bad_used_id_out_of_range, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_bad_used_id_equal_num_next_to_busy_state,
                                        setup_machine, teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_bad_used_id_not_in_flight, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_used_idx_beyond_in_flight, setup_machine,
                                        teardown_machine),
        cmocka_unit_test_setup_teardown(test_vq_barriers_in_trace, setup_machine, teardown_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
