/* hal_sim.c — virtio_hal.h implemented on the simulated machine (see hal_sim.h).
 *
 * Every call is recorded in the trace in program order. MMIO goes through the replayed-bug layer
 * (inject/driver_bugs.c) to the register file; ring stores too. Time is virtual: a register
 * access costs MMIO_ACCESS_NS, vhal_delay_ns the time it is asked (so a 5-second timeout costs
 * microseconds), and moving it (machine_advance) is where the device does the work that falls
 * due — one of the machine's two named points of device work (machine.h; the other belongs to
 * the weak-memory barrier analysis). Without a bound machine (a programming error in the caller)
 * accesses read as all-ones and are dropped, as a bus with nothing behind it would.
 */
#include "harness/hal_sim.h"
#include "harness/hal_sim_internal.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "driver/virtio_hal.h"
#include "model/checks/access_checks.h"
#include "model/checks/exposed_snapshot.h"
#include "model/checks/legacy_layout.h"
#include "model/checks/packed_exposed.h"
#include "model/machine.h"
#include "model/observer.h"
#include "model/rings/ring_at.h"
#include "model/rings/ring_map.h"

/* The machine this thread's HAL calls reach (hal_sim.h): one load, on every call. */
static _Thread_local struct machine *bound;

void hal_sim_bind(struct machine *m) { bound = m; }
void hal_sim_unbind(void) { bound = NULL; }
struct machine *hal_sim_bound(void) { return bound; }

static inline struct machine *mach(void) { return bound; }

#define MMIO_ACCESS_NS HAL_ACCESS_NS /* hal_sim_internal.h */

static bool in_window(const struct machine *m, uintptr_t addr)
{
    return addr >= m->cfg.mmio_base && addr - m->cfg.mmio_base < VIRTIO_MMIO_WINDOW_SIZE;
}

/* A register read that reaches the device: the device answers, the rule checks see it (with the
 * device's value), then a replayed bug may change what the driver gets. */
static uint32_t bus_read(struct machine *m, uint32_t off, const char *bug_note, bool from_driver)
{
    const char *note = NULL;
    uint32_t v = 0;
    if (off % 4)
        note = "ignored: unaligned register access";
    else
        v = mmio_device_read(m, off, &note);
    access_checks_read(m, off, v);
    if (from_driver)
        faults_mmio_read(m, off, &v, &note);
    observe_mmio(m->observer, m, false, off, v); /* what the CPU got */
    struct trace_event *e = machine_trace(m, TR_MMIO_READ, off, v, 4, mmio_reg_name(off));
    if (e)
        e->note = bug_note ? bug_note : note;
    rf_mmio_read(m, off, v, bug_note ? bug_note : note);
    mmio_device_read_done(m, off); /* after the read, in the trace too */
    return v;
}

/* A register write that reaches the device (after any replayed-bug rewrite). The rule checks see
 * it first; in the strict profile they may have the device ignore it. */
static void bus_write(struct machine *m, uint32_t off, uint32_t value, const char *note)
{
    /* Record first, so the trace shows the write before whatever the device does about it;
     * keep the index, as the array may grow while the device works. */
    struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, off, value, 4, mmio_reg_name(off));
    /* Run-wide event number: the trace may also drop its oldest events meanwhile (trace.h). */
    uint64_t seq = trace_seq(&m->trace, e);
    /* as it reached the bus, before the device acts */
    observe_mmio(m->observer, m, true, off, value);
    const char *dev_note = NULL;
    if (!access_checks_write(m, off, value, &dev_note))
        ; /* the strict profile ignores it; dev_note says why */
    else if (off % 4)
        dev_note = "ignored: unaligned register access";
    else
        mmio_device_write(m, off, value, &dev_note);
    if ((e = trace_at_seq(&m->trace, seq)))
        e->note = dev_note ? dev_note : note;
    rf_mmio_write(m, off, value, dev_note ? dev_note : note, false);
}

