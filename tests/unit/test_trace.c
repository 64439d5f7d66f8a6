/* test_trace.c — the bounded trace (src/model/trace.c) and the benchmark's checks-off
 * switch (machine_config.checks_off): what is kept, what is dropped and counted, and that the
 * plain path still moves data but records nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtio_mmio.h"
#include "driver/virtqueue.h"
#include "model/machine.h"
#include "model/transport/pci_function.h"
#include "sim_fixture.h"

static void store(struct trace *t, uint64_t time, uint64_t value)
{
    assert_non_null(trace_record(t, time, TR_RING_STORE, 0x40000000u, value, 2, NULL));
}

static void test_bound_keeps_newest_quarter_and_counts(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 8);
    for (uint64_t i = 0; i < 20; i++)
        store(&t, i, i);
    /* 8 full: the 9th append keeps the newest 2 (6, 7) and adds 8; the 15th likewise. */
    assert_true(t.len <= 8);
    assert_true(t.cap <= 8);
    assert_int_equal(t.dropped + t.len, 20);
    assert_int_equal(t.dropped, 12);
    for (size_t k = 0; k < t.len; k++) /* in order, newest last */
        assert_int_equal(trace_ev(&t, k)->value, t.dropped + k);
    assert_int_equal(trace_ev(&t, t.len - 1)->value, 19);
    assert_int_equal(trace_ev(&t, t.len - 1)->count, 1);
    trace_free(&t);
    assert_int_equal(t.len, 0);
    assert_int_equal(t.dropped, 0);
    assert_int_equal(t.limit, 8); /* trace_free keeps the bound */
}

/* The window is circular (trace.h): across many drops, with a bound that is not a power of two,
 * event i of the window is always the run's event dropped + i, the run-wide numbers find them,
 * and trace_linearize puts the same events at ev[0..len) in the same order. */
static void test_circular_window_matches_the_run(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 11);
    for (uint64_t i = 0; i < 200; i++) {
        store(&t, i, 1000 + i);
        assert_int_equal(t.dropped + t.len, i + 1);
        assert_true(t.len <= 11 && t.head < t.cap);
        for (size_t k = 0; k < t.len; k++) {
            assert_int_equal(trace_ev(&t, k)->value, 1000 + t.dropped + k);
            assert_int_equal(trace_seq(&t, trace_ev(&t, k)), t.dropped + k);
        }
        if (i == 150)
            assert_true(t.head != 0); /* (the case this test is about) */
    }
    assert_int_equal(trace_first_since(&t, t.dropped + 1), 1);
    uint64_t dropped = t.dropped;
    size_t len = t.len;
    trace_linearize(&t);
    assert_int_equal(t.head, 0);
    assert_int_equal(t.dropped, dropped);
    assert_int_equal(t.len, len);
    for (size_t k = 0; k < t.len; k++)
        assert_int_equal(t.ev[k].value, 1000 + t.dropped + k);
    store(&t, 200, 1200); /* and recording goes on from there */
    assert_int_equal(trace_ev(&t, t.len - 1)->value, 1200);
    trace_free(&t);
}

static void test_default_bound(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 0);
    assert_int_equal(t.limit, TRACE_DEFAULT_LIMIT);
    trace_init(&t, 1); /* a bound of 1 could not keep the event just added and its successor */
    assert_int_equal(t.limit, 2);
}

static void test_identical_loads_fold_at_the_bound(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 4);
    store(&t, 0, 1);
    store(&t, 1, 2);
    store(&t, 2, 3);
    for (int i = 0; i < 5; i++) /* a polling driver: one event, count 5, nothing dropped */
        assert_non_null(trace_record(&t, 3 + (uint64_t)i, TR_RING_LOAD, 0x40001002u, 7, 2, "x"));
    assert_int_equal(t.len, 4);
    assert_int_equal(t.dropped, 0);
    assert_int_equal(t.ev[3].count, 5);
    assert_int_equal(t.ev[3].t, 3); /* the first load's time */
    struct trace_event e = {.t = 9, .addr = 0x40001002u, .value = 7, .kind = TR_RING_LOAD, .size = 2};
    assert_ptr_equal(trace_add(&t, &e), &t.ev[3]);
    assert_int_equal(t.ev[3].count, 6);
    e.value = 8; /* a different value: a new event; the trace keeps its newest quarter */
    struct trace_event *n = trace_add(&t, &e);
    assert_non_null(n);
    assert_int_equal(t.dropped, 3);
    assert_int_equal(t.len, 2);
    assert_ptr_equal(n, trace_ev(&t, 1));
    assert_int_equal(n->value, 8);
    assert_int_equal(n->count, 1);
    assert_int_equal(trace_ev(&t, 0)->count, 6);
    assert_int_equal(trace_ev(&t, 0)->value, 7);
    trace_free(&t);
}

