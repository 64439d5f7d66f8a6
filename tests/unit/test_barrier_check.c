/* test_barrier_check.c — the barrier pairing analysis (src/model/checks/barrier_check.c) and the
 * notification checks (notify_checks.c): silent on the correct order, firing on each wrong one.
 * The sequences go through the HAL exactly as a driver's would, on a queue the device has live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "sim_fixture.h"

#define N 16u
#define DESC (FX_RAM_BASE + 0x10000)
#define AVAIL (FX_RAM_BASE + 0x11000)
#define USED (FX_RAM_BASE + 0x12000)

static const char *const A = "split.avail.idx-barrier";
static const char *const B = "split.notify.barrier-before-suppression-check";
static const char *const C = "split.receive.rmb-before-used-elem";
static const char *const D = "split.receive.mb-before-reread";

static struct machine *live(enum bc_mode mode, bool weak)
{
    struct machine *m = fx_machine_new(2);
    bc_init(&m->bc, mode, weak);
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, AVAIL, USED);
    assert_true(m->dev.q[0].live);
    return m;
}

static volatile uint16_t *p16(struct machine *m, uint64_t gpa) { return gm_ptr(&m->mem, gpa, 2); }
static volatile uint32_t *p32(struct machine *m, uint64_t gpa) { return gm_ptr(&m->mem, gpa, 4); }
static volatile uint64_t *p64(struct machine *m, uint64_t gpa) { return gm_ptr(&m->mem, gpa, 8); }

/* Driver steps, through the accessors. */
static void add_entry(struct machine *m, uint16_t slot, uint16_t head)
{
    vhal_ring_store64(p64(m, DESC + 16u * head), FX_RAM_BASE + 0x200000);
    vhal_ring_store32(p32(m, DESC + 16u * head + 8), 64);
    vhal_ring_store16(p16(m, DESC + 16u * head + 12), 0);
    vhal_ring_store16(p16(m, DESC + 16u * head + 14), 0);
    vhal_ring_store16(p16(m, AVAIL + 4 + 2u * (slot % N)), head);
}
static void publish(struct machine *m, uint16_t idx) { vhal_ring_store16(p16(m, AVAIL + 2), idx); }
static uint16_t load_used_flags(struct machine *m) { return vhal_ring_load16(p16(m, USED)); }
static uint16_t load_used_idx(struct machine *m) { return vhal_ring_load16(p16(m, USED + 2)); }
static uint32_t load_elem(struct machine *m, uint16_t i)
{
    return vhal_ring_load32(p32(m, USED + 4 + 8u * (i % N)));
}
static void store_used_event(struct machine *m, uint16_t v)
{
    vhal_ring_store16(p16(m, AVAIL + 4 + 2 * N), v);
}

static unsigned barrier_violations(struct machine *m)
{
    return fx_count_violations(m, A) + fx_count_violations(m, B) + fx_count_violations(m, C) +
           fx_count_violations(m, D);
}

/* ---- silent on the correct order ---------------------------------------------------------- */

static void correct_round(struct machine *m, uint16_t idx)
{
    add_entry(m, idx, (uint16_t)(idx % N));
    vhal_wmb();                      /* A */
    publish(m, (uint16_t)(idx + 1));
    vhal_mb();                       /* B */
    (void)load_used_flags(m);
    (void)load_used_idx(m);
    vhal_rmb();                      /* C */
    (void)load_elem(m, idx);
    store_used_event(m, (uint16_t)(idx + 1));
    vhal_mb();                       /* D */
    (void)load_used_idx(m);
    vhal_delay_ns(1000);
}

static void test_correct_sequence_is_silent(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    for (uint16_t i = 0; i < 40; i++) /* wraps a 16-entry ring twice */
        correct_round(m, i);
    assert_int_equal(barrier_violations(m), 0);
    fx_machine_free(m);
}

static void test_mb_serves_every_pairing(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    vhal_mb(); /* a full barrier is at least a write barrier… */
    publish(m, 1);
    vhal_mb();
    (void)load_used_flags(m);
    (void)load_used_idx(m);
    vhal_mb(); /* …and at least a read barrier */
    (void)load_elem(m, 0);
    assert_int_equal(barrier_violations(m), 0);
    fx_machine_free(m);
}

/* ---- pairing A ---------------------------------------------------------------------------- */

