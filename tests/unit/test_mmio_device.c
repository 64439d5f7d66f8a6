/* test_mmio_device.c — the virtio-mmio register file (src/model/transport/mmio_device.c), driven
 * through the HAL's MMIO accessors at mmio_base + offset, as the driver drives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "driver/virtqueue.h"
#include "sim_fixture.h"

/* What QEMU 7.2's virtio-gpu-device shows (values read off a real QEMU by vqsim record): the
 * legacy device also shows the legacy-only NOTIFY_ON_EMPTY and ANY_LAYOUT; the modern one hides
 * them and shows VERSION_1 and bit 40 (reserved in 1.1, RING_RESET in 1.2). */
#define OFFERED_MODERN_LOW                                                                       \
    ((1u << VIRTIO_GPU_F_EDID) | (1u << VIRTIO_RING_F_INDIRECT_DESC) | (1u << VIRTIO_RING_F_EVENT_IDX))
#define OFFERED_LOW                                                                              \
    (OFFERED_MODERN_LOW | (1u << VIRTIO_F_NOTIFY_ON_EMPTY) | (1u << VIRTIO_F_ANY_LAYOUT))
#define OFFERED_MODERN_HIGH (1u << (VIRTIO_F_VERSION_1 - 32) | 1u << (40 - 32))

static void wr(struct machine *m, uint32_t off, uint32_t v) { vhal_mmio_write32(fx_reg(m, off), v); }
static uint32_t rd(struct machine *m, uint32_t off) { return vhal_mmio_read32(fx_reg(m, off)); }

/* The note the device left on the most recent MMIO access of `kind`. */
static const char *last_note(const struct machine *m, int kind)
{
    long i = fx_trace_rfind(m, (long)m->trace.len - 1, kind, NULL, UINT64_MAX);
    assert_true(i >= 0);
    return m->trace.ev[i].note;
}

static void assert_note_contains(const struct machine *m, int kind, const char *text)
{
    const char *n = last_note(m, kind);
    if (!n || !strstr(n, text))
        fail_msg("note '%s' does not contain '%s'", n ? n : "(none)", text);
}

static int setup_v1(void **state)
{
    *state = fx_machine_new(1);
    return 0;
}

static int setup_v2(void **state)
{
    *state = fx_machine_new(2);
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static void assert_identity(struct machine *m, uint32_t version)
{
    assert_int_equal(rd(m, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976u);
    assert_null(last_note(m, TR_MMIO_READ));
    assert_int_equal(rd(m, VIRTIO_MMIO_VERSION), version);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_ID), 16);
    assert_int_equal(rd(m, VIRTIO_MMIO_VENDOR_ID), 0x554d4551u);
    /* the trace names the register and records the offset, not the host address */
    long i = fx_trace_rfind(m, (long)m->trace.len - 1, TR_MMIO_READ, "VendorID", 0x00c);
    assert_true(i >= 0);
    assert_int_equal(m->trace.ev[i].value, 0x554d4551u);
    /* outside the 0x200 window: no device */
    assert_int_equal(vhal_mmio_read32(fx_reg(m, 0x200)), 0xffffffffu);
    assert_non_null(last_note(m, TR_MMIO_READ));
}

static void test_identity_v1(void **state) { assert_identity(*state, 1); }
static void test_identity_v2(void **state) { assert_identity(*state, 2); }

static void test_features_v1(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_FEATURES), OFFERED_LOW);
    wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_FEATURES), 0); /* no VERSION_1 on legacy */
    assert_int_equal(m->dev.host_features >> 32, 0);
    /* legacy: accepted features apply at once, masked to what is offered */
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu);
    assert_int_equal(m->dev.guest_features, OFFERED_LOW);
    /* the high half does not exist on a legacy device */
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    assert_non_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.guest_features, OFFERED_LOW);
}

static void test_features_v2(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_FEATURES), 0x30000002u);
    assert_int_equal(OFFERED_MODERN_LOW, 0x30000002u);
    wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rd(m, VIRTIO_MMIO_DEVICE_FEATURES), 0x101u);
    assert_int_equal(OFFERED_MODERN_HIGH, 0x101u);
}

