/* mmio_checks.h — how the driver uses the virtio-mmio registers (§4.2.2.2, §4.2.3.1.1,
 * §4.2.3.4.1): defined offsets, directions, 32-bit aligned access, the probe (magic, version,
 * device id), the selector registers, QueueNum, queue registers while QueueReady is set, and the
 * interrupt status/acknowledge protocol.
 */
#ifndef MMIO_CHECKS_H
#define MMIO_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define MMIO_CHECK_QUEUES 3u

struct mmio_check_state {
    uint32_t n_access;          /* accesses seen since power-on */
    bool probe_done;            /* magic and version were read first (or that rule fired) */
    bool id_pending;            /* magic and version good: DeviceID must be read next */
    /* armed when the device showed a value that makes the driver ignore it; the next access
     * (other than re-reading the identification registers) decides */
    enum { IGNORE_NONE, IGNORE_MAGIC, IGNORE_VERSION, IGNORE_DEVICE_ID_0 } ignore;
    bool dev_sel_written, drv_sel_written; /* since the last reset */
    bool stop_pending[MMIO_CHECK_QUEUES];  /* QueueReady=0 written, not read back yet */
    bool isr_read_since_ack;    /* InterruptStatus read since the last InterruptACK */
    uint32_t isr_unacked;       /* bits InterruptStatus showed that no InterruptACK followed */
};

bool mmio_checks_write(struct machine *m, uint32_t off, uint32_t value, const char **note);
/* mmio_checks_write for QueueNotify (access_checks_notify): a writable register of both
 * versions, with no rule of its own here: the access counts toward the probe. Never ignored. */
bool mmio_checks_notify(struct machine *m, uint32_t value);
/* After the probe (nothing of it pending), an access only counts: what mmio_checks_notify does
 * then, inline (access_checks_notify). */
static inline bool mmio_checks_probe_over(const struct mmio_check_state *s)
{
    return s->ignore == IGNORE_NONE && s->probe_done && !s->id_pending;
}
void mmio_checks_read(struct machine *m, uint32_t off, uint32_t value);
void mmio_checks_finish(struct machine *m);

#endif /* MMIO_CHECKS_H */
