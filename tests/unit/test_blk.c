/* test_blk.c — virtio-blk: the model (src/model/devices/blk_device.c) driven by the real driver
 * (src/driver/virtio_blk.c) through the simulated HAL, on both transports.
 *
 * Outcomes by content: every sector read equals the image file's bytes (read here with stdio,
 * apart from the model); a write changes exactly its sectors in the model's disk, and the file
 * only when writes go to it; the config words and the offered features are QEMU 7.2's, written
 * out here from QEMU's virtio_blk_get_features / virtio_blk_update_config, not from the model.
 * The rule checks stay silent on the correct driver; malformed requests get QEMU's answer and
 * their rule id. The kernel's content check (harness/kernel_blk.c) fails on a byte that is not
 * the disk's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/virtio_blk.h"
#include "driver/virtio_hal.h"
#include "harness/kernel_blk.h"
#include "harness/kernel_device.h"
#include "model/checks/access_checks.h"
#include "model/devices/blk_device.h"
#include "sim_fixture.h"

#define SECTORS 64u

static char image_path[64];

/* A 32 KiB image of bytes that differ per sector and offset, written to a temporary file. */
static uint8_t image_byte(uint32_t i) { return (uint8_t)(i * 13u + (i >> 9) * 101u + 7u); }

static int make_image(void **state)
{
    (void)state;
    snprintf(image_path, sizeof(image_path), "/tmp/vqsim-test-blk-%d.img", (int)getpid());
    FILE *f = fopen(image_path, "wb");
    if (!f)
        return -1;
    for (uint32_t i = 0; i < SECTORS * 512; i++)
        fputc(image_byte(i), f);
    return fclose(f);
}

static int remove_image(void **state)
{
    (void)state;
    return unlink(image_path);
}

static struct machine *blk_machine_at(const char *path, uint32_t version, bool to_file, bool ro)
{
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(version);
    cfg.device = "blk";
    cfg.disk_image = path;
    cfg.disk_writes_to_file = to_file;
    cfg.disk_read_only = ro;
    if (ro) /* as the harness does (runner.c): QEMU's readonly=on offers RO */
        cfg.offer_add |= 1ull << VIRTIO_BLK_F_RO;
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    hal_sim_bind(m);
    return m;
}

static struct machine *blk_machine(uint32_t version, bool to_file, bool ro)
{
    return blk_machine_at(image_path, version, to_file, ro);
}

static void init_driver(struct vblk *b, uint64_t features)
{
    const struct vblk_config bc = {.mmio_base = FX_MMIO_BASE, .queue_size = 16,
                                   .layout = VQ_LAYOUT_SEPARATE, .legacy_align = 4096,
                                   .timeout_ns = 1000000000ull, .features = features};
    assert_int_equal(vblk_init(b, &bc), VIRTIO_OK);
    assert_int_equal(b->capacity, SECTORS);
}

static void assert_silent(struct machine *m)
{
    machine_advance(m, m->now + FX_LATENCY_NS);
    access_checks_finish(m);
    for (uint32_t i = 0; i < m->n_violations; i++)
        print_error("unexpected %s: %s\n", m->violations[i].rule->id, m->violations[i].message);
    assert_int_equal(m->n_violations, 0);
    assert_false(m->dev.broken);
}

/* Every sector, in runs of 1..8, equals the file's bytes; a write then changes exactly its own
 * sectors, read back; the other sectors still equal the file. */
static void read_write_all(uint32_t version, uint64_t features)
{
    struct machine *m = blk_machine(version, false, false);
    struct vblk b;
    init_driver(&b, features);
    uint64_t phys = 0;
    uint8_t *buf = vhal_dma_alloc(8 * 512, 512, VHAL_DMA_BUFFER, &phys);
    assert_non_null(buf);
    for (uint32_t s = 0; s < SECTORS;) {
        uint32_t n = 1 + s % 8 < SECTORS - s ? 1 + s % 8 : SECTORS - s;
        memset(buf, 0xee, 8 * 512);
        assert_int_equal(vblk_read(&b, s, n, buf, phys), VIRTIO_OK);
        for (uint32_t i = 0; i < n * 512; i++)
            if (buf[i] != image_byte(s * 512 + i))
                fail_msg("sector %u byte %u: 0x%02x, the image has 0x%02x", s + i / 512, i % 512,
                         buf[i], image_byte(s * 512 + i));
        assert_int_equal(b.last_used_len, n * 512 + 1); /* QEMU 7.2: every writable byte */
        s += n;
    }
    for (uint32_t i = 0; i < 3 * 512; i++)
        buf[i] = (uint8_t)(i ^ 0x5a);
    assert_int_equal(vblk_write(&b, 20, 3, buf, phys), VIRTIO_OK);
    assert_int_equal(vblk_flush(&b), VIRTIO_OK);
    static uint8_t disk[SECTORS * 512];
    assert_int_equal(blk_disk_size(m), SECTORS * 512);
    assert_true(blk_disk_read(m, 0, disk, sizeof(disk)));
    assert_false(blk_disk_read(m, 1, disk, sizeof(disk))); /* past the disk */
    for (uint32_t i = 0; i < SECTORS * 512; i++) {
        bool written = i >= 20 * 512 && i < 23 * 512;
        uint8_t want = written ? (uint8_t)((i - 20 * 512) ^ 0x5a) : image_byte(i);
        if (disk[i] != want)
            fail_msg("disk byte %u: 0x%02x, expected 0x%02x", i, disk[i], want);
    }
    memset(buf, 0, 8 * 512);
    assert_int_equal(vblk_read(&b, 19, 5, buf, phys), VIRTIO_OK);
    assert_memory_equal(buf, disk + 19 * 512, 5 * 512);
    assert_int_equal(buf[512], 0x5a);
    assert_silent(m);
    fx_machine_free(m);
    /* writes stay in the model: the file is the image as it was */
    FILE *f = fopen(image_path, "rb");
    assert_non_null(f);
    for (uint32_t i = 0; i < SECTORS * 512; i++)
        assert_int_equal(fgetc(f), image_byte(i));
    fclose(f);
}

