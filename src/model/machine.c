/* machine.c — see machine.h. */
#include "model/machine.h"

#include "model/checks/exposed_snapshot.h"
#include "model/devices/device_registry.h"
#include "model/machine_rings.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/rules.h"

/* Every per-queue array of the checks, the facts and the injected faults has room for each queue
 * a device may have (device.h): raising DEVICE_MAX_QUEUES stops here until they all grow. */
#define N_OF(type, field) (sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]))
_Static_assert(MMIO_NUM_QUEUES == DEVICE_MAX_QUEUES, "the transport's queues");
_Static_assert(RF_QUEUES == DEVICE_MAX_QUEUES, "run_facts.h");
_Static_assert(MMIO_CHECK_QUEUES == DEVICE_MAX_QUEUES, "mmio_checks.h");
_Static_assert(DF_QUEUES == DEVICE_MAX_QUEUES, "device_faults.h");
_Static_assert(N_OF(struct notify_state, q) == DEVICE_MAX_QUEUES, "notify_checks.h");
_Static_assert(N_OF(struct status_check_state, reinit_live) == DEVICE_MAX_QUEUES,
               "status_checks.h");
_Static_assert(N_OF(struct device_pace, on) == DEVICE_MAX_QUEUES, "device_pace.h");
_Static_assert(N_OF(struct barrier_check, cpu0.q) == DEVICE_MAX_QUEUES, "barrier_check.h");
_Static_assert(N_OF(struct device_pace, armed) == DEVICE_MAX_QUEUES, "device_pace.h");
_Static_assert(N_OF(struct status_check_state, reinit_used_idx) == DEVICE_MAX_QUEUES,
               "status_checks.h");
_Static_assert(CHAIN_LOG_QUEUES == DEVICE_MAX_QUEUES, "chain_log.h");

/* Default arenas, as offsets into RAM: rings, buffers, framebuffers, driver-private. */
static const uint64_t arena_offset[4] = {0x00100000, 0x00200000, 0x01000000, 0x00300000};

/* Where arena `use` ends: the next arena's start, or the end of RAM. An allocation past it
 * would lie in another arena's memory (a net driver's receive buffers over its private queue
 * state, found by fuzz/fuzz_drivers.c): it fails instead, as a full heap would. */
static uint64_t arena_end(const struct machine *m, unsigned use)
{
    uint64_t end = m->cfg.ram_size;
    for (unsigned i = 0; i < 4; i++)
        if (arena_offset[i] > arena_offset[use] && arena_offset[i] < end)
            end = arena_offset[i];
    return m->cfg.ram_base + end;
}

/* The configured device type, created: 0, or -1 (nothing left allocated). */
static int device_create(struct device *d, const struct machine_config *cfg)
{
    const struct device_ops *ops = cfg->device_ops;
    if (!ops)
        ops = device_registry_find(cfg->device ? cfg->device : DEVICE_DEFAULT_NAME);
    if (!ops || ops->n_queues == 0 || ops->n_queues > DEVICE_MAX_QUEUES)
        return -1;
    d->state = NULL;
    if (ops->create(cfg, &d->state) != 0)
        return -1;
    d->ops = ops;
    return 0;
}

/* machine_init on RAM mapped already (ram) or a new mapping (ram NULL). */
static int machine_build(struct machine *m, const struct machine_config *cfg,
                         const struct rule_catalogue *rules, const struct guest_memory *ram)
{
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->rules = rules;
    if (ram)
        m->mem = *ram;
    else if (gm_init(&m->mem, cfg->ram_base, cfg->ram_size) != 0)
        return -1;
    trace_init(&m->trace, cfg->trace_limit);
    m->violations_cap = 16; /* grown by vviolation: most runs have a few */
    m->violations = calloc(m->violations_cap, sizeof(*m->violations));
    if (!m->violations || device_create(&m->device, cfg) != 0) {
        free(m->violations);
        m->violations = NULL;
        if (!ram)
            gm_destroy(&m->mem);
        m->mem = (struct guest_memory){0};
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        struct dma_arena *a = &m->arena[i];
        a->next = cfg->ram_base + arena_offset[i];
        if (cfg->place[i]) {
            a->pins[a->n_pins++] = cfg->place[i];
            for (uint32_t k = 0; k < cfg->n_place_next[i] && k < 7; k++)
                a->pins[a->n_pins++] = cfg->place_next[i][k];
        }
    }
    m->mguard.canary = cfg->memory_canary;
    m->chain_log.on = !cfg->checks_off; /* chain_log.h: nothing kept with checks off */
    m->facts.last_read_slot = -1;
    mmio_device_init(&m->dev, cfg->transport_version, m->device.ops);
    if (cfg->transport == TRANSPORT_PCI)
        pci_function_init(&m->pci, m->device.ops);
    machine_rings_bind(m);
    m->dev.host_features = (m->dev.host_features | cfg->offer_add) & ~cfg->offer_remove;
    if (cfg->magic)
        m->dev.magic = cfg->magic;
    if (cfg->version_shown)
        m->dev.version_shown = cfg->version_shown;
    if (cfg->device_id_set)
        m->dev.device_id = cfg->device_id;
    m->dev.config_change_after = cfg->config_change_after;
    m->dev.queue_reset = cfg->offer_add >> VIRTIO_F_RING_RESET & 1u; /* mmio_queue_reset.h */
    bc_init(&m->bc, cfg->ring_access, cfg->weak_memory);
    return 0;
}

