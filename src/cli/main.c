/* main.c — the `vqsim` command.
 *
 * Exit codes: 0 every scenario's expectations held; 1 at least one did not; 2 usage error,
 * unreadable or invalid scenario, or an output file that cannot be written. `run --driver` has
 * its own (src/lib/run_driver.h): 0 all runs clean, 1 some not, 2 cannot load or bad scenario,
 * 3 the driver hung or crashed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec/rules.h"
#include "record/record_cmd.h"
#include "lib/run_driver.h"
#include "cli/check_cmd.h"
#include "cli/coverage.h"
#include "cli/explain.h"
#include "harness/parallel.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/results_json.h"

static const char usage[] =
    "usage: vqsim run [--json FILE] [--png DIR] [--record DIR] [-j N] [-v] SCENARIO.yaml...\n"
    "       vqsim run --driver LIB.so [--json FILE] [-v] SCENARIO.yaml...\n"
    "       vqsim check [--json FILE] [--scenario S.yaml] [-v] RECORDING...\n"
    "       vqsim rules [--coverage]\n"
    "       vqsim explain RULE-ID | --layout N [--legacy ALIGN]\n"
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
    "  -v            print violations, diagnosis and dark displays for passing scenarios too\n"
    "  --driver LIB  run a foreign driver (built against include/vqsim/vqsim.h) instead of the\n"
    "                built-in one; expect: is not judged; exit 0 all runs clean, 1 some not,\n"
    "                2 cannot load / bad scenario, 3 the driver hung or crashed\n"
    CHECK_USAGE
    "rules    list the rule catalogue (spec/rules.yaml) with section and status\n"
    "  --coverage    per area: the observable driver MUST rules, how many are checked and\n"
    "                proven by a firing scenario, how many argued not checked\n"
    EXPLAIN_USAGE
    RECORD_USAGE
    "\n"
    "exit status (run): 0 all expectations held, 1 some did not, 2 usage or scenario error\n";

static int cmd_rules(int argc, char **argv)
{
    char err[512];
    bool coverage = false;
    for (int i = 0; i < argc; i++) {
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
        coverage_print(stdout, c);
        return 0;
    }
    unsigned checked = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        checked += r->checked;
        printf("%-40s §%-10s %-12s %s\n", r->id, r->section, r->level,
               r->checked ? (r->n_proven ? "checked, proven" : "checked") : "not checked");
    }
    printf("%zu rules, %u checked\n", c->n, checked);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    const char *json = NULL, *png = NULL, *driver = NULL, *record = NULL;
    bool verbose = false;
    int first = argc, jobs = 1;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "-j", 2) || !strcmp(argv[i], "--jobs")) {
            const char *v = argv[i][1] == 'j' && argv[i][2] ? argv[i] + 2 : NULL;
            if (!v && i + 1 < argc)
                v = argv[++i];
            char *end = NULL;
            long j = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || j < 1 || j > 256) {
                fprintf(stderr, "vqsim: -j needs a number of jobs from 1 to 256\n%s", usage);
                return 2;
            }
            jobs = (int)j;
            continue;
        }
        if (!strcmp(argv[i], "--driver") && i + 1 < argc) { /* src/lib/run_driver.c */
            driver = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--record")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vqsim: --record needs a directory\n%s", usage);
                return 2;
            }
            record = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--png")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vqsim: %s needs an argument\n%s", argv[i], usage);
                return 2;
            }
            *(argv[i][2] == 'j' ? &json : &png) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "vqsim: unknown option %s\n%s", argv[i], usage);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    int n = argc - first;
    if (n <= 0) {
        fprintf(stderr, "vqsim: no scenario given\n%s", usage);
        return 2;
    }
    for (int i = first; i < argc; i++)
        if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
            fprintf(stderr, "vqsim: options go before the scenarios: %s\n", argv[i]);
            return 2;
        }
    if (driver && (png || jobs > 1 || record)) { /* one driver process per scenario, in turn */
        fprintf(stderr, "vqsim: %s is not available with --driver\n",
                png ? "--png" : record ? "--record" : "-j");
        return 2;
    }
    if (driver)
        return run_driver_main(driver, argv + first, n, json, verbose);
    char err[512];
    if (!rules_builtin(err, sizeof(err))) {
        fprintf(stderr, "vqsim: the built-in rule catalogue is invalid: %s\n", err);
        return 2;
    }
    /* Validate every scenario before running any: a typo fails fast with file:line:col. */
    struct scenario *sc = calloc((size_t)n, sizeof(*sc));
    if (!sc) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (scenario_load(argv[first + i], &sc[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            bad++;
        }
    }
    for (int i = 0; i < n && !bad; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(sc[i].name, sc[k].name)) {
                fprintf(stderr, "%s: scenario name '%s' is also used by %s\n", sc[i].file,
                        sc[i].name, sc[k].file);
                bad++;
            }
    if (png && !bad && mkdir(png, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "vqsim: cannot create %s: %s\n", png, strerror(errno));
        bad++;
    }
    if (record && !bad && mkdir(record, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "vqsim: cannot create %s: %s\n", record, strerror(errno));
        bad++;
    }
    FILE *jf = NULL;
    if (json && !bad && !(jf = fopen(json, "w"))) {
        fprintf(stderr, "vqsim: cannot write %s: %s\n", json, strerror(errno));
        bad++;
    }
    if (bad) {
        for (int i = 0; i < n; i++)
            scenario_free(&sc[i]);
        free(sc);
        return 2;
    }
    struct jw w;
    if (jf) {
        jw_init(&w, jf);
        results_json_begin(&w);
    }
    struct run_options opt = {.png_dir = png, .record_dir = record};
    int np = run_scenarios(sc, n, &opt, jobs, verbose, stdout, jf ? &w : NULL);
    if (np < 0) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    unsigned passed = (unsigned)np;
    int rc = passed == (unsigned)n ? 0 : 1;
    if (jf) {
        results_json_end(&w, (unsigned)n, passed);
        if (fclose(jf) != 0) {
            fprintf(stderr, "vqsim: writing %s failed\n", json);
            rc = 2;
        }
    }
    printf("%u passed, %u failed\n", passed, (unsigned)n - passed);
    for (int i = 0; i < n; i++)
        scenario_free(&sc[i]);
    free(sc);
    return rc;
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
        return cmd_run(argc - 2, argv + 2);
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
