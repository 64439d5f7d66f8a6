/* test_diagnosis.c — the diagnosis engine and the device faults on synthetic machines: the
 * register accesses, ring stores and notifies are made directly through the HAL (no driver), so
 * each test builds exactly the situation it diagnoses and checks the cause ids, their order and
 * the evidence values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "model/diagnosis/diagnosis.h"
#include "sim_fixture.h"

#define DESC 0x40100000ull
#define AVAIL 0x40101000ull
#define USED 0x40102000ull
#define REQ 0x40200000ull
#define RESP 0x40201000ull
#define N 16u

static void wr(struct machine *m, uint32_t off, uint32_t v) { vhal_mmio_write32(fx_reg(m, off), v); }

static volatile uint16_t *ring16(struct machine *m, uint64_t gpa)
{
    return (volatile uint16_t *)gm_ptr(&m->mem, gpa, 2);
}

/* Version 2 queue 0 set up at DESC/AVAIL/USED with N entries, DRIVER_OK. */
static void setup_queue(struct machine *m)
{
    wr(m, VIRTIO_MMIO_STATUS, 0);
    wr(m, VIRTIO_MMIO_STATUS, 1 | 2);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, N);
    wr(m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
    wr(m, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
    wr(m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(m, VIRTIO_MMIO_STATUS, 1 | 2 | 4);
    assert_true(m->dev.q[0].live);
}

/* A GET_DISPLAY_INFO request in slot `k` of the available ring (head 0, readable + writable);
 * avail.idx is published only when `publish`. */
static void offer_request(struct machine *m, uint16_t k, bool publish)
{
    struct virtio_gpu_ctrl_hdr *h = gm_ptr(&m->mem, REQ, sizeof(*h));
    memset(h, 0, sizeof(*h));
    h->type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
    fx_write_desc(m, DESC, 0, REQ, sizeof(*h), VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, RESP, 408, VIRTQ_DESC_F_WRITE, 0);
    vhal_ring_store16(ring16(m, AVAIL + 4 + 2u * (k % N)), 0);
    if (publish)
        vhal_ring_store16(ring16(m, AVAIL + 2), (uint16_t)(k + 1));
}

static struct diagnosis *diag_new(struct machine *m, uint64_t since)
{
    struct diagnosis *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    struct diag_request rq = {.kind = DIAG_TIMEOUT, .queue = 0, .since = since};
    rq.driver = (struct diag_driver_view){true, DESC, AVAIL, USED, N, false};
    diagnose(m, &rq, d);
    return d;
}

static void assert_ev(const struct diagnosis *d, const char *key, const char *want)
{
    const char *got = diag_evidence_get(d, key);
    if (!got)
        fail_msg("no evidence '%s'", key);
    assert_string_equal(got, want);
}

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

/* A correct request is answered: nothing for the engine to say when the driver got an answer. */
static void test_answered_request_has_no_bad_response_cause(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    uint64_t since = m->now;
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 100000);
    assert_int_equal(m->dev.q[0].used_idx, 1);
    struct diagnosis d;
    struct diag_request rq = {.kind = DIAG_BAD_RESPONSE, .queue = 0, .since = since};
    diagnose(m, &rq, &d);
    assert_int_equal(d.n_causes, 0);
    assert_null(d.cause);
}

/* The device took the request and nothing known explains the silence: "unexplained", with
 * the evidence, never a guess. */
static void test_unexplained_shows_evidence(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    uint64_t since = m->now;
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    /* taken at once, never answered */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    machine_advance(m, m->now + 1000000);
    struct diagnosis *d = diag_new(m, since);
    assert_int_equal(d->n_causes, 1);
    assert_string_equal(d->cause, "unexplained");
    assert_non_null(strstr(d->causes[0].message, "cannot explain"));
    assert_ev(d, "requests_taken", "1");
    assert_ev(d, "answers_written", "0");
    assert_ev(d, "avail_idx_in_memory", "1");
    assert_ev(d, "device_avail_idx_seen", "1");
    assert_ev(d, "queue_live", "yes");
    free(d);
}

/* The ring loads the driver made since the request, outside the bounded trace: the address it
 * loaded most is where it polls, and its count is exact unless the table of addresses had to
 * push some out — then the count is said to be a lower bound ("at least"), never a wrong
 * number. The slot the driver loads now is never the one pushed out. */
static void poll_loads(struct machine *m, uint64_t gpa, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        (void)vhal_ring_load16(ring16(m, gpa));
}

static struct diagnosis *diag_since_mark(struct machine *m, const struct rf_mark *mk)
{
    struct diagnosis *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    struct diag_request rq = {.kind = DIAG_TIMEOUT, .queue = 0, .since = mk->t, .mark = mk};
    rq.driver = (struct diag_driver_view){true, DESC, AVAIL, USED, N, false};
    diagnose(m, &rq, d);
    return d;
}

static void test_poll_count_exact_or_a_lower_bound(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    poll_loads(m, USED + 2, 3);        /* before the request */
    struct rf_mark mk;
    rf_mark(m, &mk);
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    /* taken, never answered: unexplained */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    poll_loads(m, USED + 2, 40);
    for (uint32_t k = 0; k < RF_POLL_SLOTS; k++) /* 8 other addresses: one is pushed out */
        poll_loads(m, DESC + 12 + 16u * k, 10);
    assert_int_equal(m->facts.poll_evictions, 1);
    poll_loads(m, USED + 2, 5);
    struct diagnosis *d = diag_since_mark(m, &mk);
    assert_string_equal(d->cause, "unexplained");
    assert_ev(d, "driver_polled", "0x40102002");
    assert_ev(d, "driver_polls", "45"); /* held at the mark, never pushed out: exact */
    free(d);

    /* Now used.idx is pushed out by addresses loaded more; the most loaded since the mark is one
     * that came in after it while others were pushed out: a lower bound. */
    for (uint32_t k = 0; k < RF_POLL_SLOTS; k++)
        poll_loads(m, AVAIL + 4 + 2u * k, 100);
    d = diag_since_mark(m, &mk);
    assert_ev(d, "driver_polls", "at least 100");
    assert_int_equal(strncmp(diag_evidence_get(d, "driver_polled"), "0x401010", 8), 0);
    free(d);
}

/* D8, second form: avail.idx stored after the notify, and no second notify. */
static void test_avail_idx_after_notify(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    uint64_t since = m->now;
    offer_request(m, 0, false);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 2 * FX_LATENCY_NS); /* the device looked: nothing new */
    vhal_ring_store16(ring16(m, AVAIL + 2), 1);
    machine_advance(m, m->now + 1000000);
    assert_int_equal(m->dev.q[0].pops, 0);
    struct diagnosis *d = diag_new(m, since);
    assert_string_equal(d->cause, "avail-idx-not-advanced");
    assert_int_equal(d->n_causes, 1);
    assert_non_null(strstr(d->causes[0].message, "after the device had looked"));
    assert_ev(d, "avail_idx_in_memory", "1");
    assert_ev(d, "device_avail_idx_seen", "0");
    uint64_t notified = strtoull(diag_evidence_get(d, "notified_at_ns"), NULL, 10);
    uint64_t stored = strtoull(diag_evidence_get(d, "avail_idx_stored_at_ns"), NULL, 10);
    assert_true(stored > notified);
    free(d);
}

