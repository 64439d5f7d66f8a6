/* The memory guard's verdict (memory_guard.h) on pages of every kind it settles: a page inside
 * one allocation (not judged), all-zero pages partly allocated, a changed byte outside an
 * allocation on a page it shares with one, canary bands (a zero written into one is a change),
 * and never-resident pages (not scanned) — byte counts and first address exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/machine.h"
#include "model/memory_guard.h"

#define BASE 0x40000000ull
#define PAGE 4096ull

static struct machine *guest(bool canary)
{
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(gm_init(&m->mem, BASE, 64 * PAGE), 0); /* 64 pages, none resident */
    m->mguard.canary = canary;
    return m;
}

static void done(struct machine *m)
{
    gm_destroy(&m->mem);
    free(m);
}

static uint8_t *at(struct machine *m, uint64_t addr) { return m->mem.host + (addr - BASE); }

static void test_pages_of_every_kind(void **state)
{
    (void)state;
    struct machine *m = guest(false);
    memory_guard_on_alloc(m, BASE + 1 * PAGE, PAGE);       /* page 1: one allocation */
    memory_guard_on_alloc(m, BASE + 2 * PAGE, 100);        /* page 2: its first 100 bytes */
    memory_guard_on_alloc(m, BASE + 40 * PAGE, 3 * PAGE);  /* pages 40-42 */
    memset(at(m, BASE + 1 * PAGE), 0xab, PAGE);            /* inside: not judged */
    memset(at(m, BASE + 2 * PAGE), 0xcd, 100);             /* inside */
    at(m, BASE + 2 * PAGE + 200)[0] = 1;                   /* outside: changed */
    at(m, BASE + 2 * PAGE + 4095)[0] = 2;                  /* outside: changed */
    memset(at(m, BASE + 40 * PAGE), 0xef, 3 * PAGE);       /* inside */
    (void)*(volatile uint8_t *)at(m, BASE + 9 * PAGE);     /* resident (read), all zero */
    at(m, BASE + 63 * PAGE + 7)[0] = 0;                    /* resident, zero written */
    at(m, BASE + 20 * PAGE + 4000)[0] = 3;                 /* no allocation on the page */
    struct mg_result r;
    memory_guard_check(m, &r);
    assert_true(r.judged);
    assert_int_equal(r.allocations, 3);
    assert_int_equal(r.pages_scanned, 8); /* 1, 2, 9, 20, 40, 41, 42, 63 */
    assert_int_equal(r.changed_bytes, 3);
    assert_int_equal(r.first_changed, BASE + 2 * PAGE + 200);
    done(m);
}

static void test_canary_bands(void **state)
{
    (void)state;
    struct machine *m = guest(true);
    memory_guard_on_alloc(m, BASE + 3 * PAGE + 64, 64);    /* band: the 256 bytes after it */
    struct mg_result r;
    memory_guard_check(m, &r);
    assert_int_equal(r.changed_bytes, 0);                  /* the band reads its canary */
    at(m, BASE + 3 * PAGE + 128 + 17)[0] = 0;              /* a zero written into the band */
    at(m, BASE + 3 * PAGE + 128 + 256)[0] = 0;             /* past the band: zero is right */
    memory_guard_check(m, &r);
    assert_int_equal(r.pages_scanned, 1);
    assert_int_equal(r.changed_bytes, 1);
    assert_int_equal(r.first_changed, BASE + 3 * PAGE + 128 + 17);
    done(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_of_every_kind),
        cmocka_unit_test(test_canary_bands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
