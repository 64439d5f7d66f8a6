/* virtio_pci.c — virtio-pci discovery (§4.1.2, §4.1.4): the ids, the capability list, the BARs.
 * The transport operations are in virtio_pci_ops.c. See virtio_pci.h. */
#include "driver/virtio_pci.h"

#include "driver/virtio_hal.h"
#include "spec/virtio_pci.h"

/* The transport operations (virtio_pci_ops.c). */
extern const struct virtio_transport_ops vpci_transport_ops;

static uint32_t cfg_rd(const struct vpci *d, uint32_t off)
{
    return vhal_pci_cfg_read32(d->bdf, off & ~3u);
}
static uint8_t cfg_rd8(const struct vpci *d, uint32_t off)
{
    return (uint8_t)(cfg_rd(d, off) >> (8 * (off & 3u)));
}

/* The command register is the low half of dword 1; its high half (status) is write-1-to-clear,
 * so the write carries zeros there. */
static void set_command(struct vpci *d, uint16_t cmd)
{
    vhal_pci_cfg_write32(d->bdf, PCI_CFG_COMMAND, cmd);
}

/* §4.1.2.2: vendor 0x1af4; device id 0x1040 + virtio id, or transitional 0x1000..0x103f with the
 * virtio id in the subsystem id (§4.1.2.3). Any revision. */
static int match_ids(struct vpci *d)
{
    uint32_t id = cfg_rd(d, PCI_CFG_VENDOR_ID);
    if ((id & 0xffffu) != VIRTIO_PCI_VENDOR)
        return VIRTIO_ERR_NO_DEVICE;
    d->pci_device_id = (uint16_t)(id >> 16);
    d->revision = cfg_rd8(d, PCI_CFG_REVISION);
    if (d->pci_device_id >= VIRTIO_PCI_MODERN_BASE && d->pci_device_id <= 0x107fu)
        d->t.device_id = d->pci_device_id - VIRTIO_PCI_MODERN_BASE;
    else if (d->pci_device_id >= VIRTIO_PCI_TRANS_FIRST && d->pci_device_id <= VIRTIO_PCI_TRANS_LAST)
        d->t.device_id = cfg_rd(d, PCI_CFG_SUBSYS_VENDOR) >> 16;
    else
        return VIRTIO_ERR_NO_DEVICE;
    return d->t.device_id ? VIRTIO_OK : VIRTIO_ERR_NO_DEVICE;
}

/* One virtio vendor capability at config offset `at` (§4.1.4). Reserved cfg_type or BAR values
 * are ignored (§4.1.4.1); of each type the first is used. */
static void take_virtio_cap(struct vpci *d, uint8_t at)
{
    uint32_t w0 = cfg_rd(d, at), w1 = cfg_rd(d, at + 4u);
    uint8_t cap_len = (uint8_t)(w0 >> 16), type = (uint8_t)(w0 >> 24), bar = (uint8_t)w1;
    if (bar >= VPCI_MAX_BARS || cap_len < sizeof(struct virtio_pci_cap))
        return;
    struct vpci_region *r = type == VIRTIO_PCI_CAP_COMMON_CFG   ? &d->common
                            : type == VIRTIO_PCI_CAP_NOTIFY_CFG ? &d->notify
                            : type == VIRTIO_PCI_CAP_ISR_CFG    ? &d->isr
                            : type == VIRTIO_PCI_CAP_DEVICE_CFG ? &d->device
                                                                : NULL;
    if (!r || r->found)
        return;
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        if (cap_len < sizeof(struct virtio_pci_notify_cap))
            return;
        d->notify_off_multiplier = cfg_rd(d, at + 16u);
    }
    r->found = true;
    r->bar = bar;
    r->offset = cfg_rd(d, at + 8u);
    r->length = cfg_rd(d, at + 12u);
}

/* Walk the capability list (bounded: 48 entries fit in the 192 bytes after the header; a loop or
 * a pointer into the header ends the walk as a device the driver cannot believe). */
static int walk_caps(struct vpci *d)
{
    if (!((cfg_rd(d, PCI_CFG_COMMAND) >> 16) & PCI_STATUS_CAP_LIST))
        return VIRTIO_ERR_NO_DEVICE; /* no capabilities: a legacy device (§4.1.5.1.1.1) */
    uint8_t at = cfg_rd8(d, PCI_CFG_CAP_PTR) & 0xfcu;
    for (int n = 0; at; n++) {
        if (n >= 48 || at < 0x40u)
            return VIRTIO_ERR_BAD_CONFIG;
        uint32_t w0 = cfg_rd(d, at);
        if ((w0 & 0xffu) == PCI_CAP_ID_VNDR)
            take_virtio_cap(d, at);
        else if ((w0 & 0xffu) == PCI_CAP_ID_MSIX && !d->msix_cap)
            d->msix_cap = at;
        at = (uint8_t)(w0 >> 8) & 0xfcu;
    }
    /* Non-transitional and transitional drivers alike: no virtio capabilities, no modern
     * interface (§4.1.5.1.1.1); this driver has no legacy interface, so it stops here. */
    if (!d->common.found || !d->notify.found || !d->isr.found)
        return VIRTIO_ERR_NO_DEVICE;
    return VIRTIO_OK;
}