static void test_a_missing_wmb(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    publish(m, 1);
    assert_int_equal(fx_count_violations(m, A), 1);
    assert_int_equal(barrier_violations(m), 1);
    assert_string_equal(m->violations[0].rule->section, "2.6.13.3.1");
    fx_machine_free(m);
}

static void test_a_rmb_is_not_a_write_barrier(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    vhal_rmb();
    publish(m, 1);
    assert_int_equal(fx_count_violations(m, A), 1);
    fx_machine_free(m);
}

static void test_a_wmb_after_the_idx_store(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    publish(m, 1);
    vhal_wmb(); /* misplaced: after the store it should order */
    assert_int_equal(fx_count_violations(m, A), 1);
    fx_machine_free(m);
}

static void test_a_indirect_table_is_payload(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    uint64_t table = FX_RAM_BASE + 0x300000; /* outside the rings: an indirect table */
    vhal_ring_store64(p64(m, table), FX_RAM_BASE + 0x200000);
    vhal_wmb();
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    assert_int_equal(barrier_violations(m), 0);
    vhal_ring_store32(p32(m, table + 8), 64); /* written after the last wmb */
    add_entry(m, 1, 1);
    vhal_wmb();
    vhal_ring_store64(p64(m, table + 16), 0); /* and one after it: unordered again */
    publish(m, 2);
    assert_int_equal(fx_count_violations(m, A), 1);
    fx_machine_free(m);
}

/* The HAL settles a payload store by its area alone (hal_sim.c) also while other chains are
 * exposed: stores to free descriptors and slots stay silent and recorded, pairing A still
 * follows them, and a store on an exposed chain's copy still fires cleanup.no-alter-exposed
 * once, naming the chain, the field and the address; an exposed indirect table (a copy outside
 * the rings) changes nothing of that. */
static void test_stores_beside_exposed_chains(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    const char *X = "cleanup.no-alter-exposed";
    for (uint16_t h = 0; h < 4; h++) { /* chains beside exposed ones, each exposed in turn */
        size_t before = m->trace.len;
        add_entry(m, h, h);
        assert_int_equal(m->trace.len - before, 5); /* each store recorded */
        assert_int_equal(m->n_violations, 0);
        vhal_wmb();
        publish(m, (uint16_t)(h + 1));
    }
    assert_int_equal(m->n_violations, 0);
    add_entry(m, 4, 4); /* unordered payload, published: pairing A fires */
    publish(m, 5);
    assert_int_equal(fx_count_violations(m, A), 1);
    vhal_ring_store32(p32(m, DESC + 16 * 2 + 8), 65); /* chain 2's len, exposed */
    assert_int_equal(fx_count_violations(m, X), 1);
    const struct violation *v = &m->violations[m->n_violations - 1];
    assert_string_equal(v->rule->id, X);
    assert_non_null(strstr(v->message, "head 2"));
    assert_non_null(strstr(v->message, "len at 0x"));
    vhal_ring_store16(p16(m, DESC + 16 * 2 + 12), 1); /* the same chain again: one report */
    assert_int_equal(fx_count_violations(m, X), 1);
    vhal_ring_store16(p16(m, AVAIL + 4 + 2 * 3), 9); /* chain 3's slot */
    assert_int_equal(fx_count_violations(m, X), 2);
    assert_non_null(strstr(m->violations[m->n_violations - 1].message, "available-ring slot"));
    /* an indirect chain: its table is a copy outside the rings */
    uint64_t table = FX_RAM_BASE + 0x300000;
    vhal_ring_store64(p64(m, table), FX_RAM_BASE + 0x200000);
    vhal_ring_store32(p32(m, table + 8), 16);
    vhal_ring_store16(p16(m, table + 12), 0);
    add_entry(m, 5, 5);
    vhal_ring_store32(p32(m, DESC + 16 * 5 + 8), 16);
    vhal_ring_store16(p16(m, DESC + 16 * 5 + 12), VIRTQ_DESC_F_INDIRECT);
    vhal_ring_store64(p64(m, DESC + 16 * 5), table);
    vhal_wmb();
    publish(m, 6);
    add_entry(m, 6, 6); /* beside it: silent */
    assert_int_equal(fx_count_violations(m, X), 2);
    vhal_ring_store16(p16(m, table + 12), 1); /* its table */
    assert_int_equal(fx_count_violations(m, X), 3);
    assert_non_null(strstr(m->violations[m->n_violations - 1].message, "head 5"));
    fx_machine_free(m);
}

/* ---- pairing B ---------------------------------------------------------------------------- */

