/* recording_writer.c — see recording_writer.h. */
#include "record/recording_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/machine.h"
#include "record/recording.h"
#include "record/recording_zlib.h"

struct vqrec_writer {
    struct machine_observer obs; /* how the machine tells us (model/observer.h) */
    FILE *f;
    struct vqrec_zwriter z;    /* the events, deflated (format 2); remembers a failed write */
    uint64_t trace_seen;       /* run-wide number of the next trace event to look at */
    /* Per queue, the avail index up to which the buffers of published chains were dumped. */
    bool dumped_valid[MMIO_NUM_QUEUES];
    uint16_t dumped[MMIO_NUM_QUEUES];
};

_Static_assert((int)BC_MB == (int)VQREC_MB && (int)BC_RMB == (int)VQREC_RMB &&
                   (int)BC_WMB == (int)VQREC_WMB, "barrier kinds numbered alike");

/* A buffer bigger than this is not a command the device reads: not dumped. */
#define DUMP_MAX (1u << 20)

static void put(struct vqrec_writer *w, const void *p, size_t n)
{
    vqrec_zw_put(&w->z, p, n);
}

static void event(struct vqrec_writer *w, uint8_t kind, uint8_t size, uint8_t flags,
                  uint64_t addr, uint64_t value, const void *payload, uint32_t len)
{
    struct vqrec_event e = {.kind = kind, .size = size, .flags = flags, .len = len,
                            .addr = addr, .value = value};
    put(w, &e, sizeof(e));
    if (len) {
        static const uint8_t zero[8];
        put(w, payload, len);
        put(w, zero, (8 - len % 8) % 8);
    }
}

/* The device's own events since the last look (QEMU's virtqueue trace in a real recording):
 * informative, written before the driver access that follows them. */
static void device_events(const struct machine *m, struct vqrec_writer *w)
{
    const struct trace *t = &m->trace;
    uint64_t end = t->dropped + t->len;
    if (w->trace_seen < t->dropped)
        w->trace_seen = t->dropped; /* dropped before we looked: lost to the recording too */
    for (; w->trace_seen < end; w->trace_seen++) {
        const struct trace_event *e = trace_ev(t, (size_t)(w->trace_seen - t->dropped));
        unsigned dev;
        switch (e->kind) {
        case TR_NOTIFY: dev = VQREC_DEV_NOTIFY; break;
        case TR_POP: dev = VQREC_DEV_POP; break;
        case TR_USED: dev = VQREC_DEV_FILL; break;
        case TR_IRQ: dev = VQREC_DEV_IRQ; break;
        default: continue;
        }
        char line[160];
        int n = snprintf(line, sizeof(line), "vqsim %s queue %u addr 0x%llx value %llu%s%s",
                         trace_kind_name((enum trace_kind)e->kind), e->queue,
                         (unsigned long long)e->addr, (unsigned long long)e->value,
                         e->what ? " " : "", e->what ? e->what : "");
        uint32_t len = n < 0 ? 0u : (n >= (int)sizeof(line) ? (uint32_t)sizeof(line) : (uint32_t)n + 1);
        event(w, VQREC_DEVICE, 0, 0, e->queue, dev, line, len);
    }
}

static void dump(const struct machine *m, struct vqrec_writer *w, uint64_t gpa, uint64_t len)
{
    const void *p = len && len <= DUMP_MAX ? gm_ptr(&m->mem, gpa, len) : NULL;
    if (p)
        event(w, VQREC_MEMORY, 0, 0, gpa, 0, p, (uint32_t)len);
}

/* Dump the device-readable buffers (and indirect tables) of one chain, at most `num` links. */
static void dump_chain(const struct machine *m, struct vqrec_writer *w, const struct dev_queue *q,
                       uint16_t head)
{
    uint64_t table = q->desc;
    uint32_t n = q->live_num, i = head;
    bool indirect = false;
    for (uint32_t links = 0; links < 2 * n + 2 && i < n; links++) {
        struct virtq_desc d;
        const void *p = gm_ptr(&m->mem, table + 16ull * i, sizeof(d));
        if (!p)
            return;
        memcpy(&d, p, sizeof(d));
        if ((d.flags & VIRTQ_DESC_F_INDIRECT) && !indirect) {
            dump(m, w, d.addr, d.len);
            table = d.addr;
            n = d.len / 16;
            i = 0;
            indirect = true;
            continue;
        }
        if (!(d.flags & VIRTQ_DESC_F_WRITE))
            dump(m, w, d.addr, d.len);
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return;
        i = d.next;
    }
}

