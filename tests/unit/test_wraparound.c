/* test_wraparound.c — index wrap-around through the real driver and the device model: queues of
 * 1, 2, 16 and 1024 entries carry more than 65536 requests each, so avail.idx, used.idx,
 * used_event and avail_event all pass 0xFFFF → 0, with and without EVENT_IDX. Nothing may fire,
 * every request must be answered, and both sides must agree on every index at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "driver/virtio_hal.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

#define REQUESTS 70000u

/* Returns the used idx the driver reached; everything else is checked here. */
static uint16_t run_wait(uint16_t qsize, bool event_idx, enum vgpu_wait wait)
{
    struct machine *m = fx_machine_new(2);
    struct vgpu g;
    struct vgpu_config cfg = {.mmio_base = FX_MMIO_BASE, .queue_size = qsize,
                              .layout = VQ_LAYOUT_SEPARATE, .timeout_ns = 10000000ull,
                              .features = event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0,
                              .wait = wait};
    assert_int_equal(vgpu_init(&g, &cfg), VIRTIO_OK);
    assert_int_equal(g.ctrl.event_idx, event_idx);
    /* Used-buffer interrupts, counted request by request: 70000 requests record more events
     * than the trace keeps (it is bounded, trace.h), so the events of each request are counted
     * while they are still there, by run-wide event number. */
    uint32_t irqs = 0;
    uint64_t seen = m->trace.dropped + m->trace.len;
    for (uint32_t i = 0; i < REQUESTS; i++) {
        struct virtio_gpu_resp_display_info info;
        memset(&info, 0, sizeof(info));
        int rc = vgpu_get_display_info(&g, &info);
        if (rc != VIRTIO_OK || info.pmodes[0].r.width != FX_DISPLAY_W)
            fail_msg("queue %u, event_idx %d: request %u: rc %d, width %u", qsize, event_idx, i,
                     rc, info.pmodes[0].r.width);
        assert_true(seen >= m->trace.dropped); /* none of this request's events was dropped */
        for (size_t k = (size_t)(seen - m->trace.dropped); k < m->trace.len; k++) {
            const struct trace_event *e = trace_ev(&m->trace, k);
            irqs += e->kind == TR_IRQ && e->what && !strcmp(e->what, "used");
        }
        seen = m->trace.dropped + m->trace.len;
    }
    const struct dev_queue *dq = &m->dev.q[0];
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(gpu_of(m)->commands, REQUESTS);
    assert_int_equal(dq->pops, REQUESTS);
    assert_int_equal(dq->notifies, REQUESTS); /* the device idles between requests: every kick is owed */
    assert_int_equal(dq->last_avail_idx, (uint16_t)REQUESTS);
    assert_int_equal(dq->used_idx, (uint16_t)REQUESTS);
    assert_int_equal(g.ctrl.published_idx, (uint16_t)REQUESTS);
    assert_int_equal(g.ctrl.num_free, qsize);
    uint16_t v;
    assert_true(gm_read16(&m->mem, dq->avail + 2, &v));
    assert_int_equal(v, (uint16_t)REQUESTS);
    if (event_idx) { /* both event fields wrapped along with the indices */
        assert_true(gm_read16(&m->mem, dq->used + 4 + 8ull * qsize, &v));
        assert_int_equal(v, (uint16_t)REQUESTS); /* avail_event: the next idx the device reads */
        assert_true(gm_read16(&m->mem, dq->avail + 4 + 2ull * qsize, &v));
        assert_int_equal(v, (uint16_t)(REQUESTS - 1)); /* used_event: set before the last wait */
    }
    /* One used-buffer interrupt per request: used_event asked for each one. */
    assert_int_equal(irqs, REQUESTS);
    uint16_t reached = g.ctrl.last_used_idx;
    fx_machine_free(m);
    return reached;
}

static uint16_t run(uint16_t qsize, bool event_idx)
{
    return run_wait(qsize, event_idx, VGPU_WAIT_POLL);
}