static void test_b_missing_mb(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    (void)load_used_flags(m);
    assert_int_equal(fx_count_violations(m, B), 1);
    assert_int_equal(barrier_violations(m), 1);
    fx_machine_free(m);
}

static void test_b_wmb_does_not_order_store_before_load(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    vhal_wmb();
    vhal_rmb();
    (void)vhal_ring_load16(p16(m, USED + 4 + 8 * N)); /* avail_event decides too */
    assert_int_equal(fx_count_violations(m, B), 1);
    fx_machine_free(m);
}

/* ---- pairing C ---------------------------------------------------------------------------- */

static void test_c_missing_rmb(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    (void)load_used_idx(m);
    (void)load_elem(m, 0);
    (void)vhal_ring_load32(p32(m, USED + 8)); /* len of the same element: one report */
    assert_int_equal(fx_count_violations(m, C), 1);
    assert_int_equal(barrier_violations(m), 1);
    fx_machine_free(m);
}

static void test_c_rmb_before_the_idx_load(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    vhal_rmb(); /* misplaced: before the load it should order */
    (void)load_used_idx(m);
    (void)load_elem(m, 0);
    assert_int_equal(fx_count_violations(m, C), 1);
    fx_machine_free(m);
}

static void test_c_element_without_idx(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    vhal_rmb();
    (void)load_elem(m, 0);
    assert_int_equal(fx_count_violations(m, C), 1);
    fx_machine_free(m);
}

static void test_layout_disagreement_is_not_judged(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    /* A driver whose used ring sits 4 bytes later than the device's: its 16-bit used.idx load
     * lands on what the device calls used.id of element 0. Not an element read. */
    (void)vhal_ring_load16(p16(m, USED + 6));
    (void)vhal_ring_load16(p16(m, USED + 4));
    assert_int_equal(barrier_violations(m), 0);
    fx_machine_free(m);
}

/* ---- pairing D ---------------------------------------------------------------------------- */

static void test_d_reread_without_mb(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    store_used_event(m, 1);
    (void)load_used_idx(m);
    vhal_delay_ns(1000);
    assert_int_equal(fx_count_violations(m, D), 1);
    assert_int_equal(barrier_violations(m), 1);
    fx_machine_free(m);
}

static void test_d_wait_without_reread(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    store_used_event(m, 1);
    vhal_mb();
    vhal_delay_ns(1000);
    assert_int_equal(fx_count_violations(m, D), 1);
    fx_machine_free(m);
}

/* Linux's virtqueue_disable_cb stores 0 to used_event; on a fresh ring (used.idx 0) that also
 * asks for an interrupt at the first used buffer. Its unfenced re-read is judged only if the
 * driver then waits on it: silent when it re-enables with a barrier first (a 6.1 guest's
 * virtio-net transmitq: virtqueue_enable_cb_delayed), a violation when it waits. */
static void test_d_disable_value_judged_when_the_driver_waits(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    store_used_event(m, 0);
    (void)load_used_idx(m);
    assert_int_equal(fx_count_violations(m, D), 0); /* not yet: an enable or a disable */
    vhal_delay_ns(1000);                             /* the driver waits on it */
    assert_int_equal(fx_count_violations(m, D), 1);
    assert_int_equal(barrier_violations(m), 1);
    fx_machine_free(m);
}

static void test_d_disable_value_then_fenced_enable_is_silent(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    store_used_event(m, 0);          /* virtqueue_disable_cb */
    (void)load_used_idx(m);          /* virtqueue_get_buf: nothing */
    store_used_event(m, 0);          /* virtqueue_enable_cb_delayed: virtio_store_mb */
    vhal_mb();
    (void)load_used_idx(m);
    vhal_delay_ns(1000);
    assert_int_equal(barrier_violations(m), 0);
    /* a 0 once used.idx moved on is no such value: judged at its re-read as before */
    struct machine *m2 = live(BC_ACCESSORS, false);
    vhal_ring_store16(p16(m2, USED + 2), 3);
    (void)load_used_idx(m2);
    store_used_event(m2, 3);
    (void)load_used_idx(m2);
    assert_int_equal(fx_count_violations(m2, D), 1);
    fx_machine_free(m2);
    fx_machine_free(m);
}

/* ---- plain mode: snapshot and diff -------------------------------------------------------- */

