/* test_vq_hostile.c — the driver's virtqueue against a hostile device (VirtIO 1.1 §2.6.8):
 * every bad used element gives its own error, latches the queue broken, writes nothing to the
 * caller's outputs and reads nothing outside the driver's arrays (ASan/UBSan are on). The
 * "device" here is the test writing the used ring in guest memory directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtqueue.h"
#include "sim_fixture.h"

static int setup(void **state)
{
    *state = fx_machine_new(2);
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static uint16_t used_idx(struct machine *m, const struct virtq *vq)
{
    uint16_t v;
    assert_true(gm_read16(&m->mem, vq->used_phys + 2, &v));
    return v;
}

/* The device writes element (id, len) at its used.idx and publishes `advance` more elements. */
static void device_put(struct machine *m, const struct virtq *vq, uint32_t id, uint32_t len,
                       uint16_t advance)
{
    uint16_t idx = used_idx(m, vq);
    uint64_t e = vq->used_phys + 4 + 8ull * (idx % vq->num);
    assert_true(gm_write32(&m->mem, e, id));
    assert_true(gm_write32(&m->mem, e + 4, len));
    assert_true(gm_write16(&m->mem, vq->used_phys + 2, (uint16_t)(idx + advance)));
}

/* A request as the gpu driver makes it: 24 readable bytes, then a 24-byte writable response. */
static void add_req(struct virtq *vq, void *token)
{
    struct vq_buf o = {0x40200000, 24}, i = {0x40200100, 24};
    assert_int_equal(vq_add(vq, &o, 1, &i, 1, token), VIRTIO_OK);
}

/* After a latched error: every call says broken, and the caller's outputs stay as they were. */
static void assert_latched(struct virtq *vq, int why)
{
    void *tok = (void *)vq;
    uint32_t len = 0xabcd;
    int t;
    struct vq_buf b = {0x40200000, 8};
    assert_true(vq->broken);
    assert_int_equal(vq->broken_status, why);
    assert_int_equal(vq_get_used(vq, &tok, &len), VIRTIO_ERR_BROKEN);
    assert_ptr_equal(tok, vq);
    assert_int_equal(len, 0xabcd);
    assert_int_equal(vq_add(vq, &b, 1, NULL, 0, &t), VIRTIO_ERR_BROKEN);
    assert_false(vq_kick_prepare(vq));
}

static void test_used_len_above_writable_strict(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t;
    add_req(&vq, &t);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 25, 1); /* one byte more than the 24-byte response buffer */
    void *tok = NULL;
    uint32_t len = 7;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_LEN);
    assert_null(tok);
    assert_int_equal(len, 7);
    assert_int_equal(vq.last_used_idx, 0); /* the element was not consumed */
    assert_latched(&vq, VIRTIO_ERR_USED_LEN);
    vq_destroy(&vq);
}

static void test_used_len_exactly_writable_is_fine(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t;
    add_req(&vq, &t);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 24, 1);
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t);
    assert_int_equal(len, 24);
    assert_false(vq.broken);
    vq_destroy(&vq);
}

static void test_used_len_above_writable_lenient_clamps(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    vq_set_used_len_policy(&vq, VQ_USED_LEN_LENIENT);
    int t1, t2;
    add_req(&vq, &t1);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 0xffffffffu, 1);
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t1);
    assert_int_equal(len, 24); /* cut to the writable bytes */
    assert_int_equal(vq.len_clamped, 1);
    assert_false(vq.broken);
    /* a readable-only chain: no byte may be reported written */
    struct vq_buf o = {0x40200000, 56};
    assert_int_equal(vq_add(&vq, &o, 1, NULL, 0, &t2), VIRTIO_OK);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 56, 1);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t2);
    assert_int_equal(len, 0);
    assert_int_equal(vq.len_clamped, 2);
    vq_destroy(&vq);
}

