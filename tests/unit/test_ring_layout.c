/* test_ring_layout.c — src/spec/ring_layout.c, the layout arithmetic `vqsim explain --layout`
 * prints: exact offsets, and agreement with the device model it claims to describe (the legacy
 * used ring a version 1 device places after QueuePFN, and ring_classify's name for every byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_hal.h"
#include "spec/virtio_spec.h"
#include "driver/virtqueue.h"
#include "spec/ring_layout.h"
#include "model/rings/split_ring.h"
#include "sim_fixture.h"

static const struct rl_part *part(const struct ring_layout *l, const char *name)
{
    for (unsigned i = 0; i < l->n_parts; i++)
        if (!strcmp(l->part[i].name, name))
            return &l->part[i];
    return NULL;
}

static void assert_part(const struct ring_layout *l, const char *name, uint64_t off, uint64_t size)
{
    const struct rl_part *p = part(l, name);
    if (!p)
        fail_msg("no part %s", name);
    if (p->off != off || p->size != size)
        fail_msg("%s at %llu+%llu, expected %llu+%llu", name, (unsigned long long)p->off,
                 (unsigned long long)p->size, (unsigned long long)off, (unsigned long long)size);
}

static void test_modern_16(void **state)
{
    (void)state;
    struct ring_layout l;
    assert_int_equal(ring_layout_compute(16, RL_MODERN, 0, &l), 0);
    assert_int_equal(l.desc, 0);
    assert_int_equal(l.avail, 0x100);
    assert_int_equal(l.used, 0x128);
    assert_int_equal(l.end, 0x1ae);
    assert_int_equal(l.desc_align, 16);
    assert_int_equal(l.avail_align, 2);
    assert_int_equal(l.used_align, 4);
    assert_part(&l, "desc", 0, 256);
    assert_part(&l, "avail.flags", 0x100, 2);
    assert_part(&l, "avail.idx", 0x102, 2);
    assert_part(&l, "avail.ring", 0x104, 32);
    assert_part(&l, "avail.used_event", 0x124, 2);
    assert_part(&l, "padding", 0x126, 2);
    assert_part(&l, "used.flags", 0x128, 2);
    assert_part(&l, "used.idx", 0x12a, 2);
    assert_part(&l, "used.ring", 0x12c, 128);
    assert_part(&l, "used.avail_event", 0x1ac, 2);
    /* the same packing the driver's `layout: packed` uses */
    struct vq_layout d;
    assert_int_equal(vq_layout_modern(16, VQ_LAYOUT_PACKED, &d), VIRTIO_OK);
    assert_int_equal(d.avail_off, l.avail);
    assert_int_equal(d.used_off, l.used);
}

static void test_modern_non_pow2_has_no_padding_when_aligned(void **state)
{
    (void)state;
    struct ring_layout l;
    /* N=5: avail 0x50, ends at 0x50+16 = 0x60, 4-aligned already: used follows directly */
    assert_int_equal(ring_layout_compute(5, RL_MODERN, 0, &l), 0);
    assert_int_equal(l.avail, 0x50);
    assert_int_equal(l.used, 0x60);
    assert_null(part(&l, "padding"));
    assert_int_equal(l.end, 0x60 + 6 + 40);
}

static void test_legacy_4096_and_the_spec_formula(void **state)
{
    (void)state;
    struct ring_layout q, s;
    assert_int_equal(ring_layout_compute(16, RL_LEGACY_QEMU, 4096, &q), 0);
    assert_int_equal(ring_layout_compute(16, RL_LEGACY_SPEC, 4096, &s), 0);
    assert_int_equal(q.used, 0x1000);
    assert_int_equal(s.used, 0x1000);
    assert_part(&q, "padding", 0x126, 0x1000 - 0x126);
    assert_int_equal(q.used_align, 4096);
    /* QueueAlign 4: QEMU 0x124 (used_event left out), the spec 0x128; no padding, overlap */
    assert_int_equal(ring_layout_compute(16, RL_LEGACY_QEMU, 4, &q), 0);
    assert_int_equal(ring_layout_compute(16, RL_LEGACY_SPEC, 4, &s), 0);
    assert_int_equal(q.used, 0x124);
    assert_int_equal(s.used, 0x128);
    assert_null(part(&q, "padding"));
    /* the spec formula is the driver's vq_layout_legacy */
    struct vq_layout d;
    assert_int_equal(vq_layout_legacy(16, 4, &d), VIRTIO_OK);
    assert_int_equal(d.used_off, s.used);
    /* non-power-of-two QueueAlign rounds by division */
    assert_int_equal(rl_legacy_used(0x40100000, 16, 100), 0x4010012cull);
    assert_int_equal(rl_legacy_used(0, 3, 100), 100);
    /* the whole region either driver may use ends with the spec formula's used ring:
     * 0x128 + 6 + 8 x 16 at QueueAlign 4, 0x1000 + 134 at 4096 */
    assert_int_equal(rl_legacy_region_bytes(0x40100000, 16, 4), 0x128 + 134);
    assert_int_equal(rl_legacy_region_bytes(0x40100000, 16, 4096), 0x1000 + 134);
}

