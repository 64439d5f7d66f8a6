/* sim_fixture.h — shared helpers for the CMocka unit tests: a simulated machine as the HAL, and
 * small queries over what it recorded (violations, trace). */
#ifndef SIM_FIXTURE_H
#define SIM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hal_sim.h"
#include "model/machine.h"
#include "model/rings/ring.h"
#include "spec/rules.h"

#define FX_RAM_BASE 0x40000000ull
#define FX_RAM_SIZE (64ull << 20)
#define FX_MMIO_BASE 0x0a003e00ull
#define FX_DISPLAY_W 64u
#define FX_DISPLAY_H 48u
#define FX_LATENCY_NS 10000ull

/* The configuration every test machine uses (transport version 1 or 2). */
struct machine_config fx_config(uint32_t transport_version);

/* Allocate and initialise a machine with fx_config(version) and the built-in rule catalogue, and
 * bind it to this thread for the HAL (hal_sim.h). Fails the running test (never returns NULL) if
 * that is impossible. */
struct machine *fx_machine_new(uint32_t transport_version);
/* Tear down a machine from fx_machine_new (NULL is fine); the HAL then has no machine bound. */
void fx_machine_free(struct machine *m);

/* How many recorded violations carry rule `rule_id`. */
unsigned fx_count_violations(const struct machine *m, const char *rule_id);

/* Index of the first trace event at or after `from` of `kind` (and, when `what` is non-NULL, with
 * that `what` string; when `addr` is not UINT64_MAX, at that address), or -1. */
long fx_trace_find(const struct machine *m, size_t from, int kind, const char *what, uint64_t addr);
/* Same, searching backwards from index `from` (inclusive). */
long fx_trace_rfind(const struct machine *m, long from, int kind, const char *what, uint64_t addr);

/* The register window address of a register offset, as the driver sees it. */
uintptr_t fx_reg(const struct machine *m, uint32_t off);

/* Write a whole descriptor into guest memory at desc_base + 16 * i. */
void fx_write_desc(struct machine *m, uint64_t desc_base, uint32_t i, uint64_t addr, uint32_t len,
                   uint16_t flags, uint16_t next);
/* A driver making `head` available on a split ring of `num` entries whose avail ring is at
 * `avail`: the next slot, then avail.idx + 1 (what a correct driver publishes). */
void fx_offer(struct machine *m, uint64_t avail, uint32_t num, uint16_t head);

/* Hand queue qi's ring to the device at these addresses, with its QueueNum as the size (what
 * QueueReady = 1, or a legacy QueuePFN write, does): ring_configure's result. */
enum ring_err fx_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail,
                           uint64_t used);

#endif /* SIM_FIXTURE_H */
