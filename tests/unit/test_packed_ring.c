/* test_packed_ring.c — the packed virtqueue (§2.7) on both sides.
 *
 * Device side (src/model/rings/packed_ring.c) on a plain buffer, without a machine: descriptors
 * written by hand, byte by byte, popped and marked used through the ring contract; each test
 * checks the bytes the device wrote, its ring offsets and its wrap counters.
 * Driver side (src/driver/vq_packed.c) through the queue API the gpu driver uses, on the
 * simulated machine: the bytes it writes, its offsets and wrap counters, the device model
 * answering; and a hostile device (the test writing the used descriptor) refused.
 * The exact-wrap case: a list that spans the whole ring, starting at offset 0 (it ends on the
 * last descriptor: both wrap counters flip once, the next list starts at 0 in the other lap),
 * and lists that start mid-ring and wrap inside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "model/devices/gpu_device.h"
#include "model/guest_memory.h"
#include "model/rings/packed_ring.h"
#include "model/rings/ring_hooks.h"
#include "sim_fixture.h"
#include "spec/virtio_spec.h"

#define BASE 0x10000ull
#define RAM_BYTES 0x4000u
#define N 4u
#define DESC (BASE + 0x000)
#define DRV (BASE + 0x100) /* driver event suppression */
#define DEV (BASE + 0x200) /* device event suppression */
#define BUF (BASE + 0x1000)

#define AV VIRTQ_DESC_F_AVAIL
#define US VIRTQ_DESC_F_USED

struct rig {
    _Alignas(16) uint8_t ram[RAM_BYTES];
    struct guest_memory mem;
    uint64_t features;
    bool broken;
    struct ring_env env;
    struct dev_queue q;
    struct sr_chain c;
    char rule[4][64];
    char message[4][512];
    unsigned n;
};

static void on_finding(void *ctx, enum ring_finding kind, const char *rule, int queue,
                       const char *fmt, va_list ap)
{
    (void)queue;
    struct rig *r = ctx;
    if (kind != RING_VIOLATION)
        r->broken = true;
    if (r->n < 4) {
        snprintf(r->rule[r->n], sizeof(r->rule[0]), "%s", rule);
        vsnprintf(r->message[r->n], sizeof(r->message[0]), fmt, ap);
        r->n++;
    }
}

static const struct ring_hooks hooks = {.finding = on_finding};

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->mem = (struct guest_memory){.base = BASE, .size = RAM_BYTES, .host = r->ram};
    r->features = 1ull << VIRTIO_F_RING_PACKED | 1ull << VIRTIO_F_VERSION_1;
    r->env = (struct ring_env){.mem = &r->mem, .features = &r->features, .broken = &r->broken,
                               .max_size = 1024, .hooks = &hooks, .ctx = r};
    ring_bind(&r->q, &split_ring_ops, &r->env, 0);
    ring_reset(&r->q, N);
    assert_int_equal(ring_configure(&r->q, N, DESC, DRV, DEV), RING_OK);
    assert_ptr_equal(r->q.ops, &packed_ring_ops); /* the features chose the format */
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint8_t *at(struct rig *r, uint64_t gpa) { return r->ram + (gpa - BASE); }

/* Descriptor i as a driver writes it: addr, len, id, then flags. */
static void put_desc(struct rig *r, uint32_t i, uint64_t addr, uint32_t len, uint16_t id,
                     uint16_t flags)
{
    uint8_t *p = at(r, DESC + 16ull * i);
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &id, 2);
    memcpy(p + 14, &flags, 2);
}

static void get_used(struct rig *r, uint32_t i, uint16_t *id, uint32_t *len, uint16_t *flags)
{
    uint8_t *p = at(r, DESC + 16ull * i);
    memcpy(len, p + 8, 4);
    memcpy(id, p + 12, 2);
    memcpy(flags, p + 14, 2);
}

/* A list of `count` descriptors from ring offset `start` in lap `wrap` (flipping at the end of
 * the ring as a correct driver does), 2 readable then the rest writable, buffer id `id`. */
static void offer_list(struct rig *r, uint32_t start, uint32_t count, bool wrap, uint16_t id)
{
    for (uint32_t k = count; k-- > 0;) { /* the head's flags last */
        uint32_t i = (start + k) % N;
        bool w = (start + k >= N) ? !wrap : wrap;
        uint16_t flags = (w ? AV : US) | (k < 2 ? 0 : VIRTQ_DESC_F_WRITE) |
                         (k + 1 < count ? VIRTQ_DESC_F_NEXT : 0);
        put_desc(r, i, BUF + 0x100 * k, 16 + k, id, flags);
    }
}

