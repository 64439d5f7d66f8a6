/* test_split_ring.c — the device side of the split ring (src/model/rings/split_ring.c): each check
 * silent on a correct ring and firing, with its rule id, on a broken one. Rings are built by hand
 * in guest memory. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "spec/virtio_spec.h"
#include "sim_fixture.h"

#define N 16u
#define DESC 0x40100000ull
#define AVAIL 0x40101000ull
#define USED 0x40102000ull
#define BUF 0x40200000ull
#define RAM_END (FX_RAM_BASE + FX_RAM_SIZE)

static int setup(void **state)
{
    struct machine *m = fx_machine_new(2);
    m->dev.q[0].num = N;
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static void make_live(struct machine *m)
{
    fx_make_live(m, 0, DESC, AVAIL, USED);
    assert_true(m->dev.q[0].live);
}

/* Put `head` in the next available slot and publish it. */
static void offer(struct machine *m, uint16_t head) { fx_offer(m, AVAIL, N, head); }

/* A correct request: 24 readable bytes, 408 writable bytes, from descriptor `head`. */
static void good_chain(struct machine *m, uint16_t head, uint16_t second)
{
    fx_write_desc(m, DESC, head, BUF, 24, VIRTQ_DESC_F_NEXT, second);
    fx_write_desc(m, DESC, second, BUF + 0x100, 408, VIRTQ_DESC_F_WRITE, 0);
}

static void assert_fatal(struct machine *m, const char *rule, enum ring_err got)
{
    assert_true(ring_failed(got));
    assert_int_equal(fx_count_violations(m, rule), 1);
    assert_int_equal(m->n_violations, 1);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, rule);
    assert_true(fx_trace_find(m, 0, TR_VIOLATION, rule, UINT64_MAX) >= 0);
    /* nothing more is popped from a broken device, even a correct request */
    good_chain(m, 0, 1);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_int_equal(m->dev.q[0].pops, 0);
}

static void assert_silent(struct machine *m)
{
    assert_int_equal(m->n_violations, 0);
    assert_false(m->dev.broken);
}

/* ---- the correct ring ---------------------------------------------------------------------- */

static void test_pop_correct_chain(void **state)
{
    struct machine *m = *state;
    make_live(m);
    assert_silent(m);
    assert_int_equal(m->dev.q[0].live_num, N);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY); /* nothing offered yet */
    good_chain(m, 5, 9);
    offer(m, 5);
    struct sr_chain *c = &m->chain;
    assert_int_equal(ring_pop(&m->dev.q[0], c), RING_OK);
    assert_int_equal(c->head, 5);
    assert_int_equal(c->nseg, 2);
    assert_int_equal(c->readable, 24);
    assert_int_equal(c->writable, 408);
    assert_int_equal(c->seg[0].gpa, BUF);
    assert_int_equal(c->seg[0].len, 24);
    assert_false(c->seg[0].write);
    assert_int_equal(c->seg[1].gpa, BUF + 0x100);
    assert_int_equal(c->seg[1].len, 408);
    assert_true(c->seg[1].write);
    assert_int_equal(m->dev.q[0].last_avail_idx, 1);
    assert_int_equal(m->dev.q[0].inuse, 1);
    long p = fx_trace_find(m, 0, TR_POP, NULL, 5);
    assert_true(p >= 0);
    assert_int_equal(m->trace.ev[p].value, 1); /* avail.idx seen */
    assert_int_equal(ring_pop(&m->dev.q[0], c), RING_EMPTY);
    assert_silent(m);
}

/* ---- split.align (recorded, not fatal) ------------------------------------------------------ */

static void test_align_silent(void **state)
{
    struct machine *m = *state;
    fx_make_live(m, 0, DESC + 16, AVAIL + 2, USED + 4); /* exactly at the minimum alignment */
    assert_silent(m);
    assert_int_equal(fx_count_violations(m, "split.align"), 0);
}

