/* explain_pci.c — `vqsim explain --pci`: the virtio-pci function the model presents (the layout
 * of QEMU 7.2's virtio-gpu-pci), printed by walking its configuration space as a driver does:
 * ids, the capability chain from the capabilities pointer, each virtio structure's BAR, offset
 * and length, the common configuration's fields with their widths, and where each queue's
 * notify lands. Read from the model's own function (pci_function_init), never from a table of
 * its own, so what it teaches is what runs. */
#include <stdio.h>

#include "cli/explain.h"
#include "model/devices/device_registry.h"
#include "model/transport/pci_function.h"
#include "spec/virtio_pci.h"

static uint32_t rd(const struct pci_function *f, uint32_t off, uint32_t size)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    return v;
}

static const char *cfg_type_name(uint32_t t)
{
    switch (t) {
    case VIRTIO_PCI_CAP_COMMON_CFG: return "VIRTIO_PCI_CAP_COMMON_CFG  common configuration";
    case VIRTIO_PCI_CAP_NOTIFY_CFG: return "VIRTIO_PCI_CAP_NOTIFY_CFG  notifications";
    case VIRTIO_PCI_CAP_ISR_CFG: return "VIRTIO_PCI_CAP_ISR_CFG     ISR status";
    case VIRTIO_PCI_CAP_DEVICE_CFG: return "VIRTIO_PCI_CAP_DEVICE_CFG  device configuration";
    case VIRTIO_PCI_CAP_PCI_CFG: return "VIRTIO_PCI_CAP_PCI_CFG     PCI configuration access";
    default: return "reserved (a driver ignores it, §4.1.4.1)";
    }
}

static void print_cap(FILE *out, const struct pci_function *f, uint32_t at)
{
    uint32_t id = f->cfg[at];
    if (id == PCI_CAP_ID_MSIX) {
        uint32_t table = rd(f, at + PCI_MSIX_TABLE, 4), pba = rd(f, at + PCI_MSIX_PBA, 4);
        fprintf(out, "  0x%02x  MSI-X (id 0x11), table size %u: table BAR%u + 0x%x, PBA BAR%u + "
                     "0x%x\n        (§4.1.5.1.2)\n", at, (rd(f, at + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1,
                table & 7u, table & ~7u, pba & 7u, pba & ~7u);
        return;
    }
    if (id != PCI_CAP_ID_VNDR) {
        fprintf(out, "  0x%02x  capability id 0x%02x (not virtio)\n", at, id);
        return;
    }
    uint32_t type = f->cfg[at + 3];
    fprintf(out, "  0x%02x  vendor (id 0x09), cap_len %u: %s\n", at, f->cfg[at + 2],
            cfg_type_name(type));
    if (type == VIRTIO_PCI_CAP_PCI_CFG) {
        fprintf(out, "        bar/offset/length/pci_cfg_data are the driver's: a window into\n"
                     "        the BARs through configuration space (§4.1.4.7)\n");
        return;
    }
    fprintf(out, "        BAR%u + 0x%04x, length 0x%x", f->cfg[at + 4], rd(f, at + 8, 4),
            rd(f, at + 12, 4));
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
        fprintf(out, ", notify_off_multiplier %u", rd(f, at + 16, 4));
    fputc('\n', out);
}

static void print_common(FILE *out)
{
    fprintf(out, "\nCommon configuration (§4.1.4.3), each field accessed at its own width "
                 "(§4.1.3.1):\n");
    for (uint32_t off = 0; off < sizeof(struct virtio_pci_common_cfg); off++) {
        uint32_t size = 0;
        const char *name = pci_common_field_name(off, &size);
        if (name)
            fprintf(out, "  +0x%02x  %2u bits  %s\n", off, 8 * size, name + 7);
    }
}

int explain_pci(FILE *out)
{
    const struct device_ops *gpu = device_registry_find("gpu");
    if (!gpu)
        return 2;
    struct pci_function f;
    pci_function_init(&f, gpu);
    fprintf(out, "virtio-pci function %02x:%02x.%u, as QEMU 7.2's virtio-gpu-pci on the virt "
                 "machine\n(VirtIO 1.1 §4.1)\n", PCI_FN_BDF >> 8, (PCI_FN_BDF >> 3) & 0x1fu,
            PCI_FN_BDF & 7u);
    fprintf(out, "  vendor 0x%04x, device 0x%04x (0x1040 + virtio id %u), revision %u,\n"
                 "  subsystem 0x%04x:0x%04x (§4.1.2)\n", rd(&f, 0, 2), rd(&f, 2, 2),
            rd(&f, 2, 2) - VIRTIO_PCI_MODERN_BASE, f.cfg[PCI_CFG_REVISION], rd(&f, 0x2c, 2),
            rd(&f, 0x2e, 2));
    fprintf(out, "  BAR%u: 64-bit prefetchable memory, 0x%x bytes; BAR%u: 32-bit memory, 0x%x "
                 "bytes (MSI-X).\n  The driver sizes them (writes all ones, reads back), "
                 "assigns them, then sets\n  Memory Space (and Bus Master) in the command "
                 "register.\n",
            PCI_FN_MODERN_BAR, PCI_FN_MODERN_SIZE, PCI_FN_MSIX_BAR, PCI_FN_MSIX_SIZE);
    fprintf(out, "\nCapability chain (from the pointer at 0x34 = 0x%02x; status bit 4 says there "
                 "is one):\n", f.cfg[PCI_CFG_CAP_PTR]);
    int n = 0;
    for (uint32_t at = f.cfg[PCI_CFG_CAP_PTR] & 0xfcu; at && n < 48; n++) {
        print_cap(out, &f, at);
        at = f.cfg[at + 1] & 0xfcu;
    }
    print_common(out);
    uint32_t mult = rd(&f, PCI_FN_CAP_NOTIFY + 16, 4);
    fprintf(out, "\nNotify (§4.1.4.4): queue q at BAR%u + 0x%x + queue_notify_off(q) * %u;\n"
                 "QEMU's queue_notify_off(q) is q:\n", PCI_FN_MODERN_BAR, PCI_FN_NOTIFY_OFF, mult);
    for (uint32_t q = 0; q < gpu->n_queues; q++)
        fprintf(out, "  queue %u  BAR%u + 0x%04x, a 16-bit write of %u\n", q, PCI_FN_MODERN_BAR,
                PCI_FN_NOTIFY_OFF + q * mult, q);
    fprintf(out, "ISR (§4.1.4.5): BAR%u + 0x%04x, 8 bits, cleared by the read (the "
                 "acknowledgement;\nINTx).\n", PCI_FN_MODERN_BAR, PCI_FN_ISR_OFF);
    return 0;
}