static void test_features_masked_at_features_ok(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(m, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu); /* incl. RING_PACKED, not offered */
    assert_int_equal(m->dev.guest_features, 0); /* nothing applies before FEATURES_OK */
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    wr(m, VIRTIO_MMIO_STATUS, st);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), st);
    assert_int_equal(m->dev.guest_features,
                     (uint64_t)OFFERED_MODERN_LOW | (uint64_t)OFFERED_MODERN_HIGH << 32);
    assert_int_equal(m->dev.guest_features & (1ull << VIRTIO_F_RING_PACKED), 0);
    /* after FEATURES_OK, DriverFeatures is ignored */
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    assert_note_contains(m, TR_MMIO_WRITE, "FEATURES_OK");
    assert_int_equal(m->dev.guest_features,
                     (uint64_t)OFFERED_MODERN_LOW | (uint64_t)OFFERED_MODERN_HIGH << 32);
}

static void test_queue_num_max(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_NUM_MAX), 1024);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_NUM_MAX), 1024);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 2);
    assert_int_equal(m->dev.queue_sel, 2);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    /* QueueNum on a queue that does not exist: ignored */
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 8);
    assert_non_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.q[0].num, 64);
    assert_int_equal(m->dev.q[1].num, 16);
    /* QueueNum outside 1..1024 keeps the old value */
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 1025);
    assert_non_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.q[0].num, 64);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 0);
    assert_int_equal(m->dev.q[0].num, 64);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 1024);
    assert_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.q[0].num, 1024);
}

static void test_queue_sel_out_of_range(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.queue_sel, 1);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1024);
    assert_note_contains(m, TR_MMIO_WRITE, "QueueSel");
    assert_int_equal(m->dev.queue_sel, 1);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0xffffffffu);
    assert_non_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.queue_sel, 1);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 1023); /* accepted, but no such queue */
    assert_null(last_note(m, TR_MMIO_WRITE));
    assert_int_equal(m->dev.queue_sel, 1023);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_v2_registers_on_v1(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_note_contains(m, TR_MMIO_WRITE, "version 2");
    assert_false(m->dev.q[0].ready);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_note_contains(m, TR_MMIO_READ, "version 2");
    static const uint32_t addr_regs[] = {VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
                                         VIRTIO_MMIO_QUEUE_DRIVER_LOW,
                                         VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
                                         VIRTIO_MMIO_QUEUE_DEVICE_LOW,
                                         VIRTIO_MMIO_QUEUE_DEVICE_HIGH};
    for (size_t i = 0; i < 6; i++) {
        wr(m, addr_regs[i], 0x40100000);
        assert_note_contains(m, TR_MMIO_WRITE, "version 2");
    }
    assert_int_equal(m->dev.q[0].reg_desc, 0);
    assert_int_equal(m->dev.q[0].reg_driver, 0);
    assert_int_equal(m->dev.q[0].reg_device, 0);
    assert_false(m->dev.q[0].live);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG_GENERATION), 0);
    assert_note_contains(m, TR_MMIO_READ, "version 2");
}

static void test_v1_registers_on_v2(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
    assert_note_contains(m, TR_MMIO_WRITE, "version 1");
    assert_false(m->dev.guest_page_size_written);
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(m, VIRTIO_MMIO_QUEUE_ALIGN, 4);
    assert_note_contains(m, TR_MMIO_WRITE, "version 1");
    assert_int_equal(m->dev.q[0].align, 4096);
    wr(m, VIRTIO_MMIO_QUEUE_PFN, 0x40100);
    assert_note_contains(m, TR_MMIO_WRITE, "QueuePFN");
    assert_int_equal(m->dev.q[0].pfn, 0);
    assert_false(m->dev.q[0].live);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_PFN), 0);
    assert_note_contains(m, TR_MMIO_READ, "QueuePFN");
}

