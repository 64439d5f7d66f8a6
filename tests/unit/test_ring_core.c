/* test_ring_core.c — the split ring's device side on a plain buffer, without a machine
 * (src/model/rings/ring.h, split_ring.c): a ring built by hand, byte by byte, popped and pushed
 * through the ring contract, with a hook table that only records what it hears. Each test checks
 * the bytes the device wrote and its indices, not only what the calls return. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/guest_memory.h"
#include "model/rings/ring.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/split_hot.h"
#include "model/rings/split_ring.h"
#include "spec/virtio_spec.h"

#define BASE 0x10000ull        /* guest-physical address of the buffer */
#define RAM_BYTES 0x4000u
#define N 8u                   /* queue size */
#define DESC (BASE + 0x000)    /* 16 N = 128 bytes */
#define AVAIL (BASE + 0x100)   /* 6 + 2 N = 22 bytes */
#define USED (BASE + 0x200)    /* 6 + 8 N = 70 bytes */
#define BUF (BASE + 0x1000)

/* What the hooks heard: the findings (rule, reaction, message) and every event, in order. */
struct heard {
    char rule[8][64];
    enum ring_finding kind[8];
    char message[8][512];
    unsigned n_findings;
    char events[2048];
    unsigned loop_from, loop_to;
};

struct rig {
    _Alignas(16) uint8_t ram[RAM_BYTES];
    struct guest_memory mem;
    uint64_t features;
    bool broken;
    struct ring_env env;
    struct dev_queue q;
    struct sr_chain c;
    struct heard h;
};

static void event(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(void *ctx, const char *fmt, ...)
{
    struct heard *h = &((struct rig *)ctx)->h;
    size_t used = strlen(h->events);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->events + used, sizeof(h->events) - used, fmt, ap);
    va_end(ap);
}

static void on_finding(void *ctx, enum ring_finding kind, const char *rule, int queue,
                       const char *fmt, va_list ap)
{
    struct rig *r = ctx;
    struct heard *h = &r->h;
    assert_int_equal(queue, kind == RING_BREAK_QUIETLY ? -1 : 0);
    if (kind != RING_VIOLATION)
        r->broken = true; /* the machine's reaction: QEMU's virtio_error */
    if (h->n_findings < 8) {
        snprintf(h->rule[h->n_findings], sizeof(h->rule[0]), "%s", rule);
        h->kind[h->n_findings] = kind;
        vsnprintf(h->message[h->n_findings], sizeof(h->message[0]), fmt, ap);
        h->n_findings++;
    }
    event(ctx, "finding %s;", rule);
}
static void on_configured(void *ctx, uint32_t qi) { event(ctx, "configured %u;", qi); }
static void on_live(void *ctx, uint32_t qi) { event(ctx, "live %u;", qi); }
static void on_avail_event(void *ctx, uint32_t qi, uint16_t v)
{
    event(ctx, "avail_event %u=%u;", qi, v);
}
static void on_descriptor(void *ctx, uint32_t qi, enum ring_desc_at at, uint64_t table,
                          uint32_t i, const struct sr_desc *d)
{
    (void)qi;
    (void)d;
    event(ctx, "desc %d %llx %u;", (int)at, (unsigned long long)(table - BASE), i);
}
static void on_loop_store(void *ctx, uint32_t qi, uint32_t from, uint16_t to, char *buf,
                          size_t len)
{
    (void)qi;
    struct rig *r = ctx;
    r->h.loop_from = from;
    r->h.loop_to = to;
    snprintf(buf, len, "; stored by the test");
}
static bool on_chain_popped(void *ctx, uint32_t qi, const struct sr_chain *c, uint16_t avail_idx,
                            uint16_t taken)
{
    (void)qi;
    event(ctx, "popped %u idx=%u taken=%u;", c->head, avail_idx, taken);
    return false;
}
static void on_used_written(void *ctx, uint32_t qi, const struct ring_used *u)
{
    (void)qi;
    event(ctx, "used %u len=%u idx=%u;", u->id, u->len, u->idx);
}

static const struct ring_hooks recording_hooks = {
    .finding = on_finding,
    .configured = on_configured,
    .live = on_live,
    .avail_event = on_avail_event,
    .descriptor = on_descriptor,
    .loop_store = on_loop_store,
    .chain_popped = on_chain_popped,
    .used_written = on_used_written,
};