static void added_write(struct machine *m, uint32_t off, uint32_t value, const char *note)
{
    machine_advance(m, m->now + MMIO_ACCESS_NS);
    bus_write(m, off, value, note);
}

static void added_read(struct machine *m, uint32_t off, const char *note)
{
    machine_advance(m, m->now + MMIO_ACCESS_NS);
    (void)bus_read(m, off, note, false);
}

void machine_mmio_read_seen(struct machine *m, uint32_t off, uint32_t seen)
{
    bc_mmio(m);
    machine_advance(m, m->now + MMIO_ACCESS_NS);
    access_checks_read(m, off, seen);
    struct trace_event *e = machine_trace(m, TR_MMIO_READ, off, seen, 4, mmio_reg_name(off));
    if (e)
        e->note = "the value the recorded guest read (the model's device was ahead)";
}

uint32_t vhal_mmio_read32(uintptr_t addr)
{
    struct machine *m = mach();
    if (!m)
        return 0xffffffffu;
    if (m->cfg.transport == TRANSPORT_PCI) /* hal_sim_pci.c */
        return hal_pci_mem_read(m, addr, 4);
    bc_mmio(m); /* plain ring access: an MMIO access ends an epoch */
    machine_advance(m, m->now + MMIO_ACCESS_NS);
    if (!in_window(m, addr)) {
        struct trace_event *e = machine_trace(m, TR_MMIO_READ, addr, 0xffffffffu, 4, NULL);
        if (e)
            e->note = "no device at this address";
        return 0xffffffffu;
    }
    uint32_t off = (uint32_t)(addr - m->cfg.mmio_base);
    faults_before_access(m, added_write, added_read);
    const char *note = NULL;
    uint32_t v = 0;
    if (faults_skip_mmio_read(m, off, &v, &note)) {
        machine_trace(m, TR_DEVICE, off, v, 4, note);
    } else {
        v = bus_read(m, off, NULL, true);
        faults_after_access(m, off, false, added_write, added_read);
    }
    return v;
}

#ifndef NDEBUG
/* Builds with assertions: with no bug replayed, the replayed-bug layer keeps a write as it is. */
static void check_no_bug_write(struct machine *m, uint32_t off, uint32_t value)
{
    uint32_t o = off, v = value;
    const char *note = NULL;
    assert(!m->faults.n && faults_mmio_write(m, &o, &v, &note) && o == off && v == value && !note);
}
#else
#define check_no_bug_write(m, off, value) ((void)0)
#endif

void vhal_mmio_write32(uintptr_t addr, uint32_t value)
{
    struct machine *m = mach();
    if (!m)
        return;
    if (m->cfg.transport == TRANSPORT_PCI) { /* hal_sim_pci.c */
        hal_pci_mem_write(m, addr, 4, value);
        return;
    }
    bc_mmio(m);
    bc_mmio_write(m);
    machine_advance(m, m->now + MMIO_ACCESS_NS);
    if (!in_window(m, addr)) {
        struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, addr, value, 4, NULL);
        if (e)
            e->note = "no device at this address";
        return;
    }
    uint32_t off = (uint32_t)(addr - m->cfg.mmio_base);
    if (!m->faults.n) { /* most runs replay no bug: what the three calls below then do */
        m->faults.started = true;
        check_no_bug_write(m, off, value);
        bus_write(m, off, value, NULL);
        return;
    }
    faults_before_access(m, added_write, added_read);
    const char *note = NULL;
    uint32_t driver_off = off; /* the anchor is the register the driver meant */
    bool keep = faults_mmio_write(m, &off, &value, &note);
    if (keep) {
        bus_write(m, off, value, note);
    } else {
        struct trace_event *e = machine_trace(m, TR_MMIO_WRITE, off, value, 4, mmio_reg_name(off));
        if (e)
            e->note = note;
        rf_mmio_write(m, off, value, note, true);
    }
    faults_after_access(m, driver_off, true, added_write, added_read);
}

