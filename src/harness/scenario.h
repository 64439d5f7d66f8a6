/* scenario.h — a scenario file: the device, the driver's settings, replayed bugs, the steps the
 * driver runs, and what must come out. The format is documented in README.md ("Scenario format").
 * Parsing is strict: an unknown key, a wrong type or an out-of-range value is an error with
 * file:line:column, so a typo never silently changes what a scenario tests.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

/* QEMU 7.2's virtio-gpu-device: its default mode (properties xres, yres; max_outputs 1: one
 * scanout unless a scenario lists more), as `qemu-system-aarch64 -device virtio-gpu-device,help`
 * says (tests/test_qemu_defaults.py compares). */
#define QEMU_GPU_XRES 1280u
#define QEMU_GPU_YRES 800u

#include "driver/virtio_gpu.h"
#include "driver/virtqueue.h"
#include "model/inject/device_faults.h"
#include "model/inject/pci_bugs.h"
#include "model/inject/driver_bugs.h"
#include "model/devices/net_device.h"
#include "spec/virtio_input.h"

enum step_kind {
    STEP_GET_DISPLAY_INFO,
    STEP_RESOURCE_CREATE_2D,
    STEP_ATTACH_BACKING,
    STEP_SET_SCANOUT,
    STEP_DRAW,
    STEP_TRANSFER_TO_HOST_2D,
    STEP_RESOURCE_FLUSH,
    STEP_POKE_PIXEL,
    STEP_RESOURCE_UNREF,
    STEP_DETACH_BACKING,
    STEP_GET_EDID,
    STEP_UPDATE_CURSOR,
    STEP_MOVE_CURSOR,
    STEP_DISPLAY_CHANGE,         /* a device event: the monitor changes mode */
    STEP_HANDLE_CONFIG_EVENT,    /* the driver reads and clears events_read */
    STEP_FB_SET_MODE,            /* framebuffer API (src/driver/gpu_fb.h) */
    STEP_FB_DRAW,
    STEP_FB_FILL,
    STEP_FB_PRESENT,
    STEP_FB_DISABLE,
    STEP_RESET,                  /* the driver resets the device (Status = 0) */
    STEP_INIT,                   /* the driver initialises the device again (a re-probe) */
    STEP_RESET_QUEUE,            /* VirtIO 1.2 RING_RESET: one queue reset and enabled again */
    STEP_RESOURCE_CREATE_BLOB,   /* VirtIO 1.2 gpu (kernel_gpu_1_2.c): a blob resource */
    STEP_SET_SCANOUT_BLOB,
    STEP_ASSIGN_UUID,
    STEP_GPU_COMMAND,            /* any control command by name, sent raw (a replayed driver) */
    STEP_BLK_READ,               /* virtio-blk (device.type: blk, src/driver/virtio_blk.h) */
    STEP_BLK_WRITE,
    STEP_BLK_FLUSH,
    STEP_BLK_DISCARD,            /* DISCARD, or WRITE_ZEROES with `zeroes: true` */
    STEP_RNG_READ,               /* entropy (device.type: rng, src/driver/virtio_rng.h) */
    STEP_INPUT_EVENTS,           /* input (device.type: input, src/driver/virtio_input.h) */
    STEP_NET_SEND,               /* virtio-net (device.type: net, src/driver/virtio_net.h) */
    STEP_NET_RECEIVE,
    STEP_NET_CTRL,               /* a controlq command (§5.1.6.5) */
};
#define STEP_KIND_COUNT (STEP_NET_CTRL + 1)

struct step_rect {
    bool set;
    uint32_t x, y, width, height;
};

