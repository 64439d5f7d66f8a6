/* test_ring_rules.c — the ring-side checks added on top of QEMU's (indirect tables, chain length,
 * avail idx going back, entries of exposed chains changed) each silent on a correct ring and
 * firing with its rule id on a wrong one; the device obligations a driver relies on (used len,
 * used idx); and the driver's indirect-table builder. Rings are built by hand in guest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "spec/virtio_spec.h"
#include "model/checks/exposed_snapshot.h"
#include "model/checks/legacy_layout.h"
#include "sim_fixture.h"

#define N 16u
#define DESC 0x40100000ull
#define AVAIL 0x40101000ull
#define USED 0x40102000ull
#define TABLE 0x40103000ull
#define BUF 0x40200000ull
#define F_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)

static int setup(void **state)
{
    struct machine *m = fx_machine_new(2);
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, AVAIL, USED);
    assert_true(m->dev.q[0].live);
    m->dev.guest_features = (1ull << VIRTIO_F_VERSION_1) | F_INDIRECT;
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

/* Put `head` in the next available slot and publish it. */
static void offer(struct machine *m, uint16_t head) { fx_offer(m, AVAIL, N, head); }

/* Ring descriptor `head` names a two-entry table: 24 readable bytes, then 408 writable. */
static void indirect_chain(struct machine *m, uint16_t head, uint16_t head_flags)
{
    fx_write_desc(m, DESC, head, TABLE, 32, head_flags, 0);
    fx_write_desc(m, TABLE, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, TABLE, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
}

static void assert_only(struct machine *m, const char *rule)
{
    assert_int_equal(m->n_violations, 1);
    assert_int_equal(fx_count_violations(m, rule), 1);
    assert_true(fx_trace_find(m, 0, TR_VIOLATION, rule, UINT64_MAX) >= 0);
}

static void assert_fatal(struct machine *m, const char *rule, enum ring_err got)
{
    assert_true(ring_failed(got));
    assert_only(m, rule);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, rule);
}

/* The chain as QEMU maps it: both buffers of the table, in order. */
static void assert_table_chain(struct machine *m)
{
    const struct sr_chain *c = &m->chain;
    assert_true(c->indirect);
    assert_int_equal(c->table, TABLE);
    assert_int_equal(c->table_len, 32);
    assert_int_equal(c->nseg, 2);
    assert_int_equal(c->seg[0].gpa, BUF);
    assert_int_equal(c->seg[0].len, 24);
    assert_false(c->seg[0].write);
    assert_int_equal(c->seg[1].gpa, BUF + 0x100);
    assert_int_equal(c->seg[1].len, 408);
    assert_true(c->seg[1].write);
    assert_int_equal(c->readable, 24);
    assert_int_equal(c->writable, 408);
}

/* ---- indirect tables ----------------------------------------------------------------------- */

static void test_indirect_silent(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 5, VIRTQ_DESC_F_INDIRECT);
    offer(m, 5);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.head, 5);
    assert_table_chain(m);
    assert_int_equal(m->n_violations, 0);
    assert_false(m->dev.broken);
}

static void test_indirect_requires_feature_fires(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features &= ~F_INDIRECT;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK); /* QEMU walks it anyway */
    assert_table_chain(m);
    assert_only(m, "split.indirect.requires-feature");
    assert_false(m->dev.broken);
}

static void test_indirect_not_with_next_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT);
    fx_write_desc(m, DESC, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK); /* NEXT ignored: only the table */
    assert_table_chain(m);
    assert_only(m, "split.indirect.not-with-next");
}

static void test_indirect_flag_further_down_the_ring_is_a_buffer(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_false(m->chain.indirect);
    assert_int_equal(m->chain.nseg, 2);
    assert_int_equal(m->chain.writable, 408);
    assert_int_equal(m->n_violations, 0); /* negotiated, no NEXT: nothing broken */
}

static void test_indirect_no_nesting_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    fx_write_desc(m, TABLE, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK); /* mapped as a plain buffer */
    assert_table_chain(m);
    assert_only(m, "split.indirect.no-nesting");
}

