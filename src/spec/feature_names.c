/* feature_names.c — see feature_names.h. */
#include "spec/feature_names.h"

#include <stdbool.h>
#include <string.h>

#include "spec/virtio_blk.h"
#include "spec/virtio_net.h"
#include "spec/virtio_spec.h"

const struct feature_name feature_names[] = {
    {"virgl", VIRTIO_GPU_F_VIRGL},                 /* §5.7.3 */
    {"edid", VIRTIO_GPU_F_EDID},                   /* §5.7.3 */
    /* virtio-blk's (§5.2.3; bit 1, SIZE_MAX, is the gpu's edid: not named here) */
    {"blk_seg_max", VIRTIO_BLK_F_SEG_MAX},
    {"blk_geometry", VIRTIO_BLK_F_GEOMETRY},
    {"blk_ro", VIRTIO_BLK_F_RO},
    {"blk_blk_size", VIRTIO_BLK_F_BLK_SIZE},
    {"blk_scsi", VIRTIO_BLK_F_SCSI},
    {"blk_flush", VIRTIO_BLK_F_FLUSH},
    {"blk_topology", VIRTIO_BLK_F_TOPOLOGY},
    {"blk_config_wce", VIRTIO_BLK_F_CONFIG_WCE},
    {"blk_mq", VIRTIO_BLK_F_MQ},
    {"blk_discard", VIRTIO_BLK_F_DISCARD},
    {"blk_write_zeroes", VIRTIO_BLK_F_WRITE_ZEROES},
    {"notify_on_empty", VIRTIO_F_NOTIFY_ON_EMPTY}, /* legacy, §6.3 */
    {"any_layout", VIRTIO_F_ANY_LAYOUT},           /* legacy, §6.3 */
    {"indirect_desc", VIRTIO_RING_F_INDIRECT_DESC},/* §6 */
    {"event_idx", VIRTIO_RING_F_EVENT_IDX},        /* §6 */
    {"version_1", VIRTIO_F_VERSION_1},             /* §6 */
    {"access_platform", VIRTIO_F_ACCESS_PLATFORM}, /* §6 */
    {"ring_packed", VIRTIO_F_RING_PACKED},         /* §6 */
    {"in_order", VIRTIO_F_IN_ORDER},               /* §6 */
    {"order_platform", VIRTIO_F_ORDER_PLATFORM},   /* §6 */
    {"sr_iov", VIRTIO_F_SR_IOV},                   /* §6: PCI only */
    {"notification_data", VIRTIO_F_NOTIFICATION_DATA}, /* §6, §4.2.3.3 */
    {"ring_reset", VIRTIO_F_RING_RESET},           /* VirtIO 1.2 §6, §2.6.1 */
    /* the gpu's VirtIO 1.2 features (§5.7.3), after blk's: bits 2..4 are blk's too, and a name
     * looked up by bit on a gpu takes these (feature_name_of) */
    {"resource_uuid", VIRTIO_GPU_F_RESOURCE_UUID},
    {"resource_blob", VIRTIO_GPU_F_RESOURCE_BLOB},
    {"context_init", VIRTIO_GPU_F_CONTEXT_INIT},
    /* virtio-net's (§5.1.3), after the others: named by bit on a net device (feature_name_of);
     * the net_ name is taken in scenarios */
    {"net_csum", VIRTIO_NET_F_CSUM},
    {"net_guest_csum", VIRTIO_NET_F_GUEST_CSUM},
    {"net_mtu", VIRTIO_NET_F_MTU},
    {"net_mac", VIRTIO_NET_F_MAC},
    {"net_gso", VIRTIO_NET_F_GSO},
    {"net_guest_tso4", VIRTIO_NET_F_GUEST_TSO4},
    {"net_guest_tso6", VIRTIO_NET_F_GUEST_TSO6},
    {"net_guest_ufo", VIRTIO_NET_F_GUEST_UFO},
    {"net_host_tso4", VIRTIO_NET_F_HOST_TSO4},
    {"net_host_tso6", VIRTIO_NET_F_HOST_TSO6},
    {"net_host_ecn", VIRTIO_NET_F_HOST_ECN},
    {"net_host_ufo", VIRTIO_NET_F_HOST_UFO},
    {"net_mrg_rxbuf", VIRTIO_NET_F_MRG_RXBUF},
    {"net_status", VIRTIO_NET_F_STATUS},
    {"net_ctrl_vq", VIRTIO_NET_F_CTRL_VQ},
    {"net_ctrl_guest_offloads", VIRTIO_NET_F_CTRL_GUEST_OFFLOADS},
    {"net_guest_ecn", VIRTIO_NET_F_GUEST_ECN},
    {"net_ctrl_rx", VIRTIO_NET_F_CTRL_RX},
    {"net_ctrl_vlan", VIRTIO_NET_F_CTRL_VLAN},
    {"net_ctrl_rx_extra", VIRTIO_NET_F_CTRL_RX_EXTRA},
    {"net_guest_announce", VIRTIO_NET_F_GUEST_ANNOUNCE},
    {"net_mq", VIRTIO_NET_F_MQ},
    {"net_ctrl_mac_addr", VIRTIO_NET_F_CTRL_MAC_ADDR},
    {NULL, 0},
};

int feature_bit(const char *name)
{
    for (const struct feature_name *f = feature_names; f->name; f++)
        if (!strcmp(f->name, name))
            return (int)f->bit;
    return -1;
}

const char *feature_name(uint32_t bit)
{
    for (const struct feature_name *f = feature_names; f->name; f++)
        if (f->bit == bit)
            return f->name;
    return NULL;
}

/* The device a name of a device-specific bit belongs to: its prefix ("blk_…"), else the gpu's. */
static bool owned_by(const char *name, const char *device)
{
    static const char *const prefixed[] = {"blk", "net", "rng", "input", NULL};
    for (int i = 0; prefixed[i]; i++) {
        size_t n = strlen(prefixed[i]);
        if (!strncmp(name, prefixed[i], n) && name[n] == '_')
            return !strcmp(device, prefixed[i]);
    }
    return !strcmp(device, "gpu");
}

const char *feature_name_of(const char *device, uint32_t bit)
{
    for (const struct feature_name *f = feature_names; f->name; f++)
        if (f->bit == bit && (bit >= 24 || !device || owned_by(f->name, device)))
            return f->name;
    return NULL;
}