static void test_out_of_range(void **state)
{
    (void)state;
    struct ring_layout l;
    assert_int_equal(ring_layout_compute(0, RL_MODERN, 0, &l), -1);
    assert_int_equal(ring_layout_compute(32769, RL_MODERN, 0, &l), -1);
    assert_int_equal(ring_layout_compute(16, RL_LEGACY_QEMU, 0, &l), -1);
    assert_int_equal(ring_layout_compute(16, (enum rl_kind)7, 4096, &l), -1);
    assert_int_equal(ring_layout_compute(32768, RL_LEGACY_QEMU, 4096, &l), 0);
    assert_int_equal(l.used, 16ull * 32768 + 2 * 32768 + 4096 - (16ull * 32768 + 2 * 32768) % 4096);
}

/* The legacy device places its used ring exactly where the layout says, for several sizes and
 * alignments (QueueNum and QueueAlign before QueuePFN, as a driver writes them). */
static void test_legacy_device_agrees(void **state)
{
    (void)state;
    static const uint32_t nums[] = {1, 3, 10, 16, 256, 1024};
    static const uint32_t aligns[] = {4, 100, 4096, 65536};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        for (size_t k = 0; k < sizeof(aligns) / sizeof(aligns[0]); k++) {
            struct machine *m = fx_machine_new(1);
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_GUEST_PAGE_SIZE), 4096);
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_SEL), 0);
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_NUM), nums[i]);
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_ALIGN), aligns[k]);
            vhal_mmio_write32(fx_reg(m, VIRTIO_MMIO_QUEUE_PFN), 0x40100);
            struct ring_layout l;
            assert_int_equal(ring_layout_compute(nums[i], RL_LEGACY_QEMU, aligns[k], &l), 0);
            const struct dev_queue *q = &m->dev.q[0];
            assert_true(q->live);
            assert_int_equal(q->desc, 0x40100000ull + l.desc);
            assert_int_equal(q->avail, 0x40100000ull + l.avail);
            assert_int_equal(q->used, 0x40100000ull + l.used);
            fx_machine_free(m);
        }
    }
}

/* Every byte of every part is what the device model calls it (ring_classify, which names the
 * addresses in the trace): the table `vqsim explain` prints and the device cannot disagree.
 * Returns how many bytes are misnamed (each is printed). */
static unsigned check_classify(uint32_t num)
{
    unsigned bad = 0;
    struct ring_layout l;
    assert_int_equal(ring_layout_compute(num, RL_MODERN, 0, &l), 0);
    struct machine *m = fx_machine_new(2);
    const uint64_t base = 0x40100000;
    m->dev.q[0].num = num;
    fx_make_live(m, 0, base + l.desc, base + l.avail, base + l.used);
    assert_true(m->dev.q[0].live);
    for (unsigned i = 0; i < l.n_parts; i++) {
        const struct rl_part *p = &l.part[i];
        for (uint64_t b = 0; b < p->size; b++) {
            uint32_t idx = 0;
            const char *got = ring_classify(&m->dev.q[0], base + p->off + b, &idx);
            if (p->area == RL_AREA_NONE) {
                if (got && bad++ < 8)
                    print_error("N=%u padding byte %llu classified as %s\n", num,
                                (unsigned long long)b, got);
                continue;
            }
            if (!got) {
                if (bad++ < 8)
                    print_error("N=%u %s byte %llu not classified\n", num, p->name,
                                (unsigned long long)b);
                continue;
            }
            bool ok = !strcmp(got, p->name);
            if (!strcmp(p->name, "desc"))
                ok = !strncmp(got, "desc.", 5);
            if (!strcmp(p->name, "used.ring"))
                ok = !strcmp(got, "used.id") || !strcmp(got, "used.len");
            if (p->entries && p->entry_size && idx != b / p->entry_size)
                ok = false;
            if (!ok && bad++ < 8)
                print_error("N=%u %s byte %llu classified as %s entry %u\n", num, p->name,
                            (unsigned long long)b, got, idx);
        }
    }
    /* nothing past the end belongs to the ring */
    uint32_t idx;
    if (ring_classify(&m->dev.q[0], base + l.end, &idx)) {
        print_error("N=%u the byte past the ring is classified\n", num);
        bad++;
    }
    fx_machine_free(m);
    return bad;
}

static void test_parts_match_device_names(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1, 5, 10, 16, 256};
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(check_classify(sizes[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modern_16),
        cmocka_unit_test(test_modern_non_pow2_has_no_padding_when_aligned),
        cmocka_unit_test(test_legacy_4096_and_the_spec_formula),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_legacy_device_agrees),
        cmocka_unit_test(test_parts_match_device_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