static void test_indirect_table_size_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    fx_write_desc(m, DESC, 0, TABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_fatal(m, "split.indirect.table-size", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_indirect_table_size_zero_fires(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, TABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_fatal(m, "split.indirect.table-size", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_indirect_table_outside_ram_fires(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, FX_RAM_BASE + FX_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_indirect_table_loop_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    fx_write_desc(m, TABLE, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    offer(m, 0);
    assert_fatal(m, "split.desc.no-loops", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_indirect_table_next_out_of_range_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    fx_write_desc(m, TABLE, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 2); /* the table has 2 entries */
    offer(m, 0);
    assert_fatal(m, "split.desc.next-in-range", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_indirect_framing_fires(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    fx_write_desc(m, TABLE, 0, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, TABLE, 1, BUF, 24, 0, 0);
    offer(m, 0);
    assert_fatal(m, "split.framing.writable-after-readable", ring_pop(&m->dev.q[0], &m->chain));
}

/* A table chain of `len` entries of 16 readable bytes each. */
static void long_table(struct machine *m, uint32_t len)
{
    fx_write_desc(m, DESC, 0, TABLE, 16 * len, VIRTQ_DESC_F_INDIRECT, 0);
    for (uint32_t k = 0; k < len; k++)
        fx_write_desc(m, TABLE, k, BUF + 16 * k, 16, k + 1 < len ? VIRTQ_DESC_F_NEXT : 0,
                      (uint16_t)(k + 1 < len ? k + 1 : 0));
    offer(m, 0);
}

static void test_chain_len_silent_at_queue_size(void **state)
{
    struct machine *m = *state;
    long_table(m, N);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, N);
    assert_int_equal(m->chain.readable, 16 * N);
    assert_int_equal(m->n_violations, 0);
}

static void test_chain_len_fires_once_beyond(void **state)
{
    struct machine *m = *state;
    long_table(m, N + 3);
    /* QEMU takes up to 1024 buffers */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, N + 3);
    assert_only(m, "split.desc.chain-len-le-queue-size");
    assert_false(m->dev.broken);
}

/* ---- avail idx going back -------------------------------------------------------------------- */

static void test_idx_no_decrement_silent_when_unchanged(void **state)
{
    struct machine *m = *state;
    m->dev.q[0].last_avail_idx = m->dev.q[0].shadow_avail_idx = 5;
    assert_true(gm_write16(&m->mem, AVAIL + 2, 5));
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_int_equal(m->n_violations, 0);
}

static void test_idx_no_decrement_fires_across_wrap(void **state)
{
    struct machine *m = *state;
    m->dev.q[0].last_avail_idx = m->dev.q[0].shadow_avail_idx = 2;
    assert_true(gm_write16(&m->mem, AVAIL + 2, 65534)); /* 4 behind, across the 16-bit wrap */
    /* Reported when the device reads it; then QEMU takes slot 2 anyway: head 0, whose
     * descriptor (never written) has length 0, and it breaks on that. */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_ZERO_LEN);
    assert_int_equal(fx_count_violations(m, "split.avail.idx-no-decrement"), 1);
    assert_int_equal(fx_count_violations(m, "split.desc.zero-length"), 1);
    assert_string_equal(m->dev.broken_rule, "split.desc.zero-length");
}

/* ---- entries of exposed chains --------------------------------------------------------------- */

/* Play the driver: a store that lands in guest memory, then the hook hal_sim.c calls. */
static void drv16(struct machine *m, uint64_t gpa, uint16_t v)
{
    assert_true(gm_write16(&m->mem, gpa, v));
    exposed_on_driver_store(m, gpa, 2);
}

static void drv32(struct machine *m, uint64_t gpa, uint32_t v)
{
    assert_true(gm_write32(&m->mem, gpa, v));
    exposed_on_driver_store(m, gpa, 4);
}

static void publish(struct machine *m, uint16_t head)
{
    uint16_t idx;
    assert_true(gm_read16(&m->mem, AVAIL + 2, &idx));
    drv16(m, AVAIL + 4 + 2u * (idx % N), head);
    drv16(m, AVAIL + 2, (uint16_t)(idx + 1));
}

static void two_desc_chain(struct machine *m)
{
    fx_write_desc(m, DESC, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
}

static void test_exposed_silent_before_and_after(void **state)
{
    struct machine *m = *state;
    two_desc_chain(m);
    drv32(m, DESC + 8, 24);           /* not exposed yet: the driver may write what it likes */
    publish(m, 0);
    drv32(m, DESC + 8, 24);           /* the same value again changes nothing */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    ring_push(&m->dev.q[0], 0, 24);
    drv32(m, DESC + 8, 40);           /* used: the descriptor is the driver's again */
    drv32(m, DESC + 16 + 8, 100);
    assert_int_equal(m->n_violations, 0);
}

static void test_exposed_desc_change_fires_once_per_chain(void **state)
{
    struct machine *m = *state;
    two_desc_chain(m);
    publish(m, 0);
    drv32(m, DESC + 16 + 8, 100);     /* the response descriptor's len */
    assert_only(m, "cleanup.no-alter-exposed");
    assert_non_null(strstr(m->violations[0].message, "len at 0x40100018"));
    assert_non_null(strstr(m->violations[0].message, "head 0"));
    drv16(m, DESC + 12, 0);           /* more changes to the same chain: still one report */
    assert_int_equal(m->n_violations, 1);
    /* used, exposed again and changed again: a new report */
    ring_push(&m->dev.q[0], 0, 0);
    publish(m, 0);
    drv16(m, DESC + 14, 3);
    assert_int_equal(fx_count_violations(m, "cleanup.no-alter-exposed"), 2);
}

static void test_exposed_avail_slot_change_fires(void **state)
{
    struct machine *m = *state;
    two_desc_chain(m);
    publish(m, 0);
    drv16(m, AVAIL + 4, 1);
    assert_only(m, "cleanup.no-alter-exposed");
    assert_non_null(strstr(m->violations[0].message, "available-ring slot"));
}

static void test_exposed_indirect_table_change_fires(void **state)
{
    struct machine *m = *state;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    publish(m, 0);
    drv32(m, TABLE + 8, 16);
    assert_only(m, "cleanup.no-alter-exposed");
}

static void test_exposed_forgotten_when_queue_goes_live_again(void **state)
{
    struct machine *m = *state;
    two_desc_chain(m);
    publish(m, 0);
    fx_make_live(m, 0, DESC, AVAIL, USED); /* a new ring (after a reset) */
    assert_true(gm_write16(&m->mem, AVAIL + 2, 0));
    drv32(m, DESC + 8, 40);
    assert_int_equal(m->n_violations, 0);
}

/* ---- device obligations a driver relies on (§2.6.8) ------------------------------------------ */

/* A GET_DISPLAY_INFO request in BUF with a writable area of `resp_len` bytes. */
static void display_info_request(struct machine *m, uint16_t head, uint32_t resp_len)
{
    struct virtio_gpu_ctrl_hdr *h = gm_ptr(&m->mem, BUF, sizeof(*h));
    memset(h, 0, sizeof(*h));
    h->type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
    fx_write_desc(m, DESC, head, BUF, sizeof(*h), VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
    fx_write_desc(m, DESC, head + 1u, BUF + 0x1000 * (head + 1u), resp_len, VIRTQ_DESC_F_WRITE, 0);
    offer(m, head);
}

static void test_used_len_is_bytes_written(void **state)
{
    struct machine *m = *state;
    uint8_t *resp = gm_ptr(&m->mem, BUF + 0x1000, 4096);
    memset(resp, 0xa5, 4096);
    display_info_request(m, 0, 4096); /* room for more than the answer */
    machine_process_queue(m, 0);
    uint32_t id, len;
    assert_true(gm_read32(&m->mem, USED + 4, &id));
    assert_true(gm_read32(&m->mem, USED + 8, &len));
    assert_int_equal(id, 0);
    assert_int_equal(len, sizeof(struct virtio_gpu_resp_display_info)); /* 408, not 4096 */
    assert_int_equal(resp[len - 1] != 0xa5 || resp[len - 2] != 0xa5, 1); /* answer written */
    assert_int_equal(resp[len], 0xa5);  /* nothing written beyond len */
}

static void test_used_len_truncated_to_writable_area(void **state)
{
    struct machine *m = *state;
    display_info_request(m, 0, 100);
    machine_process_queue(m, 0);
    uint32_t len;
    assert_true(gm_read32(&m->mem, USED + 8, &len));
    assert_int_equal(len, 100);
}

static void test_used_idx_counts_elements_in_order(void **state)
{
    struct machine *m = *state;
    display_info_request(m, 0, 408);
    display_info_request(m, 2, 408);
    display_info_request(m, 4, 408);
    machine_process_queue(m, 0);
    uint16_t idx;
    assert_true(gm_read16(&m->mem, USED + 2, &idx));
    assert_int_equal(idx, 3); /* one per element */
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t id;
        assert_true(gm_read32(&m->mem, USED + 4 + 8 * k, &id));
        assert_int_equal(id, 2 * k);
    }
    /* the trace has the stores in order: element k, then used.idx = k + 1, then element k + 1 */
    long at = -1;
    for (uint32_t k = 0; k < 3; k++) {
        long el = fx_trace_find(m, (size_t)(at + 1), TR_USED, NULL, USED + 4 + 8 * k);
        assert_true(el > at);
        assert_int_equal(m->trace.ev[el].aux, 2 * k);
        assert_int_equal(m->trace.ev[el].value, 408);
        at = fx_trace_find(m, (size_t)el, TR_DEVICE, "used.idx", USED + 2);
        assert_true(at > el);
        assert_int_equal(m->trace.ev[at].value, k + 1);
        if (k < 2) /* the next element comes after this idx */
            assert_true(fx_trace_find(m, 0, TR_USED, NULL, USED + 4 + 8 * (k + 1)) > at);
    }
    assert_int_equal(m->n_violations, 0);
}

/* ---- the driver's indirect tables -------------------------------------------------------------- */

static void test_driver_indirect_chain(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_enable_indirect(&vq), VIRTIO_OK);
    assert_int_equal(vq_enable_indirect(&vq), VIRTIO_ERR_INVALID); /* once */
    int tok;
    struct vq_buf out = {BUF, 24}, in[2] = {{BUF + 0x100, 8}, {BUF + 0x200, 400}};
    assert_int_equal(vq_add(&vq, &out, 1, in, 2, &tok), VIRTIO_OK);
    assert_int_equal(vq.num_free, 3); /* one ring descriptor for three buffers */
    uint64_t a;
    uint32_t l;
    uint16_t f, nx;
    assert_true(gm_read64(&m->mem, vq.desc_phys, &a));
    assert_true(gm_read32(&m->mem, vq.desc_phys + 8, &l));
    assert_true(gm_read16(&m->mem, vq.desc_phys + 12, &f));
    assert_int_equal(a, vq.indirect_phys);
    assert_int_equal(a % 16, 0);
    assert_int_equal(l, 48);
    assert_int_equal(f, VIRTQ_DESC_F_INDIRECT); /* no NEXT with INDIRECT */
    static const struct { uint64_t addr; uint32_t len; uint16_t flags, next; } want[3] = {
        {BUF, 24, VIRTQ_DESC_F_NEXT, 1},
        {BUF + 0x100, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2},
        {BUF + 0x200, 400, VIRTQ_DESC_F_WRITE, 0},
    };
    for (uint32_t k = 0; k < 3; k++) {
        uint64_t ea;
        assert_true(gm_read64(&m->mem, a + 16 * k, &ea));
        assert_true(gm_read32(&m->mem, a + 16 * k + 8, &l));
        assert_true(gm_read16(&m->mem, a + 16 * k + 12, &f));
        assert_true(gm_read16(&m->mem, a + 16 * k + 14, &nx));
        assert_int_equal(ea, want[k].addr);
        assert_int_equal(l, want[k].len);
        assert_int_equal(f, want[k].flags);
        assert_int_equal(nx, want[k].next);
    }
    /* the device's view of it: silent, the same three buffers */
    m->dev.q[0].num = 4;
    fx_make_live(m, 0, vq.desc_phys, vq.avail_phys, vq.used_phys);
    assert_true(vq_kick_prepare(&vq)); /* publishes avail.idx = 1 */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_true(m->chain.indirect);
    assert_int_equal(m->chain.nseg, 3);
    assert_int_equal(m->chain.writable, 408);
    ring_push(&m->dev.q[0], m->chain.head, 408);
    void *t = NULL;
    assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_OK);
    assert_ptr_equal(t, &tok);
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(m->n_violations, 0);
    vq_destroy(&vq);
    assert_null(vq.indirect);
}

static void test_driver_indirect_not_for_one_buffer_or_too_many(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 16, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_enable_indirect(&vq), VIRTIO_OK);
    int tok;
    struct vq_buf one = {BUF, 24};
    assert_int_equal(vq_add(&vq, &one, 1, NULL, 0, &tok), VIRTIO_OK);
    uint16_t f;
    assert_true(gm_read16(&m->mem, vq.desc_phys + 12, &f));
    assert_int_equal(f, 0); /* a single buffer stays in the ring */
    struct vq_buf many[VQ_INDIRECT_MAX + 1];
    for (uint32_t k = 0; k <= VQ_INDIRECT_MAX; k++)
        many[k] = (struct vq_buf){BUF + 0x100 * k, 16};
    assert_int_equal(vq_add(&vq, many, VQ_INDIRECT_MAX + 1, NULL, 0, &tok), VIRTIO_OK);
    assert_int_equal(vq.num_free, 16 - 1 - (VQ_INDIRECT_MAX + 1)); /* a ring chain */
    assert_true(gm_read16(&m->mem, vq.desc_phys + 16 + 12, &f));
    assert_int_equal(f, VIRTQ_DESC_F_NEXT);
    vq_destroy(&vq);
}

static void test_driver_indirect_no_longer_than_queue(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 2, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_enable_indirect(&vq), VIRTIO_OK);
    int tok;
    struct vq_buf three[3] = {{BUF, 16}, {BUF + 0x100, 16}, {BUF + 0x200, 16}};
    /* §2.6.5.3.1: 3 buffers in a queue of 2 fit neither a table nor the ring */
    assert_int_equal(vq_add(&vq, three, 3, NULL, 0, &tok), VIRTIO_ERR_NOSPC);
    assert_int_equal(vq_add(&vq, three, 2, NULL, 0, &tok), VIRTIO_OK);
    uint16_t f;
    assert_true(gm_read16(&m->mem, vq.desc_phys + 12, &f));
    assert_int_equal(f, VIRTQ_DESC_F_INDIRECT);
    vq_destroy(&vq);
}

/* ---- split.legacy.layout ------------------------------------------------------------------------ */

static void test_legacy_layout_silent_in_the_used_ring(void **state)
{
    (void)state;
    struct machine *m = fx_machine_new(1);
    legacy_layout_on_driver_load(m, 0x40100128, 2); /* no queue live yet: nothing to compare */
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, DESC + 16 * N, USED);
    legacy_layout_on_driver_load(m, USED, 2);                 /* used.flags */
    legacy_layout_on_driver_load(m, USED + 2, 2);             /* used.idx */
    legacy_layout_on_driver_load(m, USED + 4 + 8 * (N - 1) + 4, 4); /* the last element's len */
    legacy_layout_on_driver_load(m, USED + 4 + 8 * N, 2);     /* avail_event */
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

static void test_legacy_layout_fires_once_outside(void **state)
{
    (void)state;
    struct machine *m = fx_machine_new(1);
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, DESC + 16 * N, USED);
    legacy_layout_on_driver_load(m, USED + 4 + 8 * N + 2, 2); /* just past the used ring */
    assert_only(m, "split.legacy.layout");
    assert_non_null(strstr(m->violations[0].message, "0x40102086"));
    legacy_layout_on_driver_load(m, 0x40100128, 2);
    assert_int_equal(m->n_violations, 1); /* one report per run */
    fx_machine_free(m);
}

static void test_legacy_layout_silent_on_modern(void **state)
{
    struct machine *m = *state; /* version 2: the driver gives every address itself */
    legacy_layout_on_driver_load(m, 0x40100128, 2);
    assert_int_equal(m->n_violations, 0);
}

/* ---- feat.no-access-platform-phys-addr ------------------------------------------------------------ */

static void test_virtual_address_fires(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, 0xffff000000000000ull + BUF, 24, 0, 0);
    offer(m, 0);
    assert_fatal(m, "feat.no-access-platform-phys-addr", ring_pop(&m->dev.q[0], &m->chain));
    assert_non_null(strstr(m->violations[0].message, "0xffff000040200000"));
}

