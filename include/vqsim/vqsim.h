/* vqsim.h — vqsim as a library: run YOUR virtio driver against vqsim's simulated virtio-mmio
 * device and get the same verdict `vqsim run` gives for the built-in driver.
 *
 * The flow (README "Testing your own driver"):
 *
 *   char err[512];
 *   struct vqsim_machine *m = vqsim_open_scenario("my.yaml", err, sizeof err);
 *   int rc = vqsim_run(m, my_driver_main, my_arg, 0);     // calls my_driver_main(platform, arg)
 *   printf("%s\n", vqsim_outcome(m));                      // "ok", "timeout", "violation"…
 *   vqsim_write_json(m, stdout);                           // schema vqsim-results/1
 *   vqsim_close(m);
 *
 * The driver reaches the machine only through `struct vqsim_platform` (its HAL): MMIO, barriers,
 * DMA memory, time, interrupts. It may touch ring memory with plain pointers (the default: at
 * each hook call the model diffs the rings against a snapshot, so it learns the stores of each
 * barrier-delimited epoch), or through the platform's ring accessors (flag
 * VQSIM_RUN_RING_ACCESSORS: every load and store, in program order).
 *
 * The device answers only inside hook calls: a poll loop must call a hook on every iteration
 * (a barrier, an MMIO access, now_ns or delay_ns). Each of them advances virtual time (a
 * barrier 20 ns, an MMIO access 100 ns, now_ns 1 µs, delay_ns what it is asked), so a loop
 * polling with rmb() alone gets its answer and one with rmb() + now_ns() reaches its deadline.
 *
 * Errors are values: every function returns a status or NULL and never aborts. Threads: one
 * machine runs at a time per thread. vqsim_run binds its machine to the calling thread for the
 * run, so several threads may each run a machine of their own at once (with a driver whose
 * state is its own per thread: a driver's static data is shared by all). A machine handle is
 * used by one thread at a time, and the platform hooks reach the machine of the thread that
 * calls them: a hook called from a thread the driver started itself reaches no machine.
 *
 * Versioning: VQSIM_API_VERSION_MAJOR changes when a function, struct or constant here changes
 * incompatibly (the shared library's SONAME carries it: libvqsim.so.1); MINOR grows when
 * something is added compatibly (a platform hook appended after the existing ones; check
 * `size` before using a hook newer than the driver's build). The JSON is versioned on its own by
 * its `schema` field (docs/results-schema.md).
 */
#ifndef VQSIM_VQSIM_H
#define VQSIM_VQSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VQSIM_API_VERSION_MAJOR 1
#define VQSIM_API_VERSION_MINOR 0
/* major << 16 | minor */
#define VQSIM_API_VERSION ((uint32_t)(VQSIM_API_VERSION_MAJOR << 16 | VQSIM_API_VERSION_MINOR))

#if defined(__GNUC__)
#define VQSIM_EXPORT __attribute__((visibility("default")))
#else
#define VQSIM_EXPORT
#endif

/* The API version the library was built with (VQSIM_API_VERSION of its headers). */
VQSIM_EXPORT uint32_t vqsim_api_version(void);

/* What the driver asks DMA memory for (placement hint; same values as virtio_hal.h). */
enum vqsim_dma_use {
    VQSIM_DMA_RING = 0,        /* virtqueue rings */
    VQSIM_DMA_BUFFER = 1,      /* command and response buffers */
    VQSIM_DMA_FRAMEBUFFER = 2, /* resource backing pages */
    VQSIM_DMA_PRIVATE = 3,     /* bookkeeping the device never sees */
};

/* The platform a driver runs on: handed to its entry point. Every hook may be called only from
 * inside that entry point, on its thread (the machine is bound to that thread only then).
 * Semantics as virtio_hal.h:
 * - mmio_read32 / mmio_write32: naturally aligned 32-bit register access at mmio_base + offset;
 *   ordered with each other and with the barriers. Each takes 100 ns of virtual time.
 * - mb / rmb / wmb: full, read and write barriers (Linux virtio_mb/rmb/wmb); each takes 20 ns
 *   of virtual time, after the barrier.
 * - dma_alloc: zeroed guest memory aligned to align (a power of two), its guest-physical address
 *   in *phys; NULL when out of memory. dma_free may be a no-op.
 * - virt_to_phys: guest-physical address of a host pointer inside DMA memory (UINT64_MAX if not).
 * - now_ns: monotonic virtual time; each call takes 1 µs, so polling loops make progress.
 * - delay_ns: waits ns of virtual time (at least 1 ns); the device runs the work that falls due.
 * - irq_take: interrupts raised since the last call (0: none).
 * - ring_*: optional accessors for ring memory; used only when the run was given
 *   VQSIM_RUN_RING_ACCESSORS (otherwise the model learns ring stores by diffing).
 * - queue_placed: optional, tells the diagnosis where the driver believes queue q lives (it can
 *   then name a ring-layout mismatch between the driver and the device).
 */