static struct rig *rig_new(const struct ring_hooks *hooks)
{
    struct rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->mem = (struct guest_memory){.base = BASE, .size = RAM_BYTES, .host = r->ram};
    r->env = (struct ring_env){.mem = &r->mem, .features = &r->features, .broken = &r->broken,
                               .max_size = 1024, .hooks = hooks, .ctx = r};
    ring_bind(&r->q, &split_ring_ops, &r->env, 0);
    ring_reset(&r->q, N);
    return r;
}

static int setup(void **state)
{
    *state = rig_new(&recording_hooks);
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- the driver's side, by hand -------------------------------------------------------------- */

static uint8_t *at(struct rig *r, uint64_t gpa) { return r->ram + (gpa - BASE); }

static void put16(struct rig *r, uint64_t gpa, uint16_t v) { memcpy(at(r, gpa), &v, 2); }

static uint16_t get16(struct rig *r, uint64_t gpa)
{
    uint16_t v;
    memcpy(&v, at(r, gpa), 2);
    return v;
}

static uint32_t get32(struct rig *r, uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, at(r, gpa), 4);
    return v;
}

static void put_desc(struct rig *r, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *p = at(r, DESC + 16ull * i);
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

/* Make `head` available: the next avail.ring slot, then avail.idx + 1. */
static void offer(struct rig *r, uint16_t head)
{
    uint16_t idx = get16(r, AVAIL + 2);
    put16(r, AVAIL + 4 + 2u * (idx % N), head);
    put16(r, AVAIL + 2, (uint16_t)(idx + 1));
}

static void make_live(struct rig *r)
{
    assert_int_equal(ring_configure(&r->q, N, DESC, AVAIL, USED), RING_OK);
    assert_true(r->q.live);
    assert_int_equal(r->q.live_num, N);
    assert_int_equal(r->h.n_findings, 0);
}

static bool zero(struct rig *r, uint64_t gpa, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (at(r, gpa)[i])
            return false;
    return true;
}

/* ---- pop ------------------------------------------------------------------------------------- */

static void test_pop_three_descriptor_chain(void **state)
{
    struct rig *r = *state;
    make_live(r);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY); /* nothing offered */
    /* 2 -> 5 -> 7: two device-readable buffers, then a device-writable one. */
    put_desc(r, 2, BUF, 24, VIRTQ_DESC_F_NEXT, 5);
    put_desc(r, 5, BUF + 0x100, 48, VIRTQ_DESC_F_NEXT, 7);
    put_desc(r, 7, BUF + 0x200, 512, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 2);
    r->h.events[0] = '\0';
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    const struct sr_chain *c = &r->c;
    assert_int_equal(c->head, 2);
    assert_false(c->indirect);
    assert_int_equal(c->nseg, 3);
    const struct { uint64_t gpa; uint32_t len; bool write; uint16_t desc; } want[3] = {
        {BUF, 24, false, 2}, {BUF + 0x100, 48, false, 5}, {BUF + 0x200, 512, true, 7}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c->seg[i].gpa, want[i].gpa);
        assert_int_equal(c->seg[i].len, want[i].len);
        assert_int_equal(c->seg[i].write, want[i].write);
        assert_int_equal(c->seg[i].desc, want[i].desc);
        assert_false(c->seg[i].in_table);
    }
    assert_int_equal(c->readable, 72);
    assert_int_equal(c->writable, 512);
    assert_int_equal(r->q.last_avail_idx, 1);
    assert_int_equal(r->q.shadow_avail_idx, 1);
    assert_int_equal(r->q.inuse, 1);
    assert_int_equal(r->q.pops, 1);
    /* The hooks heard each descriptor of the ring's table, then the chain (avail.idx 1, slot 0). */
    assert_string_equal(r->h.events, "desc 0 0 2;desc 0 0 5;desc 0 0 7;popped 2 idx=1 taken=0;");
    assert_int_equal(r->h.n_findings, 0);
    /* Without EVENT_IDX the device writes nothing while it pops: the used ring is untouched. */
    assert_true(zero(r, USED, 6 + 8 * N));
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
}

/* ---- push ------------------------------------------------------------------------------------ */

