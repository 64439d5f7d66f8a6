/* run_driver.c — `vqsim run --driver LIB.so SCENARIO...`: a foreign driver, built against
 * include/vqsim/vqsim.h as a shared object, run against each scenario's machine.
 *
 * The driver runs in a forked child, watched by the parent with a wall-clock watchdog: a driver
 * that spins on plain memory without calling any hook can never be answered by an in-process
 * device (the device only runs inside hook calls), and a driver that crashes must not take the
 * harness with it. The child prints the verdict lines and writes the JSON exactly as `vqsim run`
 * does; the parent only reports what the child could not (hang, crash).
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

#include "../../include/vqsim/vqsim.h"
#include "../cli/runner.h"
#include "../cli/verdict.h"
#include "../util/json_writer.h"
#include "run_driver.h"
#include "vqsim_internal.h"

/* The child: load the driver, run every scenario, print and write the results. Returns the
 * exit status (0 all clean, 1 some not clean, 2 cannot load / bad scenario / cannot write). */
static int child_main(const char *lib, char **paths, int n, const char *json, bool verbose)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "vqsim: cannot load the driver: %s\n", dlerror());
        return 2;
    }
    const uint32_t *ver = dlsym(h, VQSIM_DRIVER_VERSION_SYMBOL);
    void *entry_sym = dlsym(h, VQSIM_DRIVER_ENTRY_SYMBOL);
    if (!ver || !entry_sym) {
        fprintf(stderr, "vqsim: %s is not a vqsim driver: it lacks the symbol %s "
                        "(define it with VQSIM_DRIVER_DEFINE, include/vqsim/vqsim.h)\n",
                lib, !ver ? VQSIM_DRIVER_VERSION_SYMBOL : VQSIM_DRIVER_ENTRY_SYMBOL);
        return 2;
    }
    if (*ver >> 16 != VQSIM_API_VERSION_MAJOR || (*ver & 0xffff) > VQSIM_API_VERSION_MINOR) {
        fprintf(stderr, "vqsim: %s was built against vqsim API %u.%u; this vqsim offers %u.%u "
                        "(same major, minor up to ours): rebuild the driver\n", lib,
                *ver >> 16, *ver & 0xffff, VQSIM_API_VERSION_MAJOR, VQSIM_API_VERSION_MINOR);
        return 2;
    }
    const unsigned *flags = dlsym(h, VQSIM_DRIVER_FLAGS_SYMBOL);
    vqsim_driver_entry entry;
    memcpy(&entry, &entry_sym, sizeof(entry)); /* POSIX: a data pointer holds a function's */

    struct vqsim_machine **ms = calloc((size_t)n, sizeof(*ms));
    if (!ms) {
        fprintf(stderr, "vqsim: out of memory\n");
        return 2;
    }
    int bad = 0;
    char err[512];
    for (int i = 0; i < n; i++) /* validate every scenario before running any */
        if (!(ms[i] = vqsim_open_scenario(paths[i], err, sizeof(err)))) {
            fprintf(stderr, "%s\n", err);
            bad++;
        }
    FILE *jf = NULL;
    if (!bad && json && !(jf = fopen(json, "w"))) {
        fprintf(stderr, "vqsim: cannot write %s: %s\n", json, strerror(errno));
        bad++;
    }
    int rc = bad ? 2 : 0;
    unsigned clean = 0;
    struct jw w;
    if (jf) {
        jw_init(&w, jf);
        verdict_json_begin(&w);
    }
    for (int i = 0; i < n && !bad; i++) {
        if (vqsim_run(ms[i], entry, NULL, flags ? *flags : 0) != VQSIM_OK) {
            fprintf(stderr, "vqsim: %s: cannot build the machine (out of memory)\n", paths[i]);
            rc = 2;
            break;
        }
        vqsim_print_verdict(ms[i], stdout, verbose);
        fflush(stdout);
        clean += vqsim_clean(ms[i]);
        if (jf)
            verdict_json_scenario(&w, vqsim_machine_scenario(ms[i]), vqsim_machine_result(ms[i]));
    }
    if (!bad && rc == 0) {
        rc = clean == (unsigned)n ? 0 : 1;
        printf("%u clean, %u not clean (foreign driver %s)\n", clean, (unsigned)n - clean, lib);
    }
    if (jf) {
        verdict_json_end(&w, (unsigned)n, clean);
        if (fclose(jf) != 0) {
            fprintf(stderr, "vqsim: writing %s failed\n", json);
            rc = 2;
        }
    }
    for (int i = 0; i < n; i++)
        vqsim_close(ms[i]);
    free(ms);
    /* The driver's code stays mapped until exit: nothing of it may run after a dlclose. */
    return rc;
}

