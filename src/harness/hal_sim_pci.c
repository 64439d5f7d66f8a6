/* hal_sim_pci.c — virtio_hal.h's PCI side on the simulated machine: configuration space
 * (vhal_pci_cfg_*), the narrow MMIO accesses (vhal_mmio_*8/16) and every memory access when the
 * device sits on PCI (machine_config.transport). See hal_sim.h.
 *
 * An access is decoded by the PCI function (pci_function.h) to what it reaches; the PCI rule
 * checks (pci_checks.h) see every one; one that is a virtio-core operation also goes through the
 * transport-neutral checks (access_checks.h, at the core's equivalent register), the run facts of
 * the diagnosis and the trace, exactly as a virtio-mmio register access does; then the device
 * applies it. A replayed PCI driver bug (pci_bugs.h) may rewrite or drop it first.
 */
#include <stdint.h>

#include "driver/virtio_hal.h"
#include "harness/hal_sim.h"
#include "harness/hal_sim_internal.h"
#include "model/checks/access_checks.h"
#include "model/checks/pci_checks.h"
#include "model/inject/pci_bugs.h"
#include "model/machine.h"

uint32_t hal_pci_mem_read(struct machine *m, uint64_t addr, uint8_t size)
{
    bc_mmio(m);
    machine_advance(m, m->now + HAL_ACCESS_NS);
    struct pci_hit h;
    pci_function_decode(m, addr, size, false, &h);
    const char *note = NULL;
    uint32_t v = pci_function_read(m, &h, size, &note);
    bool core = h.virtio_off >= 0 && !h.note;
    observe_pci(m->observer, m, false, false, addr, size, v); /* what the CPU got */
    pci_checks_access(m, &h, size, false, v);
    if (core)
        access_checks_read(m, (uint32_t)h.virtio_off, v);
    struct trace_event *e = machine_trace(m, TR_MMIO_READ, addr, v, size, h.field);
    if (e)
        e->note = note;
    if (core) {
        rf_mmio_read(m, (uint32_t)h.virtio_off, v, note);
        if (h.region == PCI_R_ISR) /* §4.1.4.5: the read is the acknowledgement */
            rf_mmio_write(m, VIRTIO_MMIO_INTERRUPT_ACK, v, note, false);
        mmio_device_read_done(m, (uint32_t)h.virtio_off);
    } else if (h.decode_off) {
        rf_pci_decode_off(m, addr);
    }
    return v;
}

/* A write that reaches the function (after any replayed bug), checked, applied, traced. */
static void pci_write(struct machine *m, uint64_t addr, uint8_t size, uint32_t value,
                      const char *bug)
{
    struct pci_hit h;
    pci_function_decode(m, addr, size, true, &h);
    bool core = h.virtio_off >= 0 && !h.note;
    uint32_t core_value = h.region == PCI_R_NOTIFY ? h.queue : value;
    struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, addr, value, size, h.field);
    uint64_t seq = trace_seq(&m->trace, e);
    observe_pci(m->observer, m, false, true, addr, size, value); /* as it reached the bus */
    pci_checks_access(m, &h, size, true, value);
    const char *note = NULL;
    bool apply = !core || access_checks_write(m, (uint32_t)h.virtio_off, core_value, &note);
    if (apply)
        pci_function_write(m, &h, size, value, &note);
    if ((e = trace_at_seq(&m->trace, seq)))
        e->note = bug ? bug : note;
    if (core)
        rf_mmio_write(m, (uint32_t)h.virtio_off, core_value, note, false);
    else if (h.decode_off)
        rf_pci_decode_off(m, addr);
    if (h.region == PCI_R_COMMON && h.off == 0x1a && !h.note)
        rf_pci_vector(m, m->dev.queue_sel, value);
    if (h.region == PCI_R_NOTIFY) /* an ignored notify reached no queue */
        rf_pci_notify(m, h.off, value, h.note ? UINT32_MAX : h.queue);
}

/* The access a replayed bug adds: bus time, and no bug applies to it. */
static void added_write(struct machine *m, const struct pci_added *add, const char *bug)
{
    machine_advance(m, m->now + HAL_ACCESS_NS);
    pci_write(m, add->addr, add->size, add->value, bug);
}

