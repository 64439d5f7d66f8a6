/* virtio_pci.h — the wire formats of virtio over PCI (VirtIO 1.1 §4.1) that both sides of the
 * seam share: PCI configuration space offsets the transport needs, the virtio vendor capability
 * (§4.1.4), the common configuration structure (§4.1.4.3), the MSI-X capability and table, and
 * the legacy I/O layout of a transitional device (§4.1.4.8). Every size and offset the spec gives
 * is asserted. Freestanding: only <stdint.h> and <stddef.h>.
 */
#ifndef VIRTIO_PCI_SPEC_H
#define VIRTIO_PCI_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* ---- §4.1.2 PCI device discovery ---------------------------------------------------------- */
#define VIRTIO_PCI_VENDOR 0x1af4u
#define VIRTIO_PCI_MODERN_BASE 0x1040u   /* modern device id = 0x1040 + virtio device id */
#define VIRTIO_PCI_TRANS_FIRST 0x1000u   /* transitional ids 0x1000..0x103f (§4.1.2.1) */
#define VIRTIO_PCI_TRANS_LAST 0x103fu

/* ---- PCI configuration space (PCI Local Bus 3.0, type 0 header) --------------------------- */
#define PCI_CFG_VENDOR_ID 0x00u   /* 16 */
#define PCI_CFG_DEVICE_ID 0x02u   /* 16 */
#define PCI_CFG_COMMAND 0x04u     /* 16 */
#define PCI_CFG_STATUS 0x06u      /* 16 */
#define PCI_CFG_REVISION 0x08u    /* 8 */
#define PCI_CFG_CLASS 0x09u       /* 24: prog-if, subclass, class */
#define PCI_CFG_HEADER_TYPE 0x0eu
#define PCI_CFG_BAR0 0x10u        /* six 32-bit BARs */
#define PCI_CFG_SUBSYS_VENDOR 0x2cu
#define PCI_CFG_SUBSYS_ID 0x2eu
#define PCI_CFG_CAP_PTR 0x34u
#define PCI_CFG_INT_LINE 0x3cu
#define PCI_CFG_INT_PIN 0x3du
#define PCI_CFG_SIZE 256u

#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_COMMAND_MASTER 0x4u
#define PCI_COMMAND_INTX_DISABLE 0x400u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_STATUS_INTERRUPT 0x8u

#define PCI_BAR_IO 0x1u
#define PCI_BAR_MEM_TYPE_64 0x4u
#define PCI_BAR_MEM_PREFETCH 0x8u
#define PCI_BAR_MEM_MASK 0xfffffff0u
#define PCI_BAR_IO_MASK 0xfffffffcu

#define PCI_CAP_ID_MSIX 0x11u
#define PCI_CAP_ID_VNDR 0x09u

/* ---- §4.1.4 Virtio structure PCI capabilities --------------------------------------------- */
#define VIRTIO_PCI_CAP_COMMON_CFG 1u
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2u
#define VIRTIO_PCI_CAP_ISR_CFG 3u
#define VIRTIO_PCI_CAP_DEVICE_CFG 4u
#define VIRTIO_PCI_CAP_PCI_CFG 5u

struct virtio_pci_cap {
    uint8_t cap_vndr;   /* PCI_CAP_ID_VNDR */
    uint8_t cap_next;
    uint8_t cap_len;
    uint8_t cfg_type;   /* VIRTIO_PCI_CAP_* */
    uint8_t bar;        /* 0..5; 0x6..0xff reserved (§4.1.4) */
    uint8_t padding[3];
    uint32_t offset;    /* within the BAR */
    uint32_t length;
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "§4.1.4: virtio_pci_cap is 16 bytes");
_Static_assert(offsetof(struct virtio_pci_cap, cfg_type) == 3, "§4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, bar) == 4, "§4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, offset) == 8, "§4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, length) == 12, "§4.1.4");

