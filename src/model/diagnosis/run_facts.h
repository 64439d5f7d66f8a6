/* run_facts.h — what the diagnosis needs to know about a run, kept as it happens, outside the
 * bounded trace (trace.h).
 *
 * The trace keeps the newest events only (a long run drops the oldest); a verdict must not
 * depend on what it kept. So every fact a cause of the diagnosis (diagnosis.h) or its evidence
 * uses is recorded here when it happens, in constant space: per queue, counters (notifies
 * accepted, avail.idx publishes, requests taken and answered, polls…) and the last event of each
 * kind with its details; run-wide, the last write and the reads of every register, the state of
 * QueueSel, resets, interrupts and acknowledgements.
 *
 * "Since the request" is a mark: rf_mark() copies the counters at the moment a request begins
 * (the harness does it when a step starts; a replay when the guest's request starts), and the
 * diagnosis subtracts it. The last event of a kind is "since the request" when its time is.
 * Everything here is written by the model's hooks and read only by the diagnosis and the
 * verdict; nothing reads the trace.
 */
#ifndef RUN_FACTS_H
#define RUN_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define RF_QUEUES 3u       /* MMIO_NUM_QUEUES */
#define RF_REGS 68u        /* register slots: offsets 0x000..0x0fc, then Config+0x0..+0xc */
#define RF_POLL_SLOTS 8u   /* distinct 16-bit ring addresses the driver loads, most loaded kept;
                            * the one it loads now is never evicted, and evictions are counted,
                            * so a count since a mark is exact or said to be a lower bound */

/* What is counted per queue; a mark is a copy of these. */
struct rf_counts {
    uint32_t notifies;              /* QueueNotify accepted by the device */
    uint32_t notify_writes;         /* QueueNotify written with this queue's index (not lost) */
    uint32_t notify_writes_ignored; /* …of which the device ignored or a bug rewrote */
    uint32_t publishes;             /* driver stores to avail.idx while the queue was live */
    uint32_t pops, used;            /* requests taken, answers written (used elements) */
    uint32_t short_headers;         /* requests shorter than the gpu header (never answered) */
    uint32_t truncated;             /* answers cut short by a small writable buffer */
    uint32_t faults;                /* injected device faults on the queue (not reset/needs-reset) */
    uint32_t irq_suppressed;        /* used-buffer interrupts the driver's suppression withheld */
    uint32_t irq_hidden;            /* interrupts raised while the line was already high */
    uint32_t errors;                /* gpu error responses */
};

struct rf_mark {
    uint64_t t;                     /* when the mark was taken */
    bool set;
    struct rf_counts q[RF_QUEUES];
    uint32_t notify_writes_all;     /* QueueNotify writes with any value (not lost) */
    uint32_t notify_writes_lost;    /* QueueNotify writes a replayed bug dropped */
    uint32_t resets;
    uint32_t reads[RF_REGS];
    uint64_t poll_addr[RF_POLL_SLOTS];
    uint32_t poll_count[RF_POLL_SLOTS];
    uint64_t poll_gen[RF_POLL_SLOTS];   /* which occupancy of each slot (run_facts.poll_gen) */
    uint32_t poll_evictions;
};

/* A gpu command the device refused with an error response (gpu_device.c). */
struct rf_error {
    uint64_t t;
    uint16_t head;
    uint32_t cmd;                   /* the command type */
    uint32_t resp;                  /* the error response type */
    uint32_t resource;              /* the resource id the command named (0: none) */
    uint32_t scanout;               /* the scanout id it named, or UINT32_MAX */
    char reason[200];               /* the device's reason, one sentence */
};

