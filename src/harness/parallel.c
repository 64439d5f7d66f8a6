/* parallel.c — see parallel.h.
 *
 * A pool of `jobs` worker processes, forked once: a fork per scenario would make every scenario
 * fault in a fresh heap, trace and display (about 0.4 ms of CPU each, more than a typical
 * scenario costs), where a long-lived worker reuses its warm heap as a serial run does.
 *
 * Parent → worker k: scenario indices on its own job pipe (closing it means "no more").
 * Worker → parent: after each scenario, a record appended to the worker's own temporary file
 * (index, passed, verdict text, JSON item), then {k, index, offset} on the shared done pipe.
 * The parent hands the next index to whichever worker reported, and prints records in scenario
 * order as soon as all earlier ones are in. When every worker has exited (the done pipe reads
 * EOF), a scenario still handed out but never reported belongs to a worker that died: it fails,
 * with the signal named. Scenarios never handed out (every worker died) run in this process. */
#include "harness/parallel.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/results_json.h"
#include "harness/results_text.h"

/* Run scenario s here; its verdict text to `out`, its JSON item to `w` (if any). */
static bool run_one(const struct scenario *s, const struct run_options *opt, bool verbose,
                    FILE *out, struct jw *w)
{
    struct run_result *r = malloc(sizeof(*r)); /* 210 KB: run_scenario zeroes it first */
    if (!r) {
        fprintf(out, "FAIL %-40s out of memory\n", s->name);
        return false;
    }
    run_scenario(s, opt, r);
    bool passed = r->res.passed;
    results_print(out, s, &r->res, verbose);
    if (w)
        results_json_scenario(w, s, &r->res);
    run_result_free(r);
    free(r);
    return passed;
}

struct done_msg {
    uint32_t worker, index;
    uint64_t offset;
};

struct worker {
    pid_t pid;
    int job_fd;       /* parent's write end, -1 once closed */
    FILE *results;    /* records, read back with pread at the offsets reported */
    int busy;         /* index in flight, or -1 */
    int status;       /* waitpid status once reaped */
};

enum state { WAITING = 0, RUNNING, DONE, CRASHED };

struct scen {
    enum state st;
    int worker;
    uint64_t offset;
};

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t k = read(fd, c, n);
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

/* The worker's life: take indices until the job pipe closes, append a record for each. */
static void worker_main(const struct scenario *sc, const struct run_options *opt, bool verbose,
                        const struct jw *w, uint32_t k, int job_fd, int done_fd, FILE *res)
{
    uint32_t i;
    uint64_t offset = 0;
    /* Test hook (tests/test_parallel.py): a worker that dies on the named scenario, to prove
     * that a crash fails only that scenario. */
    const char *crash = getenv("VQSIM_TEST_WORKER_CRASH");
    while (read_all(job_fd, &i, sizeof(i))) {
        if (crash && !strcmp(crash, sc[i].name))
            raise(SIGABRT);
        char *text = NULL, *json = NULL;
        size_t tlen = 0, jlen = 0;
        FILE *t = open_memstream(&text, &tlen);
        FILE *j = w ? open_memstream(&json, &jlen) : NULL;
        if (!t || (w && !j))
            _exit(3);
        struct jw item;
        if (w)
            jw_item_writer(w, &item, j);
        uint8_t passed = run_one(&sc[i], opt, verbose, t, w ? &item : NULL);
        fclose(t);
        if (j)
            fclose(j);
        uint64_t tl = tlen, jl = jlen;
        if (fwrite(&passed, 1, 1, res) != 1 || fwrite(&tl, sizeof(tl), 1, res) != 1 ||
            fwrite(text, 1, tlen, res) != tlen || fwrite(&jl, sizeof(jl), 1, res) != 1 ||
            (jlen && fwrite(json, 1, jlen, res) != jlen) || fflush(res) != 0)
            _exit(3);
        free(text);
        free(json);
        struct done_msg m = {k, i, offset};
        offset += 1 + 8 + tl + 8 + jl;
        if (!write_all(done_fd, &m, sizeof(m)))
            _exit(3);
    }
    _exit(0);
}

