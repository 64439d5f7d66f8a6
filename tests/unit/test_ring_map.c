/* test_ring_map.c — the map of the split rings' areas (src/model/rings/ring_map.h) gives
 * ring_at_locate's answer for every address, on layouts built by hand: live rings, rings not
 * live yet (located at their registers), a packed queue among them, rings sharing memory (the
 * first queue wins: the map hands those to ring_at_locate), an avail ring at address 0; and it
 * looks again when the layout generation moves (and only then). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/rings/packed_ring.h"
#include "model/rings/ring_map.h"

static struct dev_queue q[DEVICE_MAX_QUEUES];

static void split(uint32_t k, bool live, uint64_t desc, uint64_t avail, uint64_t used,
                  uint32_t n)
{
    memset(&q[k], 0, sizeof(q[k]));
    q[k].ops = &split_ring_ops;
    q[k].live = live;
    if (live)
        q[k].desc = desc, q[k].avail = avail, q[k].used = used, q[k].live_num = n;
    else
        q[k].reg_desc = desc, q[k].reg_driver = avail, q[k].reg_device = used, q[k].num = n;
}

/* Every address from lo to hi, at each width a driver uses: the map answers as the walk. */
static unsigned same_everywhere(struct ring_map *map, uint32_t gen, uint64_t lo, uint64_t hi)
{
    static const uint32_t sizes[] = {2, 4, 8};
    unsigned located = 0;
    for (uint64_t gpa = lo; gpa < hi; gpa++)
        for (unsigned s = 0; s < 3; s++) {
            struct ring_at w, a;
            memset(&w, 0, sizeof(w));
            memset(&a, 0, sizeof(a));
            ring_at_locate(q, DEVICE_MAX_QUEUES, gpa, sizes[s], &w);
            ring_map_locate(map, gen, q, DEVICE_MAX_QUEUES, gpa, sizes[s], &a);
            assert_int_equal(a.f, w.f);
            assert_int_equal(a.qi, w.qi);
            assert_int_equal(a.index, w.index);
            assert_int_equal(a.next, w.next);
            assert_int_equal(a.publish, w.publish);
            if (w.next) {
                assert_int_equal(a.next_qi, w.next_qi);
                assert_int_equal(a.next_i, w.next_i);
            }
            located += w.f != SR_F_NONE;
        }
    return located;
}

static void live_and_registered_rings(void **state)
{
    (void)state;
    struct ring_map map = {0};
    split(0, true, 0x1000, 0x1100, 0x1200, 8);   /* live, modern layout */
    split(1, false, 0x2000, 0x2400, 0x2800, 64); /* registers written, not live yet */
    memset(&q[2], 0, sizeof(q[2]));
    q[2].ops = &packed_ring_ops; /* a packed queue: no split field anywhere */
    q[2].live = true, q[2].desc = 0x3000, q[2].live_num = 8;
    unsigned n = same_everywhere(&map, 1, 0xff0, 0x3100);
    assert_false(map.overlap);
    assert_true(n > 3 * (16 * 8 + 22 + 70)); /* the live ring and the registered one */
    struct ring_at a;
    ring_map_locate(&map, 1, q, DEVICE_MAX_QUEUES, 0x1102, 2, &a); /* queue 0's avail.idx */
    assert_int_equal(a.f, SR_F_AVAIL_IDX);
    assert_int_equal(a.publish, 1u);
    ring_map_locate(&map, 1, q, DEVICE_MAX_QUEUES, 0x1000 + 16 * 3 + 14, 2, &a);
    assert_int_equal(a.f, SR_F_DESC_NEXT);
    assert_true(a.next);
    assert_int_equal(a.next_i, 3);
    ring_map_locate(&map, 1, q, DEVICE_MAX_QUEUES, 0x1200 + 4 + 8 * 5 + 4, 4, &a);
    assert_int_equal(a.f, SR_F_USED_LEN);
    assert_int_equal(a.index, 5);
}

static void shared_memory_first_queue_wins(void **state)
{
    (void)state;
    struct ring_map map = {0};
    split(0, true, 0x1000, 0x1100, 0x1200, 8);
    split(1, true, 0x1080, 0x1108, 0x4200, 8); /* its table and avail ring inside queue 0's */
    memset(&q[2], 0, sizeof(q[2]));
    same_everywhere(&map, 7, 0xff0, 0x4300);
    assert_true(map.overlap);
    split(1, true, 0x2000, 0, 0x2200, 8); /* live with its avail ring at 0: it publishes at 2 */
    same_everywhere(&map, 8, 0, 0x10);
    assert_true(map.overlap);
}

