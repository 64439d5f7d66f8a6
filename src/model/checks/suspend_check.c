/* suspend_check.c — see suspend_check.h. */
#include "model/checks/suspend_check.h"

#include "model/machine.h"
#include "spec/virtio_spec.h"

void suspend_check_write(struct machine *m, uint32_t off, uint32_t value)
{
    const struct mmio_device *d = &m->dev;
    if (off != VIRTIO_MMIO_STATUS || !(value & VIRTIO_STATUS_SUSPEND))
        return;
    bool negotiated = d->guest_features >> VIRTIO_F_SUSPEND & 1u;
    bool live = d->status & VIRTIO_STATUS_DRIVER_OK; /* Status before this write */
    if (negotiated && live)
        return;
    machine_violation(m, "status.suspend-negotiated", -1,
                      "Status 0x%02x sets SUSPEND (0x10)%s%s (Status was 0x%02x)", value,
                      negotiated ? "" : " without VIRTIO_F_SUSPEND negotiated",
                      live ? "" : ", on a device without DRIVER_OK", d->status);
}
