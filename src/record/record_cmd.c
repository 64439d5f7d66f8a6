/* record_cmd.c — see record_cmd.h (record_cmd_internal.h lists the command's files). */
#include "record/record_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/record_cmd_internal.h"
#include "record/recording.h"

#ifndef VQSIM_PLUGIN_INSTALL_DIR
#define VQSIM_PLUGIN_INSTALL_DIR "/usr/local/lib/vqsim"
#endif
#define PLUGIN_NAME "libvqrec.so"

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

static int usage_error(const char *msg)
{
    fprintf(stderr, "vqsim record: %s\nusage: vqsim " RECORD_USAGE, msg);
    return 2;
}

/* What `vqsim record` was asked to do: its options, and the QEMU command line after "--". */
struct record_args {
    const char *out, *plugin_arg, *keep_log;
    const char *stores_first; /* --instrument: NULL (stores-first), "off" (all), "verify" */
    double timeout_s;
    char **q;
    int qn;
};

/* The options before "--": 0, or the exit status of a usage error (said). */
static int parse_args(int argc, char **argv, struct record_args *a)
{
    *a = (struct record_args){.out = "vqsim.rec"};
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "-o") && v) {
            a->out = v;
        } else if (!strcmp(argv[i], "--timeout") && v) {
            char *end;
            a->timeout_s = strtod(v, &end);
            if (*end || !(a->timeout_s > 0) || a->timeout_s > 1e6)
                return usage_error("--timeout wants a positive number of seconds");
        } else if (!strcmp(argv[i], "--plugin") && v) {
            a->plugin_arg = v;
        } else if (!strcmp(argv[i], "--log") && v) {
            a->keep_log = v;
        } else if (!strcmp(argv[i], "--instrument") && v) {
            if (strcmp(v, "stores-first") && strcmp(v, "all") && strcmp(v, "verify"))
                return usage_error("--instrument wants stores-first, all or verify");
            a->stores_first = !strcmp(v, "all") ? "off" : !strcmp(v, "verify") ? "verify" : NULL;
        } else {
            fprintf(stderr, "vqsim record: unknown or incomplete option '%s'\n", argv[i]);
            return usage_error("see above");
        }
        i++;
    }
    if (i >= argc || i + 1 >= argc)
        return usage_error("give the QEMU command after '--'");
    a->q = argv + i + 1;
    a->qn = argc - i - 1;
    return 0;
}

/* QEMU's exit status as the recording's END carries it (128 + the signal that killed it). */
static uint64_t exit_status(int status)
{
    return WIFEXITED(status) ? (uint64_t)WEXITSTATUS(status) : 128u + (uint64_t)WTERMSIG(status);
}

/* QEMU has run: finish the recording and say how it went. The exit status of vqsim record. */
static int report(const struct record_args *a, const char *out_abs, const struct qemu_run *run)
{
    uint64_t qstatus = exit_status(run->status);
    const char *said = run->said, *out = a->out;
    bool failed = !(run->end_flags & VQREC_END_KILLED) && qstatus != 0;
    if (finish_recording(out_abs, a->q, a->qn, qstatus, run->end_flags, failed ? said : NULL)) {
        fprintf(stderr, "vqsim record: QEMU left no recording in %s (exit status %" PRIu64 "%s%s)\n",
                out, qstatus, *said ? ": " : "", said);
        return 2;
    }
    if (failed)
        fprintf(stderr, "vqsim record: %s written, but QEMU failed: exit status %" PRIu64 "%s%s\n",
                out, qstatus, *said ? ": " : "", *said ? said : " (it printed nothing)");
    else
        fprintf(stderr, "vqsim record: %s written (QEMU %s %" PRIu64 ")\n", out,
                !(run->end_flags & VQREC_END_KILLED) ? "exited with status"
                : run->stop_signal ? "stopped on a signal to vqsim record, status"
                                   : "stopped after the time bound, status", qstatus);
    return failed ? 1 : 0;
}

/* --log FILE: QEMU's trace log, copied out of the work directory. */
static void keep_log(const char *log_file, const char *to)
{
    char buf[8192];
    FILE *src = fopen(log_file, "rb"), *dst = src ? fopen(to, "wb") : NULL;
    size_t n;
    while (dst && (n = fread(buf, 1, sizeof(buf), src)) > 0)
        fwrite(buf, 1, n, dst);
    if (dst)
        fclose(dst);
    if (src)
        fclose(src);
}

int cmd_record(int argc, char **argv)
{
    struct record_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    char plugin[4096];
    if (find_plugin(a.plugin_arg, plugin, sizeof(plugin))) {
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
    if (a.out[0] == '/' || !getcwd(out_abs, sizeof(out_abs) - strlen(a.out) - 2))
        snprintf(out_abs, sizeof(out_abs), "%s", a.out);
    else
        snprintf(out_abs + strlen(out_abs), sizeof(out_abs) - strlen(out_abs), "/%s", a.out);

    struct plan p = {0};
    struct qemu_run run;
    rc = 2;
    /* The plugin frees the log as it reads it, unless --log wants it whole. */
    if (make_plan(a.q, a.qn, plugin, out_abs, log_file, a.keep_log == NULL, ram_file,
                  a.stores_first, &p))
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
    if (run_qemu(p.argv, a.timeout_s, &run) == 0)
        rc = report(&a, out_abs, &run);
cleanup:
    if (a.keep_log)
        keep_log(log_file, a.keep_log);
    free_plan(&p);
    unlink(ram_file);
    unlink(log_file);
    rmdir(work);
    return rc;
}
