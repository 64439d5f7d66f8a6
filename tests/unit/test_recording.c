/* test_recording.c — the recording reader on hostile input, and the replay of hand-built
 * recordings: a clean round trip stays silent, a missing write barrier fires pairing A, a
 * store-release does not, a request never answered is diagnosed, an MMU-on recording is checked
 * as the same accesses by physical address, a block device working beside the gpu (modern or
 * legacy) leaves the gpu's verdict and diagnosis alone; several vCPUs (barriers are per vCPU),
 * kernel loads that never become a wait, a device paced by QEMU's trace, and the plugin's
 * barrier filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/runner.h"
#include "spec/rules.h"
#include "spec/virtio_spec.h"
#include "record/recording_reader.h"
#include "record/plugin/barrier_filter.h"
#include "record/plugin/poll_watch.h"
#include "harness/replay.h"

/* ---- building recordings ---- */

struct rb {
    uint8_t *b;
    size_t n, cap;
};

static void rb_put(struct rb *r, const void *p, size_t n)
{
    if (r->n + n > r->cap) {
        r->cap = (r->n + n) * 2 + 256;
        r->b = realloc(r->b, r->cap);
        assert_non_null(r->b);
    }
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

static void rb_header(struct rb *r, uint16_t major)
{
    struct vqrec_header h = {.major = major, .header_size = sizeof(h), .ram_base = 0x40000000,
                             .ram_size = 64ull << 20, .n_cpus = 1};
    memcpy(h.magic, VQREC_MAGIC, 8);
    strcpy(h.source, "hand-built");
    rb_put(r, &h, sizeof(h));
}

static void rb_ev(struct rb *r, uint8_t kind, uint8_t size, uint8_t flags, uint64_t addr,
                  uint64_t value, const void *payload, uint32_t len)
{
    struct vqrec_event e = {.kind = kind, .size = size, .flags = flags, .len = len, .addr = addr,
                            .value = value};
    rb_put(r, &e, sizeof(e));
    if (len) {
        static const uint8_t zero[8];
        rb_put(r, payload, len);
        rb_put(r, zero, (8 - len % 8) % 8);
    }
}

#define WIN 0x0a003e00ull
#define DESC 0x40100000ull
#define AVAIL 0x40100100ull
#define USED 0x40100128ull
#define CMD 0x40200000ull
#define RESP 0x40208000ull

static void rd(struct rb *r, uint32_t off, uint32_t v) { rb_ev(r, VQREC_MMIO_READ, 4, 0, WIN + off, v, NULL, 0); }
static void wr(struct rb *r, uint32_t off, uint32_t v) { rb_ev(r, VQREC_MMIO_WRITE, 4, 0, WIN + off, v, NULL, 0); }
static void st(struct rb *r, uint64_t a, uint8_t size, uint64_t v, uint8_t fl) { rb_ev(r, VQREC_STORE, size, fl, a, v, NULL, 0); }
static void ld(struct rb *r, uint64_t a, uint8_t size, uint64_t v, uint8_t fl) { rb_ev(r, VQREC_LOAD, size, fl, a, v, NULL, 0); }
static void bar(struct rb *r, unsigned k) { rb_ev(r, VQREC_BARRIER, 0, 0, 0, k, NULL, 0); }

static void guest_init_used(struct rb *r, uint64_t used_reg);

/* A modern guest bringing up the gpu's control queue (16 entries), as QEMU answers. */
static void guest_init(struct rb *r)
{
    guest_init_used(r, USED);
}

/* …telling the device its used ring is at used_reg (the driver's own stays at USED). */
static void guest_init_used(struct rb *r, uint64_t used_reg)
{
    rb_ev(r, VQREC_WINDOW, 0, 0, WIN, 0x200, NULL, 0);
    rd(r, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    rd(r, VIRTIO_MMIO_VERSION, 2);
    rd(r, VIRTIO_MMIO_DEVICE_ID, 16);
    wr(r, VIRTIO_MMIO_STATUS, 0);
    rd(r, VIRTIO_MMIO_STATUS, 0);
    wr(r, VIRTIO_MMIO_STATUS, 1);
    wr(r, VIRTIO_MMIO_STATUS, 3);
    wr(r, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    rd(r, VIRTIO_MMIO_DEVICE_FEATURES, 0x30000002); /* as QEMU 7.2's modern virtio-gpu */
    wr(r, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    rd(r, VIRTIO_MMIO_DEVICE_FEATURES, 0x101);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(r, VIRTIO_MMIO_STATUS, 0xb);
    rd(r, VIRTIO_MMIO_STATUS, 0xb);
    wr(r, VIRTIO_MMIO_QUEUE_SEL, 0);
    rd(r, VIRTIO_MMIO_QUEUE_READY, 0);
    rd(r, VIRTIO_MMIO_QUEUE_NUM_MAX, 0x400);
    wr(r, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(r, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
    wr(r, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    wr(r, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
    wr(r, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    wr(r, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used_reg);
    wr(r, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    wr(r, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(r, VIRTIO_MMIO_STATUS, 0xf);
}

enum variant { CLEAN, NO_WMB, RELEASE_IDX, NO_NOTIFY };

/* Where guest_request reads the used ring (USED; a legacy gpu's is LEGACY_USED). */
#define LEGACY_USED 0x40101000ull /* 16 entries from DESC at QueueAlign 4096: the next page */
static uint64_t gpu_used = USED;

/* A legacy guest bringing up the same queue: QueuePFN, the available ring after the table
 * (at AVAIL), the used ring on the next page (§2.6.2). */
static void guest_init_legacy(struct rb *r)
{
    rb_ev(r, VQREC_WINDOW, 0, 0, WIN, 0x200, NULL, 0);
    rd(r, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    rd(r, VIRTIO_MMIO_VERSION, 1);
    rd(r, VIRTIO_MMIO_DEVICE_ID, 16);
    wr(r, VIRTIO_MMIO_STATUS, 0);
    rd(r, VIRTIO_MMIO_STATUS, 0);
    wr(r, VIRTIO_MMIO_STATUS, 1);
    wr(r, VIRTIO_MMIO_STATUS, 3);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 27); /* ANY_LAYOUT, as a legacy driver must (§6.3) */
    wr(r, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
    wr(r, VIRTIO_MMIO_QUEUE_SEL, 0);
    rd(r, VIRTIO_MMIO_QUEUE_PFN, 0);
    rd(r, VIRTIO_MMIO_QUEUE_NUM_MAX, 0x400);
    wr(r, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(r, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
    wr(r, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(DESC / 4096));
    wr(r, VIRTIO_MMIO_STATUS, 7);
}

/* GET_DISPLAY_INFO: command and response descriptors, published, notified, answered. */
static void guest_request(struct rb *r, enum variant v, uint8_t access_flags)
{
    st(r, DESC + 0, 8, CMD, access_flags);
    st(r, DESC + 8, 4, 24, access_flags);
    st(r, DESC + 12, 2, VIRTQ_DESC_F_NEXT, access_flags);
    st(r, DESC + 14, 2, 1, access_flags);
    st(r, DESC + 16, 8, RESP, access_flags);
    st(r, DESC + 24, 4, 408, access_flags);
    st(r, DESC + 28, 2, VIRTQ_DESC_F_WRITE, access_flags);
    st(r, DESC + 30, 2, 0, access_flags);
    st(r, AVAIL + 4, 2, 0, access_flags);
    if (v == CLEAN || v == NO_NOTIFY)
        bar(r, VQREC_WMB);
    st(r, AVAIL + 2, 2, 1, access_flags | (v == RELEASE_IDX ? VQREC_F_RELEASE : 0));
    bar(r, VQREC_MB);
    ld(r, gpu_used, 2, 0, access_flags);
    if (v != NO_NOTIFY) {
        wr(r, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        uint8_t cmd[24] = {0x00, 0x01}; /* VIRTIO_GPU_CMD_GET_DISPLAY_INFO 0x0100 */
        rb_ev(r, VQREC_MEMORY, 0, 0, CMD, 0, cmd, sizeof(cmd));
    }
    ld(r, gpu_used + 2, 2, 0, access_flags);
    ld(r, gpu_used + 2, 2, 0, access_flags);
    if (v == NO_NOTIFY)
        return; /* the guest polls on: the recording ends */
    ld(r, gpu_used + 2, 2, 1, access_flags);
    bar(r, VQREC_RMB);
    ld(r, gpu_used + 4, 4, 0, access_flags);
    ld(r, gpu_used + 8, 4, 408, access_flags);
}

struct checked {
    struct run_result r;
    struct replay rp;
    struct vqrec_reader rd;
    struct scenario defaults, sc;
};

static struct checked *check(struct rb *b)
{
    struct checked *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    char err[256];
    assert_int_equal(vqrec_reader_open_buffer(&c->rd, b->b, b->n, err, sizeof(err)), VQREC_OK);
    assert_int_equal(replay_init(&c->rp, &c->rd, err, sizeof(err)), VQREC_OK);
    assert_int_equal(replay_scenario(&c->rp, NULL, &c->defaults, "hand", "hand.vqrec", &c->sc,
                                     err, sizeof(err)), 0);
    struct run_external x = replay_driver(&c->rp);
    x.judge = false;
    assert_int_equal(run_scenario_external(&c->sc, NULL, &c->r, &x), 0);
    return c;
}

static void checked_free(struct checked *c, struct rb *b)
{
    run_result_free(&c->r);
    scenario_free(&c->defaults);
    vqrec_reader_close(&c->rd);
    free(c);
    free(b->b);
}

static unsigned count(const struct run_result *r, const char *id)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < r->m.n_violations; i++)
        n += !strcmp(r->m.violations[i].rule->id, id);
    return n;
}

static void test_replay_clean_round_trip(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, CLEAN, 0);
    rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->r.m.n_violations, 0);
    assert_false(c->r.has_diag);
    assert_int_equal(c->rp.n_discrepancies, 0);
    assert_int_equal(c->r.m.dev.q[0].used_idx, 1); /* the model answered the one request */
    assert_int_equal(c->rp.n_memory, 1);
    assert_true(c->rp.ended);
    assert_int_equal(c->r.res.steps[0].status, ST_OK);
    checked_free(c, &b);
}

static void test_replay_missing_wmb_fires_pairing_a(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, NO_WMB, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "violation");
    assert_int_equal(count(&c->r, "split.avail.idx-barrier"), 1);
    assert_int_equal(c->r.m.n_violations, 1);
    checked_free(c, &b);
}

static void test_replay_release_store_orders(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, RELEASE_IDX, 0);
    struct checked *c = check(&b);
    assert_int_equal(count(&c->r, "split.avail.idx-barrier"), 0);
    assert_int_equal(c->r.m.n_violations, 0);
    assert_string_equal(c->r.res.outcome, "ok");
    checked_free(c, &b);
}

static void test_replay_unanswered_request_is_diagnosed(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, NO_NOTIFY, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_int_equal(c->r.res.steps[0].status, ST_TIMEOUT);
    assert_true(c->r.has_diag);
    assert_string_equal(c->r.diag.cause, "no-notify");
    assert_int_equal(c->rp.timed_out_queue, 0);
    checked_free(c, &b);
}

/* The MMU on: every ring access made through a virtual address (addr stays guest-physical). */
static void test_replay_mmu_on_same_verdict(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, NO_WMB, VQREC_F_VIRT);
    struct checked *c = check(&b);
    assert_int_equal(count(&c->r, "split.avail.idx-barrier"), 1);
    assert_int_equal(c->r.m.n_violations, 1);
    assert_true(c->rp.n_virt > 0);
    assert_int_equal(c->rp.n_discrepancies, 0);
    checked_free(c, &b);
}

/* The guest resets the device and waits for Status to read back 0; QEMU (in this recording)
 * kept answering 1: the wait is diagnosed as a register wait, the value as a discrepancy. */
static void test_replay_register_wait(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    rd(&b, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    rd(&b, VIRTIO_MMIO_VERSION, 2);
    rd(&b, VIRTIO_MMIO_DEVICE_ID, 16);
    wr(&b, VIRTIO_MMIO_STATUS, 0);
    for (int i = 0; i < 5; i++)
        rd(&b, VIRTIO_MMIO_STATUS, 1);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_true(c->rp.register_wait);
    assert_true(c->r.has_diag);
    assert_string_equal(c->r.diag.cause, "register-wait");
    assert_int_equal(c->rp.n_discrepancies, 5); /* the model's Status reads 0 after a reset */
    checked_free(c, &b);

    /* two reads of the same register are no wait */
    struct rb b2 = {0};
    rb_header(&b2, VQREC_VERSION_MAJOR_PLAIN);
    rd(&b2, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    rd(&b2, VIRTIO_MMIO_VERSION, 2);
    rd(&b2, VIRTIO_MMIO_DEVICE_ID, 16);
    wr(&b2, VIRTIO_MMIO_STATUS, 0);
    rd(&b2, VIRTIO_MMIO_STATUS, 0);
    rd(&b2, VIRTIO_MMIO_STATUS, 0);
    c = check(&b2);
    assert_false(c->rp.register_wait);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->rp.n_discrepancies, 0);
    checked_free(c, &b2);
}

/* A recorder sees ring memory only where the registers put it: a guest that never set its
 * queue up and notified anyway leaves no ring access in the recording. The device had no ring:
 * the request is unanswered, and the diagnosis says why. */
static void test_replay_notify_without_ring(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    rb_ev(&b, VQREC_WINDOW, 0, 0, WIN, 0x200, NULL, 0);
    rd(&b, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    rd(&b, VIRTIO_MMIO_VERSION, 2);
    rd(&b, VIRTIO_MMIO_DEVICE_ID, 16);
    wr(&b, VIRTIO_MMIO_STATUS, 0);
    wr(&b, VIRTIO_MMIO_STATUS, 1);
    wr(&b, VIRTIO_MMIO_STATUS, 3);
    wr(&b, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(&b, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(&b, VIRTIO_MMIO_STATUS, 0xb);
    wr(&b, VIRTIO_MMIO_STATUS, 0xf); /* no queue set up */
    wr(&b, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_int_equal(c->rp.timed_out_queue, 0);
    assert_true(c->r.has_diag);
    assert_string_equal(c->r.diag.cause, "queue-not-ready");
    checked_free(c, &b);
}

/* Accesses the HAL cannot make (misaligned, one byte, outside RAM) land unchecked and are
 * reported as discrepancies, never a crash or a violation. */
static void test_replay_odd_accesses(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    st(&b, CMD + 1, 2, 0xbeef, 0);       /* misaligned */
    ld(&b, DESC + 1, 4, 0xef00, 0);      /* misaligned, and the guest read another value */
    st(&b, CMD + 9, 1, 0x5a, 0);         /* one byte */
    st(&b, 0x1000, 4, 1, 0);             /* outside RAM */
    rb_ev(&b, VQREC_MMIO_READ, 1, 0, WIN + 0x109, 0, NULL, 0); /* a byte of config space */
    struct checked *c = check(&b);
    assert_int_equal(c->rp.n_discrepancies, 4);
    /* the byte read reached the model at its width (the config space takes 8- and 16-bit
     * accesses, mmio_config_narrow.h), judged against the gpu's 32-bit field there, and read
     * what the model holds (byte 1 of num_scanouts, 0: no discrepancy) */
    assert_int_equal(count(&c->r, "mmio.config-access-width"), 1);
    assert_int_equal(c->r.m.n_violations, 1);
    assert_non_null(strstr(c->r.m.violations[0].message, "1-byte read at offset 0x9: the gpu's "
                                                          "field there is 4 byte(s) wide"));
    uint8_t got[10];
    memcpy(got, gm_ptr(&c->r.m.mem, CMD, sizeof(got)), sizeof(got));
    assert_int_equal(got[1], 0xef);
    assert_int_equal(got[2], 0xbe);
    assert_int_equal(got[9], 0x5a);
    assert_non_null(strstr(c->rp.notes[0].text, "misaligned 2-byte ring store"));
    assert_non_null(strstr(c->rp.notes[3].text, "outside guest RAM"));
    checked_free(c, &b);
}

/* ---- the reader on hostile input ---- */

static int parse(struct rb *b, struct vqrec_recording *rec, char *err)
{
    return vqrec_parse(b->b, b->n, rec, err, 256);
}

/* ---- a second device next to the gpu (issue 12 follow-up) ---- */

#define BLK_WIN 0x0a003c00ull  /* another window of the `virt` machine */
/* Its ring. Modern: the table and available ring below the gpu's rings, the used ring above
 * them (the modern layout lets a driver place the three areas anywhere, §2.6), so its stores and
 * its used.idx polls both land where the replay used to take them for the gpu's queue 0.
 * Legacy: one region from BLK_DESC (§2.6.2). */
#define BLK_DESC 0x40080000ull
#define BLK_AVAIL 0x40080080ull
#define BLK_USED 0x40300100ull
#define BLK_LEGACY_USED 0x40081000ull /* 8 entries at QueueAlign 4096: the next page */
#define BLK_REQ 0x40310000ull

static void brd(struct rb *r, uint32_t off, uint32_t v) { rb_ev(r, VQREC_MMIO_READ, 4, 0, BLK_WIN + off, v, NULL, 0); }
static void bwr(struct rb *r, uint32_t off, uint32_t v) { rb_ev(r, VQREC_MMIO_WRITE, 4, 0, BLK_WIN + off, v, NULL, 0); }

/* A virtio-blk (DeviceID 2) brought up with one queue of 8 entries, modern or legacy. */
static void blk_init(struct rb *r, bool legacy)
{
    rb_ev(r, VQREC_WINDOW, 0, 0, BLK_WIN, 0x200, NULL, 0);
    brd(r, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    brd(r, VIRTIO_MMIO_VERSION, legacy ? 1 : 2);
    brd(r, VIRTIO_MMIO_DEVICE_ID, 2);
    bwr(r, VIRTIO_MMIO_STATUS, 0);
    bwr(r, VIRTIO_MMIO_STATUS, 3);
    if (legacy)
        bwr(r, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
    bwr(r, VIRTIO_MMIO_QUEUE_SEL, 0);
    brd(r, VIRTIO_MMIO_QUEUE_NUM_MAX, 0x100);
    bwr(r, VIRTIO_MMIO_QUEUE_NUM, 8);
    if (legacy) {
        bwr(r, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
        bwr(r, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(BLK_DESC / 4096));
    } else {
        bwr(r, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)BLK_DESC);
        bwr(r, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
        bwr(r, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)BLK_AVAIL);
        bwr(r, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
        bwr(r, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)BLK_USED);
        bwr(r, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
        bwr(r, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    /* the recorder dumps a ring when the device takes it */
    static const uint8_t zero[64];
    rb_ev(r, VQREC_MEMORY, 0, VQREC_M_RING, BLK_DESC, 0, zero, sizeof(zero));
    bwr(r, VIRTIO_MMIO_STATUS, 0xf);
}

/* Block request number n (0, 1) published and notified (the header dumped at the notify). */
static void blk_request_n(struct rb *r, bool legacy, uint16_t n)
{
    uint64_t avail = legacy ? BLK_DESC + 16 * 8 : BLK_AVAIL;
    st(r, BLK_DESC + 16 * n + 0, 8, BLK_REQ, 0);
    st(r, BLK_DESC + 16 * n + 8, 4, 16, 0);
    st(r, BLK_DESC + 16 * n + 12, 2, 0, 0);
    st(r, BLK_DESC + 16 * n + 14, 2, 0, 0);
    st(r, avail + 4 + 2 * n, 2, n, 0);
    bar(r, VQREC_WMB);
    st(r, avail + 2, 2, (uint16_t)(n + 1), 0);
    bar(r, VQREC_MB);
    bwr(r, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint8_t hdr[16] = {8}; /* VIRTIO_BLK_T_GET_ID */
    rb_ev(r, VQREC_MEMORY, 0, 0, BLK_REQ, 0, hdr, sizeof(hdr));
}

static void blk_request(struct rb *r, bool legacy)
{
    blk_request_n(r, legacy, 0);
}

/* …and the guest seeing it answered (used.idx 0 twice, then 1, then the element). */
static void blk_answered(struct rb *r, bool legacy)
{
    uint64_t used = legacy ? BLK_LEGACY_USED : BLK_USED;
    brd(r, VIRTIO_MMIO_INTERRUPT_STATUS, 1);
    bwr(r, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    ld(r, used + 2, 2, 0, 0);
    ld(r, used + 2, 2, 1, 0);
    bar(r, VQREC_RMB);
    ld(r, used + 4, 4, 0, 0);
    ld(r, used + 8, 4, 1, 0);
}

/* The gpu's clean round trip with a block device at work around and inside it, checked. */
static struct checked *two_devices(struct rb *b, bool legacy_blk, bool legacy_gpu)
{
    rb_header(b, VQREC_VERSION_MAJOR_PLAIN);
    blk_init(b, legacy_blk);
    if (legacy_gpu)
        guest_init_legacy(b);
    else
        guest_init(b);
    gpu_used = legacy_gpu ? LEGACY_USED : USED;
    blk_request(b, legacy_blk);
    guest_request(b, CLEAN, 0);
    blk_answered(b, legacy_blk);
    /* a second block request, still polled for when the recording stops: the block device's
     * wait, none of the gpu's */
    blk_request_n(b, legacy_blk, 1);
    ld(b, (legacy_blk ? BLK_LEGACY_USED : BLK_USED) + 2, 2, 1, 0);
    ld(b, (legacy_blk ? BLK_LEGACY_USED : BLK_USED) + 2, 2, 1, 0);
    rb_ev(b, VQREC_END, 0, 0, 0, 0, NULL, 0);
    struct checked *c = check(b);
    gpu_used = USED;
    return c;
}

/* How many of the replay's counts differ from the gpu's round trip alone (10 stores, 6 loads,
 * 1 dump — its command), no request left waiting, and the block device's window seen. */
static int gpu_counts_mismatched(const struct checked *c)
{
    return (c->rp.timed_out_queue != RUN_MAX_QUEUES) + (c->rp.n_stores != 10) +
           (c->rp.n_loads != 6) + (c->rp.n_memory != 1) + (c->rp.n_other_window == 0) +
           c->rp.q[0].busy;
}

static void test_replay_second_device_modern(void **state)
{
    (void)state;
    struct rb b = {0};
    struct checked *c = two_devices(&b, false, false);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->r.m.n_violations, 0);
    assert_false(c->r.has_diag);
    /* 12 stores, 6 loads, 3 dumps (ring, request headers) of the block device, none replayed */
    assert_int_equal(c->rp.n_other_devices, 21);
    assert_int_equal(gpu_counts_mismatched(c), 0);
    checked_free(c, &b);
}

static void test_replay_second_device_legacy(void **state)
{
    (void)state;
    struct rb b = {0};
    struct checked *c = two_devices(&b, true, false);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->r.m.n_violations, 0);
    assert_false(c->r.has_diag);
    assert_int_equal(c->rp.n_other_devices, 21);
    assert_int_equal(gpu_counts_mismatched(c), 0);
    checked_free(c, &b);
}

/* A legacy gpu: a load outside every used ring of the gpu's would be split.legacy.layout. */
static void test_replay_second_device_legacy_gpu(void **state)
{
    (void)state;
    for (int legacy_blk = 0; legacy_blk <= 1; legacy_blk++) {
        struct rb b = {0};
        struct checked *c = two_devices(&b, legacy_blk, true);
        assert_string_equal(c->r.res.outcome, "ok");
        assert_int_equal(count(&c->r, "split.legacy.layout"), 0);
        assert_int_equal(c->r.m.n_violations, 0);
        assert_false(c->r.has_diag);
        assert_int_equal(c->rp.n_other_devices, 21);
        assert_int_equal(gpu_counts_mismatched(c), 0);
        checked_free(c, &b);
    }
}

/* The gpu hangs (never notified) while the block device has a request out: the diagnosis is
 * the gpu's, for the gpu's queue, from the gpu's request. */
static void test_replay_gpu_hang_next_to_busy_device(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    blk_init(&b, false);
    guest_init(&b);
    blk_request(&b, false);
    ld(&b, BLK_USED + 2, 2, 0, 0); /* the block device is waited for too */
    guest_request(&b, NO_NOTIFY, 0);
    ld(&b, BLK_USED + 2, 2, 0, 0);
    ld(&b, BLK_USED + 2, 2, 0, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_true(c->r.has_diag);
    assert_string_equal(c->r.diag.cause, "no-notify");
    assert_int_equal(c->rp.timed_out_queue, 0);
    /* the gpu's own mistake, as without the block device, and nothing of the block device's */
    assert_int_equal(c->r.m.n_violations, 1);
    assert_int_equal(count(&c->r, "split.availnotif.flags0-must-notify"), 1);
    assert_int_equal(c->rp.n_other_devices, 6 + 3 + 2); /* stores, loads, dumps */
    assert_true(c->rp.q[0].busy);
    assert_int_equal(c->rp.q[0].seen_used, 0);
    checked_free(c, &b);
}

static void test_reader_rejects_bad_header(void **state)
{
    (void)state;
    char err[256];
    struct vqrec_recording rec;
    struct rb b = {0};
    assert_int_equal(vqrec_parse((const uint8_t *)"VQSIM", 5, &rec, err, sizeof(err)),
                     VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 0:"));
    assert_int_equal(vqrec_parse(NULL, 0, &rec, err, sizeof(err)), VQREC_E_INVALID);
    rb_header(&b, 3); /* another major version */
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 8: recording format version 3.0"));
    b.b[0] = 'X'; /* bad magic */
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "magic"));
    b.n = 0;
    rb_header(&b, 1);
    struct vqrec_header *h = (struct vqrec_header *)b.b;
    h->header_size = 4096; /* beyond the file */
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 12:"));
    h->header_size = 73; /* not a multiple of 8 */
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    h->header_size = sizeof(*h);
    h->ram_size = 0;
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 16:"));
    free(b.b);
}

static void test_reader_events(void **state)
{
    (void)state;
    char err[256];
    struct vqrec_recording rec;
    struct rb b = {0};
    rb_header(&b, 1);
    rd(&b, 0, VIRTIO_MMIO_MAGIC);
    rb_ev(&b, 200, 0, 0, 0, 0, "abc", 3);     /* unknown kind with a payload: skipped */
    rb_ev(&b, VQREC_NOTE, 0, 0, 0, 0, "x", 2);
    rb_ev(&b, VQREC_END, 0, VQREC_END_KILLED, 0, 7, NULL, 0);
    rb_put(&b, "trailing", 8);
    assert_int_equal(parse(&b, &rec, err), VQREC_OK);
    assert_int_equal(rec.n_items, 3);
    assert_int_equal(rec.skipped_unknown, 1);
    assert_int_equal(rec.items[0].ev.kind, VQREC_MMIO_READ);
    assert_int_equal(rec.items[0].offset, 72);
    assert_int_equal(rec.items[1].offset, 72 + 32 + 32 + 8);
    assert_memory_equal(rec.items[1].payload, "x", 2);
    assert_true(rec.has_end);
    assert_int_equal(rec.items[2].ev.value, 7);
    assert_int_equal(rec.trailing_bytes, 8);
    assert_false(rec.truncated);
    assert_string_equal(rec.source, "hand-built");
    vqrec_free(&rec);

    /* cut short: inside an event, and a payload running past the end (a huge len) */
    b.n = 72 + 32 + 10;
    assert_int_equal(parse(&b, &rec, err), VQREC_OK);
    assert_int_equal(rec.n_items, 1);
    assert_true(rec.truncated);
    assert_int_equal(rec.truncated_at, 104);
    vqrec_free(&rec);
    b.n = 72;
    rb_ev(&b, VQREC_NOTE, 0, 0, 0, 0, "y", 1);
    ((struct vqrec_event *)(b.b + 72))->len = 0xfffffff0u;
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID); /* text beyond 64 KiB */
    assert_non_null(strstr(err, "offset 72: note event"));
    b.n = 72;
    rb_ev(&b, VQREC_MEMORY, 0, 0, CMD, 0, "zz", 2);
    ((struct vqrec_event *)(b.b + 72))->len = 1u << 29;
    assert_int_equal(parse(&b, &rec, err), VQREC_OK);
    assert_true(rec.truncated);
    assert_int_equal(rec.n_items, 0);
    vqrec_free(&rec);

    /* malformed known events are errors naming the offset */
    b.n = 72;
    rd(&b, 0, 1);
    st(&b, DESC, 3, 0, 0); /* 3-byte store */
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "offset 104: store event: access width"));
    b.n = 72;
    bar(&b, 9);
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "barrier kind"));
    b.n = 72;
    rb_ev(&b, VQREC_MEMORY, 0, 0, UINT64_MAX - 1, 0, "zz", 2);
    assert_int_equal(parse(&b, &rec, err), VQREC_E_INVALID);
    assert_non_null(strstr(err, "wraps"));
    free(b.b);
}

/* Random bytes after a valid header, and every prefix of a real recording: never a crash, and
 * every answer is either OK or an error with an offset. */
static void test_reader_never_crashes(void **state)
{
    (void)state;
    char err[256];
    struct vqrec_recording rec;
    struct rb b = {0};
    rb_header(&b, 1);
    guest_init(&b);
    guest_request(&b, CLEAN, 0);
    for (size_t n = 0; n <= b.n; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.b, n);
        int rc = vqrec_parse(copy, n, &rec, err, sizeof(err));
        if (n < 72)
            assert_int_equal(rc, VQREC_E_INVALID);
        else
            assert_int_equal(rc, VQREC_OK);
        vqrec_free(&rec);
        free(copy);
    }
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        size_t n = 72 + (round % 300);
        uint8_t *buf = malloc(n);
        memcpy(buf, b.b, 72);
        for (size_t i = 72; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)(x >> 16);
        }
        int rc = vqrec_parse(buf, n, &rec, err, sizeof(err));
        assert_true(rc == VQREC_OK || (rc == VQREC_E_INVALID && !strncmp(err, "offset ", 7)));
        vqrec_free(&rec);
        free(buf);
    }
    free(b.b);
}

/* A driver whose used ring is not where QueueDevice says (0x40300000): it publishes, notifies and
 * polls its own used.idx at USED + 2, which the recorder caught as a poll (VQREC_F_POLL). The
 * replay sees where it waits: used-ring-mismatch, with the driver's ring in the evidence.
 * Without the poll (a recorder that sees ring memory only) the same run is unexplained. */
static void mismatch_run(struct rb *b, bool with_poll)
{
    rb_header(b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init_used(b, 0x40300000);
    st(b, DESC + 0, 8, CMD, 0);
    st(b, DESC + 8, 4, 24, 0);
    st(b, DESC + 12, 2, VIRTQ_DESC_F_NEXT, 0);
    st(b, DESC + 14, 2, 1, 0);
    st(b, DESC + 16, 8, RESP, 0);
    st(b, DESC + 24, 4, 408, 0);
    st(b, DESC + 28, 2, VIRTQ_DESC_F_WRITE, 0);
    st(b, AVAIL + 4, 2, 0, 0);
    bar(b, VQREC_WMB);
    st(b, AVAIL + 2, 2, 1, 0);
    bar(b, VQREC_MB);
    wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint8_t cmd[24] = {0x00, 0x01};
    rb_ev(b, VQREC_MEMORY, 0, 0, CMD, 24, cmd, sizeof(cmd));
    if (with_poll)
        ld(b, USED + 2, 2, 0, VQREC_F_POLL);
    rd(b, VIRTIO_MMIO_STATUS, 0xf); /* the driver gave up: one look at Status */
    rb_ev(b, VQREC_END, 0, 0, 0, 0, NULL, 0);
}

static const char *evidence(const struct run_result *r, const char *key)
{
    for (int i = 0; i < r->diag.causes[0].n_evidence; i++)
        if (!strcmp(r->diag.causes[0].evidence[i].key, key))
            return r->diag.causes[0].evidence[i].value;
    return "";
}

static void test_replay_poll_outside_rings_finds_used_ring_mismatch(void **state)
{
    (void)state;
    struct rb b = {0};
    mismatch_run(&b, true);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_true(c->r.has_diag);
    assert_string_equal(c->r.diag.cause, "used-ring-mismatch");
    assert_string_equal(evidence(&c->r, "device_used"), "0x40300000");
    assert_string_equal(evidence(&c->r, "driver_used"), "0x40100128");
    assert_int_equal(c->rp.n_polls, 1);
    assert_int_equal(c->rp.n_loads, 2); /* replayed as the loop it was: two polls */
    assert_true(c->rp.q[0].repeat);
    assert_int_equal(c->rp.n_discrepancies, 0);
    assert_int_equal(c->r.m.n_violations, 0);
    checked_free(c, &b);

    struct rb b2 = {0};
    mismatch_run(&b2, false);
    c = check(&b2);
    assert_string_equal(c->r.res.outcome, "timeout");
    assert_true(c->r.has_diag);
    assert_string_not_equal(c->r.diag.cause, "used-ring-mismatch");
    checked_free(c, &b2);
}

/* A poll somewhere that is no used.idx (below the available ring): counted, not replayed — the
 * model holds nothing the guest put there, and it is none of the rules' business. */
static void test_replay_poll_elsewhere_is_ignored(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, CLEAN, 0);
    ld(&b, 0x40090002, 2, 5, VQREC_F_POLL);
    rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->r.m.n_violations, 0);
    assert_int_equal(c->rp.n_polls, 1);
    assert_int_equal(c->rp.n_discrepancies, 0);
    checked_free(c, &b);
}

/* ---- several vCPUs, a device of its own pace, kernel loads ---- */

/* An event of vCPU `cpu`. */
static void evc(struct rb *r, uint8_t cpu, uint8_t kind, uint8_t size, uint8_t flags, uint64_t a,
                uint64_t v)
{
    struct vqrec_event e = {.kind = kind, .size = size, .flags = flags, .cpu = cpu, .addr = a,
                            .value = v};
    rb_put(r, &e, sizeof(e));
}

/* QEMU's trace line of the gpu's VirtQueue 0x5000, the window known (minor 2). */
static void qemu_line(struct rb *r, unsigned kind, const char *line)
{
    struct vqrec_event e = {.kind = VQREC_DEVICE, .cpu = VQREC_CPU_NONE, .addr = 0,
                            .value = kind, .pc = WIN, .len = (uint32_t)strlen(line) + 1};
    rb_put(r, &e, sizeof(e));
    static const uint8_t zero[8];
    rb_put(r, line, e.len);
    rb_put(r, zero, (8 - e.len % 8) % 8);
}

/* vCPU 0 fills descriptors and the avail entry; vCPU 1, busy with its own ring accesses, runs a
 * write barrier between them; vCPU 0 stores avail.idx. A barrier orders only its own CPU's
 * accesses: pairing A fires, as it does without vCPU 1 — and stays silent when the barrier is
 * vCPU 0's own. (A replay that read the file as one CPU's order took vCPU 1's barrier for 0's.) */
static void test_replay_barriers_are_per_vcpu(void **state)
{
    (void)state;
    for (int own = 0; own <= 1; own++) {
        struct rb b = {0};
        rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
        guest_init(&b);
        evc(&b, 0, VQREC_STORE, 8, 0, DESC, CMD);
        evc(&b, 0, VQREC_STORE, 4, 0, DESC + 8, 24);
        evc(&b, 0, VQREC_STORE, 2, 0, DESC + 12, 0);
        evc(&b, 0, VQREC_STORE, 2, 0, AVAIL + 4, 0);
        evc(&b, 1, VQREC_LOAD, 2, 0, USED + 2, 0);
        evc(&b, own ? 0 : 1, VQREC_BARRIER, 0, 0, 0, VQREC_WMB);
        evc(&b, 1, VQREC_LOAD, 2, 0, USED + 2, 0);
        evc(&b, 0, VQREC_STORE, 2, 0, AVAIL + 2, 1);
        rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
        struct checked *c = check(&b);
        assert_int_equal(count(&c->r, "split.avail.idx-barrier"), own ? 0 : 1);
        checked_free(c, &b);
    }
}

/* A kernel reads many 2-byte values again and again that are no used.idx (an inode's mode, a
 * display mode's height): the recorder flags them POLL and records their later values (WATCHED).
 * Mid-run, with the guest going on afterwards, they are never replayed: no catch-up (virtual time
 * stays where the request put it), no discrepancy, no rule — the request is answered and clean. */
static void test_replay_kernel_loads_never_wait(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, CLEAN, 0);
    ld(&b, 0x40300002, 2, 0x1e0, VQREC_F_POLL);    /* past the available ring, 2 mod 4 */
    ld(&b, 0x40300002, 2, 0x320, VQREC_F_WATCHED); /* its value changed */
    ld(&b, 0x40300006, 2, 7, VQREC_F_POLL);
    guest_request(&b, CLEAN, 0);                   /* the guest went on */
    rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
    struct checked *c = check(&b);
    assert_string_equal(c->r.res.outcome, "ok");
    assert_int_equal(c->r.m.n_violations, 0);
    assert_int_equal(c->rp.n_discrepancies, 0);
    assert_int_equal(c->rp.n_polls, 2);
    assert_int_equal(c->rp.n_outside, 1);
    assert_true(c->r.m.now < 2000000000ull); /* no 100 ms catch-up per load (GIVE_UP is 1 s) */
    checked_free(c, &b);
}

/* QEMU's trace paces the model's device: the guest publishes two chains and notifies; QEMU's
 * device takes one (virtqueue_pop), publishes it (virtqueue_flush) and never the other. The
 * model takes and answers exactly that one: its avail index and used index end at 1, the guest's
 * read of used.idx 1 needs no catch-up, and the chain QEMU never took is the request never
 * answered. Without the trace (an older recording) the model took both. */
static void test_replay_paced_by_qemu_trace(void **state)
{
    (void)state;
    for (int traced = 0; traced <= 1; traced++) {
        struct rb b = {0};
        rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
        guest_init(&b);
        for (uint16_t k = 0; k < 2; k++) {
            uint64_t d = DESC + 32u * k;
            st(&b, d, 8, CMD, 0);
            st(&b, d + 8, 4, 24, 0);
            st(&b, d + 12, 2, VIRTQ_DESC_F_NEXT, 0);
            st(&b, d + 14, 2, (uint16_t)(2 * k + 1), 0);
            st(&b, d + 16, 8, RESP, 0);
            st(&b, d + 24, 4, 408, 0);
            st(&b, d + 28, 2, VIRTQ_DESC_F_WRITE, 0);
            st(&b, d + 30, 2, 0, 0);
            st(&b, AVAIL + 4 + 2u * k, 2, (uint16_t)(2 * k), 0);
            bar(&b, VQREC_WMB);
            st(&b, AVAIL + 2, 2, (uint16_t)(k + 1), 0);
        }
        bar(&b, VQREC_MB);
        if (traced)
            qemu_line(&b, VQREC_DEV_NOTIFY, "virtio_queue_notify vdev 0x4000 n 0 vq 0x5000");
        wr(&b, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        uint8_t cmd[24] = {0x00, 0x01}; /* GET_DISPLAY_INFO */
        rb_ev(&b, VQREC_MEMORY, 0, 0, CMD, 24, cmd, sizeof(cmd));
        if (traced) {
            qemu_line(&b, VQREC_DEV_POP, "virtqueue_pop vq 0x5000 elem 0x6000 in_num 1 out_num 1");
            qemu_line(&b, VQREC_DEV_FILL, "virtqueue_fill vq 0x5000 elem 0x6000 len 408 idx 0");
            qemu_line(&b, VQREC_DEV_FLUSH, "virtqueue_flush vq 0x5000 count 1");
        }
        ld(&b, USED + 2, 2, 1, 0);
        bar(&b, VQREC_RMB);
        ld(&b, USED + 4, 4, 0, 0);
        ld(&b, USED + 8, 4, 408, 0);
        rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
        struct checked *c = check(&b);
        assert_int_equal(c->rp.paced, traced);
        assert_int_equal(c->r.m.dev.q[0].last_avail_idx, traced ? 1 : 2);
        assert_int_equal(c->r.m.dev.q[0].used_idx, traced ? 1 : 2);
        assert_int_equal(c->rp.n_discrepancies, 0);
        assert_string_equal(c->r.res.outcome, "timeout"); /* avail.idx 2, the guest saw 1 */
        checked_free(c, &b);
    }
}

/* QEMU's device raised InterruptStatus a moment after the model (which publishes used.idx and
 * raises it at once): the guest reads 0 and acknowledges what it read (Linux's vm_interrupt).
 * The checks judge that read by the value the guest got: no "acknowledged without reading". */
static void test_replay_interrupt_status_as_the_guest_saw_it(void **state)
{
    (void)state;
    struct rb b = {0};
    rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
    guest_init(&b);
    guest_request(&b, CLEAN, 0); /* the guest saw used.idx 1: the model answered, ISR = 1 */
    rd(&b, VIRTIO_MMIO_INTERRUPT_STATUS, 0);
    wr(&b, VIRTIO_MMIO_INTERRUPT_ACK, 0);
    rd(&b, VIRTIO_MMIO_INTERRUPT_STATUS, 1);
    wr(&b, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
    struct checked *c = check(&b);
    assert_int_equal(c->r.m.n_violations, 0);
    assert_int_equal(c->rp.n_isr_ahead, 1);
    assert_int_equal(c->rp.n_discrepancies, 0);
    checked_free(c, &b);
}

/* Pairing D is about re-enabling interrupts: used_event set to the used index the driver waits
 * for, then a full barrier, then used.idx read again. Linux's virtqueue_disable_cb stores 0 in
 * used_event to turn interrupts off — behind the used.idx it has read, asking for nothing — and
 * reads used.idx without a barrier: no pairing. The same load after a real re-enable fires. */
static void test_replay_used_event_disable_is_no_reenable(void **state)
{
    (void)state;
    for (int reenable = 0; reenable <= 1; reenable++) {
        struct rb b = {0};
        rb_header(&b, VQREC_VERSION_MAJOR_PLAIN);
        guest_init(&b);
        guest_request(&b, CLEAN, 0);               /* the guest read used.idx 1 */
        st(&b, AVAIL + 4 + 2 * 16, 2, reenable ? 1 : 0, 0); /* used_event */
        ld(&b, USED + 2, 2, 1, 0);                 /* no full barrier between */
        rb_ev(&b, VQREC_END, 0, 0, 0, 0, NULL, 0);
        struct checked *c = check(&b);
        assert_int_equal(count(&c->r, "split.receive.mb-before-reread"), reenable ? 1 : 0);
        checked_free(c, &b);
    }
}

/* The plugin's barrier filter: per vCPU, the barriers between two recorded accesses, as the set
 * of their kinds (an MB stands for all), none before a vCPU's first recorded access. */
static void test_barrier_filter(void **state)
{
    (void)state;
    struct bf_barrier out[2];
    bf_reset();
    bf_barrier(0, VQREC_MB, 0xd5033bbf, 0x100);   /* before any access: orders nothing */
    assert_int_equal(bf_access(0, out), 0);
    bf_barrier(0, VQREC_WMB, 0xd5033abf, 0x104);
    bf_barrier(0, VQREC_WMB, 0xd5033abf, 0x108);  /* the same kind again: one */
    bf_barrier(1, VQREC_RMB, 0xd50339bf, 0x200);  /* vCPU 1's: not vCPU 0's */
    assert_int_equal(bf_access(0, out), 1);
    assert_int_equal(out[0].kind, VQREC_WMB);
    assert_int_equal(out[0].pc, 0x108);           /* the last one of the kind */
    assert_int_equal(bf_access(0, out), 0);       /* nothing between these two */
    bf_barrier(0, VQREC_RMB, 0xd50339bf, 0x10c);
    bf_barrier(0, VQREC_WMB, 0xd5033abf, 0x110);  /* an RMB and a WMB are not an MB: both */
    assert_int_equal(bf_access(0, out), 2);
    assert_int_equal(out[0].kind, VQREC_RMB);
    assert_int_equal(out[1].kind, VQREC_WMB);
    bf_barrier(0, VQREC_RMB, 0xd50339bf, 0x114);
    bf_barrier(0, VQREC_MB, 0xd5033bbf, 0x118);   /* a full barrier orders all an RMB would */
    bf_barrier(0, VQREC_WMB, 0xd5033abf, 0x11c);
    assert_int_equal(bf_access(0, out), 1);
    assert_int_equal(out[0].kind, VQREC_MB);
    assert_int_equal(bf_access(1, out), 0);       /* vCPU 1's first access: its RMB came before */
    uint64_t executed, kept;
    bf_counts(&executed, &kept);
    assert_int_equal(executed, 9);
    assert_int_equal(kept, 4);
    bf_barrier(BF_CPUS, VQREC_MB, 0, 0);          /* beyond the table: ignored, no crash */
    assert_int_equal(bf_access(BF_CPUS, out), 0);
}

/* The plugin's poll spotter: the POLL_RUN-th equal load of one instruction at one address is
 * recorded once as a poll; then each change there as a load, and the next run again; another
 * address or instruction starts over; vCPUs beyond the table are not watched. */
static void test_poll_watch(void **state)
{
    (void)state;
    poll_watch_reset();
    const uint64_t pc = 0x40081698, pa = 0x4010012a;
    for (unsigned i = 1; i < POLL_RUN; i++)
        assert_int_equal(poll_watch(0, pc, pa, 0), POLL_SKIP);
    assert_int_equal(poll_watch(0, pc, pa, 0), POLL_RECORD_POLL);
    for (unsigned i = 0; i < 3 * POLL_RUN; i++)
        assert_int_equal(poll_watch(0, pc, pa, 0), POLL_SKIP); /* once per run */
    assert_int_equal(poll_watch(0, pc, pa, 1), POLL_RECORD_LOAD); /* the answer arrives */
    for (unsigned i = 2; i < POLL_RUN; i++)
        assert_int_equal(poll_watch(0, pc, pa, 1), POLL_SKIP);
    assert_int_equal(poll_watch(0, pc, pa, 1), POLL_RECORD_POLL);
    /* a value read fewer than POLL_RUN times, never polled: nothing */
    const uint64_t pa2 = 0x40090002;
    for (unsigned i = 1; i < POLL_RUN; i++)
        assert_int_equal(poll_watch(0, pc, pa2, 7), POLL_SKIP);
    assert_int_equal(poll_watch(0, pc, pa2, 8), POLL_SKIP); /* changed before it was a poll */
    /* another instruction at the same address, and another vCPU, count on their own */
    for (unsigned i = 1; i < POLL_RUN; i++) {
        assert_int_equal(poll_watch(0, pc + 4, pa, 3), POLL_SKIP);
        assert_int_equal(poll_watch(1, pc, pa, 3), POLL_SKIP);
    }
    assert_int_equal(poll_watch(0, pc + 4, pa, 3), POLL_RECORD_POLL);
    assert_int_equal(poll_watch(1, pc, pa, 3), POLL_RECORD_POLL);
    for (unsigned i = 0; i < 2 * POLL_RUN; i++)
        assert_int_equal(poll_watch(POLL_CPUS, pc, pa, 0), POLL_SKIP);
    /* a reset forgets every run */
    poll_watch_reset();
    assert_int_equal(poll_watch(1, pc, pa, 3), POLL_SKIP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_rejects_bad_header),
        cmocka_unit_test(test_reader_events),
        cmocka_unit_test(test_reader_never_crashes),
        cmocka_unit_test(test_replay_clean_round_trip),
        cmocka_unit_test(test_replay_missing_wmb_fires_pairing_a),
        cmocka_unit_test(test_replay_release_store_orders),
        cmocka_unit_test(test_replay_unanswered_request_is_diagnosed),
        cmocka_unit_test(test_replay_mmu_on_same_verdict),
        cmocka_unit_test(test_replay_register_wait),
        cmocka_unit_test(test_replay_odd_accesses),
        cmocka_unit_test(test_replay_notify_without_ring),
        cmocka_unit_test(test_replay_poll_outside_rings_finds_used_ring_mismatch),
        cmocka_unit_test(test_replay_poll_elsewhere_is_ignored),
        cmocka_unit_test(test_poll_watch),
        cmocka_unit_test(test_replay_second_device_modern),
        cmocka_unit_test(test_replay_second_device_legacy),
        cmocka_unit_test(test_replay_second_device_legacy_gpu),
        cmocka_unit_test(test_replay_gpu_hang_next_to_busy_device),
        cmocka_unit_test(test_replay_barriers_are_per_vcpu),
        cmocka_unit_test(test_replay_kernel_loads_never_wait),
        cmocka_unit_test(test_replay_paced_by_qemu_trace),
        cmocka_unit_test(test_replay_interrupt_status_as_the_guest_saw_it),
        cmocka_unit_test(test_barrier_filter),
        cmocka_unit_test(test_replay_used_event_disable_is_no_reenable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
