/* pci_checks.h — the driver's rules of virtio over PCI (VirtIO 1.1 §4.1), checked on every access
 * the PCI function decodes (pci_function.h) and every configuration-space write:
 *   pci.common-access-width      §4.1.3.1    each common-configuration field at its own width
 *   pci.common-no-write-ro       §4.1.4.3.2  no write to device_feature, num_queues,
 *                                            config_generation, queue_notify_off
 *   pci.queue-enable-last        §4.1.4.3.2  a queue's fields configured before queue_enable
 *   pci.queue-enable-no-zero     §4.1.4.3.2  never 0 written to queue_enable
 *   pci.queue-size-pow2          §4.1.4.3.2  queue_size a power of 2 (split ring)
 *   pci.notify-address           §4.1.4.4    a notify lands at cap.offset + queue_notify_off *
 *                                            notify_off_multiplier of the queue it names, 16 bits
 *                                            wide, carrying that queue's index (§4.1.5.2)
 *   pci.msix-vector-in-table     §4.1.5.1.2.2 no vector beyond the MSI-X table size
 *   pci.msix-vector-read-back    §4.1.5.1.2.2 a vector written is read back before it is relied
 *                                            on (before the next queue, queue_enable, or DRIVER_OK)
 *   pci.no-write-capability      §4.1.4.1    no write into a virtio capability (but PCI-cfg's)
 * Silent on a correct driver (tests/test_pci.py runs the gpu over PCI clean); each fires in a
 * scenario under scenarios/pci/.
 */
#ifndef PCI_CHECKS_H
#define PCI_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"

struct machine;
struct pci_hit;

struct pci_check_state {
    bool enabled[DEVICE_MAX_QUEUES];   /* queue_enable written 1 since the last reset */
    bool vector_pending;               /* a vector written, not read back yet */
    uint32_t pending_field;            /* its common-configuration offset (0x10 or 0x1a) */
    uint32_t pending_queue;            /* queue_select at the time (0x1a) */
    uint64_t pending_at;
};

void pci_checks_access(struct machine *m, const struct pci_hit *h, uint8_t size, bool write,
                       uint32_t value);
void pci_checks_cfg_write(struct machine *m, uint32_t bdf, uint32_t off, uint32_t value);
void pci_checks_finish(struct machine *m);

#endif /* PCI_CHECKS_H */