static void test_align_fires(void **state)
{
    struct machine *m = *state;
    fx_make_live(m, 0, DESC + 8, AVAIL, USED);
    assert_int_equal(fx_count_violations(m, "split.align"), 1);
    fx_make_live(m, 0, DESC, AVAIL + 1, USED);
    assert_int_equal(fx_count_violations(m, "split.align"), 2);
    fx_make_live(m, 0, DESC, AVAIL, USED + 2);
    assert_int_equal(fx_count_violations(m, "split.align"), 3);
    fx_make_live(m, 0, DESC + 8, AVAIL + 1, USED + 2); /* all three */
    assert_int_equal(fx_count_violations(m, "split.align"), 6);
    assert_int_equal(m->n_violations, 6);
    assert_int_equal(m->violations[0].queue, 0);
    assert_non_null(strstr(m->violations[0].message, "16-byte"));
    assert_non_null(strstr(m->violations[1].message, "2-byte"));
    assert_non_null(strstr(m->violations[2].message, "4-byte"));
    /* not fatal: the misaligned ring works where it is */
    assert_false(m->dev.broken);
    assert_true(m->dev.q[0].live);
    fx_write_desc(m, DESC + 8, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC + 8, 1, BUF + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
    assert_true(gm_write16(&m->mem, AVAIL + 1 + 4, 0));
    assert_true(gm_write16(&m->mem, AVAIL + 1 + 2, 1));
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, 2);
    assert_int_equal(m->chain.readable, 24);
    ring_push(&m->dev.q[0], 0, 8);
    uint16_t idx;
    assert_true(gm_read16(&m->mem, USED + 2 + 2, &idx));
    assert_int_equal(idx, 1);
    assert_int_equal(m->n_violations, 6);
}

/* ---- split.queue-size-pow2 (recorded, not fatal) -------------------------------------------- */

static void test_pow2_silent(void **state)
{
    struct machine *m = *state;
    static const uint32_t sizes[] = {1, 2, 16, 256, 1024};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        m->dev.q[0].num = sizes[i];
        make_live(m);
    }
    assert_silent(m);
}

static void test_pow2_fires(void **state)
{
    struct machine *m = *state;
    m->dev.q[0].num = 12;
    make_live(m);
    assert_int_equal(fx_count_violations(m, "split.queue-size-pow2"), 1);
    assert_int_equal(m->n_violations, 1);
    assert_false(m->dev.broken);
    assert_int_equal(m->dev.q[0].live_num, 12);
    m->dev.q[0].num = 3;
    make_live(m);
    assert_int_equal(fx_count_violations(m, "split.queue-size-pow2"), 2);
}

/* ---- split.rings-in-ram (fatal) -------------------------------------------------------------- */

static void test_rings_in_ram_silent(void **state)
{
    struct machine *m = *state;
    /* each part ending exactly at the end of RAM */
    fx_make_live(m, 0, RAM_END - 16 * N, AVAIL, USED);
    assert_true(m->dev.q[0].live);
    fx_make_live(m, 0, DESC, RAM_END - (4 + 2 * N), USED);
    assert_true(m->dev.q[0].live);
    fx_make_live(m, 0, DESC, AVAIL, RAM_END - (4 + 8 * N));
    assert_true(m->dev.q[0].live);
    fx_make_live(m, 0, FX_RAM_BASE, FX_RAM_BASE + 16 * N, FX_RAM_BASE + 0x1000);
    assert_true(m->dev.q[0].live);
    assert_silent(m);
}

static void test_rings_in_ram_fires_used(void **state)
{
    struct machine *m = *state;
    fx_make_live(m, 0, DESC, AVAIL, RAM_END - 8); /* used ring needs 4 + 8N bytes */
    assert_false(m->dev.q[0].live);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_int_equal(fx_count_violations(m, "split.rings-in-ram"), 1);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, "split.rings-in-ram");
}

