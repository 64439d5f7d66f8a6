/* check_cmd.c — see check_cmd.h. */
#include "cli/check_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/heap_hint.h"
#include "harness/replay.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/results_json.h"
#include "harness/results_text.h"
#include "spec/rules.h"
#include "spec/spec_version.h"

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

/* What `vqsim check` was asked: its options, and the recordings argv[first..argc). */
struct check_args {
    const char *json, *scen;
    bool verbose;
    int first;
    bool spec_set;          /* --spec: judge against that VirtIO version */
    enum spec_version spec;
};

/* The options: 0, or the exit status of a usage error (said). */
static int parse_args(int argc, char **argv, FILE *err, struct check_args *a)
{
    *a = (struct check_args){.first = argc};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--spec")) {
            if (i + 1 >= argc || !spec_version_parse(argv[i + 1], &a->spec)) {
                fprintf(err, "vqsim: --spec needs 1.1, 1.2, 1.3, 1.4 or qemu\n" CHECK_USAGE);
                return 2;
            }
            a->spec_set = true;
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--scenario")) {
            if (i + 1 >= argc) {
                fprintf(err, "vqsim: %s needs an argument\n" CHECK_USAGE, argv[i]);
                return 2;
            }
            *(argv[i][2] == 'j' ? &a->json : &a->scen) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(argv[i], "--")) {
            a->first = i + 1;
            break;
        } else if (argv[i][0] == '-') {
            fprintf(err, "vqsim: unknown option %s\n" CHECK_USAGE, argv[i]);
            return 2;
        } else {
            a->first = i;
            break;
        }
    }
    if (argc - a->first <= 0) {
        fprintf(err, "vqsim: no recording given\n" CHECK_USAGE);
        return 2;
    }
    return 0;
}

/* Open and validate the n recordings at path[] (a first pass over each, streamed) before
 * replaying any: a bad file fails fast. 0, 2 (invalid) or 3 (unreadable), said. */
static int open_all(char **path, int n, struct vqrec_reader *rd, struct replay *rp, bool *open,
                    FILE *err)
{
    char msg[512];
    int rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        int st = vqrec_reader_open(&rd[i], path[i], msg, sizeof(msg));
        const char *shown = ""; /* the reader's open message names the file already */
        if (st == VQREC_OK) {
            open[i] = true;
            st = replay_init(&rp[i], &rd[i], msg, sizeof(msg));
            shown = path[i];
        }
        if (st != VQREC_OK) {
            fprintf(err, "vqsim: %s%s%s\n", shown, *shown ? ": " : "", msg);
            if (st == VQREC_E_UNREADABLE)
                rc = 3;
            else if (rc != 3)
                rc = 2;
        }
    }
    return rc;
}

/* The machine for the recording built, the recording replayed on it and judged (a check expects
 * a clean run), printed and written to the JSON (w, when not NULL). 0, or the exit status of an
 * error (said). */