static void legacy_setup(struct machine *m, uint32_t align_before_pfn)
{
    wr(m, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
    assert_null(last_note(m, TR_MMIO_WRITE));
    wr(m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(m, VIRTIO_MMIO_QUEUE_ALIGN, align_before_pfn);
    assert_false(m->dev.q[0].live); /* no PFN yet */
    wr(m, VIRTIO_MMIO_QUEUE_PFN, 0x40100);
}

static void test_v1_legacy_ring_addresses(void **state)
{
    struct machine *m = *state;
    legacy_setup(m, 4096);
    struct dev_queue *q = &m->dev.q[0];
    assert_true(q->live);
    assert_int_equal(q->live_num, 16);
    assert_int_equal(q->desc, 0x40100000);
    assert_int_equal(q->avail, 0x40100100);
    assert_int_equal(q->used, 0x40101000);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_PFN), 0x40100);
    /* The ring checks are silent; the register checks see a bare register poke with no probe. */
    assert_int_equal(fx_count_violations(m, "mmio.init.read-magic-version-first"), 1);
    assert_int_equal(m->n_violations, 1);
    /* the driver's legacy layout agrees with the device for a page-sized QueueAlign */
    struct vq_layout l;
    assert_int_equal(vq_layout_legacy(16, 4096, &l), VIRTIO_OK);
    assert_int_equal(q->desc + l.used_off, q->used);
    /* the other queue is untouched */
    assert_false(m->dev.q[1].live);

    /* QueueAlign 4, written after the PFN, moves the used ring: QEMU's formula without
     * used_event, ALIGN_UP(desc + 16N + 4 + 2N, 4) */
    wr(m, VIRTIO_MMIO_QUEUE_ALIGN, 4);
    assert_int_equal(q->align, 4);
    assert_int_equal(q->desc, 0x40100000);
    assert_int_equal(q->avail, 0x40100100);
    assert_int_equal(q->used, 0x40100124);
    assert_int_equal(fx_count_violations(m, "split.align"), 0); /* 4-aligned: silent */
    assert_int_equal(m->n_violations, 1); /* only the probe the bare poke skipped */
}

static void test_v1_legacy_align4_before_pfn(void **state)
{
    struct machine *m = *state;
    legacy_setup(m, 4);
    struct dev_queue *q = &m->dev.q[0];
    assert_true(q->live);
    assert_int_equal(q->desc, 0x40100000);
    assert_int_equal(q->avail, 0x40100100);
    assert_int_equal(q->used, 0x40100124);
    /* §2.6.2's formula (with used_event) puts it 4 bytes later: a known QEMU/spec difference */
    struct vq_layout l;
    assert_int_equal(vq_layout_legacy(16, 4, &l), VIRTIO_OK);
    assert_int_equal(l.used_off, 0x128);
    assert_int_not_equal(q->desc + l.used_off, q->used);
    /* QueuePFN 0 resets the device (QEMU) */
    wr(m, VIRTIO_MMIO_QUEUE_PFN, 0);
    assert_false(q->live);
    assert_int_equal(q->align, 4); /* QueueAlign survives a reset */
    assert_true(m->dev.guest_page_size_written);
}

/* Regression: QEMU 7.2 places the legacy used ring with vring_align() = QEMU_ALIGN_UP(addr, align), a
 * division-based round-up that is exact for any QueueAlign (osdep.h: "Safe when m is not a power
 * of 2"); virtio_queue_set_align() accepts any non-zero value. The model once rounded with a bit
 * mask, which put a replayed QueueAlign of 100 at 0x40100184 instead of QEMU's 0x4010012c. */
static void test_v1_legacy_non_pow2_align(void **state)
{
    struct machine *m = *state;
    legacy_setup(m, 4096);
    wr(m, VIRTIO_MMIO_QUEUE_ALIGN, 100);
    struct dev_queue *q = &m->dev.q[0];
    assert_int_equal(q->align, 100);
    assert_int_equal(q->avail, 0x40100100);
    /* ALIGN_UP(0x40100124, 100) = 1074790700 = 0x4010012c, a multiple of 100 */
    assert_int_equal(q->used % 100, 0);
    assert_int_equal(q->used, 0x4010012cull);
}

static void program_v2_queue(struct machine *m, uint32_t qi, uint64_t desc, uint64_t drv,
                             uint64_t dev)
{
    wr(m, VIRTIO_MMIO_QUEUE_SEL, qi);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(m, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(m, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)drv);
    wr(m, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(drv >> 32));
    wr(m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)dev);
    wr(m, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(dev >> 32));
}

