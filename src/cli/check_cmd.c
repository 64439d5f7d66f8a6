/* check_cmd.c — see check_cmd.h. */
#include "cli/check_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/replay.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/verdict.h"
#include "spec/rules.h"

/* NAME of DIR/NAME.vqrec, kept to the scenario-name alphabet (a-z 0-9 - _). */
static void name_of(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b);
    if (len > 6 && !strcmp(b + len - 6, ".vqrec"))
        len -= 6;
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < n; i++) {
        char c = b[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[k++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ? c
                                                                                          : '-';
    }
    if (!k && n > 1)
        out[k++] = 'r';
    out[k] = 0;
}

int cmd_check(int argc, char **argv, FILE *out, FILE *err)
{
    const char *json = NULL, *scen = NULL;
    bool verbose = false;
    int first = argc;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--scenario")) {
            if (i + 1 >= argc) {
                fprintf(err, "vqsim: %s needs an argument\n" CHECK_USAGE, argv[i]);
                return 2;
            }
            *(argv[i][2] == 'j' ? &json : &scen) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-') {
            fprintf(err, "vqsim: unknown option %s\n" CHECK_USAGE, argv[i]);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    int n = argc - first;
    if (n <= 0) {
        fprintf(err, "vqsim: no recording given\n" CHECK_USAGE);
        return 2;
    }
    char msg[512];
    if (!rules_builtin(msg, sizeof(msg))) {
        fprintf(err, "vqsim: the built-in rule catalogue is invalid: %s\n", msg);
        return 2;
    }
    struct scenario base, defaults;
    bool have_base = false;
    memset(&defaults, 0, sizeof(defaults));
    if (scen) {
        if (scenario_load(scen, &base, msg, sizeof(msg)) != 0) {
            fprintf(err, "%s\n", msg);
            scenario_free(&base); /* what the parser had built before it stopped */
            return 2;
        }
        have_base = true;
    }
    /* Open and validate every recording (a first pass over each, streamed) before replaying
     * any: a bad file fails fast. */
    struct vqrec_reader *rd = calloc((size_t)n, sizeof(*rd));
    struct replay *rp = calloc((size_t)n, sizeof(*rp));
    bool *open = calloc((size_t)n, sizeof(*open));
    int rc = 0;
    if (!rd || !rp || !open) {
        fprintf(err, "vqsim: out of memory\n");
        rc = 2;
    }
    for (int i = 0; !rc && i < n; i++) {
        int st = vqrec_reader_open(&rd[i], argv[first + i], msg, sizeof(msg));
        const char *path = ""; /* the reader's open message names the file already */
        if (st == VQREC_OK) {
            open[i] = true;
            st = replay_init(&rp[i], &rd[i], msg, sizeof(msg));
            path = argv[first + i];
        }
        if (st != VQREC_OK) {
            fprintf(err, "vqsim: %s%s%s\n", path, *path ? ": " : "", msg);
            if (st == VQREC_E_UNREADABLE)
                rc = 3;
            else if (rc != 3)
                rc = 2;
        }
    }
    FILE *jf = NULL;
    if (!rc && json && !(jf = fopen(json, "w"))) {
        fprintf(err, "vqsim: cannot write %s: %s\n", json, strerror(errno));
        rc = 2;
    }
    unsigned clean = 0, ran = 0;
    struct jw w;
    if (jf) {
        jw_init(&w, jf);
        verdict_json_begin(&w);
    }
    for (int i = 0; !rc && i < n; i++) {
        struct run_result *r = calloc(1, sizeof(*r));
        char name[128];
        struct scenario sc;
        name_of(argv[first + i], name, sizeof(name));
        if (!r) {
            fprintf(err, "vqsim: out of memory\n");
            rc = 2;
            break;
        }
        if (replay_scenario(&rp[i], have_base ? &base : NULL, &defaults, name, argv[first + i],
                            &sc, msg, sizeof(msg)) != 0) {
            fprintf(err, "vqsim: %s: %s\n", argv[first + i], msg);
            rc = 2;
        } else {
            struct run_external x = replay_driver(&rp[i]);
            x.judge = false; /* a check expects a clean run: judged below */
            if (run_scenario_external(&sc, NULL, r, &x) != 0) {
                fprintf(err, "vqsim: %s: %s\n", argv[first + i],
                        r->n_failures ? r->failures[0] : "cannot build the machine");
                rc = 2;
            } else if (rp[i].read_error) {
                fprintf(err, "vqsim: %s\n", rp[i].read_msg); /* changed since the first pass */
                rc = rp[i].read_error == VQREC_E_UNREADABLE ? 3 : 2;
            } else {
                ran++;
                char why[400];
                if (replay_unusable(&rp[i], why, sizeof(why))) {
                    /* nothing to judge, or a run that failed: never clean */
                    if (!rp[i].sum.gpu_accesses || rp[i].sum.other_device_only) {
                        r->outcome = "no-traffic";
                        r->n_scanouts = 0; /* no gpu was driven: no display to speak of */
                    }
                    snprintf(r->failures[r->n_failures++], sizeof(r->failures[0]), "%s", why);
                }
                r->passed = r->n_failures == 0 && !strcmp(r->outcome, "ok");
                clean += r->passed;
                r->json_extra = replay_json;
                r->json_extra_ctx = &rp[i];
                verdict_print(out, &sc, r, verbose);
                replay_print(out, &rp[i], verbose);
                if (jf)
                    verdict_json_scenario(&w, &sc, r);
            }
            run_result_free(r);
        }
        if (defaults.name)
            scenario_free(&defaults);
        memset(&defaults, 0, sizeof(defaults));
        free(r);
    }
    if (jf) {
        verdict_json_end(&w, ran, clean);
        if (fclose(jf) != 0 && !rc) {
            fprintf(err, "vqsim: writing %s failed\n", json);
            rc = 2;
        }
    }
    if (ran)
        fprintf(out, "%u clean, %u with findings\n", clean, ran - clean);
    if (!rc && clean != ran)
        rc = 1;
    for (int i = 0; open && i < n; i++)
        if (open[i])
            vqrec_reader_close(&rd[i]);
    free(open);
    free(rd);
    free(rp);
    if (have_base)
        scenario_free(&base);
    return rc;
}
