/* resident_runs (model/resident_pages.h): the runs of pages a fresh mapping's users touched —
 * pages written, a page only read (the kernel maps its shared zero page: resident, as mincore
 * says) — exactly, first to last, merged where adjacent; nothing on a mapping never touched; the
 * same answer as mincore's page by page; and a bad range refused. written_runs: the same without
 * the page only read (a page written with zeros is still named); and guest_zero.h on a guest's
 * RAM: bytes known zero only on pages nobody wrote, never across a written one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "model/guest_zero.h"
#include "model/resident_pages.h"

#define PAGES 4096u /* 16 MiB: more page tables than one */

struct seen {
    size_t first[16], n[16];
    unsigned runs;
};

static void note(void *ctx, size_t first, size_t n)
{
    struct seen *s = ctx;
    assert_true(s->runs < 16);
    s->first[s->runs] = first;
    s->n[s->runs++] = n;
}

static uint8_t *fresh(void)
{
    uint8_t *p = mmap(NULL, (size_t)PAGES * RP_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

static void test_runs_of_touched_pages(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    struct seen s = {0};
    assert_int_equal(resident_runs(p, (size_t)PAGES * RP_PAGE, note, &s), 0);
    assert_int_equal(s.runs, 0); /* never touched */

    p[3 * RP_PAGE] = 1;                   /* pages 3, 4: one run */
    p[4 * RP_PAGE + RP_PAGE - 1] = 2;
    volatile uint8_t r = p[10 * RP_PAGE + 7]; /* only read: the zero page */
    (void)r;
    memset(p + 600 * RP_PAGE, 0, 3 * RP_PAGE);  /* 600..602, past the first page table */
    p[(PAGES - 1) * RP_PAGE] = 3;               /* the last page */
    s.runs = 0;
    assert_int_equal(resident_runs(p, (size_t)PAGES * RP_PAGE, note, &s), 0);
    assert_int_equal(s.runs, 4);
    size_t first[4] = {3, 10, 600, PAGES - 1}, n[4] = {2, 1, 3, 1};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(s.first[i], first[i]);
        assert_int_equal(s.n[i], n[i]);
    }
    /* the same as mincore, page by page */
    static unsigned char v[PAGES];
    assert_int_equal(mincore(p, (size_t)PAGES * RP_PAGE, v), 0);
    for (size_t i = 0, k = 0; i < PAGES; i++) {
        bool in = k < s.runs && i >= s.first[k] && i < s.first[k] + s.n[k];
        assert_int_equal(v[i] & 1, in);
        if (k < s.runs && i + 1 == s.first[k] + s.n[k])
            k++;
    }
    /* a sub-range: offsets from its own start */
    s.runs = 0;
    assert_int_equal(resident_runs(p + 4 * RP_PAGE, 8 * RP_PAGE, note, &s), 0);
    assert_int_equal(s.runs, 2);
    assert_int_equal(s.first[0], 0);
    assert_int_equal(s.n[0], 1);
    assert_int_equal(s.first[1], 6);
    assert_int_equal(s.n[1], 1);
    munmap(p, (size_t)PAGES * RP_PAGE);
}

static void test_unaligned_refused(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    struct seen s = {0};
    assert_int_equal(resident_runs(p + 1, RP_PAGE, note, &s), -1);
    assert_int_equal(resident_runs(p, RP_PAGE + 1, note, &s), -1);
    assert_int_equal(s.runs, 0);
    munmap(p, (size_t)PAGES * RP_PAGE);
}

/* The pages that may hold a non-zero byte: written ones (even with zeros), not one only read. */
static void test_written_runs(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    struct seen s = {0};
    int rc = written_runs(p, (size_t)PAGES * RP_PAGE, note, &s);
    if (rc != 0) { /* a kernel before 6.7: not known, never guessed */
        assert_int_equal(rc, -1);
        assert_int_equal(s.runs, 0);
        munmap(p, (size_t)PAGES * RP_PAGE);
        skip();
    }
    assert_int_equal(s.runs, 0);
    p[3 * RP_PAGE + 9] = 1;
    volatile uint8_t r = p[10 * RP_PAGE + 7] + p[11 * RP_PAGE]; /* only read: the zero page */
    (void)r;
    memset(p + 600 * RP_PAGE, 0, RP_PAGE); /* written, with zeros */
    s.runs = 0;
    assert_int_equal(written_runs(p, (size_t)PAGES * RP_PAGE, note, &s), 0);
    assert_int_equal(s.runs, 2);
    assert_int_equal(s.first[0], 3);
    assert_int_equal(s.n[0], 1);
    assert_int_equal(s.first[1], 600);
    assert_int_equal(s.n[1], 1);
    s.runs = 0; /* resident_runs still names the pages only read */
    assert_int_equal(resident_runs(p, (size_t)PAGES * RP_PAGE, note, &s), 0);
    assert_int_equal(s.runs, 3);
    assert_int_equal(s.first[1], 10);
    assert_int_equal(s.n[1], 2);
    munmap(p, (size_t)PAGES * RP_PAGE);
}

static void test_guest_zero_known(void **state)
{
    (void)state;
    struct guest_memory gm;
    const uint64_t base = 0x40000000u, pg = RP_PAGE;
    assert_int_equal(gm_init(&gm, base, (uint64_t)PAGES * pg), 0);
    struct gm_zero_map z = {.known = false};
    gm.host[5 * pg + 7] = 0x5a;
    volatile uint8_t r = gm.host[8 * pg]; /* read only */
    (void)r;
    gm_zero_scan(&gm, base + 2 * pg + 100, 10 * pg, &z); /* pages 2 .. 12 */
    if (!z.known) { /* the host cannot say: nothing is known */
        assert_false(gm_zero_known(&z, base + 3 * pg, base + 4 * pg));
        gm_zero_free(&z);
        gm_destroy(&gm);
        skip();
    }
    assert_true(gm_zero_known(&z, base + 2 * pg, base + 5 * pg));       /* up to the page */
    assert_false(gm_zero_known(&z, base + 2 * pg, base + 5 * pg + 1));  /* onto it */
    assert_false(gm_zero_known(&z, base + 5 * pg + 4000, base + 5 * pg + 4001));
    assert_false(gm_zero_known(&z, base + 4 * pg, base + 7 * pg));      /* across it */
    assert_true(gm_zero_known(&z, base + 6 * pg, base + 12 * pg));      /* page 8 only read */
    assert_false(gm_zero_known(&z, base + pg, base + 3 * pg));          /* before the span */
    assert_false(gm_zero_known(&z, base + 11 * pg, base + 14 * pg));    /* past it */
    assert_true(gm_zero_known(&z, base + 9 * pg, base + 9 * pg));       /* empty */
    gm.host[9 * pg] = 1; /* a later write: the map is of the moment it was made */
    gm_zero_scan(&gm, base, (uint64_t)PAGES * pg, &z);
    assert_true(z.known);
    assert_false(gm_zero_known(&z, base + 9 * pg, base + 9 * pg + 1));
    assert_true(gm_zero_known(&z, base + 10 * pg, base + PAGES * pg));
    gm_zero_scan(&gm, base - pg, 2 * pg, &z); /* clipped to RAM: its first page only */
    assert_true(z.known);
    assert_false(gm_zero_known(&z, base - pg, base));
    assert_true(gm_zero_known(&z, base, base + pg));
    gm_zero_free(&z);
    gm_destroy(&gm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_of_touched_pages),
        cmocka_unit_test(test_unaligned_refused),
        cmocka_unit_test(test_written_runs),
        cmocka_unit_test(test_guest_zero_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