/* A one-entry queue cannot carry a command and its response (two buffers): not as two
 * descriptors, and not in an indirect table either, since a chain must not be longer than the
 * queue (§2.6.5.3.1). So here the real virtqueue code drives the device model directly with
 * one-descriptor chains (a header the gpu answers with used.len 0), kicking through QueueNotify
 * whenever the driver's suppression logic says so and waiting as the gpu driver does. */
static uint16_t run_vq(uint16_t qsize, bool event_idx)
{
    struct machine *m = fx_machine_new(2);
    /* the probe a driver starts with (§4.2.3.1), so the register-file checks stay quiet */
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_MAGIC_VALUE)), VIRTIO_MMIO_MAGIC);
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_VERSION)), 2);
    assert_int_equal(vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_DEVICE_ID)), VIRTIO_ID_GPU);
    if (event_idx)
        m->dev.guest_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, qsize, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    vq_set_event_idx(&vq, event_idx);
    m->dev.q[0].num = qsize;
    fx_make_live(m, 0, vq.desc_phys, vq.avail_phys, vq.used_phys);
    m->dev.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;
    uint64_t req_phys;
    struct virtio_gpu_ctrl_hdr *req = vhal_dma_alloc(sizeof(*req), 64, VHAL_DMA_BUFFER, &req_phys);
    assert_non_null(req);
    req->type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
    uint32_t kicks = 0;
    for (uint32_t i = 0; i < REQUESTS; i++) {
        struct vq_buf out = {req_phys, sizeof(*req)};
        assert_int_equal(vq_add(&vq, &out, 1, NULL, 0, req), VIRTIO_OK);
        if (vq_kick_prepare(&vq)) {
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_NOTIFY), 0);
            kicks++;
        }
        void *token = NULL;
        uint32_t len = 99;
        int rc;
        for (int tries = 0; (rc = vq_get_used(&vq, &token, &len)) == VIRTIO_ERR_EMPTY && tries < 100;
             tries++)
            vhal_delay_ns(5000);
        if (rc != VIRTIO_OK || token != req || len != 0)
            fail_msg("queue %u, event_idx %d: request %u: rc %d", qsize, event_idx, i, rc);
    }
    for (uint32_t i = 0; i < m->n_violations; i++)
        print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(kicks, REQUESTS);
    assert_int_equal(m->dev.q[0].pops, REQUESTS);
    assert_int_equal(m->dev.q[0].last_avail_idx, (uint16_t)REQUESTS);
    assert_int_equal(vq.num_free, qsize);
    fx_machine_free(m);
    return vq.last_used_idx;
}

/* 70000 requests leave every index at 70000 mod 65536 = 4464: it wrapped once. */
#define WRAPPED ((uint16_t)REQUESTS)

static void test_wrap_1(void **s)
{
    (void)s;
    assert_int_equal(run_vq(1, false), WRAPPED);
    assert_int_equal(run_vq(1, true), WRAPPED);
}
static void test_wrap_vq_2(void **s)
{
    (void)s;
    assert_int_equal(run_vq(2, false), WRAPPED);
    assert_int_equal(run_vq(2, true), WRAPPED);
}
static void test_wrap_2(void **s)
{
    (void)s;
    assert_int_equal(run(2, false), WRAPPED);
    assert_int_equal(run(2, true), WRAPPED);
    /* sleeping on the interrupt: used_event (or avail.flags) re-armed before every sleep */
    assert_int_equal(run_wait(2, false, VGPU_WAIT_INTERRUPT), WRAPPED);
    assert_int_equal(run_wait(2, true, VGPU_WAIT_INTERRUPT), WRAPPED);
}
static void test_wrap_16(void **s)
{
    (void)s;
    assert_int_equal(run(16, false), WRAPPED);
    assert_int_equal(run(16, true), WRAPPED);
}
static void test_wrap_1024(void **s)
{
    (void)s;
    assert_int_equal(run(1024, false), WRAPPED);
    assert_int_equal(run(1024, true), WRAPPED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_1),
        cmocka_unit_test(test_wrap_vq_2),
        cmocka_unit_test(test_wrap_2),
        cmocka_unit_test(test_wrap_16),
        cmocka_unit_test(test_wrap_1024),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