/* One byte (or one field) short at the end of RAM: each part's full size counts. */
static void test_rings_in_ram_fires_at_boundary(void **state)
{
    struct machine *m = *state;
    static const struct {
        uint64_t desc, avail, used;
        const char *part;
    } cases[] = {
        {RAM_END - 16 * N + 16, AVAIL, USED, "descriptor table"},
        {DESC, RAM_END - (4 + 2 * N) + 2, USED, "available ring"},
        {DESC, AVAIL, RAM_END - (4 + 8 * N) + 4, "used ring"},
    };
    for (size_t i = 0; i < 3; i++) {
        m->dev.broken = false;
        fx_make_live(m, 0, cases[i].desc, cases[i].avail, cases[i].used);
        assert_false(m->dev.q[0].live);
        assert_true(m->dev.broken);
        assert_int_equal(fx_count_violations(m, "split.rings-in-ram"), i + 1);
        assert_non_null(strstr(m->violations[i].message, cases[i].part));
    }
    assert_int_equal(m->n_violations, 3);
}

static void test_rings_in_ram_fires_desc(void **state)
{
    struct machine *m = *state;
    fx_make_live(m, 0, 0x1000, AVAIL, USED); /* below RAM */
    assert_false(m->dev.q[0].live);
    assert_int_equal(fx_count_violations(m, "split.rings-in-ram"), 1);
    assert_int_equal(m->n_violations, 1);
    assert_true(m->dev.broken);
    assert_non_null(strstr(m->violations[0].message, "descriptor table"));
}

/* ---- split.avail.idx-jump ---------------------------------------------------------------------- */

/* The device has taken every entry up to `idx` (its last_avail_idx and the avail.idx it read). */
static void taken_up_to(struct machine *m, uint16_t idx)
{
    m->dev.q[0].last_avail_idx = m->dev.q[0].shadow_avail_idx = idx;
}

/* After `rule` fired when the device read avail.idx, it takes N chains and breaks on the next
 * pop, as QEMU's virtqueue_split_pop ("Virtqueue size exceeded"), with no second violation. */
static void assert_takes_a_queue_then_breaks(struct machine *m, const char *rule)
{
    for (uint16_t i = 0; i < N; i++) {
        assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
        assert_int_equal(m->chain.head, 0);
        assert_int_equal(fx_count_violations(m, rule), 1);
        assert_false(m->dev.broken);
    }
    assert_int_equal(m->dev.q[0].inuse, N);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_E_FULL);
    assert_true(m->dev.broken);
    assert_string_equal(m->dev.broken_rule, rule);
    assert_int_equal(m->n_violations, 1);
    assert_non_null(strstr(m->facts.broken_why, "Virtqueue size exceeded"));
}

static void test_idx_jump_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    for (uint16_t i = 0; i < N; i++) {
        fx_write_desc(m, DESC, i, BUF + 0x10u * i, 4, 0, 0);
        offer(m, i);
    }
    /* avail.idx is exactly N ahead: allowed */
    for (uint16_t i = 0; i < N; i++) {
        assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
        assert_int_equal(m->chain.head, i);
    }
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_silent(m);
}

static void test_idx_jump_silent_across_wrap(void **state)
{
    struct machine *m = *state;
    make_live(m);
    taken_up_to(m, 65530);
    for (uint16_t i = 0; i < 10; i++) /* slots 65530 % 16 = 10 … */
        assert_true(gm_write16(&m->mem, AVAIL + 4 + 2u * ((65530u + i) % N), i));
    for (uint16_t i = 0; i < 10; i++)
        fx_write_desc(m, DESC, i, BUF, 4, 0, 0);
    assert_true(gm_write16(&m->mem, AVAIL + 2, 4)); /* 65540 mod 65536: 10 ahead */
    for (uint16_t i = 0; i < 10; i++) {
        assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
        assert_int_equal(m->chain.head, i);
    }
    assert_int_equal(m->dev.q[0].last_avail_idx, 4);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_EMPTY);
    assert_silent(m);
}

