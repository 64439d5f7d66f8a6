/* device.h — the contract between the machine and a device model: what a virtio device type
 * (the gpu, block, entropy, input and network devices) implements so that the machine, the
 * virtio-mmio transport and the ring code run it without naming it.
 *
 * A device type is one `struct device_ops` (static, constant): its identity, what it offers, and
 * the functions the machine and the transport call. The machine holds one device: the ops and the
 * state pointer their `create` returned (struct device). The built-in types are listed by name in
 * model/devices/device_registry.c; a scenario's machine names one (machine_config.device), or a
 * caller hands a type of its own (machine_config.device_ops: a unit test's).
 *
 * Contract (who calls what, and when):
 * - create: machine_init, once, before the transport is set up. It reads the machine_config
 *   fields that are its own (the gpu: display sizes, extra scanouts) and returns 0 with *state
 *   set, or -1 when it cannot (out of memory): machine_init then fails, nothing left allocated.
 * - offered_features: machine_init, once: the feature bits QEMU 7.2's device offers on a
 *   virtio-mmio transport of `transport_version` (1 legacy, 2 modern), transport bits included
 *   (device_qemu_common_features). A scenario's offer_add / offer_remove apply on top.
 * - reset: the transport, on every device reset (Status 0; QueuePFN 0 on a legacy device; an
 *   injected reset), after the register file and every queue were reset. The device drops what
 *   it holds for the driver; requests taken and not answered are lost (the transport counted
 *   them). What QEMU's reset keeps (the gpu's events_read) it keeps.
 * - config_read / config_write: the transport, for a 32-bit access at byte `off` (0..0xfc, a
 *   multiple of 4) of the device-specific configuration space (§4.2.2, window offset 0x100). The
 *   transport's accesses are 32 bits wide, so a device's config fields are 32-bit words;
 *   `config_size` says how many bytes of them there are (an access past it is a driver's
 *   violation, mmio.no-undefined-offsets, and still reaches the device, as QEMU's does). An
 *   offset the device does not define reads 0; a write it ignores sets *note to a static string
 *   saying why (else leaves it NULL). Injected garbage-config faults are applied by the transport
 *   after config_read. A write that breaks a rule of the device's own may record a violation.
 * - config_change (optional, NULL: nothing of the device's own changes): the host changes the
 *   configuration (a scenario's device.config_change). The device updates its config fields and
 *   returns the trace text that says what changed; the transport then advances ConfigGeneration
 *   and raises the configuration-change interrupt, after DRIVER_OK as QEMU does
 *   (mmio_device_notify_config, §4.2.2). A device that changes its config on its own (the gpu's
 *   display changing mode) calls mmio_device_notify_config itself.
 * - process_queue: the machine (machine_process_queue), when queue qi's work falls due — a
 *   notify after the device's latency, a held answer falling due (machine_advance), a weak-memory
 *   moment of the barrier analysis — with qi < n_queues. The device takes chains with ring_pop
 *   until it returns anything but RING_OK (empty, broken, or a replay's pace), reads and writes
 *   their buffers with sr_read / sr_write and returns each with ring_push, as QEMU's handler does
 *   (rings/ring.h: the ring format checks the ring rules, not the device). It returns how many
 *   ring_push calls returned true (answers published now); the machine then raises one
 *   used-buffer interrupt if that is not 0. It never raises an interrupt itself.
 * - destroy: machine_destroy, once, with the state create returned.
 * - explain (optional, NULL: nothing to say): the diagnosis (diagnosis_device.c), when a request
 *   on queue qi got no answer and no cause of the transport's or the ring's explains it: the
 *   device's own account — a request it holds and cannot serve, events or frames it has and no
 *   buffer to put them in. It fills *out (its cause id is one of spec/rules.yaml's causes) and
 *   returns true, or returns false. It changes nothing.
 * A device may also record violations of its own rules (machine_violation, catalogued in
 * spec/rules.yaml), break itself as QEMU's virtio_error does (machine_break_device), trace what it
 * did (machine_trace) and read guest memory (guest_memory.h) for addresses a request names. Errors
 * are values: a driver's malformed request is answered (or not) as QEMU's device does, never an
 * abort; nothing read from guest memory is trusted.
 */
#ifndef DEVICE_H
#define DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/virtio_spec.h"

struct machine;
struct machine_config;

/* The queues the model keeps state for (fixed arrays: the transport's, the checks', the run
 * facts'): a device type with more is refused by machine_init. */
#define DEVICE_MAX_QUEUES 3u

/* What a device says about its silence (explain): a cause, its section, what happened, evidence. */
#define DEVICE_SILENCE_EVIDENCE 8
struct device_silence {
    const char *cause;              /* static: a cause id of the diagnosis (diagnosis.h) */
    const char *section, *title;    /* the VirtIO 1.1 section it cites */
    char message[1024];
    struct {
        const char *key;            /* static */
        char value[160];
    } evidence[DEVICE_SILENCE_EVIDENCE];
    int n_evidence;
};