static char *pread_block(int fd, uint64_t *off, uint64_t *len)
{
    if (pread(fd, len, sizeof(*len), (off_t)*off) != (ssize_t)sizeof(*len) || *len > (1ull << 34))
        return NULL;
    *off += sizeof(*len);
    char *b = malloc(*len + 1);
    if (b && *len && pread(fd, b, *len, (off_t)*off) != (ssize_t)*len) {
        free(b);
        return NULL;
    }
    *off += *len;
    return b;
}

/* Print scenario i's record; returns whether it passed. */
static bool emit(const struct scenario *s, const struct scen *e, const struct worker *wk,
                 FILE *out, struct jw *w)
{
    uint8_t passed = 0;
    uint64_t tl = 0, jl = 0, off = e->offset;
    char *text = NULL, *json = NULL;
    bool ok = false;
    if (e->st == DONE) {
        int fd = fileno(wk->results);
        ok = pread(fd, &passed, 1, (off_t)off++) == 1 && (text = pread_block(fd, &off, &tl)) &&
             (json = pread_block(fd, &off, &jl)) && (!w || jl > 0);
    }
    if (ok) {
        fwrite(text, 1, tl, out);
        if (w)
            jw_item_splice(w, json, jl);
    } else {
        /* No verdict from the worker: fail the scenario and say why (no JSON item: the report
         * counts it failed from the totals). */
        passed = 0;
        if (WIFSIGNALED(wk->status))
            fprintf(out, "FAIL %-40s crashed   worker killed by signal %d (%s)\n", s->name,
                    WTERMSIG(wk->status), strsignal(WTERMSIG(wk->status)));
        else
            fprintf(out, "FAIL %-40s crashed   worker gave no result\n", s->name);
    }
    free(text);
    free(json);
    fflush(out);
    return passed != 0;
}

/* Fork up to `jobs` workers into wk (fewer when a result file, a pipe or a fork fails): how
 * many started. Each reports on done_fd; a worker restores old_pipe for SIGPIPE. */
static int start_workers(const struct scenario *sc, const struct run_options *opt, bool verbose,
                         struct jw *w, int jobs, struct worker *wk, int done_pipe[2],
                         void (*old_pipe)(int))
{
    int started = 0;
    for (int k = 0; k < jobs; k++) {
        int jp[2];
        FILE *res = tmpfile();
        if (!res || pipe(jp) != 0) {
            if (res)
                fclose(res);
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGPIPE, old_pipe);
            close(jp[1]);
            close(done_pipe[0]);
            for (int j = 0; j < started; j++) /* else worker j would never see its EOF */
                close(wk[j].job_fd);
            worker_main(sc, opt, verbose, w, (uint32_t)k, jp[0], done_pipe[1], res);
        }
        close(jp[0]);
        if (pid < 0) {
            close(jp[1]);
            fclose(res);
            break;
        }
        wk[started++] = (struct worker){.pid = pid, .job_fd = jp[1], .results = res, .busy = -1};
    }
    return started;
}

/* A scenario is long when its steps ask for at least this many requests (`repeat`): it is
 * handed out before the others, so that it does not start last and leave the other workers
 * idle while it runs (the 70,000-request scenarios take as long as a hundred others). */
#define LONG_SCENARIO_REQUESTS 1000u

static uint64_t requests(const struct scenario *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->n_steps; i++)
        n += s->steps[i].repeat > 1 ? s->steps[i].repeat : 1;
    return n;
}

/* The order scenarios are handed out in: the long ones first, longest first; the others in
 * their own order (their records are printed as soon as all earlier ones are in). */
static void hand_out_order(const struct scenario *sc, int n, int *order)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (requests(&sc[i]) >= LONG_SCENARIO_REQUESTS)
            order[k++] = i;
    for (int a = 1; a < k; a++) /* insertion sort: a handful of them */
        for (int b = a; b > 0 && requests(&sc[order[b]]) > requests(&sc[order[b - 1]]); b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int i = 0; i < n; i++)
        if (requests(&sc[i]) < LONG_SCENARIO_REQUESTS)
            order[k++] = i;
}

