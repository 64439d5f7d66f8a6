/* input_device.h — the input device (VirtIO 1.1 §5.8) as QEMU 7.2's virtio-keyboard-device:
 * eventq and statusq of 64, no features of its own, the config QEMU's keyboard answers (name
 * "QEMU Virtio Keyboard", ids BUS_VIRTUAL 0627:0001 version 1, EV_BITS for EV_KEY — QEMU's
 * keymap and the script's keys —, EV_REP and EV_LED), a
 * configuration-change notification on every select write (virtio_input_set_config).
 *
 * The events are a script (machine_config.input_script): the host's side injects the next ones
 * with input_device_inject (a scenario's input_events step). As QEMU's virtio_input_send does,
 * events queue until a SYN_REPORT, then the whole batch goes to the eventq — one event per
 * buffer — only if enough buffers are available; else the whole batch is dropped (QEMU's
 * "queue full"). Nothing is sent before DRIVER_OK (QEMU's `active`). explain names dropped
 * batches and the buffers that were missing (cause no-buffers-posted).
 *
 * A replayed recording (vqsim check) fills as many eventq buffers as the guest saw used
 * (device_ops.host_fill): the script's next events, or events of unknown content.
 *
 * Known differences: a script key QEMU's keymap lacks is offered too (QEMU could not send it).
 */
#ifndef INPUT_DEVICE_H
#define INPUT_DEVICE_H

#include <stdint.h>

#include "model/device.h"
#include "spec/virtio_input.h"

extern const struct device_ops input_device_ops;

#define INPUT_QUEUE_SIZE 64u  /* QEMU 7.2: virtio_add_queue(vdev, 64, …) for both */
#define INPUT_MAX_SCRIPT 256u /* events a script may hold */

struct machine;

/* Inject the script's next `n` events (the host presses keys, moves the pointer): returns how
 * many were injected (fewer at the script's end), 0 when the machine's device is not an input
 * device. Delivered batches raise the used-buffer interrupt. */
uint32_t input_device_inject(struct machine *m, uint32_t n);

#endif /* INPUT_DEVICE_H */
