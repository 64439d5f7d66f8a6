/* record_cmd.c — see record_cmd.h. */
#include "record/record_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/recording.h"

#ifndef VQSIM_PLUGIN_INSTALL_DIR
#define VQSIM_PLUGIN_INSTALL_DIR "/usr/local/lib/vqsim"
#endif
#define PLUGIN_NAME "libvqrec.so"
#define VIRT_RAM_BASE 0x40000000ull       /* QEMU `virt`: RAM starts at 1 GiB */
#define QEMU_DEFAULT_RAM (128ull << 20)   /* `virt` without -m */
#define TERM_GRACE_MS 5000                /* after SIGTERM, before SIGKILL */

/* Trace events the plugin reads: MMIO values, then the device side (informative). */
static const char trace_events[] =
    "trace:memory_region_ops_read,trace:memory_region_ops_write,trace:virtqueue_pop,"
    "trace:virtqueue_fill,trace:virtqueue_flush,trace:virtio_queue_notify,trace:virtio_notify,"
    "trace:virtio_mmio_setting_irq,guest_errors";

/* "-m 256M", "-m size=1G,slots=2,maxmem=4G", "-m 512" (MiB): bytes, 0 when unreadable. */
static uint64_t parse_ram_size(const char *s)
{
    const char *p = strstr(s, "size=");
    p = p ? p + 5 : s;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p || v == 0)
        return 0;
    uint64_t mult = 1ull << 20; /* QEMU: a bare number is MiB */
    switch (*end) {
    case 'k': case 'K': mult = 1ull << 10; end++; break;
    case 'M': case 'm': mult = 1ull << 20; end++; break;
    case 'G': case 'g': mult = 1ull << 30; end++; break;
    case 'T': case 't': mult = 1ull << 40; end++; break;
    case 'B': case 'b': mult = 1; end++; break;
    default: break;
    }
    if (*end && *end != ',')
        return 0;
    if (v > UINT64_MAX / mult)
        return 0;
    return v * mult;
}

static int is_opt(const char *a, const char *name)
{
    /* QEMU accepts -opt and --opt */
    if (a[0] == '-' && a[1] == '-')
        a++;
    return !strcmp(a, name);
}

/* Where libvqrec.so is: --plugin, $VQSIM_PLUGIN, next to this binary, the install dir. */
static int find_plugin(const char *given, char *out, size_t n)
{
    const char *env = getenv("VQSIM_PLUGIN");
    if (given || (env && *env)) {
        snprintf(out, n, "%s", given ? given : env);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char self[4096];
    ssize_t r = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (r > 0) {
        self[r] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            int len = snprintf(out, n, "%s/%s", self, PLUGIN_NAME);
            if (len > 0 && (size_t)len < n && access(out, R_OK) == 0) /* not a cut-off path */
                return 0;
        }
    }
    snprintf(out, n, "%s/%s", VQSIM_PLUGIN_INSTALL_DIR, PLUGIN_NAME);
    return access(out, R_OK) == 0 ? 0 : -1;
}

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

static void put_note(FILE *f, const char *text)
{
    static const uint8_t zero[8];
    uint32_t len = (uint32_t)strlen(text) + 1;
    struct vqrec_event e = {.kind = VQREC_NOTE, .cpu = VQREC_CPU_NONE, .len = len};
    fwrite(&e, sizeof(e), 1, f);
    fwrite(text, 1, len, f);
    fwrite(zero, 1, (8 - len % 8) % 8, f);
}

/* Append NOTEs (the command line; what QEMU last wrote to stderr) and END to the recording the
 * plugin wrote. */
