/* recording_writer.h — the simulator writes a recording (recording.h) of its own run
 * (`vqsim run --record DIR`), so `vqsim check` can be proven faithful without QEMU: the driver's
 * accesses as they reached the bus (after replayed bugs — what a real CPU would have done), the
 * buffers the device is about to read at each queue notify, the device's own events, the end.
 *
 * The HAL (hal_sim.c) calls one hook per event, each behind `if (m->rec)`: with no writer
 * attached (every run but `--record`) a hook costs that one test, no call. A write error is remembered and reported when the
 * writer is closed; the run itself goes on unchanged.
 */
#ifndef RECORDING_WRITER_H
#define RECORDING_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

/* Start writing the machine's recording to `path` (header and the window); sets m->rec.
 * Returns 0, or -1 with the reason in err. */
int vqrec_writer_open(struct machine *m, const char *path, char *err, size_t errlen);
/* Write END and close; m->rec becomes NULL. Returns 0, or -1 when any write failed. */
int vqrec_writer_close(struct machine *m, int exit_status, char *err, size_t errlen);

/* Hooks (call them only when m->rec is set; they are no-ops otherwise): a register access that reached the device (`off` from the
 * window base, the value the CPU stored or got); a ring access (guest-physical); a barrier that
 * was executed (enum bc_barrier). */
void vqrec_on_mmio(struct machine *m, bool write, uint32_t off, uint32_t value);
void vqrec_on_ring(struct machine *m, bool store, uint64_t gpa, uint64_t value, uint8_t size);
void vqrec_on_barrier(struct machine *m, unsigned kind);
/* Guest RAM that holds something no recorded store put there (a replayed bug's leftover ring
 * contents): written as a MEMORY event, copied back without checks on replay. */
void vqrec_on_memory(struct machine *m, uint64_t gpa, uint64_t len);

#endif /* RECORDING_WRITER_H */