/* A list that spans the whole ring from offset 0: taken whole, both wrap counters flip once and
 * the used descriptor lands on offset 0 with AVAIL = USED = 1; the next lap (wrap 0) again. */
static void test_device_exact_wrap(void **state)
{
    struct rig *r = *state;
    for (unsigned lap = 0; lap < 3; lap++) {
        bool wrap = lap % 2 == 0; /* §2.7.1: starts at 1 */
        assert_int_equal(packed_avail_wrap(&r->q), wrap);
        offer_list(r, 0, N, wrap, (uint16_t)(7 + lap));
        assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
        assert_int_equal(r->c.head, 7 + lap);
        assert_int_equal(r->c.nseg, N);
        for (uint32_t k = 0; k < N; k++) {
            assert_int_equal(r->c.seg[k].gpa, BUF + 0x100 * k);
            assert_int_equal(r->c.seg[k].len, 16 + k);
            assert_int_equal(r->c.seg[k].write, k >= 2);
            assert_int_equal(r->c.seg[k].desc, k);
        }
        assert_int_equal(r->q.last_avail_idx, 0);
        assert_int_equal(packed_avail_wrap(&r->q), !wrap); /* flipped exactly once */
        assert_int_equal(r->q.pk_inuse_descs, N);
        assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY); /* offset 0 is in the old lap */
        assert_true(ring_push(&r->q, (uint16_t)(7 + lap), 5));
        uint16_t id, flags;
        uint32_t len;
        get_used(r, 0, &id, &len, &flags);
        assert_int_equal(id, 7 + lap);
        assert_int_equal(len, 5);
        assert_int_equal(flags, wrap ? AV | US : 0); /* §2.7.1: AVAIL = USED = used wrap */
        assert_int_equal(r->q.used_idx, 0);
        assert_int_equal(packed_used_wrap(&r->q), !wrap);
        assert_int_equal(r->q.pk_inuse_descs, 0);
    }
    assert_int_equal(r->n, 0);
}

/* Lists of 3 on a ring of 4 start at 0, 3, 2, 1, 0: every one but the first wraps inside. */
static void test_device_list_wraps_inside(void **state)
{
    struct rig *r = *state;
    uint32_t start = 0;
    bool wrap = true;
    for (unsigned k = 0; k < 8; k++) {
        offer_list(r, start, 3, wrap, (uint16_t)k);
        assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
        assert_int_equal(r->c.head, k);
        assert_int_equal(r->c.seg[2].desc, (start + 2) % N);
        assert_true(ring_push(&r->q, (uint16_t)k, 1));
        uint16_t id, flags;
        uint32_t len;
        get_used(r, start, &id, &len, &flags);
        assert_int_equal(id, k);
        assert_int_equal(flags, wrap ? AV | US : 0);
        if (start + 3 >= N)
            wrap = !wrap;
        start = (start + 3) % N;
        assert_int_equal(r->q.last_avail_idx, start);
        assert_int_equal(r->q.used_idx, start);
        assert_int_equal(packed_avail_wrap(&r->q), wrap);
        assert_int_equal(packed_used_wrap(&r->q), wrap);
    }
    assert_int_equal(r->n, 0);
}

/* The classic exact-wrap bug: the driver does not flip its wrap counter for the descriptors after
 * the end of the ring: the head is available, the rest of the list is not (packed.first-desc-last
 * with the descriptor, its flags and the wrap counter it needed). */
static void test_device_wrap_not_flipped(void **state)
{
    struct rig *r = *state;
    offer_list(r, 0, 3, true, 1);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(ring_push(&r->q, 1, 1));
    /* from offset 3: 3 (wrap 1), then 0 and 1 stored as if still wrap 1 */
    put_desc(r, 0, BUF, 8, 2, AV | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
    put_desc(r, 1, BUF, 8, 2, AV | VIRTQ_DESC_F_WRITE);
    put_desc(r, 3, BUF, 8, 2, AV | VIRTQ_DESC_F_NEXT);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK); /* QEMU reads it anyway */
    assert_int_equal(r->n, 2);
    assert_string_equal(r->rule[0], "packed.first-desc-last");
    assert_non_null(strstr(r->message[0], "starts at descriptor 3"));
    assert_non_null(strstr(r->message[0], "descriptor 0 is not (flags 0x0083: AVAIL 1, USED 0; "
                                          "its wrap counter is 0)"));
    assert_non_null(strstr(r->message[1], "descriptor 1 is not"));
}