struct rf_queue {
    struct rf_counts c;
    uint64_t live_at;               /* when the queue last went live (0: never) */
    bool live_once;
    /* It went live again without a device reset since it was last live: the device kept its
     * indices (QEMU keeps last_avail_idx, used_idx and inuse across a queue setup). */
    bool relive;
    uint16_t relive_avail_idx, relive_used_idx;
    uint16_t live_mem_avail_idx;    /* avail.idx in the ring's memory when it last went live */
    uint64_t last_notify_at;
    uint16_t kick_avail_idx;        /* avail.idx in memory when the last notify was accepted */
    bool kick_new;                  /* …and it was past what the device had taken (news) */
    bool avail_event_set;           /* the device wrote avail_event (EVENT_IDX)… */
    uint16_t avail_event;           /* …last with this value */
    bool used_event_set;            /* the device wrote used_event (an event-index fault)… */
    uint16_t used_event;            /* …last with this value… */
    uint64_t used_event_t;          /* …at this time */
    const char *ignored_note;       /* why the device ignored the last notify of this queue */
    uint32_t last_notify_other;     /* the last value != this queue written to QueueNotify */
    bool notified_other;
    uint64_t last_publish_at;
    uint16_t last_published;        /* the last avail.idx the driver stored */
    uint64_t last_pop_at;
    uint64_t last_used_elem;        /* address of the last used element written */
    uint32_t last_used_len;
    uint64_t last_used_at;
    /* the reset that found this queue live (the queue was lost to it) */
    bool killed;
    uint64_t killed_at;
    const char *killed_by;
    uint64_t killed_lost;           /* requests of this queue that reset dropped (taken and not
                                     * answered, or available and not taken) */
    /* the first and the last of each kind of device event (rf_first_since picks) */
    struct rf_short { uint64_t t; uint16_t head; uint64_t readable; } short_header[2];
    struct rf_trunc { uint64_t t; uint16_t head; uint64_t resp_len; uint32_t written; } trunc[2];
    struct rf_fault {
        uint64_t t;
        const char *name;
        uint32_t request;
        uint64_t addr, value;       /* as the fault's trace event: the head, what it did */
        uint64_t at;                /* event-index: where it wrote */
    } fault[2];
    struct rf_suppressed {
        uint64_t t;
        bool by_event;
        uint64_t addr, value;
        uint16_t used_idx;
        uint16_t old;               /* by_event: used.idx at the last interrupt */
        bool device_value;          /* by_event: the value the device itself wrote there (an
                                     * event-index fault), at device_t */
        uint64_t device_t;
    } suppressed[2];
    uint64_t last_hidden_at, first_hidden_at;
    struct rf_error error[2];       /* the first and the last error response */
    /* the last driver store to each descriptor's next (for a loop: which store made it) */
    struct rf_next {
        uint64_t t;                 /* when stored (plain ring access: the epoch began) */
        uint64_t seen_at;           /* plain ring access: the hook call that saw it */
        uint16_t value;
        bool set, plain;
        const char *note;           /* a replayed bug rewrote it */
    } *next;
    uint32_t n_next;
    /* the device's used ring lies on a buffer of a chain (a descriptor's bytes), as seen at pop:
     * what the device wrote into that buffer at its answer */
    struct {
        bool seen;
        uint64_t t;
        uint16_t desc;              /* the descriptor whose buffer it is */
        bool in_table;              /* …an entry of an indirect table */
        uint64_t buf, buf_len;      /* that buffer */
        bool buf_write;             /* device-writable (a response) or readable (a request) */
        uint64_t idx_at;            /* used.idx written at (0: not into the buffer) */
        uint64_t elem_at;           /* the used element written at (0: not into the buffer) */
        uint32_t writes;            /* answers the device wrote into it */
    } overlap;
};

struct rf_reg {
    bool written;
    uint64_t t;                     /* the last write */
    uint32_t value;
    const char *note;               /* its trace note (ignored, rewritten, lost…), or NULL */
    uint32_t reads;
    uint64_t read_t;                /* the last read */
    uint32_t read_value;
    const char *read_note;
    uint32_t same_reads;            /* reads in a row returning read_value… */
    uint64_t same_since;            /* …the first of them */
};

