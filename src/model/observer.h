/* observer.h — what watches the bus from outside the model: the driver's accesses as they
 * reached the device, one callback per event, in program order.
 *
 * A machine has at most one observer (machine_observe); the model calls it at each point below
 * and knows nothing else of it. The recording writer (record/recording_writer.h) is one: it
 * attaches itself when a run is recorded (`vqsim run --record`). With none attached — every
 * other run — each point costs the test of one pointer. An observer reads the machine it is
 * given (guest memory, the trace, the queues) and never changes it; the run goes on whatever
 * the observer does with what it sees.
 */
#ifndef OBSERVER_H
#define OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

struct machine_observer {
    void *ctx; /* the observer's own state, handed back to every callback */
    /* A register access that reached the device: `off` from the window base, the value the CPU
     * stored (before the device acts on it) or got (after any replayed bug rewrote it). */
    void (*mmio)(void *ctx, const struct machine *m, bool write, uint32_t off, uint32_t value);
    /* A ring access (guest-physical address, UINT64_MAX outside RAM): the value stored, or the
     * value the CPU got. */
    void (*ring)(void *ctx, const struct machine *m, bool store, uint64_t gpa, uint64_t value,
                 uint8_t size);
    /* A barrier the driver executed (enum bc_barrier, model/checks/barrier_check.h). */
    void (*barrier)(void *ctx, const struct machine *m, unsigned kind);
    /* Guest RAM that holds something no observed store put there (a replayed bug's leftover ring
     * contents): len bytes at gpa, to be read now. */
    void (*memory)(void *ctx, const struct machine *m, uint64_t gpa, uint64_t len);
    /* A virtio-pci access that reached the bus (NULL: not observed): a memory access to a BAR
     * at guest-physical `addr`, or (`cfg`) a configuration-space access at its ECAM address; the
     * value stored (after any replayed bug rewrote it) or the value the CPU got. */
    void (*pci)(void *ctx, const struct machine *m, bool cfg, bool write, uint64_t addr,
                uint8_t size, uint32_t value);
};

/* The points where the model tells its observer (o: the machine's, or NULL). */
static inline void observe_mmio(const struct machine_observer *o, const struct machine *m,
                                bool write, uint32_t off, uint32_t value)
{
    if (o)
        o->mmio(o->ctx, m, write, off, value);
}

static inline void observe_ring(const struct machine_observer *o, const struct machine *m,
                                bool store, uint64_t gpa, uint64_t value, uint8_t size)
{
    if (o)
        o->ring(o->ctx, m, store, gpa, value, size);
}

static inline void observe_barrier(const struct machine_observer *o, const struct machine *m,
                                   unsigned kind)
{
    if (o)
        o->barrier(o->ctx, m, kind);
}

static inline void observe_memory(const struct machine_observer *o, const struct machine *m,
                                  uint64_t gpa, uint64_t len)
{
    if (o)
        o->memory(o->ctx, m, gpa, len);
}

static inline void observe_pci(const struct machine_observer *o, const struct machine *m, bool cfg,
                               bool write, uint64_t addr, uint8_t size, uint32_t value)
{
    if (o && o->pci)
        o->pci(o->ctx, m, cfg, write, addr, size, value);
}

#endif /* OBSERVER_H */