static void test_first_since_is_a_binary_search(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 0);
    assert_int_equal(trace_first_since(&t, 0), 0);
    static const uint64_t times[] = {0, 0, 5, 5, 9};
    for (uint64_t i = 0; i < 5; i++)
        store(&t, times[i], i);
    assert_int_equal(trace_first_since(&t, 0), 0);
    assert_int_equal(trace_first_since(&t, 1), 2);
    assert_int_equal(trace_first_since(&t, 5), 2);
    assert_int_equal(trace_first_since(&t, 6), 4);
    assert_int_equal(trace_first_since(&t, 9), 4);
    assert_int_equal(trace_first_since(&t, 10), 5);
    trace_free(&t);
}

/* The note of an MMIO write is filled in after the device acted; the trace may have dropped its
 * oldest events meanwhile: the note must land on the right event (or nowhere), never elsewhere. */
static void test_mmio_note_lands_on_its_event_past_the_bound(void **state)
{
    (void)state;
    char err[256];
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(2);
    cfg.trace_limit = 4;
    assert_int_equal(machine_init(m, &cfg, rules_builtin(err, sizeof(err))), 0);
    hal_sim_bind(m);
    for (int i = 0; i < 7; i++) /* QueueNotify for a queue the device does not have */
        vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_NOTIFY), 5);
    assert_true(m->trace.dropped > 0);
    assert_true(m->trace.len <= 4);
    unsigned writes = 0;
    for (size_t k = 0; k < m->trace.len; k++) { /* (other checks may record violations too) */
        const struct trace_event *e = trace_ev(&m->trace, k);
        if (e->kind != TR_MMIO_WRITE)
            continue;
        writes++;
        assert_string_equal(e->what, "QueueNotify");
        assert_string_equal(e->note, "ignored: no such queue on this device");
    }
    assert_true(writes > 0);
    fx_machine_free(m);
}

/* The same for a PCI configuration-space write, whose checks record a violation (a write
 * inside a virtio capability, pci.no-write-capability) before its note is filled in: each
 * append may grow or shift the array, so a pointer held across them is stale (the campaign of
 * 2026-12-07 found this as a use after free in fuzz_device_model). The note lands on the write,
 * never on the violation after it. */
static void pci_cfg_write_after(size_t limit, size_t prefill)
{
    char err[256];
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(2);
    cfg.transport = TRANSPORT_PCI;
    cfg.trace_limit = limit;
    assert_int_equal(machine_init(m, &cfg, rules_builtin(err, sizeof(err))), 0);
    hal_sim_bind(m);
    while (m->trace.len < prefill) /* the array exactly this full before the write */
        assert_non_null(machine_trace(m, TR_DEVICE, m->trace.len, 0, 0, "prefill"));
    vhal_pci_cfg_write32(PCI_FN_BDF, PCI_FN_CAP_COMMON, 0xdeadbeefu);
    unsigned writes = 0, violations = 0;
    for (size_t k = 0; k < m->trace.len; k++) {
        const struct trace_event *e = trace_ev(&m->trace, k);
        if (e->kind == TR_MMIO_WRITE) {
            writes++;
            assert_string_equal(e->what, "pci-cfg");
            assert_int_equal(e->value, 0xdeadbeefu);
            assert_string_equal(e->note, "ignored: a read-only part of configuration space");
        } else if (e->kind == TR_VIOLATION) {
            violations++;
            assert_string_equal(e->what, "pci.no-write-capability");
            assert_null(e->note);
        }
    }
    assert_int_equal(violations, 1);
    assert_int_equal(writes, 1);
    fx_machine_free(m);
}

/* The same for a PCI configuration-space write, whose checks record a violation (a write
 * inside a virtio capability, pci.no-write-capability) before its note is filled in: that
 * append may grow the array (realloc) or drop its oldest events (memmove), so a pointer held
 * across it is stale. The campaign of 2026-12-07 found this as a use after free in
 * fuzz_device_model. The note lands on the write, never on the violation after it. */
static void test_pci_cfg_note_lands_on_its_event_as_the_trace_grows(void **state)
{
    (void)state;
    for (size_t fill = 1018; fill <= 1026; fill++) /* the first growth is at 1,024 events */
        pci_cfg_write_after(0, fill);
    for (size_t fill = 0; fill <= 8; fill++) /* a bound of 8: drops at the 9th append */
        pci_cfg_write_after(8, fill);
}

