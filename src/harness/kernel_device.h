/* kernel_device.h — the kernel of a device other than the gpu: what the runner (runner.c) calls
 * to run a scenario's steps on a blk, an entropy device, … through that device's built-in driver.
 * The gpu's kernel is kernel_steps.h (the runner's own); every other device type plugs in here
 * with one `struct kernel_device_ops` and one line in kernel_device.c's table.
 *
 * Contract: open (before the machine is bound to the thread: no driver call) reads what the
 * kernel needs from the scenario and returns its state, or NULL with the reason in `failure`;
 * init runs the driver's initialisation (§3.1.1) as the `init` step, on the transport the runner
 * probed (virtio-pci) or, NULL, on virtio-mmio at the scenario's mmio_base (the driver probes it);
 * step runs one step of the device's kinds; each returns the driver status and says in
 * sr->detail what was done, and a content check that fails (bytes, events, frames not what they
 * must be) writes `failure` (else leaves it empty). queue gives the driver's own view of its queue q (NULL: it has none);
 * broken says whether the driver latched itself broken and with which status; close frees.
 * step_queue (optional, NULL: queue 0) names the queue a step waits on, the one a silent step's
 * diagnosis looks at (a network device's net_send waits on its transmitq).
 */
#ifndef KERNEL_DEVICE_H
#define KERNEL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"
#include "harness/results.h"
#include "harness/scenario.h"

#define KERNEL_FAILURE_LEN 256

struct kernel_device_ops {
    const char *device;   /* the device type it drives (device_registry.h's name) */
    void *(*open)(const struct scenario *sc, char *failure);
    int (*init)(void *k, struct virtio_transport *t, struct step_result *sr, char *failure);
    int (*step)(void *k, const struct scenario_step *st, struct step_result *sr, char *failure);
    const struct virtq *(*queue)(const void *k, uint32_t q);
    bool (*broken)(const void *k, int *status);
    void (*close)(void *k);
    uint32_t (*step_queue)(const void *k, const struct scenario_step *st);
};

/* The kernel of device type `device`, or NULL (the gpu's, kernel_steps.h). */
const struct kernel_device_ops *kernel_device_find(const char *device);

#endif /* KERNEL_DEVICE_H */