struct device_ops {
    const char *name;               /* what a scenario names ("gpu"); also in messages */
    uint32_t device_id;             /* DeviceID (§5): VIRTIO_ID_GPU, … */
    uint32_t n_queues;              /* 1..DEVICE_MAX_QUEUES */
    /* Each queue's size as QEMU's device adds it (virtio_add_queue): QueueNum until the driver
     * writes it, and the queue's maximum in QEMU (virtio-mmio itself shows QueueNumMax 1024). */
    uint32_t queue_size[DEVICE_MAX_QUEUES];
    uint32_t config_size;           /* bytes of device-specific configuration (32-bit words) */
    /* Bit q: queue q holds buffers the device fills when it has something to say (input's
     * eventq, a network receive queue), not requests: buffers left waiting there are the
     * driver's readiness, never a request unanswered (vqsim check, replay.c). */
    uint32_t standing_queues;
    /* On virtio-pci, as QEMU's virtio-*-pci shows itself: the class code (class << 8 |
     * subclass; 0: 0xff80, "other") and the MSI-X vectors ("vectors", 1..PCI_FN_MSIX_VECTORS;
     * 0: that many). */
    uint16_t pci_class;
    uint8_t pci_vectors;
    uint64_t (*offered_features)(uint32_t transport_version);
    int (*create)(const struct machine_config *cfg, void **state);
    void (*destroy)(void *state);
    void (*reset)(void *state, struct machine *m);
    uint32_t (*config_read)(void *state, struct machine *m, uint32_t off);
    void (*config_write)(void *state, struct machine *m, uint32_t off, uint32_t value,
                         const char **note);
    const char *(*config_change)(void *state, struct machine *m);
    uint32_t (*process_queue)(void *state, struct machine *m, uint32_t qi);
    /* Optional (NULL: every field a 32-bit word): the width in bytes (1, 2, 4 or 8) of the config
     * field that holds byte `off` now (a layout may depend on the device's state: virtio-input's
     * union), and where it starts; 0 past the fields. §4.2.2.2 asks an
     * access of a field's own width (a 64-bit one may be read as two 32-bit halves); the
     * transport's narrow accesses (mmio_config_narrow.h) are judged by it. */
    uint32_t (*config_field)(const void *state, uint32_t off, uint32_t *start);
    /* Optional, for a standing queue: a recording shows the host's device filled `n` more of
     * queue qi's buffers (events it originated, which no request of the driver's explains):
     * take and fill them as the device does, its rules judging each buffer, and publish them.
     * What they held is the device's to say (a script's next events; else unknown). Returns
     * how many were published. */
    uint32_t (*host_fill)(void *state, struct machine *m, uint32_t qi, uint32_t n);
    /* Optional, for a standing queue whose buffers take what arrived from outside (a network
     * receiveq): a recording shows the host's device used `bytes` bytes of queue qi's buffers
     * for one arrival (QEMU's virtqueue_fill lengths up to its flush). Deliver that much, of
     * content the recording does not hold, as the device places it, its rules judging each
     * buffer. Returns the chains pushed. */
    uint32_t (*host_arrival)(void *state, struct machine *m, uint32_t qi, uint64_t bytes);
    bool (*explain)(const void *state, const struct machine *m, uint32_t qi,
                    struct device_silence *out);
};

/* The device a machine holds. */
struct device {
    const struct device_ops *ops;
    void *state;
};

/* Feature bit 40: reserved in VirtIO 1.1; QEMU 7.2 offers it (1.2's RING_RESET). */
#define QEMU_F_RING_RESET 40u

/* What QEMU 7.2 adds to every device's offer on virtio-mmio (as recorded from a real QEMU:
 * `vqsim check` compares every register read): INDIRECT_DESC and EVENT_IDX on both transports;
 * legacy (version 1) also NOTIFY_ON_EMPTY and ANY_LAYOUT (§6.3) and no high word; modern
 * (version 2) hides those two legacy-only bits and shows VERSION_1 and bit 40, which VirtIO 1.1
 * reserves and 1.2 names RING_RESET (QEMU offers it on every transport). */
static inline uint64_t device_qemu_common_features(uint32_t transport_version)
{
    uint64_t f = (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX);
    if (transport_version == 2)
        return f | (1ull << VIRTIO_F_VERSION_1) | (1ull << QEMU_F_RING_RESET);
    return f | (1ull << VIRTIO_F_NOTIFY_ON_EMPTY) | (1ull << VIRTIO_F_ANY_LAYOUT);
}

#endif /* DEVICE_H */
