/* query.h — what a run's machine shows, asked by value: the model's public answers for the
 * harness's results (harness/results.h). Nothing outside the model reads its structs to report
 * on a run; it asks here, so a model field can be renamed or moved without a change to the
 * results or their JSON schema.
 *
 * Every query reads a machine that machine_init built; none changes it. Strings returned are
 * static (register, field, state and rule names) or point into the machine (the findings, the
 * trace), valid until machine_destroy.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct trace_event;
struct violation;

/* Feature bits the device offers, and those in force (accepted; at FEATURES_OK on a modern
 * device). */
void mq_features(const struct machine *m, uint64_t *offered, uint64_t *negotiated);

/* Queue q as the device has it: where it reads and writes once the queue is live. */
struct mq_device_queue {
    bool live;                 /* the device uses the queue (QueueReady, or a QueuePFN) */
    uint64_t desc, avail, used;
    uint32_t size;             /* the size the device uses */
    uint16_t avail_idx;        /* the next available entry the device will take */
    uint16_t used_idx;         /* the device's used index (the next element it writes) */
};
void mq_device_queue(const struct machine *m, uint32_t q, struct mq_device_queue *out);

/* Queue q as the driver's register writes place it (modern QueueDesc / Driver / Device and
 * QueueNum; legacy QueuePFN × GuestPageSize and QueueNum, the available ring right after the
 * table; the legacy used ring only where the driver was seen polling its used.idx there, as the
 * layout it meant is not in the registers). Parts the registers do not say stay unknown. */
struct mq_register_queue {
    bool shown;                /* the driver set it up (or the device has it live) */
    bool polled;               /* the used ring is known from the driver polling it */
    bool has_desc, has_avail, has_used, has_num;
    uint64_t desc, avail, used;
    uint32_t num;
};
void mq_register_queue(const struct machine *m, uint32_t q, struct mq_register_queue *out);

/* The violations (informational = false) or informational findings (true), in the order they
 * were found; *n their number. */
const struct violation *mq_findings(const struct machine *m, bool informational, uint32_t *n);
/* The rules the driver broke that do not hold in the version judged against (not judged). */
const struct rule *const *mq_skipped_rules(const struct machine *m, uint32_t *n);

/* The trace as kept (model/trace.h: the newest events when the run outgrew its bound): *n events,
 * *dropped the number dropped before the first. */
const struct trace_event *mq_trace(const struct machine *m, size_t *n, uint64_t *dropped);
/* The ring field at guest-physical addr as the device lays out its queues ("desc.addr",
 * "avail.idx"…, an indirect table's "indirect.addr"…), first queue first; NULL when no ring
 * holds it. */
const char *mq_ring_field(const struct machine *m, uint64_t addr);

/* Canary bands were laid after each DMA allocation (model/memory_guard.h). */
bool mq_memory_canary(const struct machine *m);

/* The device's displays (scanouts). */
uint32_t mq_display_count(const struct machine *m);
struct mq_display {
    const char *state;         /* "active", "not-active", "not-initialized" (QEMU's words) */
    bool active;
    uint32_t width, height;    /* the mode */
    uint32_t resource;         /* the resource shown */
    uint32_t flushes;          /* flushes that reached the display */
    bool cursor;               /* a cursor is shown (visible, on an active display) */
    uint32_t cursor_resource, cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;
};
/* Display i (an index past mq_display_count reads as a display that was never set up). */
void mq_display(const struct machine *m, uint32_t i, struct mq_display *out);
/* What display i shows, cursor composited: width × height × 3 bytes R,G,B, or NULL. Without a
 * cursor over it, the display's own picture (valid until the machine next runs), *owned NULL;
 * else a composed copy, also in *owned, which the caller frees. */
const uint8_t *mq_display_picture(const struct machine *m, uint32_t i, uint8_t **owned);
/* Why display i is dark (shows nothing, or nothing new), one sentence into buf; false when it
 * got at least one flush of the resource it shows. */
bool mq_display_dark(const struct machine *m, uint32_t i, char *buf, size_t len);

#endif /* QUERY_H */