int machine_init(struct machine *m, const struct machine_config *cfg,
                 const struct rule_catalogue *rules)
{
    return machine_build(m, cfg, rules, NULL);
}

int machine_init_reusing(struct machine *m, const struct machine_config *cfg,
                         const struct rule_catalogue *rules, struct guest_memory *ram)
{
    if (!ram->host || ram->base != cfg->ram_base || ram->size != cfg->ram_size ||
        gm_clear(ram) != 0) {
        memset(m, 0, sizeof(*m));
        return -1;
    }
    return machine_build(m, cfg, rules, ram);
}

void machine_destroy_keeping(struct machine *m, struct guest_memory *ram)
{
    *ram = m->mem;
    m->mem = (struct guest_memory){0}; /* gm_destroy of an empty one: nothing */
    machine_destroy(m);
}

void machine_destroy(struct machine *m)
{
    if (m->device.ops)
        m->device.ops->destroy(m->device.state);
    sr_batch_free(&m->batch);
    rf_free(&m->facts);
    bc_free(&m->bc);
    exposed_free(m);
    pace_free(m);
    trace_free(&m->trace);
    free(m->violations);
    gm_destroy(&m->mem);
    memset(m, 0, sizeof(*m));
}

void machine_observe(struct machine *m, const struct machine_observer *o) { m->observer = o; }

/* The catalogue entry of rule `id`; a check without one is a vqsim bug: said loudly, and the
 * finding is kept under vqsim.unknown-rule rather than crashing or vanishing. */
static const struct rule *find_rule(const struct machine *m, const char *id)
{
    /* A violation per register write is common (a hostile guest, a fuzz target): remember, per
     * thread, where each id was found in which catalogue, by the id's address (ids are string
     * literals). A hit compares the text too, so the cache can only save a search. */
    static _Thread_local struct {
        const struct rule_catalogue *cat;
        const char *id;
        const struct rule *rule;
    } cache[64];
    size_t slot = ((uintptr_t)id >> 3) % (sizeof(cache) / sizeof(cache[0]));
    const struct rule *c = cache[slot].rule;
    if (m->rules && cache[slot].cat == m->rules && cache[slot].id == id &&
        c >= m->rules->rules && c < m->rules->rules + m->rules->n && strcmp(c->id, id) == 0)
        return c; /* (inside the catalogue's array: safe even if one catalogue replaced another) */
    const struct rule *r = rules_find(m->rules, id);
    if (!r) {
        fprintf(stderr, "vqsim: internal error: rule '%s' is not in spec/rules.yaml\n", id);
        return rules_find(m->rules, "vqsim.unknown-rule");
    }
    cache[slot].cat = m->rules;
    cache[slot].id = id;
    cache[slot].rule = r;
    return r;
}

/* Fill finding *v (a violation or an informational one) now, and mark it in the trace. */
static void record_finding(struct machine *m, struct violation *v, const struct rule *r, int queue,
                           enum trace_kind kind, const char *fmt, va_list ap)
{
    v->rule = r;
    v->t = m->now;
    v->queue = (uint8_t)(queue < 0 ? 0xff : queue);
    vsnprintf(v->message, sizeof(v->message), fmt, ap);
    struct trace_event *e = machine_trace(m, kind, 0, 0, 0, r->id);
    if (e) {
        e->queue = v->queue;
        if (kind != TR_VIOLATION)
            e->note = "informational finding";
    }
}

/* Whether rule r is judged in this run (it holds in the version judged against); a rule that is
 * not is remembered once, to be said. */
static bool judged(struct machine *m, const struct rule *r)
{
    if (rule_holds_in(r, m->cfg.spec))
        return true;
    for (uint32_t i = 0; i < m->n_skipped_rules; i++)
        if (m->skipped_rules[i] == r)
            return false;
    if (m->n_skipped_rules < MACHINE_MAX_SKIPPED_RULES)
        m->skipped_rules[m->n_skipped_rules++] = r;
    return false;
}

static void vviolation(struct machine *m, const char *id, int queue, const char *fmt, va_list ap)
{
    const struct rule *r = find_rule(m, id);
    if (!r || !judged(m, r))
        return;
    if (m->n_violations == m->violations_cap && m->n_violations < MACHINE_MAX_VIOLATIONS) {
        uint32_t cap = m->violations_cap * 2 < MACHINE_MAX_VIOLATIONS ? m->violations_cap * 2
                                                                      : MACHINE_MAX_VIOLATIONS;
        struct violation *v = realloc(m->violations, cap * sizeof(*v));
        if (v) {
            m->violations = v;
            m->violations_cap = cap;
        }
    }
    if (m->n_violations >= m->violations_cap) { /* the bound, or no memory to grow */
        m->dropped_violations++;
        return;
    }
    record_finding(m, &m->violations[m->n_violations++], r, queue, TR_VIOLATION, fmt, ap);
}

