/* virtio_pci.h — the virtio-pci transport, driver side (VirtIO 1.1 §4.1), modern interface.
 *
 * vpci_probe finds the function's virtio structures on its capability list (§4.1.4), sizes the
 * BARs they live in and assigns them addresses inside the memory window the platform gives,
 * enables memory decoding, and makes `d->t` a struct virtio_transport (virtio_transport.h): a
 * device driver then uses it only through that interface. All access via virtio_hal.h:
 * configuration space through vhal_pci_cfg_*, the structures through vhal_mmio_* at the width of
 * each field (§4.1.3.1).
 *
 * What it does not do (yet): MSI-X (interrupts are INTx: the ISR status is read, which
 * acknowledges it, §4.1.4.5), the legacy I/O interface of a transitional device (a device
 * without the virtio capabilities is VIRTIO_ERR_NO_DEVICE: "fail gracefully", §4.1.5.1.1.1),
 * VIRTIO_F_NOTIFICATION_DATA.
 *
 * Nothing read from the device is trusted: a capability chain that loops or leaves the header,
 * a capability naming a reserved BAR, a structure shorter than the spec's or past its BAR, a
 * notify offset outside the notify structure, are each refused (or ignored, where §4.1.4.1 says
 * ignore) before an address is built from them.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"

#define VPCI_MAX_QUEUES 16u /* queues whose notify address the transport keeps */
#define VPCI_MAX_BARS 6u

/* Where one virtio structure lives (§4.1.4). */
struct vpci_region {
    bool found;
    uint8_t bar;
    uint32_t offset, length;
    uintptr_t addr; /* the BAR's assigned address + offset */
};

struct vpci {
    struct virtio_transport t; /* version 1 (the modern interface); device_id from the PCI id */
    uint32_t bdf;
    uint16_t pci_device_id;
    uint8_t revision;
    uint64_t bar_size[VPCI_MAX_BARS];  /* 0: not implemented */
    uintptr_t bar_addr[VPCI_MAX_BARS]; /* assigned (0: not assigned) */
    struct vpci_region common, notify, isr, device;
    uint32_t notify_off_multiplier;
    uint8_t msix_cap;                  /* config-space offset of the MSI-X capability, 0: none */
    uintptr_t notify_addr[VPCI_MAX_QUEUES];
    uint8_t status;                    /* what the driver last wrote */
};

/* The memory window BARs are assigned from (the host bridge's 32-bit MMIO space). */
struct vpci_window {
    uintptr_t base;
    uint64_t size;
};

/* Probe function `bdf`: vendor 0x1af4 and a modern (0x1040 + id) or transitional (0x1000..0x103f,
 * id from the subsystem id) device id (§4.1.2), the virtio capabilities (common, notify, ISR and
 * device configuration; the first of each type, §4.1.4.1), BARs sized and assigned from `win`,
 * memory decoding and bus mastering enabled. VIRTIO_ERR_NO_DEVICE: nothing there, not virtio, or
 * no virtio capabilities (a legacy-only device); VIRTIO_ERR_NOMEM: the BARs do not fit the
 * window; VIRTIO_ERR_BAD_CONFIG: a capability the driver cannot believe. */
int vpci_probe(struct vpci *d, uint32_t bdf, const struct vpci_window *win, uint64_t timeout_ns);

#endif /* VIRTIO_PCI_H */
