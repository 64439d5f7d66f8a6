/* mmio_device.h — the virtio-mmio register file of the simulated device (§4.2), version 1 (legacy,
 * §4.2.4) or 2, behaving as QEMU 7.2's virtio-mmio proxy does: registers of the other version
 * are ignored (and the access is noted in the trace), QueueNumMax reads 1024, QueueSel ≥ 1024 is
 * ignored, the legacy used ring sits at ALIGN_UP(desc + 16N + 4 + 2N, QueueAlign), and features
 * the device did not offer are dropped silently. What is the device model's own (DeviceID, the
 * features offered, its queues and their sizes, config space, reset) it asks the device model
 * through device.h, never by name.
 */
#ifndef MMIO_DEVICE_H
#define MMIO_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"
#include "model/rings/ring.h"

struct machine;

#define MMIO_NUM_QUEUES DEVICE_MAX_QUEUES /* room for the device's queues (n_queues of them) */
#define MMIO_QUEUE_NUM_MAX 1024u    /* QEMU's VIRTQUEUE_MAX_SIZE */
#define MMIO_VENDOR_QEMU 0x554d4551u
#define MMIO_MAX_STATUS_HISTORY 32u

struct mmio_device {
    uint32_t version;
    uint32_t device_id;
    uint64_t host_features;        /* offered */
    uint64_t guest_features;       /* accepted and in force */
    uint32_t guest_features_reg[2];/* version 2: written, applied at FEATURES_OK */
    uint32_t dev_features_sel, drv_features_sel;
    uint32_t guest_page_shift;     /* version 1: ctz(GuestPageSize); 0 until written */
    bool guest_page_size_written;
    uint32_t queue_sel;
    uint32_t n_queues;             /* the device model's (device.h): q[0 .. n_queues) exist */
    uint32_t queue_size[MMIO_NUM_QUEUES]; /* each one's QueueNum after a reset */
    struct dev_queue q[MMIO_NUM_QUEUES];
    uint32_t isr;
    uint8_t status;
    bool broken;                   /* a fatal ring error: notifies are ignored until reset */
    const char *broken_rule;
    uint64_t broken_at;
    bool broken_signalled;         /* NEEDS_RESET was set when it broke (VERSION_1) */
    uint32_t config_generation;    /* changes whenever the device changes its config (§2.4) */
    uint32_t magic, version_shown; /* what MagicValue and Version read */
    uint32_t config_change_after;  /* change the config after this many config reads (0 never) */
    uint32_t config_reads;
    uint8_t status_history[MMIO_MAX_STATUS_HISTORY];
    uint32_t n_status_history;
    uint32_t irq_edges;            /* times the interrupt line rose (InterruptStatus 0 → non-0) */
    const char *broken_fault;      /* broken by an injected device fault (its name), not a rule */
    /* VirtIO 1.2 QueueReset (with VIRTIO_F_RING_RESET, mmio_queue_reset.h): a queue's reset
     * reads 1 while reset_pending, then 0 */
    bool reset_pending[MMIO_NUM_QUEUES];
    bool queue_reset;              /* QueueReset implemented: QEMU 7.2 offers bit 40 on
                                    * virtio-mmio but has no such register; a scenario's
                                    * device.offer: [ring_reset] asks for a device that has it */
};

/* The trace `what` of a used-buffer interrupt the driver suppressed (compare by pointer). */
extern const char mmio_note_irq_suppressed[];
/* Same, by used_event (VIRTIO_F_EVENT_IDX): addr = used_event's address, value = used_event,
 * aux = used.idx (compare by pointer). */
extern const char mmio_note_irq_suppressed_event[];
/* The trace `what` of a device reset; its note says who reset, value = requests lost (taken
 * but not answered, or available but not yet taken), aux = bit mask of the queues that were
 * live (compare by pointer). */
extern const char mmio_note_reset[];

/* The register file of device type `dev` (device.h: its DeviceID, offer, queues) on transport
 * version `version` (1 legacy, 2 modern), as after a reset. */
void mmio_device_init(struct mmio_device *d, uint32_t version, const struct device_ops *dev);

/* 32-bit register access at `off` from the window base. *note gets a static string when the
 * device ignored the access (and why), else NULL. */
uint32_t mmio_device_read(struct machine *m, uint32_t off, const char **note);
void mmio_device_write(struct machine *m, uint32_t off, uint32_t value, const char **note);

/* QEMU's virtio_error: broken until reset; NEEDS_RESET (and a config interrupt after DRIVER_OK)
 * only when VERSION_1 was negotiated. */
void mmio_device_set_broken(struct machine *m, const char *rule_id);

/* The device changed its configuration (QEMU's virtio_notify_config): after DRIVER_OK,
 * ConfigGeneration advances and the configuration-change interrupt is raised (§4.2.2). Before
 * DRIVER_OK QEMU does neither; the strict profile still advances ConfigGeneration (§4.2.2.1). */
void mmio_device_notify_config(struct machine *m);
/* Reset the device (QEMU virtio_reset) and record who did it (`by`, static). */
void mmio_device_reset(struct machine *m, const char *by);
/* An injected device fault (device_faults.h): broken as after virtio_error, NEEDS_RESET set. */
void mmio_device_fault_break(struct machine *m, const char *fault);

/* A read at `off` was answered and checked: device work tied to reads (device.config_change). */
void mmio_device_read_done(struct machine *m, uint32_t off);

/* Raise the used-buffer interrupt (InterruptStatus bit 0) unless the driver suppressed it. */
void mmio_device_raise_used_irq(struct machine *m, uint32_t qi);

/* A register a later VirtIO version defines for a version 2 device and 1.1 does not. */
struct mmio_later_reg {
    uint32_t off;
    const char *name;       /* the later version's name, "SHMLenLow" */
    const char *since;      /* the version that defines it, "1.2" */
    bool readable, writable;
    bool all_ones;          /* QEMU 7.2 reads it as 0xffffffff (else: not implemented, 0) */
};
/* The register at `off` if a later version defines it, else NULL. */
const struct mmio_later_reg *mmio_reg_later(uint32_t off);

/* Register name for an offset ("QueueNotify", also a later version's "SHMLenLow"), "Config+0x8"
 * for config space, or NULL. */
const char *mmio_reg_name(uint32_t off);
/* True when `off` names a register that only the other transport version has (QueuePFN on a
 * version 2 device, QueueReady on a version 1 device…): the device ignores such accesses. */
extern const uint64_t mmio_regs_only_v1, mmio_regs_only_v2; /* bit offset / 4 (mmio_device.c) */
static inline bool mmio_reg_other_version(uint32_t off, uint32_t version)
{
    if (off >= VIRTIO_MMIO_CONFIG || off % 4)
        return false;
    uint64_t other =
        (version != 1 ? mmio_regs_only_v1 : 0) | (version != 2 ? mmio_regs_only_v2 : 0);
    return other >> (off / 4) & 1;
}
/* Offset of a register by name, or -1. */
int mmio_reg_offset(const char *name);

#endif /* MMIO_DEVICE_H */