/* trace_seq / trace_at_seq: an event's number finds it while it is kept, through growth and
 * drops, and finds nothing once it is dropped. */
static void test_seq_survives_growth_and_drop(void **state)
{
    (void)state;
    struct trace t;
    trace_init(&t, 8);
    assert_int_equal(trace_seq(&t, NULL), UINT64_MAX);
    assert_null(trace_at_seq(&t, UINT64_MAX));
    store(&t, 0, 100);
    uint64_t first = trace_seq(&t, &t.ev[t.len - 1]);
    assert_int_equal(first, 0);
    for (uint64_t i = 1; i < 8; i++)
        store(&t, i, 100 + i);
    uint64_t last = trace_seq(&t, &t.ev[t.len - 1]);
    assert_int_equal(last, 7);
    assert_int_equal(trace_at_seq(&t, first)->value, 100);
    assert_null(trace_at_seq(&t, 8)); /* not yet recorded */
    store(&t, 8, 108); /* full: the oldest three quarters dropped */
    assert_true(t.dropped > 0);
    assert_null(trace_at_seq(&t, first));
    assert_int_equal(trace_at_seq(&t, last)->value, 107);
    assert_int_equal(trace_at_seq(&t, 8)->value, 108);
    trace_free(&t);
}

/* checks_off: a full driver round trip still works (the device pops and pushes, the driver
 * reclaims), and nothing at all is recorded. */
static void test_checks_off_moves_data_records_nothing(void **state)
{
    (void)state;
    char err[256];
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(2);
    cfg.checks_off = true;
    assert_int_equal(machine_init(m, &cfg, rules_builtin(err, sizeof(err))), 0);
    hal_sim_bind(m);
    struct vmmio d;
    struct virtq vq;
    assert_int_equal(vmmio_probe(&d, (uintptr_t)FX_MMIO_BASE, 1000000000ull), VIRTIO_OK);
    assert_int_equal(vmmio_begin_init(&d), VIRTIO_OK);
    assert_int_equal(vmmio_negotiate(&d, 0), VIRTIO_OK);
    assert_int_equal(vmmio_setup_queue(&d, &vq, 1, 8, VQ_LAYOUT_SEPARATE, 4096), VIRTIO_OK);
    assert_int_equal(vmmio_driver_ok(&d), VIRTIO_OK);
    uint64_t phys;
    uint8_t *buf = vhal_dma_alloc(64, 64, VHAL_DMA_BUFFER, &phys);
    assert_non_null(buf);
    buf[0] = 0x01; /* a cursor command header: MOVE_CURSOR (0x0301) */
    buf[1] = 0x03;
    struct vq_buf out = {phys, 56};
    for (int i = 0; i < 20; i++) { /* wraps the 8-entry ring twice */
        assert_int_equal(vq_add(&vq, &out, 1, NULL, 0, buf), VIRTIO_OK);
        assert_true(vq_kick_prepare(&vq));
        vmmio_notify(&d, 1);
        vhal_delay_ns(FX_LATENCY_NS);
        void *tok = NULL;
        uint32_t len = 99;
        assert_int_equal(vq_get_used(&vq, &tok, &len), VIRTIO_OK);
        assert_ptr_equal(tok, buf);
        assert_int_equal(len, 0);
    }
    assert_int_equal(vq.avail->idx, 20);      /* the stores reached guest memory */
    assert_int_equal(m->dev.q[1].pops, 20);
    assert_int_equal(m->dev.q[1].used_idx, 20);
    assert_int_equal(vq.used->idx, 20);
    assert_int_equal(m->trace.len, 0);         /* …and nothing was recorded */
    assert_int_equal(m->trace.dropped, 0);
    assert_int_equal(m->n_violations, 0);
    fx_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_keeps_newest_quarter_and_counts),
        cmocka_unit_test(test_circular_window_matches_the_run),
        cmocka_unit_test(test_default_bound),
        cmocka_unit_test(test_identical_loads_fold_at_the_bound),
        cmocka_unit_test(test_first_since_is_a_binary_search),
        cmocka_unit_test(test_mmio_note_lands_on_its_event_past_the_bound),
        cmocka_unit_test(test_pci_cfg_note_lands_on_its_event_as_the_trace_grows),
        cmocka_unit_test(test_seq_survives_growth_and_drop),
        cmocka_unit_test(test_checks_off_moves_data_records_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
