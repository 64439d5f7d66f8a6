/* main.c — the `vqsim` command: its help, `vqsim rules`, and the other commands by name
 * (run_cmd.h, check_cmd.h, explain.h, record_cmd.h).
 *
 * Exit codes: 0 every scenario's expectations held; 1 at least one did not; 2 usage error,
 * unreadable or invalid scenario, or an output file that cannot be written. `run --driver` has
 * its own (src/lib/run_driver.h): 0 all runs clean, 1 some not, 2 cannot load or bad scenario,
 * 3 the driver hung or crashed. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec/rules.h"
#include "record/record_cmd.h"
#include "cli/check_cmd.h"
#include "cli/coverage.h"
#include "spec/spec_version.h"
#include "cli/explain.h"
#include "cli/run_cmd.h"
#include "harness/results_json.h" /* VQSIM_VERSION */

static const char usage[] =
    "usage: vqsim run [--json FILE] [--png DIR] [--record DIR] [--spec V] [-j N] [-v] "
    "SCENARIO.yaml...\n"
    "       vqsim run --driver LIB.so [--json FILE] [-v] SCENARIO.yaml...\n"
    "       vqsim check [--json FILE] [--scenario S.yaml] [--spec V] [-v] RECORDING...\n"
    "       vqsim rules [--coverage] [--spec V]\n"
    "       vqsim explain RULE-ID | --layout N [--legacy ALIGN] | --pci\n"
    "       vqsim record [-o FILE] [--timeout S] -- qemu-system-aarch64 ARGS...\n"
    "       vqsim --help | --version\n"
    "\n"
    "vqsim runs a real virtio-gpu driver against a simulated virtio-mmio device that checks every\n"
    "rule of VirtIO 1.1 the driver must follow, and says why a request got no answer.\n"
    "\n"
    "run      run each scenario; print one line per scenario (details for failures)\n"
    "  --json FILE   write the results as JSON (schema vqsim-results/1, docs/results-schema.md)\n"
    "  --png DIR     write each scenario's display as DIR/NAME.png\n"
    "  -j N          run scenarios in N worker processes (default 1); the output and the\n"
    "                JSON are the same as with -j 1, in scenario order\n"
    "  --record DIR  write each run as a recording, DIR/NAME.vqrec (what vqsim check reads)\n"
    "  --spec V      judge against VirtIO V (1.1, 1.2, 1.3, 1.4): cite its section numbers, leave\n"
    "                out the rules that do not hold in it (default: qemu, QEMU 7.2's: 1.1 and\n"
    "                the later rules it answers); wins over a scenario's spec:\n"
    "  -v            print violations, diagnosis and dark displays for passing scenarios too\n"
    "  --driver LIB  run a foreign driver (built against include/vqsim/vqsim.h) instead of the\n"
    "                built-in one; expect: is not judged; exit 0 all runs clean, 1 some not,\n"
    "                2 cannot load / bad scenario, 3 the driver hung or crashed\n"
    CHECK_USAGE
    "rules    list the rule catalogue (spec/rules.yaml) with section and status\n"
    "  --coverage    per area: the observable driver MUST rules, how many are checked and\n"
    "                proven by a firing scenario, how many argued not checked\n"
    "  --spec V      only the rules that hold in VirtIO V, with its section numbers\n"
    EXPLAIN_USAGE
    RECORD_USAGE
    "\n"
    "exit status (run): 0 all expectations held, 1 some did not, 2 usage or scenario error\n";

static int cmd_rules(int argc, char **argv)
{
    char err[512];
    bool coverage = false;
    enum spec_version spec = SPEC_QEMU;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--spec")) {
            if (i + 1 >= argc || !spec_version_parse(argv[i + 1], &spec)) {
                fprintf(stderr, "vqsim: --spec needs 1.1, 1.2, 1.3, 1.4 or qemu\n%s", usage);
                return 2;
            }
            i++;
            continue;
        }
        if (strcmp(argv[i], "--coverage") != 0) {
            fprintf(stderr, "vqsim: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        }
        coverage = true;
    }
    const struct rule_catalogue *c = rules_builtin(err, sizeof(err));
    if (!c) {
        fprintf(stderr, "vqsim: %s\n", err);
        return 2;
    }
    if (coverage) {
        if (coverage_print(stdout, c, spec) != 0) {
            fprintf(stderr, "vqsim: out of memory\n");
            return 2;
        }
        return 0;
    }
    unsigned checked = 0, listed = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        if (!rule_holds_in(r, spec))
            continue;
        struct rule_cite at = rule_cite(r, spec);
        listed++;
        checked += r->checked;
        printf("%-40s §%-10s %-12s %s\n", r->id, at.section, r->level,
               r->checked ? (r->n_proven ? "checked, proven" : "checked") : "not checked");
    }
    if (spec)
        printf("%u rules, %u checked (VirtIO %s)\n", listed, checked, spec_version_name(spec));
    else
        printf("%u rules, %u checked\n", listed, checked);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vqsim %s\n", VQSIM_VERSION);
        return 0;
    }
    /* `vqsim CMD --help`: the same help, as asked for, not a usage error */
    if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2, usage);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2, stdout, stderr);
    if (!strcmp(argv[1], "rules"))
        return cmd_rules(argc - 2, argv + 2);
    if (!strcmp(argv[1], "explain"))
        return cmd_explain(argc - 2, argv + 2, stdout, stderr);
    if (!strcmp(argv[1], "record"))
        return cmd_record(argc - 2, argv + 2);
    fprintf(stderr, "vqsim: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
