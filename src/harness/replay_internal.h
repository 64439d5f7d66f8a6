/* replay_internal.h — shared by the replay's files (replay.h; the design notes are replay.c's):
 *   replay.c             the machine for a recording, the run (stream, end, verdict input),
 *                        the driver's view of its queues for the diagnosis
 *   replay_first_pass.c  the first pass: validate, find the gpu, how the run ended
 *   replay_rings.c       where the guest put its rings (its register writes), and whose rings a
 *                        load or store lands in (the gpu's or another device's)
 *   replay_events.c      each recorded event replayed through the HAL, per vCPU
 *   replay_device.c      QEMU's device as its trace shows it: notifies (each seen twice), pops
 *                        and flushes
 *   replay_pace.c        the model's device keeping pace with what the guest saw of QEMU's
 *   replay_report.c      the `source` JSON object and the console lines
 *   replay_pci.c         a virtio-pci gpu: which function it is, each access decoded through the
 *                        model's PCI function
 * Not part of the harness's interface.
 */
#ifndef REPLAY_INTERNAL_H
#define REPLAY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "harness/replay.h"
#include "model/machine.h"
#include "spec/virtio_spec.h"

/* 100 ms of virtual time: QEMU answers a 2D command far sooner */
#define CATCH_UP_NS 100000000ull

/* A model-vs-recording discrepancy at `it` (NULL: offset 0): counted, and the first
 * REPLAY_MAX_NOTES kept as text. */
