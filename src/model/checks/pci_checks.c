/* pci_checks.c — see pci_checks.h. */
#include "model/checks/pci_checks.h"

#include "model/machine.h"
#include "model/transport/pci_function.h"
#include "spec/virtio_pci.h"
#include "spec/virtio_spec.h"

/* §4.1.3.1: 8-bit fields 8 bits wide, 16-bit fields 16 bits wide, 32- and 64-bit fields 32 bits
 * wide (a 64-bit field's halves may be accessed apart), each at its own start. */
static void check_width(struct machine *m, const struct pci_hit *h, uint8_t size, bool write)
{
    uint32_t want = 0;
    const char *name = pci_common_field_name(h->off, &want);
    if (name && want == size)
        return;
    machine_violation(m, "pci.common-access-width", -1,
                      "a %u-bit %s at common-configuration offset 0x%x (%s): the field there "
                      "is %u bits wide and is accessed at that width (§4.1.3.1)",
                      8u * size, write ? "write" : "read", h->off,
                      name ? name : "inside a field", 8u * want);
}

/* A vector written and not read back is judged at the next write that relies on it. */
static void vector_unverified(struct machine *m, const char *what)
{
    struct pci_check_state *s = &m->pci_checks;
    if (!s->vector_pending)
        return;
    s->vector_pending = false;
    machine_violation(m, "pci.msix-vector-read-back", -1,
                      "%s written at t=%llu ns (queue_select %u) was never read back before %s: "
                      "the driver cannot know the device accepted the vector (§4.1.5.1.2.2)",
                      s->pending_field == 0x10 ? "msix_config" : "queue_msix_vector",
                      (unsigned long long)s->pending_at, s->pending_queue, what);
}

static void vector_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct pci_check_state *s = &m->pci_checks;
    vector_unverified(m, "the next vector write");
    uint32_t table = (uint32_t)(m->pci.cfg[PCI_FN_CAP_MSIX + PCI_MSIX_FLAGS] |
                                m->pci.cfg[PCI_FN_CAP_MSIX + PCI_MSIX_FLAGS + 1] << 8) &
                     PCI_MSIX_FLAGS_QSIZE;
    if (value != VIRTIO_MSI_NO_VECTOR && value > table)
        machine_violation(m, "pci.msix-vector-in-table", -1,
                          "vector %u written to %s: the MSI-X table has %u entries "
                          "(§4.1.5.1.2.2)", value, off == 0x10 ? "msix_config" :
                          "queue_msix_vector", table + 1);
    s->vector_pending = true;
    s->pending_field = off;
    s->pending_queue = m->dev.queue_sel;
    s->pending_at = m->now;
}

/* §4.1.4.3.2: the common configuration's write rules. */
static void common_write(struct machine *m, const struct pci_hit *h, uint32_t value)
{
    struct pci_check_state *s = &m->pci_checks;
    uint32_t q = m->dev.queue_sel;
    bool qok = q < DEVICE_MAX_QUEUES;
    switch (h->off) {
    case 0x04: case 0x12: case 0x15: case 0x1e:
        machine_violation(m, "pci.common-no-write-ro", -1, "a write of 0x%x to %s, which the "
                          "driver MUST NOT write (§4.1.4.3.2)", value, h->field);
        return;
    case 0x10: case 0x1a: vector_write(m, h->off, value & 0xffffu); return;
    case 0x16: vector_unverified(m, "queue_select moved on"); return;
    case 0x14:
        if ((value & 0xff) == 0)
            for (uint32_t i = 0; i < DEVICE_MAX_QUEUES; i++)
                s->enabled[i] = false;
        if (value & VIRTIO_STATUS_DRIVER_OK)
            vector_unverified(m, "DRIVER_OK");
        return;
    case 0x1c:
        vector_unverified(m, "queue_enable");
        if (value == 0)
            machine_violation(m, "pci.queue-enable-no-zero", -1, "0 written to queue_enable "
                              "of queue %u (§4.1.4.3.2: the driver MUST NOT)", q);
        else if (qok)
            s->enabled[q] = true;
        return;
    case 0x18:
        if ((value & (value - 1u)) != 0 && !((m->dev.guest_features >> VIRTIO_F_RING_PACKED) & 1))
            machine_violation(m, "pci.queue-size-pow2", -1, "queue_size %u written for queue %u: "
                              "not a power of 2 (§4.1.4.3.2)", value, q);
        break;
    default: break;
    }
    if (h->off >= 0x18 && h->off != 0x1e && qok && s->enabled[q])
        machine_violation(m, "pci.queue-enable-last", -1,
                          "%s of queue %u written after its queue_enable: the device took the "
                          "queue's configuration when it was enabled (§4.1.4.3.2)", h->field, q);
}

