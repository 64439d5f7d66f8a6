/* vqrec_qemu_log.c — QEMU's log (its -D file, the trace events vqsim record turned on), read up
 * to its end at each MMIO callback: the memory_region_ops lines give the values of MMIO accesses
 * (the line is written while the access runs, before the callback), the virtio lines the device
 * side (virtio_queue_notify, virtqueue_pop / fill / flush, interrupts). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"

#define PENDING 256u                 /* MMIO trace lines read but not yet matched */
#define VQ_MAP 256u                  /* QEMU VirtQueue pointer -> queue index, window */
#define ECAM_WAIT 4096u              /* traced configuration reads before the ECAM is known */

struct mmio_line {         /* one memory_region_ops_* trace line */
    int cpu, write, kind;  /* enum mr_kind */
    unsigned size;
    uint64_t addr, value;  /* addr: guest-physical; an ECAM line's: its offset in the ECAM */
};

static char *log_path;
static int log_fd = -1;
static int log_punch;      /* free what was read (a hole in the tmpfs file): long runs */
static uint64_t log_read, log_punched;
static char log_buf[1 << 16];
static size_t log_len;
static struct mmio_line pending[PENDING];
static unsigned n_pending;
struct vq_entry {
    uint64_t vq;
    uint32_t index;
    uint64_t window;       /* the device's virtio-mmio window, 0 while not known */
    uint16_t pops_unplaced; /* its chains QEMU took while the window was not known */
};
static struct vq_entry vq_map[VQ_MAP];
static unsigned n_vq_map;
static uint64_t ecam = UINT64_MAX;
/* Register reads recorded from their trace lines alone (vqrec_plugin.c, "stores first"). A
 * configuration read has only its offset in the ECAM: while the ECAM's address is not known the
 * traced reads wait here in order (later ones too, to keep each vCPU's order). */
static struct mmio_line waiting[ECAM_WAIT];
static unsigned n_waiting;
static uint64_t n_traced, n_traced_lost;

uint64_t ecam_base(void) { return ecam; }

static void record_traced(const struct mmio_line *m)
{
    uint64_t pa = m->kind == MR_ECAM ? ecam + m->addr : m->addr;
    record_register((unsigned)m->cpu, m->kind, 0, m->size, pa, m->value, 0, VQREC_F_TRACED);
    n_traced++;
}

/* Line m is a register read that got no callback: recorded from the line, or waits. */
static void traced_read(const struct mmio_line *m)
{
    if (m->write || m->kind == MR_OTHER || m->cpu < 0 || m->cpu >= (int)VQREC_CPU_NONE)
        return; /* not a vCPU's access to a virtio register */
    if (n_waiting || (m->kind == MR_ECAM && ecam == UINT64_MAX)) {
        if (n_waiting < ECAM_WAIT)
            waiting[n_waiting++] = *m;
        else
            n_traced_lost++; /* said in a NOTE at the end */
        return;
    }
    record_traced(m);
}

/* The ECAM's address is known now: the reads that waited for it. */
static void traced_unwait(void)
{
    unsigned n = n_waiting;
    n_waiting = 0;
    for (unsigned i = 0; i < n; i++)
        record_traced(&waiting[i]);
}

void traced_counts(uint64_t *recorded, uint64_t *waits, uint64_t *lost)
{
    *recorded = n_traced;
    *waits = n_waiting;
    *lost = n_traced_lost;
}

/* The region a trace line names: QEMU 7.2 names virtio-pci's "virtio-pci-common-<device>" and so
 * on (virtio_pci_modern_regions_init), the MSI-X BAR's "msix-table" / "msix-pba", the ECAM of
 * the virt machine's PCIe host "pcie-mmcfg-mmio". */
static int region_kind(const char *name)
{
    static const struct {
        const char *prefix;
        int kind;
    } k[] = {{"virtio-pci-common-", MR_PCI_COMMON}, {"virtio-pci-isr-", MR_PCI_ISR},
             {"virtio-pci-device-", MR_PCI_DEVICE}, {"virtio-pci-notify-pio-", MR_OTHER},
             {"virtio-pci-notify-", MR_PCI_NOTIFY}, {"msix-table", MR_PCI_MSIX},
             {"msix-pba", MR_PCI_MSIX}, {"pcie-mmcfg-mmio", MR_ECAM}};
    if (!strcmp(name, "virtio-mmio"))
        return MR_VIRTIO_MMIO;
    for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        if (!strncmp(name, k[i].prefix, strlen(k[i].prefix)))
            return k[i].kind;
    return MR_OTHER;
}