static void test_used_id_every_out_of_range_value(void **state)
{
    struct machine *m = *state;
    static const uint32_t ids[] = {8, 9, 0xffff, 0x10000, 0x7fffffffu, 0xffffffffu};
    for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        struct virtq vq;
        assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
        int t;
        add_req(&vq, &t);
        vq_kick_prepare(&vq);
        device_put(m, &vq, ids[k], 0, 1);
        void *tok = NULL;
        uint32_t len = 0;
        assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_ID_RANGE);
        assert_latched(&vq, VIRTIO_ERR_USED_ID_RANGE);
        assert_int_equal(vq.num_free, 6); /* the chain stays the device's: nothing freed */
        vq_destroy(&vq);
    }
}

static void test_used_id_not_a_head_then_twice(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t1, t2;
    add_req(&vq, &t1); /* descriptors 0 (head) and 1 */
    add_req(&vq, &t2); /* 2 (head) and 3 */
    vq_kick_prepare(&vq);
    device_put(m, &vq, 1, 0, 1); /* in flight, but the second descriptor of a chain */
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_BAD_USED);
    assert_latched(&vq, VIRTIO_ERR_BAD_USED);
    vq_destroy(&vq);

    /* both in flight; the device returns the first twice instead of the second */
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    add_req(&vq, &t1);
    add_req(&vq, &t2);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 24, 1);
    device_put(m, &vq, 0, 24, 1);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t1);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_ID_TWICE);
    assert_ptr_equal(tok, &t1); /* unchanged by the failing call */
    assert_latched(&vq, VIRTIO_ERR_USED_ID_TWICE);
    vq_destroy(&vq);
}

static void test_used_idx_jump_counts_published_only(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t1, t2;
    add_req(&vq, &t1);
    vq_kick_prepare(&vq);
    add_req(&vq, &t2); /* written but not published: the device cannot have used it */
    device_put(m, &vq, 0, 24, 2);
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_IDX_JUMP);
    assert_null(tok);
    assert_latched(&vq, VIRTIO_ERR_USED_IDX_JUMP);
    vq_destroy(&vq);

    /* a jump across the 16-bit wrap: used.idx 0xffff with one in flight */
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    add_req(&vq, &t1);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 24, 0xffff);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_IDX_JUMP);
    vq_destroy(&vq);
}

/* The device rewrites the descriptor table after taking a chain: the driver frees the chain by
 * its private copy, so the free list and the next request are unharmed. */
static void test_rewritten_descriptors_are_ignored(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    int t1, t2;
    add_req(&vq, &t1);
    vq_kick_prepare(&vq);
    for (uint32_t i = 0; i < 4; i++) /* garbage: loops, huge lengths, every flag */
        fx_write_desc(m, vq.desc_phys, i, 0xdeadbeefull, 0xffffffffu, 0xffff, (uint16_t)i);
    device_put(m, &vq, 0, 24, 1);
    void *tok = NULL;
    uint32_t len = 0;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t1);
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(vq.free_head, 0);
    assert_int_equal(vq.state[0].next, 1); /* the private links, untouched */
    assert_int_equal(vq.state[1].next, 2);
    add_req(&vq, &t2);
    vq_kick_prepare(&vq);
    device_put(m, &vq, 0, 3, 1);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
    assert_ptr_equal(tok, &t2);
    assert_int_equal(len, 3);
    assert_false(vq.broken);
    vq_destroy(&vq);
}

/* IN_ORDER: a batch element names a later chain; its len is judged against that chain when the
 * element itself is consumed. */
static void test_in_order_batch_len_checked_on_named_chain(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_set_in_order(&vq), VIRTIO_OK);
    int t1, t2;
    add_req(&vq, &t1); /* 0,1 */
    add_req(&vq, &t2); /* 2,3 */
    vq_kick_prepare(&vq);
    device_put(m, &vq, 2, 99, 1); /* one element for both; 99 > 24 */
    void *tok = NULL;
    uint32_t len = 5;
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK); /* the older chain, len 0 */
    assert_ptr_equal(tok, &t1);
    assert_int_equal(len, 0);
    assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_ERR_USED_LEN);
    assert_latched(&vq, VIRTIO_ERR_USED_LEN);
    vq_destroy(&vq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_used_len_above_writable_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_used_len_exactly_writable_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_used_len_above_writable_lenient_clamps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_used_id_every_out_of_range_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_used_id_not_a_head_then_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_used_idx_jump_counts_published_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewritten_descriptors_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_order_batch_len_checked_on_named_chain, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