/* A killed or crashed child may have left half a JSON document: no results file rather than a
 * truncated one. */
static void drop_partial(const char *json)
{
    if (json && unlink(json) == 0)
        fprintf(stderr, "vqsim: %s removed: the run did not finish\n", json);
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

/* Shared with the child: [0] hook calls (the watchdog's sign of life), [1] 1 once the child
 * finished on its own (an exit without it is a crash, even when a sanitizer's handler turned
 * the signal into an exit status). */
#define SHARED_SIZE (2 * sizeof(uint64_t))

int run_driver_main(const char *lib, char **paths, int n, const char *json, bool verbose)
{
    volatile uint64_t *calls = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (calls == MAP_FAILED) {
        fprintf(stderr, "vqsim: cannot map the watchdog counter: %s\n", strerror(errno));
        return 2;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "vqsim: cannot fork the driver's process: %s\n", strerror(errno));
        munmap((void *)calls, SHARED_SIZE);
        return 2;
    }
    if (pid == 0) {
        /* A crash in the driver ends the child with its signal, for the parent to report. */
        static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
        for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
            signal(fatal[i], SIG_DFL);
        vqsim_hook_calls = calls;
        int rc = child_main(lib, paths, n, json, verbose);
        fflush(NULL);
        calls[1] = 1;
        _exit(rc);
    }
    double limit = watchdog_seconds(), start = mono(), last_change = start;
    uint64_t seen = *calls;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "vqsim: lost the driver's process: %s\n", strerror(errno));
            munmap((void *)calls, SHARED_SIZE);
            return 2;
        }
        double now = mono();
        if (*calls != seen) {
            seen = *calls;
            last_change = now;
        }
        if (now - start >= limit) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            if (now - last_change >= 0.5)
                fprintf(stderr,
                        "vqsim: DRIVER HUNG: %s did not return within %.1f s of wall-clock time "
                        "and made no hook call in its last %.1f s (%llu hook calls in all): it "
                        "spins on memory without calling a hook, so the simulated device can "
                        "never answer it. Every poll iteration must call a hook (a barrier, an "
                        "MMIO access, now_ns or delay_ns). Killed; exit status 3.\n",
                        lib, limit, now - last_change, (unsigned long long)seen);
            else
                fprintf(stderr,
                        "vqsim: DRIVER HUNG: %s did not return within %.1f s of wall-clock time "
                        "although it keeps calling hooks (%llu calls): it waits without a "
                        "deadline of its own. Killed; exit status 3.\n",
                        lib, limit, (unsigned long long)seen);
            munmap((void *)calls, SHARED_SIZE);
            drop_partial(json);
            return RUN_DRIVER_EXIT_HUNG;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    bool finished = calls[1] == 1;
    munmap((void *)calls, SHARED_SIZE);
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "vqsim: DRIVER CRASHED: the process running %s died of signal %d (%s); "
                        "exit status 3.\n", lib, WTERMSIG(st), strsignal(WTERMSIG(st)));
        drop_partial(json);
        return RUN_DRIVER_EXIT_HUNG;
    }
    if (!finished) {
        fprintf(stderr, "vqsim: DRIVER CRASHED: the process running %s ended (exit status %d) "
                        "before the runs were done; exit status 3.\n", lib,
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        drop_partial(json);
        return RUN_DRIVER_EXIT_HUNG;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}
