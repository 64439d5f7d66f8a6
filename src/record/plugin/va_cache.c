/* va_cache.c — see va_cache.h. */
#include "record/plugin/va_cache.h"

#define PAGE 4096u

struct vc_entry {
    uint64_t va_page;    /* virtual page number + 1 (0: empty) */
    uint64_t pa_page;    /* physical address of the page */
    uint32_t gen;
    uint32_t epoch;      /* the vCPU's epoch it was filled in */
    bool ring;           /* some ring overlaps the page */
};

struct vc_cpu {
    bool bump_next;      /* a translation change is under way: at the next access, again */
    uint32_t epoch;      /* moves on when the vCPU resumes (QEMU may have reset it) */
    uint32_t until_verify;
    uint64_t hits, lookups;
    struct vc_entry e[VC_ENTRIES];
};

static struct vc_cpu cpus[VC_CPUS];  /* untouched (no memory) for vCPUs that do not exist */
static uint32_t generation = 1;
static int disabled;     /* a disagreement with QEMU */
static int off;          /* never used in this run (vc_turn_off) */
static uint64_t disagreements;

uint32_t vc_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void vc_invalidate(void)
{
    __atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

enum vc_result vc_lookup(unsigned cpu, uint64_t va, unsigned size, uint64_t *pa,
                         bool *ring_page)
{
    if (cpu >= VC_CPUS)
        return VC_MISS;
    struct vc_cpu *c = &cpus[cpu];
    if (c->bump_next) {
        c->bump_next = false;
        vc_invalidate();
    }
    c->lookups++;
    uint64_t in_page = va % PAGE;
    if (in_page + size > PAGE || __atomic_load_n(&disabled, __ATOMIC_RELAXED))
        return VC_MISS;
    const struct vc_entry *e = &c->e[(va / PAGE) % VC_ENTRIES];
    if (e->va_page != va / PAGE + 1 || e->gen != vc_generation() || e->epoch != c->epoch)
        return VC_MISS;
    c->hits++;
    *pa = e->pa_page + in_page;
    *ring_page = e->ring;
    if (++c->until_verify >= VC_VERIFY_EVERY) {
        c->until_verify = 0;
        return VC_VERIFY;
    }
    return VC_HIT;
}

void vc_fill(unsigned cpu, uint64_t va, unsigned size, uint64_t pa, bool ring_page,
             uint32_t gen)
{
    if (cpu >= VC_CPUS || va % PAGE + size > PAGE || pa % PAGE != va % PAGE)
        return;
    struct vc_entry *e = &cpus[cpu].e[(va / PAGE) % VC_ENTRIES];
    *e = (struct vc_entry){va / PAGE + 1, pa - pa % PAGE, gen, cpus[cpu].epoch, ring_page};
}

void vc_verify(uint64_t cached_pa, bool io, uint64_t pa)
{
    if (!io && pa == cached_pa)
        return;
    __atomic_add_fetch(&disagreements, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&disabled, 1, __ATOMIC_RELAXED);
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
        cpus[cpu].epoch++;
}

void vc_turn_off(void)
{
    __atomic_store_n(&off, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&disabled, 1, __ATOMIC_RELAXED);
}

bool vc_is_off(void)
{
    return __atomic_load_n(&off, __ATOMIC_RELAXED);
}

void vc_mmu_change(unsigned cpu)
{
    vc_invalidate();
    if (cpu < VC_CPUS)
        cpus[cpu].bump_next = true;
}

uint64_t vc_disagreements(void)
{
    return __atomic_load_n(&disagreements, __ATOMIC_RELAXED);
}

void vc_counts(uint64_t *hits, uint64_t *lookups)
{
    *hits = *lookups = 0;
    for (unsigned i = 0; i < VC_CPUS; i++) {
        *hits += __atomic_load_n(&cpus[i].hits, __ATOMIC_RELAXED);
        *lookups += __atomic_load_n(&cpus[i].lookups, __ATOMIC_RELAXED);
    }
}