struct run_facts {
    struct rf_queue q[RF_QUEUES];
    struct rf_reg reg[RF_REGS];
    uint32_t notify_writes_all, notify_writes_lost;
    int last_read_slot;             /* the register read last (-1: none) */
    /* QueueSel: the last out-of-range selection, and what the driver wrote after it */
    struct {
        bool seen;
        uint64_t t;
        uint32_t value;
        uint32_t kept;              /* the selection before it (QEMU keeps it for ≥ 1024) */
        uint8_t after[16];          /* queue registers written after it (slots, first-write
                                     * order) */
        uint32_t n_after;
        bool reselected[RF_QUEUES]; /* the queue was selected properly afterwards */
    } bad_sel;
    uint32_t sel;                   /* the driver's last in-range selection */
    uint8_t other_version[16];      /* registers of the other transport version written (slots,
                                     * first-write order) */
    uint32_t n_other_version;
    bool ready_written;             /* QueueReady = 1 taken by the device… */
    bool late_seen;                 /* …and a ring-address write after it */
    uint32_t late_off;
    uint64_t late_t;
    uint32_t resets;
    uint64_t last_reset_at;
    uint64_t last_irq_edge_at;      /* the interrupt line rose last (0: never) */
    bool irq_edge_seen;
    uint64_t last_ack_at;           /* the last InterruptACK the device took */
    bool ack_seen;
    uint32_t acks_lost;             /* InterruptACK writes lost or ignored */
    const char *weak_note;          /* the first weak-memory reordering the model made happen */
    uint64_t poll_addr[RF_POLL_SLOTS];
    uint32_t poll_count[RF_POLL_SLOTS];
    uint64_t poll_value[RF_POLL_SLOTS];
    uint64_t poll_t[RF_POLL_SLOTS];
    uint64_t poll_gen[RF_POLL_SLOTS]; /* the slot's occupancy: a number new for each address
                                       * that takes it (a mark subtracts only the same one's) */
    uint64_t poll_gens;             /* occupancies so far */
    uint32_t poll_evictions;        /* addresses pushed out of the table (their loads lost) */
    uint32_t poll_last;             /* the slot the last load hit */
    char broken_why[320];           /* the violation that broke the device, as reported */
    struct {                        /* virtio-pci (pci_function.h) */
        uint32_t decode_off;        /* BAR accesses made while memory decoding was off */
        uint64_t decode_off_t, decode_off_addr; /* the first of them */
        bool command_written;
        uint32_t command;           /* the last command-register value written */
        uint64_t command_t;
        uint32_t misnotify;         /* notifies whose address named another queue than their
                                     * value */
        uint64_t misnotify_t;
        uint32_t misnotify_value, misnotify_queue, misnotify_off; /* the last of them */
        uint32_t msix_lost[RF_QUEUES + 1]; /* interrupts MSI-X did not deliver (no vector or
                                            * masked), by queue; [RF_QUEUES]: config */
        uint64_t msix_lost_t;
        bool vector_written[RF_QUEUES];    /* queue_msix_vector written for the queue… */
        uint32_t vector_value[RF_QUEUES];  /* …last with this value */
    } pci;
};

/* Of the first ([0]) and last ([1]) event of a kind, the first since a mark: the first of the
 * run when every one is since the mark, else the last (the only one known to be since). */
#define rf_first_since(pair, count_since, count_all) (&(pair)[(count_since) == (count_all) ? 0 : 1])

/* The register slot of an MMIO offset (RF_REGS: none). */
uint32_t rf_slot(uint32_t off);

/* A copy of the counters now (a request begins). */
void rf_mark(const struct machine *m, struct rf_mark *out);

/* Hooks, called where the event happens. */
/* A driver write reached the bus (after replayed bugs) and the device acted; note is its trace
 * note; lost: a replayed bug dropped it before the device. */
void rf_mmio_write(struct machine *m, uint32_t off, uint32_t value, const char *note, bool lost);
/* A driver read: the value and note it got. */
void rf_mmio_read(struct machine *m, uint32_t off, uint32_t value, const char *note);
/* virtio-pci: a BAR access with memory decoding off; a configuration-space write; a notify whose
 * address named queue `landed` (UINT32_MAX: none, the device ignored it) while it carried
 * `value`. */
void rf_pci_decode_off(struct machine *m, uint64_t addr);
void rf_pci_cfg_write(struct machine *m, uint32_t off, uint32_t value);
void rf_pci_notify(struct machine *m, uint32_t off, uint32_t value, uint32_t landed);
/* An interrupt MSI-X did not deliver (qi -1: config; vector as mapped); a queue_msix_vector
 * write for queue qi. */
void rf_pci_msix_lost(struct machine *m, int qi, uint32_t vector);
void rf_pci_vector(struct machine *m, uint32_t qi, uint32_t value);
void rf_publish(struct machine *m, uint32_t qi, uint16_t idx);
/* The device published avail_event = value on qi (VIRTIO_F_EVENT_IDX). */
void rf_avail_event(struct machine *m, uint32_t qi, uint16_t value);
void rf_queue_live(struct machine *m, uint32_t qi);
/* A device reset: by whom, requests lost per queue, bit mask of queues that were live. */
void rf_reset(struct machine *m, const char *by, const uint64_t *lost, uint32_t live);
void rf_fault(struct machine *m, const char *name, uint32_t qi, uint32_t request, uint64_t addr,
              uint64_t value);
