/* va_cache.h — the guest-physical page of a guest-virtual one, remembered per vCPU, so most RAM
 * accesses need no qemu_plugin_get_hwaddr.
 *
 * Resolving an access through QEMU 7.2's plugin API (qemu_plugin_get_hwaddr: a second TLB lookup
 * per access) cost more than everything else the plugin does per access: on a Linux boot, memory
 * callbacks that do nothing make QEMU about 1.4x slower, the same callbacks calling
 * get_hwaddr 2.6x (bench/README.md). A guest touches few pages between two changes of its
 * translation, so each vCPU keeps, per 4 KiB virtual page it accessed RAM through, the physical
 * page and whether any ring lies in it.
 *
 * An entry is as good as the translation it came from, so every entry is dropped (a global
 * generation moves on) whenever that translation may change, as QEMU drops its own TLB:
 *   - the guest executes a TLBI, or writes a system register of the translation regime (CRn 1:
 *     SCTLR, HCR…; CRn 2: TTBR0, TTBR1, TCR, VTTBR…): before the instruction, and again at that
 *     vCPU's next memory access. A broadcast TLBI (…IS) is completed by QEMU on every vCPU before
 *     the issuing one runs on; an entry filled by another vCPU in between came from the mapping
 *     QEMU still used for that access, and is dropped by the second step — which comes before any
 *     new mapping can exist, as a remap (break-before-make) needs the issuing vCPU's own store
 *     of the new descriptor. An invalid descriptor needs no TLBI to become valid, but an access
 *     through it faults before any callback: nothing was remembered for it;
 *   - the ring ranges change (vqrec_rings.c): an entry's "ring in this page" is stale.
 *   - the vCPU resumes after QEMU stopped it (vc_cpu_resumed: QEMU's resume callback): QEMU
 *     resets a vCPU only while it is stopped (a system reset, PSCI CPU_ON after CPU_OFF), and a
 *     reset turns the MMU off with no guest instruction the plugin could see;
 *   - never at all (vc_turn_off, the plugin's vacache=off, which `vqsim record` passes) when a
 *     virtual address may translate differently at another exception level (the machine has
 *     EL2 or EL3: virtualization=on, secure=on) or when QEMU runs every vCPU in one thread
 *     (-accel tcg,thread=single: no resume callback then); an entry is keyed by the address
 *     alone.
 * Only RAM pages are remembered (an MMIO access always asks QEMU). Accesses that cross a page
 * are resolved by QEMU. One hit in VC_VERIFY_EVERY is resolved by QEMU as well and compared: a
 * disagreement turns the cache off for the rest of the run and is counted in a NOTE of the
 * recording (tests/test_linux.py requires none).
 *
 * Most accesses of a guest need nothing from the plugin: RAM, in a page holding no ring.
 * vc_quiet answers that for the memory callback before anything else (one entry compared, no
 * lock, no call into QEMU): on a Linux boot nearly every access ends there. Every entry of a
 * vCPU belongs to the generation in its table (vc_cpu.gen): a change of the generation makes the
 * vCPU's next lookup empty its table, and until then vc_quiet answers no.
 *
 * Each vCPU's entries are touched only by that vCPU's callbacks; the generation is atomic.
 */
#ifndef VQREC_VA_CACHE_H
#define VQREC_VA_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define VC_CPUS 256u         /* the recording's vCPU field is 8 bits */
#define VC_ENTRIES 1024u     /* per vCPU, direct-mapped by virtual page */
#define VC_VERIFY_EVERY 64u  /* a power of 2 */
#define VC_PAGE 4096u
#define VC_RING 1u           /* in vc_entry.pa: some ring overlaps the page */

struct vc_entry {
    uint64_t va_page;    /* virtual page number + 1 (0: empty) */
    uint64_t pa;         /* physical address of the page, | VC_RING */
};

struct vc_cpu {
    uint64_t gen;        /* the generation of the entries (0: forget them at the next lookup) */
    uint64_t hits, misses;
    bool bump_next;      /* a translation change is under way: at the next access, again */
    bool verify_next;    /* vc_quiet left this hit to be checked against QEMU */
    uint64_t quiet[VC_ENTRIES]; /* e[i].va_page when e[i] holds no ring, else 0: all vc_quiet
                                   reads of an entry (8 bytes: the table stays small in cache) */
    struct vc_entry e[VC_ENTRIES];
};

/* For vc_quiet only. */
extern struct vc_cpu vc_cpus[VC_CPUS]; /* untouched (no memory) for vCPUs that do not exist */
extern uint64_t vc_gen;

/* The access of vCPU `cpu` at va (which the caller knows does not cross its page) is to a RAM
 * page remembered with no ring in it, and is not one to check against QEMU: nothing for the
 * plugin to do. False means: ask vc_lookup. */
static inline bool vc_quiet(unsigned cpu, uint64_t va)
{
    if (cpu >= VC_CPUS)
        return false;
    struct vc_cpu *c = &vc_cpus[cpu];
    if (c->quiet[(va / VC_PAGE) % VC_ENTRIES] != va / VC_PAGE + 1 ||
        c->gen != __atomic_load_n(&vc_gen, __ATOMIC_ACQUIRE))
        return false;
    if (++c->hits % VC_VERIFY_EVERY == 0) {
        c->verify_next = true;
        return false;
    }
    return true;
}

enum vc_result {
    VC_MISS = 0,   /* not remembered: ask QEMU, then vc_fill */
    VC_HIT,        /* *pa and *ring_page are the remembered ones */
    VC_VERIFY,     /* remembered (*pa), but this one is checked: ask QEMU, then vc_verify */
};
/* The physical address of [va, va + size) of vCPU `cpu`, and whether its page holds a ring. */
enum vc_result vc_lookup(unsigned cpu, uint64_t va, unsigned size, uint64_t *pa,
                         bool *ring_page);
/* Before asking QEMU: the generation an entry filled from its answer belongs to. */
uint64_t vc_generation(void);
/* QEMU resolved [va, va + size) of `cpu` to RAM at pa, in a page holding a ring or not (gen:
 * vc_generation() before asking). */
void vc_fill(unsigned cpu, uint64_t va, unsigned size, uint64_t pa, bool ring_page,
             uint64_t gen);
/* A VC_VERIFY: QEMU's answer (io: not RAM) against the remembered physical address. */
void vc_verify(uint64_t cached_pa, bool io, uint64_t pa);
/* Does the instruction (aarch64) change the translation: a TLBI, or an MSR to CRn 1 or 2? */
bool vc_mmu_insn(uint32_t op);
/* vCPU `cpu` is about to execute such an instruction. */
void vc_mmu_change(unsigned cpu);
/* vCPU `cpu` resumes after QEMU stopped it (on its own thread): forget its entries. */
void vc_cpu_resumed(unsigned cpu);
/* Never use the cache in this run; and whether it is so. */
void vc_turn_off(void);
bool vc_is_off(void);
/* Forget every entry (the ring ranges changed). */
void vc_invalidate(void);
/* Verified disagreements (0 in a sound run). */
uint64_t vc_disagreements(void);
/* Lookups that hit, and all lookups (for the plugin's NOTE). */
void vc_counts(uint64_t *hits, uint64_t *lookups);

#endif /* VQREC_VA_CACHE_H */