void hal_pci_mem_write(struct machine *m, uint64_t addr, uint8_t size, uint32_t value)
{
    bc_mmio(m);
    bc_mmio_write(m);
    machine_advance(m, m->now + HAL_ACCESS_NS);
    const char *bug = NULL;
    struct pci_added add;
    if (!pci_bugs_write(m, &addr, &size, &value, &bug, &add)) { /* a replayed bug dropped it */
        struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, addr, value, size, "dropped");
        if (e)
            e->note = bug;
        return;
    }
    if (add.has && !add.after)
        added_write(m, &add, bug);
    pci_write(m, addr, size, value, add.has ? NULL : bug);
    if (add.has && add.after)
        added_write(m, &add, bug);
}

/* Narrow accesses: virtio-pci's fields of 8 and 16 bits; on virtio-mmio the device's config
 * space takes them, its control registers do not (§4.2.2; hal_sim_narrow.c). */
static uint32_t narrow_read(uintptr_t addr, uint8_t size)
{
    struct machine *m = hal_sim_bound();
    if (!m)
        return 0xffffffffu;
    if (m->cfg.transport == TRANSPORT_PCI)
        return hal_pci_mem_read(m, addr, size);
    return hal_mmio_narrow_read(m, addr, size);
}

static void narrow_write(uintptr_t addr, uint8_t size, uint32_t value)
{
    struct machine *m = hal_sim_bound();
    if (!m)
        return;
    if (m->cfg.transport == TRANSPORT_PCI) {
        hal_pci_mem_write(m, addr, size, value);
        return;
    }
    hal_mmio_narrow_write(m, addr, size, value);
}

uint8_t vhal_mmio_read8(uintptr_t addr) { return (uint8_t)narrow_read(addr, 1); }
uint16_t vhal_mmio_read16(uintptr_t addr) { return (uint16_t)narrow_read(addr, 2); }
void vhal_mmio_write8(uintptr_t addr, uint8_t value) { narrow_write(addr, 1, value); }
void vhal_mmio_write16(uintptr_t addr, uint16_t value) { narrow_write(addr, 2, value); }

/* Configuration space: traced at its ECAM address (what "pci-cfg"), checked. */
uint32_t vhal_pci_cfg_read32(uint32_t bdf, uint32_t off)
{
    struct machine *m = hal_sim_bound();
    if (!m)
        return 0xffffffffu;
    machine_advance(m, m->now + HAL_ACCESS_NS);
    uint32_t v = m->cfg.transport == TRANSPORT_PCI ? pci_function_cfg_read(m, bdf, off)
                                                   : 0xffffffffu;
    struct trace_event *e = machine_trace(m, TR_MMIO_READ, PCI_FN_ECAM_BASE + ((uint64_t)bdf << 12) + off, v, 4,
                                          "pci-cfg");
    if (e && m->cfg.transport != TRANSPORT_PCI)
        e->note = "no PCI function: the device is on virtio-mmio";
    observe_pci(m->observer, m, true, false, PCI_FN_ECAM_BASE + ((uint64_t)bdf << 12) + off, 4, v);
    return v;
}

void vhal_pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t value)
{
    struct machine *m = hal_sim_bound();
    if (!m)
        return;
    machine_advance(m, m->now + HAL_ACCESS_NS);
    struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, PCI_FN_ECAM_BASE + ((uint64_t)bdf << 12) + off, value, 4,
                                          "pci-cfg");
    const char *note = "no PCI function: the device is on virtio-mmio";
    if (m->cfg.transport == TRANSPORT_PCI) {
        /* the checks and the function below may record (a violation): e is looked up again */
        uint64_t seq = trace_seq(&m->trace, e);
        const char *bug = NULL;
        struct pci_added add;
        pci_bugs_cfg_write(m, off, &value, &bug, &add);
        if (bug && (e = trace_at_seq(&m->trace, seq)))
            e->value = value;
        observe_pci(m->observer, m, true, true, PCI_FN_ECAM_BASE + ((uint64_t)bdf << 12) + off, 4,
                    value); /* as it reached the bus, after a replayed bug */
        pci_checks_cfg_write(m, bdf, off, value);
        pci_function_cfg_write(m, bdf, off, value, &note);
        if (bug)
            note = bug;
        rf_pci_cfg_write(m, off, value);
        if ((e = trace_at_seq(&m->trace, seq)))
            e->note = note;
        if (add.has) /* pci-add-cfg-write: made after the driver's */
            vhal_pci_cfg_write32(bdf, (uint32_t)add.addr, add.value);
        return;
    }
    if (e)
        e->note = note;
}