void machine_violation(struct machine *m, const char *id, int queue, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vviolation(m, id, queue, fmt, ap);
    va_end(ap);
}

void machine_inform(struct machine *m, const char *id, int queue, const char *fmt, ...)
{
    const struct rule *r = find_rule(m, id);
    if (!r || m->n_informational >= MACHINE_MAX_INFORMATIONAL || !judged(m, r))
        return;
    va_list ap;
    va_start(ap, fmt);
    record_finding(m, &m->informational[m->n_informational++], r, queue, TR_DEVICE, fmt, ap);
    va_end(ap);
}

/* What broke the device, for the diagnosis (the first break only, whatever the violation cap),
 * then the break itself (QEMU's virtio_error). */
static void vbreak(struct machine *m, const char *id, const char *fmt, va_list ap)
{
    if (!m->dev.broken)
        vsnprintf(m->facts.broken_why, sizeof(m->facts.broken_why), fmt, ap);
    mmio_device_set_broken(m, id);
}

void machine_break_device(struct machine *m, const char *id, int queue, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vviolation(m, id, queue, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    vbreak(m, id, fmt, ap);
    va_end(ap);
}

void machine_break_device_quietly(struct machine *m, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vbreak(m, id, fmt, ap);
    va_end(ap);
}

void machine_process_queue(struct machine *m, uint32_t q)
{
    if (m->device.ops->process_queue(m->device.state, m, q))
        mmio_device_raise_used_irq(m, q);
}

/* The queue whose work falls due first at or before t, or -1 (ties: the lowest number); *rest is
 * the earliest time any other queue's work falls due (UINT64_MAX: none) — with -1, the earliest
 * of all, after t: the machine's due_hint once that queue's work is taken. */
static int due_queue(const struct machine *m, uint64_t t, uint64_t *rest)
{
    int first_q = -1;
    uint64_t first = UINT64_MAX, second = UINT64_MAX;
    for (uint32_t q = 0; q < m->dev.n_queues; q++) { /* only the device's are scheduled */
        const struct dev_queue *dq = &m->dev.q[q];
        if (!dq->pending)
            continue;
        if (dq->pending_at < first) {
            second = first;
            first = dq->pending_at;
            first_q = (int)q;
        } else if (dq->pending_at < second) {
            second = dq->pending_at;
        }
    }
    if (first_q < 0 || first > t) {
        *rest = first;
        return -1;
    }
    *rest = second;
    return first_q;
}

/* The hint is a lower bound of every queue's pending time (others may clear `pending`: then
 * the bound is only lower, and the scan runs once more to find nothing). */
void machine_check_due_hint(const struct machine *m)
{
    for (uint32_t q = 0; q < m->dev.n_queues; q++)
        assert(!m->dev.q[q].pending || m->dev.q[q].pending_at >= m->due_hint);
    (void)m;
}

/* machine_advance when work may fall due by t (t >= due_hint). The hint stays a lower bound of
 * every pending queue's time: set to the others' earliest before a queue's work is taken, lowered
 * by whatever that work schedules (machine_schedule_queue_at); so the queues are scanned again
 * only when the hint says some work may be due by t. */
void machine_advance_due(struct machine *m, uint64_t t)
{
    while (t >= m->due_hint) {
        uint64_t rest;
        int best = due_queue(m, t, &rest);
        m->due_hint = rest;
        if (best < 0)
            break;
        struct dev_queue *dq = &m->dev.q[best];
        if (dq->pending_at > m->now)
            m->now = dq->pending_at;
        dq->pending = false;
        if (m->dfaults.n_held) /* held answers that fell due (injected faults hold some) */
            device_faults_flush(m, (uint32_t)best);
        machine_process_queue(m, (uint32_t)best);
    }
    if (t > m->now)
        m->now = t;
}

void *machine_dma_alloc(struct machine *m, uint64_t size, uint64_t align, unsigned use,
                        uint64_t *phys)
{
    if (use > 3 || size == 0 || align == 0 || (align & (align - 1)) != 0)
        return NULL;
    struct dma_arena *a = &m->arena[use];
    uint64_t addr;
    if (a->next_pin < a->n_pins) { /* the scenario pinned this one: exactly there */
        addr = a->pins[a->next_pin++];
    } else {
        addr = (a->next + align - 1) & ~(align - 1);
        if (addr < a->next || size > arena_end(m, use) || addr > arena_end(m, use) - size)
            return NULL;
    }
    void *p = gm_ptr(&m->mem, addr, size);
    if (!p)
        return NULL;
    a->next = addr + size;
    gm_zero(&m->mem, p, size); /* memset, its pages made resident in one call (guest_memory.h) */
    *phys = addr;
    memory_guard_on_alloc(m, addr, size); /* memory_guard.h: outside this stays untouched */
    return p;
}
