/* run_cmd.c — see run_cmd.h. */
#include "cli/run_cmd.h"

#include <errno.h>
#if defined(__GLIBC__) || defined(__linux__)
#endif
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/heap_hint.h"
#include "harness/parallel.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/results_json.h"
#include "lib/run_driver.h"
#include "spec/rules.h"
#include "spec/spec_version.h"

/* What `vqsim run` was asked: its options, and the scenarios argv[first..argc). */
struct run_args {
    const char *json, *png, *driver, *record;
    bool verbose;
    int first, jobs;
    bool spec_set;          /* --spec: judge every scenario against that VirtIO version */
    enum spec_version spec;
};

/* The options, checked against each other: 0, or the exit status of a usage error (said). */
static int parse_args(int argc, char **argv, const char *usage, struct run_args *a)
{
    *a = (struct run_args){.first = argc, .jobs = 1};
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
            a->jobs = (int)j;
            continue;
        }
        if (!strcmp(argv[i], "--spec")) {
            if (i + 1 >= argc || !spec_version_parse(argv[i + 1], &a->spec)) {
                fprintf(stderr, "vqsim: --spec needs 1.1, 1.2, 1.3, 1.4 or qemu\n%s", usage);
                return 2;
            }
            a->spec_set = true;
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--driver") && i + 1 < argc) { /* src/lib/run_driver.c */
            a->driver = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--record")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vqsim: --record needs a directory\n%s", usage);
                return 2;
            }
            a->record = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--png")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vqsim: %s needs an argument\n%s", argv[i], usage);
                return 2;
            }
            *(argv[i][2] == 'j' ? &a->json : &a->png) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(argv[i], "--")) {
            a->first = i + 1;
            break;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "vqsim: unknown option %s\n%s", argv[i], usage);
            return 2;
        } else {
            a->first = i;
            break;
        }
    }
    if (argc - a->first <= 0) {
        fprintf(stderr, "vqsim: no scenario given\n%s", usage);
        return 2;
    }
    for (int i = a->first; i < argc; i++)
        if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
            fprintf(stderr, "vqsim: options go before the scenarios: %s\n", argv[i]);
            return 2;
        }
    /* --driver: one driver process per scenario, in turn */
    if (a->driver && (a->png || a->jobs > 1 || a->record || a->spec_set)) {
        fprintf(stderr, "vqsim: %s is not available with --driver\n",
                a->png ? "--png" : a->record ? "--record" : a->spec_set ? "--spec" : "-j");
        return 2;
    }
    return 0;
}

/* Every scenario loaded and validated before any runs: a typo fails fast with file:line:col.
 * The number that are bad (said). */
static int load_all(char **paths, int n, struct scenario *sc)
{
    char err[512];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (scenario_load(paths[i], &sc[i], err, sizeof(err)) != 0) {
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
    return bad;
}

/* The output directories made and the JSON file opened (*jf). The number of failures (said). */
static int open_outputs(const struct run_args *a, FILE **jf)
{
    int bad = 0;
    if (a->png && !bad && mkdir(a->png, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "vqsim: cannot create %s: %s\n", a->png, strerror(errno));
        bad++;
    }
    if (a->record && !bad && mkdir(a->record, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "vqsim: cannot create %s: %s\n", a->record, strerror(errno));
        bad++;
    }
    if (a->json && !bad && !(*jf = fopen(a->json, "w"))) {
        fprintf(stderr, "vqsim: cannot write %s: %s\n", a->json, strerror(errno));
        bad++;
    } else if (*jf) {
        setvbuf(*jf, NULL, _IOFBF, 1u << 20); /* tens of MB: fewer, larger writes */
    }
    return bad;
}

/* Scenario after scenario allocates and frees the same large buffers (the model's displays and
 * resources, the trace, the scenario, the results): keep them in the heap (heap_hint.h). The
 * THP growth matters with -j: every worker builds its own working set of heap (a third of a
 * suite's page faults). (Guest RAM is its own mapping, fresh per machine: the memory guard
 * reads which pages a run touched from it.) */
static void keep_heap(void)
{
    heap_keep_big((size_t)32 << 20, (size_t)256 << 20, (size_t)30 << 20);
}

int cmd_run(int argc, char **argv, const char *usage)
{
    struct run_args a;
    int rc = parse_args(argc, argv, usage, &a);
    if (rc)
        return rc;
    int n = argc - a.first;
    if (a.driver)
        return run_driver_main(a.driver, argv + a.first, n, a.json, a.verbose);
    char err[512];
    if (!rules_builtin(err, sizeof(err))) {
        fprintf(stderr, "vqsim: the built-in rule catalogue is invalid: %s\n", err);
        return 2;
    }
    keep_heap();
    /* not calloc: scenario_load zeroes each scenario but the steps it does not have (27 KB
     * each, 19 of them steps), so the load touches only the memory the scenarios use */
    struct scenario *sc = n > 0 && (size_t)n <= SIZE_MAX / sizeof(*sc)
                              ? malloc((size_t)n * sizeof(*sc)) : NULL;
    if (!sc) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    FILE *jf = NULL;
    int bad = load_all(argv + a.first, n, sc);
    for (int i = 0; i < n && a.spec_set; i++)
        sc[i].spec = (uint32_t)a.spec; /* --spec wins over a scenario's spec: */
    if (!bad)
        bad = open_outputs(&a, &jf);
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
    /* Without --json only the verdict line and the judge read a digest, and nothing the trace
     * (runner.h). */
    struct run_options opt = {.png_dir = a.png, .record_dir = a.record, .digest_shown_only = !jf,
                              .trace_unread = !jf};
    int np = run_scenarios(sc, n, &opt, a.jobs, a.verbose, stdout, jf ? &w : NULL);
    if (np < 0) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    unsigned passed = (unsigned)np;
    rc = passed == (unsigned)n ? 0 : 1;
    if (jf) {
        results_json_end(&w, (unsigned)n, passed);
        if (fclose(jf) != 0) {
            fprintf(stderr, "vqsim: writing %s failed\n", a.json);
            rc = 2;
        }
    }
    printf("%u passed, %u failed\n", passed, (unsigned)n - passed);
    for (int i = 0; i < n; i++)
        scenario_free(&sc[i]);
    free(sc);
    return rc;
}