static void test_virtual_table_address_fires(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, 0xffff800000000000ull + TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(m, 0);
    assert_fatal(m, "feat.no-access-platform-phys-addr", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_virtual_ring_address_fires(void **state)
{
    struct machine *m = *state;
    fx_make_live(m, 0, DESC, AVAIL, 0xffff000000000000ull + USED);
    assert_false(m->dev.q[0].live);
    assert_only(m, "feat.no-access-platform-phys-addr");
    assert_true(m->dev.broken);
}

static void test_plain_bad_address_is_not_virtual(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, 0x80000000ull, 24, 0, 0); /* outside RAM, but not virtual-looking */
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_virtual_address_with_access_platform_is_ram_rule(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= 1ull << VIRTIO_F_ACCESS_PLATFORM;
    fx_write_desc(m, DESC, 0, 0xffff000000000000ull + BUF, 24, 0, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- IN_ORDER ------------------------------------------------------------------------------------ */

#define F_IN_ORDER (1ull << VIRTIO_F_IN_ORDER)

static void test_in_order_ring_silent_sequential_and_wrapping(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= F_IN_ORDER;
    fx_write_desc(m, DESC, 14, BUF, 24, VIRTQ_DESC_F_NEXT, 15);
    fx_write_desc(m, DESC, 15, BUF + 0x100, 16, VIRTQ_DESC_F_NEXT, 0); /* the last links to 0 */
    fx_write_desc(m, DESC, 0, BUF + 0x200, 408, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 14);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, 3);
    assert_int_equal(m->n_violations, 0);
}

static void test_in_order_ring_fires(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= F_IN_ORDER;
    fx_write_desc(m, DESC, 2, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 2);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK); /* followed as linked */
    assert_int_equal(m->chain.nseg, 2);
    assert_only(m, "split.desc.in-order-next");
    assert_non_null(strstr(m->violations[0].message, "descriptor 2 links to 1 instead of 3"));
}

static void test_in_order_ring_silent_without_feature(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 2, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 2);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->n_violations, 0);
}