void *vhal_dma_alloc(size_t size, size_t align, enum vhal_dma_use use, uint64_t *phys)
{
    struct machine *m = mach();
    if (!m || !phys)
        return NULL;
    return machine_dma_alloc(m, size, align, (unsigned)use, phys);
}

void vhal_dma_free(void *ptr, size_t size)
{
    (void)ptr; /* bump allocation: memory is reclaimed with the machine */
    (void)size;
}

uint64_t vhal_virt_to_phys(const void *ptr)
{
    struct machine *m = mach();
    return m ? gm_gpa_of(&m->mem, ptr) : UINT64_MAX;
}

/* Where a checked access falls in the queues' split rings (ring_at.h), through the map of their
 * areas (ring_map.h). Builds with assertions check the map against the walk of every queue. */
__attribute__((always_inline)) static inline void locate(struct machine *m, uint64_t gpa,
                                                        uint8_t size, struct ring_at *at)
{
    /* RAM, for the areas the next build marks `ram` (the common path finds those from the host
     * pointer: ring_map_gpa); once per machine (machine_init zeroes the map, and RAM stays) */
    if (!m->ring_map.ram_len && m->mem.host)
        ring_map_set_ram(&m->ring_map, m->mem.base, m->mem.size);
    ring_map_locate(&m->ring_map, m->ring_layout_gen, m->dev.q, m->dev.n_queues, gpa, size, at);
#ifndef NDEBUG
    struct ring_at w;
    ring_at_locate(m->dev.q, m->dev.n_queues, gpa, size, &w);
    assert(w.f == at->f && w.qi == at->qi && w.index == at->index && w.next == at->next &&
           w.publish == at->publish && (!w.next || (w.next_qi == at->next_qi &&
                                                    w.next_i == at->next_i)));
#endif
}

/* A ring store with checks on, the general path: replayed bugs, the trace, the exposed-chain
 * check and the barrier analysis, each handed the access located once. Out of line: the common
 * stores are settled before it (ring_store_checked). */
__attribute__((noinline)) static void ring_store_general(struct machine *m, volatile void *p,
                                                         uint64_t v, uint8_t size)
{
    uint64_t gpa = gm_gpa_of(&m->mem, p);
    const char *note = NULL;
    if (gpa != UINT64_MAX && m->faults.n) /* most runs replay no bug: skip the call */
        faults_ring_store(m, gpa, &v, &note);
    uint64_t old;
    switch (size) {
    case 2: old = *(volatile uint16_t *)p; *(volatile uint16_t *)p = (uint16_t)v; break;
    case 4: old = *(volatile uint32_t *)p; *(volatile uint32_t *)p = (uint32_t)v; break;
    default: old = *(volatile uint64_t *)p; *(volatile uint64_t *)p = v; break;
    }
    observe_ring(m->observer, m, true, gpa, v, size); /* a real CPU makes it in plain mode too */
    if (m->bc.mode == BC_PLAIN) /* plain mode: as if written through a pointer, unseen */
        return;
    /* checks on here: record inline (machine_trace without its call and checks_off test) */
    struct trace_event *e = trace_record(&m->trace, m->now, TR_RING_STORE, gpa, v, size, NULL);
    if (e)
        e->note = note;
    if (gpa != UINT64_MAX) {
        struct ring_at at; /* located once, for the exposed chains, barriers and facts */
        locate(m, gpa, size, &at);
        exposed_on_store_at(m, m->exposed, gpa, size, at.publish);
        bool packed = (m->dev.guest_features >> VIRTIO_F_RING_PACKED) & 1;
        if (packed) /* none on a split ring */
            packed_on_driver_store(m, gpa, old, v, size); /* §2.7.16 */
        if (m->faults.n)
            faults_after_ring_store(m, gpa);
        if (packed || m->faults.n) /* those may have changed the queues: look again */
            locate(m, gpa, size, &at);
        bc_ring_store(m, &at, gpa, old, v, size);
        if (size == 2 && m->bc.weak) /* weak memory may have run the device: look again */
            locate(m, gpa, size, &at);
        if (size == 2 && at.next) /* which store a loop came from */
            rf_desc_next(m, at.next_qi, at.next_i, (uint16_t)v, m->now, note);
    }
}