/* §4.1.4.4 / §4.1.5.2: a notify written elsewhere than its queue's address, at another width or
 * with another value (out of line: the common notify, every round trip's, is right). */
__attribute__((noinline, cold)) static void notify_misplaced(struct machine *m,
                                                            const struct pci_hit *h,
                                                            uint8_t size, uint32_t value)
{
    uint32_t mult = PCI_FN_NOTIFY_MULT;
    machine_violation(m, "pci.notify-address", (int)h->queue,
                      "a %u-bit notify of value %u at notify offset 0x%x: queue %u's notify "
                      "address is cap.offset + queue_notify_off (%u) * notify_off_multiplier (%u) "
                      "= offset 0x%x, written 16 bits wide with the queue's index (§4.1.4.4, "
                      "§4.1.5.2); the device takes the address's queue, %u", 8u * size, value,
                      h->off, value, value, mult, value * mult, h->queue);
}

/* An access to the common configuration (out of line: a notify, not this, is every round
 * trip's access). */
__attribute__((noinline)) static void common_access(struct machine *m, const struct pci_hit *h,
                                                    uint8_t size, bool write, uint32_t value)
{
    check_width(m, h, size, write);
    struct pci_check_state *s = &m->pci_checks;
    if (!write && s->vector_pending && h->off == s->pending_field &&
        (h->off == 0x10 || m->dev.queue_sel == s->pending_queue))
        s->vector_pending = false; /* read back: verified */
    if (write)
        common_write(m, h, value);
}

void pci_checks_access(struct machine *m, const struct pci_hit *h, uint8_t size, bool write,
                       uint32_t value)
{
    if (h->decode_off)
        return;
    if (h->region == PCI_R_COMMON)
        common_access(m, h, size, write, value);
    else if (h->region == PCI_R_NOTIFY && write) { /* §4.1.4.4 / §4.1.5.2: where and what */
        if (h->off % PCI_FN_NOTIFY_MULT != 0 || size != 2 || value != h->queue)
            notify_misplaced(m, h, size, value);
    }
}

void pci_checks_cfg_write(struct machine *m, uint32_t bdf, uint32_t off, uint32_t value)
{
    if (bdf != PCI_FN_BDF || off < 0x40 || off >= PCI_CFG_SIZE)
        return;
    off &= ~3u;
    /* §4.1.4.1: the virtio capabilities are the device's; only PCI-cfg's bar, offset, length
     * and data are the driver's to write (§4.1.4.7). */
    bool virtio_cap = off >= PCI_FN_CAP_COMMON && off < PCI_FN_CAP_MSIX;
    bool cfg_cap_fields = off >= PCI_FN_CAP_PCI_CFG + 4 && off < PCI_FN_CAP_PCI_CFG + 20;
    if (virtio_cap && !cfg_cap_fields)
        machine_violation(m, "pci.no-write-capability", -1,
                          "configuration-space write of 0x%x at 0x%x, inside a virtio capability "
                          "structure (§4.1.4.1)", value, off);
}

void pci_checks_finish(struct machine *m)
{
    if (m->cfg.transport == TRANSPORT_PCI)
        vector_unverified(m, "the run ended");
}
