/* record_cmd.h — `vqsim record`: run QEMU with the recording plugin (src/record/plugin/) and
 * write what the guest did to its virtio-mmio devices into a recording (recording.h).
 *
 *   vqsim record [-o FILE] [--timeout S] [--plugin PATH] [--log FILE] [--instrument MODE]
 *                -- qemu-system-aarch64 ARGS...
 *
 * It adds to the user's QEMU command line: the plugin, the trace events it reads values from
 * (QEMU's log in a private file), and guest RAM backed by a shared file (so the plugin can read
 * the values of ring accesses). The machine must be `virt` (RAM at 0x40000000); the RAM size
 * comes from -m (QEMU's default 128 MiB without one). It refuses command lines it cannot extend
 * safely: their own memory backend, -mem-path, -numa, a log file (-D), another machine.
 *
 * SIGINT / SIGTERM to vqsim record stop QEMU the same way as the time bound (SIGTERM, END
 * flagged KILLED), so Ctrl-C still leaves a finished recording.
 *
 * --instrument: stores-first (default: until the guest's first store to a virtio register other
 * than a device status only stores and barriers call back, its register reads before it come from QEMU's trace without a
 * pc: src/record/plugin/vqrec_plugin.c), all (every access from the start: slower), verify (as
 * all, and the recording's NOTE counts the stores of instructions stores-first would skip).
 *
 * Exit status: 0 the recording was written and ends with END (QEMU exited, or the time bound or
 * a signal stopped it: END says which); 1 QEMU exited with a non-zero status by itself (the recording is
 * still written); 2 usage error, a command line it refuses, or no recording (QEMU or the plugin
 * failed to start).
 */
#ifndef VQSIM_RECORD_CMD_H
#define VQSIM_RECORD_CMD_H

/* argv holds the arguments after "record". */
int cmd_record(int argc, char **argv);

/* The lines `vqsim --help` shows for this command (a literal, so main.c can splice it in). */
#define RECORD_USAGE                                                                             \
    "record [-o FILE] [--timeout S] [--plugin PATH] [--log FILE] [--instrument MODE]\n"          \
    "                 -- qemu-system-aarch64 ARGS...\n"                                          \
    "                 run QEMU (TCG, -M virt) with the recording plugin: every virtio-mmio\n"   \
    "                 access, ring load/store and barrier of the guest, in program order, to\n" \
    "                 FILE (default vqsim.rec); --timeout S stops QEMU after S seconds\n"        \
    "                 (SIGTERM); --log keeps QEMU's trace log; --plugin or $VQSIM_PLUGIN\n"      \
    "                 overrides where libvqrec.so is found (next to vqsim, then the install\n"  \
    "                 dir); --instrument all: every access called back from the start (pcs of\n" \
    "                 the register reads before the first register write other than a\n"      \
    "                 status; default stores-first)\n"

#endif /* VQSIM_RECORD_CMD_H */