static int finish_recording(const char *path, char **qargv, int qargc, uint64_t status,
                            uint8_t flags, const char *qemu_said)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return -1;
    struct vqrec_header h;
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, VQREC_MAGIC, 8)) {
        fclose(f);
        return -1;
    }
    /* Cut a partial last event (a plugin killed mid-write), so END follows a whole one. */
    if (fseek(f, 0, SEEK_END)) {
        fclose(f);
        return -1;
    }
    long size = ftell(f);
    long pos = (long)h.header_size, good = pos;
    while (pos + (long)sizeof(struct vqrec_event) <= size) {
        struct vqrec_event e;
        if (fseek(f, pos, SEEK_SET) || fread(&e, sizeof(e), 1, f) != 1)
            break;
        long next = pos + (long)sizeof(e) + (long)((e.len + 7u) & ~7u);
        if (next > size)
            break;
        pos = good = next;
    }
    if (good != size) {
        flags |= VQREC_END_TRUNCATED;
        if (ftruncate(fileno(f), good)) {
            fclose(f);
            return -1;
        }
    }
    fseek(f, good, SEEK_SET);
    char note[2048];
    size_t used = (size_t)snprintf(note, sizeof(note), "vqsim record --");
    for (int i = 0; i < qargc && used < sizeof(note); i++)
        used += (size_t)snprintf(note + used, sizeof(note) - used, " %s", qargv[i]);
    put_note(f, note);
    if (qemu_said && *qemu_said) {
        snprintf(note, sizeof(note), "qemu stderr: %s", qemu_said);
        put_note(f, note);
    }
    struct vqrec_event end = {.kind = VQREC_END, .cpu = VQREC_CPU_NONE, .flags = flags,
                              .value = status};
    fwrite(&end, sizeof(end), 1, f);
    return fclose(f) ? -1 : 0;
}

struct plan {
    char **argv; /* the QEMU command line we run */
    int argc;
    uint64_t ram_size;
    char *alloc[4]; /* the arguments we made, freed by free_plan */
};

static void free_plan(struct plan *p)
{
    for (int i = 0; i < 4; i++)
        free(p->alloc[i]);
    free(p->argv);
}

/* The user's QEMU command line plus what recording needs; -1 with a message when refused. */
static int make_plan(char **q, int qn, const char *plugin, const char *out, const char *log,
                     int punch, const char *ram_file, struct plan *p)
{
    int machine = -1, debug = -1;
    p->ram_size = QEMU_DEFAULT_RAM;
    for (int i = 1; i < qn; i++) {
        const char *a = q[i], *v = i + 1 < qn ? q[i + 1] : NULL;
        if ((is_opt(a, "-M") || is_opt(a, "-machine")) && v) {
            const char *type = v;
            v = !strncmp(v, "type=", 5) ? v + 5 : v;
            if (strncmp(v, "virt", 4) || (v[4] && v[4] != ',' && v[4] != '-')) {
                fprintf(stderr, "vqsim record: machine '%s': only QEMU's `virt` machine is "
                                "supported (its RAM starts at 0x40000000)\n", v);
                return -1;
            }
            if (strstr(v, "memory-backend=")) {
                fprintf(stderr, "vqsim record: the command line already sets a memory backend "
                                "(%s); vqsim record backs guest RAM with its own shared file\n", type);
                return -1;
            }
            machine = i + 1;
        } else if (is_opt(a, "-m") && v) {
            p->ram_size = parse_ram_size(v);
            if (!p->ram_size) {
                fprintf(stderr, "vqsim record: cannot work out the RAM size from '-m %s'\n", v);
                return -1;
            }
        } else if (is_opt(a, "-mem-path") || is_opt(a, "-numa") ||
                   (is_opt(a, "-object") && v && !strncmp(v, "memory-backend", 14))) {
            fprintf(stderr, "vqsim record: '%s %s' sets up guest RAM itself; vqsim record backs "
                            "guest RAM with its own shared file and cannot combine the two\n",
                    a, v ? v : "");
            return -1;
        } else if (is_opt(a, "-D")) {
            fprintf(stderr, "vqsim record: '-D' given: vqsim record needs QEMU's log file itself "
                            "(use --log FILE to keep it)\n");
            return -1;
        } else if (is_opt(a, "-d") && v) {
            debug = i + 1;
        } else if (is_opt(a, "-enable-kvm") || (is_opt(a, "-accel") && v && strncmp(v, "tcg", 3))) {
            fprintf(stderr, "vqsim record: TCG plugins need the TCG accelerator\n");
            return -1;
        }
    }
    if (machine < 0) {
        fprintf(stderr, "vqsim record: give the machine: -M virt\n");
        return -1;
    }
    p->argv = calloc((size_t)qn + 12, sizeof(char *));
    if (!p->argv)
        return -1;
    char *m = NULL, *d = NULL, *obj = NULL, *plug = NULL;
    int ok = asprintf(&m, "%s,memory-backend=vqrec-ram", q[machine]) >= 0;
    ok = asprintf(&d, "%s%s%s", debug >= 0 ? q[debug] : "", debug >= 0 ? "," : "",
                 trace_events) >= 0 && ok;
    ok = asprintf(&obj, "memory-backend-file,id=vqrec-ram,size=%" PRIu64 ",mem-path=%s,share=on",
                 p->ram_size, ram_file) >= 0 && ok;
    ok = asprintf(&plug, "%s,out=%s,log=%s,punch=%s,shm=%s,rambase=0x%llx,ramsize=0x%" PRIx64,
                  plugin, out, log, punch ? "on" : "off", ram_file, VIRT_RAM_BASE,
                  p->ram_size) >= 0 && ok;
    p->alloc[0] = ok ? m : NULL; /* asprintf leaves the pointer undefined on failure */
    p->alloc[1] = ok ? d : NULL;
    p->alloc[2] = ok ? obj : NULL;
    p->alloc[3] = ok ? plug : NULL;
    if (!ok)
        return -1;
    int n = 0;
    for (int i = 0; i < qn; i++)
        p->argv[n++] = i == machine ? m : i == debug ? d : q[i];
    p->argv[n++] = "-object";
    p->argv[n++] = obj;
    p->argv[n++] = "-plugin";
    p->argv[n++] = plug;
    p->argv[n++] = "-D";
    p->argv[n++] = (char *)log;
    if (debug < 0) {
        p->argv[n++] = "-d";
        p->argv[n++] = d;
    }
    p->argv[n] = NULL;
    p->argc = n;
    return 0;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "vqsim record: %s\nusage: vqsim " RECORD_USAGE, msg);
    return 2;
}

