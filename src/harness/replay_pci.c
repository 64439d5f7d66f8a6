/* replay_pci.c — a recorded virtio-pci gpu (recording.h, minor 3; replay_internal.h): which
 * function is the gpu (the first pass), and each recorded access decoded through the model's PCI
 * function (pci_function.h) to what it is — configuration space, a common-configuration field, a
 * notify, the ISR, device configuration, the MSI-X table — so the replay's register logic sees
 * the virtio core's equivalent register and every check sees the access as the guest made it.
 *
 * Configuration space: the recorded function's accesses are replayed at the model's function
 * (PCI_FN_BDF) whatever its address in the guest; the HAL's configuration accessors are 32 bits
 * wide, so a 1- or 2-byte read takes its bytes of the 32-bit one, and a narrower write is merged
 * into what the function holds (as a PCI host bridge's byte enables leave the other bytes as they
 * are). BARs: the model's BARs are where the guest's configuration writes put them, so a BAR
 * access is decoded by the model exactly as QEMU's function decoded it. */
#include <stdint.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "harness/replay_internal.h"
#include "model/checks/pci_checks.h"
#include "spec/virtio_pci.h"

#define PCI_VENDOR_VIRTIO 0x1af4u
#define PCI_DEVICE_GPU (0x1040u + 16u) /* §4.1.2.1: 0x1040 + the device id */
#define BAR_CFG_OFF 0x10u

static bool in_ecam(const struct replay_summary *sm, uint64_t addr)
{
    return sm->ecam_known && addr >= sm->ecam_base && addr - sm->ecam_base < sm->ecam_size;
}

/* ---- the first pass ---- */

static struct replay_pci_fn *scan_fn(struct replay_pci_scan *s, uint32_t bdf)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->fn[i].bdf == bdf)
            return &s->fn[i];
    if (s->n == REPLAY_PCI_FNS)
        return NULL;
    s->fn[s->n] = (struct replay_pci_fn){.bdf = bdf};
    return &s->fn[s->n++];
}

/* Where BAR4 (the virtio structures, 64-bit) and BAR1 (MSI-X) of fn decode, as last written. */
static uint64_t fn_bar(const struct replay_pci_fn *f, uint32_t i)
{
    uint64_t lo = f->bar[i] & ~0xfull;
    return i == PCI_FN_MODERN_BAR ? lo | (uint64_t)f->bar[i + 1] << 32 : lo;
}

static bool fn_bar_has(const struct replay_pci_fn *f, uint64_t addr)
{
    uint64_t b4 = fn_bar(f, PCI_FN_MODERN_BAR), b1 = fn_bar(f, PCI_FN_MSIX_BAR);
    return (b4 && addr >= b4 && addr - b4 < PCI_FN_MODERN_SIZE) ||
           (b1 && addr >= b1 && addr - b1 < PCI_FN_MSIX_SIZE);
}

static void scan_cfg(struct replay_pci_fn *f, const struct vqrec_event *e, uint32_t off)
{
    f->accesses++;
    uint32_t v = (uint32_t)e->value;
    if (e->kind == VQREC_MMIO_READ && off == 0 && e->size >= 2)
        f->vendor = (uint16_t)v, f->vendor_read = true;
    if (e->kind == VQREC_MMIO_READ && off == 0 && e->size == 4)
        f->device = (uint16_t)(v >> 16);
    if (e->kind == VQREC_MMIO_READ && off == 2 && e->size == 2)
        f->device = (uint16_t)v;
    if (e->kind == VQREC_MMIO_WRITE && e->size == 4 && off >= BAR_CFG_OFF && off < BAR_CFG_OFF + 24 &&
        v != 0xffffffffu) /* (all-ones: the BAR being sized) */
        f->bar[(off - BAR_CFG_OFF) / 4] = v;
}

/* An access to fn's structures BAR: what the guest saw of the device, as first_pass_read takes
 * it from a virtio-mmio window — the device features (device_feature by device_feature_select)
 * and the device configuration (§4.1.4.6; a blk's capacity, §5.2.4). */
static void scan_bar(struct replay_pci_fn *f, const struct vqrec_event *e)
{
    uint64_t b4 = fn_bar(f, PCI_FN_MODERN_BAR);
    if (!b4 || e->addr < b4 || e->addr - b4 >= PCI_FN_MODERN_SIZE)
        return;
    uint32_t off = (uint32_t)(e->addr - b4);
    struct replay_window *w = &f->win;
    if (e->kind == VQREC_MMIO_WRITE && off == VPCI_COMMON(device_feature_select) && e->size == 4)
        w->features_sel = (uint32_t)e->value;
    else if (e->kind == VQREC_MMIO_READ && off == VPCI_COMMON(device_feature) && e->size == 4 &&
             w->features_sel < 2)
        w->features |= (uint64_t)(uint32_t)e->value << (32 * w->features_sel);
    else if (e->kind == VQREC_MMIO_READ && off >= PCI_FN_DEVICE_OFF &&
             off - PCI_FN_DEVICE_OFF < PCI_FN_REGION_SIZE)
        replay_config_read(w, off - PCI_FN_DEVICE_OFF, e);
}

