/* run_driver.c — `vqsim run --driver LIB.so SCENARIO...`: a foreign driver, built against
 * include/vqsim/vqsim.h as a shared object, run against each scenario's machine.
 *
 * Each scenario runs in a forked child of its own, watched by the parent with a wall-clock
 * watchdog: a driver that spins on plain memory without calling any hook can never be answered
 * by an in-process device (the device only runs inside hook calls), a driver that crashes must
 * not take the harness with it, and a driver's static data must be as it was at load time for
 * every scenario (a kernel driver meets its device once per boot). The child prints its verdict
 * line and writes its JSON item exactly as `vqsim run` does; the parent splices the items in
 * scenario order and reports what a child could not (hang, crash: a FAIL line, no JSON item,
 * counted in the summary, as `vqsim run -j` does for a crashed worker).
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vqsim/vqsim.h>
#include "harness/runner.h"
#include "harness/results_json.h"
#include "util/json_writer.h"
#include "lib/run_driver.h"
#include "lib/vqsim_internal.h"

/* Load the driver and check it is one: its entry and API version symbols, a major we speak and
 * a minor no newer than ours. Returns the entry (flags in *flags) or NULL after saying why. The
 * parent loads it once and never calls it, so every scenario's child inherits the driver's
 * static data exactly as it was at load time — as a kernel driver finds it at boot. */
static vqsim_driver_entry load_driver(const char *lib, unsigned *flags)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "vqsim: cannot load the driver: %s\n", dlerror());
        return NULL;
    }
    const uint32_t *ver = dlsym(h, VQSIM_DRIVER_VERSION_SYMBOL);
    void *entry_sym = dlsym(h, VQSIM_DRIVER_ENTRY_SYMBOL);
    if (!ver || !entry_sym) {
        fprintf(stderr, "vqsim: %s is not a vqsim driver: it lacks the symbol %s "
                        "(define it with VQSIM_DRIVER_DEFINE, include/vqsim/vqsim.h)\n",
                lib, !ver ? VQSIM_DRIVER_VERSION_SYMBOL : VQSIM_DRIVER_ENTRY_SYMBOL);
        return NULL;
    }
    if (*ver >> 16 != VQSIM_API_VERSION_MAJOR || (*ver & 0xffff) > VQSIM_API_VERSION_MINOR) {
        fprintf(stderr, "vqsim: %s was built against vqsim API %u.%u; this vqsim offers %u.%u "
                        "(same major, minor up to ours): rebuild the driver\n", lib,
                *ver >> 16, *ver & 0xffff, VQSIM_API_VERSION_MAJOR, VQSIM_API_VERSION_MINOR);
        return NULL;
    }
    const unsigned *f = dlsym(h, VQSIM_DRIVER_FLAGS_SYMBOL);
    *flags = f ? *f : 0;
    vqsim_driver_entry entry;
    memcpy(&entry, &entry_sym, sizeof(entry)); /* POSIX: a data pointer holds a function's */
    /* The driver's code stays mapped until exit: nothing of it may run after a dlclose. */
    return entry;
}

static double watchdog_seconds(void)
{
    const char *e = getenv("VQSIM_DRIVER_WATCHDOG");
    char *end = NULL;
    double s = e ? strtod(e, &end) : 0;
    return e && end != e && *end == 0 && s > 0 && s <= 86400 ? s : RUN_DRIVER_WATCHDOG_S;
}

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Shared with each child: [0] hook calls (the watchdog's sign of life), [1] 1 once the child
 * finished on its own (an exit without it is a crash, even when a sanitizer's handler turned
 * the signal into an exit status), [2] 1 when its run was clean. */
#define SHARED_SIZE (3 * sizeof(uint64_t))

enum child_end { CHILD_CLEAN, CHILD_NOT_CLEAN, CHILD_HUNG, CHILD_CRASHED };

/* The child: run one scenario's machine against the driver, print its line(s), write its JSON
 * item to `item_file`. Never returns. */
static void child_run(struct vqsim_machine *m, vqsim_driver_entry entry, unsigned flags,
                      bool verbose, const struct jw *w, FILE *item_file, volatile uint64_t *sh)
{
    /* A crash in the driver ends the child with its signal, for the parent to report. */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], SIG_DFL);
    vqsim_hook_calls = sh;
    if (vqsim_run(m, entry, NULL, flags) != VQSIM_OK) {
        fprintf(stderr, "vqsim: %s: cannot build the machine (out of memory)\n",
                vqsim_machine_scenario(m)->name);
        _exit(2);
    }
    vqsim_print_verdict(m, stdout, verbose);
    if (w) {
        struct jw item;
        jw_item_writer(w, &item, item_file);
        results_json_scenario(&item, vqsim_machine_scenario(m), vqsim_machine_results(m));
    }
    fflush(NULL);
    sh[2] = vqsim_clean(m) ? 1 : 0;
    sh[1] = 1;
    _exit(0);
}

