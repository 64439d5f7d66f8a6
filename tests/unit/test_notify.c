/* test_notify.c — notification suppression on both sides: the real driver's kick decision
 * (used.flags NO_NOTIFY, or avail_event with EVENT_IDX, across the 16-bit wrap) and its used_event
 * moves; the device model's interrupt decision (avail.flags NO_INTERRUPT, or used_event) and its
 * avail_event; the flag checks of notify_checks.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtqueue.h"
#include "sim_fixture.h"

#define QN 8u

struct rig {
    struct machine *m;
    struct virtq vq;
    uint64_t buf;
};

static void rig_up(struct rig *r, bool event_idx)
{
    r->m = fx_machine_new(2);
    if (event_idx)
        r->m->dev.guest_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    assert_int_equal(vq_create(&r->vq, 0, QN, VQ_LAYOUT_SEPARATE, 0), VIRTIO_OK);
    vq_set_event_idx(&r->vq, event_idx);
    r->m->dev.q[0].num = QN;
    fx_make_live(r->m, 0, r->vq.desc_phys, r->vq.avail_phys, r->vq.used_phys);
    assert_true(r->m->dev.q[0].live);
    void *p = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &r->buf);
    assert_non_null(p);
}

static void rig_down(struct rig *r) { fx_machine_free(r->m); }

static uint64_t avail_event_gpa(struct rig *r) { return r->vq.used_phys + 4 + 8u * QN; }
static uint64_t used_event_gpa(struct rig *r) { return r->vq.avail_phys + 4 + 2u * QN; }

/* Add one request and ask whether to kick. */
static bool add_and_ask(struct rig *r)
{
    static int token;
    struct vq_buf b = {r->buf, 64};
    assert_int_equal(vq_add(&r->vq, &b, 1, NULL, 0, &token), VIRTIO_OK);
    return vq_kick_prepare(&r->vq);
}

/* Start the indices at `at` on both sides, as if `at` requests had gone through. */
static void start_at(struct rig *r, uint16_t at)
{
    r->vq.avail_idx = r->vq.published_idx = r->vq.last_used_idx = r->vq.used_event = at;
    r->m->dev.q[0].last_avail_idx = r->m->dev.q[0].used_idx = at;
    r->m->dev.q[0].shadow_avail_idx = at; /* as a device that has taken every entry up to it */
    gm_write16(&r->m->mem, r->vq.avail_phys + 2, at);
    gm_write16(&r->m->mem, r->vq.used_phys + 2, at);
    gm_write16(&r->m->mem, used_event_gpa(r), at);
}

static void test_kick_follows_used_flags(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, false);
    assert_true(add_and_ask(&r));
    gm_write16(&r.m->mem, r.vq.used_phys, VIRTQ_USED_F_NO_NOTIFY);
    gm_write16(&r.m->mem, avail_event_gpa(&r), 1); /* must be ignored without EVENT_IDX */
    assert_false(add_and_ask(&r));
    gm_write16(&r.m->mem, r.vq.used_phys, 0);
    gm_write16(&r.m->mem, avail_event_gpa(&r), 0x7777);
    assert_true(add_and_ask(&r));
    rig_down(&r);
}

static void test_kick_follows_avail_event_and_ignores_flags(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    gm_write16(&r.m->mem, r.vq.used_phys, VIRTQ_USED_F_NO_NOTIFY); /* ignored with EVENT_IDX */
    gm_write16(&r.m->mem, avail_event_gpa(&r), 0);
    assert_true(add_and_ask(&r));  /* idx 0 → 1 passes avail_event 0 */
    assert_false(add_and_ask(&r)); /* 1 → 2 does not pass 0 */
    gm_write16(&r.m->mem, avail_event_gpa(&r), 3);
    assert_false(add_and_ask(&r)); /* 2 → 3: event 3 not yet */
    assert_true(add_and_ask(&r));  /* 3 → 4 passes 3 */
    rig_down(&r);
}

static void test_kick_decision_across_the_wrap(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    start_at(&r, 0xfffe);
    gm_write16(&r.m->mem, avail_event_gpa(&r), 0xffff);
    assert_false(add_and_ask(&r)); /* 0xfffe → 0xffff: event 0xffff not passed */
    assert_true(add_and_ask(&r));  /* 0xffff → 0x0000 passes it */
    gm_write16(&r.m->mem, avail_event_gpa(&r), 0x0001);
    assert_false(add_and_ask(&r)); /* 0x0000 → 0x0001 */
    assert_int_equal(r.vq.published_idx, 0x0001);
    rig_down(&r);
}