static void test_push_writes_used_element_then_idx(void **state)
{
    struct rig *r = *state;
    make_live(r);
    put_desc(r, 4, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    put_desc(r, 6, BUF + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 4);
    offer(r, 6);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_int_equal(r->q.inuse, 2);
    r->h.events[0] = '\0';
    assert_true(ring_push(&r->q, 6, 0x1234));
    /* §2.6.8: used.ring[0] = {id 6, len 0x1234} at used + 4, then used.idx = 1 at used + 2. */
    static const uint8_t elem0[8] = {6, 0, 0, 0, 0x34, 0x12, 0, 0};
    assert_memory_equal(at(r, USED + 4), elem0, 8);
    assert_int_equal(get16(r, USED + 2), 1);
    assert_int_equal(get16(r, USED), 0); /* used.flags: the device's, untouched */
    assert_true(zero(r, USED + 12, 8 * (N - 1)));
    assert_int_equal(r->q.used_idx, 1);
    assert_int_equal(r->q.inuse, 1);
    assert_true(ring_push(&r->q, 4, 7));
    assert_int_equal(get32(r, USED + 12), 4); /* used.ring[1] */
    assert_int_equal(get32(r, USED + 16), 7);
    assert_int_equal(get16(r, USED + 2), 2);
    assert_int_equal(r->q.inuse, 0);
    assert_int_equal(r->q.pushes, 2);
    assert_string_equal(r->h.events, "used 6 len=4660 idx=1;used 4 len=7 idx=2;");
    /* Only the element, then only the index (the parts an injected device fault leaves). */
    ring_push_parts(&r->q, 1, 9, RING_PUSH_ELEM);
    assert_int_equal(get32(r, USED + 20), 1);
    assert_int_equal(get16(r, USED + 2), 2); /* not published */
    assert_int_equal(r->q.used_idx, 3);
    ring_push_parts(&r->q, 2, 9, RING_PUSH_IDX);
    assert_int_equal(get32(r, USED + 28), 0); /* element not written */
    assert_int_equal(get16(r, USED + 2), 4);
}

/* 65,540 round trips: avail.idx and used.idx wrap from 65535 to 0, and each chain is taken from
 * the slot idx % N and answered in the element used_idx % N. */
static void test_avail_idx_wraps_past_65535(void **state)
{
    struct rig *r = *state;
    make_live(r);
    for (uint32_t k = 0; k < N; k++)
        put_desc(r, k, BUF + 0x10 * k, k + 1, VIRTQ_DESC_F_WRITE, 0);
    for (uint32_t i = 0; i < 65540; i++) {
        uint16_t head = (uint16_t)((i * 3) % N);
        offer(r, head);
        assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
        assert_int_equal(r->c.head, head);
        assert_int_equal(r->c.seg[0].len, head + 1u);
        assert_true(ring_push(&r->q, head, i));
        assert_int_equal(get32(r, USED + 4 + 8 * (i % N)), head);
        assert_int_equal(get32(r, USED + 8 + 8 * (i % N)), i);
        assert_int_equal(get16(r, USED + 2), (uint16_t)(i + 1));
    }
    assert_int_equal(get16(r, AVAIL + 2), 65540 - 65536);
    assert_int_equal(r->q.last_avail_idx, 4);
    assert_int_equal(r->q.used_idx, 4);
    assert_int_equal(r->q.inuse, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
    assert_int_equal(r->h.n_findings, 0);
}

/* ---- refusals -------------------------------------------------------------------------------- */

static void test_next_out_of_range_refused(void **state)
{
    struct rig *r = *state;
    make_live(r);
    put_desc(r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, N); /* links to 8 in a queue of 8 */
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_NEXT);
    assert_int_equal(r->h.n_findings, 1);
    assert_string_equal(r->h.rule[0], "split.desc.next-in-range");
    assert_int_equal(r->h.kind[0], RING_BREAK);
    assert_string_equal(r->h.message[0],
                        "queue 0: descriptor 0 links to 8, but the queue has 8 descriptors");
    assert_int_equal(r->c.nseg, 1);          /* descriptor 0 was mapped before its link */
    assert_int_equal(r->q.last_avail_idx, 1); /* the slot was consumed (QEMU: last_avail_idx++) */
    assert_int_equal(r->q.inuse, 0);          /* …but no request is held */
    assert_true(zero(r, USED, 6 + 8 * N));    /* and nothing was answered */
    /* Broken (the hook's reaction): the device takes nothing more, even a correct chain. */
    put_desc(r, 1, BUF, 16, 0, 0);
    offer(r, 1);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
    assert_int_equal(r->q.last_avail_idx, 1);
}

static void test_loop_refused(void **state)
{
    struct rig *r = *state;
    make_live(r);
    put_desc(r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(r, 1, BUF + 0x10, 16, VIRTQ_DESC_F_NEXT, 0); /* back to 0 */
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_LOOP);
    assert_int_equal(r->h.n_findings, 1);
    assert_string_equal(r->h.rule[0], "split.desc.no-loops");
    assert_string_equal(r->h.message[0],
                        "queue 0: chain from head 0 has more than 8 descriptors: it loops: "
                        "descriptor 1 links back to descriptor 0 (desc[1].next = 0, NEXT set); "
                        "stored by the test");
    assert_int_equal(r->h.loop_from, 1);
    assert_int_equal(r->h.loop_to, 0);
    assert_int_equal(r->c.nseg, N); /* QEMU maps up to a queue's worth before it says so */
    assert_int_equal(r->c.seg[7].desc, 1);
    assert_int_equal(r->q.inuse, 0);
    assert_true(zero(r, USED, 6 + 8 * N));
}

static void test_head_out_of_range_refused(void **state)
{
    struct rig *r = *state;
    make_live(r);
    offer(r, N);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_HEAD);
    assert_string_equal(r->h.rule[0], "split.avail.head-in-range");
    assert_int_equal(r->q.last_avail_idx, 1);
}