/* The parent: wait for one scenario's child under the wall-clock watchdog; say what went wrong
 * when it did not finish on its own. */
static enum child_end watch_child(pid_t pid, volatile uint64_t *sh, const char *lib,
                                  const char *name)
{
    double limit = watchdog_seconds(), start = mono(), last_change = start;
    uint64_t seen = sh[0];
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "vqsim: lost the driver's process: %s\n", strerror(errno));
            return CHILD_CRASHED;
        }
        double now = mono();
        if (sh[0] != seen) {
            seen = sh[0];
            last_change = now;
        }
        if (now - start >= limit) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            printf("FAIL %-40s hung         the driver did not return within %.1f s\n", name,
                   limit);
            if (now - last_change >= 0.5)
                fprintf(stderr,
                        "vqsim: DRIVER HUNG on %s: %s did not return within %.1f s of wall-clock "
                        "time and made no hook call in its last %.1f s (%llu hook calls in all): "
                        "it spins on memory without calling a hook, so the simulated device can "
                        "never answer it. Every poll iteration must call a hook (a barrier, an "
                        "MMIO access, now_ns or delay_ns). Killed.\n",
                        name, lib, limit, now - last_change, (unsigned long long)seen);
            else
                fprintf(stderr,
                        "vqsim: DRIVER HUNG on %s: %s did not return within %.1f s of wall-clock "
                        "time although it keeps calling hooks (%llu calls): it waits without a "
                        "deadline of its own. Killed.\n",
                        name, lib, limit, (unsigned long long)seen);
            return CHILD_HUNG;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (WIFSIGNALED(st)) {
        printf("FAIL %-40s crashed      signal %d (%s)\n", name, WTERMSIG(st),
               strsignal(WTERMSIG(st)));
        fprintf(stderr, "vqsim: DRIVER CRASHED on %s: the process running %s died of signal %d "
                        "(%s).\n", name, lib, WTERMSIG(st), strsignal(WTERMSIG(st)));
        return CHILD_CRASHED;
    }
    if (sh[1] != 1) {
        printf("FAIL %-40s crashed      exit status %d\n", name,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        fprintf(stderr, "vqsim: DRIVER CRASHED on %s: the process running %s ended (exit status "
                        "%d) before its run was done.\n", name, lib,
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return CHILD_CRASHED;
    }
    return sh[2] ? CHILD_CLEAN : CHILD_NOT_CLEAN;
}

/* The item a child wrote to `item`, spliced into w as if written here; false when it cannot be
 * read back. */
static bool splice_item(struct jw *w, FILE *item)
{
    long len = ftell(item) >= 0 && fseek(item, 0, SEEK_END) == 0 ? ftell(item) : -1;
    char *text = len > 0 ? malloc((size_t)len) : NULL;
    rewind(item);
    bool ok = text && fread(text, 1, (size_t)len, item) == (size_t)len;
    if (ok)
        jw_item_splice(w, text, (size_t)len);
    free(text);
    return ok;
}

/* What run_driver_main runs with. */
struct driver_run {
    const char *lib;
    vqsim_driver_entry entry;
    unsigned flags;
    bool verbose;
    struct jw *w;               /* the JSON document, or NULL */
    volatile uint64_t *sh;      /* shared with each child (SHARED_SIZE) */
    unsigned clean, lost;
    bool item_lost;             /* a child's JSON item could not be read back */
};

/* Scenario m in a child of its own, under the watchdog; its JSON item spliced into d->w.
 * Returns 0, or 2 when the harness itself failed (no temporary file, no fork): no scenario
 * after it can run either. */
static int run_one_scenario(struct driver_run *d, struct vqsim_machine *m)
{
    const char *name = vqsim_machine_scenario(m)->name;
    FILE *item = d->w ? tmpfile() : NULL;
    if (d->w && !item) {
        fprintf(stderr, "vqsim: cannot make a temporary file: %s\n", strerror(errno));
        return 2;
    }
    d->sh[0] = d->sh[1] = d->sh[2] = 0;
    fflush(NULL); /* nothing buffered for the child to write out a second time (the JSON) */
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "vqsim: cannot fork the driver's process: %s\n", strerror(errno));
        if (item)
            fclose(item);
        return 2;
    }
    if (pid == 0)
        child_run(m, d->entry, d->flags, d->verbose, d->w, item, d->sh);
    enum child_end end = watch_child(pid, d->sh, d->lib, name);
    d->clean += end == CHILD_CLEAN;
    d->lost += end == CHILD_HUNG || end == CHILD_CRASHED;
    if (item && (end == CHILD_CLEAN || end == CHILD_NOT_CLEAN) && !splice_item(d->w, item))
        d->item_lost = true;
    if (item)
        fclose(item);
    return 0;
}

