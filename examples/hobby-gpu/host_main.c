/* host_main.c — runs the example driver on a vqsim machine and prints the verdict.
 *
 *   hobby-gpu SCENARIO.yaml [RESULTS.json]   the machine of a scenario (its device, faults…)
 *   hobby-gpu - [RESULTS.json]               a default machine from a config struct (64×48)
 *
 * Exit status: 0 the run was clean, 1 it was not (the verdict says why), 2 usage/setup error. */
#include <stdio.h>
#include <string.h>

#include <vqsim/vqsim.h>

#include "hobby_gpu.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SCENARIO.yaml|- [RESULTS.json]\n", argv[0]);
        return 2;
    }
    if (vqsim_api_version() >> 16 != VQSIM_API_VERSION_MAJOR) {
        fprintf(stderr, "libvqsim API %u, built against %u\n", vqsim_api_version() >> 16,
                VQSIM_API_VERSION_MAJOR);
        return 2;
    }
    char err[512];
    struct vqsim_machine *m;
    if (!strcmp(argv[1], "-")) {
        struct vqsim_config cfg = {.size = sizeof(cfg), .name = "hobby-gpu",
                                   .display_width = 64, .display_height = 48};
        m = vqsim_open_config(&cfg, err, sizeof(err));
    } else {
        m = vqsim_open_scenario(argv[1], err, sizeof(err));
    }
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct hobby_result res = {0};
    if (vqsim_run(m, hobby_gpu_main, &res, 0) != VQSIM_OK) {
        fprintf(stderr, "cannot run the machine\n");
        vqsim_close(m);
        return 2;
    }
    vqsim_print_verdict(m, stdout, true);
    printf("driver returned %d; outcome %s; %zu rule(s) broken", vqsim_driver_rc(m),
           vqsim_outcome(m), vqsim_violation_count(m));
    for (size_t i = 0; i < vqsim_violation_count(m); i++)
        printf("%s%s", i ? ", " : ": ", vqsim_violation_rule(m, i));
    for (size_t i = 0; i < vqsim_cause_count(m); i++)
        printf("%s%s", i ? ", " : "; cause ", vqsim_cause_id(m, i));
    printf("\n");
    if (argc == 3 && vqsim_write_json_path(m, argv[2]) != VQSIM_OK) {
        fprintf(stderr, "cannot write %s\n", argv[2]);
        vqsim_close(m);
        return 2;
    }
    int rc = vqsim_clean(m) ? 0 : 1;
    vqsim_close(m);
    return rc;
}