bool replay_pci_first(struct replay_pci_scan *s, struct replay_summary *sm,
                      const struct vqrec_event *e)
{
    if (e->kind == VQREC_PCI_ECAM) {
        sm->ecam_known = true;
        sm->ecam_base = e->addr;
        sm->ecam_size = e->value;
        return true;
    }
    if (e->kind != VQREC_MMIO_READ && e->kind != VQREC_MMIO_WRITE)
        return false;
    if (in_ecam(sm, e->addr)) {
        uint64_t a = e->addr - sm->ecam_base;
        struct replay_pci_fn *f = scan_fn(s, (uint32_t)(a >> 12));
        if (f)
            scan_cfg(f, e, (uint32_t)(a & 0xfff));
        return true;
    }
    for (uint32_t i = 0; i < s->n; i++)
        if (s->fn[i].vendor == PCI_VENDOR_VIRTIO && fn_bar_has(&s->fn[i], e->addr)) {
            s->fn[i].accesses++;
            scan_bar(&s->fn[i], e);
            return true;
        }
    return false;
}

/* The virtio device id of a PCI device id (§4.1.2.1): 0x1040 + id, or a transitional one. */
static uint32_t virtio_id_of(uint16_t pci_device)
{
    static const uint8_t transitional[] = {1, 2, 5, 3, 8, 4, 0, 0, 0, 9}; /* 0x1000.. */
    if (pci_device >= 0x1040 && pci_device <= 0x107f)
        return pci_device - 0x1040u;
    return pci_device >= 0x1000 && pci_device <= 0x1009 ? transitional[pci_device - 0x1000] : 0;
}

/* Function f as a window (replay_window): its device id and what the guest read of it. */
static struct replay_window fn_window(const struct replay_pci_fn *f)
{
    struct replay_window w = f->win;
    w.base = fn_bar(f, PCI_FN_MODERN_BAR);
    w.accesses = f->accesses;
    w.device_id = virtio_id_of(f->device);
    w.id_read = w.device_id != 0;
    return w;
}

/* Rank of a function for the replay: the gpu, then a device vqsim models, then any. */
static int fn_rank(const struct replay_pci_fn *f)
{
    struct replay_window w = fn_window(f);
    return f->device == PCI_DEVICE_GPU ? 2 : replay_device_type(&w) != NULL;
}

/* The gpu's function (vendor 0x1af4, device 0x1050); without one, the first virtio function of
 * a device vqsim models, by its PCI device id (a blk, an rng…), else the first virtio function
 * (as a virtio-mmio recording without a gpu takes its first window): the replay follows it, and
 * says so when it holds a device vqsim does not model. */
void replay_pci_summary(const struct replay_pci_scan *s, struct replay_summary *sm)
{
    const struct replay_pci_fn *pick = NULL;
    for (uint32_t i = 0; i < s->n; i++) {
        const struct replay_pci_fn *f = &s->fn[i];
        if (!f->vendor_read || f->vendor != PCI_VENDOR_VIRTIO)
            continue;
        sm->virtio_accesses += f->accesses;
        if (!pick || fn_rank(f) > fn_rank(pick))
            pick = f;
    }
    if (!pick || sm->gpu_found) /* (a virtio-mmio gpu came first) */
        return;
    for (uint32_t i = 0; i < s->n; i++)
        if (&s->fn[i] != pick && s->fn[i].vendor == PCI_VENDOR_VIRTIO &&
            sm->n_pci_other < sizeof(sm->pci_other_bar) / sizeof(sm->pci_other_bar[0])) {
            sm->pci_other_bar[sm->n_pci_other][0] = fn_bar(&s->fn[i], PCI_FN_MODERN_BAR);
            sm->pci_other_bar[sm->n_pci_other++][1] = fn_bar(&s->fn[i], PCI_FN_MSIX_BAR);
        }
    sm->pci = sm->window_known = true;
    sm->target = fn_window(pick);
    sm->target_known = true;
    sm->gpu_found = fn_rank(pick) > 0; /* (a device vqsim models: its replay follows it) */
    sm->other_device_only = !sm->gpu_found;
    sm->pci_bdf = pick->bdf;
    sm->window = fn_bar(pick, PCI_FN_MODERN_BAR); /* what the recorder names its device by */
    sm->gpu_accesses = pick->accesses;
    sm->version = 2; /* virtio-pci has no Version register: modern (§4.1) */
}

/* ---- the replay ---- */

