/* queue_reset_check.c — see queue_reset_check.h. Rule ids: spec/rules.yaml (specver block). */
#include "model/checks/queue_reset_check.h"

#include <string.h>

#include "model/machine.h"
#include "model/transport/mmio_device.h"
#include "model/transport/mmio_queue_reset.h"
#include "spec/virtio_spec.h"

/* The area a queue register sets (bit of `written`), or -1. */
static int area_bit(uint32_t off)
{
    switch (off) {
    case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH: return 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return 1;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return 2;
    default: return -1;
    }
}

/* The driver touched queue q as if its reset were complete (`what`): said once per reset. */
static void too_early(struct machine *m, struct queue_reset_check *c, uint32_t q, const char *what,
                      uint32_t value)
{
    if (!c->awaiting[q] || c->told[q])
        return;
    c->told[q] = true;
    machine_violation(m, "mmio.queue-reset.wait-read-back", (int)q,
                      "queue %u: %s (0x%x) after writing 1 to QueueReset, before reading 0 back "
                      "from it: the reset may still be going on", q, what, value);
}

static void reenabled(struct machine *m, struct queue_reset_check *c, uint32_t q)
{
    static const char *const names[3] = {"QueueDesc", "QueueDriver", "QueueDevice"};
    char missing[64] = "";
    for (int b = 0; b < 3; b++)
        if (!(c->written[q] >> b & 1u)) {
            if (missing[0])
                strncat(missing, ", ", sizeof(missing) - strlen(missing) - 1);
            strncat(missing, names[b], sizeof(missing) - strlen(missing) - 1);
        }
    c->reenable[q] = false;
    c->missing[q] = (uint8_t)(~c->written[q] & 7u);
    c->reenabled_at[q] = m->now;
    if (missing[0])
        machine_violation(m, "virtqueue.reset.reenable-configure", (int)q,
                          "queue %u made ready again after its reset without %s written since: "
                          "the reset left 0 there, so the device takes its rings from address 0",
                          q, missing);
}

void queue_reset_check_notify(struct machine *m, uint32_t value)
{
    uint32_t vqn = value & 0xffffu;
    if (vqn < QR_CHECK_QUEUES)
        too_early(m, &m->qrc, vqn, "QueueNotify", value);
}

void queue_reset_check_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct queue_reset_check *c = &m->qrc;
    uint32_t q = m->dev.queue_sel;
    if (off == VIRTIO_MMIO_STATUS && value == 0) {
        memset(c, 0, sizeof(*c));
        return;
    }
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
        queue_reset_check_notify(m, value);
        return;
    }
    if (q >= QR_CHECK_QUEUES || !mmio_queue_reset_active(m))
        return;
    if (off == VIRTIO_MMIO_QUEUE_RESET && value == 1) {
        c->awaiting[q] = c->reenable[q] = true;
        c->told[q] = false;
        c->written[q] = 0;
        return;
    }
    int b = area_bit(off);
    bool setup = b >= 0 || off == VIRTIO_MMIO_QUEUE_NUM || off == VIRTIO_MMIO_QUEUE_READY;
    if (setup)
        too_early(m, c, q, mmio_reg_name(off), value);
    if (b >= 0)
        c->written[q] |= (uint8_t)(1u << b);
    if (off == VIRTIO_MMIO_QUEUE_READY && value && c->reenable[q])
        reenabled(m, c, q);
}

void queue_reset_check_read(struct machine *m, uint32_t off, uint32_t value)
{
    uint32_t q = m->dev.queue_sel;
    if (off == VIRTIO_MMIO_QUEUE_RESET && value == 0 && q < QR_CHECK_QUEUES)
        m->qrc.awaiting[q] = false; /* the driver saw the reset complete */
}