static void test_in_order_table_silent(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= F_IN_ORDER;
    indirect_chain(m, 0, VIRTQ_DESC_F_INDIRECT);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_table_chain(m);
    assert_int_equal(m->n_violations, 0);
}

static void test_in_order_table_fires(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= F_IN_ORDER;
    fx_write_desc(m, DESC, 0, TABLE, 48, VIRTQ_DESC_F_INDIRECT, 0);
    fx_write_desc(m, TABLE, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 2);
    fx_write_desc(m, TABLE, 2, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, 2);
    assert_only(m, "split.indirect.in-order-sequential");
    /* without IN_ORDER the same table is fine */
    m->dev.guest_features &= ~F_IN_ORDER;
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->n_violations, 1);
}

static void test_driver_in_order_allocates_in_ring_order(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 4, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_set_in_order(&vq), VIRTIO_OK);
    m->dev.q[0].num = 4;
    fx_make_live(m, 0, vq.desc_phys, vq.avail_phys, vq.used_phys);
    m->dev.guest_features |= F_IN_ORDER;
    int tok[3];
    struct vq_buf out = {BUF, 24}, in = {BUF + 0x100, 408};
    /* three chains of two descriptors in a queue of 4: 0-1, 2-3, then 0-1 again */
    static const uint16_t heads[3] = {0, 2, 0}, nexts[3] = {1, 3, 1};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(vq_add(&vq, &out, 1, &in, 1, &tok[k]), VIRTIO_OK);
        uint16_t next, idx;
        assert_true(gm_read16(&m->mem, vq.avail_phys + 4 + 2 * (k % 4), &idx));
        assert_int_equal(idx, heads[k]);
        assert_true(gm_read16(&m->mem, vq.desc_phys + 16 * heads[k] + 14, &next));
        assert_int_equal(next, nexts[k]);
        vq_kick_prepare(&vq);
        assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
        ring_push(&m->dev.q[0], m->chain.head, 408);
        void *t;
        uint32_t l;
        assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_OK);
        assert_ptr_equal(t, &tok[k]);
        assert_int_equal(l, 408);
    }
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(vq_set_in_order(&vq), VIRTIO_ERR_INVALID); /* only on a fresh queue */
    vq_destroy(&vq);
}

