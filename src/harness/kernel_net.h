/* kernel_net.h — the steps of a network scenario (net_send, net_receive), done as a kernel does
 * them through the built-in driver (driver/virtio_net.h), each outcome checked by content: the
 * frame the device's sink got must be the frame sent (net_device_sent), byte for byte; the frames
 * the driver receives must be the packet source's (device.net.frames), in order. Plugged in
 * through kernel_device.h.
 */
#ifndef KERNEL_NET_H
#define KERNEL_NET_H

#include <stdint.h>

#include "harness/kernel_device.h"

extern const struct kernel_device_ops kernel_net_ops;

/* Byte i of the frame `{bytes: N, seed: S}` names (a source frame, a net_send): an Ethernet
 * header (broadcast destination, source 52:54:00 and the seed, EtherType 0x88b5, the IEEE's
 * local experimental one) then bytes of splitmix64 of the seed and the position. */
uint8_t kernel_net_frame_byte(uint32_t seed, uint32_t i);

#endif /* KERNEL_NET_H */
