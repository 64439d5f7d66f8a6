/* diagnosis_pci.c — the causes virtio-pci adds to a silent device (§4.1): BARs that never
 * answer because memory space decoding is off, and notifies that land on another queue's
 * address. Evidence from the run's facts (run_facts.h: the `pci` block), never from the trace. */
#include "model/diagnosis/diagnosis_internal.h"
#include "spec/virtio_pci.h"

/* Every access to the function's structures went nowhere: the command register's memory space
 * bit is off (PCI Local Bus 3.0 §6.2.2; the structures of §4.1.4 live in memory BARs). */
static bool memory_off(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct run_facts *rf = &m->facts;
    if (!rf->pci.decode_off || (m->pci.command & PCI_COMMAND_MEMORY))
        return false;
    struct diag_cause *c = diag_add(d, f, "pci-memory-decoding-off", "4.1.4",
                                    "Virtio Structure PCI Capabilities");
    if (!c)
        return true;
    diag_ev(c, "command", "0x%x", m->pci.command);
    if (rf->pci.command_written)
        diag_ev(c, "command_written_at_ns", "%llu", (unsigned long long)rf->pci.command_t);
    diag_ev(c, "accesses_unanswered", "%u", rf->pci.decode_off);
    diag_ev(c, "first_unanswered_at", "0x%llx at %llu ns",
            (unsigned long long)rf->pci.decode_off_addr, (unsigned long long)rf->pci.decode_off_t);
    diag_say(c, "The driver's %u access(es) to the function's BARs reached no device: memory space "
                "decoding is off in the command register (0x%x%s), so every read returned all "
                "ones and every write was lost. Set the command register's Memory Space bit "
                "(0x2), and Bus Master (0x4) for the rings, after assigning the BARs and before "
                "touching the virtio structures.", rf->pci.decode_off, m->pci.command,
             rf->pci.command_written ? ", as the driver last wrote it" : ", never written");
    return true;
}

/* The notify for the request's queue landed on another queue's notify address (§4.1.4.4:
 * cap.offset + queue_notify_off * notify_off_multiplier): the device looked at that queue. */
static void misnotify(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct run_facts *rf = &m->facts;
    uint32_t queue = f->rq->queue;
    if (!rf->pci.misnotify || rf->pci.misnotify_value != queue || f->notifies)
        return;
    struct diag_cause *c = diag_add(d, f, "pci-notify-wrong-offset", "4.1.4.4",
                                    "Notification structure layout");
    if (!c)
        return;
    uint32_t mult = m->pci.cfg[0x70 + 16] | (uint32_t)m->pci.cfg[0x70 + 17] << 8;
    diag_ev(c, "notify_offset", "0x%x", rf->pci.misnotify_off);
    diag_ev(c, "value_written", "%u", rf->pci.misnotify_value);
    diag_ev(c, "queue_reached", "%u", rf->pci.misnotify_queue);
    diag_ev(c, "notify_off_multiplier", "%u", mult);
    diag_ev(c, "expected_offset", "0x%x", queue * mult);
    diag_ev(c, "misdirected_notifies", "%u", rf->pci.misnotify);
    diag_say(c, "The driver notified queue %u at notify offset 0x%x, which is queue %u's "
                "address: the device takes the queue from the address, not from the value, and "
                "never looked at queue %u. The address is cap.offset + queue_notify_off * "
                "notify_off_multiplier (%u) = offset 0x%x (§4.1.4.4).", queue,
             rf->pci.misnotify_off, rf->pci.misnotify_queue, queue, mult, queue * mult);
}

bool diag_pci_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    if (m->cfg.transport != TRANSPORT_PCI)
        return false;
    if (memory_off(m, f, d))
        return true;
    misnotify(m, f, d);
    return false;
}