static struct vq_entry *vq_entry(uint64_t vq)
{
    for (unsigned i = 0; i < n_vq_map; i++)
        if (vq_map[i].vq == vq)
            return &vq_map[i];
    return NULL;
}

/* The window of the device whose QueueNotify write made this virtio_queue_notify line: QEMU logs
 * the write's memory_region_ops line, then (inside the write) the notify, and the plugin's
 * callback for the write comes after both, so that write's line is still unmatched. Another
 * vCPU may be notifying queue n of another device at the same time: then the lines cannot tell
 * which is which, and the window stays unknown (0) until a notify that can. */
static uint64_t notify_window(int n)
{
    uint64_t found = 0;
    for (unsigned i = 0; i < n_pending; i++) {
        const struct mmio_line *m = &pending[i];
        uint64_t w;
        if (m->write && m->kind == MR_VIRTIO_MMIO &&
            (m->addr & (WINDOW_SIZE - 1)) == R_QUEUE_NOTIFY && m->value == (uint64_t)n)
            w = m->addr & ~(uint64_t)(WINDOW_SIZE - 1);
        else if (m->write && m->kind == MR_PCI_NOTIFY && (m->addr & 0xfff) / 4 == (uint64_t)n)
            w = m->addr & ~(uint64_t)(PCI_BAR_STRUCTS - 1); /* the queue is the address's */
        else
            continue;
        if (found && found != w)
            return 0;
        found = w;
    }
    return found;
}