/* ---- the setters ----------------------------------------------------------------------------- */

static void test_setters_say_what_is_wrong(void **state)
{
    struct rig *r = *state;
    assert_int_equal(ring_set_size(&r->q, 3), RING_E_SIZE_POW2);
    assert_int_equal(ring_set_size(&r->q, 0), RING_E_SIZE_ZERO);
    assert_int_equal(ring_set_size(&r->q, 2048), RING_E_SIZE_MAX);
    assert_int_equal(ring_set_size(&r->q, 1024), RING_OK);
    assert_int_equal(ring_set_size(&r->q, 1), RING_OK);
    assert_int_equal(ring_set_area(&r->q, RING_DESC, DESC + 8), RING_E_ALIGN);   /* 16 */
    assert_int_equal(ring_set_area(&r->q, RING_DRIVER, AVAIL + 1), RING_E_ALIGN); /* 2 */
    assert_int_equal(ring_set_area(&r->q, RING_DEVICE, USED + 2), RING_E_ALIGN);  /* 4 */
    assert_int_equal(ring_set_area(&r->q, RING_DESC, DESC + 16), RING_OK);
    assert_int_equal(ring_set_area(&r->q, RING_DRIVER, AVAIL + 2), RING_OK);
    assert_int_equal(ring_set_area(&r->q, RING_DEVICE, USED + 4), RING_OK);
    assert_int_equal(ring_set_size(&r->q, N), RING_OK);
    assert_int_equal(ring_area_in_ram(&r->q, RING_DEVICE), RING_OK);
    assert_int_equal(ring_set_area(&r->q, RING_DEVICE, BASE + RAM_BYTES - 8), RING_OK);
    assert_int_equal(ring_area_in_ram(&r->q, RING_DEVICE), RING_E_NOT_IN_RAM); /* 4 + 8 N */
    assert_int_equal(r->h.n_findings, 0); /* the setters report nothing themselves */
}

/* Size 3: QEMU takes it (the split ring needs a power of two, §2.6): reported, the ring live. */
static void test_configure_size_3_reported_taken(void **state)
{
    struct rig *r = *state;
    assert_int_equal(ring_configure(&r->q, 3, DESC, AVAIL, USED), RING_OK);
    assert_true(r->q.live);
    assert_int_equal(r->q.live_num, 3);
    assert_int_equal(r->h.n_findings, 1);
    assert_string_equal(r->h.rule[0], "split.queue-size-pow2");
    assert_int_equal(r->h.kind[0], RING_VIOLATION);
    assert_string_equal(r->h.message[0], "queue 0: size 3 is not a power of 2");
    assert_string_equal(r->h.events, "configured 0;finding split.queue-size-pow2;live 0;");
    put_desc(r, 2, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 2); /* slot 0 of 3 */
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(ring_push(&r->q, 2, 5));
    assert_int_equal(get32(r, USED + 4), 2);
    assert_int_equal(get16(r, USED + 2), 1);
}