/* A list longer than the ring (NEXT on every descriptor): QEMU's "Looped descriptor". */
static void test_device_list_longer_than_ring(void **state)
{
    struct rig *r = *state;
    for (uint32_t i = 0; i < N; i++)
        put_desc(r, i, BUF, 8, 0, AV | VIRTQ_DESC_F_NEXT);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_LOOP);
    assert_string_equal(r->rule[r->n - 1], "packed.list-le-queue-size");
    assert_true(r->broken);
}

/* An indirect list takes one ring descriptor; its table's entries are read in order. */
static void test_device_indirect(void **state)
{
    struct rig *r = *state;
    uint64_t table = BASE + 0x800;
    uint8_t *t = at(r, table);
    for (unsigned k = 0; k < 3; k++) {
        uint64_t a = BUF + 0x10 * k;
        uint32_t l = 4 + k;
        uint16_t id = 0, f = k ? VIRTQ_DESC_F_WRITE : 0;
        memcpy(t + 16 * k, &a, 8);
        memcpy(t + 16 * k + 8, &l, 4);
        memcpy(t + 16 * k + 12, &id, 2);
        memcpy(t + 16 * k + 14, &f, 2);
    }
    put_desc(r, 0, table, 48, 9, AV | VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(r->c.indirect);
    assert_int_equal(r->c.nseg, 3);
    assert_int_equal(r->c.writable, 5 + 6);
    assert_int_equal(r->q.last_avail_idx, 1);
    assert_true(ring_push(&r->q, 9, 11));
    assert_int_equal(r->q.used_idx, 1);
    assert_int_equal(r->n, 0);
}

/* Driver event suppression (QEMU's virtio_packed_should_notify): DISABLE, ENABLE, DESC with an
 * offset and its wrap bit (the other lap's offset counts a queue size back). */
static void test_device_driver_event(void **state)
{
    struct rig *r = *state;
    struct ring_suppress why;
    uint16_t ev[2];
    for (unsigned k = 0; k < 3; k++) { /* three one-descriptor lists, used: used_idx 3 */
        put_desc(r, k, BUF, 8, (uint16_t)k, AV | VIRTQ_DESC_F_WRITE);
        assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
        assert_true(ring_push(&r->q, (uint16_t)k, 1));
    }
    ev[0] = 0;
    ev[1] = VIRTQ_PEVENT_F_DISABLE;
    memcpy(at(r, DRV), ev, 4);
    assert_false(ring_need_interrupt(&r->q, &why));
    ev[1] = VIRTQ_PEVENT_F_ENABLE;
    memcpy(at(r, DRV), ev, 4);
    assert_true(ring_need_interrupt(&r->q, &why)); /* signalled_used = 3 from now on */
    put_desc(r, 3, BUF, 8, 3, AV | VIRTQ_DESC_F_WRITE);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(ring_push(&r->q, 3, 1)); /* used_idx 0, used wrap 0 */
    ev[0] = 3 | 1u << 15; /* offset 3 of the lap of wrap 1: passed (3 → 0 of the next lap) */
    ev[1] = VIRTQ_PEVENT_F_DESC;
    memcpy(at(r, DRV), ev, 4);
    assert_true(ring_need_interrupt(&r->q, &why));
    put_desc(r, 0, BUF, 8, 0, US | VIRTQ_DESC_F_WRITE); /* lap wrap 0 */
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(ring_push(&r->q, 0, 1)); /* used_idx 1 */
    ev[0] = 3; /* offset 3 of the lap of wrap 0: not reached */
    memcpy(at(r, DRV), ev, 4);
    assert_false(ring_need_interrupt(&r->q, &why));
    assert_true(why.by_event);
    assert_int_equal(why.value, 3);
    assert_int_equal(r->n, 0);
}

/* ---- the driver, on the simulated machine ---------------------------------------------------- */

/* A modern device with RING_PACKED negotiated and the driver's packed ring of qsize live. */
static struct machine *driver_rig(struct virtq *vq, uint16_t qsize)
{
    struct machine *m = fx_machine_new(2);
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_MAGIC_VALUE)), VIRTIO_MMIO_MAGIC);
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_VERSION)), 2);
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_DEVICE_ID)), VIRTIO_ID_GPU);
    m->dev.guest_features |= 1ull << VIRTIO_F_RING_PACKED | 1ull << VIRTIO_F_VERSION_1;
    assert_int_equal(vq_create(vq, 0, qsize, VQ_LAYOUT_PACKED_RING, 0), VIRTIO_OK);
    assert_int_equal(vq->desc_phys % 16, 0); /* §2.7.10.1 */
    assert_int_equal(vq->avail_phys % 4, 0);
    assert_int_equal(vq->used_phys % 4, 0);
    m->dev.q[0].num = qsize;
    assert_int_equal(fx_make_live(m, 0, vq->desc_phys, vq->avail_phys, vq->used_phys), RING_OK);
    m->dev.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                    VIRTIO_STATUS_DRIVER_OK;
    return m;
}