static void test_driver_in_order_batch(void **state)
{
    struct machine *m = *state;
    struct virtq vq;
    assert_int_equal(vq_create(&vq, 0, 8, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    assert_int_equal(vq_set_in_order(&vq), VIRTIO_OK);
    int tok[3];
    struct vq_buf out = {BUF, 24}, in = {BUF + 0x100, 408};
    for (int k = 0; k < 3; k++)
        assert_int_equal(vq_add(&vq, &out, 1, &in, 1, &tok[k]), VIRTIO_OK);
    vq_kick_prepare(&vq);
    /* the device writes one element for the batch: the last chain (head 4) */
    assert_true(gm_write32(&m->mem, vq.used_phys + 4, 4));
    assert_true(gm_write32(&m->mem, vq.used_phys + 8, 100));
    assert_true(gm_write16(&m->mem, vq.used_phys + 2, 1));
    void *t;
    uint32_t l;
    assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_OK);
    assert_ptr_equal(t, &tok[0]);
    assert_int_equal(l, 0);
    assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_OK);
    assert_ptr_equal(t, &tok[1]);
    assert_int_equal(l, 0);
    assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_OK);
    assert_ptr_equal(t, &tok[2]);
    assert_int_equal(l, 100);
    assert_int_equal(vq_get_used(&vq, &t, &l), VIRTIO_ERR_EMPTY);
    assert_int_equal(vq.num_free, 8);
    vq_destroy(&vq);
}