/* At a QueueNotify: every chain published since the previous notify of that queue. */
static void dump_published(const struct machine *m, struct vqrec_writer *w, uint32_t qi)
{
    if (qi >= MMIO_NUM_QUEUES || !m->dev.q[qi].live || !m->dev.q[qi].live_num ||
        !ring_is_split(&m->dev.q[qi]))
        return; /* (a packed ring's lists are dumped as they are made available) */
    const struct dev_queue *q = &m->dev.q[qi];
    uint16_t idx;
    if (!gm_read16(&m->mem, q->avail + 2, &idx))
        return;
    if (!w->dumped_valid[qi]) {
        w->dumped[qi] = q->last_avail_idx;
        w->dumped_valid[qi] = true;
    }
    uint16_t from = w->dumped[qi];
    uint32_t count = (uint16_t)(idx - from);
    if (count > q->live_num)
        count = q->live_num; /* a wild avail.idx: the newest num entries at most */
    for (uint32_t k = 0; k < count; k++) {
        uint16_t slot = (uint16_t)(idx - count + k) % q->live_num, head;
        if (gm_read16(&m->mem, q->avail + 4 + 2ull * slot, &head))
            dump_chain(m, w, q, head);
    }
    w->dumped[qi] = idx;
}

/* A packed ring (§2.7): the driver stored flags that make descriptor `gpa` available (the head
 * of a list, stored last; or a later descriptor of one): its readable buffers and indirect table
 * from there on, dumped now — the device marks a list used over its head, so at the notify the
 * head may no longer say what it held. */
static void dump_packed_list(const struct machine *m, struct vqrec_writer *w, uint64_t gpa,
                             uint16_t flags)
{
    bool a = flags & VIRTQ_DESC_F_AVAIL, u = flags & VIRTQ_DESC_F_USED;
    for (uint32_t qi = 0; a != u && qi < MMIO_NUM_QUEUES; qi++) {
        const struct dev_queue *q = &m->dev.q[qi];
        if (!q->live || ring_is_split(q) || gpa < q->desc ||
            gpa >= q->desc + 16ull * q->live_num || (gpa - q->desc) % 16 != 14)
            continue;
        uint32_t i = (uint32_t)((gpa - q->desc) / 16);
        for (uint32_t k = 0; k < q->live_num; k++, i = (i + 1) % q->live_num) {
            struct virtq_packed_desc d;
            const void *p = gm_ptr(&m->mem, q->desc + 16ull * i, sizeof(d));
            if (!p)
                return;
            memcpy(&d, p, sizeof(d));
            if (d.flags & VIRTQ_DESC_F_INDIRECT) { /* the table and its readable buffers */
                dump(m, w, d.addr, d.len);
                const uint8_t *t = d.len && d.len <= DUMP_MAX ? gm_ptr(&m->mem, d.addr, d.len)
                                                              : NULL;
                for (uint32_t e = 0; t && e < d.len / 16; e++) {
                    struct virtq_packed_desc x;
                    memcpy(&x, t + 16 * e, sizeof(x));
                    if (!(x.flags & VIRTQ_DESC_F_WRITE))
                        dump(m, w, x.addr, x.len);
                }
                return;
            }
            if (!(d.flags & VIRTQ_DESC_F_WRITE))
                dump(m, w, d.addr, d.len);
            if (!(d.flags & VIRTQ_DESC_F_NEXT))
                return;
        }
        return;
    }
}

/* ---- the observer's callbacks (model/observer.h) ---- */

static void on_mmio(void *ctx, const struct machine *m, bool write, uint32_t off, uint32_t value)
{
    struct vqrec_writer *w = ctx;
    device_events(m, w);
    event(w, write ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, 4, 0, m->cfg.mmio_base + off, value,
          NULL, 0);
    if (write && off == VIRTIO_MMIO_QUEUE_NOTIFY) /* with NOTIFICATION_DATA the queue is vqn */
        dump_published(m, w, m->dev.guest_features >> VIRTIO_F_NOTIFICATION_DATA & 1u
                                 ? value & 0xffffu : value);
}