static void no_violations(const struct machine *m)
{
    for (uint32_t i = 0; i < m->n_violations; i++)
        print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
    assert_int_equal(m->n_violations, 0);
}

/* GET_DISPLAY_INFO as a list of `parts` buffers (the header split over `parts - 1` readable
 * ones, the response in one writable one) until the lists have wrapped the ring many times:
 * every answer checked by content, and both sides' offsets and wrap counters agree throughout.
 * With parts == qsize each list spans the whole ring: the exact-wrap case. */
static void drive(uint16_t qsize, unsigned parts, bool indirect)
{
    struct virtq vq;
    struct machine *m = driver_rig(&vq, qsize);
    if (indirect) {
        m->dev.guest_features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
        assert_int_equal(vq_enable_indirect(&vq), VIRTIO_OK);
    }
    uint64_t req_phys, resp_phys;
    struct virtio_gpu_ctrl_hdr *req = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &req_phys);
    struct virtio_gpu_resp_display_info *resp =
        vhal_dma_alloc(sizeof(*resp), 64, VHAL_DMA_BUFFER, &resp_phys);
    assert_non_null(req);
    assert_non_null(resp);
    memset(req, 0, 64);
    req->type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
    struct vq_buf out[4], in = {resp_phys, sizeof(*resp)};
    uint32_t cut = sizeof(*req) / (parts - 1u);
    for (unsigned k = 0; k + 1 < parts; k++)
        out[k] = (struct vq_buf){req_phys + k * cut,
                                 k + 2 < parts ? cut : sizeof(*req) - k * cut};
    uint16_t pos = 0;
    bool wrap = true;
    unsigned ring_descs = indirect ? 1u : parts;
    for (unsigned i = 0; i < 3u * qsize + 1u; i++) {
        memset(resp, 0, sizeof(*resp));
        assert_int_equal(vq_add(&vq, out, parts - 1u, &in, 1, req), VIRTIO_OK);
        uint16_t head_flags = vq.pdesc[pos].flags;
        assert_int_equal(head_flags & (AV | US), wrap ? AV : US);
        uint16_t id = vq.pdesc[pos].id; /* the buffer id names this request */
        assert_true(id < qsize);
        assert_ptr_equal(vq.state[id].token, req);
        if (vq_kick_prepare(&vq))
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_NOTIFY), 0);
        void *token = NULL;
        uint32_t len = 0;
        int rc;
        for (int tries = 0; (rc = vq_get_used(&vq, &token, &len)) == VIRTIO_ERR_EMPTY && tries < 100;
             tries++)
            vhal_delay_ns(5000);
        assert_int_equal(rc, VIRTIO_OK);
        assert_ptr_equal(token, req);
        assert_int_equal(len, sizeof(*resp));
        assert_int_equal(resp->hdr.type, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
        assert_int_equal(resp->pmodes[0].r.width, FX_DISPLAY_W);
        assert_int_equal(resp->pmodes[0].r.height, FX_DISPLAY_H);
        /* the used descriptor where the list began: AVAIL = USED = the lap's wrap counter */
        assert_int_equal(vq.pdesc[pos].flags & (AV | US), wrap ? AV | US : 0);
        assert_int_equal(vq.pdesc[pos].len, sizeof(*resp));
        if (pos + ring_descs >= qsize)
            wrap = !wrap;
        pos = (uint16_t)((pos + ring_descs) % qsize);
        const struct dev_queue *dq = &m->dev.q[0];
        assert_int_equal(vq.next_avail, pos);
        assert_int_equal(vq.last_used, pos);
        assert_int_equal(vq.avail_wrap, wrap);
        assert_int_equal(vq.used_wrap, wrap);
        assert_int_equal(dq->last_avail_idx, pos);
        assert_int_equal(dq->used_idx, pos);
        assert_int_equal(packed_avail_wrap(dq), wrap);
        assert_int_equal(packed_used_wrap(dq), wrap);
        assert_int_equal(vq.num_free, qsize);
    }
    assert_int_equal(m->dev.q[0].pops, 3u * qsize + 1u);
    no_violations(m);
    vq_destroy(&vq);
    fx_machine_free(m);
}

