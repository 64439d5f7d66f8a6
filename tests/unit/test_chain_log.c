/* test_chain_log.c — the chains the device met, as its pop read them
 * (src/model/chain_log.c): what each kept chain holds for a taken chain, an indirect one
 * and each kind of refusal, that a later driver store does not change what was logged, the
 * bounds and their counts, and nothing with checks off. Rings are built by hand in guest memory,
 * as in test_split_ring.c; popped through ring_pop, as a device pops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/chain_log.h"
#include "spec/virtio_spec.h"
#include "sim_fixture.h"

#define N 16u
#define DESC 0x40100000ull
#define AVAIL 0x40101000ull
#define USED 0x40102000ull
#define TABLE 0x40103000ull
#define BUF 0x40200000ull

static int setup(void **state)
{
    struct machine *m = fx_machine_new(2);
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, AVAIL, USED);
    assert_true(m->dev.q[0].live);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static const struct chain_log_queue *lq0(const struct machine *m)
{
    const struct chain_log_queue *lq = chain_log_queue(m, 0);
    assert_non_null(lq);
    return lq;
}

static void assert_desc(const struct chain_log_desc *d, uint16_t index, bool in_table,
                        uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    assert_int_equal(d->index, index);
    assert_int_equal(d->in_table, in_table);
    assert_int_equal(d->d.addr, addr);
    assert_int_equal(d->d.len, len);
    assert_int_equal(d->d.flags, flags);
    assert_int_equal(d->d.next, next);
}

/* A request of 24 readable and 408 writable bytes from `head` → `second`, offered and popped. */
static enum ring_err pop_good(struct machine *m, uint16_t head, uint16_t second)
{
    fx_write_desc(m, DESC, head, BUF, 24, VIRTQ_DESC_F_NEXT, second);
    fx_write_desc(m, DESC, second, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    fx_offer(m, AVAIL, N, head);
    return ring_pop(&m->dev.q[0], &m->chain);
}

static void test_taken_chain_as_read(void **state)
{
    struct machine *m = *state;
    m->now = 1234;
    assert_int_equal(pop_good(m, 5, 9), RING_OK);
    const struct chain_log_queue *lq = lq0(m);
    assert_int_equal(lq->met, 1);
    assert_int_equal(lq->refused, 0);
    assert_int_equal(lq->n_kept, 1);
    const struct chain_log_chain *c = &lq->kept[0];
    assert_int_equal(c->n, 1);
    assert_int_equal(c->t, 1234);
    assert_int_equal(c->head, 5);
    assert_int_equal(c->avail_index, 0);
    assert_true(c->taken);
    assert_null(c->refused_by);
    assert_int_equal(c->n_rules, 0);
    assert_int_equal(c->n_desc, 2);
    assert_desc(&c->desc[0], 5, false, BUF, 24, VIRTQ_DESC_F_NEXT, 9);
    assert_desc(&c->desc[1], 9, false, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    /* the driver reuses the descriptors: what the device read stays as it read it */
    ring_push(&m->dev.q[0], 5, 408);
    fx_write_desc(m, DESC, 5, BUF + 0x1000, 40, 0, 0);
    assert_int_equal(lq->kept[0].desc[0].d.len, 24);
    assert_int_equal(lq->kept[0].desc[0].d.addr, BUF);
    /* nothing offered: no chain met */
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_int_equal(lq->met, 1);
}

static void test_indirect_head_then_its_table(void **state)
{
    struct machine *m = *state;
    m->dev.guest_features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
    fx_write_desc(m, TABLE, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, TABLE, 1, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    fx_write_desc(m, DESC, 3, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    fx_offer(m, AVAIL, N, 3);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    const struct chain_log_chain *c = &lq0(m)->kept[0];
    assert_true(c->taken);
    assert_int_equal(c->n_desc, 3);
    assert_desc(&c->desc[0], 3, false, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    assert_desc(&c->desc[1], 0, true, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    assert_desc(&c->desc[2], 1, true, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
    assert_int_equal(c->n_rules, 0);
}

/* A rule the pop records without refusing the chain: taken, with the rule. */
static void test_taken_with_a_rule(void **state)
{
    struct machine *m = *state; /* INDIRECT without the feature: recorded, QEMU follows it */
    fx_write_desc(m, TABLE, 0, BUF, 24, 0, 0);
    fx_write_desc(m, DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fx_offer(m, AVAIL, N, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    const struct chain_log_chain *c = &lq0(m)->kept[0];
    assert_true(c->taken);
    assert_int_equal(c->n_rules, 1);
    assert_string_equal(c->rules[0], "split.indirect.requires-feature");
    assert_int_equal(lq0(m)->refused, 0);
}

static void test_refused_ends_at_the_culprit(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    fx_write_desc(m, DESC, 1, BUF + 8, 8, VIRTQ_DESC_F_NEXT, 2); /* readable after writable */
    fx_write_desc(m, DESC, 2, BUF + 16, 8, 0, 0);                 /* never read */
    fx_offer(m, AVAIL, N, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_ORDER);
    const struct chain_log_queue *lq = lq0(m);
    assert_int_equal(lq->met, 1);
    assert_int_equal(lq->refused, 1);
    const struct chain_log_chain *c = &lq->kept[0];
    assert_false(c->taken);
    assert_string_equal(c->refused_by, "split.framing.writable-after-readable");
    assert_int_equal(c->n_rules, 1);
    assert_string_equal(c->rules[0], "split.framing.writable-after-readable");
    assert_int_equal(c->n_desc, 2);
    assert_desc(&c->desc[1], 1, false, BUF + 8, 8, VIRTQ_DESC_F_NEXT, 2);
}

static void test_refused_loop_and_links(void **state)
{
    struct machine *m = *state;
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 8, 8, VIRTQ_DESC_F_NEXT, 0);
    fx_offer(m, AVAIL, N, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_LOOP);
    const struct chain_log_chain *c = &lq0(m)->kept[0];
    assert_string_equal(c->refused_by, "split.desc.no-loops");
    assert_int_equal(c->n_desc, N); /* the walk read N descriptors before it gave up */
    assert_int_equal(c->desc[2].index, 0);
    assert_int_equal(c->desc[3].index, 1);
}

static void test_refused_head_and_next_out_of_range(void **state)
{
    struct machine *m = *state;
    fx_offer(m, AVAIL, N, N + 24);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_HEAD);
    const struct chain_log_chain *c = &lq0(m)->kept[0];
    assert_string_equal(c->refused_by, "split.avail.head-in-range");
    assert_int_equal(c->head, N + 24);
    assert_int_equal(c->n_desc, 0);
    /* a reset, then a link out of range: the second chain, logged with the link */
    m->dev.broken = false;
    m->dev.broken_rule = NULL;
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 99);
    fx_offer(m, AVAIL, N, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_NEXT);
    const struct chain_log_queue *lq = lq0(m);
    assert_int_equal(lq->met, 2);
    assert_int_equal(lq->refused, 2);
    assert_int_equal(lq->kept[1].n, 2);
    assert_int_equal(lq->kept[1].avail_index, 1);
    assert_string_equal(lq->kept[1].refused_by, "split.desc.next-in-range");
    assert_int_equal(lq->kept[1].n_desc, 1);
    assert_int_equal(lq->kept[1].desc[0].d.next, 99);
}

/* The first CHAIN_LOG_FIRST are kept, and a refused one after them; every one is counted. */
static void test_bounds_are_counted(void **state)
{
    struct machine *m = *state;
    for (uint32_t i = 0; i < CHAIN_LOG_FIRST + 3; i++) {
        assert_int_equal(pop_good(m, 0, 1), RING_OK);
        ring_push(&m->dev.q[0], 0, 408);
    }
    const struct chain_log_queue *lq = lq0(m);
    assert_int_equal(lq->met, CHAIN_LOG_FIRST + 3);
    assert_int_equal(lq->n_kept, CHAIN_LOG_FIRST);
    assert_int_equal(lq->kept[CHAIN_LOG_FIRST - 1].n, CHAIN_LOG_FIRST);
    fx_write_desc(m, DESC, 0, BUF, 0, 0, 0); /* zero length: refused */
    fx_offer(m, AVAIL, N, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_ZERO_LEN);
    assert_int_equal(lq->met, CHAIN_LOG_FIRST + 4);
    assert_int_equal(lq->n_kept, CHAIN_LOG_FIRST + 1);
    assert_int_equal(lq->kept[CHAIN_LOG_FIRST].n, CHAIN_LOG_FIRST + 4);
    assert_string_equal(lq->kept[CHAIN_LOG_FIRST].refused_by, "split.desc.zero-length");
    /* a chain longer than CHAIN_LOG_DESCS (queue 1, of 64): the first kept, all counted */
    const uint64_t desc1 = 0x40110000ull, avail1 = 0x40111000ull, used1 = 0x40112000ull;
    m->dev.broken = false;
    m->dev.q[1].num = 64;
    fx_make_live(m, 1, desc1, avail1, used1);
    for (uint16_t i = 0; i < 40; i++)
        fx_write_desc(m, desc1, i, BUF + 0x10u * i, 16, i + 1 < 40 ? VIRTQ_DESC_F_NEXT : 0,
                      (uint16_t)(i + 1));
    fx_offer(m, avail1, 64, 0);
    assert_int_equal(ring_pop(&m->dev.q[1], &m->chain), RING_OK);
    const struct chain_log_chain *c = &chain_log_queue(m, 1)->kept[0];
    assert_int_equal(c->n_desc, 40);
    assert_int_equal(c->desc[CHAIN_LOG_DESCS - 1].index, CHAIN_LOG_DESCS - 1);
    assert_int_equal(lq->met, CHAIN_LOG_FIRST + 4); /* queue 0's log untouched */
}

static void test_nothing_with_checks_off(void **state)
{
    (void)state;
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    assert_non_null(rules);
    struct machine_config cfg = fx_config(2);
    cfg.checks_off = true; /* as the benchmarks set it */
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(machine_init(m, &cfg, rules), 0);
    m->dev.q[0].num = N;
    fx_make_live(m, 0, DESC, AVAIL, USED);
    assert_int_equal(pop_good(m, 0, 1), RING_OK);
    assert_int_equal(chain_log_queue(m, 0)->met, 0);
    assert_int_equal(chain_log_queue(m, 0)->n_kept, 0);
    assert_null(chain_log_queue(m, CHAIN_LOG_QUEUES));
    machine_destroy(m);
    free(m);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_taken_chain_as_read),
        T(test_indirect_head_then_its_table),
        T(test_taken_with_a_rule),
        T(test_refused_ends_at_the_culprit),
        T(test_refused_loop_and_links),
        T(test_refused_head_and_next_out_of_range),
        T(test_bounds_are_counted),
        cmocka_unit_test(test_nothing_with_checks_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
