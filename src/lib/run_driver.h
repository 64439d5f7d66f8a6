/* run_driver.h — `vqsim run --driver LIB.so SCENARIO...` (run_driver.c; README "Testing your
 * own driver"). */
#ifndef RUN_DRIVER_H
#define RUN_DRIVER_H

#include <stdbool.h>

/* Wall-clock seconds a foreign driver gets per scenario before it is called hung; the
 * environment variable VQSIM_DRIVER_WATCHDOG overrides it. */
#define RUN_DRIVER_WATCHDOG_S 10.0
/* Exit status when the driver hung (spun without returning) or crashed. */
#define RUN_DRIVER_EXIT_HUNG 3

/* Run the driver in LIB against each scenario, each in a process of its own; print the verdict
 * lines, write the JSON (when json is not NULL). Returns the exit status: 0 every run clean
 * (outcome ok), 1 some run not clean, 2 the driver cannot be loaded (missing symbol, API major
 * mismatch), a scenario is invalid or the JSON cannot be written, 3 the driver hung or crashed
 * on some scenario (the others still ran). */
int run_driver_main(const char *lib, char **paths, int n, const char *json, bool verbose);

#endif /* RUN_DRIVER_H */
