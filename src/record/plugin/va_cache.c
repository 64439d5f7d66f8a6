/* va_cache.c — see va_cache.h. */
#include "record/plugin/va_cache.h"

#include <string.h>

struct vc_cpu vc_cpus[VC_CPUS];
uint64_t vc_gen = 1;
static int disabled;     /* a disagreement with QEMU, or off */
static int off;          /* never used in this run (vc_turn_off) */
static uint64_t disagreements;

uint64_t vc_generation(void)
{
    return __atomic_load_n(&vc_gen, __ATOMIC_ACQUIRE);
}

void vc_invalidate(void)
{
    __atomic_add_fetch(&vc_gen, 1, __ATOMIC_ACQ_REL);
}

/* c's entries belong to generation gen: those of another are dropped. */
static void adopt(struct vc_cpu *c, uint64_t gen)
{
    if (c->gen != gen) {
        memset(c->quiet, 0, sizeof(c->quiet));
        memset(c->e, 0, sizeof(c->e));
        c->gen = gen;
    }
}

enum vc_result vc_lookup(unsigned cpu, uint64_t va, unsigned size, uint64_t *pa,
                         bool *ring_page)
{
    if (cpu >= VC_CPUS)
        return VC_MISS;
    struct vc_cpu *c = &vc_cpus[cpu];
    if (c->bump_next) {
        c->bump_next = false;
        vc_invalidate();
    }
    adopt(c, vc_generation());
    bool verify = c->verify_next; /* a hit vc_quiet counted */
    c->verify_next = false;
    uint64_t in_page = va % VC_PAGE;
    const struct vc_entry *e = &c->e[(va / VC_PAGE) % VC_ENTRIES];
    if (in_page + size > VC_PAGE || __atomic_load_n(&disabled, __ATOMIC_RELAXED) ||
        e->va_page != va / VC_PAGE + 1) {
        c->misses++;
        return VC_MISS;
    }
    *pa = (e->pa & ~(uint64_t)VC_RING) + in_page;
    *ring_page = e->pa & VC_RING;
    return verify || ++c->hits % VC_VERIFY_EVERY == 0 ? VC_VERIFY : VC_HIT;
}

void vc_fill(unsigned cpu, uint64_t va, unsigned size, uint64_t pa, bool ring_page,
             uint64_t gen)
{
    if (cpu >= VC_CPUS || va % VC_PAGE + size > VC_PAGE || pa % VC_PAGE != va % VC_PAGE ||
        __atomic_load_n(&disabled, __ATOMIC_RELAXED))
        return;
    struct vc_cpu *c = &vc_cpus[cpu];
    if (c->bump_next || gen != vc_generation()) /* an answer from before a change */
        return;
    adopt(c, gen);
    unsigned i = (va / VC_PAGE) % VC_ENTRIES;
    c->e[i] = (struct vc_entry){va / VC_PAGE + 1, pa - pa % VC_PAGE + (ring_page ? VC_RING : 0)};
    c->quiet[i] = ring_page ? 0 : va / VC_PAGE + 1;
}

void vc_verify(uint64_t cached_pa, bool io, uint64_t pa)
{
    if (!io && pa == cached_pa)
        return;
    __atomic_add_fetch(&disagreements, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&disabled, 1, __ATOMIC_RELAXED);
    vc_invalidate(); /* no vc_quiet answers from the entries filled so far */
}

/* aarch64: SYS with CRn 8 (op0 1, L 0) is a TLBI; MSR (register) is 0xd51 in bits 31:20 (op0 2
 * or 3, L 0), CRn in bits 15:12. */
bool vc_mmu_insn(uint32_t op)
{
    if ((op & 0xfff8f000u) == 0xd5088000u)
        return true;
    uint32_t crn = (op >> 12) & 0xf;
    return (op & 0xfff00000u) == 0xd5100000u && (crn == 1 || crn == 2);
}

void vc_cpu_resumed(unsigned cpu)
{
    if (cpu < VC_CPUS)
        vc_cpus[cpu].gen = 0;
}

void vc_turn_off(void)
{
    __atomic_store_n(&off, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&disabled, 1, __ATOMIC_RELAXED);
    vc_invalidate();
}

bool vc_is_off(void)
{
    return __atomic_load_n(&off, __ATOMIC_RELAXED);
}

void vc_mmu_change(unsigned cpu)
{
    vc_invalidate();
    if (cpu < VC_CPUS) {
        vc_cpus[cpu].bump_next = true;
        vc_cpus[cpu].gen = 0; /* no vc_quiet answer before that next access */
    }
}

uint64_t vc_disagreements(void)
{
    return __atomic_load_n(&disagreements, __ATOMIC_RELAXED);
}

void vc_counts(uint64_t *hits, uint64_t *lookups)
{
    *hits = *lookups = 0;
    for (unsigned i = 0; i < VC_CPUS; i++) {
        uint64_t h = __atomic_load_n(&vc_cpus[i].hits, __ATOMIC_RELAXED);
        *hits += h;
        *lookups += h + __atomic_load_n(&vc_cpus[i].misses, __ATOMIC_RELAXED);
    }
}