/* N + 1 ahead: every slot holds head 0 (the ring is fresh), a correct chain. */
static void test_idx_jump_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    good_chain(m, 0, 1);
    assert_true(gm_write16(&m->mem, AVAIL + 2, N + 1));
    assert_takes_a_queue_then_breaks(m, "split.avail.idx-jump");
}

static void test_idx_jump_fires_backwards(void **state)
{
    struct machine *m = *state;
    make_live(m);
    good_chain(m, 0, 1);
    taken_up_to(m, 5);
    assert_true(gm_write16(&m->mem, AVAIL + 2, 4)); /* went back: looks 65535 ahead */
    assert_takes_a_queue_then_breaks(m, "split.avail.idx-no-decrement");
    assert_int_equal(m->dev.q[0].last_avail_idx, 5 + N); /* the full queue stopped it first */
}

/* ---- split.avail.head-in-range (fatal) ------------------------------------------------------- */

static void test_head_in_range_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    good_chain(m, N - 1, 0);
    offer(m, N - 1);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.head, N - 1);
    assert_silent(m);
}

static void test_head_in_range_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    offer(m, N);
    assert_fatal(m, "split.avail.head-in-range", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- split.desc.next-in-range (fatal) -------------------------------------------------------- */

static void test_next_in_range_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, N - 1);
    fx_write_desc(m, DESC, N - 1, BUF + 8, 8, 0, 0xffff); /* next ignored without NEXT */
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, 2);
    assert_int_equal(m->chain.readable, 16);
    assert_silent(m);
}

static void test_next_in_range_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, N);
    offer(m, 0);
    assert_fatal(m, "split.desc.next-in-range", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- split.desc.no-loops (fatal) ------------------------------------------------------------- */

static void test_no_loops_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    for (uint16_t i = 0; i < N; i++) /* the longest chain there can be: all N descriptors */
        fx_write_desc(m, DESC, i, BUF + 0x10u * i, 16, (uint32_t)i + 1 < N ? VIRTQ_DESC_F_NEXT : 0,
                      (uint16_t)(i + 1));
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.nseg, N);
    assert_int_equal(m->chain.readable, 16 * N);
    assert_silent(m);
}

static void test_no_loops_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 8, 8, VIRTQ_DESC_F_NEXT, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.no-loops", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_no_loops_fires_self(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 3, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
    offer(m, 3);
    assert_fatal(m, "split.desc.no-loops", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- split.framing.writable-after-readable (fatal) ------------------------------------------- */

static void test_framing_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 8, 8, VIRTQ_DESC_F_NEXT, 2);
    fx_write_desc(m, DESC, 2, BUF + 16, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
    fx_write_desc(m, DESC, 3, BUF + 24, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.readable, 16);
    assert_int_equal(m->chain.writable, 16);
    /* only writable is fine too */
    fx_write_desc(m, DESC, 4, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 4);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.writable, 8);
    assert_silent(m);
}

static void test_framing_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    fx_write_desc(m, DESC, 1, BUF + 8, 8, 0, 0);
    offer(m, 0);
    assert_fatal(m, "split.framing.writable-after-readable", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- split.desc.zero-length (fatal) ---------------------------------------------------------- */

static void test_zero_length_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 1, 0, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_int_equal(m->chain.readable, 1);
    assert_silent(m);
}

static void test_zero_length_fires(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 24, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 0, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.zero-length", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- split.desc.addr-in-ram (fatal) ---------------------------------------------------------- */

static void test_addr_in_ram_silent(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, FX_RAM_BASE, 8, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, RAM_END - 8, 8, VIRTQ_DESC_F_WRITE, 0); /* ends at the end */
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    assert_silent(m);
}