/* D6, second form: QueueSel ≥ 1024 is ignored and the setup goes to the queue selected before. */
static void test_queue_sel_ignored_keeps_previous(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_STATUS, 0);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1024); /* meant 0 */
    wr(m, VIRTIO_MMIO_QUEUE_NUM, N);
    wr(m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
    wr(m, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
    wr(m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_true(m->dev.q[1].live);
    assert_false(m->dev.q[0].live);
    uint64_t since = m->now;
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 1000000);
    struct diagnosis *d = diag_new(m, since);
    assert_string_equal(d->cause, "queue-sel-out-of-range");
    assert_int_equal(d->n_causes, 1); /* queue-not-ready would be the same fact again */
    assert_ev(d, "QueueSel", "1024");
    assert_ev(d, "selection_kept", "1");
    assert_non_null(strstr(d->causes[0].message, "applied to queue 1, not to queue 0"));
    free(d);
}

/* D11 by the driver: Status = 0 while a notified request waits for the device. */
static void test_driver_reset_while_queued(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    uint64_t since = m->now;
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    wr(m, VIRTIO_MMIO_STATUS, 0); /* before the device's latency has passed */
    machine_advance(m, m->now + 1000000);
    struct diagnosis *d = diag_new(m, since);
    assert_string_equal(d->cause, "reset-while-queued");
    assert_int_equal(d->n_causes, 1);
    assert_ev(d, "reset_by", "the driver (Status = 0)");
    assert_ev(d, "requests_lost", "1");
    assert_ev(d, "queue_live_now", "no");
    free(d);
}

/* A reset between requests, the queue not set up again: queue-not-ready says so. */
static void test_reset_before_request_undoes_setup(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    wr(m, VIRTIO_MMIO_STATUS, 0);
    machine_advance(m, m->now + 1000);
    uint64_t since = m->now;
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 1000000);
    struct diagnosis *d = diag_new(m, since);
    assert_string_equal(d->cause, "queue-not-ready");
    assert_ev(d, "reset_by", "the driver (Status = 0)");
    assert_non_null(strstr(d->causes[0].message, "did not set the queue up again"));
    free(d);
}

