/* parallel.c — see parallel.h. */
#include "parallel.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verdict.h"

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
    bool passed = r->passed;
    verdict_print(out, s, r, verbose);
    if (w)
        verdict_json_scenario(w, s, r);
    run_result_free(r);
    free(r);
    return passed;
}

struct slot {
    pid_t pid;       /* running child, or 0 */
    FILE *result;    /* the child's output: passed byte, text length + text, JSON length + JSON */
    bool done;
    int status;      /* waitpid status */
};

/* In the child: run, write the record, leave without touching the parent's stdio buffers. */
static void child(const struct scenario *s, const struct run_options *opt, bool verbose,
                  const struct jw *w, FILE *result)
{
    char *text = NULL, *json = NULL;
    size_t tlen = 0, jlen = 0;
    FILE *t = open_memstream(&text, &tlen);
    FILE *j = w ? open_memstream(&json, &jlen) : NULL;
    if (!t || (w && !j))
        _exit(3);
    struct jw item;
    if (w)
        jw_item_writer(w, &item, j);
    uint8_t passed = run_one(s, opt, verbose, t, w ? &item : NULL);
    fclose(t);
    if (j)
        fclose(j);
    uint64_t tl = tlen, jl = jlen;
    if (fwrite(&passed, 1, 1, result) != 1 || fwrite(&tl, sizeof(tl), 1, result) != 1 ||
        fwrite(text, 1, tlen, result) != tlen || fwrite(&jl, sizeof(jl), 1, result) != 1 ||
        (jlen && fwrite(json, 1, jlen, result) != jlen) || fflush(result) != 0)
        _exit(3);
    _exit(0);
}

static char *read_block(FILE *f, uint64_t *len)
{
    if (fread(len, sizeof(*len), 1, f) != 1 || *len > (1ull << 34))
        return NULL;
    char *b = malloc(*len + 1);
    if (b && fread(b, 1, *len, f) != *len) {
        free(b);
        return NULL;
    }
    return b;
}

/* Emit a finished child's record in order; false when the scenario did not pass. */
static bool emit(const struct scenario *s, struct slot *sl, FILE *out, struct jw *w)
{
    uint8_t passed = 0;
    uint64_t tl = 0, jl = 0;
    char *text = NULL, *json = NULL;
    bool ok = WIFEXITED(sl->status) && WEXITSTATUS(sl->status) == 0;
    if (ok) {
        rewind(sl->result);
        ok = fread(&passed, 1, 1, sl->result) == 1 && (text = read_block(sl->result, &tl)) &&
             (json = read_block(sl->result, &jl)) && (!w || jl > 0);
    }
    if (ok) {
        fwrite(text, 1, tl, out);
        if (w)
            jw_item_splice(w, json, jl);
    } else {
        /* No verdict from the worker: fail the scenario and say why (no JSON item: the report
         * counts it failed from the totals). */
        passed = 0;
        if (WIFSIGNALED(sl->status))
            fprintf(out, "FAIL %-40s crashed   worker killed by signal %d (%s)\n", s->name,
                    WTERMSIG(sl->status), strsignal(WTERMSIG(sl->status)));
        else
            fprintf(out, "FAIL %-40s crashed   worker gave no result\n", s->name);
    }
    free(text);
    free(json);
    fclose(sl->result);
    sl->result = NULL;
    fflush(out);
    return passed != 0;
}

int run_scenarios(const struct scenario *sc, int n, const struct run_options *opt, int jobs,
                  bool verbose, FILE *out, struct jw *w)
{
    int passed = 0;
    if (jobs <= 1 || n <= 1) {
        for (int i = 0; i < n; i++) {
            passed += run_one(&sc[i], opt, verbose, out, w);
            fflush(out);
        }
        return passed;
    }
    struct slot *sl = calloc((size_t)n, sizeof(*sl));
    if (!sl)
        return -1;
    int next = 0, running = 0, emitted = 0;
    while (emitted < n) {
        while (running < jobs && next < n) {
            struct slot *s = &sl[next];
            fflush(NULL); /* nothing buffered may be written twice by the child */
            s->result = tmpfile();
            pid_t pid = s->result ? fork() : -1;
            if (pid == 0)
                child(&sc[next], opt, verbose, w, s->result);
            if (pid < 0) { /* no worker: run it here, in order, once its turn comes */
                if (s->result)
                    fclose(s->result);
                s->result = NULL;
                s->pid = -1;
                s->done = true;
            } else {
                s->pid = pid;
                running++;
            }
            next++;
        }
        while (emitted < n && sl[emitted].done) {
            if (sl[emitted].pid == -1)
                passed += run_one(&sc[emitted], opt, verbose, out, w);
            else
                passed += emit(&sc[emitted], &sl[emitted], out, w);
            emitted++;
        }
        if (emitted >= n || running == 0)
            continue;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0)
            break; /* cannot happen with children running; never spin */
        for (int i = 0; i < next; i++)
            if (sl[i].pid == pid && !sl[i].done) {
                sl[i].done = true;
                sl[i].status = status;
                running--;
                break;
            }
    }
    free(sl);
    return passed;
}