static void test_driver_exact_wrap_whole_ring(void **s)
{
    (void)s;
    drive(4, 4, false); /* every list spans the whole ring */
    drive(3, 3, false); /* a size that is not a power of two (§2.7 allows it) */
}

static void test_driver_lists_wrap_inside(void **s)
{
    (void)s;
    drive(5, 2, false); /* starts 0, 2, 4 (wraps), 1, 3 (wraps) … */
    drive(4, 3, false);
}

static void test_driver_indirect(void **s)
{
    (void)s;
    drive(4, 4, true); /* one ring descriptor per list, the table holding four */
}

/* ---- the driver against a hostile device: the test writes the used descriptor ---------------- */

static struct machine *hostile_rig(struct virtq *vq, void **req)
{
    struct machine *m = driver_rig(vq, 4);
    uint64_t phys;
    *req = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &phys);
    struct vq_buf out = {phys, 16}, in = {phys + 32, 8};
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, *req), VIRTIO_OK); /* id 0, descriptors 0-1 */
    return m;
}

static void device_writes(struct virtq *vq, uint16_t id, uint32_t len, uint16_t flags)
{
    vq->pdesc[0].id = id;
    vq->pdesc[0].len = len;
    vq->pdesc[0].flags = flags;
}

static void hostile(uint16_t id, uint32_t len, uint16_t flags, int want)
{
    struct virtq vq;
    void *req, *token = NULL;
    uint32_t l = 0;
    struct machine *m = hostile_rig(&vq, &req);
    device_writes(&vq, id, len, flags);
    assert_int_equal(vq_get_used(&vq, &token, &l), want);
    assert_null(token); /* nothing handed out */
    assert_true(vq.broken);
    assert_int_equal(vq.broken_status, want);
    assert_int_equal(vq_get_used(&vq, &token, &l), VIRTIO_ERR_BROKEN);
    vq_destroy(&vq);
    fx_machine_free(m);
}

static void test_driver_hostile(void **s)
{
    (void)s;
    hostile(4, 8, AV | US, VIRTIO_ERR_USED_ID_RANGE);  /* id not below the queue size */
    hostile(1, 8, AV | US, VIRTIO_ERR_BAD_USED);       /* id 1 never handed out */
    hostile(0, 9, AV | US, VIRTIO_ERR_USED_LEN);       /* 9 > the 8 writable bytes */
    hostile(0, 8, US, VIRTIO_ERR_BAD_USED);            /* USED for lap 1 without AVAIL */
}

static void test_driver_id_twice_and_clean(void **s)
{
    (void)s;
    struct virtq vq;
    void *req, *token = NULL;
    uint32_t l = 0;
    struct machine *m = hostile_rig(&vq, &req);
    assert_int_equal(vq_get_used(&vq, &token, &l), VIRTIO_ERR_EMPTY); /* the driver's own flags */
    device_writes(&vq, 0, 8, AV | US);
    assert_int_equal(vq_get_used(&vq, &token, &l), VIRTIO_OK);
    assert_ptr_equal(token, req);
    assert_int_equal(l, 8);
    assert_int_equal(vq.last_used, 2); /* the list took two descriptors */
    vq.pdesc[2].id = 0; /* and the device uses id 0 again at offset 2 */
    vq.pdesc[2].len = 8;
    vq.pdesc[2].flags = AV | US;
    assert_int_equal(vq_get_used(&vq, &token, &l), VIRTIO_ERR_USED_ID_TWICE);
    vq_destroy(&vq);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_exact_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_list_wraps_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_wrap_not_flipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_list_longer_than_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_indirect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_driver_event, setup, teardown),
        cmocka_unit_test(test_driver_exact_wrap_whole_ring),
        cmocka_unit_test(test_driver_lists_wrap_inside),
        cmocka_unit_test(test_driver_indirect),
        cmocka_unit_test(test_driver_hostile),
        cmocka_unit_test(test_driver_id_twice_and_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