/* Size BAR i (memory space decoding is off while it is sized). 64-bit BARs take i + 1 too. */
static void size_bar(struct vpci *d, uint32_t i)
{
    uint32_t off = PCI_CFG_BAR0 + 4u * i;
    uint32_t orig = cfg_rd(d, off);
    if (orig & PCI_BAR_IO) /* an I/O BAR: the legacy interface, not used by this driver */
        return;
    vhal_pci_cfg_write32(d->bdf, off, 0xffffffffu);
    uint64_t mask = cfg_rd(d, off) & PCI_BAR_MEM_MASK;
    bool is64 = (orig & 0x6u) == PCI_BAR_MEM_TYPE_64 && i + 1 < VPCI_MAX_BARS;
    if (is64) {
        vhal_pci_cfg_write32(d->bdf, off + 4u, 0xffffffffu);
        mask |= (uint64_t)cfg_rd(d, off + 4u) << 32;
    } else {
        mask |= 0xffffffff00000000ull;
    }
    d->bar_size[i] = mask ? (~mask + 1u) : 0;
}

/* Give BAR i an address in the window, naturally aligned. */
static int assign_bar(struct vpci *d, uint32_t i, uintptr_t *next, const struct vpci_window *w)
{
    uint64_t size = d->bar_size[i];
    uintptr_t at = (uintptr_t)((*next + size - 1u) & ~(size - 1u));
    if (at < w->base || at - w->base + size > w->size)
        return VIRTIO_ERR_NOMEM;
    uint32_t off = PCI_CFG_BAR0 + 4u * i;
    bool is64 = (cfg_rd(d, off) & 0x6u) == PCI_BAR_MEM_TYPE_64;
    vhal_pci_cfg_write32(d->bdf, off, (uint32_t)at);
    if (is64)
        vhal_pci_cfg_write32(d->bdf, off + 4u, (uint32_t)((uint64_t)at >> 32));
    d->bar_addr[i] = at;
    *next = at + (uintptr_t)size;
    return VIRTIO_OK;
}

/* The structure lies inside its BAR and is at least `need` bytes long (§4.1.4.1: the driver
 * handles a larger length, and may check it is large enough). */
static int place(struct vpci *d, struct vpci_region *r, uint32_t need)
{
    if (!r->found)
        return VIRTIO_OK;
    uint64_t size = d->bar_size[r->bar];
    if (r->length < need || (uint64_t)r->offset + r->length > size)
        return VIRTIO_ERR_BAD_CONFIG;
    r->addr = d->bar_addr[r->bar] + r->offset;
    return VIRTIO_OK;
}

static int map_bars(struct vpci *d, const struct vpci_window *w)
{
    set_command(d, 0); /* §PCI: no decoding while BARs move */
    bool used[VPCI_MAX_BARS] = {false};
    used[d->common.bar] = used[d->notify.bar] = used[d->isr.bar] = true;
    if (d->device.found)
        used[d->device.bar] = true;
    uintptr_t next = w->base;
    for (uint32_t i = 0; i < VPCI_MAX_BARS; i++) {
        if (!used[i])
            continue;
        size_bar(d, i);
        if (d->bar_size[i] == 0)
            return VIRTIO_ERR_BAD_CONFIG; /* a structure in a BAR the device does not have */
        int rc = assign_bar(d, i, &next, w);
        if (rc != VIRTIO_OK)
            return rc;
    }
    int rc;
    if ((rc = place(d, &d->common, sizeof(struct virtio_pci_common_cfg))) != VIRTIO_OK ||
        (rc = place(d, &d->notify, 2)) != VIRTIO_OK || (rc = place(d, &d->isr, 1)) != VIRTIO_OK ||
        (rc = place(d, &d->device, 4)) != VIRTIO_OK)
        return rc;
    set_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return VIRTIO_OK;
}

int vpci_probe(struct vpci *d, uint32_t bdf, const struct vpci_window *win, uint64_t timeout_ns)
{
    if (!d || !win || win->size == 0)
        return VIRTIO_ERR_INVALID;
    struct vpci z = {0};
    *d = z;
    d->bdf = bdf;
    d->t.timeout_ns = timeout_ns ? timeout_ns : 1000000000ull;
    d->t.version = 1;
    int rc;
    if ((rc = match_ids(d)) != VIRTIO_OK || (rc = walk_caps(d)) != VIRTIO_OK ||
        (rc = map_bars(d, win)) != VIRTIO_OK)
        return rc;
    d->t.ops = &vpci_transport_ops;
    return VIRTIO_OK;
}