struct virtio_pci_notify_cap { /* §4.1.4.4 */
    struct virtio_pci_cap cap;
    uint32_t notify_off_multiplier;
};
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "§4.1.4.4");

struct virtio_pci_cfg_cap { /* §4.1.4.7 */
    struct virtio_pci_cap cap;
    uint8_t pci_cfg_data[4];
};
_Static_assert(sizeof(struct virtio_pci_cfg_cap) == 20, "§4.1.4.7");

/* ---- §4.1.4.3 Common configuration structure layout ---------------------------------------- */
struct virtio_pci_common_cfg {
    uint32_t device_feature_select; /* read-write */
    uint32_t device_feature;        /* read-only for driver */
    uint32_t driver_feature_select; /* read-write */
    uint32_t driver_feature;        /* read-write */
    uint16_t msix_config;           /* read-write */
    uint16_t num_queues;            /* read-only for driver */
    uint8_t device_status;          /* read-write */
    uint8_t config_generation;      /* read-only for driver */
    uint16_t queue_select;          /* read-write */
    uint16_t queue_size;            /* read-write */
    uint16_t queue_msix_vector;     /* read-write */
    uint16_t queue_enable;          /* read-write */
    uint16_t queue_notify_off;      /* read-only for driver */
    uint64_t queue_desc;            /* read-write */
    uint64_t queue_driver;          /* read-write */
    uint64_t queue_device;          /* read-write */
};
#define VPCI_COMMON(field) ((uint32_t)offsetof(struct virtio_pci_common_cfg, field))
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 56, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, msix_config) == 0x10, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_status) == 0x14, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, config_generation) == 0x15, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_select) == 0x16, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_enable) == 0x1c, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_notify_off) == 0x1e, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc) == 0x20, "§4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_device) == 0x30, "§4.1.4.3");

/* §4.1.4.5 ISR status bits */
#define VIRTIO_PCI_ISR_QUEUE 0x1u
#define VIRTIO_PCI_ISR_CONFIG 0x2u

/* ---- §4.1.5.1.2 MSI-X -------------------------------------------------------------------- */
#define VIRTIO_MSI_NO_VECTOR 0xffffu
#define PCI_MSIX_FLAGS 2u            /* message control, 16 bits, at cap + 2 */
#define PCI_MSIX_FLAGS_QSIZE 0x07ffu /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL 0x4000u
#define PCI_MSIX_FLAGS_ENABLE 0x8000u
#define PCI_MSIX_TABLE 4u            /* BIR (bits 2:0) and offset, at cap + 4 */
#define PCI_MSIX_PBA 8u
#define PCI_MSIX_ENTRY_SIZE 16u      /* address lo, address hi, data, vector control */
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1u

/* ---- §4.1.4.8 Legacy interface: the I/O BAR 0 layout of a transitional device -------------- */
#define VIRTIO_PCI_LEGACY_HOST_FEATURES 0x00u  /* 32, RO */
#define VIRTIO_PCI_LEGACY_GUEST_FEATURES 0x04u /* 32 */
#define VIRTIO_PCI_LEGACY_QUEUE_PFN 0x08u      /* 32 */
#define VIRTIO_PCI_LEGACY_QUEUE_NUM 0x0cu      /* 16, RO */
#define VIRTIO_PCI_LEGACY_QUEUE_SEL 0x0eu      /* 16 */
#define VIRTIO_PCI_LEGACY_QUEUE_NOTIFY 0x10u   /* 16 */
#define VIRTIO_PCI_LEGACY_STATUS 0x12u         /* 8 */
#define VIRTIO_PCI_LEGACY_ISR 0x13u            /* 8 */
#define VIRTIO_PCI_LEGACY_CONFIG 0x14u         /* device config, MSI-X disabled */
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX 0x18u    /* device config, MSI-X enabled */

#endif /* VIRTIO_PCI_SPEC_H */