/* Device faults compose: respond-late and drop-interrupt on the same request give a late
 * answer with no interrupt; the next request is untouched. */
static void test_device_faults_compose(void **state)
{
    struct machine *m = *state;
    m->dfaults.f[0] = (struct device_fault){.kind = DF_RESPOND_LATE, .nth = 1, .delay_ns = 500000};
    m->dfaults.f[1] = (struct device_fault){.kind = DF_DROP_INTERRUPT, .nth = 1};
    m->dfaults.n = 2;
    setup_queue(m);
    offer_request(m, 0, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 100000);
    uint16_t idx = 0;
    gm_read16(&m->mem, USED + 2, &idx);
    assert_int_equal(idx, 0); /* held back */
    machine_advance(m, m->now + 1000000);
    gm_read16(&m->mem, USED + 2, &idx);
    assert_int_equal(idx, 1); /* released at its time */
    assert_int_equal(m->dev.irq_edges, 0);
    assert_int_equal(m->dev.isr, 0);
    assert_true(fx_trace_find(m, 0, TR_DEVICE, "drop-interrupt", UINT64_MAX) >= 0);
    offer_request(m, 1, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 100000);
    gm_read16(&m->mem, USED + 2, &idx);
    assert_int_equal(idx, 2);
    assert_int_equal(m->dev.irq_edges, 1);
    assert_int_equal(m->dfaults.f[0].fired, 1);
}

/* Selectors: from_nth and after_us. */
static void test_device_fault_selectors(void **state)
{
    struct machine *m = *state;
    m->dfaults.f[0] = (struct device_fault){.kind = DF_NEVER_RESPOND, .from_nth = 2,
                                            .after_ns = 0};
    m->dfaults.n = 1;
    setup_queue(m);
    uint16_t idx = 0;
    for (uint16_t k = 0; k < 3; k++) {
        offer_request(m, k, true);
        wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        machine_advance(m, m->now + 100000);
    }
    gm_read16(&m->mem, USED + 2, &idx);
    assert_int_equal(idx, 1); /* the 2nd and 3rd never answered */
    assert_int_equal(m->dfaults.f[0].fired, 2);

    struct machine *m2 = fx_machine_new(2);
    m2->dfaults.f[0] = (struct device_fault){.kind = DF_NEVER_RESPOND, .nth = 0,
                                             .after_ns = 1000000000ull};
    m2->dfaults.n = 1;
    setup_queue(m2);
    offer_request(m2, 0, true);
    wr(m2, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m2, m2->now + 100000);
    assert_int_equal(m2->dev.q[0].used_idx, 1); /* before 1 s: answered */
    machine_advance(m2, 2000000000ull);
    offer_request(m2, 1, true);
    wr(m2, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m2, m2->now + 100000);
    assert_int_equal(m2->dev.q[0].used_idx, 1); /* after 1 s: swallowed */
    fx_machine_free(m2);
    hal_sim_bind(m);
}

/* VIRTIO_F_EVENT_IDX: a driver that keeps used_event at the index it waits for gets an interrupt
 * for every answer; one that leaves it at 0 gets only the first. */
static void test_event_idx_used_event(void **state)
{
    struct machine *m = *state;
    setup_queue(m);
    m->dev.guest_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    for (uint16_t k = 0; k < 3; k++) {
        vhal_ring_store16(ring16(m, AVAIL + 4 + 2u * N), k); /* used_event = what we wait past */
        offer_request(m, k, true);
        wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        machine_advance(m, m->now + 100000);
        wr(m, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    }
    assert_int_equal(m->dev.irq_edges, 3);
    assert_int_equal(fx_trace_find(m, 0, TR_DEVICE, mmio_note_irq_suppressed_event, UINT64_MAX), -1);
    vhal_ring_store16(ring16(m, AVAIL + 4 + 2u * N), 0); /* stale */
    offer_request(m, 3, true);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    machine_advance(m, m->now + 100000);
    assert_int_equal(m->dev.q[0].used_idx, 4);
    assert_int_equal(m->dev.irq_edges, 3);
    long i = fx_trace_find(m, 0, TR_DEVICE, mmio_note_irq_suppressed_event, UINT64_MAX);
    assert_true(i >= 0);
    assert_int_equal(m->trace.ev[i].addr, AVAIL + 4 + 2u * N);
    assert_int_equal(m->trace.ev[i].value, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_request_has_no_bad_response_cause, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unexplained_shows_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_avail_idx_after_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_sel_ignored_keeps_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_reset_while_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_before_request_undoes_setup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_faults_compose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_fault_selectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_idx_used_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_count_exact_or_a_lower_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
