/* sim_fixture.c — see sim_fixture.h. */
#include "sim_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct machine_config fx_config(uint32_t transport_version)
{
    struct machine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ram_base = FX_RAM_BASE;
    cfg.ram_size = FX_RAM_SIZE;
    cfg.mmio_base = FX_MMIO_BASE;
    cfg.transport_version = transport_version;
    cfg.display_width = FX_DISPLAY_W;
    cfg.display_height = FX_DISPLAY_H;
    cfg.device_latency_ns = FX_LATENCY_NS;
    cfg.profile = PROFILE_QEMU;
    return cfg;
}

struct machine *fx_machine_new(uint32_t transport_version)
{
    char err[512] = "";
    const struct rule_catalogue *rules = rules_builtin(err, sizeof(err));
    if (!rules)
        fail_msg("built-in rule catalogue does not parse: %s", err);
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct machine_config cfg = fx_config(transport_version);
    if (machine_init(m, &cfg, rules) != 0) {
        free(m);
        fail_msg("machine_init failed");
    }
    hal_sim_bind(m);
    assert_ptr_equal(hal_sim_bound(), m);
    return m;
}

void fx_machine_free(struct machine *m)
{
    if (!m)
        return;
    if (hal_sim_bound() == m)
        hal_sim_unbind();
    machine_destroy(m);
    free(m);
}

unsigned fx_count_violations(const struct machine *m, const char *rule_id)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < m->n_violations; i++)
        if (m->violations[i].rule && strcmp(m->violations[i].rule->id, rule_id) == 0)
            n++;
    return n;
}

static int event_matches(const struct trace_event *e, int kind, const char *what, uint64_t addr)
{
    if (e->kind != kind)
        return 0;
    if (what && (!e->what || strcmp(e->what, what) != 0))
        return 0;
    if (addr != UINT64_MAX && e->addr != addr)
        return 0;
    return 1;
}

long fx_trace_find(const struct machine *m, size_t from, int kind, const char *what, uint64_t addr)
{
    for (size_t i = from; i < m->trace.len; i++)
        if (event_matches(&m->trace.ev[i], kind, what, addr))
            return (long)i;
    return -1;
}

long fx_trace_rfind(const struct machine *m, long from, int kind, const char *what, uint64_t addr)
{
    if (from >= (long)m->trace.len)
        from = (long)m->trace.len - 1;
    for (long i = from; i >= 0; i--)
        if (event_matches(&m->trace.ev[i], kind, what, addr))
            return i;
    return -1;
}

uintptr_t fx_reg(const struct machine *m, uint32_t off)
{
    return (uintptr_t)(m->cfg.mmio_base + off);
}

void fx_write_desc(struct machine *m, uint64_t desc_base, uint32_t i, uint64_t addr, uint32_t len,
                   uint16_t flags, uint16_t next)
{
    uint8_t *p = gm_ptr(&m->mem, desc_base + 16ull * i, 16);
    assert_non_null(p);
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

void fx_offer(struct machine *m, uint64_t avail, uint32_t num, uint16_t head)
{
    uint16_t idx;
    assert_true(gm_read16(&m->mem, avail + 2, &idx));
    assert_true(gm_write16(&m->mem, avail + 4 + 2u * (idx % num), head));
    assert_true(gm_write16(&m->mem, avail + 2, (uint16_t)(idx + 1)));
}

enum ring_err fx_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail,
                           uint64_t used)
{
    struct dev_queue *q = &m->dev.q[qi];
    return ring_configure(q, q->num, desc, avail, used);
}