/* The common checked access, settled by the area that holds it.
 *
 * One lookup (ring_map_find) gives the area of a split ring that holds the access: which queue,
 * which area, which entry and field. For the accesses a driver that orders its ring makes on
 * every request, the area's kind says everything the checks subscribed to it do, and each
 * check decides its part inline (barrier_check.h: bc_payload_field, bc_load_ordered); the HAL
 * does just that (what each does reads nothing another writes, so their order is free).
 * The avail.idx store that publishes is settled too: located, it goes to the exposed-chain check
 * and the barrier analysis as the general path hands it. Everything else — a machine that
 * replays a bug or has an observer, plain or weak-memory mode, a packed ring, the legacy
 * interface's layout check, a store on an exposed chain's copy or across two entries, a load
 * the barrier analysis must judge, an access in no area or while the map is stale — takes the
 * general path, which locates it again and hands it to every check. Builds with assertions
 * check each settled access against the walk of every queue (ring_at_locate) and each settled
 * payload store against the exposed chains' copies (exposed_under). */
static inline bool common_machine(const struct machine *m)
{
    return !m->faults.n && !m->observer && m->bc.mode == BC_ACCESSORS && !m->bc.weak &&
           !((m->dev.guest_features >> VIRTIO_F_RING_PACKED) & 1);
}

/* How the common path settles a store (store_settles); SETTLE_NOT for a load. */
enum settle { SETTLE_NOT = 0, SETTLE_PAYLOAD, SETTLE_PUBLISH };

#ifndef NDEBUG
/* The settled access is where the walk of every queue puts it; a settled store publishes what
 * the walk says (nothing, or its queue's avail.idx) and, a payload one, lies on no copy. */
static void check_settled(struct machine *m, enum settle how, uint64_t gpa, uint8_t size,
                          enum sr_field f, uint32_t qi, uint32_t index)
{
    struct ring_at w;
    ring_at_locate(m->dev.q, m->dev.n_queues, gpa, size, &w);
    assert(w.f == f && w.qi == qi && w.index == index);
    assert(how != SETTLE_PAYLOAD ||
           (!w.publish && w.next == (f == SR_F_DESC_NEXT) && m->dev.q[qi].live &&
            (!w.next || (w.next_qi == qi && w.next_i == index)) && !exposed_under(m, gpa, size)));
    assert(how != SETTLE_PUBLISH || (w.publish == 1u << qi && !w.next && m->dev.q[qi].live));
}
#else
#define check_settled(m, how, gpa, size, f, qi, index) ((void)0)
#endif

/* Chains are exposed: does a payload store at off in area a (entry index) lie inside one
 * descriptor or avail slot (exposed_rec.piece: n + index, or index) that no copy holds? */
static inline bool store_misses_copies(const struct machine *m, const struct ring_map_area *a,
                                       uint64_t off, uint32_t index, uint8_t size)
{
    bool desc = a->kind == RING_DESC;
    if (desc ? (off & 15) + size > 16 : (off & 1) != 0) /* across two pieces */
        return false;
    uint32_t k = desc ? m->dev.q[a->qi].live_num + index : index;
    return exposed_untouched(m->exposed, a->qi, k);
}

/* Where a settled access falls: its area, field and entry. */
struct settled {
    const struct ring_map_area *a;
    enum sr_field f;
    uint32_t index;
};

/* The area of a live split ring, wholly in RAM, that holds the access at host pointer p, with
 * *gpa its guest-physical address (gm_gpa_of's, found without it: ring_map_gpa) and *off its
 * offset in the area; NULL for any other access (the general path then looks at it again). */