/* The summary line, and what plain ring access could not judge. */
static void print_summary(const struct driver_run *d, int n)
{
    printf("%u clean, %u not clean (foreign driver %s)\n", d->clean, (unsigned)n - d->clean,
           d->lib);
    if (d->flags & VQSIM_RUN_RING_ACCESSORS)
        return;
    unsigned no = 0, part = 0;
    for (const struct bc_not_judged *nj = bc_plain_not_judged; nj->rule; nj++)
        *(nj->partly ? &part : &no) += 1;
    printf("plain ring access: %u rule(s) not judged, %u in part (-v lists them; "
           "VQSIM_RUN_RING_ACCESSORS judges them)\n", no, part);
}

/* Every scenario opened (validated) before any runs; the number that failed to. */
static int open_all(struct vqsim_machine **ms, char **paths, int n)
{
    int bad = 0;
    char err[512];
    for (int i = 0; i < n; i++)
        if (!(ms[i] = vqsim_open_scenario(paths[i], err, sizeof(err)))) {
            fprintf(stderr, "%s\n", err);
            bad++;
        }
    return bad;
}

int run_driver_main(const char *lib, char **paths, int n, const char *json, bool verbose)
{
    struct driver_run d = {.lib = lib, .verbose = verbose};
    if (!(d.entry = load_driver(lib, &d.flags)))
        return 2;
    struct vqsim_machine **ms = calloc((size_t)n, sizeof(*ms));
    if (!ms) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    int bad = open_all(ms, paths, n);
    FILE *jf = NULL;
    if (!bad && json && !(jf = fopen(json, "w"))) {
        fprintf(stderr, "vqsim: cannot write %s: %s\n", json, strerror(errno));
        bad++;
    }
    volatile uint64_t *sh = MAP_FAILED;
    if (!bad && (sh = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                           -1, 0)) == MAP_FAILED) {
        fprintf(stderr, "vqsim: cannot map the watchdog counter: %s\n", strerror(errno));
        bad++;
    }
    d.sh = sh;
    struct jw w;
    if (jf && !bad) {
        jw_init(&w, jf);
        results_json_begin(&w);
        d.w = &w;
    }
    int rc = bad ? 2 : 0;
    /* One process per scenario: each run starts from the driver as loaded (its statics
     * untouched), a hang or crash costs only that scenario, and each gets the whole watchdog. */
    for (int i = 0; i < n && !bad && rc == 0; i++)
        rc = run_one_scenario(&d, ms[i]);
    if (d.item_lost)
        rc = 2;
    if (!bad && rc == 0) {
        rc = d.lost ? RUN_DRIVER_EXIT_HUNG : d.clean == (unsigned)n ? 0 : 1;
        print_summary(&d, n);
    }
    if (jf) {
        if (!bad)
            results_json_end(&w, (unsigned)n, d.clean);
        if (fclose(jf) != 0) {
            fprintf(stderr, "vqsim: writing %s failed\n", json);
            rc = 2;
        }
    }
    if (sh != MAP_FAILED)
        munmap((void *)sh, SHARED_SIZE);
    for (int i = 0; i < n; i++)
        vqsim_close(ms[i]);
    free(ms);
    return rc;
}
