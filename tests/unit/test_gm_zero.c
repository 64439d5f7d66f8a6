/* gm_zero (model/guest_memory.h) must leave exactly what memset on guest RAM leaves, whatever it
 * does to make the pages resident first (MADV_POPULATE_WRITE; for a long run, pages from the
 * thread's pool, ram_pool.h): the range reads zero (over bytes the run wrote before, or another
 * machine's bytes on pooled pages), bytes outside it keep what they held, every page of the
 * range is resident and no other page becomes so (the memory guard counts resident pages:
 * pages_scanned in the results); gm_clear drops them all. */
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

static void test_fresh_range_zero_and_resident_only_there(void **state)
{
    (void)state;
    struct guest_memory gm;
    assert_int_equal(gm_init(&gm, BASE, PAGES * PAGE), 0);
    unsigned char v[PAGES];
    resident(&gm, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], 0); /* fresh: nothing resident */
    /* pages 20..25 whole and 40 bytes of page 26 */
    uint8_t *q = gm_ptr(&gm, BASE + 20 * PAGE, 6 * PAGE + 40);
    gm_zero(&gm, q, 6 * PAGE + 40);
    for (unsigned i = 0; i < 6 * PAGE + 40; i++)
        assert_int_equal(q[i], 0);
    resident(&gm, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], i >= 20 && i <= 26);
    gm_destroy(&gm);
}

static void test_over_written_bytes_and_clear(void **state)
{
    (void)state;
    struct guest_memory gm;
    assert_int_equal(gm_init(&gm, BASE, PAGES * PAGE), 0);
    memset(gm.host + 3 * PAGE, 0xa5, 10 * PAGE); /* the run wrote pages 3..12 */
    /* 10.5 pages from page 1 + 100 bytes: whole pages 2..10, parts of 1 and 11 */
    uint8_t *p = gm_ptr(&gm, BASE + PAGE + 100, 10 * PAGE + 2048);
    gm_zero(&gm, p, 10 * PAGE + 2048);
    for (unsigned i = 0; i < 10 * PAGE + 2048; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(gm.host[PAGE + 99], 0);          /* before: never written */
    assert_int_equal(p[10 * PAGE + 2048], 0xa5);      /* after: what the run wrote */
    assert_int_equal(gm.host[13 * PAGE - 1], 0xa5);
    unsigned char v[PAGES];
    resident(&gm, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], i >= 1 && i <= 12);
    assert_int_equal(gm_clear(&gm), 0); /* every page dropped: zero, none resident */
    resident(&gm, v);
    for (unsigned i = 0; i < PAGES; i++)
        assert_int_equal(v[i], 0);
    assert_int_equal(p[0], 0);
    assert_int_equal(gm.host[12 * PAGE], 0);
    gm_destroy(&gm);
}

/* A long run (a framebuffer) ends in the pool when RAM is unmapped, and the next machine's long
 * run takes those pages: another machine's bytes must not show, nor any page outside the range. */
static void test_long_run_through_the_pool(void **state)
{
    (void)state;
    enum { BIG = 4 * PAGES, RUN = RAM_POOL_MIN_RUN / PAGE };
    struct guest_memory a, b;
    size_t before = ram_pool_bytes();
    assert_int_equal(gm_init(&a, BASE, BIG * PAGE), 0);
    uint8_t *p = gm_ptr(&a, BASE + PAGE + 100, (RUN + 1) * PAGE);
    gm_zero(&a, p, (RUN + 1) * PAGE); /* whole pages 2..RUN+1 */
    memset(p, 0xa5, (RUN + 1) * PAGE);
    gm_destroy(&a);
    assert_int_equal(ram_pool_bytes(), before + RUN * PAGE);

    assert_int_equal(gm_init(&b, BASE, BIG * PAGE), 0);
    uint8_t *q = gm_ptr(&b, BASE + 3 * PAGE, RUN * PAGE + 40); /* RUN whole pages and 40 bytes */
    gm_zero(&b, q, RUN * PAGE + 40);
    assert_int_equal(ram_pool_bytes(), before); /* all from the pool */
    for (unsigned i = 0; i < RUN * PAGE + 40; i++)
        assert_int_equal(q[i], 0);
    static unsigned char v[BIG];
    assert_int_equal(mincore(b.host, BIG * PAGE, v), 0);
    for (unsigned i = 0; i < BIG; i++)
        assert_int_equal(v[i] & 1, i >= 3 && i <= 3 + RUN);
    assert_int_equal(b.host[2 * PAGE + PAGE - 1], 0); /* around the placed pages: still RAM */
    assert_int_equal(b.host[(4 + RUN) * PAGE], 0);
    gm_destroy(&b);
    assert_int_equal(ram_pool_bytes(), before + RUN * PAGE); /* back in the pool */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_range_zero_and_resident_only_there),
        cmocka_unit_test(test_over_written_bytes_and_clear),
        cmocka_unit_test(test_long_run_through_the_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