/* A virtio-pci access (configuration space at its ECAM address, or a BAR): recorded at its
 * address and width; a notify dumps what it publishes, as QueueNotify does. */
static void on_pci(void *ctx, const struct machine *m, bool cfg, bool write, uint64_t addr,
                   uint8_t size, uint32_t value)
{
    struct vqrec_writer *w = ctx;
    device_events(m, w);
    event(w, write ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, size, 0, addr, value, NULL, 0);
    if (cfg || !write)
        return;
    struct pci_hit h;
    pci_function_decode(m, addr, size, true, &h);
    if (h.region == PCI_R_NOTIFY && !h.note)
        dump_published(m, w, h.queue);
}

static void on_ring(void *ctx, const struct machine *m, bool store, uint64_t gpa, uint64_t value,
                    uint8_t size)
{
    struct vqrec_writer *w = ctx;
    if (gpa == UINT64_MAX)
        return;
    device_events(m, w);
    event(w, store ? VQREC_STORE : VQREC_LOAD, size, 0, gpa, value, NULL, 0);
    if (store && size == 2)
        dump_packed_list(m, w, gpa, (uint16_t)value);
}

static void on_memory(void *ctx, const struct machine *m, uint64_t gpa, uint64_t len)
{
    struct vqrec_writer *w = ctx;
    device_events(m, w);
    dump(m, w, gpa, len);
}

static void on_barrier(void *ctx, const struct machine *m, unsigned kind)
{
    struct vqrec_writer *w = ctx;
    device_events(m, w);
    /* enum bc_barrier and enum vqrec_barrier number mb, rmb, wmb alike */
    event(w, VQREC_BARRIER, 0, 0, 0, kind, NULL, 0);
}

struct vqrec_writer *vqrec_writer_open(struct machine *m, const char *path, char *err,
                                       size_t errlen)
{
    struct vqrec_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(w->f = fopen(path, "wb"))) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(w);
        return NULL;
    }
    struct vqrec_header h = {.major = VQREC_VERSION_MAJOR, .minor = VQREC_VERSION_MINOR,
                             .header_size = sizeof(h), .ram_base = m->cfg.ram_base,
                             .ram_size = m->cfg.ram_size, .n_cpus = 1};
    memcpy(h.magic, VQREC_MAGIC, 8);
    snprintf(h.source, sizeof(h.source), "vqsim-sim");
    if (fwrite(&h, sizeof(h), 1, w->f) != 1 || vqrec_zw_start(&w->z, w->f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, errno ? strerror(errno) :
                 "out of memory");
        fclose(w->f);
        free(w);
        return NULL;
    }
    if (m->cfg.transport == TRANSPORT_PCI) /* virt's ECAM (highmem=off), as the model has it */
        event(w, VQREC_PCI_ECAM, 0, 0, PCI_FN_ECAM_BASE, PCI_FN_ECAM_SIZE, NULL, 0);
    else
        event(w, VQREC_WINDOW, 0, 0, m->cfg.mmio_base, VIRTIO_MMIO_WINDOW_SIZE, NULL, 0);
    w->trace_seen = m->trace.dropped + m->trace.len;
    w->obs = (struct machine_observer){.ctx = w, .mmio = on_mmio, .ring = on_ring,
                                       .barrier = on_barrier, .memory = on_memory,
                                       .pci = on_pci};
    machine_observe(m, &w->obs);
    return w;
}

int vqrec_writer_close(struct vqrec_writer *w, struct machine *m, int exit_status, char *err,
                       size_t errlen)
{
    if (!w)
        return 0;
    device_events(m, w);
    event(w, VQREC_END, 0, 0, 0, (uint64_t)(int64_t)exit_status, NULL, 0);
    bool failed = vqrec_zw_finish(&w->z) != 0;
    int e = failed ? (w->z.err_no ? w->z.err_no : EIO) : 0; /* 0: zlib's own failure */
    if (fclose(w->f) != 0 && !failed) {
        failed = true;
        e = errno;
    }
    if (m->observer == &w->obs)
        machine_observe(m, NULL);
    free(w);
    if (failed)
        snprintf(err, errlen, "writing the recording failed: %s", strerror(e));
    return failed ? -1 : 0;
}
