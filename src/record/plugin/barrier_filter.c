/* barrier_filter.c — see barrier_filter.h. */
#include "record/plugin/barrier_filter.h"

#include <string.h>

#include "record/recording.h"

struct bf_cpu {
    bool accessed;       /* a recorded access came before: barriers now order something */
    uint8_t kinds;       /* 1 << enum vqrec_barrier, since the last recorded access */
    struct bf_barrier last[3];
    uint64_t executed, kept;
};

static struct bf_cpu cpus[BF_CPUS];

void bf_barrier(unsigned cpu, uint32_t kind, uint32_t op, uint64_t pc)
{
    if (cpu >= BF_CPUS || kind > VQREC_WMB)
        return;
    struct bf_cpu *c = &cpus[cpu];
    c->executed++;
    if (!c->accessed)
        return;
    if (kind == VQREC_MB)
        c->kinds = 1u << VQREC_MB; /* orders all that an RMB or a WMB would */
    else if (c->kinds & (1u << VQREC_MB))
        return;
    else
        c->kinds |= (uint8_t)(1u << kind);
    c->last[kind] = (struct bf_barrier){kind, op, pc};
}

unsigned bf_access(unsigned cpu, struct bf_barrier out[2])
{
    if (cpu >= BF_CPUS)
        return 0;
    struct bf_cpu *c = &cpus[cpu];
    unsigned n = 0;
    for (uint32_t k = VQREC_MB; k <= VQREC_WMB && n < 2; k++)
        if (c->kinds & (1u << k))
            out[n++] = c->last[k];
    c->kept += n;
    c->kinds = 0;
    c->accessed = true;
    return n;
}

void bf_counts(uint64_t *executed, uint64_t *kept)
{
    *executed = *kept = 0;
    for (unsigned i = 0; i < BF_CPUS; i++) {
        *executed += __atomic_load_n(&cpus[i].executed, __ATOMIC_RELAXED);
        *kept += __atomic_load_n(&cpus[i].kept, __ATOMIC_RELAXED);
    }
}

void bf_reset(void)
{
    memset(cpus, 0, sizeof(cpus));
}