__attribute__((always_inline)) static inline const struct ring_map_area *
find_ram_area(struct machine *m, const volatile void *p, uint64_t *gpa, uint64_t *off)
{
    *gpa = ring_map_gpa(p, m->mem.host, m->mem.base);
    const struct ring_map_area *a = ring_map_find_ready(&m->ring_map, *gpa, off);
    if (!a || !a->ram)
        return NULL;
    assert(*gpa == gm_gpa_of(&m->mem, p));
    return a;
}

/* Does the common path settle a store of `size` bytes at host pointer p: a descriptor field or
 * an available-ring entry of a live split ring, at its width, inside one descriptor or slot
 * that no exposed chain's copy holds (SETTLE_PAYLOAD), or its avail.idx (SETTLE_PUBLISH)?
 * Decides only (nothing done); *s says where it falls, *gpa its address. */
__attribute__((always_inline)) static inline enum settle store_settles(struct machine *m,
                                                                       const volatile void *p,
                                                                       uint8_t size,
                                                                       struct settled *s,
                                                                       uint64_t *gpa)
{
    uint64_t off;
    const struct ring_map_area *a = find_ram_area(m, p, gpa, &off);
    if (!a || !a->live || !common_machine(m))
        return SETTLE_NOT;
    s->a = a;
    s->f = ring_map_field(a, off, &s->index);
    if (!bc_payload_field(s->f, size))
        return s->f == SR_F_AVAIL_IDX && size == 2 && off == 2 ? SETTLE_PUBLISH : SETTLE_NOT;
    if (m->exposed && m->exposed->n && !store_misses_copies(m, a, off, s->index, size))
        return SETTLE_NOT;
    return SETTLE_PAYLOAD;
}

/* A settled avail.idx store (the one that publishes): the trace, the exposed chains' copies,
 * the barrier analysis — what the general path does with it, the access located already. */
__attribute__((noinline)) static void store_publish_settled(struct machine *m,
                                                            volatile uint16_t *p, uint64_t gpa,
                                                            uint16_t v, const struct settled *s)
{
    uint16_t old = *p;
    *p = v;
    trace_record(&m->trace, m->now, TR_RING_STORE, gpa, v, 2, NULL);
    uint32_t qi = s->a->qi;
    exposed_on_publish(m, qi, gpa, v); /* s->a->publish is 1 << qi (a live driver area's idx) */
    bc_publish_store(m, qi, gpa, old, v);
}

/* A settled desc.next store's fact (which store a loop came from), then its trace event (out of
 * line: one store of a round trip's six). */
__attribute__((noinline)) static void store_next_settled(struct machine *m, uint32_t qi,
                                                         uint32_t i, uint64_t gpa, uint64_t v)
{
    rf_desc_next(m, qi, i, (uint16_t)v, m->now, NULL);
    trace_record(&m->trace, m->now, TR_RING_STORE, gpa, v, 2, NULL);
}

/* A ring store with checks on, the map ready (ring_map_ready): the common one settled by its
 * area (the store, pairing A's payload, a desc.next fact, the trace; or a publication), the
 * rest the general way. Every call is the last thing on its path (the common one then keeps
 * nothing across a call). */
__attribute__((noinline)) static void ring_store_checked(struct machine *m, volatile void *p,
                                                         uint64_t v, uint8_t size)
{
    uint64_t gpa;
    struct settled s;
    enum settle how = store_settles(m, p, size, &s, &gpa);
    if (how == SETTLE_NOT) {
        ring_store_general(m, p, v, size);
        return;
    }
    check_settled(m, how, gpa, size, s.f, s.a->qi, s.index);
    if (how == SETTLE_PUBLISH) {
        store_publish_settled(m, (volatile uint16_t *)p, gpa, (uint16_t)v, &s);
        return;
    }
    switch (size) {
    case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
    default: *(volatile uint64_t *)p = v; break;
    }
    bc_payload_store(&m->bc, s.a->qi);
    if (s.f == SR_F_DESC_NEXT) {
        store_next_settled(m, s.a->qi, s.index, gpa, v);
        return;
    }
    trace_record(&m->trace, m->now, TR_RING_STORE, gpa, v, size, NULL);
}

