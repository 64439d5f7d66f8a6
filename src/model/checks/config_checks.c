/* config_checks.c — see config_checks.h. */
#include "model/checks/config_checks.h"

#include <assert.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"

/* The run of config reads is over: judge it. */
static void end_run(struct machine *m)
{
    struct config_check_state *s = &m->config_checks;
    if (s->run && s->block && m->dev.config_generation != s->gen_at_start && !s->closed_ok)
        machine_violation(m, "config.no-assume-atomic", -1,
                          "the configuration changed (generation %u → %u) while the driver read "
                          "it, and it went on without %s", s->gen_at_start,
                          m->dev.config_generation,
                          s->block_open || !s->has_g0
                              ? "reading ConfigGeneration before and after its reads"
                              : "reading again after ConfigGeneration changed");
    *s = (struct config_check_state){0};
}

void config_checks_access(struct machine *m, uint32_t off, bool write, uint32_t value)
{
    struct config_check_state *s = &m->config_checks;
    /* config_checks_want_write: outside a run, nothing is set */
    assert(s->run || (!s->block && !s->block_open && !s->has_g0 && !s->g0 && !s->closed_ok &&
                      !s->last_gen && !s->last_was_gen && !s->gen_at_start));
    if (m->dev.version != 2) /* the legacy interface has no generation counter (§2.4.4) */
        return;
    bool cfg = !write && off >= VIRTIO_MMIO_CONFIG;
    bool gen = !write && off == VIRTIO_MMIO_CONFIG_GENERATION;
    if (!cfg && !gen) {
        end_run(m);
        return;
    }
    if (!s->run) {
        *s = (struct config_check_state){.run = true, .gen_at_start = m->dev.config_generation};
    }
    if (gen) {
        if (s->block_open)
            s->closed_ok = s->has_g0 && value == s->g0;
        s->block_open = false;
        s->last_gen = value;
        s->last_was_gen = true;
        return;
    }
    if (!s->block_open) { /* a new block of config reads */
        s->block = true;
        s->block_open = true;
        s->has_g0 = s->last_was_gen;
        s->g0 = s->last_gen;
        s->closed_ok = false;
    }
    s->last_was_gen = false;
}

void config_checks_finish(struct machine *m) { end_run(m); }
