/* gm_zero on pooled pages (model/ram_pool.h): what a run sees must be exactly what memset on
 * fresh guest RAM gives — the range reads zero (the pooled pages held another run's bytes), every
 * page of it is resident, no page outside it is (the memory guard counts resident pages:
 * pages_scanned in the results) — and the pages did come from the pool (its bytes go down by the
 * range's whole pages), then go back to it when RAM is unmapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "model/guest_memory.h"
#include "model/ram_pool.h"

#define BASE 0x40000000ull
#define PAGE 4096u
#define PAGES 64u

/* Which of RAM's pages are resident, as the memory guard asks. */
static void resident(const struct guest_memory *gm, unsigned char v[PAGES])
{
    assert_int_equal(mincore(gm->host, PAGES * PAGE, v), 0);
    for (unsigned i = 0; i < PAGES; i++)
        v[i] &= 1;
}

static void test_pooled_pages_read_zero_and_resident_only_in_range(void **state)
{
    (void)state;
    struct guest_memory a, b;
    size_t before = ram_pool_bytes();
    /* A run clears 10.5 pages from page 1 + 100 bytes (whole pages 2..10: 9), scribbles on them
     * and ends: those 9 pages go to the pool. */
    assert_int_equal(gm_init(&a, BASE, PAGES * PAGE), 0);
    uint8_t *p = gm_ptr(&a, BASE + PAGE + 100, 10 * PAGE + 2048);
    assert_non_null(p);
    gm_zero(&a, p, 10 * PAGE + 2048);
    memset(p, 0xa5, 10 * PAGE + 2048);
    gm_destroy(&a);
    assert_int_equal(ram_pool_bytes(), before + 9 * PAGE);

    /* The next run clears pages 20..25 and 40 bytes of page 26: six whole pages, from the pool. */
    assert_int_equal(gm_init(&b, BASE, PAGES * PAGE), 0);
    unsigned char v[PAGES];
    resident(&b, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], 0); /* fresh: nothing resident */
    uint8_t *q = gm_ptr(&b, BASE + 20 * PAGE, 6 * PAGE + 40);
    gm_zero(&b, q, 6 * PAGE + 40);
    assert_int_equal(ram_pool_bytes(), before + 3 * PAGE);
    for (unsigned i = 0; i < 6 * PAGE + 40; i++)
        assert_int_equal(q[i], 0); /* not the 0xa5 the pooled pages held */
    resident(&b, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], i >= 20 && i <= 26); /* as memset on fresh RAM leaves it */
    /* the rest of RAM is still mapped and reads zero around the placed pages */
    assert_int_equal(b.host[19 * PAGE + PAGE - 1], 0);
    assert_int_equal(b.host[27 * PAGE], 0);
    gm_destroy(&b);
    assert_int_equal(ram_pool_bytes(), before + 9 * PAGE); /* six back */
}

static void test_short_range_and_clear(void **state)
{
    (void)state;
    struct guest_memory a;
    size_t before = ram_pool_bytes();
    assert_int_equal(gm_init(&a, BASE, PAGES * PAGE), 0);
    uint8_t *p = gm_ptr(&a, BASE + 3 * PAGE, 2 * PAGE);
    gm_zero(&a, p, 2 * PAGE); /* under RAM_POOL_MIN_RUN: plain memset, not kept */
    assert_int_equal(ram_pool_bytes(), before);
    uint8_t *q = gm_ptr(&a, BASE + 8 * PAGE, 8 * PAGE);
    gm_zero(&a, q, 8 * PAGE); /* the pool has 9 pages from the test before: 8 placed */
    assert_int_equal(ram_pool_bytes(), before - 8 * PAGE);
    assert_int_equal(gm_clear(&a), 0); /* its pages dropped: none to hand on */
    unsigned char v[PAGES];
    resident(&a, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], 0);
    assert_int_equal(q[0], 0);
    gm_destroy(&a);
    assert_int_equal(ram_pool_bytes(), before - 8 * PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pooled_pages_read_zero_and_resident_only_in_range),
        cmocka_unit_test(test_short_range_and_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