void replay_reg_of(const struct replay *rp, const struct machine *m, const struct vqrec_event *e,
                   struct replay_reg *r)
{
    *r = (struct replay_reg){.off = -1, .value = (uint32_t)e->value};
    if (!rp->sum.pci) {
        r->gpu = in_gpu_window(rp, e->addr);
        r->off = (int32_t)(e->addr - rp->window);
        return;
    }
    if (in_ecam(&rp->sum, e->addr)) {
        r->cfg = true;
        r->gpu = (uint32_t)((e->addr - rp->sum.ecam_base) >> 12) == rp->sum.pci_bdf;
        return;
    }
    if (e->size != 1 && e->size != 2 && e->size != 4)
        return; /* no virtio-pci structure takes it: not the gpu's (QEMU splits 8 bytes) */
    struct pci_hit h;
    pci_function_decode(m, e->addr, e->size, e->kind == VQREC_MMIO_WRITE, &h);
    r->gpu = h.region != PCI_R_NONE || h.decode_off;
    if (h.virtio_off >= 0 && !h.note)
        r->off = h.virtio_off;
    if (h.region == PCI_R_NOTIFY && !h.note)
        r->value = h.queue; /* a notify names its queue by address (§4.1.4.4) */
}

bool replay_is_gpu(const struct replay *rp, const struct machine *m, const struct vqrec_event *e)
{
    struct replay_reg r;
    replay_reg_of(rp, m, e, &r);
    return r.gpu;
}

uint32_t replay_bus_read(const struct replay *rp, const struct vqrec_event *e)
{
    (void)rp;
    if (e->size == 1)
        return vhal_mmio_read8((uintptr_t)e->addr);
    if (e->size == 2)
        return vhal_mmio_read16((uintptr_t)e->addr);
    return vhal_mmio_read32((uintptr_t)e->addr);
}

void replay_bus_write(const struct replay *rp, uint64_t addr, uint8_t size, uint32_t value)
{
    (void)rp;
    if (size == 1)
        vhal_mmio_write8((uintptr_t)addr, (uint8_t)value);
    else if (size == 2)
        vhal_mmio_write16((uintptr_t)addr, (uint16_t)value);
    else
        vhal_mmio_write32((uintptr_t)addr, value);
}

void replay_pci_notify_canonical(const struct replay *rp, const struct machine *m, uint32_t qi)
{
    uint64_t at = pci_function_bar_addr(&m->pci, PCI_FN_MODERN_BAR) + PCI_FN_NOTIFY_OFF +
                  (uint64_t)qi * PCI_FN_NOTIFY_MULT;
    replay_bus_write(rp, at, 2, qi); /* as QEMU's queue_notify_off = qi lays it out */
}

void replay_pci_check_only(struct machine *m, const struct vqrec_event *e)
{
    struct pci_hit h;
    pci_function_decode(m, e->addr, e->size, true, &h);
    pci_checks_access(m, &h, e->size, true, (uint32_t)e->value);
}

bool replay_pci_other_write(struct replay *rp, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    for (uint32_t i = 0; rp->sum.pci && i < rp->sum.n_pci_other; i++) {
        uint64_t bar = rp->sum.pci_other_bar[i][0], msix = rp->sum.pci_other_bar[i][1];
        if (msix && e->addr >= msix && e->addr - msix < PCI_FN_MSIX_SIZE)
            return true; /* its MSI-X table */
        if (!bar || e->addr < bar || e->addr - bar >= PCI_FN_MODERN_SIZE)
            continue;
        int32_t off = e->addr - bar < PCI_FN_ISR_OFF /* its common configuration */
                          ? pci_common_virtio_off((uint32_t)(e->addr - bar)) : -1;
        if (off >= 0)
            other_rings_write(&rp->others, bar, (uint32_t)off, (uint32_t)e->value);
        return true;
    }
    return false;
}

void replay_pci_cfg(struct replay *rp, struct machine *m, const struct vqrec_item *it)
{
    const struct vqrec_event *e = &it->ev;
    uint32_t off = (uint32_t)((e->addr - rp->sum.ecam_base) & 0xfff), at = off & ~3u;
    uint32_t shift = 8 * (off & 3u);
    uint32_t mask = e->size >= 4 ? 0xffffffffu : (1u << 8 * e->size) - 1;
    if ((e->size != 1 && e->size != 2 && e->size != 4) || off % e->size) {
        replay_note(rp, it, "%u-byte configuration access at 0x%x: not replayed", e->size, off);
        return;
    }
    if (e->kind == VQREC_MMIO_READ) {
        uint32_t v = (vhal_pci_cfg_read32(PCI_FN_BDF, at) >> shift) & mask;
        if (v != ((uint32_t)e->value & mask))
            replay_note(rp, it, "configuration read at 0x%x: the guest got 0x%llx, the model "
                        "says 0x%x", off, (unsigned long long)e->value & mask, v);
        return;
    }
    uint32_t v = (uint32_t)e->value & mask;
    if (e->size != 4)
        v = (pci_function_cfg_read(m, PCI_FN_BDF, at) & ~(mask << shift)) | v << shift;
    vhal_pci_cfg_write32(PCI_FN_BDF, at, v);
}