static int check_one(struct replay *rp, const char *path, const char *name,
                     const struct scenario *base, const struct check_args *a, FILE *out,
                     FILE *err, struct jw *w, unsigned *ran, unsigned *clean)
{
    struct run_result *r = calloc(1, sizeof(*r));
    char msg[512];
    struct scenario sc, defaults;
    memset(&defaults, 0, sizeof(defaults));
    if (!r) {
        fprintf(err, "vqsim: out of memory\n");
        return 2;
    }
    int rc = 0;
    if (replay_scenario(rp, base, &defaults, name, path, &sc, msg, sizeof(msg)) != 0) {
        fprintf(err, "vqsim: %s: %s\n", path, msg);
        rc = 2;
    } else {
        if (a->spec_set)
            sc.spec = (uint32_t)a->spec; /* else the --scenario's spec:, or QEMU 7.2's */
        struct run_external x = replay_driver(rp);
        x.judge = false; /* a check expects a clean run: judged below */
        /* the pictures' digests only where printed: a display's 3 MB hashed was most of a short
         * recording's check (the JSON has every display's) */
        struct run_options o = {.digest_shown_only = !w};
        if (run_scenario_external(&sc, &o, r, &x) != 0) {
            fprintf(err, "vqsim: %s: %s\n", path,
                    r->res.n_failures ? r->res.failures[0] : "cannot build the machine");
            rc = 2;
        } else if (rp->read_error) {
            fprintf(err, "vqsim: %s\n", rp->read_msg); /* changed since the first pass */
            rc = rp->read_error == VQREC_E_UNREADABLE ? 3 : 2;
        } else {
            (*ran)++;
            char why[400];
            if (replay_unusable(rp, why, sizeof(why))) {
                /* nothing to judge, or a run that failed: never clean */
                if (!rp->sum.gpu_accesses || rp->sum.other_device_only) {
                    r->res.outcome = "no-traffic";
                    r->res.n_displays = 0; /* no gpu was driven: no display to speak of */
                }
                results_fail(&r->res, "%s", why);
            }
            r->res.passed = r->res.n_failures == 0 && !strcmp(r->res.outcome, "ok");
            *clean += r->res.passed;
            replay_source(rp, &r->res.source);
            if (r->machine_ok)
                replay_source_requests(&r->m, &r->res.source);
            results_print(out, &sc, &r->res, a->verbose);
            replay_print(out, rp, a->verbose);
            if (w)
                results_json_scenario(w, &sc, &r->res);
        }
        run_result_free(r);
    }
    if (defaults.name)
        scenario_free(&defaults);
    free(r);
    return rc;
}

/* The other devices of the recording: each window whose DeviceID names a device vqsim models
 * (the gpu, blk, rng, input, net) is checked on its own, its replay leaving every other window's
 * traffic out (replay_target), as NAME-TYPE (NAME-TYPE-2… for a second of a type); a device
 * without a model is said and not checked. `pristine`: the replay as replay_init left it. */
static int check_others(struct replay *rp, const struct replay *pristine, const char *path,
                        const char *name, const struct check_args *a, FILE *out, FILE *err,
                        struct jw *w, unsigned *ran, unsigned *clean)
{
    int rc = 0;
    for (uint32_t i = 0; !rc && i < pristine->sum.n_win; i++) {
        const struct replay_window *win = &pristine->sum.win[i];
        if (!win->id_read || !win->device_id || win->base == pristine->sum.window)
            continue;
        const char *type = replay_device_type(win);
        if (!type) {
            fprintf(out, "    device at 0x%llx (DeviceID %u): not checked, vqsim has no model of "
                    "it; its traffic was left out of every other device's replay\n",
                    (unsigned long long)win->base, win->device_id);
            continue;
        }
        unsigned same = 0;
        for (uint32_t k = 0; k < i; k++)
            same += pristine->sum.win[k].base != pristine->sum.window &&
                    replay_device_type(&pristine->sum.win[k]) == type;
        char sub[160], msg[512];
        if (same)
            snprintf(sub, sizeof(sub), "%s-%s-%u", name, type, same + 1);
        else
            snprintf(sub, sizeof(sub), "%s-%s", name, type);
        *rp = *pristine;
        if (vqrec_reader_rewind(rp->rd, msg, sizeof(msg)) != VQREC_OK) {
            fprintf(err, "vqsim: %s: %s\n", path, msg);
            return 2;
        }
        replay_target(rp, win->base);
        rc = check_one(rp, path, sub, NULL, a, out, err, w, ran, clean);
    }
    return rc;
}

/* One recording: with --scenario, the device that scenario describes (the gpu, else the
 * recording's one device); without, every device it holds that vqsim models, the gpu first. */