static void a_layout_change_is_seen(void **state)
{
    (void)state;
    struct ring_map map = {0};
    split(0, true, 0x1000, 0x1100, 0x1200, 8);
    memset(&q[1], 0, sizeof(q[1]));
    memset(&q[2], 0, sizeof(q[2]));
    same_everywhere(&map, 3, 0xff0, 0x1300);
    split(0, true, 0x5000, 0x5100, 0x5200, 4); /* moved: a new generation */
    same_everywhere(&map, 4, 0xff0, 0x5300);
    /* the same generation means the same layout: the map is not rebuilt (the queues' writers
     * bump it, ring_layout_touch) */
    split(0, true, 0x6000, 0x6100, 0x6200, 4);
    struct ring_at a;
    ring_map_locate(&map, 4, q, DEVICE_MAX_QUEUES, 0x5102, 2, &a);
    assert_int_equal(a.f, SR_F_AVAIL_IDX);
    ring_map_locate(&map, 5, q, DEVICE_MAX_QUEUES, 0x5102, 2, &a);
    assert_int_equal(a.f, SR_F_NONE);
}

/* ring_map_find, in a round trip's order over two queues (the last hit, its successor, the
 * search): each access gets the area that holds it, with its offset; an address in no area, a
 * stale map and a map with overlapping areas get none (the caller asks ring_map_locate). */
static void find_follows_a_round_trip(void **state)
{
    (void)state;
    struct ring_map map = {0};
    split(0, true, 0x1000, 0x1100, 0x1200, 8);
    split(1, true, 0x3000, 0x5000, 0x6000, 256);
    memset(&q[2], 0, sizeof(q[2]));
    struct ring_at a;
    ring_map_locate(&map, 9, q, DEVICE_MAX_QUEUES, 0x1000, 8, &a); /* builds it */
    static const struct { uint64_t gpa; uint8_t qi, kind; } trip[] = {
        {0x3000 + 16 * 5, 1, RING_DESC}, {0x5000 + 4 + 2 * 5, 1, RING_DRIVER},
        {0x5002, 1, RING_DRIVER}, {0x6000, 1, RING_DEVICE}, {0x6002, 1, RING_DEVICE},
        {0x6000 + 4 + 8 * 5, 1, RING_DEVICE}, {0x1000 + 16 * 7 + 14, 0, RING_DESC},
        {0x1100 + 4 + 2 * 8, 0, RING_DRIVER}, {0x3000 + 16 * 6, 1, RING_DESC},
        {0x1200 + 4 + 8 * 8, 0, RING_DEVICE}, {0x5000, 1, RING_DRIVER}};
    for (unsigned round = 0; round < 3; round++)
        for (unsigned i = 0; i < sizeof(trip) / sizeof(trip[0]); i++) {
            uint64_t off = ~0ull;
            const struct ring_map_area *f = ring_map_find(&map, 9, trip[i].gpa, &off);
            assert_non_null(f);
            assert_int_equal(f->qi, trip[i].qi);
            assert_int_equal(f->kind, trip[i].kind);
            assert_true(f->live);
            assert_int_equal(off, trip[i].gpa - f->lo);
        }
    uint64_t off;
    assert_null(ring_map_find(&map, 9, 0x4800, &off)); /* in no area */
    assert_null(ring_map_find(&map, 10, 0x1000, &off)); /* built at 9 */
    assert_int_equal(same_everywhere(&map, 9, 0xff0, 0x6820) > 0, 1);
    split(1, true, 0x1080, 0x5000, 0x6000, 256); /* its table over queue 0's: overlap */
    ring_map_locate(&map, 11, q, DEVICE_MAX_QUEUES, 0x1000, 8, &a);
    assert_true(map.overlap);
    assert_null(ring_map_find(&map, 11, 0x5000, &off));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_and_registered_rings),
        cmocka_unit_test(shared_memory_first_queue_wins),
        cmocka_unit_test(a_layout_change_is_seen),
        cmocka_unit_test(find_follows_a_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