int cmd_record(int argc, char **argv)
{
    const char *out = "vqsim.rec", *plugin_arg = NULL, *keep_log = NULL;
    double timeout_s = 0;
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "-o") && v) {
            out = v;
        } else if (!strcmp(argv[i], "--timeout") && v) {
            char *end;
            timeout_s = strtod(v, &end);
            if (*end || !(timeout_s > 0) || timeout_s > 1e6)
                return usage_error("--timeout wants a positive number of seconds");
        } else if (!strcmp(argv[i], "--plugin") && v) {
            plugin_arg = v;
        } else if (!strcmp(argv[i], "--log") && v) {
            keep_log = v;
        } else {
            fprintf(stderr, "vqsim record: unknown or incomplete option '%s'\n", argv[i]);
            return usage_error("see above");
        }
        i++;
    }
    if (i >= argc || i + 1 >= argc)
        return usage_error("give the QEMU command after '--'");
    char **q = argv + i + 1;
    int qn = argc - i - 1;

    char plugin[4096];
    if (find_plugin(plugin_arg, plugin, sizeof(plugin))) {
        fprintf(stderr, "vqsim record: the recording plugin %s is not there (build it: make "
                        "build; or give --plugin PATH)\n", plugin);
        return 2;
    }
    char dir[] = "/dev/shm/vqrecXXXXXX", dir2[] = "/tmp/vqrecXXXXXX";
    char *work = mkdtemp(dir);
    if (!work)
        work = mkdtemp(dir2);
    if (!work) {
        fprintf(stderr, "vqsim record: no temporary directory: %s\n", strerror(errno));
        return 2;
    }
    char ram_file[256], log_file[256], out_abs[4096];
    snprintf(ram_file, sizeof(ram_file), "%s/ram", work);
    snprintf(log_file, sizeof(log_file), "%s/qemu.log", work);
    if (out[0] == '/' || !getcwd(out_abs, sizeof(out_abs) - strlen(out) - 2))
        snprintf(out_abs, sizeof(out_abs), "%s", out);
    else
        snprintf(out_abs + strlen(out_abs), sizeof(out_abs) - strlen(out_abs), "/%s", out);

    struct plan p = {0};
    int rc = 2;
    /* The plugin frees the log as it reads it, unless --log wants it whole. */
    if (make_plan(q, qn, plugin, out_abs, log_file, keep_log == NULL, ram_file, &p))
        goto cleanup;
    /* The RAM file exists at its full size before QEMU starts, so the plugin can map it. */
    int fd = open(ram_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)p.ram_size)) {
        fprintf(stderr, "vqsim record: %s: %s\n", ram_file, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto cleanup;
    }
    close(fd);
    unlink(out_abs); /* a stale recording must not pass for this run's */

    /* QEMU's stderr comes through a pipe: passed on as it comes, its end kept for the summary */
    struct qemu_stderr qe = {.fd = -1};
    int errpipe[2];
    if (pipe(errpipe) != 0) {
        fprintf(stderr, "vqsim record: pipe: %s\n", strerror(errno));
        goto cleanup;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "vqsim record: fork: %s\n", strerror(errno));
        close(errpipe[0]);
        close(errpipe[1]);
        goto cleanup;
    }
    if (pid == 0) {
        close(errpipe[0]);
        dup2(errpipe[1], STDERR_FILENO);
        close(errpipe[1]);
        execvp(p.argv[0], p.argv);
        fprintf(stderr, "vqsim record: cannot run %s: %s\n", p.argv[0], strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    qe.fd = errpipe[0];
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int64_t start = now_ms(), term_at = -1;
    int status = 0;
    uint8_t end_flags = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "vqsim record: waitpid: %s\n", strerror(errno));
            close(qe.fd);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            goto cleanup;
        }
        int64_t t = now_ms();
        if (term_at < 0 && (stop_signal || (timeout_s > 0 &&
                                            t - start >= (int64_t)(timeout_s * 1000)))) {
            kill(pid, SIGTERM); /* QEMU exits cleanly: the plugin's atexit flushes */
            term_at = t;
            end_flags |= VQREC_END_KILLED;
        } else if (term_at >= 0 && t - term_at > TERM_GRACE_MS) {
            kill(pid, SIGKILL);
            term_at = t + 1000000;
        }
        stderr_pump(&qe, 5);
    }
    for (int64_t until = now_ms() + 2000; qe.fd >= 0 && now_ms() < until;)
        stderr_pump(&qe, 100); /* what QEMU wrote last (a child of its own may hold the pipe) */
    if (qe.fd >= 0)
        close(qe.fd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    uint64_t qstatus = WIFEXITED(status) ? (uint64_t)WEXITSTATUS(status)
                                         : 128u + (uint64_t)WTERMSIG(status);
    char said[600];
    last_line(&qe, said, sizeof(said));
    bool failed = !(end_flags & VQREC_END_KILLED) && qstatus != 0;
    if (finish_recording(out_abs, q, qn, qstatus, end_flags, failed ? said : NULL)) {
        fprintf(stderr, "vqsim record: QEMU left no recording in %s (exit status %" PRIu64 "%s%s)\n",
                out, qstatus, *said ? ": " : "", said);
        goto cleanup;
    }
    if (failed)
        fprintf(stderr, "vqsim record: %s written, but QEMU failed: exit status %" PRIu64 "%s%s\n",
                out, qstatus, *said ? ": " : "", *said ? said : " (it printed nothing)");
    else
        fprintf(stderr, "vqsim record: %s written (QEMU %s %" PRIu64 ")\n", out,
                !(end_flags & VQREC_END_KILLED) ? "exited with status"
                : stop_signal                    ? "stopped on a signal to vqsim record, status"
                                                 : "stopped after the time bound, status", qstatus);
    rc = failed ? 1 : 0;
cleanup:
    if (keep_log) {
        char cmd[8192];
        FILE *src = fopen(log_file, "rb"), *dst = src ? fopen(keep_log, "wb") : NULL;
        size_t n;
        while (dst && (n = fread(cmd, 1, sizeof(cmd), src)) > 0)
            fwrite(cmd, 1, n, dst);
        if (dst)
            fclose(dst);
        if (src)
            fclose(src);
    }
    free_plan(&p);
    unlink(ram_file);
    unlink(log_file);
    rmdir(work);
    return rc;
}