static void plain_round(struct machine *m, uint16_t idx, bool wmb)
{
    volatile uint16_t *slot = p16(m, AVAIL + 4 + 2u * (idx % N));
    *p64(m, DESC + 16u * (idx % N)) = FX_RAM_BASE + 0x200000 + idx; /* plain stores */
    *slot = (uint16_t)(idx % N);
    if (wmb)
        vhal_wmb();
    *p16(m, AVAIL + 2) = (uint16_t)(idx + 1);
    vhal_mb();
}

static void test_plain_correct_is_silent(void **state)
{
    (void)state;
    struct machine *m = live(BC_PLAIN, false);
    vhal_mb(); /* baseline snapshot */
    for (uint16_t i = 0; i < 20; i++)
        plain_round(m, i, true);
    assert_int_equal(barrier_violations(m), 0);
    fx_machine_free(m);
}

static void test_plain_missing_wmb(void **state)
{
    (void)state;
    struct machine *m = live(BC_PLAIN, false);
    vhal_mb();
    plain_round(m, 0, true);
    plain_round(m, 1, false);
    assert_int_equal(fx_count_violations(m, A), 1);
    assert_int_equal(barrier_violations(m), 1);
    fx_machine_free(m);
}

static void test_plain_sees_no_loads(void **state)
{
    (void)state;
    struct machine *m = live(BC_PLAIN, false);
    size_t before = m->trace.len;
    (void)load_used_idx(m);
    (void)load_elem(m, 0); /* no rmb, but plain mode cannot see loads */
    vhal_ring_store16(p16(m, AVAIL + 2), 0);
    assert_int_equal(m->trace.len, before);
    assert_int_equal(barrier_violations(m), 0);
    fx_machine_free(m);
}

/* ---- weak memory: the consequences -------------------------------------------------------- */

static void test_weak_a_device_sees_stale_entry(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, true);
    /* Slot 0 still holds head 0 from "before"; the new entry says head 5. */
    add_entry(m, 0, 5);
    publish(m, 1); /* no wmb: the device looks now and sees the old slot: head 0, length 0 */
    assert_int_equal(fx_count_violations(m, A), 1);
    assert_int_equal(fx_count_violations(m, "split.desc.zero-length"), 1);
    long w = fx_trace_find(m, 0, TR_DEVICE, NULL, UINT64_MAX);
    for (; w >= 0 && !strstr(m->trace.ev[w].what, "weak memory"); )
        w = fx_trace_find(m, (size_t)w + 1, TR_DEVICE, NULL, UINT64_MAX);
    assert_true(w >= 0);
    /* Afterwards memory holds what the driver stored. */
    uint16_t head;
    assert_true(gm_read16(&m->mem, AVAIL + 4, &head));
    assert_int_equal(head, 5);
    fx_machine_free(m);
}

static void test_weak_b_load_sees_no_notify(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, true);
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    assert_int_equal(load_used_flags(m) & VIRTQ_USED_F_NO_NOTIFY, VIRTQ_USED_F_NO_NOTIFY);
    assert_int_equal(fx_count_violations(m, B), 1);
    vhal_delay_ns(1000); /* the driver believed it and did not kick: a missed kick */
    assert_int_equal(fx_count_violations(m, "split.availnotif.flags0-must-notify"), 1);
    fx_machine_free(m);
}

static void test_weak_b_with_mb_reads_memory(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, true);
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    vhal_mb();
    assert_int_equal(load_used_flags(m), 0);
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

static unsigned used_irqs(const struct machine *m)
{
    unsigned n = 0;
    for (size_t i = 0; i < m->trace.len; i++)
        n += m->trace.ev[i].kind == TR_IRQ;
    return n;
}

static void test_weak_d_lost_wakeup(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, true);
    m->dev.guest_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    m->dev.status |= VIRTIO_STATUS_DRIVER_OK;
    /* One request through, with its interrupt (the first is always signalled). */
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    vhal_mb();
    machine_process_queue(m, 0);
    assert_int_equal(used_irqs(m), 1);
    /* The second is published and the device has it due; the driver re-arms used_event (0 → 1:
     * "interrupt me when element 1 is used") and re-reads used.idx with no full barrier. */
    add_entry(m, 1, 0);
    vhal_wmb();
    publish(m, 2);
    vhal_mb();
    m->dev.q[0].pending = true;
    store_used_event(m, 1);
    assert_int_equal(load_used_idx(m), 1); /* the re-read saw the old used.idx… */
    uint16_t now;
    assert_true(gm_read16(&m->mem, USED + 2, &now));
    assert_int_equal(now, 2);               /* …while the device had used the buffer */
    assert_int_equal(used_irqs(m), 1);      /* and, seeing used_event 0, stayed quiet */
    assert_int_equal(fx_count_violations(m, D), 1);
    uint16_t ue;
    assert_true(gm_read16(&m->mem, AVAIL + 4 + 2 * N, &ue));
    assert_int_equal(ue, 1); /* the driver's store landed afterwards */
    fx_machine_free(m);
}