static void test_v2_queue_ready_latches(void **state)
{
    struct machine *m = *state;
    program_v2_queue(m, 0, 0x40100000, 0x40100100, 0x40100200);
    struct dev_queue *q = &m->dev.q[0];
    assert_int_equal(q->reg_desc, 0x40100000);
    assert_int_equal(q->reg_driver, 0x40100100);
    assert_int_equal(q->reg_device, 0x40100200);
    assert_false(q->live);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_true(q->live);
    assert_true(q->ready);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_READY), 1);
    assert_int_equal(q->desc, 0x40100000);
    assert_int_equal(q->avail, 0x40100100);
    assert_int_equal(q->used, 0x40100200);
    assert_int_equal(q->live_num, 16);
    assert_true(fx_trace_find(m, 0, TR_DEVICE, "queue live", 0x40100000) >= 0);

    /* written after QueueReady: recorded in the registers, not live */
    wr(m, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x40200000);
    wr(m, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x1);
    wr(m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x40200200);
    assert_int_equal(q->reg_desc, 0x140200000ull);
    assert_int_equal(q->reg_device, 0x40200200);
    assert_int_equal(q->desc, 0x40100000);
    assert_int_equal(q->used, 0x40100200);
    wr(m, VIRTIO_MMIO_QUEUE_NUM, 8);
    assert_int_equal(q->live_num, 16);
    /* Each of those four writes touches a ready queue (§4.2.2.2); the bare poke also skipped the
     * probe and FEATURES_OK. Nothing else fired. */
    assert_int_equal(fx_count_violations(m, "mmio.no-queue-regs-while-ready"), 4);
    assert_int_equal(fx_count_violations(m, "mmio.init.read-magic-version-first"), 1);
    assert_int_equal(fx_count_violations(m, "init.step5-features-ok"), 1);
    assert_int_equal(m->n_violations, 6);
    /* the other queue did not change */
    assert_false(m->dev.q[1].live);
    assert_int_equal(m->dev.q[1].reg_desc, 0);
}

static void test_status_zero_resets(void **state)
{
    struct machine *m = *state;
    program_v2_queue(m, 0, 0x40100000, 0x40100100, 0x40100200);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    wr(m, VIRTIO_MMIO_STATUS, st);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    st |= VIRTIO_STATUS_FEATURES_OK;
    wr(m, VIRTIO_MMIO_STATUS, st);
    st |= VIRTIO_STATUS_DRIVER_OK;
    wr(m, VIRTIO_MMIO_STATUS, st);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x0f);
    assert_true(m->dev.q[0].live);
    assert_int_not_equal(m->dev.guest_features, 0);
    m->dev.isr = VIRTIO_MMIO_INT_VRING;

    wr(m, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0);
    assert_false(m->dev.q[0].live);
    assert_false(m->dev.q[0].ready);
    assert_int_equal(rd(m, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(m->dev.q[0].num, 64); /* back to the device default */
    assert_int_equal(m->dev.guest_features, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(m->dev.queue_sel, 0);
    assert_true(fx_trace_find(m, 0, TR_DEVICE, "device reset", UINT64_MAX) >= 0);
    /* the status history keeps every write */
    assert_int_equal(m->dev.n_status_history, 4);
    assert_int_equal(m->dev.status_history[3], 0);
}

static void test_interrupt_ack(void **state)
{
    struct machine *m = *state;
    m->dev.isr = VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG;
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 3);
    wr(m, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    wr(m, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING); /* already clear */
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    wr(m, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void test_notify_not_live_ignored(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_note_contains(m, TR_MMIO_WRITE, "not set up");
    assert_false(m->dev.q[0].pending);
    assert_int_equal(m->dev.q[0].notifies, 0);
    assert_int_equal(fx_trace_find(m, 0, TR_NOTIFY, NULL, UINT64_MAX), -1);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
    assert_note_contains(m, TR_MMIO_WRITE, "no such queue");
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 1024);
    assert_note_contains(m, TR_MMIO_WRITE, "1024");
    assert_false(m->dev.q[0].pending || m->dev.q[1].pending);

    /* addresses programmed but QueueReady never written: still not live */
    program_v2_queue(m, 0, 0x40100000, 0x40100100, 0x40100200);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_note_contains(m, TR_MMIO_WRITE, "not set up");
    assert_false(m->dev.q[0].pending);

    /* once live, a notify is accepted and schedules the device after its latency */
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_null(last_note(m, TR_MMIO_WRITE));
    assert_true(m->dev.q[0].pending);
    assert_int_equal(m->dev.q[0].pending_at, m->now + FX_LATENCY_NS);
    assert_int_equal(m->dev.q[0].notifies, 1);
    long n = fx_trace_find(m, 0, TR_NOTIFY, NULL, UINT64_MAX);
    assert_true(n >= 0);
    assert_int_equal(m->trace.ev[n].value, 0);
    assert_false(m->dev.q[1].pending);
}

static void negotiate_v2(struct machine *m, uint32_t features_hi)
{
    wr(m, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, features_hi);
    wr(m, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK);
}

static void test_set_broken_v2_version1(void **state)
{
    struct machine *m = *state;
    negotiate_v2(m, 1); /* VERSION_1 */
    wr(m, VIRTIO_MMIO_STATUS, 0x0f);
    program_v2_queue(m, 0, 0x40100000, 0x40100100, 0x40100200);
    wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
    mmio_device_set_broken(m, "split.desc.zero-length");
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, "split.desc.zero-length");
    assert_true(m->dev.broken_signalled);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    /* after DRIVER_OK: a configuration change interrupt */
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
                     VIRTIO_MMIO_INT_CONFIG);
    /* a broken device ignores notifies */
    wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_note_contains(m, TR_MMIO_WRITE, "broken");
    assert_false(m->dev.q[0].pending);
    /* reset repairs it */
    wr(m, VIRTIO_MMIO_STATUS, 0);
    assert_false(m->dev.broken);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0);
}

