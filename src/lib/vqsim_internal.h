/* vqsim_internal.h — what `vqsim run --driver` (src/lib/run_driver.c) needs from the library
 * beyond the public API (include/vqsim/vqsim.h). Not installed. */
#ifndef VQSIM_INTERNAL_H
#define VQSIM_INTERNAL_H

#include <stdint.h>

struct vqsim_machine;
struct scenario;
struct results;

/* When set, every platform hook call increments it: the watchdog of `vqsim run --driver` tells
 * a driver spinning without hooks (no device can answer it) from one still calling them. */
extern volatile uint64_t *vqsim_hook_calls;

const struct scenario *vqsim_machine_scenario(const struct vqsim_machine *m);
/* What the machine's run says (harness/results.h), or NULL before it ran. */
const struct results *vqsim_machine_results(const struct vqsim_machine *m);

#endif /* VQSIM_INTERNAL_H */