static void test_modern(void **state)
{
    (void)state;
    read_write_all(2, VBLK_DEVICE_FEATURES);
}

static void test_legacy_indirect_event_idx(void **state)
{
    (void)state;
    read_write_all(1, VBLK_DRIVER_FEATURES);
}

/* QEMU 7.2's offer and config for this image, written out independently of the model. */
static void test_qemu_features_and_config(void **state)
{
    (void)state;
    static const uint32_t dev_bits[] = {2, 4, 6, 9, 10, 11, 13, 14}; /* SEG_MAX GEOMETRY BLK_SIZE
                                                                      * FLUSH TOPOLOGY CONFIG_WCE
                                                                      * DISCARD WRITE_ZEROES */
    uint64_t bits = 0;
    for (size_t i = 0; i < sizeof(dev_bits) / sizeof(dev_bits[0]); i++)
        bits |= 1ull << dev_bits[i];
    for (uint32_t v = 1; v <= 2; v++) {
        struct machine *m = blk_machine(v, false, v == 2);
        uint64_t want = bits | 1ull << 28 | 1ull << 29; /* INDIRECT_DESC, EVENT_IDX */
        if (v == 1)
            want |= 1ull << 24 | 1ull << 7;            /* NOTIFY_ON_EMPTY, SCSI (no ANY_LAYOUT) */
        else
            want |= 1ull << 32 | 1ull << 40;           /* VERSION_1, bit 40 */
        if (v == 2)
            want |= 1ull << 5; /* RO (this machine's disk is read-only) */
        assert_int_equal(m->dev.host_features, want);
        struct vblk b;
        init_driver(&b, VBLK_DEVICE_FEATURES);
        assert_int_equal(b.read_only, v == 2);
        static const uint32_t words[][2] = {
            {0, SECTORS}, {4, 0}, {8, 0}, {12, 254},
            {16, 2u | 16u << 16 | 63u << 24}, /* cylinders 2 (the minimum), 16 heads, 63 sectors */
            {20, 512}, {24, 0}, {28, 0}, {32, 1u | 1u << 16}, /* writeback 1, num_queues 1 */
            {36, 0x3fffff}, {40, 1}, {44, 1}, {48, 0x3fffff}, {52, 1}, {56, 1},
        };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            {
            uint32_t word = 0;
            assert_int_equal(vtr_config_read32(b.t, words[i][0], &word), VIRTIO_OK);
            assert_int_equal(word, words[i][1]);
        }
        uint64_t phys = 0;
        uint8_t *buf = vhal_dma_alloc(512, 512, VHAL_DMA_BUFFER, &phys);
        if (v == 2) /* the driver refuses a write to a read-only disk: nothing is sent */
            assert_int_equal(vblk_write(&b, 0, 1, buf, phys), VIRTIO_ERR_INVALID);
        assert_silent(m);
        fx_machine_free(m);
    }
}

/* A raw request (vblk_submit): its status byte, the used length, and what the checks say. */
static int raw(struct vblk *b, uint32_t type, uint64_t sector, uint64_t phys, uint32_t len,
               bool writable, bool status_writable)
{
    struct vq_buf data = {phys, len};
    struct vblk_raw r = {.hdr = {type, 0, sector}, .data = &data, .n_data = len ? 1 : 0,
                         .data_writable = writable, .status_writable = status_writable};
    return vblk_submit(b, &r);
}