void replay_note(struct replay *rp, const struct vqrec_item *it, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* replay_first_pass.c: fills rp->sum, then rewinds the stream. VQREC_OK or the reader's error. */
int replay_first_pass(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen);

/* replay_rings.c */
void replay_on_register_write(struct replay *rp, uint32_t off, uint32_t v);
/* The guest's descriptor table and available ring of queue qi (false: not told yet). */
bool replay_driver_desc_avail(const struct replay *rp, uint32_t qi, uint64_t *desc,
                              uint64_t *avail, uint32_t *num);
/* Is a 2-byte load at gpa the guest reading queue qi's used.idx? */
bool replay_used_idx_of(const struct replay *rp, const struct machine *m, uint64_t gpa,
                        uint32_t *qi);
/* A legacy guest's available ring, from its first avail.idx store (QueueNum never written). */
void replay_infer_avail(struct replay *rp, const struct vqrec_event *e);
/* Which queue's ring (table or available ring) a store lands in. */
bool replay_ring_of_store(const struct replay *rp, uint64_t gpa, uint32_t *qi,
                          bool *is_avail_idx);
/* A ring load or store of another device's, and not in a ring of the gpu's. */
bool replay_other_device_access(const struct replay *rp, const struct machine *m,
                                const struct vqrec_event *e);
/* A register write to another window: where that device's rings are. */
void replay_other_window_write(struct replay *rp, const struct vqrec_item *it);

/* replay_pace.c */
/* Advance virtual time until done() holds or CATCH_UP_NS have passed; returns done(). */
bool replay_advance_until(struct machine *m,
                          bool (*done)(const struct machine *m, const void *arg),
                          const void *arg);
bool replay_isr_has(const struct machine *m, const void *arg);   /* arg: uint32_t bits */
bool replay_status_is(const struct machine *m, const void *arg); /* arg: uint8_t status */
/* The guest saw `it`'s value in a field only the device writes: the model's device catches up. */
/* A packed ring's descriptor flags the guest read as used (AVAIL = USED): the model's device must
 * have written them too; false when gpa is not a live packed queue's descriptor flags. */
bool replay_catch_up_packed(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                            uint32_t *qi);
/* A live packed queue whose descriptor ring or event suppression structures (*event_area) hold
 * gpa: its index in *qi. */
bool replay_packed_of(const struct machine *m, uint64_t gpa, uint32_t *qi, bool *event_area);
/* The guest saw a used-buffer interrupt the model has not raised: QEMU had published an answer
 * (a packed ring's publications have no trace line). Release the model's next held answer of a
 * packed queue; false when none is held. */
bool replay_release_packed(struct replay *rp, struct machine *m);
void replay_catch_up_field(struct replay *rp, struct machine *m, const struct vqrec_item *it,
                           uint32_t qi, const char *field, bool *failed);
/* Is gpa the avail_event of a live gpu queue? */
bool replay_avail_event_of(const struct machine *m, uint64_t gpa, uint32_t *qi);
/* The device's bounds for every queue, from what is known of QEMU's (device_pace.h). */
void replay_pace(struct replay *rp, struct machine *m);
void replay_seen_device(struct replay *rp, struct machine *m, uint32_t qi, uint16_t taken,
                        bool published);
/* A device reset (qi = RUN_MAX_QUEUES: every queue), or a ring set up anew. */
void replay_pace_restart(struct replay *rp, struct machine *m, uint32_t qi);
/* The guest's notify decision after publishing (its load of avail_event or used.flags). */
void replay_notify_decision(struct replay *rp, struct machine *m, const struct vqrec_event *e,
                            uint8_t cpu);

/* replay_abandon.c: requests a driver gave up by resetting its device (its comment says when) */
/* A reset by the driver (Status = 0, legacy QueuePFN = 0) is about to reach the model: remember
 * each queue's requests the guest has not seen answered, and whether QEMU's device had answered
 * them or had a reason to take them. */
void replay_abandon_at_reset(struct replay *rp, const struct machine *m);
/* The guest still cares: it wrote Status again (qi = RUN_MAX_QUEUES: every queue) or read queue
 * qi's used.idx. */
void replay_abandon_forget(struct replay *rp, uint32_t qi);
/* At the end of the run: were queue qi's unanswered requests abandoned, not left waiting? */
bool replay_abandoned(const struct replay *rp, uint32_t qi);
/* Appends what was abandoned, queue by queue, to the run's detail; and says it (vqsim check -v). */
void replay_abandon_detail(struct replay *rp, const struct machine *m, char *detail,
                           size_t size);
void replay_abandon_print(FILE *f, const struct replay *rp);

/* replay_line.c: a DEVICE event's trace line (its payload's first REPLAY_LINE_MAX bytes at
 * most, NUL-terminated) and the numbers in it */
#define REPLAY_LINE_MAX 255u
struct replay_line {
    char s[REPLAY_LINE_MAX + 1];
};
void replay_line_of(const struct vqrec_item *it, struct replay_line *l);
/* The number right after the first `key` in the line, as sscanf(after key, base 16 ? "%llx" :
 * "%llu") reads it: true (*v), false when the key is absent or no number follows. */
bool replay_line_number(const struct replay_line *l, const char *key, int base,
                        unsigned long long *v);

/* replay_device.c */
/* The VirtQueue a QEMU trace line names, 0 when none. */
uint64_t replay_device_vq(const struct vqrec_item *it);
/* A register write of the gpu's, after the memory dumps that followed it were applied. */
void replay_gpu_write(struct replay *rp, const struct vqrec_item *it, struct machine *m);
/* A DEVICE event (QEMU's trace line): notify, pop, flush of a gpu queue. */
void replay_device_event(struct replay *rp, struct machine *m, const struct vqrec_item *it);

/* replay_events.c */
/* The events that follow are vCPU it->ev.cpu's (barrier analysis, waits). */
void replay_set_cpu(struct replay *rp, struct machine *m, const struct vqrec_item *it);
/* A memory dump copied into guest RAM. */
void replay_memory(struct replay *rp, struct machine *m, const struct vqrec_item *it);
/* A load of the gpu's ring memory. */
void replay_load_one(struct replay *rp, struct machine *m, const struct vqrec_item *it);
/* One event of the stream. */
void replay_item(struct replay *rp, struct machine *m, const struct vqrec_item *it);

/* A register access the HAL replays at its own width: 32 bits, or 8 / 16 anywhere in the window
 * (the config space takes them; a control register judges them, hal_sim_narrow.c). */
static inline bool replay_narrow_ok(const struct vqrec_event *e, uint32_t off)
{
    (void)off;
    return e->size == 4 || e->size == 1 || e->size == 2;
}
/* replay_first_pass.c: a read of the device's config at offset `at` (the bytes the guest saw,
 * the first time it read each). */
void replay_config_read(struct replay_window *fw, uint32_t at, const struct vqrec_event *e);
/* replay_pci.c */
#define REPLAY_PCI_FNS 64u
struct replay_pci_fn {      /* a PCI function the first pass saw in configuration space */
    uint32_t bdf;
    uint16_t vendor, device;
    bool vendor_read;
    uint32_t bar[6];        /* its BAR registers as last assigned (sizing writes aside) */
    uint64_t accesses;
    struct replay_window win; /* its device as the guest read it (features, config) */
};
struct replay_pci_scan {
    struct replay_pci_fn fn[REPLAY_PCI_FNS];
    uint32_t n;
};
/* The first pass: true when e is PCI's (the ECAM event, a configuration access, an access to a
 * virtio function's BAR). */
bool replay_pci_first(struct replay_pci_scan *s, struct replay_summary *sm,
                      const struct vqrec_event *e);
/* The gpu's function (vendor 0x1af4, device 0x1050), if any: sm->pci and its BAR. */
void replay_pci_summary(const struct replay_pci_scan *s, struct replay_summary *sm);
/* What a recorded register access is: the gpu's or not, and the virtio core's register it is
 * (virtio-mmio: its offset in the window; virtio-pci: the decoded equivalent, pci_hit). */
struct replay_reg {
    bool gpu;               /* the gpu's window, configuration space or BARs */
    bool cfg;               /* a configuration-space access (virtio-pci) */
    int32_t off;            /* VIRTIO_MMIO_* equivalent, -1: none (PCI's own, or ignored) */
    uint32_t value;         /* what it writes there (a PCI notify: the queue its address names) */
};
void replay_reg_of(const struct replay *rp, const struct machine *m, const struct vqrec_event *e,
                   struct replay_reg *r);
bool replay_is_gpu(const struct replay *rp, const struct machine *m, const struct vqrec_event *e);
/* The recorded access made again through the HAL, at its width on PCI (32 bits on virtio-mmio). */
uint32_t replay_bus_read(const struct replay *rp, const struct vqrec_event *e);
void replay_bus_write(const struct replay *rp, uint64_t addr, uint8_t size, uint32_t value);
/* A notify of queue qi at the address the model's function gives it (QEMU's trace line came
 * before the guest's write). */
void replay_pci_notify_canonical(const struct replay *rp, const struct machine *m, uint32_t qi);
/* A write whose effect was already replayed (its notify's other half): the PCI checks only. */
void replay_pci_check_only(struct machine *m, const struct vqrec_event *e);
/* A write to another virtio function's BARs (QEMU 7.2's layout): its common configuration says
 * where that device's rings are. False when the address is no other virtio function's. */
bool replay_pci_other_write(struct replay *rp, const struct vqrec_item *it);
/* A configuration access of the gpu's function, replayed at the model's. */
void replay_pci_cfg(struct replay *rp, struct machine *m, const struct vqrec_item *it);

static inline bool in_gpu_window(const struct replay *rp, uint64_t addr)
{
    return addr >= rp->window && addr - rp->window < VIRTIO_MMIO_WINDOW_SIZE;
}

#endif /* REPLAY_INTERNAL_H */
