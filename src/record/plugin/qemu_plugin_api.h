/* qemu_plugin_api.h — the part of QEMU's TCG plugin interface (API version 1, as QEMU 7.2
 * exports it) that the plugin (vqrec_*.c) uses, declared by us because Debian ships no plugin
 * header.
 *
 * Source of the facts: QEMU's documented plugin API (docs/devel/tcg-plugins.rst) and the symbols
 * `nm -D qemu-system-aarch64` lists for 7.2. Only what we call is here; the layouts (qemu_info_t)
 * and the enum values must match QEMU's exactly, since QEMU passes and reads them.
 *
 * Contract reminders (from the documentation):
 *  - a plugin exports `qemu_plugin_version` and `qemu_plugin_install`; QEMU refuses it otherwise
 *    or when the version lies outside what it supports (7.2: 0..1);
 *  - the tb / insn / hwaddr handles are valid only inside the callback that received them;
 *  - memory callbacks run after the access, instruction callbacks before the instruction.
 */
#ifndef VQREC_QEMU_PLUGIN_API_H
#define VQREC_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQREC_PLUGIN_EXPORT __attribute__((visibility("default")))
#define VQREC_PLUGIN_API_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* What QEMU tells the plugin at install time. */
typedef struct {
    const char *target_name;     /* "aarch64" */
    struct {
        int min, cur;            /* API versions this QEMU accepts */
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus, max_vcpus;
        } system;
    };
} qemu_info_t;

struct qemu_plugin_tb;     /* a translation block being translated */
struct qemu_plugin_insn;   /* one guest instruction of it */
struct qemu_plugin_hwaddr; /* what a memory access resolved to */
typedef uint32_t qemu_plugin_meminfo_t; /* size, sign, endianness, load/store of one access */

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W = 2, QEMU_PLUGIN_MEM_RW = 3 };

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);

/* Translation: walk the instructions of each new block and attach callbacks to them. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

/* Execution: before an instruction runs / after each of its memory accesses. */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
                                      void *userdata);

/* One access: width (1 << shift bytes), direction, and where it went. */
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

/* Shutdown: runs at QEMU's exit, including after SIGTERM (not after SIGKILL). */
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index);
/* vCPU vcpu_index runs again after QEMU stopped it (halted, paused: qemu_wait_io_event), on its
 * own thread; not called when all vCPUs share one thread (-accel tcg,thread=single). */
void qemu_plugin_register_vcpu_resume_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

/* Instrumentation again from scratch: QEMU (7.2, plugins/core.c plugin_reset_uninstall) queues
 * safe work on the calling vCPU; it runs once every vCPU has left the translation block it is in
 * (the caller's runs to its end first): then the translated code is flushed, ALL the plugin's
 * callbacks are unregistered and cb runs (every vCPU stopped), where the plugin registers what it
 * wants from now on. A second call while one is pending does nothing. (7.2's
 * plugin_reset_destroy locks plugin.lock twice, unlocking never: the vCPU thread that ran it
 * keeps that recursive lock, so a later vCPU creation or removal on another thread would wait
 * for it forever. Nothing on the paths a recording takes locks it again: test_linux's four-vCPU
 * boot runs and exits.) */
typedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id);
void qemu_plugin_reset(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);

#endif /* VQREC_QEMU_PLUGIN_API_H */
