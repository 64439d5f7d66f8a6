/* diagnosis_pci.c — the causes virtio-pci adds to a silent device (§4.1): BARs that never
 * answer because memory space decoding is off, and notifies that land on another queue's
 * address. Evidence from the run's facts (run_facts.h: the `pci` block), never from the trace. */
#include "model/diagnosis/diagnosis_internal.h"
#include <stdio.h>

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
    bool none = rf->pci.misnotify_queue == UINT32_MAX;
    char reached[48];
    snprintf(reached, sizeof(reached), none ? "none (ignored)" : "%u", rf->pci.misnotify_queue);
    diag_ev(c, "notify_offset", "0x%x", rf->pci.misnotify_off);
    diag_ev(c, "value_written", "%u", rf->pci.misnotify_value);
    diag_ev(c, "queue_reached", "%s", reached);
    diag_ev(c, "notify_off_multiplier", "%u", mult);
    diag_ev(c, "expected_offset", "0x%x", queue * mult);
    diag_ev(c, "misdirected_notifies", "%u", rf->pci.misnotify);
    diag_say(c, "The driver notified queue %u at notify offset 0x%x, %s: the device takes the "
                "queue from the address, not from the value, and never looked at queue %u. The "
                "address is cap.offset + queue_notify_off * notify_off_multiplier (%u) = offset "
                "0x%x (§4.1.4.4).", queue, rf->pci.misnotify_off,
             none ? "where the device refused the access (not aligned to its width)"
                  : "which is another queue's address", queue, mult, queue * mult);
}

/* MSI-X enabled, the queue's events mapped to no vector (a mapping the device refused, or none
 * made): the driver sleeps for an interrupt that is never sent (§4.1.5.1.2, §4.1.5.3). */
static void msix_no_vector(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct run_facts *rf = &m->facts;
    uint32_t queue = f->rq->queue;
    if (queue >= RF_QUEUES || !f->rq->driver.waits_for_interrupt || !rf->pci.msix_lost[queue] ||
        !(m->pci.msix_control & PCI_MSIX_FLAGS_ENABLE))
        return;
    struct diag_cause *c = diag_add(d, f, "pci-msix-no-vector", "4.1.5.1.2",
                                    "MSI-X Vector Configuration");
    if (!c)
        return;
    uint16_t v = queue < DEVICE_MAX_QUEUES ? m->pci.queue_vector[queue] : VIRTIO_MSI_NO_VECTOR;
    diag_ev(c, "msix_enabled", "yes");
    diag_ev(c, "queue_msix_vector", "0x%x", v);
    if (rf->pci.vector_written[queue])
        diag_ev(c, "vector_written", "%u", rf->pci.vector_value[queue]);
    diag_ev(c, "msix_table_size", "%u", m->pci.n_vectors);
    diag_ev(c, "interrupts_not_sent", "%u", rf->pci.msix_lost[queue]);
    diag_say(c, "The device used the request, but with MSI-X enabled an event is signalled only "
                "on the vector it is mapped to, and queue %u's queue_msix_vector reads 0x%x "
                "(VIRTIO_MSI_NO_VECTOR)%s: %u interrupt(s) were never sent, and the driver slept "
                "waiting for one. Map the queue to a vector below the table size (%u) and read "
                "queue_msix_vector back to check the device accepted it (§4.1.5.1.2.2).",
             queue, v, rf->pci.vector_written[queue] ? ": the device refused the vector written"
                                                     : ": no vector was mapped",
             rf->pci.msix_lost[queue], m->pci.n_vectors);
}

bool diag_pci_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    if (m->cfg.transport != TRANSPORT_PCI)
        return false;
    if (memory_off(m, f, d))
        return true;
    misnotify(m, f, d);
    msix_no_vector(m, f, d);
    return false;
}