struct vqsim_platform {
    uint32_t api_version;      /* VQSIM_API_VERSION of the library */
    uint32_t size;             /* sizeof(struct vqsim_platform) of the library: hooks past the
                                * driver's own struct are absent */
    uint64_t mmio_base;        /* the device's register window (guest-physical = driver address) */
    uint64_t ram_base, ram_size; /* guest RAM (guest-physical) */
    uint32_t (*mmio_read32)(uint64_t addr);
    void (*mmio_write32)(uint64_t addr, uint32_t value);
    void (*mb)(void);
    void (*rmb)(void);
    void (*wmb)(void);
    void *(*dma_alloc)(size_t size, size_t align, enum vqsim_dma_use use, uint64_t *phys);
    void (*dma_free)(void *ptr, size_t size);
    uint64_t (*virt_to_phys)(const void *ptr);
    uint64_t (*now_ns)(void);
    void (*delay_ns)(uint64_t ns);
    uint32_t (*irq_take)(void);
    uint16_t (*ring_load16)(const volatile uint16_t *p);
    uint32_t (*ring_load32)(const volatile uint32_t *p);
    void (*ring_store16)(volatile uint16_t *p, uint16_t v);
    void (*ring_store32)(volatile uint32_t *p, uint32_t v);
    void (*ring_store64)(volatile uint64_t *p, uint64_t v);
    void (*queue_placed)(uint32_t queue, uint64_t desc, uint64_t avail, uint64_t used,
                         uint32_t num);
};

/* What a driver entry point returns; it becomes the run's step status (and the outcome):
 * a timeout or a device error is diagnosed (why did the device not answer?). Any other value
 * counts as VQSIM_DRIVER_ERROR. */
enum vqsim_driver_rc {
    VQSIM_DRIVER_OK = 0,           /* the driver did all it meant to do */
    VQSIM_DRIVER_TIMEOUT = 1,      /* a request got no answer before the driver's deadline */
    VQSIM_DRIVER_DEVICE_ERROR = 2, /* the device answered with an error / unusable answer */
    VQSIM_DRIVER_ERROR = 3,        /* the driver gave up for its own reasons */
};

/* The driver's entry point: run the driver (init, requests) and return a vqsim_driver_rc. */
typedef int (*vqsim_driver_entry)(const struct vqsim_platform *p, void *arg);

/* A driver built as a shared object for `vqsim run --driver LIB.so` defines these two symbols
 * (VQSIM_DRIVER_DEFINE does): the entry point, and the API version it was built against. A
 * driver that drives ring memory through the platform's ring accessors also defines
 * vqsim_driver_flags = VQSIM_RUN_RING_ACCESSORS. */
#define VQSIM_DRIVER_ENTRY_SYMBOL "vqsim_driver_main"
#define VQSIM_DRIVER_VERSION_SYMBOL "vqsim_driver_api_version"
#define VQSIM_DRIVER_FLAGS_SYMBOL "vqsim_driver_flags"
#ifdef __cplusplus
#define VQSIM_EXTERN_C extern "C"
#else
#define VQSIM_EXTERN_C extern
#endif
/* The declarations first: external C linkage for both symbols in C and C++ alike. */
#define VQSIM_DRIVER_DEFINE(entry_fn)                                                          \
    VQSIM_EXTERN_C VQSIM_EXPORT const uint32_t vqsim_driver_api_version;                       \
    const uint32_t vqsim_driver_api_version = VQSIM_API_VERSION;                               \
    VQSIM_EXTERN_C VQSIM_EXPORT int vqsim_driver_main(const struct vqsim_platform *p, void *arg); \
    int vqsim_driver_main(const struct vqsim_platform *p, void *arg) { return entry_fn(p, arg); }

/* vqsim_run flags */
#define VQSIM_RUN_RING_ACCESSORS 1u /* the driver uses the ring_* hooks for all ring memory */

