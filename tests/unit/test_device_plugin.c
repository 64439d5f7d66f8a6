/* test_device_plugin.c — a device type the project does not ship, plugged into the machine
 * without touching src/: proof that device.h is the whole contract.
 *
 * The "echo" device (DeviceID 0x2a, one queue of 8, one config word) copies each chain's
 * device-readable bytes into its device-writable buffers and returns the chain with the number of
 * bytes it wrote. It is driven by the real driver's transport and virtqueue code
 * (src/driver/virtio_mmio.h, virtqueue.h) through the simulated HAL, on both transport versions:
 * probe, initialisation, feature negotiation, one queue, requests one at a time and several in
 * flight, a config read. Every byte returned, every used length, the used index on both sides
 * and the rule checks (silent on it) are checked. Then deliberate driver mistakes on the echo
 * device give their rule ids: the machine's checks run on a device they have never heard of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "driver/virtio_mmio.h"
#include "driver/virtqueue.h"
#include "model/checks/access_checks.h"
#include "model/devices/device_registry.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

/* ---- the echo device: everything it is, in this file ---- */

#define ECHO_DEVICE_ID 0x2au
#define ECHO_QUEUE_SIZE 8u
#define ECHO_MAX_BYTES 4096u /* a chain's readable bytes it echoes (the rest is not copied) */

struct echo_state {
    uint32_t echoed;      /* config word 0: chains returned since the last reset */
    uint32_t resets;
    struct sr_chain chain;
    uint8_t bytes[ECHO_MAX_BYTES];
};

static uint64_t echo_features(uint32_t transport_version)
{
    return device_qemu_common_features(transport_version);
}

static int echo_create(const struct machine_config *cfg, void **state)
{
    (void)cfg;
    *state = calloc(1, sizeof(struct echo_state));
    return *state ? 0 : -1;
}

static void echo_destroy(void *state) { free(state); }

static void echo_reset(void *state, struct machine *m)
{
    (void)m;
    struct echo_state *e = state;
    e->echoed = 0;
    e->resets++;
}

static uint32_t echo_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)m;
    const struct echo_state *e = state;
    return off == 0 ? e->echoed : 0;
}

static void echo_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                              const char **note)
{
    (void)state, (void)m, (void)off, (void)value;
    *note = "ignored: the echo device's config is read-only";
}

static uint32_t echo_process_queue(void *state, struct machine *m, uint32_t qi)
{
    struct echo_state *e = state;
    struct sr_chain *c = &e->chain;
    uint32_t pushed = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        size_t n = sr_read(m, c, 0, e->bytes, sizeof(e->bytes));
        size_t written = sr_write(m, c, e->bytes, n);
        e->echoed++;
        pushed += ring_push(&m->dev.q[qi], c->head, (uint32_t)written);
    }
    return pushed;
}

static const struct device_ops echo_ops = {
    .name = "echo",
    .device_id = ECHO_DEVICE_ID,
    .n_queues = 1,
    .queue_size = {ECHO_QUEUE_SIZE},
    .config_size = 4,
    .offered_features = echo_features,
    .create = echo_create,
    .destroy = echo_destroy,
    .reset = echo_reset,
    .config_read = echo_config_read,
    .config_write = echo_config_write,
    .process_queue = echo_process_queue,
};

/* ---- the rig: a machine holding the echo device, the real driver on it ---- */

struct rig {
    struct machine *m;
    struct vmmio d;
    struct virtq vq;
};

static struct machine *echo_machine(uint32_t transport_version)
{
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(transport_version);
    cfg.device_ops = &echo_ops;
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    assert_ptr_equal(m->device.ops, &echo_ops);
    assert_null(gpu_of(m)); /* the gpu's queries know it is not theirs */
    hal_sim_bind(m); /* the driver's HAL calls reach it (harness/hal_sim.h) */
    return m;
}