static void test_configure_size_0_refused(void **state)
{
    struct rig *r = *state;
    assert_int_equal(ring_configure(&r->q, 0, DESC, AVAIL, USED), RING_E_UNSET);
    assert_false(r->q.live);
    assert_int_equal(r->h.n_findings, 0);
    assert_string_equal(r->h.events, ""); /* no ring: nothing announced */
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
    assert_int_equal(r->q.last_avail_idx, 0);
    assert_true(ring_push(&r->q, 0, 1));
    assert_true(zero(r, USED, 6 + 8 * N)); /* a ring not live is never written */
}

static void test_configure_misaligned_reported_taken(void **state)
{
    struct rig *r = *state;
    assert_int_equal(ring_configure(&r->q, N, DESC + 8, AVAIL + 1, USED + 2), RING_OK);
    assert_true(r->q.live);
    assert_int_equal(r->q.desc, DESC + 8); /* as the driver wrote it, as QEMU takes it */
    assert_int_equal(r->q.avail, AVAIL + 1);
    assert_int_equal(r->q.used, USED + 2);
    assert_int_equal(r->h.n_findings, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r->h.rule[i], "split.align");
        assert_int_equal(r->h.kind[i], RING_VIOLATION);
    }
    assert_string_equal(r->h.message[0],
                        "queue 0: descriptor table at 0x10008 is not 16-byte aligned");
    assert_string_equal(r->h.message[1],
                        "queue 0: available ring at 0x10101 is not 2-byte aligned");
    assert_string_equal(r->h.message[2], "queue 0: used ring at 0x10202 is not 4-byte aligned");
}

static void test_configure_outside_ram_refused(void **state)
{
    struct rig *r = *state;
    uint64_t used = BASE + RAM_BYTES - 8; /* the used ring needs 4 + 8 N bytes */
    assert_int_equal(ring_configure(&r->q, N, DESC, AVAIL, used), RING_E_NOT_IN_RAM);
    assert_false(r->q.live);
    assert_int_equal(r->h.n_findings, 1);
    assert_string_equal(r->h.rule[0], "split.rings-in-ram");
    assert_int_equal(r->h.kind[0], RING_BREAK);
    assert_string_equal(r->h.message[0], "queue 0: used ring at 0x13ff8 (+68 bytes) is not in "
                                         "guest RAM [0x10000, 0x14000)");
    assert_string_equal(r->h.events, "configured 0;finding split.rings-in-ram;"); /* never live */
    r->broken = false;
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
    assert_int_equal(r->q.last_avail_idx, 0);
}

/* ---- notifications --------------------------------------------------------------------------- */

static void test_event_idx(void **state)
{
    struct rig *r = *state;
    r->features = 1ull << VIRTIO_RING_F_EVENT_IDX;
    make_live(r);
    put_desc(r, 3, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 3);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    /* §2.6.10: avail_event (after the used ring's N elements) = the next index it will read. */
    assert_int_equal(get16(r, USED + 4 + 8 * N), 1);
    assert_non_null(strstr(r->h.events, "avail_event 0=1;"));
    struct ring_suppress why;
    assert_true(ring_need_notify(&r->q, 1, 2, &why)); /* 1 -> 2 passes avail_event 1 */
    assert_false(ring_need_notify(&r->q, 2, 3, &why));
    assert_true(why.by_event);
    assert_int_equal(why.at, USED + 4 + 8 * N);
    assert_int_equal(why.value, 1);
    assert_true(ring_push(&r->q, 3, 0));
    assert_true(ring_need_interrupt(&r->q, &why)); /* the first since reset, always */
    put16(r, AVAIL + 4 + 2 * N, 5);                /* used_event: interrupt when past 5 */
    offer(r, 3);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_true(ring_push(&r->q, 3, 0));
    assert_false(ring_need_interrupt(&r->q, &why));
    assert_true(why.by_event);
    assert_int_equal(why.at, AVAIL + 4 + 2 * N);
    assert_int_equal(why.value, 5);
    assert_int_equal(why.now, 2);
    assert_int_equal(why.old, 1);
}