static int check_recording(struct replay *rp, const char *path, const struct scenario *base,
                           const struct check_args *a, FILE *out, FILE *err, struct jw *w,
                           unsigned *ran, unsigned *clean)
{
    char name[128];
    name_of(path, name, sizeof(name));
    if (base) { /* the first window of the scenario's device type, unless the replay's is one */
        const char *now = rp->sum.target_known ? replay_device_type(&rp->sum.target) : NULL;
        for (uint32_t i = 0; i < rp->sum.n_win && !(now && !strcmp(now, base->device_type));
             i++) {
            const char *type = replay_device_type(&rp->sum.win[i]);
            if (type && !strcmp(type, base->device_type)) {
                replay_target(rp, rp->sum.win[i].base);
                break;
            }
        }
        return check_one(rp, path, name, base, a, out, err, w, ran, clean);
    }
    struct replay *pristine = malloc(sizeof(*pristine));
    if (!pristine) {
        fprintf(err, "vqsim: out of memory\n");
        return 2;
    }
    *pristine = *rp;
    int rc = check_one(rp, path, name, NULL, a, out, err, w, ran, clean);
    if (!rc && pristine->sum.gpu_found)
        rc = check_others(rp, pristine, path, name, a, out, err, w, ran, clean);
    free(pristine);
    return rc;
}

/* A check allocates and frees the same few pixel buffers again and again (a gpu resource's
 * image and its spare, a display's picture: megabytes each). glibc maps each anew from the
 * kernel (a page fault for every 4 KiB touched) and unmaps it when freed; kept in the heap, a
 * freed buffer is reused where its pages already are. The heap is grown once by 48 MiB and
 * that part asks the kernel for transparent huge pages (one fault per 2 MiB, where the
 * machine's THP setting is `madvise`, Debian's default). Nothing else changes: the heap does
 * not grow with the recording (the same buffers, reused), and the process ends after the check;
 * page faults were about a third of a Linux recording's check (bench/README.md). */
static void keep_big_buffers(void)
{
    heap_keep_big((size_t)256 << 20, (size_t)1 << 30, (size_t)48 << 20); /* heap_hint.h */
}

int cmd_check(int argc, char **argv, FILE *out, FILE *err)
{
    struct check_args a;
    int rc = parse_args(argc, argv, err, &a);
    if (rc)
        return rc;
    keep_big_buffers();
    int n = argc - a.first;
    char msg[512];
    if (!rules_builtin(msg, sizeof(msg))) {
        fprintf(err, "vqsim: the built-in rule catalogue is invalid: %s\n", msg);
        return 2;
    }
    struct scenario base;
    bool have_base = false;
    if (a.scen) {
        if (scenario_load(a.scen, &base, msg, sizeof(msg)) != 0) {
            fprintf(err, "%s\n", msg);
            scenario_free(&base); /* what the parser had built before it stopped */
            return 2;
        }
        have_base = true;
    }
    struct vqrec_reader *rd = calloc((size_t)n, sizeof(*rd));
    struct replay *rp = calloc((size_t)n, sizeof(*rp));
    bool *open = calloc((size_t)n, sizeof(*open));
    if (!rd || !rp || !open) {
        fprintf(err, "vqsim: out of memory\n");
        rc = 2;
    }
    if (!rc)
        rc = open_all(argv + a.first, n, rd, rp, open, err);
    FILE *jf = NULL;
    if (!rc && a.json && !(jf = fopen(a.json, "w"))) {
        fprintf(err, "vqsim: cannot write %s: %s\n", a.json, strerror(errno));
        rc = 2;
    }
    unsigned clean = 0, ran = 0;
    struct jw w;
    if (jf) {
        jw_init(&w, jf);
        results_json_begin(&w);
    }
    for (int i = 0; !rc && i < n; i++)
        rc = check_recording(&rp[i], argv[a.first + i], have_base ? &base : NULL, &a, out, err,
                             jf ? &w : NULL, &ran, &clean);
    if (jf) {
        results_json_end(&w, ran, clean);
        if (fclose(jf) != 0 && !rc) {
            fprintf(err, "vqsim: writing %s failed\n", a.json);
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
