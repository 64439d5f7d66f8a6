/* fuzz_machine_digest.h — FNV-1a over a model machine's end state, for the fuzz targets that
 * build each input's machine on RAM they keep (machine_init_reusing): its trace, violations,
 * device status, virtual time, what the target adds (its own record of the run: the gpu's
 * counters, a driver's results), and every byte of guest RAM (but what the target says no device
 * sees). FUZZ_DIGEST=1 makes a target print
 * it per input, so tests/test_fuzz_reuse.py can run input A then B in one process and B alone,
 * and require the same: the reuse leaves nothing of one input to the next.
 */
#ifndef FUZZ_MACHINE_DIGEST_H
#define FUZZ_MACHINE_DIGEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../src/model/machine.h"

static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
    return h;
}

static inline uint64_t fnv_str(uint64_t h, const char *s)
{
    return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1);
}

/* `skip` bytes of RAM from guest-physical `skip_at` are left out of the RAM digest: memory no
 * device sees whose bytes depend on the process (a driver's private bookkeeping holds host
 * pointers, which differ from one process to the next with the address of the RAM mapping). */
static inline void print_machine_digest(const struct machine *m, const void *extra,
                                        size_t extra_len, const uint8_t *data, size_t size,
                                        uint64_t skip_at, uint64_t skip)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < m->trace.len; i++) {
        const struct trace_event *e = trace_ev(&m->trace, i);
        uint64_t f[] = {e->t, e->addr, e->value, e->count, e->kind, e->size, e->queue, e->aux};
        h = fnv_str(fnv_str(fnv(h, f, sizeof(f)), e->what), e->note);
    }
    for (uint32_t i = 0; i < m->n_violations; i++)
        h = fnv_str(fnv_str(fnv(h, &m->violations[i].t, 8), m->violations[i].rule->id),
                    m->violations[i].message);
    uint32_t c[] = {m->dev.status, m->dev.broken, m->n_informational, m->trace.dropped > 0};
    h = fnv_str(fnv(fnv(h, c, sizeof(c)), extra, extra_len), m->dev.broken_rule);
    h = fnv(h, &m->now, sizeof(m->now));
    uint64_t cut = skip && skip_at >= m->mem.base ? skip_at - m->mem.base : m->mem.size;
    cut = cut < m->mem.size ? cut : m->mem.size;
    uint64_t rest = skip && cut + skip < m->mem.size ? cut + skip : m->mem.size;
    uint64_t hram = fnv(fnv(0xcbf29ce484222325ull, m->mem.host, cut), m->mem.host + rest,
                        m->mem.size - rest);
    fprintf(stderr, "digest %016llx ram %016llx input %016llx violations %u trace %zu\n",
            (unsigned long long)h, (unsigned long long)hram,
            (unsigned long long)fnv(0xcbf29ce484222325ull, data, size), m->n_violations,
            m->trace.len);
}

#endif /* FUZZ_MACHINE_DIGEST_H */
