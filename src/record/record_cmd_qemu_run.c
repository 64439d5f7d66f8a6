/* record_cmd_qemu_run.c — `vqsim record` running QEMU (record_cmd_internal.h): its stderr passed
 * through to ours as it comes, the end kept for the recording and the summary; the time bound;
 * SIGINT / SIGTERM to vqsim record stopping QEMU the same clean way. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record_cmd_internal.h"
#include "record/recording.h"

#define TERM_GRACE_MS 5000                /* after SIGTERM, before SIGKILL */

/* SIGINT / SIGTERM to vqsim record: stop QEMU the clean way, then finish the recording. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The end of what QEMU wrote to stderr (passed through to ours as it comes): its message when
 * it fails, kept for the recording and the summary line. */
struct qemu_stderr {
    int fd;            /* read end of QEMU's stderr pipe, -1 when closed */
    char tail[1024];   /* the last bytes, NUL-terminated */
    size_t len;
};

static void stderr_pump(struct qemu_stderr *q, int timeout_ms)
{
    if (q->fd < 0) {
        if (timeout_ms > 0) {
            struct timespec ts = {0, (long)timeout_ms * 1000000L};
            nanosleep(&ts, NULL);
        }
        return;
    }
    struct pollfd pfd = {q->fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return;
    char buf[4096];
    ssize_t n = read(q->fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(q->fd);
            q->fd = -1;
        }
        return;
    }
    if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
        clearerr(stderr);
    fflush(stderr);
    size_t keep = sizeof(q->tail) - 1;
    if ((size_t)n >= keep) {
        memcpy(q->tail, buf + n - keep, keep);
        q->len = keep;
    } else {
        size_t drop = q->len + (size_t)n > keep ? q->len + (size_t)n - keep : 0;
        memmove(q->tail, q->tail + drop, q->len - drop);
        memcpy(q->tail + q->len - drop, buf, (size_t)n);
        q->len = q->len - drop + (size_t)n;
    }
    q->tail[q->len] = 0;
}

/* The last non-empty line QEMU wrote to stderr ("" when none), into out. */
static void last_line(const struct qemu_stderr *q, char *out, size_t n)
{
    size_t end = q->len;
    while (end && (q->tail[end - 1] == '\n' || q->tail[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start && q->tail[start - 1] != '\n')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), q->tail + start);
}

/* Start argv with its stderr on a pipe (the read end into *err_fd): its pid, or -1 (said). */
static pid_t start_qemu(char **argv, int *err_fd)
{
    int errpipe[2];
    if (pipe(errpipe) != 0) {
        fprintf(stderr, "vqsim record: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "vqsim record: fork: %s\n", strerror(errno));
        close(errpipe[0]);
        close(errpipe[1]);
        return -1;
    }
    if (pid == 0) {
        close(errpipe[0]);
        dup2(errpipe[1], STDERR_FILENO);
        close(errpipe[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "vqsim record: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    *err_fd = errpipe[0];
    return pid;
}

/* Wait for QEMU to exit, passing its stderr on; SIGTERM at the time bound or a stop signal,
 * SIGKILL TERM_GRACE_MS later. 0, or -1 (said) when waitpid fails. */
static int wait_qemu(pid_t pid, double timeout_s, struct qemu_stderr *qe, struct qemu_run *run)
{
    int64_t start = now_ms(), term_at = -1;
    for (;;) {
        pid_t w = waitpid(pid, &run->status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "vqsim record: waitpid: %s\n", strerror(errno));
            return -1;
        }
        int64_t t = now_ms();
        if (term_at < 0 && (stop_signal || (timeout_s > 0 &&
                                            t - start >= (int64_t)(timeout_s * 1000)))) {
            kill(pid, SIGTERM); /* QEMU exits cleanly: the plugin's atexit flushes */
            term_at = t;
            run->end_flags |= VQREC_END_KILLED;
        } else if (term_at >= 0 && t - term_at > TERM_GRACE_MS) {
            kill(pid, SIGKILL);
            term_at = t + 1000000;
        }
        stderr_pump(qe, 5);
    }
}

int run_qemu(char **argv, double timeout_s, struct qemu_run *run)
{
    /* QEMU's stderr comes through a pipe: passed on as it comes, its end kept for the summary */
    struct qemu_stderr qe = {.fd = -1};
    *run = (struct qemu_run){0};
    pid_t pid = start_qemu(argv, &qe.fd);
    if (pid < 0)
        return -1;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = wait_qemu(pid, timeout_s, &qe, run);
    for (int64_t until = now_ms() + 2000; !rc && qe.fd >= 0 && now_ms() < until;)
        stderr_pump(&qe, 100); /* what QEMU wrote last (a child of its own may hold the pipe) */
    if (qe.fd >= 0)
        close(qe.fd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    run->stop_signal = stop_signal;
    last_line(&qe, run->said, sizeof(run->said));
    return rc;
}
