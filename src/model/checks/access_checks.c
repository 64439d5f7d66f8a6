/* access_checks.c — see access_checks.h: one hook, three families of checks. */
#include "model/checks/access_checks.h"

#include "model/checks/config_checks.h"
#include "model/machine.h"
#include "model/checks/mmio_checks.h"
#include "model/checks/notify_data_check.h"
#include "model/checks/queue_reset_check.h"
#include "model/checks/status_checks.h"
#include "model/checks/suspend_check.h"

bool access_checks_write_reg(struct machine *m, uint32_t off, uint32_t value, const char **note)
{
    config_checks_access(m, off, true, value);
    /* On PCI the virtio-mmio register rules do not apply: the access reached the core at its
     * equivalent register (pci_function.h), and pci_checks.c judged the PCI access itself. */
    bool apply = m->cfg.transport == TRANSPORT_PCI || mmio_checks_write(m, off, value, note);
    /* Status and init rules look at whole registers: not at an unaligned access. */
    if (apply && !(off % 4))
        apply = status_checks_write(m, off, value, note);
    if (apply && !(off % 4)) { /* VirtIO 1.2: one queue's reset, notification data; 1.4 */
        queue_reset_check_write(m, off, value);
        notify_data_check_write(m, off, value);
        suspend_check_write(m, off, value);
    }
    return apply;
}

/* QueueNotify: the same families in the same order as access_checks_write_reg, each through the
 * entry point it has for this register (a gate first: most notifies find nothing to say).
 * suspend_check has no rule about QueueNotify. */
bool access_checks_notify(struct machine *m, uint32_t value, const char **note)
{
    if (config_checks_want_write(&m->config_checks)) /* a write ends a run of config reads */
        config_checks_access(m, VIRTIO_MMIO_QUEUE_NOTIFY, true, value);
    if (m->cfg.transport == TRANSPORT_PCI)
        ; /* the virtio-mmio register rules do not apply (access_checks_write_reg) */
    else if (mmio_checks_probe_over(&m->mmio_checks))
        m->mmio_checks.n_access++; /* what mmio_checks_notify does then */
    else
        mmio_checks_notify(m, value); /* (never ignores it) */
    if (!status_checks_notify_quiet(&m->status_checks, m->dev.status) &&
        !status_checks_notify(m, value, note))
        return false; /* the strict profile ignores it */
    if (queue_reset_check_wants_notify(&m->qrc, value))
        queue_reset_check_notify(m, value);
    if (notify_data_check_wants(m->dev.version, m->dev.guest_features))
        notify_data_check_write(m, VIRTIO_MMIO_QUEUE_NOTIFY, value);
    return true;
}

void access_checks_read(struct machine *m, uint32_t off, uint32_t value)
{
    config_checks_access(m, off, false, value);
    if (m->cfg.transport != TRANSPORT_PCI)
        mmio_checks_read(m, off, value);
    status_checks_read(m, off, value);
    queue_reset_check_read(m, off, value);
}

void access_checks_finish(struct machine *m)
{
    notify_check_driver_waits(m); /* the driver stopped: a kick it still owed is missed */
    config_checks_finish(m);
    if (m->cfg.transport == TRANSPORT_PCI)
        pci_checks_finish(m);
    else
        mmio_checks_finish(m);
    status_checks_finish(m);
}
