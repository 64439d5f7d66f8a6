/* parallel.h — `vqsim run -j N`: run scenarios in N worker processes.
 *
 * Processes, not threads (machines could share a process, one per thread: hal_sim.h): a worker
 * that crashes in the model or the driver must cost only the scenario it was running, and a
 * process is what contains a crash. N workers are forked once and handed scenarios one at a
 * time as they finish; each writes its verdict line(s) and JSON object to its own temporary
 * file. The parent prints them strictly in scenario order, so stdout and the JSON are
 * byte-identical to a serial run whatever the finishing order. A worker that dies (a crash in
 * the model or the driver) fails the scenario it was running, with the signal named; the others
 * are unaffected.
 */
#ifndef PARALLEL_H
#define PARALLEL_H

#include <stdbool.h>
#include <stdio.h>

#include "util/json_writer.h"
#include "harness/runner.h"
#include "harness/scenario.h"

/* Run sc[0..n) with `jobs` workers (1 = in this process, one after the other). Verdicts go to
 * `out`; when `w` is not NULL each scenario's JSON object is added to it. Returns the number of
 * scenarios that passed, or -1 when out of memory. */
int run_scenarios(const struct scenario *sc, int n, const struct run_options *opt, int jobs,
                  bool verbose, FILE *out, struct jw *w);

#endif /* PARALLEL_H */