/* Hand out the scenarios in `order`, one to each worker and the next to whichever reports, and
 * print their records in scenario order as soon as all earlier ones are in, until every worker
 * has exited (done_fd at EOF). How many of those printed passed; *emitted: how many were
 * printed. */
static int hand_out(const struct scenario *sc, int n, const int *order, struct worker *wk,
                    int started, struct scen *e, int done_fd, FILE *out, struct jw *w,
                    int *emitted)
{
    int next = 0, passed = 0;
    /* Give every worker its first scenario. */
    for (int k = 0; k < started; k++) {
        uint32_t i = next < n ? (uint32_t)order[next] : 0;
        if (next < n && write_all(wk[k].job_fd, &i, sizeof(i))) {
            e[i].st = RUNNING;
            e[i].worker = k;
            wk[k].busy = (int)i;
            next++;
        } else {
            close(wk[k].job_fd);
            wk[k].job_fd = -1;
        }
    }
    struct done_msg m;
    while (started > 0 && read_all(done_fd, &m, sizeof(m))) {
        if (m.worker >= (uint32_t)started || m.index >= (uint32_t)n)
            continue;
        struct worker *x = &wk[m.worker];
        e[m.index].st = DONE;
        e[m.index].offset = m.offset;
        x->busy = -1;
        uint32_t i = next < n ? (uint32_t)order[next] : 0;
        if (next < n && x->job_fd >= 0 && write_all(x->job_fd, &i, sizeof(i))) {
            e[i].st = RUNNING;
            e[i].worker = (int)m.worker;
            x->busy = (int)i;
            next++;
        } else if (x->job_fd >= 0) {
            close(x->job_fd); /* no more work: the worker exits */
            x->job_fd = -1;
        }
        while (*emitted < n && e[*emitted].st == DONE) {
            passed += emit(&sc[*emitted], &e[*emitted], &wk[e[*emitted].worker], out, w);
            (*emitted)++;
        }
    }
    return passed;
}

int run_scenarios(const struct scenario *sc, int n, const struct run_options *opt, int jobs,
                  bool verbose, FILE *out, struct jw *w)
{
    int passed = 0;
    if (jobs > n)
        jobs = n;
    if (jobs <= 1) {
        for (int i = 0; i < n; i++) {
            passed += run_one(&sc[i], opt, verbose, out, w);
            fflush(out);
        }
        return passed;
    }
    struct worker *wk = calloc((size_t)jobs, sizeof(*wk));
    struct scen *e = calloc((size_t)n, sizeof(*e));
    int *order = malloc((size_t)n * sizeof(*order));
    int done_pipe[2] = {-1, -1};
    if (!wk || !e || !order || pipe(done_pipe) != 0) {
        free(wk);
        free(e);
        free(order);
        return -1;
    }
    hand_out_order(sc, n, order);
    /* A worker that died closes its job pipe: a write to it must fail, not kill us. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    fflush(NULL); /* nothing buffered may be written twice by a worker */
    int started = start_workers(sc, opt, verbose, w, jobs, wk, done_pipe, old_pipe);
    close(done_pipe[1]);
    int emitted = 0;
    passed += hand_out(sc, n, order, wk, started, e, done_pipe[0], out, w, &emitted);
    /* Every worker has exited (or none started). */
    for (int k = 0; k < started; k++) {
        if (wk[k].job_fd >= 0)
            close(wk[k].job_fd);
        waitpid(wk[k].pid, &wk[k].status, 0);
        if (wk[k].busy >= 0)
            e[wk[k].busy].st = CRASHED;
    }
    for (; emitted < n; emitted++) {
        if (e[emitted].st == WAITING) { /* never handed out: run it here */
            passed += run_one(&sc[emitted], opt, verbose, out, w);
            fflush(out);
        } else {
            passed += emit(&sc[emitted], &e[emitted], &wk[e[emitted].worker], out, w);
        }
    }
    for (int k = 0; k < started; k++)
        fclose(wk[k].results);
    close(done_pipe[0]);
    signal(SIGPIPE, old_pipe);
    free(wk);
    free(e);
    free(order);
    return passed;
}
