/* hal_sim_narrow.c — 8- and 16-bit accesses to a virtio-mmio window (hal_sim_internal.h): the
 * device's configuration space takes them (mmio_config_narrow.h, as QEMU's virtio-mmio does);
 * a control register does not (§4.2.2: 32-bit only): there the access reaches nothing, the
 * layout rule fires, and the trace says so. A replayed guest's narrow config accesses (Linux
 * reads virtio-blk's and virtio-input's 8- and 16-bit fields so) come through here. */
#include <stdint.h>

#include "harness/hal_sim.h"
#include "harness/hal_sim_internal.h"
#include "model/diagnosis/run_facts.h"
#include "model/machine.h"
#include "model/transport/mmio_config_narrow.h"
#include "spec/virtio_spec.h"

static const char narrow_note[] = "ignored: virtio-mmio registers take 32-bit accesses only";

/* The window offset of addr, false when addr is outside the device's window. */
static bool window_off(const struct machine *m, uint64_t addr, uint32_t *off)
{
    if (addr < m->cfg.mmio_base || addr - m->cfg.mmio_base >= VIRTIO_MMIO_WINDOW_SIZE)
        return false;
    *off = (uint32_t)(addr - m->cfg.mmio_base);
    return true;
}

uint32_t hal_mmio_narrow_read(struct machine *m, uint64_t addr, uint8_t size)
{
    bc_mmio(m);
    machine_advance(m, m->now + HAL_ACCESS_NS);
    uint32_t off;
    if (!window_off(m, addr, &off) || !mmio_config_is_config(off)) {
        if (window_off(m, addr, &off))
            machine_violation(m, "mmio.reg-access-32bit-aligned", -1,
                              "%u-byte register read at 0x%03x: the control registers take "
                              "32-bit accesses only", size, off);
        struct trace_event *e = machine_trace(m, TR_MMIO_READ, addr, 0xffffffffu, size, NULL);
        if (e)
            e->note = narrow_note;
        return 0xffffffffu;
    }
    uint32_t v = mmio_config_read_narrow(m, off, size);
    machine_trace(m, TR_MMIO_READ, off, v, size, "config");
    rf_mmio_read(m, off, v, NULL);
    return v;
}

void hal_mmio_narrow_write(struct machine *m, uint64_t addr, uint8_t size, uint32_t value)
{
    bc_mmio(m);
    bc_mmio_write(m);
    machine_advance(m, m->now + HAL_ACCESS_NS);
    uint32_t off;
    if (!window_off(m, addr, &off) || !mmio_config_is_config(off)) {
        if (window_off(m, addr, &off))
            machine_violation(m, "mmio.reg-access-32bit-aligned", -1,
                              "%u-byte register write at 0x%03x: the control registers take "
                              "32-bit accesses only", size, off);
        struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, addr, value, size, NULL);
        if (e)
            e->note = narrow_note;
        return;
    }
    struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, off, value, size, "config");
    uint64_t seq = trace_seq(&m->trace, e);
    const char *note = NULL;
    mmio_config_write_narrow(m, off, size, value, &note);
    if ((e = trace_at_seq(&m->trace, seq)))
        e->note = note;
    rf_mmio_write(m, off, value, note, false);
}