/* §3.1.1 steps 1-7 with the real driver: probe, reset, features, queue 0. */
static void rig_setup(struct rig *r, uint32_t transport_version, bool indirect)
{
    memset(r, 0, sizeof(*r));
    r->m = echo_machine(transport_version);
    assert_int_equal(vmmio_probe(&r->d, FX_MMIO_BASE, 10000000ull), VIRTIO_OK);
    assert_int_equal(r->d.t.device_id, ECHO_DEVICE_ID);
    assert_int_equal(vmmio_begin_init(&r->d), VIRTIO_OK);
    uint64_t want = indirect ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0;
    assert_int_equal(vmmio_negotiate(&r->d, want), VIRTIO_OK);
    assert_int_equal(r->d.t.features & want, want);
    /* What the device offered is what device.h's QEMU defaults say for this transport. */
    uint64_t offered = device_qemu_common_features(transport_version);
    if (transport_version == 1)
        offered &= 0xffffffffu; /* a legacy device shows only the low half */
    assert_int_equal(r->d.t.device_features, offered);
    assert_int_equal(vmmio_setup_queue(&r->d, &r->vq, 0, ECHO_QUEUE_SIZE, VQ_LAYOUT_SEPARATE,
                                       4096),
                     VIRTIO_OK);
    if (indirect) /* every chain of 2..8 buffers in a table of its own (§2.6.5.3) */
        assert_int_equal(vq_enable_indirect(&r->vq), VIRTIO_OK);
    assert_true(r->m->dev.q[0].live);
    assert_int_equal(r->m->dev.q[0].live_num, ECHO_QUEUE_SIZE);
}

static void rig_free(struct rig *r)
{
    vq_destroy(&r->vq);
    fx_machine_free(r->m);
}

/* Wait (bounded, in virtual time) for the next used element; then handle the interrupt. */
static int wait_used(struct rig *r, void **token, uint32_t *len)
{
    int rc = VIRTIO_ERR_EMPTY;
    for (int tries = 0; tries < 100 && (rc = vq_get_used(&r->vq, token, len)) == VIRTIO_ERR_EMPTY;
         tries++)
        vhal_delay_ns(5000);
    vmmio_ack_interrupt(&r->d); /* §4.2.3.4 */
    return rc;
}

/* One request: `n_out` readable buffers of out_len bytes each (a pattern from `seed`), n_in
 * writable buffers of in_len bytes each. */
struct request {
    uint8_t *out[2], *in[2];
    uint64_t out_phys[2], in_phys[2];
    uint32_t n_out, n_in, out_len, in_len;
};

static void request_make(struct request *q, uint32_t n_out, uint32_t out_len, uint32_t n_in,
                         uint32_t in_len, uint8_t seed)
{
    memset(q, 0, sizeof(*q));
    q->n_out = n_out, q->n_in = n_in, q->out_len = out_len, q->in_len = in_len;
    for (uint32_t i = 0; i < n_out; i++) {
        q->out[i] = vhal_dma_alloc(out_len, 16, VHAL_DMA_BUFFER, &q->out_phys[i]);
        assert_non_null(q->out[i]);
        for (uint32_t k = 0; k < out_len; k++)
            q->out[i][k] = (uint8_t)(seed + 7 * (i * out_len + k));
    }
    for (uint32_t i = 0; i < n_in; i++) {
        q->in[i] = vhal_dma_alloc(in_len, 16, VHAL_DMA_BUFFER, &q->in_phys[i]);
        assert_non_null(q->in[i]);
        memset(q->in[i], 0xee, in_len);
    }
}

static void request_add(struct rig *r, struct request *q)
{
    struct vq_buf out[2], in[2];
    for (uint32_t i = 0; i < q->n_out; i++)
        out[i] = (struct vq_buf){q->out_phys[i], q->out_len};
    for (uint32_t i = 0; i < q->n_in; i++)
        in[i] = (struct vq_buf){q->in_phys[i], q->in_len};
    assert_int_equal(vq_add(&r->vq, out, q->n_out, in, q->n_in, q), VIRTIO_OK);
}

/* The echo came back whole: the readable bytes, in order, at the start of the writable ones;
 * used.len says how many; the rest of the writable bytes untouched. */
static void request_check(const struct request *q, uint32_t used_len)
{
    uint32_t sent = q->n_out * q->out_len, room = q->n_in * q->in_len;
    uint32_t want = sent < room ? sent : room;
    assert_int_equal(used_len, want);
    for (uint32_t k = 0; k < room; k++) {
        uint8_t got = q->in[k / q->in_len][k % q->in_len];
        uint8_t expect = k < want ? q->out[k / q->out_len][k % q->out_len] : 0xee;
        if (got != expect)
            fail_msg("writable byte %u is 0x%02x, expected 0x%02x", k, got, expect);
    }
}

static void assert_no_violation(struct machine *m)
{
    for (uint32_t i = 0; i < m->n_violations; i++)
        print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
    assert_int_equal(m->n_violations, 0);
    assert_int_equal(m->n_informational, 0);
}

/* ---- a correct driver: everything answered, nothing fires ---- */

/* Returns the device's count of chains echoed, as the driver read it from the config space
 * before the final reset. */
