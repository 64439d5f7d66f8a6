/* record_cmd_internal.h — shared by the files of `vqsim record` (record_cmd.h):
 *   record_cmd.c            the command: its options, the plugin, the work files, the summary
 *   record_cmd_qemu_line.c  the QEMU command line it runs: the user's, checked, plus recording
 *   record_cmd_qemu_run.c   running QEMU: its stderr passed through, the time bound, signals
 *   record_cmd_finish.c     finishing the plugin's recording: NOTEs and END
 * Not part of the recording's interface.
 */
#ifndef VQSIM_RECORD_CMD_INTERNAL_H
#define VQSIM_RECORD_CMD_INTERNAL_H

#include <stdint.h>

struct plan {
    char **argv; /* the QEMU command line we run */
    int argc;
    uint64_t ram_size;
    char *alloc[4]; /* the arguments we made, freed by free_plan */
};

/* The user's QEMU command line (q[0..qn)) plus what recording needs: the plugin (its arguments:
 * out, log, punch, ram_file; storesfirst=`stores_first` unless NULL: "off" or "verify"), the
 * trace events, guest RAM on ram_file. 0, or -1 with a message on stderr when refused (another
 * machine than virt, its own RAM backend, -D, KVM…). */
int make_plan(char **q, int qn, const char *plugin, const char *out, const char *log,
              int punch, const char *ram_file, const char *stores_first, struct plan *p);
void free_plan(struct plan *p);

/* How QEMU's run ended. */
struct qemu_run {
    int status;          /* as waitpid gives it */
    uint8_t end_flags;   /* VQREC_END_KILLED when the time bound or a signal stopped it */
    int stop_signal;     /* the SIGINT / SIGTERM to vqsim record that stopped it, or 0 */
    char said[600];      /* the last non-empty line QEMU wrote to stderr ("" when none) */
};

/* Run argv (QEMU) to its end, its stderr passed on to ours as it comes; stopped by SIGTERM
 * (then SIGKILL) after timeout_s seconds (0: never) or at a SIGINT / SIGTERM to this process.
 * 0, or -1 with a message on stderr when QEMU could not be run or waited for. */
int run_qemu(char **argv, double timeout_s, struct qemu_run *run);

/* Append NOTEs (the command line; what QEMU last wrote to stderr, when not NULL) and END (status,
 * flags) to the recording the plugin wrote at path, cutting a partial last event. 0, or -1 when
 * there is no recording there. */
int finish_recording(const char *path, char **qargv, int qargc, uint64_t status, uint8_t flags,
                     const char *qemu_said);

#endif /* VQSIM_RECORD_CMD_INTERNAL_H */