static void test_flags(void **state)
{
    struct rig *r = *state;
    make_live(r);
    struct ring_suppress why;
    assert_true(ring_need_interrupt(&r->q, &why));
    put16(r, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_false(ring_need_interrupt(&r->q, &why));
    assert_false(why.by_event);
    assert_int_equal(why.at, AVAIL);
    assert_int_equal(why.value, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_true(ring_need_notify(&r->q, 0, 1, &why));
    put16(r, USED, VIRTQ_USED_F_NO_NOTIFY);
    assert_false(ring_need_notify(&r->q, 0, 1, &why));
    assert_int_equal(why.at, USED);
}

/* ---- classify, reset, no hooks --------------------------------------------------------------- */

static void test_classify(void **state)
{
    struct rig *r = *state;
    make_live(r);
    uint32_t index = 99;
    assert_ptr_equal(ring_classify(&r->q, DESC + 16 * 5 + 14, &index), sr_f_desc_next);
    assert_int_equal(index, 5);
    assert_ptr_equal(ring_classify(&r->q, AVAIL + 2, &index), sr_f_avail_idx);
    assert_ptr_equal(ring_classify(&r->q, AVAIL + 4 + 2 * 3, &index), sr_f_avail_ring);
    assert_int_equal(index, 3);
    assert_ptr_equal(ring_classify(&r->q, USED + 4 + 8 * 7 + 4, &index), sr_f_used_len);
    assert_int_equal(index, 7);
    assert_ptr_equal(ring_classify(&r->q, USED + 4 + 8 * N, &index), sr_f_used_avail_event);
    assert_null(ring_classify(&r->q, BUF, &index));
    put_desc(r, 2, BUF, 64, VIRTQ_DESC_F_INDIRECT, 0); /* a table of 4 entries */
    assert_string_equal(ring_classify_table(&r->q, BUF + 16 * 3 + 8, &index), "indirect.len");
    assert_int_equal(index, 3);
}

static void test_reset_keeps_binding(void **state)
{
    struct rig *r = *state;
    make_live(r);
    put_desc(r, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    ring_reset(&r->q, 16);
    assert_false(r->q.live);
    assert_int_equal(r->q.last_avail_idx, 0);
    assert_int_equal(r->q.inuse, 0);
    assert_int_equal(r->q.num, 16);
    assert_int_equal(r->q.align, 4096);
    assert_ptr_equal(r->q.ops, &split_ring_ops);
    assert_ptr_equal(r->q.env, &r->env);
}

/* A ring with no hooks at all: it pops, pushes and refuses the same, and says why by value. */
static void test_no_hooks(void **state)
{
    (void)state;
    struct rig *r = rig_new(&ring_hooks_none);
    make_live(r);
    put_desc(r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(r, 1, BUF + 0x10, 32, VIRTQ_DESC_F_WRITE, 0);
    offer(r, 0);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_int_equal(r->c.nseg, 2);
    assert_true(ring_push(&r->q, 0, 32));
    assert_int_equal(get32(r, USED + 8), 32);
    put_desc(r, 2, BUF, 0, 0, 0); /* a zero-length buffer */
    offer(r, 2);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_ZERO_LEN);
    assert_true(ring_failed(RING_E_ZERO_LEN));
    assert_string_equal(ring_err_name(RING_E_ZERO_LEN), "E_ZERO_LEN");
    assert_int_equal(r->h.n_findings, 0);
    free(r);
}

/* The split ring instantiated against this file's table as a constant (split_hot.h), as the
 * machine instantiates it against its own (machine_rings.c). */
static enum ring_err inst_pop(struct dev_queue *q, struct sr_chain *c)
{
    return split_hot_pop(&recording_hooks, q, c);
}
static void inst_push(struct dev_queue *q, uint16_t id, uint32_t len, unsigned parts)
{
    split_hot_push(&recording_hooks, q, id, len, parts);
}
static bool inst_answer(struct dev_queue *q, uint16_t id, uint32_t len)
{
    return split_hot_answer(&recording_hooks, q, id, len);
}
static bool inst_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    return split_hot_need_interrupt(&recording_hooks, q, why);
}
static const struct ring_ops inst_ops =
    SPLIT_RING_OPS_WITH(inst_pop, inst_push, inst_answer, inst_need_interrupt);

/* One session: chains of 1 to 3 descriptors popped and answered, EVENT_IDX on, a loop refused. */
static void session(struct rig *r)
{
    r->features = 1ull << VIRTIO_RING_F_EVENT_IDX;
    make_live(r);
    for (uint32_t i = 0; i < 20; i++) {
        uint16_t head = (uint16_t)(i % 4) * 2;
        put_desc(r, head, BUF + 0x40 * i, 8 + i, i % 2 ? VIRTQ_DESC_F_NEXT : 0, head + 1);
        put_desc(r, head + 1u, BUF + 0x800, 16, VIRTQ_DESC_F_WRITE, 0);
        offer(r, head);
        assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
        put16(r, AVAIL + 4 + 2 * N, (uint16_t)(i / 2)); /* used_event */
        assert_true(ring_push(&r->q, r->c.head, i));
        struct ring_suppress why;
        event(r, "irq %d;", ring_need_interrupt(&r->q, &why));
    }
    assert_int_equal(ring_pop(&r->q, &r->c), RING_EMPTY);
    put_desc(r, 3, BUF, 8, VIRTQ_DESC_F_NEXT, 3);
    offer(r, 3);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_E_LOOP);
}

/* The instance and split_ring_ops are the same ring: the same events in the same order, the
 * same findings, the same bytes in the ring and the same indices. */
static void test_instance_is_the_same_ring(void **state)
{
    (void)state;
    struct rig *a = rig_new(&recording_hooks), *b = rig_new(&recording_hooks);
    b->env.split_ops = &inst_ops;
    ring_bind(&b->q, &inst_ops, &b->env, 0);
    ring_reset(&b->q, N);
    assert_true(ring_is_split(&b->q));
    session(a);
    session(b);
    assert_ptr_equal(b->q.ops, &inst_ops); /* ring_configure picked the environment's */
    assert_true(strlen(a->h.events) > 200);
    assert_string_equal(a->h.events, b->h.events);
    assert_int_equal(a->h.n_findings, 1);
    assert_int_equal(b->h.n_findings, 1);
    assert_string_equal(a->h.message[0], b->h.message[0]);
    assert_memory_equal(a->ram, b->ram, RAM_BYTES);
    assert_int_equal(a->q.used_idx, b->q.used_idx);
    assert_int_equal(a->q.last_avail_idx, b->q.last_avail_idx);
    free(a);
    free(b);
}

/* The areas mapped when the ring goes live follow its layout: a ring set up again elsewhere is
 * read and written there, and a ring that is not live has none. */
static void test_mapped_areas_follow_the_layout(void **state)
{
    struct rig *r = *state;
    make_live(r);
    assert_ptr_equal(r->q.desc_host, at(r, DESC));
    assert_ptr_equal(r->q.avail_host, at(r, AVAIL));
    assert_ptr_equal(r->q.used_host, at(r, USED));
    const uint64_t d2 = BASE + 0x400, a2 = BASE + 0x600, u2 = BASE + 0x700;
    assert_int_equal(ring_configure(&r->q, N, d2, a2, u2), RING_OK);
    assert_ptr_equal(r->q.desc_host, at(r, d2));
    assert_ptr_equal(r->q.used_host, at(r, u2));
    uint8_t *p = at(r, d2 + 16 * 5);
    uint64_t addr = BUF;
    uint32_t len = 40;
    uint16_t flags = VIRTQ_DESC_F_WRITE;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    put16(r, a2 + 4, 5);
    put16(r, a2 + 2, 1);
    assert_int_equal(ring_pop(&r->q, &r->c), RING_OK);
    assert_int_equal(r->c.head, 5);
    assert_int_equal(r->c.writable, 40);
    assert_true(ring_push(&r->q, 5, 33));
    assert_int_equal(get32(r, u2 + 4), 5);
    assert_int_equal(get32(r, u2 + 8), 33);
    assert_int_equal(get16(r, u2 + 2), 1);
    assert_true(zero(r, USED, 6 + 8 * N)); /* the old used ring: untouched */
    assert_int_equal(ring_configure(&r->q, N, 0, a2, u2), RING_E_UNSET);
    assert_null(r->q.desc_host);
    assert_null(r->q.used_host);
    assert_int_equal(ring_configure(&r->q, N, DESC, AVAIL, BASE + RAM_BYTES - 8),
                     RING_E_NOT_IN_RAM);
    assert_false(r->q.live);
    assert_null(r->q.used_host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pop_three_descriptor_chain, setup, teardown),
        cmocka_unit_test(test_instance_is_the_same_ring),
        cmocka_unit_test_setup_teardown(test_mapped_areas_follow_the_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_writes_used_element_then_idx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_avail_idx_wraps_past_65535, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_out_of_range_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_out_of_range_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setters_say_what_is_wrong, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_size_3_reported_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_size_0_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_misaligned_reported_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_outside_ram_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_keeps_binding, setup, teardown),
        cmocka_unit_test(test_no_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