static uint32_t echo_through_driver(uint32_t transport_version, bool indirect)
{
    struct rig r;
    rig_setup(&r, transport_version, indirect);
    /* The device has one queue: queue 1 reads QueueNumMax 0 (§4.2.3.2), so the driver's setup of
     * it stops there. */
    struct virtq none;
    assert_int_equal(vmmio_setup_queue(&r.d, &none, 1, ECHO_QUEUE_SIZE, VQ_LAYOUT_SEPARATE, 4096),
                     VIRTIO_ERR_QUEUE);
    assert_int_equal(vmmio_driver_ok(&r.d), VIRTIO_OK);
    struct machine *m = r.m;
    /* One at a time: sizes around the queue's and the buffer's edges, split buffers. */
    static const uint32_t one[][4] = { /* n_out, out_len, n_in, in_len */
        {1, 1, 1, 1}, {1, 64, 1, 64}, {1, 100, 1, 40}, {2, 30, 1, 100}, {1, 77, 2, 50},
        {2, 600, 2, 700},
    };
    uint32_t done = 0;
    for (uint32_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        struct request q;
        request_make(&q, one[i][0], one[i][1], one[i][2], one[i][3], (uint8_t)(i * 31 + 1));
        request_add(&r, &q);
        if (vq_kick_prepare(&r.vq))
            vmmio_notify(&r.d, 0);
        void *token = NULL;
        uint32_t len = 0;
        assert_int_equal(wait_used(&r, &token, &len), VIRTIO_OK);
        assert_ptr_equal(token, &q);
        request_check(&q, len);
        done++;
    }
    /* Several in flight: made available together, one notify, answered in order (a full ring of
     * two-descriptor chains, or five chains in indirect tables). */
    struct request many[5];
    uint32_t n_many = indirect ? 5 : ECHO_QUEUE_SIZE / 2;
    for (uint32_t i = 0; i < n_many; i++) {
        request_make(&many[i], 1, 10 + 13 * i, 1, 200, (uint8_t)(0x80 + i));
        request_add(&r, &many[i]);
    }
    assert_true(vq_kick_prepare(&r.vq));
    vmmio_notify(&r.d, 0);
    for (uint32_t i = 0; i < n_many; i++) {
        void *token = NULL;
        uint32_t len = 0;
        assert_int_equal(wait_used(&r, &token, &len), VIRTIO_OK);
        assert_ptr_equal(token, &many[i]);
        request_check(&many[i], len);
        done++;
    }
    /* Both sides agree on the indices: the device's used idx, used.idx in memory, the driver's. */
    const struct dev_queue *dq = &m->dev.q[0];
    assert_int_equal(dq->used_idx, done);
    assert_int_equal(dq->last_avail_idx, done);
    assert_int_equal(dq->pops, done);
    assert_int_equal(dq->inuse, 0);
    uint16_t used_idx = 0;
    assert_true(gm_read16(&m->mem, dq->used + 2, &used_idx));
    assert_int_equal(used_idx, done);
    assert_int_equal(r.vq.last_used_idx, done);
    assert_int_equal(r.vq.num_free, ECHO_QUEUE_SIZE);
    /* The device's config space, through the transport (and on version 2 the §2.4.1 generation
     * protocol): the count of chains it echoed. */
    uint32_t echoed = 0;
    assert_int_equal(vmmio_config_read32_checked(&r.d, 0, &echoed), VIRTIO_OK);
    assert_int_equal(echoed, done);
    assert_int_equal(((struct echo_state *)m->device.state)->echoed, done);
    machine_advance(m, m->now + FX_LATENCY_NS);
    access_checks_finish(m);
    assert_no_violation(m);
    assert_false(m->dev.broken);
    /* A reset reaches the device through device.h (the driver's init made the first). */
    struct echo_state *e = m->device.state;
    assert_int_equal(e->resets, 1);
    vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(e->resets, 2);
    assert_int_equal(e->echoed, 0);
    rig_free(&r);
    return echoed;
}

static void test_echo_modern(void **state)
{
    (void)state;
    /* 6 requests one at a time, then 5 in flight (each in an indirect table) */
    assert_int_equal(echo_through_driver(2, true), 6 + 5);
}

static void test_echo_legacy(void **state)
{
    (void)state;
    /* 6 one at a time, then a full ring of two-descriptor chains */
    assert_int_equal(echo_through_driver(1, false), 6 + ECHO_QUEUE_SIZE / 2);
}

static void test_echo_modern_direct(void **state)
{
    (void)state;
    assert_int_equal(echo_through_driver(2, false), 6 + ECHO_QUEUE_SIZE / 2);
}

/* ---- the checks fire on it ---- */

/* The driver notifies before DRIVER_OK (§3.1.1): init.no-notify-before-driver-ok, queue 0, and
 * nothing else. QEMU processes the queue anyway: so does the machine, whatever the device. */