static void test_malformed_requests(void **state)
{
    (void)state;
    struct machine *m = blk_machine(2, false, false);
    struct vblk b;
    init_driver(&b, VBLK_DEVICE_FEATURES);
    uint64_t phys = 0;
    uint8_t *buf = vhal_dma_alloc(4096, 512, VHAL_DMA_BUFFER, &phys);
    /* past capacity: IOERR, blk.req.within-capacity */
    assert_int_equal(raw(&b, VIRTIO_BLK_T_IN, SECTORS - 1, phys, 1024, true, true),
                     VIRTIO_ERR_RESPONSE);
    assert_int_equal(b.last_status, VIRTIO_BLK_S_IOERR);
    assert_int_equal(fx_count_violations(m, "blk.req.within-capacity"), 1);
    /* not whole sectors: IOERR, blk.req.data-sectors */
    assert_int_equal(raw(&b, VIRTIO_BLK_T_OUT, 0, phys, 100, false, true), VIRTIO_ERR_RESPONSE);
    assert_int_equal(b.last_status, VIRTIO_BLK_S_IOERR);
    assert_int_equal(fx_count_violations(m, "blk.req.data-sectors"), 1);
    /* an unknown type and SCSI (scsi=off): UNSUPP, no rule */
    assert_int_equal(raw(&b, 0x77, 0, phys, 0, true, true), VIRTIO_ERR_RESPONSE);
    assert_int_equal(b.last_status, VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(raw(&b, VIRTIO_BLK_T_SCSI_CMD, 0, phys, 0, true, true), VIRTIO_ERR_RESPONSE);
    assert_int_equal(b.last_status, VIRTIO_BLK_S_UNSUPP);
    /* GET_ID with no serial: OK, one NUL written, used.len every writable byte */
    memset(buf, 0x33, 20);
    assert_int_equal(raw(&b, VIRTIO_BLK_T_GET_ID, 0, phys, 20, true, true), VIRTIO_OK);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 0x33);
    assert_int_equal(b.last_used_len, 21);
    /* FLUSH with a sector: OK, blk.flush.sector-zero */
    assert_int_equal(raw(&b, VIRTIO_BLK_T_FLUSH, 9, phys, 0, true, true), VIRTIO_OK);
    assert_int_equal(fx_count_violations(m, "blk.flush.sector-zero"), 1);
    assert_int_equal(m->n_violations, 3);
    assert_false(m->dev.broken);
    /* the status byte read-only: broken, never answered (QEMU "virtio-blk missing headers") */
    b.timeout_ns = 100000000ull;
    assert_int_equal(raw(&b, VIRTIO_BLK_T_IN, 0, phys, 512, false, false),
                     VIRTIO_ERR_NEEDS_RESET);
    assert_int_equal(fx_count_violations(m, "blk.req.status-writable"), 1);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, "blk.req.status-writable");
    assert_int_equal(m->dev.q[0].used_idx, 6); /* the six answered before it, not it */
    fx_machine_free(m);
}

/* writes: file — each completed write reaches the image file, nothing else in it changes. */
static void test_writes_reach_the_file(void **state)
{
    (void)state;
    struct machine *m = blk_machine(2, true, false);
    struct vblk b;
    init_driver(&b, VBLK_DEVICE_FEATURES);
    uint64_t phys = 0;
    uint8_t *buf = vhal_dma_alloc(1024, 512, VHAL_DMA_BUFFER, &phys);
    for (uint32_t i = 0; i < 1024; i++)
        buf[i] = (uint8_t)(0xc3 ^ i);
    assert_int_equal(vblk_write(&b, 33, 2, buf, phys), VIRTIO_OK);
    FILE *f = fopen(image_path, "rb");
    assert_non_null(f);
    for (uint32_t i = 0; i < SECTORS * 512; i++) {
        bool written = i >= 33 * 512 && i < 35 * 512;
        int want = written ? (uint8_t)(0xc3 ^ (i - 33 * 512)) : image_byte(i);
        if (fgetc(f) != want)
            fail_msg("file byte %u is not 0x%02x", i, want);
    }
    fclose(f);
    assert_silent(m);
    fx_machine_free(m);
    assert_int_equal(make_image(NULL), 0); /* the image as it was, for the tests after */
}

/* harness/kernel_blk.c opened on the image at `path` and its driver initialised on the bound
 * machine, silent. */
static void *kernel_opened(const char *path, struct step_result *sr, char *failure)
{
    struct scenario sc;
    memset(&sc, 0, sizeof(sc));
    sc.mmio_base = FX_MMIO_BASE;
    sc.queue_size = 16;
    sc.layout = VQ_LAYOUT_SEPARATE;
    sc.timeout_ns = 1000000000ull;
    sc.disk_image = (char *)path;
    const struct kernel_device_ops *kd = kernel_device_find("blk");
    assert_ptr_equal(kd, &kernel_blk_ops);
    void *k = kd->open(&sc, failure);
    assert_non_null(k);
    memset(sr, 0, sizeof(*sr));
    assert_int_equal(kd->init(k, NULL, sr, failure), VIRTIO_OK);
    assert_string_equal(failure, "");
    return k;
}