static void test_addr_in_ram_fires_straddle(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, RAM_END - 4, 8, 0, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_addr_in_ram_fires_below(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, FX_RAM_BASE - 0x1000, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

static void test_addr_in_ram_fires_wrapping(void **state)
{
    struct machine *m = *state;
    make_live(m);
    fx_write_desc(m, DESC, 0, UINT64_MAX - 3, 8, 0, 0); /* addr + len overflows */
    offer(m, 0);
    assert_fatal(m, "split.desc.addr-in-ram", ring_pop(&m->dev.q[0], &m->chain));
}

/* ---- ring_push, sr_read, sr_write ------------------------------------------------------------ */

static void test_push_writes_used(void **state)
{
    struct machine *m = *state;
    make_live(m);
    good_chain(m, 7, 8);
    offer(m, 7);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    ring_push(&m->dev.q[0], 7, 408);
    uint32_t id, len;
    uint16_t idx;
    assert_true(gm_read32(&m->mem, USED + 4, &id));
    assert_true(gm_read32(&m->mem, USED + 8, &len));
    assert_true(gm_read16(&m->mem, USED + 2, &idx));
    assert_int_equal(id, 7);
    assert_int_equal(len, 408);
    assert_int_equal(idx, 1);
    assert_int_equal(m->dev.q[0].inuse, 0);
    assert_int_equal(m->dev.q[0].pushes, 1);
    long u = fx_trace_find(m, 0, TR_USED, NULL, USED + 4);
    assert_true(u >= 0);
    assert_int_equal(m->trace.ev[u].aux, 7);
    assert_int_equal(m->trace.ev[u].value, 408);

    /* the slot is used_idx % N; used.idx wraps at 16 bits */
    m->dev.q[0].used_idx = 65535;
    ring_push(&m->dev.q[0], 3, 24);
    assert_true(gm_read32(&m->mem, USED + 4 + 8 * (65535 % N), &id));
    assert_true(gm_read32(&m->mem, USED + 4 + 8 * (65535 % N) + 4, &len));
    assert_true(gm_read16(&m->mem, USED + 2, &idx));
    assert_int_equal(id, 3);
    assert_int_equal(len, 24);
    assert_int_equal(idx, 0);
    ring_push(&m->dev.q[0], 4, 1);
    assert_true(gm_read32(&m->mem, USED + 4, &id));
    assert_int_equal(id, 4);
    assert_true(gm_read16(&m->mem, USED + 2, &idx));
    assert_int_equal(idx, 1);
    /* used.flags untouched */
    uint16_t flags;
    assert_true(gm_read16(&m->mem, USED, &flags));
    assert_int_equal(flags, 0);
}

static void test_read_gathers_split_header(void **state)
{
    struct machine *m = *state;
    make_live(m);
    uint8_t hdr[24];
    for (int i = 0; i < 24; i++)
        hdr[i] = (uint8_t)(0xa0 + i);
    memcpy(gm_ptr(&m->mem, BUF, 10), hdr, 10);
    memcpy(gm_ptr(&m->mem, BUF + 0x100, 14), hdr + 10, 14);
    memset(gm_ptr(&m->mem, BUF + 0x200, 8), 0xee, 8);
    fx_write_desc(m, DESC, 0, BUF, 10, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 14, VIRTQ_DESC_F_NEXT, 2);
    fx_write_desc(m, DESC, 2, BUF + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    const struct sr_chain *c = &m->chain;
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    uint8_t got[40];
    memset(got, 0, sizeof(got));
    assert_int_equal(sr_read(m, c, 0, got, 24), 24);
    assert_memory_equal(got, hdr, 24);
    memset(got, 0, sizeof(got));
    assert_int_equal(sr_read(m, c, 8, got, 4), 4); /* straddles the two descriptors */
    assert_memory_equal(got, hdr + 8, 4);
    memset(got, 0, sizeof(got));
    assert_int_equal(sr_read(m, c, 12, got, 40), 12); /* stops at the readable end */
    assert_memory_equal(got, hdr + 12, 12);
    assert_int_equal(got[12], 0); /* writable bytes are never read */
    assert_int_equal(sr_read(m, c, 24, got, 4), 0);
    assert_int_equal(sr_read(m, c, 100, got, 4), 0);
}

static void test_write_truncates(void **state)
{
    struct machine *m = *state;
    make_live(m);
    memset(gm_ptr(&m->mem, BUF, 0x400), 0x55, 0x400);
    fx_write_desc(m, DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    fx_write_desc(m, DESC, 1, BUF + 0x100, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    fx_write_desc(m, DESC, 2, BUF + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
    offer(m, 0);
    assert_int_equal(ring_pop(&m->dev.q[0], &m->chain), RING_OK);
    uint8_t src[20];
    for (int i = 0; i < 20; i++)
        src[i] = (uint8_t)(i + 1);
    assert_int_equal(sr_write(m, &m->chain, src, sizeof(src)), 12);
    const uint8_t *w1 = gm_ptr(&m->mem, BUF + 0x100, 9);
    const uint8_t *w2 = gm_ptr(&m->mem, BUF + 0x200, 5);
    const uint8_t *r = gm_ptr(&m->mem, BUF, 16);
    assert_memory_equal(w1, src, 8);
    assert_int_equal(w1[8], 0x55); /* nothing beyond the descriptor */
    assert_memory_equal(w2, src + 8, 4);
    assert_int_equal(w2[4], 0x55);
    for (int i = 0; i < 16; i++) /* the readable part is never written */
        assert_int_equal(r[i], 0x55);
    /* shorter than the writable part: only that much */
    uint8_t two[2] = {0xc1, 0xc2};
    assert_int_equal(sr_write(m, &m->chain, two, 2), 2);
    assert_int_equal(w1[0], 0xc1);
    assert_int_equal(w1[1], 0xc2);
    assert_int_equal(w1[2], 3);
}

/* Guest RAM has an inaccessible page on each side: a host access one byte past either end
 * faults (in a child process) instead of silently reading a neighbouring mapping. */
static int touch_in_child(const volatile uint8_t *p)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* die of the fault: no cmocka or ASan handler in the child */
        signal(SIGBUS, SIG_DFL);
        (void)*p;
        _exit(0); /* survived: no guard */
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static void test_guest_memory_guard_pages(void **state)
{
    (void)state;
    struct guest_memory gm;
    assert_int_equal(gm_init(&gm, 0x40000000, 0x10000), 0);
    gm.host[0] = 1;
    gm.host[gm.size - 1] = 2; /* both ends usable */
    assert_int_equal(touch_in_child(gm.host), 0);
    assert_int_equal(touch_in_child(gm.host + gm.size - 1), 0);
    assert_int_equal(touch_in_child(gm.host + gm.size), 1);
    assert_int_equal(touch_in_child(gm.host - 1), 1);
    assert_null(gm_ptr(&gm, 0x40000000 + 0x10000, 1));
    gm_destroy(&gm);
    assert_null(gm.host);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pop_correct_chain),
        T(test_align_silent),
        T(test_align_fires),
        T(test_pow2_silent),
        T(test_pow2_fires),
        T(test_rings_in_ram_silent),
        T(test_rings_in_ram_fires_used),
        T(test_rings_in_ram_fires_desc),
        T(test_rings_in_ram_fires_at_boundary),
        T(test_idx_jump_silent),
        T(test_idx_jump_silent_across_wrap),
        T(test_idx_jump_fires),
        T(test_idx_jump_fires_backwards),
        T(test_head_in_range_silent),
        T(test_head_in_range_fires),
        T(test_next_in_range_silent),
        T(test_next_in_range_fires),
        T(test_no_loops_silent),
        T(test_no_loops_fires),
        T(test_no_loops_fires_self),
        T(test_framing_silent),
        T(test_framing_fires),
        T(test_zero_length_silent),
        T(test_zero_length_fires),
        T(test_addr_in_ram_silent),
        T(test_addr_in_ram_fires_straddle),
        T(test_addr_in_ram_fires_below),
        T(test_addr_in_ram_fires_wrapping),
        T(test_push_writes_used),
        T(test_read_gathers_split_header),
        T(test_write_truncates),
        cmocka_unit_test(test_guest_memory_guard_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