static void test_echo_notify_before_driver_ok(void **state)
{
    (void)state;
    struct rig r;
    rig_setup(&r, 2, false);
    struct request q;
    request_make(&q, 1, 24, 1, 24, 5);
    request_add(&r, &q);
    assert_true(vq_kick_prepare(&r.vq));
    vmmio_notify(&r.d, 0); /* the mistake: DRIVER_OK is not set yet */
    void *token = NULL;
    uint32_t len = 0;
    assert_int_equal(wait_used(&r, &token, &len), VIRTIO_OK);
    request_check(&q, len);
    assert_int_equal(r.m->n_violations, 1);
    assert_string_equal(r.m->violations[0].rule->id, "init.no-notify-before-driver-ok");
    assert_int_equal(r.m->violations[0].queue, 0);
    rig_free(&r);
}

/* A chain whose descriptor links past the end of the table (§2.6.5): QEMU's "Desc next is %u"
 * breaks the device; the ring code says split.desc.next-in-range, whichever device popped it. */
static void test_echo_descriptor_out_of_range(void **state)
{
    (void)state;
    struct rig r;
    rig_setup(&r, 2, false);
    assert_int_equal(vmmio_driver_ok(&r.d), VIRTIO_OK);
    struct machine *m = r.m;
    const struct dev_queue *dq = &m->dev.q[0];
    uint64_t buf = FX_RAM_BASE + 0x00400000;
    /* The driver's mistake, written as a buggy driver would: head 0 says NEXT, next = 11. */
    fx_write_desc(m, dq->desc, 0, buf, 16, VIRTQ_DESC_F_NEXT, ECHO_QUEUE_SIZE + 3);
    fx_offer(m, dq->avail, ECHO_QUEUE_SIZE, 0);
    vmmio_notify(&r.d, 0);
    vhal_delay_ns(5 * FX_LATENCY_NS);
    assert_int_equal(fx_count_violations(m, "split.desc.next-in-range"), 1);
    assert_int_equal(m->n_violations, 1);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, "split.desc.next-in-range");
    assert_int_equal(dq->used_idx, 0); /* nothing answered */
    assert_int_equal(((struct echo_state *)m->device.state)->echoed, 0);
    rig_free(&r);
}

/* A config read past the device's config_size: mmio.no-undefined-offsets, naming the device and
 * its size (device.h's config_size reaches the register-file checks). */
static void test_echo_config_past_end(void **state)
{
    (void)state;
    struct rig r;
    rig_setup(&r, 2, false);
    assert_int_equal(vmmio_driver_ok(&r.d), VIRTIO_OK);
    (void)vmmio_config_read32(&r.d, 4);
    assert_int_equal(fx_count_violations(r.m, "mmio.no-undefined-offsets"), 1);
    assert_int_equal(r.m->n_violations, 1);
    assert_non_null(strstr(r.m->violations[0].message, "past the echo's 4 bytes"));
    rig_free(&r);
}

/* ---- choosing a device ---- */

static const struct device_ops too_many_queues = {
    .name = "wide", .device_id = 1, .n_queues = DEVICE_MAX_QUEUES + 1,
    .offered_features = echo_features, .create = echo_create, .destroy = echo_destroy,
};

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(device_registry_find("gpu"), &gpu_device_ops);
    assert_ptr_equal(device_registry_find(DEVICE_DEFAULT_NAME), &gpu_device_ops);
    assert_null(device_registry_find("echo")); /* a test's type is not a built-in */
    assert_null(device_registry_find(NULL));
    assert_ptr_equal(device_registry_at(0), &gpu_device_ops);
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(2);
    cfg.device = "echo"; /* not in the registry: refused, nothing left allocated */
    assert_int_equal(machine_init(m, &cfg, rules), -1);
    assert_null(m->device.ops);
    cfg.device = NULL;
    cfg.device_ops = &too_many_queues; /* more queues than the model keeps */
    assert_int_equal(machine_init(m, &cfg, rules), -1);
    cfg.device_ops = NULL;
    cfg.device = "gpu"; /* by name: the gpu, as with no name at all */
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    assert_non_null(gpu_of(m));
    assert_int_equal(m->dev.device_id, VIRTIO_ID_GPU);
    assert_int_equal(m->dev.n_queues, 2);
    machine_destroy(m);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_modern),
        cmocka_unit_test(test_echo_legacy),
        cmocka_unit_test(test_echo_modern_direct),
        cmocka_unit_test(test_echo_notify_before_driver_ok),
        cmocka_unit_test(test_echo_descriptor_out_of_range),
        cmocka_unit_test(test_echo_config_past_end),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
