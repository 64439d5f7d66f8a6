/* guest_net.h — a net scenario's steps on real QEMU (guest_net.c), for guest_devices.c. */
#ifndef VQ_GUEST_NET_H
#define VQ_GUEST_NET_H

#include "guest_devices.h"

int gnet_init(const struct vqst_table *t, struct virtio_transport *transport, uint32_t *version);
int gnet_step(const struct vqst_step *st, struct gdev_result *out);
void gnet_announce(const struct vqst_step *st);

#endif /* VQ_GUEST_NET_H */