struct scenario_step {
    enum step_kind kind;
    int line;
    uint32_t id;                 /* resource id (default 1) */
    uint32_t format;             /* create: pixel format (default B8G8R8X8) */
    uint32_t width, height;      /* create: 0 = the display mode */
    uint32_t scanout;
    uint32_t queue;              /* reset_queue: 0 control (default), 1 cursor */
    struct step_rect rect;       /* set_scanout/transfer/flush: default the whole resource */
    bool has_offset;
    uint64_t offset;             /* transfer: backing offset (default y*stride + x*4) */
    const char *pattern;         /* draw */
    uint32_t x, y, color;        /* poke_pixel: 0xRRGGBB; cursor position */
    uint32_t hot_x, hot_y;       /* update_cursor */
    uint32_t entries;            /* attach_backing: scatter-gather entries (default 1) */
    bool has_entry;              /* attach_backing: one entry given by addr/length instead */
    uint64_t entry_addr;
    uint32_t entry_length;
    bool enabled;                /* display_change */
    bool has_expect_response;
    uint32_t expect_response;    /* the response type this step must get */
    uint32_t repeat;             /* `repeat: {count: N, step: …}`: run N times (0 = once) */
    bool has_expect_status;
    int expect_status;           /* `expect_status: NAME`: the driver status this step returns */
    /* blk_read / blk_write / blk_flush */
    uint64_t sector;
    uint32_t count;              /* sectors (default 1) */
    uint32_t bytes;              /* data bytes when not count * 512 (a driver bug: raw) */
    uint32_t seed;               /* blk_write: the bytes written (patterns.h blk pattern) */
    bool status_readonly;        /* `status: readonly`: the status byte device-readable (a bug) */
    bool raw;                    /* sent as given, unchecked by the driver (vblk_submit) */
    bool zeroes, unmap;          /* blk_discard: WRITE_ZEROES; its unmap flag */
    uint32_t readable;           /* rng_read: how many of its buffers (the first) are
                                  * device-readable (a bug; count = buffers, bytes = in all) */
    bool has_expect_blk_status;
    uint32_t expect_blk_status;  /* `expect_blk_status: OK|IOERR|UNSUPP` */
    /* resource_create_blob (raw: sent as given, even without the feature) */
    uint32_t blob_mem, blob_flags; /* default GUEST, USE_SHAREABLE */
    /* gpu_command: the command type, the header's flags and ring_idx */
    uint32_t cmd_type, cmd_flags, ring_idx;
    /* net_send: the header as given (a driver bug) instead of the driver's (bytes, seed: the
     * frame; net_receive: count frames of the source) */
    bool net_raw_header;
    uint32_t net_header_bytes, net_flags, net_gso_type, net_num_buffers;
    /* net_ctrl: class, command and data (hex); as given (raw) when `readable` / `writable` say
     * how many device-readable bytes of class, command and data and how many device-writable
     * ones (the ack) the chain has; expect_ack: OK or ERR, the ack the device must write */
    uint32_t net_class, net_command, net_ctrl_len, net_ctrl_readable, net_ctrl_writable;
    uint8_t net_ctrl_data[64];
    bool net_ctrl_raw, has_expect_ack;
    uint32_t expect_ack;
};

/* What one scanout must show (expect.display, one map or a list). */
struct display_expect {
    uint32_t scanout;
    bool active_set, active;
    bool dark_set, dark;         /* dark: shows nothing the driver drew (the reason is reported) */
    char *sha256;
    const char *pattern;         /* static string */
    char *png;                   /* reference image, a path relative to the working directory */
    bool cursor_set, cursor;     /* a cursor image is shown */
    const char *state;           /* not-initialized | active | inactive (static string) */
};

#define SCENARIO_MAX_DISPLAYS 16

#define SCENARIO_MAX_PINS 8   /* driver.place: pinned allocations of one kind */
#define SCENARIO_MAX_STEPS 64
#define SCENARIO_MAX_EXPECT_VIOLATIONS 16
/* The bus the device sits on (`transport:`). */
enum { SCN_BUS_MMIO = 0, SCN_BUS_PCI = 1, SCN_BUS_PCI_TRANSITIONAL = 2 };
/* Where the kernel assigns PCI BARs: the virt machine's 32-bit PCI memory window. */
#define SCN_PCI_MEM_BASE 0x10000000ull
#define SCN_PCI_MEM_SIZE 0x2eff0000ull

#define SCENARIO_MAX_EXPECT_CAUSES 6
#define SCENARIO_MAX_EXPECT_EVIDENCE 16

