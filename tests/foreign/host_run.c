/* host_run.c — runs a corpus driver through the library API instead of `vqsim run --driver`:
 * the way a user's own test program would (tests/foreign/README.md).
 *
 *   host_run DRIVER.so SCENARIO.yaml RESULTS.json
 *
 * Loads the driver's entry and flags with dlopen (as any test harness that builds drivers
 * separately would), opens the scenario's machine, runs the driver once, writes the results
 * JSON. Exit status: 0 the run was clean, 1 it was not, 2 setup error. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <vqsim/vqsim.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DRIVER.so SCENARIO.yaml RESULTS.json\n", argv[0]);
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    void *sym = dlsym(h, VQSIM_DRIVER_ENTRY_SYMBOL);
    const unsigned *flags = dlsym(h, VQSIM_DRIVER_FLAGS_SYMBOL);
    if (!sym) {
        fprintf(stderr, "%s: no %s\n", argv[1], VQSIM_DRIVER_ENTRY_SYMBOL);
        return 2;
    }
    vqsim_driver_entry entry;
    memcpy(&entry, &sym, sizeof(entry));
    char err[512];
    struct vqsim_machine *m = vqsim_open_scenario(argv[2], err, sizeof(err));
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (vqsim_run(m, entry, NULL, flags ? *flags : 0) != VQSIM_OK ||
        vqsim_write_json_path(m, argv[3]) != VQSIM_OK) {
        fprintf(stderr, "cannot run the machine or write %s\n", argv[3]);
        vqsim_close(m);
        return 2;
    }
    vqsim_print_verdict(m, stdout, false);
    int rc = vqsim_clean(m) ? 0 : 1;
    vqsim_close(m);
    return rc;
}
