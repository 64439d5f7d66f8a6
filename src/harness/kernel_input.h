/* kernel_input.h — the steps of an input scenario (input_events), done as a kernel does them
 * through the built-in driver (driver/virtio_input.h): the host plays the next events of the
 * scenario's script (device.input.events) into the device, and the events the driver receives
 * must be exactly those, in order. Plugged in through kernel_device.h.
 */
#ifndef KERNEL_INPUT_H
#define KERNEL_INPUT_H

#include "harness/kernel_device.h"

extern const struct kernel_device_ops kernel_input_ops;

#endif /* KERNEL_INPUT_H */