/* ---- split.desc.chain-max-4g ----------------------------------------------------------------------- */

static void chain_of(struct machine *m, uint32_t len0, uint32_t len1)
{
    fx_write_desc(m, DESC, 0, BUF, len0, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100000000ull, len1, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
}

static void test_chain_max_4g(void **state)
{
    (void)state;
    char err[256];
    struct machine_config cfg = fx_config(2);
    cfg.ram_size = 8ull << 30; /* reserved lazily: only touched pages cost memory */
    static struct machine big;
    assert_int_equal(machine_init(&big, &cfg, rules_builtin(err, sizeof(err))), 0);
    hal_sim_bind(&big);
    struct machine *m = &big;
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, AVAIL, USED);
    chain_of(m, 0x80000000u, 0x80000000u); /* exactly 2^32: allowed */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->n_violations, 0);
    chain_of(m, 0x80000000u, 0x80000010u); /* 16 bytes more */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK); /* QEMU carries on */
    assert_only(m, "split.desc.chain-max-4g");
    assert_non_null(strstr(m->violations[0].message, "4294967312 bytes"));
    hal_sim_unbind();
    machine_destroy(m);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_indirect_silent),
        T(test_indirect_requires_feature_fires),
        T(test_indirect_not_with_next_fires),
        T(test_indirect_flag_further_down_the_ring_is_a_buffer),
        T(test_indirect_no_nesting_fires),
        T(test_indirect_table_size_fires),
        T(test_indirect_table_size_zero_fires),
        T(test_indirect_table_outside_ram_fires),
        T(test_indirect_table_loop_fires),
        T(test_indirect_table_next_out_of_range_fires),
        T(test_indirect_framing_fires),
        T(test_chain_len_silent_at_queue_size),
        T(test_chain_len_fires_once_beyond),
        T(test_idx_no_decrement_silent_when_unchanged),
        T(test_idx_no_decrement_fires_across_wrap),
        T(test_exposed_silent_before_and_after),
        T(test_exposed_desc_change_fires_once_per_chain),
        T(test_exposed_avail_slot_change_fires),
        T(test_exposed_indirect_table_change_fires),
        T(test_exposed_forgotten_when_queue_goes_live_again),
        T(test_used_len_is_bytes_written),
        T(test_used_len_truncated_to_writable_area),
        T(test_used_idx_counts_elements_in_order),
        T(test_driver_indirect_chain),
        T(test_driver_indirect_not_for_one_buffer_or_too_many),
        T(test_driver_indirect_no_longer_than_queue),
        cmocka_unit_test(test_legacy_layout_silent_in_the_used_ring),
        cmocka_unit_test(test_legacy_layout_fires_once_outside),
        T(test_legacy_layout_silent_on_modern),
        T(test_virtual_address_fires),
        T(test_virtual_table_address_fires),
        T(test_virtual_ring_address_fires),
        T(test_plain_bad_address_is_not_virtual),
        T(test_virtual_address_with_access_platform_is_ram_rule),
        cmocka_unit_test(test_chain_max_4g),
        T(test_in_order_ring_silent_sequential_and_wrapping),
        T(test_in_order_ring_fires),
        T(test_in_order_ring_silent_without_feature),
        T(test_in_order_table_silent),
        T(test_in_order_table_fires),
        T(test_driver_in_order_allocates_in_ring_order),
        T(test_driver_in_order_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
