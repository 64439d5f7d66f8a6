/* feature_names.c — see feature_names.h. */
#include "spec/feature_names.h"

#include <string.h>

#include "spec/virtio_spec.h"

const struct feature_name feature_names[] = {
    {"virgl", VIRTIO_GPU_F_VIRGL},                 /* §5.7.3 */
    {"edid", VIRTIO_GPU_F_EDID},                   /* §5.7.3 */
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
