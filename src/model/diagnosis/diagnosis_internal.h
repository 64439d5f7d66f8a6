/* diagnosis_internal.h — shared by the diagnosis engine (diagnosis.c) and its groups of causes
 * (diagnosis_setup.c: how the queue was set up; diagnosis_request.c: what became of the
 * request; diagnosis_irq.c: interrupts). Not part of the model's interface. */
#ifndef DIAGNOSIS_INTERNAL_H
#define DIAGNOSIS_INTERNAL_H

#include "model/diagnosis/diagnosis.h"
#include "model/machine.h"
#include "model/diagnosis/run_facts.h"

/* What the model knows about the request, gathered once from the run's facts (run_facts.h),
 * never from the bounded trace. Counts are since the request (the mark). */
struct diag_facts {
    const struct diag_request *rq;
    uint64_t now;
    const struct dev_queue *q;     /* NULL when the queue index is not the device's */
    const struct rf_queue *fq;     /* the run's facts of that queue (NULL likewise) */
    struct rf_counts c;            /* the queue's counters since the request */
    uint32_t notifies;             /* QueueNotify accepted for the queue */
    uint64_t last_notify_at;       /* the last one (0: none since the request) */
    uint32_t notify_writes_dropped;   /* by a replayed bug */
    uint32_t notify_writes_other;     /* written with another queue index */
    uint32_t other_queue;
    uint32_t notify_writes_ignored;   /* for this queue, ignored by the device */
    const char *ignored_note;
    uint32_t pops, used;
    uint64_t last_used_elem;
    uint32_t last_used_len;
    struct {                          /* the ring address the driver loaded most (used.idx) */
        bool seen;
        uint64_t addr, value;
        uint32_t count;
        bool at_least;                /* loads of other addresses pushed some out of the
                                       * table since the request: count is a lower bound */
    } poll;
    uint64_t avail_idx_store_at;      /* last driver store to avail.idx (device's address) */
    bool avail_idx_stored;
    uint32_t resets;                  /* device resets since the request */
    bool reset;                       /* the queue was lost to a reset since the request… */
    uint64_t reset_at;                /* …then */
    const char *reset_by;
    uint64_t reset_lost;
    bool fault;                       /* an injected device fault on the queue since */
    bool setup_explains;              /* a setup cause explains why the queue is dead */
    bool layout_explains;             /* a layout cause explains what the device read */
    bool device_explains;             /* the device's own account explains it (device.h) */
};

/* A new cause at the end of the list (NULL when full), with the common evidence. */
struct diag_cause *diag_add(struct diagnosis *d, const struct diag_facts *f, const char *id,
                            const char *section, const char *title);
void diag_ev(struct diag_cause *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_say(struct diag_cause *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append to the message. */
void diag_more(struct diag_cause *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool diag_has(const struct diagnosis *d, const char *id);

/* The groups, each appending its causes in causal order. */
void diag_setup_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d);
void diag_request_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d);
void diag_irq_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d);
/* diagnosis_pci.c: virtio-pci's causes; true when one explains everything (no BAR answers). */
bool diag_pci_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d);

/* The device's own account (device.h: explain), when the queue's setup does not explain the
 * silence; sets device_explains. */
void diag_device_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d);

#endif /* DIAGNOSIS_INTERNAL_H */