void rf_short_header(struct machine *m, uint32_t qi, uint16_t head, uint64_t readable);
void rf_truncated(struct machine *m, uint32_t qi, uint16_t head, uint64_t resp_len,
                  uint32_t written);
void rf_irq_suppressed(struct machine *m, uint32_t qi, bool by_event, uint64_t addr,
                       uint64_t value, uint16_t used_idx, uint16_t old);
void rf_weak(struct machine *m, const char *note);
/* A 2-byte ring load of the driver (accessor mode): where it polls. */
void rf_ring_load16(struct machine *m, uint64_t gpa, uint64_t value);
/* A chain the device took on qi has a buffer lying on the used ring the device writes. */
void rf_overlap(struct machine *m, uint32_t qi, uint16_t desc, bool in_table, uint64_t buf,
                uint64_t len, bool write);
/* The device is writing its used element (elem, len bytes) and used.idx (at idx_at) of qi, whose
 * chain had a buffer on the used ring (rf_used_write). */
void rf_used_write_overlap(struct rf_queue *q, uint64_t elem, uint32_t len, uint64_t idx_at);

/* The facts of every round trip, inline on the facts themselves (the queue's record and the
 * time; the queue's number past RF_QUEUES records nothing): a notify accepted (with avail.idx in
 * memory then, and the device's next avail index), a chain taken, a used element written, the
 * used-buffer or config interrupt raised (edge: the line rose; qi < RF_QUEUES for a used-buffer
 * interrupt). */
static inline void rf_notify(struct run_facts *f, uint32_t qi, uint64_t now, uint16_t avail_idx,
                             uint16_t taken)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &f->q[qi];
    q->c.notifies++;
    q->last_notify_at = now;
    q->kick_avail_idx = avail_idx;
    q->kick_new = avail_idx != taken;
}
static inline void rf_pop(struct run_facts *f, uint32_t qi, uint64_t now)
{
    if (qi >= RF_QUEUES)
        return;
    f->q[qi].c.pops++;
    f->q[qi].last_pop_at = now;
}
static inline void rf_used(struct run_facts *f, uint32_t qi, uint64_t now, uint64_t elem,
                           uint32_t len)
{
    if (qi >= RF_QUEUES)
        return;
    struct rf_queue *q = &f->q[qi];
    q->c.used++;
    q->last_used_elem = elem;
    q->last_used_len = len;
    q->last_used_at = now;
}
static inline void rf_used_write(struct run_facts *f, uint32_t qi, uint64_t elem, uint32_t len,
                                 uint64_t idx_at)
{
    if (qi < RF_QUEUES && f->q[qi].overlap.seen)
        rf_used_write_overlap(&f->q[qi], elem, len, idx_at);
}
static inline void rf_irq(struct run_facts *f, uint32_t qi, uint64_t now, bool edge)
{
    if (edge) {
        f->irq_edge_seen = true;
        f->last_irq_edge_at = now;
    } else if (qi < RF_QUEUES) {
        struct rf_queue *q = &f->q[qi];
        if (!q->c.irq_hidden)
            q->first_hidden_at = now;
        q->c.irq_hidden++;
        q->last_hidden_at = now;
    }
}
/* The driver stored `value` to descriptor i's next in qi's ring at t (plain ring access: in
 * the epoch that began at t); note: a replayed bug rewrote it. */
void rf_desc_next(struct machine *m, uint32_t qi, uint32_t i, uint16_t value, uint64_t t,
                  const char *note);
/* The evidence for a loop at descriptor i's next = value of qi: the driver store that made it
 * ("; the driver stored it at t=… ns"), written into buf. */
void rf_describe_next(const struct machine *m, uint32_t qi, uint32_t i, uint16_t value, char *buf,
                      size_t len);
void rf_free(struct run_facts *f);
/* The device refused a gpu command (rf_error filled by the caller). */
void rf_error(struct machine *m, uint32_t qi, const struct rf_error *e);

#endif /* RUN_FACTS_H */