static inline void ring_store(volatile void *p, uint64_t v, uint8_t size)
{
    struct machine *m = mach();
    if (m && !m->cfg.checks_off) { /* the map ready: the area dispatch; else (no split ring,
                                    * a packed one) the general path at once */
        if (ring_map_ready(&m->ring_map, m->ring_layout_gen))
            ring_store_checked(m, p, v, size);
        else
            ring_store_general(m, p, v, size);
        return;
    }
    switch (size) { /* no machine, or checks off: a plain store, nothing recorded */
    case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
    default: *(volatile uint64_t *)p = v; break;
    }
}

/* A ring load with checks on (v: what memory held), the general path: see ring_store_general. */
__attribute__((noinline)) static uint64_t ring_load_general(struct machine *m,
                                                            const volatile void *p, uint64_t v,
                                                            uint8_t size)
{
    uint64_t gpa = gm_gpa_of(&m->mem, p);
    const char *note = NULL;
    if (gpa != UINT64_MAX && m->faults.n) /* most runs replay no bug: skip the call */
        faults_ring_load(m, gpa, &v, &note);
    if (m->bc.mode == BC_PLAIN) { /* plain mode: as if read through a pointer, unseen */
        observe_ring(m->observer, m, false, gpa, v, size);
        return v;
    }
    if (gpa != UINT64_MAX) {
        struct ring_at at;
        locate(m, gpa, size, &at);
        uint64_t seen = bc_ring_load(m, &at, gpa, v, size);
        if (seen != v && !note)
            note = "weak memory: the load returned what a reordered load would have seen";
        v = seen;
    }
    observe_ring(m->observer, m, false, gpa, v, size); /* what the CPU got */
    struct trace_event *e = trace_record(&m->trace, m->now, TR_RING_LOAD, gpa, v, size, NULL);
    if (e && note)
        e->note = note;
    if (size == 2)
        rf_ring_load16(m, gpa, v);
    if (m->dev.version == 1) /* split.legacy.layout: the legacy interface's alone */
        legacy_layout_on_driver_load(m, gpa, size);
    return v;
}

/* Does the common path settle a load at host pointer p of a split ring (v: what memory held;
 * *gpa its address): one the barrier analysis needs not judge (bc_load_ordered, which has done
 * its part when it says so; any field, or none at this width)? False: nothing done. */
__attribute__((always_inline)) static inline bool load_settles(struct machine *m,
                                                               const volatile void *p,
                                                               uint64_t v, uint8_t size,
                                                               uint64_t *gpa)
{
    uint64_t off;
    const struct ring_map_area *a = find_ram_area(m, p, gpa, &off);
    if (!a || !common_machine(m) || m->dev.version == 1)
        return false;
    uint32_t index;
    enum sr_field f = ring_map_field(a, off, &index);
    if (bc_field_width(f) != size)
        return true;
    if (!bc_load_ordered(&m->bc, a->qi, f, v))
        return false;
    check_settled(m, SETTLE_NOT, *gpa, size, f, a->qi, index);
    return true;
}

/* A settled 16-bit load: its poll fact (run_facts.h), then its trace event (out of line: a
 * round trip's used.flags and used.idx). */
__attribute__((noinline)) static uint64_t load16_settled(struct machine *m, uint64_t gpa,
                                                         uint64_t v)
{
    rf_ring_load16(m, gpa, v);
    trace_record(&m->trace, m->now, TR_RING_LOAD, gpa, v, 2, NULL);
    return v;
}

