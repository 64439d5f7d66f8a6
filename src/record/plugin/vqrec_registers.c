/* vqrec_registers.c — the virtio-mmio windows the guest accesses and the registers the plugin
 * follows there (§4.2.2, §4.2.4): queue sizes and ring addresses, resets, notifies. */
#include <string.h>

#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"

struct window windows[MAX_WINDOWS];
unsigned n_windows;
unsigned windows_untracked;
int notified;

static struct window *find_or_add(uint64_t base, int pci, int *added)
{
    *added = 0;
    for (unsigned i = 0; i < n_windows; i++)
        if (windows[i].base == base && windows[i].pci == pci)
            return &windows[i];
    if (n_windows == MAX_WINDOWS) {
        windows_untracked++; /* said in a NOTE at the end (vqrec_plugin.c) */
        return NULL;
    }
    struct window *w = &windows[n_windows++];
    memset(w, 0, sizeof(*w));
    w->base = base;
    w->pci = pci;
    for (unsigned i = 0; i < MAX_QUEUES; i++)
        w->q[i].align = 4096; /* QEMU's QueueAlign before the driver writes one */
    *added = 1;
    return w;
}

struct window *window_of(uint64_t addr, unsigned cpu)
{
    int added;
    uint64_t base = addr & ~(uint64_t)(WINDOW_SIZE - 1);
    struct window *w = find_or_add(base, 0, &added);
    if (added)
        emit(VQREC_WINDOW, 0, 0, cpu, base, WINDOW_SIZE, 0, NULL, 0);
    return w;
}

struct window *pci_window_of(uint64_t base)
{
    int added;
    struct window *w = find_or_add(base, 1, &added);
    if (added)
        w->version = 2; /* virtio-pci's structures are the modern interface (§4.1.4) */
    return w;
}

static void set_half(uint64_t *v, int high, uint32_t value)
{
    *v = high ? (*v & 0xffffffffull) | (uint64_t)value << 32
              : (*v & ~0xffffffffull) | value;
}

void mmio_access(unsigned cpu, struct window *w, uint32_t off, int write, uint64_t value)
{
    struct queue *q = &w->q[w->sel < MAX_QUEUES ? w->sel : 0];
    int sel_ok = w->sel < MAX_QUEUES;
    if (!write) {
        if (off == R_VERSION)
            w->version = (uint32_t)value;
        else if (off == R_QUEUE_NUM_MAX && sel_ok)
            q->num_max = (uint32_t)value;
        return;
    }
    uint32_t v = (uint32_t)value;
    int changed = 1;
    switch (off) {
    case R_QUEUE_SEL: w->sel = v; changed = 0; break;
    case R_GUEST_PAGE_SIZE: w->page_shift = v ? (uint32_t)__builtin_ctz(v) : 0; break;
    case R_DRIVER_FEATURES_SEL: w->features_sel = v; changed = 0; break;
    case R_DRIVER_FEATURES: /* bit 34, VIRTIO_F_RING_PACKED: the rings are packed (§2.7) */
        if (w->features_sel == 1)
            w->packed = (v >> 2) & 1;
        break;
    case R_STATUS:
        if (v != 0) {
            changed = 0;
            break;
        }
        w->packed = 0;
        for (unsigned i = 0; i < MAX_QUEUES; i++) { /* reset: QueueAlign survives, as in QEMU */
            uint32_t align = w->q[i].align, num_max = w->q[i].num_max;
            memset(&w->q[i], 0, sizeof(w->q[i]));
            w->q[i].align = align;
            w->q[i].num_max = num_max;
        }
        break;
    case R_QUEUE_NOTIFY:
        dump_new_chains(cpu, w, v & 0xffff);
        __atomic_store_n(&notified, 1, __ATOMIC_RELAXED);
        changed = 0;
        break;
    default:
        if (!sel_ok) {
            changed = 0;
            break;
        }
        switch (off) {
        case R_QUEUE_NUM: q->num = v; break;
        case R_QUEUE_ALIGN: q->align = v; break;
        case R_QUEUE_PFN:
            q->pfn = v;
            q->last_avail = q->popped = 0;
            if (v && w->version != 2)
                dump_rings(cpu, w, q);
            break;
        case R_QUEUE_READY:
            if (w->version == 1) { /* no such register on version 1: QEMU ignores it */
                changed = 0;
                break;
            }
            q->ready = v != 0;
            if (q->ready) {
                q->live_desc = q->desc;
                q->live_driver = q->driver;
                q->live_device = q->device;
                dump_rings(cpu, w, q);
            }
            break;
        case R_DESC_LO: case R_DESC_HI: set_half(&q->desc, off == R_DESC_HI, v); break;
        case R_DRIVER_LO: case R_DRIVER_HI: set_half(&q->driver, off == R_DRIVER_HI, v); break;
        case R_DEVICE_LO: case R_DEVICE_HI: set_half(&q->device, off == R_DEVICE_HI, v); break;
        default: changed = 0; break;
        }
    }
    if (changed)
        rebuild_ranges();
}

bool status_register(int kind, uint64_t pa)
{
    return (kind == MR_VIRTIO_MMIO && pa % WINDOW_SIZE == R_STATUS) ||
           (kind == MR_PCI_COMMON && pci_common_is_status(pa));
}

void record_register(unsigned cpu, int kind, int store, unsigned size, uint64_t pa, uint64_t value,
                     uint64_t pc, uint8_t flags)
{
    if (size < 8) /* the trace shows the register's value before the bus narrows it */
        value &= (1ull << (8 * size)) - 1;
    if (kind != MR_VIRTIO_MMIO) {
        pci_access(cpu, kind, pa, size, store, value, pc, flags);
        return;
    }
    struct window *w = window_of(pa, cpu);
    emit_access(store ? VQREC_MMIO_WRITE : VQREC_MMIO_READ, (uint8_t)size, flags, cpu, pa, value,
                pc);
    if (w)
        mmio_access(cpu, w, (uint32_t)(pa - w->base), store, value);
}