static void device_line(const char *line)
{
    uint64_t vq = 0, vdev = 0;
    int n = -1;
    uint32_t kind = VQREC_DEV_OTHER, queue = 0xffffffffu;
    const char *p;
    if ((p = strstr(line, "virtio_queue_notify ")) &&
        sscanf(p, "virtio_queue_notify vdev %" SCNx64 " n %d vq %" SCNx64, &vdev, &n, &vq) == 3) {
        kind = VQREC_DEV_NOTIFY;
        struct vq_entry *e = vq_entry(vq);
        if (!e && n_vq_map < VQ_MAP) {
            e = &vq_map[n_vq_map++];
            *e = (struct vq_entry){vq, (uint32_t)n, 0};
        }
        if (e && !e->window && (e->window = notify_window(n)) && e->pops_unplaced) {
            /* the pops seen before the window was known count towards its queue's */
            for (unsigned i = 0; i < n_windows; i++)
                if (windows[i].base == e->window && e->index < MAX_QUEUES)
                    windows[i].q[e->index].popped += e->pops_unplaced;
            e->pops_unplaced = 0;
        }
    } else if ((p = strstr(line, "virtqueue_pop ")) && sscanf(p, "virtqueue_pop vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_POP;
    } else if ((p = strstr(line, "virtqueue_fill ")) && sscanf(p, "virtqueue_fill vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_FILL;
    } else if ((p = strstr(line, "virtqueue_flush ")) && sscanf(p, "virtqueue_flush vq %" SCNx64, &vq) == 1) {
        kind = VQREC_DEV_FLUSH;
    } else if ((p = strstr(line, "virtio_notify ")) &&
               sscanf(p, "virtio_notify vdev %" SCNx64 " vq %" SCNx64, &vdev, &vq) == 2) {
        kind = VQREC_DEV_IRQ;
    } else if (strstr(line, "virtio_mmio_setting_irq ")) {
        kind = VQREC_DEV_IRQ;
    } else if (!strstr(line, "virtio")) {
        return; /* another device's message */
    }
    struct vq_entry *e = vq ? vq_entry(vq) : NULL;
    uint64_t window = e ? e->window : 0;
    if (kind == VQREC_DEV_POP && e && !window)
        e->pops_unplaced++;
    if (e)
        queue = e->index;
    else if (kind == VQREC_DEV_NOTIFY)
        queue = (uint32_t)n;
    if (kind == VQREC_DEV_POP && window) /* its buffers first, then the pop that reads them */
        for (unsigned i = 0; i < n_windows; i++)
            if (windows[i].base == window)
                dump_popped(&windows[i], queue);
    emit_text(VQREC_DEVICE, queue, kind, window, line);
}

static void log_line(char *line)
{
    const char *p = strstr(line, "memory_region_ops_");
    if (p) {
        char dir[8], name[64] = "";
        int cpu;
        uint64_t addr, value;
        unsigned size;
        if (sscanf(p, "memory_region_ops_%7s cpu %d mr %*s addr %" SCNx64 " value %" SCNx64
                      " size %u name '%63[^']'", dir, &cpu, &addr, &value, &size, name) < 5)
            return;
        struct mmio_line m = {cpu, !strcmp(dir, "write"), region_kind(name), size, addr, value};
        if (!m.write && __atomic_load_n(&phase, __ATOMIC_RELAXED) == PHASE_STORES) {
            traced_read(&m); /* no load calls back yet */
            return;
        }
        if (n_pending == PENDING) { /* never matched: forget the oldest */
            memmove(pending, pending + 1, sizeof(pending[0]) * (PENDING - 1));
            n_pending--;
        }
        pending[n_pending++] = m;
        return;
    }
    device_line(line);
}

void log_setup(const char *path, int punch)
{
    log_path = path ? strdup(path) : NULL;
    log_punch = punch;
}

/* Read QEMU's log up to its current end (whole lines only). */
void drain_log(void)
{
    if (log_fd < 0) {
        if (!log_path)
            return;
        log_fd = open(log_path, (log_punch ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (log_fd < 0)
            return;
    }
    /* QEMU writes at its own file offset: a hole punched behind it keeps the file's size and
     * QEMU's offset, and gives the memory back. */
    uint64_t done = (log_read - log_len) & ~(uint64_t)0xfffff;
    if (log_punch && done > log_punched) {
        if (fallocate(log_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)log_punched,
                      (off_t)(done - log_punched)) == 0)
            log_punched = done;
        else
            log_punch = 0;
    }
    for (;;) {
        ssize_t r = read(log_fd, log_buf + log_len, sizeof(log_buf) - 1 - log_len);
        if (r <= 0)
            return;
        log_read += (uint64_t)r;
        log_len += (size_t)r;
        log_buf[log_len] = 0;
        char *s = log_buf, *nl;
        while ((nl = strchr(s, '\n'))) {
            *nl = 0;
            log_line(s);
            s = nl + 1;
        }
        log_len -= (size_t)(s - log_buf);
        memmove(log_buf, s, log_len);
        if (log_len == sizeof(log_buf) - 1)
            log_len = 0; /* a line longer than the buffer: drop it */
    }
}

/* Is line m the one of an access at pa? An ECAM line carries its offset in the ECAM: the first
 * one matched (same vCPU and direction, the difference a possible ECAM base: 1 MiB aligned, as
 * a bus's) tells where the ECAM is. */
static int line_at(const struct mmio_line *m, uint64_t pa)
{
    if (m->kind != MR_ECAM)
        return m->addr == pa;
    if (ecam != UINT64_MAX)
        return pa - ecam == m->addr;
    return pa >= m->addr && ((pa - m->addr) & 0xfffff) == 0;
}

/* The trace line of this access: the oldest unmatched one of the same vCPU, direction and
 * address. Older lines of that vCPU are accesses that never reached a callback: dropped, or
 * while code instrumented for stores only may run, recorded from their lines when reads. */
int take_mmio(unsigned cpu, int write, uint64_t pa, uint64_t *value, int *kind)
{
    for (unsigned i = 0; i < n_pending; i++) {
        struct mmio_line *m = &pending[i];
        if (m->cpu != (int)cpu || m->write != write || !line_at(m, pa))
            continue;
        if (m->kind == MR_ECAM && ecam == UINT64_MAX) {
            ecam = pa - m->addr;
            traced_unwait();
        }
        *value = m->value;
        *kind = m->kind;
        bool early = __atomic_load_n(&phase, __ATOMIC_RELAXED) != PHASE_FULL;
        unsigned k = 0;
        for (unsigned j = 0; j < n_pending; j++)
            if (j > i || (j < i && pending[j].cpu != (int)cpu))
                pending[k++] = pending[j];
            else if (j < i && early)
                traced_read(&pending[j]);
        n_pending = k;
        return 1;
    }
    return 0;
}

void traced_leftovers(void)
{
    unsigned k = 0;
    for (unsigned j = 0; j < n_pending; j++)
        if (pending[j].write || pending[j].kind == MR_OTHER)
            pending[k++] = pending[j];
        else
            traced_read(&pending[j]);
    n_pending = k;
}