/* A ring load with checks on, the map ready: the common one settled by its area (the barrier
 * analysis's part, a 16-bit load's poll fact, the trace), the rest the general way. */
__attribute__((noinline)) static uint64_t ring_load_checked(struct machine *m,
                                                            const volatile void *p, uint64_t v,
                                                            uint8_t size)
{
    uint64_t gpa;
    if (!load_settles(m, p, v, size, &gpa))
        return ring_load_general(m, p, v, size);
    if (size == 2)
        return load16_settled(m, gpa, v);
    trace_record(&m->trace, m->now, TR_RING_LOAD, gpa, v, size, NULL);
    return v;
}

static inline uint64_t ring_load(const volatile void *p, uint8_t size)
{
    struct machine *m = mach();
    uint64_t v;
    switch (size) {
    case 2: v = *(const volatile uint16_t *)p; break;
    default: v = *(const volatile uint32_t *)p; break;
    }
    if (!m || m->cfg.checks_off) /* checks off: a plain load, nothing recorded */
        return v;
    if (!ring_map_ready(&m->ring_map, m->ring_layout_gen)) /* as in ring_store */
        return ring_load_general(m, p, v, size);
    return ring_load_checked(m, p, v, size);
}

uint16_t vhal_ring_load16(const volatile uint16_t *p) { return (uint16_t)ring_load(p, 2); }
uint32_t vhal_ring_load32(const volatile uint32_t *p) { return (uint32_t)ring_load(p, 4); }
void vhal_ring_store16(volatile uint16_t *p, uint16_t v) { ring_store(p, v, 2); }
void vhal_ring_store32(volatile uint32_t *p, uint32_t v) { ring_store(p, v, 4); }
void vhal_ring_store64(volatile uint64_t *p, uint64_t v) { ring_store(p, v, 8); }

/* A barrier with checks on: recorded and given to the barrier analysis (out of line, as above). */
__attribute__((noinline)) static void barrier_checked(struct machine *m, const char *what,
                                                      enum bc_barrier kind)
{
    struct trace_event *e = trace_record(&m->trace, m->now, TR_BARRIER, 0, 0, 0, what);
    /* A replayed drop-barrier: the call never happened. */
    if (m->faults.n && faults_barrier(m, (unsigned)kind)) {
        if (e)
            e->note = fault_note_barrier_dropped;
        return;
    }
    observe_barrier(m->observer, m, (unsigned)kind);
    bc_barrier(m, kind);
}

static inline void barrier(const char *what, enum bc_barrier kind)
{
    struct machine *m = mach();
    if (m && !m->cfg.checks_off) /* checks off: nothing recorded, nothing analysed */
        barrier_checked(m, what, kind);
}

void vhal_mb(void) { barrier("mb", BC_MB); }
void vhal_rmb(void) { barrier("rmb", BC_RMB); }
void vhal_wmb(void) { barrier("wmb", BC_WMB); }

uint32_t vhal_irq_take(void)
{
    struct machine *m = mach();
    if (!m)
        return 0;
    if (!m->cfg.checks_off)
        bc_driver_waits(m); /* asking for interrupts is waiting for them: pairing D, missed kick */
    m->irq_wait.checks++;
    m->irq_wait.last_check_at = m->now;
    uint32_t n = m->dev.irq_edges - m->irq_wait.taken;
    m->irq_wait.taken = m->dev.irq_edges;
    return n;
}

uint64_t vhal_now_ns(void)
{
    struct machine *m = mach();
    if (!m)
        return 0;
    if (!m->cfg.checks_off)
        bc_driver_polls(m); /* a clock read in a loop with nothing written: a poll */
    return m->now;
}

void vhal_delay_ns(uint64_t ns)
{
    struct machine *m = mach();
    if (!m)
        return;
    if (!m->cfg.checks_off)
        bc_driver_waits(m); /* pairing D and the missed kick are judged when the driver waits */
    machine_advance(m, m->now + (ns ? ns : 1));
}
