/* run_cmd.h — `vqsim run`: run scenarios (scenario.h) with the built-in driver, in -j worker
 * processes (parallel.h), or a foreign driver's library (--driver, lib/run_driver.h); one line per
 * scenario, the JSON results, the displays as PNGs, the runs as recordings.
 *
 * Exit status: 0 every scenario's expectations held; 1 at least one did not; 2 usage error,
 * unreadable or invalid scenario, or an output file that cannot be written. `run --driver` has
 * its own (src/lib/run_driver.h). */
#ifndef RUN_CMD_H
#define RUN_CMD_H

/* argv holds the arguments after "run"; `usage` is what a usage error prints after its line. */
int cmd_run(int argc, char **argv, const char *usage);

#endif /* RUN_CMD_H */