struct scenario {
    char *file;
    char *name;
    char *description;
    char *qemu_skip;             /* qemu.skip: why the QEMU differential leaves it out, or NULL */
    uint32_t spec;               /* spec: enum spec_version judged against (0: QEMU 7.2's) */
    /* device */
    uint32_t bus;                /* `transport:` SCN_BUS_MMIO (default), _PCI, _PCI_TRANSITIONAL */
    struct pci_bug_list pci_bugs; /* replayed virtio-pci driver bugs (pci-* in `bugs:`) */
    uint32_t transport_version;  /* 1 legacy, 2 modern */
    uint32_t profile;            /* enum machine_profile: 0 qemu, 1 strict */
    uint32_t magic, version_shown;   /* what MagicValue / Version read (0: as QEMU) */
    bool device_id_set;
    uint32_t device_id;
    uint32_t config_change_after;    /* config changes after this many config reads (0 never) */
    uint32_t display_width, display_height;
    uint32_t n_extra_scanouts;
    uint32_t extra_width[15], extra_height[15];
    uint64_t latency_ns;
    uint64_t ram_base, ram_size, mmio_base;
    uint64_t device_offer;       /* feature bits offered beyond QEMU's defaults */
    uint64_t device_withhold;    /* feature bits QEMU offers that this device does not */
    bool weak_memory;            /* device.memory: weak (barrier_check.h) */
    const char *device_type;     /* device.type: the model's name (device_registry.h), "gpu" */
    char *disk_image;            /* device.disk.image, resolved against the scenario's folder */
    bool disk_writes_to_file;    /* device.disk.writes: file */
    bool disk_read_only;         /* device.disk.read_only */
    uint64_t disk_sectors;       /* no image: a disk of this many zero sectors (vqsim check: the
                                    capacity the recorded guest read) */
    uint64_t rng_seed;           /* device.entropy.seed */
    struct virtio_input_event *input_script; /* device.input.events */
    uint32_t input_script_len;
    int32_t input_event_buffers; /* driver.event_buffers (-1: the queue's size) */
    uint32_t input_event_bytes;  /* driver.event_bytes (0: 8) */
    struct net_frame *net_frames; /* device.net.frames: the packet source (net_device.h) */
    uint32_t net_frames_len;
    uint8_t net_mac[6];          /* device.net.mac */
    bool net_mac_set;
    int32_t net_rx_buffers;      /* driver.rx_buffers (-1: the queue's size) */
    uint32_t net_rx_buffer_bytes;/* driver.rx_buffer_bytes (0: the driver's default) */
    /* driver */
    uint16_t queue_size;
    enum vq_layout_kind layout;
    uint32_t queue_align;
    uint64_t timeout_ns;
    uint64_t place[4];           /* by enum vhal_dma_use: the first allocation's pin */
    uint64_t place_next[4][SCENARIO_MAX_PINS - 1]; /* the following allocations' pins */
    uint32_t n_place_next[4];
    enum vgpu_wait wait;         /* poll (default) | interrupt */
    uint64_t driver_features;    /* optional features the driver accepts when offered */
    bool ring_packed;            /* device `ring: packed`: offered, and accepted by the driver */
    bool fences;                 /* fence every control command (default true) */
    bool cursor;                 /* set up the cursor queue (when a step uses the cursor) */
    int ring_access;             /* driver.ring_access: 0 accessors, 1 plain (enum bc_mode) */
    int used_len;                /* driver.used_len: enum vq_used_len_policy (strict default) */
    /* bugs */
    struct fault_list faults;
    /* device_faults (only the list part is filled) */
    struct device_faults dfaults;
    /* steps */
    struct scenario_step steps[SCENARIO_MAX_STEPS];
    uint32_t n_steps;
    /* expect */
    const char *expect_outcome;  /* static string */
    char *expect_violations[SCENARIO_MAX_EXPECT_VIOLATIONS];
    uint32_t n_expect_violations;
    char *expect_informational[SCENARIO_MAX_EXPECT_VIOLATIONS];
    uint32_t n_expect_informational;
    bool expect_informational_set; /* judged (exactly this set) only when given */
    char *expect_cause;
    struct display_expect displays[SCENARIO_MAX_DISPLAYS];
    uint32_t n_displays;
    char *expect_causes[SCENARIO_MAX_EXPECT_CAUSES];  /* the whole list, in order */
    uint32_t n_expect_causes;
    bool expect_causes_set;
    struct {
        char *key, *value;
        int line;
    } expect_evidence[SCENARIO_MAX_EXPECT_EVIDENCE];
    uint32_t n_expect_evidence;
    const char *expect_memory;   /* expect.memory_outside_buffers: untouched | changed | NULL */
    bool expect_broken_set, expect_broken;   /* expect.driver.broken */
    bool expect_broken_status_set;
    int expect_broken_status;    /* expect.driver.broken_status: the error that latched it */
    bool expect_queues_broken_set;
    uint32_t expect_queues_broken; /* expect.driver.queues_broken: bit 0 control, bit 1 cursor */
};

/* The features a scenario's driver (any device's) accepts when offered: its `driver.features`,
 * and with `ring: packed` the packed ring (§2.7). */
static inline uint64_t scenario_driver_features(const struct scenario *s)
{
    return s->driver_features | (uint64_t)s->ring_packed << VIRTIO_F_RING_PACKED;
}

/* Load and validate a scenario file. Returns 0, or -1 with "file:line:col: message" in err.
 * Steps past s->n_steps are left as they were (never read). */
int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen);
/* The same for a scenario already in memory (`len` bytes, NUL not needed); `name` stands for
 * the file in messages. The fuzz target (fuzz/fuzz_scenario.c) enters here. */
int scenario_parse_buffer(const char *name, const char *buf, size_t len, struct scenario *s,
                          char *err, size_t errlen);
void scenario_free(struct scenario *s);
const char *step_name(enum step_kind k);
/* Name of a gpu response type ("OK_NODATA", "ERR_INVALID_PARAMETER"), or NULL. */
const char *response_name(uint32_t type);
/* The driver status named `name` (virtio_status / vgpu_status names): true and *out, or false. */
bool driver_status_lookup(const char *name, int *out);
/* Outcome names the verdict uses: ok, timeout, violation, device-error, driver-error. */
bool outcome_valid(const char *s);

#endif /* SCENARIO_H */
