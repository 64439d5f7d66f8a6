/* recording_writer.h — the simulator writes a recording (recording.h) of its own run
 * (`vqsim run --record DIR`), so `vqsim check` can be proven faithful without QEMU: the driver's
 * accesses as they reached the bus (after replayed bugs — what a real CPU would have done), the
 * buffers the device is about to read at each queue notify, the device's own events, the end.
 *
 * The writer is the machine's observer (model/observer.h): it attaches itself when opened and
 * detaches when closed, and the model calls it at each access without knowing what it is. A
 * write error is remembered and reported when the writer is closed; the run itself goes on
 * unchanged.
 */
#ifndef RECORDING_WRITER_H
#define RECORDING_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct vqrec_writer;

/* Start writing the machine's recording to `path` (header and the window) and attach the writer
 * as m's observer. Returns the writer, or NULL with the reason in err. What it writes per event:
 * a register access that reached the device (`off` from the window base, the value the CPU
 * stored or got), a ring access (guest-physical), a barrier that was executed; before each, the
 * device's own events since the last one (notify, pop, fill, interrupt); at each QueueNotify,
 * the buffers of every chain published since the last; guest RAM that holds something no
 * recorded store put there (a replayed bug's leftover ring contents) as a MEMORY event, copied
 * back without checks on replay. */
struct vqrec_writer *vqrec_writer_open(struct machine *m, const char *path, char *err,
                                       size_t errlen);
/* Write the device's last events and END, close, detach from m and free w (NULL: nothing to
 * do). Returns 0, or -1 when any write failed (err says why). */
int vqrec_writer_close(struct vqrec_writer *w, struct machine *m, int exit_status, char *err,
                       size_t errlen);

#endif /* RECORDING_WRITER_H */
