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
    struct run_result *r = calloc(1, sizeof(*r));
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

/* One run_scenarios call with workers: who runs what, what is printed. */
struct pool {
    const struct scenario *sc;
    int n;
    const struct run_options *opt;
    bool verbose;
    FILE *out;
    struct jw *w;
    struct worker *wk;
    int started;      /* workers forked */
    struct scen *e;   /* per scenario */
    int next;         /* the next scenario to hand out */
    int emitted;      /* scenarios printed, in order */
    int passed;
};

/* Fork up to `jobs` workers, each with its own job pipe and results file; they report on
 * done_pipe. Fewer when a pipe, a file or a fork cannot be had. */
static void start_workers(struct pool *p, int jobs, const int done_pipe[2], void (*old_pipe)(int))
{
    fflush(NULL); /* nothing buffered may be written twice by a worker */
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
            for (int j = 0; j < p->started; j++) /* else worker j would never see its EOF */
                close(p->wk[j].job_fd);
            worker_main(p->sc, p->opt, p->verbose, p->w, (uint32_t)k, jp[0], done_pipe[1], res);
        }
        close(jp[0]);
        if (pid < 0) {
            close(jp[1]);
            fclose(res);
            break;
        }
        p->wk[p->started++] = (struct worker){.pid = pid, .job_fd = jp[1], .results = res,
                                              .busy = -1};
    }
}

/* Give worker k the next scenario; with none left (or a worker that cannot take it) close its
 * job pipe: it exits. */
static void hand_out(struct pool *p, int k)
{
    struct worker *x = &p->wk[k];
    if (x->job_fd < 0)
        return;
    uint32_t i = (uint32_t)p->next;
    if (p->next < p->n && write_all(x->job_fd, &i, sizeof(i))) {
        p->e[p->next].st = RUNNING;
        p->e[p->next].worker = k;
        x->busy = p->next++;
    } else {
        close(x->job_fd);
        x->job_fd = -1;
    }
}

/* Every worker's reports, until all have exited: hand the next scenario to whoever reported,
 * print every record whose predecessors are all in. */
static void collect(struct pool *p, int done_fd)
{
    for (int k = 0; k < p->started; k++) /* every worker's first scenario */
        hand_out(p, k);
    struct done_msg m;
    while (p->started > 0 && read_all(done_fd, &m, sizeof(m))) {
        if (m.worker >= (uint32_t)p->started || m.index >= (uint32_t)p->n)
            continue;
        p->e[m.index].st = DONE;
        p->e[m.index].offset = m.offset;
        p->wk[m.worker].busy = -1;
        hand_out(p, (int)m.worker);
        for (; p->emitted < p->n && p->e[p->emitted].st == DONE; p->emitted++)
            p->passed += emit(&p->sc[p->emitted], &p->e[p->emitted],
                              &p->wk[p->e[p->emitted].worker], p->out, p->w);
    }
}

/* Every worker has exited (or none started): reap them; a scenario one was running when it
 * died crashed; one never handed out (every worker died) runs here. */
static void finish(struct pool *p)
{
    for (int k = 0; k < p->started; k++) {
        if (p->wk[k].job_fd >= 0)
            close(p->wk[k].job_fd);
        waitpid(p->wk[k].pid, &p->wk[k].status, 0);
        if (p->wk[k].busy >= 0)
            p->e[p->wk[k].busy].st = CRASHED;
    }
    for (; p->emitted < p->n; p->emitted++) {
        int i = p->emitted;
        if (p->e[i].st == WAITING) {
            p->passed += run_one(&p->sc[i], p->opt, p->verbose, p->out, p->w);
            fflush(p->out);
        } else {
            p->passed += emit(&p->sc[i], &p->e[i], &p->wk[p->e[i].worker], p->out, p->w);
        }
    }
    for (int k = 0; k < p->started; k++)
        fclose(p->wk[k].results);
}

int run_scenarios(const struct scenario *sc, int n, const struct run_options *opt, int jobs,
                  bool verbose, FILE *out, struct jw *w)
{
    if (jobs > n)
        jobs = n;
    if (jobs <= 1) {
        int passed = 0;
        for (int i = 0; i < n; i++) {
            passed += run_one(&sc[i], opt, verbose, out, w);
            fflush(out);
        }
        return passed;
    }
    struct pool p = {.sc = sc, .n = n, .opt = opt, .verbose = verbose, .out = out, .w = w,
                     .wk = calloc((size_t)jobs, sizeof(struct worker)),
                     .e = calloc((size_t)n, sizeof(struct scen))};
    int done_pipe[2] = {-1, -1};
    if (!p.wk || !p.e || pipe(done_pipe) != 0) {
        free(p.wk);
        free(p.e);
        return -1;
    }
    /* A worker that died closes its job pipe: a write to it must fail, not kill us. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    start_workers(&p, jobs, done_pipe, old_pipe);
    close(done_pipe[1]);
    collect(&p, done_pipe[0]);
    finish(&p);
    close(done_pipe[0]);
    signal(SIGPIPE, old_pipe);
    free(p.wk);
    free(p.e);
    return p.passed;
}
