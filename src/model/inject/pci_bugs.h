/* pci_bugs.h — replayed virtio-pci driver bugs, applied at the bus between the real driver and
 * the PCI function (pci_function.h), as driver_bugs.h does for virtio-mmio. The driver source
 * stays correct; a scenario's `bugs:` names the bug:
 *   pci-wide-access      {field: common.NAME}  every write to that common-configuration field is
 *                        made 32 bits wide (a driver that writes every register with writel)
 *   pci-notify-no-multiplier                   the notify lands at notify.offset + queue_notify_off,
 *                        the multiplier forgotten (§4.1.4.4)
 *   pci-enable-early     {queue: Q}            queue_enable = 1 is written for queue Q before its
 *                        ring addresses (right before the driver's queue_desc write)
 *   pci-vector-no-readback {value: V}          right after each queue_size write the driver maps
 *                        the queue to vector V and never reads queue_msix_vector back
 *   pci-memory-off                            the command-register write leaves memory space
 *                        decoding off (the BARs never answer)
 *   pci-add-write        {field: common.NAME, value: V, after: common.NAME2}
 *                        right after each driver write to NAME2 the driver writes V to NAME (at
 *                        NAME's width)
 *   pci-add-cfg-write    {offset: O, value: V}  right after the driver's command-register write,
 *                        a 32-bit configuration-space write of V at O
 * Each rewritten or added access is marked in the trace with the bug's name.
 */
#ifndef PCI_BUGS_H
#define PCI_BUGS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

enum pci_bug_kind {
    PCI_BUG_WIDE_ACCESS,
    PCI_BUG_NOTIFY_NO_MULTIPLIER,
    PCI_BUG_ENABLE_EARLY,
    PCI_BUG_VECTOR_NO_READBACK,
    PCI_BUG_MEMORY_OFF,
    PCI_BUG_ADD_WRITE,
    PCI_BUG_ADD_CFG_WRITE,
};

#define PCI_BUG_MAX 6

struct pci_bug {
    enum pci_bug_kind kind;
    uint32_t field;    /* pci-wide-access, pci-add-write: the common-configuration offset */
    uint32_t field_size;
    uint32_t after;    /* pci-add-write: the field whose write it follows */
    uint32_t queue;    /* pci-enable-early */
    uint32_t value;    /* pci-vector-no-readback */
    const char *label; /* static: the bug's name */
};

struct pci_bug_list {
    struct pci_bug b[PCI_BUG_MAX];
    uint32_t n;
};

/* The kind named `name`, or -1; the name of a kind. */
int pci_bug_kind(const char *name);
const char *pci_bug_name(enum pci_bug_kind kind);

/* An access a bug adds before (or after) the driver's own (the HAL makes it). */
struct pci_added {
    bool has;
    bool after;        /* made after the driver's access (else before) */
    uint64_t addr;
    uint8_t size;
    uint32_t value;
};

/* A driver write of `size` bytes at *addr: true to go on with it (maybe rewritten: *bug then
 * names the bug), false when the bug dropped it. *add: a write the HAL makes first. */
bool pci_bugs_write(struct machine *m, uint64_t *addr, uint8_t *size, uint32_t *value,
                    const char **bug, struct pci_added *add);
/* A configuration-space write (the command register for pci-memory-off). *add: a write the HAL
 * makes after it (pci-add-cfg-write; addr is the offset). */
void pci_bugs_cfg_write(struct machine *m, uint32_t off, uint32_t *value, const char **bug,
                        struct pci_added *add);

#endif /* PCI_BUGS_H */