/* Status codes of the functions below (0 = success). */
enum vqsim_status {
    VQSIM_OK = 0,
    VQSIM_E_INVALID = -1,   /* bad argument (NULL machine, bad config value) */
    VQSIM_E_SCENARIO = -2,  /* the scenario file is unreadable or invalid (err says file:line) */
    VQSIM_E_NOMEM = -3,     /* out of memory */
    VQSIM_E_STATE = -4,     /* not now: the machine already ran, or has not run yet */
    VQSIM_E_IO = -5,        /* the output could not be written */
};

/* A machine built from a configuration instead of a scenario file: 0 / NULL fields take the
 * defaults of a scenario that leaves them out (README "Scenario format"). */
struct vqsim_config {
    uint32_t size;               /* sizeof(struct vqsim_config) */
    const char *name;            /* the run's name in the results (default "foreign-driver") */
    uint32_t transport_version;  /* 1 legacy, 2 modern (default 2) */
    uint32_t display_width, display_height; /* default 1280 × 800 (QEMU 7.2's xres, yres) */
    uint64_t ram_base, ram_size; /* default 0x40000000, 256 MiB */
    uint64_t mmio_base;          /* default 0x0a003e00 (0 takes the default) */
    bool strict;                 /* device reaction profile strict instead of QEMU's */
    bool weak_memory;            /* missing barriers bite (README "Barrier analysis") */
};

struct vqsim_machine;

/* Open a machine from a scenario file (device, device faults, replayed bus bugs, profile; its
 * `steps:` and `expect:` are for the built-in driver and are not used). NULL on error, with the
 * reason (file:line:col for a bad scenario) in err. */
VQSIM_EXPORT struct vqsim_machine *vqsim_open_scenario(const char *path, char *err,
                                                       size_t errlen);
/* Open a machine from a configuration. NULL on error, reason in err. */
VQSIM_EXPORT struct vqsim_machine *vqsim_open_config(const struct vqsim_config *cfg, char *err,
                                                     size_t errlen);
VQSIM_EXPORT void vqsim_close(struct vqsim_machine *m);

/* The register window's guest-physical base. */
VQSIM_EXPORT uint64_t vqsim_mmio_base(const struct vqsim_machine *m);
/* Guest RAM: guest-physical base and size; *host is its host address while the machine exists
 * (from inside the driver entry point on, until vqsim_close), NULL before vqsim_run. */
VQSIM_EXPORT int vqsim_guest_ram(const struct vqsim_machine *m, void **host, uint64_t *gpa,
                                 uint64_t *size);

/* Run the driver once against the machine: entry(platform, arg). Returns VQSIM_OK when the run
 * happened (whatever its verdict), VQSIM_E_STATE when the machine already ran. */
VQSIM_EXPORT int vqsim_run(struct vqsim_machine *m, vqsim_driver_entry entry, void *arg,
                           unsigned flags);

/* The verdict after vqsim_run (NULL / 0 before). Strings live as long as the machine. */
VQSIM_EXPORT const char *vqsim_outcome(const struct vqsim_machine *m); /* ok, violation, timeout,
                                                                           device-error, driver-error */
VQSIM_EXPORT bool vqsim_clean(const struct vqsim_machine *m);   /* outcome ok */
VQSIM_EXPORT int vqsim_driver_rc(const struct vqsim_machine *m); /* what the entry returned */
VQSIM_EXPORT size_t vqsim_violation_count(const struct vqsim_machine *m);
VQSIM_EXPORT const char *vqsim_violation_rule(const struct vqsim_machine *m, size_t i);
VQSIM_EXPORT size_t vqsim_cause_count(const struct vqsim_machine *m);
VQSIM_EXPORT const char *vqsim_cause_id(const struct vqsim_machine *m, size_t i);
/* SHA-256 (hex) of scanout 0's RGB picture, as in the JSON's display. */
VQSIM_EXPORT const char *vqsim_display_sha256(const struct vqsim_machine *m);

/* The results as JSON, the same document `vqsim run --json` writes (schema vqsim-results/1)
 * with this one run in it. */
VQSIM_EXPORT int vqsim_write_json(const struct vqsim_machine *m, FILE *f);
VQSIM_EXPORT int vqsim_write_json_path(const struct vqsim_machine *m, const char *path);
/* The human-readable verdict, as `vqsim run` prints it (verbose: details of a clean run too). */
VQSIM_EXPORT int vqsim_print_verdict(const struct vqsim_machine *m, FILE *f, bool verbose);

#ifdef __cplusplus
}
#endif

#endif /* VQSIM_VQSIM_H */