/* The kernel's content check: a read whose bytes are not what the disk holds fails the step,
 * naming the byte and the sector. (Its expectation is tampered with here: the device is right,
 * the check must still speak.) */
static void test_content_check_fires(void **state)
{
    (void)state;
    struct machine *m = blk_machine(2, false, false);
    const struct kernel_device_ops *kd = &kernel_blk_ops;
    char failure[KERNEL_FAILURE_LEN] = "";
    struct step_result sr;
    void *k = kernel_opened(image_path, &sr, failure);
    struct scenario_step st = {.kind = STEP_BLK_READ, .sector = 4, .count = 2};
    assert_int_equal(kd->step(k, &st, &sr, failure), VIRTIO_OK);
    assert_string_equal(failure, ""); /* the disk's bytes: silent */
    *kernel_blk_expected(k, 5 * 512 + 17) ^= 0xff;
    assert_int_equal(kd->step(k, &st, &sr, failure), VIRTIO_OK);
    char want[128];
    snprintf(want, sizeof(want), "byte 17 of sector 5 read 0x%02x, the disk holds 0x%02x",
             image_byte(5 * 512 + 17), (uint8_t)(image_byte(5 * 512 + 17) ^ 0xff));
    assert_string_equal(failure, want);
    kd->close(k);
    fx_machine_free(m);
}

/* An 8 GiB sparse image (a few KiB on disk): the kernel's reads of its middle (5 GiB) and tail
 * equal the file's bytes, by content, while the model holds no chunk of it; a write holds its
 * two 4 KiB chunks, no more; the content check still speaks at 5 GiB. */
static void test_8_gib_sparse_image(void **state)
{
    (void)state;
    const uint64_t sectors = 16ull << 20, middle = 10ull << 20;
    char big[64];
    snprintf(big, sizeof(big), "/tmp/vqsim-test-blk-8g-%d.img", (int)getpid());
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), (off_t)(sectors * 512)), 0);
    assert_int_equal(fseeko(f, (off_t)(middle * 512 + 100), SEEK_SET), 0);
    fputs("the middle of an 8 GiB disk", f);
    fclose(f);
    struct machine *m = blk_machine_at(big, 2, false, false);
    const struct kernel_device_ops *kd = &kernel_blk_ops;
    char failure[KERNEL_FAILURE_LEN] = "";
    struct step_result sr; /* (init silent: the device says the image's 16777216 sectors) */
    void *k = kernel_opened(big, &sr, failure);
    assert_true(blk_disk_size(m) == sectors * 512);
    struct scenario_step rd = {.kind = STEP_BLK_READ, .sector = middle, .count = 1};
    struct scenario_step tail = {.kind = STEP_BLK_READ, .sector = sectors - 8, .count = 8};
    assert_int_equal(kd->step(k, &rd, &sr, failure), VIRTIO_OK);
    assert_int_equal(kd->step(k, &tail, &sr, failure), VIRTIO_OK);
    assert_string_equal(failure, "");
    assert_int_equal(blk_disk_chunks_held(m), 0);
    char got[28] = "";
    assert_true(blk_disk_read(m, middle * 512 + 100, got, 27));
    assert_string_equal(got, "the middle of an 8 GiB disk");
    struct scenario_step wr = {.kind = STEP_BLK_WRITE, .sector = (4ull << 21) + 4, .count = 8,
                               .seed = 3};
    assert_int_equal(kd->step(k, &wr, &sr, failure), VIRTIO_OK);
    assert_string_equal(failure, "");
    assert_int_equal(blk_disk_chunks_held(m), 2); /* 4 KiB at 4 GiB + 2 KiB spans two */
    *kernel_blk_expected(k, middle * 512 + 104) ^= 0xff;
    assert_int_equal(kd->step(k, &rd, &sr, failure), VIRTIO_OK);
    char want[128];
    snprintf(want, sizeof(want), "byte 104 of sector %llu read 0x%02x, the disk holds 0x%02x",
             (unsigned long long)middle, 'm', 'm' ^ 0xff);
    assert_string_equal(failure, want);
    kd->close(k);
    fx_machine_free(m);
    unlink(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modern),
        cmocka_unit_test(test_legacy_indirect_event_idx),
        cmocka_unit_test(test_qemu_features_and_config),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_writes_reach_the_file),
        cmocka_unit_test(test_content_check_fires),
        cmocka_unit_test(test_8_gib_sparse_image),
    };
    return cmocka_run_group_tests(tests, make_image, remove_image);
}