static void test_used_event_moves_before_waiting(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    start_at(&r, 0xffff);
    (void)add_and_ask(&r);
    void *t;
    uint32_t len;
    /* Nothing used yet: used_event already equals last_used_idx, so no store. */
    assert_int_equal(vq_get_used(&r.vq, &t, &len), VIRTIO_ERR_EMPTY);
    uint16_t v;
    gm_read16(&r.m->mem, used_event_gpa(&r), &v);
    assert_int_equal(v, 0xffff);
    /* The device uses it; the driver takes it, then moves used_event to the next (0x0000). */
    machine_process_queue(r.m, 0);
    assert_int_equal(vq_get_used(&r.vq, &t, &len), VIRTIO_OK);
    assert_int_equal(r.vq.last_used_idx, 0x0000);
    assert_int_equal(vq_get_used(&r.vq, &t, &len), VIRTIO_ERR_EMPTY);
    gm_read16(&r.m->mem, used_event_gpa(&r), &v);
    assert_int_equal(v, 0x0000);
    /* store, then mb, then the re-read: the trace shows it in that order */
    long st = fx_trace_rfind(r.m, (long)r.m->trace.len - 1, TR_RING_STORE, NULL, used_event_gpa(&r));
    assert_true(st >= 0);
    assert_int_equal(r.m->trace.ev[st + 1].kind, TR_BARRIER);
    assert_string_equal(r.m->trace.ev[st + 1].what, "mb");
    assert_int_equal(r.m->trace.ev[st + 2].kind, TR_RING_LOAD);
    assert_int_equal(r.m->trace.ev[st + 2].addr, r.vq.used_phys + 2);
    assert_int_equal(r.m->n_violations, 0);
    rig_down(&r);
}

static unsigned irqs(const struct machine *m)
{
    unsigned n = 0;
    for (size_t i = 0; i < m->trace.len; i++)
        n += m->trace.ev[i].kind == TR_IRQ;
    return n;
}

static void test_device_interrupts_follow_no_interrupt(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, false);
    (void)add_and_ask(&r);
    machine_process_queue(r.m, 0);
    assert_int_equal(irqs(r.m), 1);
    gm_write16(&r.m->mem, r.vq.avail_phys, VIRTQ_AVAIL_F_NO_INTERRUPT);
    (void)add_and_ask(&r);
    machine_process_queue(r.m, 0);
    assert_int_equal(irqs(r.m), 1); /* suppressed */
    assert_int_equal(r.m->dev.q[0].pushes, 2);
    assert_int_equal(r.m->n_violations, 0);
    rig_down(&r);
}

static void test_device_interrupts_follow_used_event_across_wrap(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    start_at(&r, 0xfffe);
    gm_write16(&r.m->mem, used_event_gpa(&r), 0xffff);
    (void)add_and_ask(&r);
    machine_process_queue(r.m, 0); /* used 0xfffe → 0xffff: first decision always signals */
    assert_int_equal(irqs(r.m), 1);
    (void)add_and_ask(&r);
    machine_process_queue(r.m, 0); /* 0xffff → 0x0000 passes used_event 0xffff */
    assert_int_equal(irqs(r.m), 2);
    (void)add_and_ask(&r);
    machine_process_queue(r.m, 0); /* 0x0000 → 0x0001 does not */
    assert_int_equal(irqs(r.m), 2);
    /* avail_event follows the device's next avail index, wrapped */
    uint16_t v;
    gm_read16(&r.m->mem, avail_event_gpa(&r), &v);
    assert_int_equal(v, 0x0001);
    rig_down(&r);
}

static void test_flag_checks_fire(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, false);
    notify_check_avail_flags(r.m, 0, 1, "test");
    assert_int_equal(r.m->n_violations, 0);
    notify_check_avail_flags(r.m, 0, 2, "test");
    assert_int_equal(fx_count_violations(r.m, "split.usednotif.flags-0-or-1"), 1);
    r.m->dev.guest_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    notify_check_avail_flags(r.m, 0, 1, "test");
    assert_int_equal(fx_count_violations(r.m, "split.usednotif.event-idx-flags-0"), 1);
    /* used.flags left non-zero when the ring goes live */
    gm_write16(&r.m->mem, r.vq.used_phys, 1);
    fx_make_live(r.m, 0, r.vq.desc_phys, r.vq.avail_phys, r.vq.used_phys);
    assert_int_equal(fx_count_violations(r.m, "split.availnotif.init-used-flags"), 1);
    rig_down(&r);
}

static void test_missed_kick_event_idx(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    gm_write16(&r.m->mem, avail_event_gpa(&r), 0);
    assert_true(add_and_ask(&r)); /* the driver says kick… */
    vhal_delay_ns(100);           /* …and waits without doing it */
    assert_int_equal(fx_count_violations(r.m, "split.availnotif.event-idx-must-notify"), 1);
    vhal_delay_ns(100);           /* reported once per idx */
    assert_int_equal(r.m->n_violations, 1);
    rig_down(&r);
}

static void test_no_kick_owed_is_silent(void **s)
{
    (void)s;
    struct rig r;
    rig_up(&r, true);
    gm_write16(&r.m->mem, avail_event_gpa(&r), 5);
    assert_false(add_and_ask(&r)); /* avail_event 5 not passed: no kick owed */
    vhal_delay_ns(100);
    assert_int_equal(r.m->n_violations, 0);
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kick_follows_used_flags),
        cmocka_unit_test(test_kick_follows_avail_event_and_ignores_flags),
        cmocka_unit_test(test_kick_decision_across_the_wrap),
        cmocka_unit_test(test_used_event_moves_before_waiting),
        cmocka_unit_test(test_device_interrupts_follow_no_interrupt),
        cmocka_unit_test(test_device_interrupts_follow_used_event_across_wrap),
        cmocka_unit_test(test_flag_checks_fire),
        cmocka_unit_test(test_missed_kick_event_idx),
        cmocka_unit_test(test_no_kick_owed_is_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