/* ---- notifications: vring_need_event and the missed kick across the wrap ------------------ */

static void test_need_event_wraps(void **state)
{
    (void)state;
    assert_true(vq_need_event(0xffff, 0x0000, 0xffff));  /* old == event */
    assert_true(vq_need_event(0xfffe, 0x0001, 0xfffd));  /* event inside [old, new) across 0 */
    assert_true(vq_need_event(0x0000, 0x0001, 0xffff));
    assert_false(vq_need_event(0x0001, 0x0001, 0xffff)); /* event == new: not yet */
    assert_false(vq_need_event(0xfffc, 0x0001, 0xfffd)); /* event before old */
    assert_false(vq_need_event(5, 1, 0));
    assert_true(vring_need_event(0xffff, 0x0000, 0xffff)); /* the device's copy agrees */
    assert_false(vring_need_event(0xfffc, 0x0001, 0xfffd));
}

static void test_missed_kick_near_wrap(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    m->dev.q[0].last_avail_idx = 0xffff; /* everything up to 0xffff was consumed */
    gm_write16(&m->mem, AVAIL + 2, 0xffff);
    add_entry(m, 0xffff, 1);
    vhal_wmb();
    publish(m, 0x0000);
    vhal_mb();
    (void)load_used_flags(m);
    vhal_delay_ns(1000); /* no kick */
    assert_int_equal(fx_count_violations(m, "split.availnotif.flags0-must-notify"), 1);
    fx_machine_free(m);
}

static void test_kick_satisfies(void **state)
{
    (void)state;
    struct machine *m = live(BC_ACCESSORS, false);
    /* a probed, running device, so the register-file checks have nothing to say */
    (void)vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_MAGIC_VALUE));
    (void)vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_VERSION));
    (void)vhal_mmio_read32(fx_reg(m, VIRTIO_MMIO_DEVICE_ID));
    m->dev.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                    VIRTIO_STATUS_DRIVER_OK;
    add_entry(m, 0, 0);
    vhal_wmb();
    publish(m, 1);
    vhal_mb();
    (void)load_used_flags(m);
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_NOTIFY), 0);
    m->dev.q[0].pending = false; /* even if the device has not looked yet */
    vhal_delay_ns(1);
    for (uint32_t i = 0; i < m->n_violations; i++)
        print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_sequence_is_silent),
        cmocka_unit_test(test_mb_serves_every_pairing),
        cmocka_unit_test(test_a_missing_wmb),
        cmocka_unit_test(test_a_rmb_is_not_a_write_barrier),
        cmocka_unit_test(test_a_wmb_after_the_idx_store),
        cmocka_unit_test(test_a_indirect_table_is_payload),
        cmocka_unit_test(test_stores_beside_exposed_chains),
        cmocka_unit_test(test_b_missing_mb),
        cmocka_unit_test(test_b_wmb_does_not_order_store_before_load),
        cmocka_unit_test(test_c_missing_rmb),
        cmocka_unit_test(test_c_rmb_before_the_idx_load),
        cmocka_unit_test(test_c_element_without_idx),
        cmocka_unit_test(test_layout_disagreement_is_not_judged),
        cmocka_unit_test(test_d_reread_without_mb),
        cmocka_unit_test(test_d_wait_without_reread),
        cmocka_unit_test(test_d_disable_value_judged_when_the_driver_waits),
        cmocka_unit_test(test_d_disable_value_then_fenced_enable_is_silent),
        cmocka_unit_test(test_plain_correct_is_silent),
        cmocka_unit_test(test_plain_missing_wmb),
        cmocka_unit_test(test_plain_sees_no_loads),
        cmocka_unit_test(test_weak_a_device_sees_stale_entry),
        cmocka_unit_test(test_weak_b_load_sees_no_notify),
        cmocka_unit_test(test_weak_b_with_mb_reads_memory),
        cmocka_unit_test(test_weak_d_lost_wakeup),
        cmocka_unit_test(test_need_event_wraps),
        cmocka_unit_test(test_missed_kick_near_wrap),
        cmocka_unit_test(test_kick_satisfies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