static void test_set_broken_v2_without_version1(void **state)
{
    struct machine *m = *state;
    negotiate_v2(m, 0);
    assert_int_equal(m->dev.guest_features & (1ull << VIRTIO_F_VERSION_1), 0);
    mmio_device_set_broken(m, "split.avail.idx-jump");
    assert_true(m->dev.broken);
    assert_false(m->dev.broken_signalled);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void test_set_broken_v1(void **state)
{
    struct machine *m = *state;
    wr(m, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(m, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu);
    wr(m, VIRTIO_MMIO_STATUS, 0x07);
    mmio_device_set_broken(m, "split.avail.head-in-range");
    assert_true(m->dev.broken);
    assert_false(m->dev.broken_signalled);
    assert_int_equal(rd(m, VIRTIO_MMIO_STATUS), 0x07);
    assert_int_equal(rd(m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    /* a second error keeps the first one's rule */
    mmio_device_set_broken(m, "split.desc.no-loops");
    assert_string_equal(m->dev.broken_rule, "split.avail.head-in-range");
}

static void test_config_space(void **state)
{
    struct machine *m = *state;
    /* §5.7.4: num_scanouts at offset 8 of the config space */
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 8), 1);
    assert_int_equal(rd(m, VIRTIO_MMIO_CONFIG + 0), 0);
    /* unaligned access is ignored */
    assert_int_equal(rd(m, VIRTIO_MMIO_VERSION + 1), 0);
    assert_note_contains(m, TR_MMIO_READ, "unaligned");
}

int main(void)
{
#define T1(f) cmocka_unit_test_setup_teardown(f, setup_v1, teardown)
#define T2(f) cmocka_unit_test_setup_teardown(f, setup_v2, teardown)
    const struct CMUnitTest tests[] = {
        T1(test_identity_v1),
        T2(test_identity_v2),
        T1(test_features_v1),
        T2(test_features_v2),
        T2(test_features_masked_at_features_ok),
        T1(test_queue_num_max),
        T2(test_queue_num_max),
        T2(test_queue_sel_out_of_range),
        T1(test_v2_registers_on_v1),
        T2(test_v1_registers_on_v2),
        T1(test_v1_legacy_ring_addresses),
        T1(test_v1_legacy_align4_before_pfn),
        T1(test_v1_legacy_non_pow2_align),
        T2(test_v2_queue_ready_latches),
        T2(test_status_zero_resets),
        T1(test_interrupt_ack),
        T2(test_interrupt_ack),
        T2(test_notify_not_live_ignored),
        T2(test_set_broken_v2_version1),
        T2(test_set_broken_v2_without_version1),
        T1(test_set_broken_v1),
        T2(test_config_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
