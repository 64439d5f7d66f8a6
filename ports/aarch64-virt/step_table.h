/* step_table.h — a scenario's driver side, compiled by the host into a flat little-endian table
 * that QEMU's generic loader places in guest RAM at VQST_ADDR (see README "Real QEMU").
 *
 * The host tool (host/steptable.c) fills it from the same strict scenario parser `vqsim run`
 * uses, so the guest never parses YAML and the two runs cannot read a scenario differently.
 * Only fixed-width fields with explicit padding: the x86-64 host and the aarch64 guest agree
 * on the layout (checked by the _Static_asserts on both sides).
 */
#ifndef VQ_STEP_TABLE_H
#define VQ_STEP_TABLE_H

#include <stdint.h>

#define VQST_MAGIC 0x54535156u   /* "VQST" */
#define VQST_VERSION 4u
#define VQST_ADDR 0x4f000000u    /* guest-physical; inside the 256 MiB of RAM at 0x40000000 */
#define VQST_DISK_ADDR 0x4e000000u /* a blk scenario's image, loaded by QEMU too (at most
                                      VQST_DISK_MAX bytes): the guest checks what it reads */
#define VQST_DISK_MAX (16u << 20)
#define VQST_MAX_STEPS 64u
#define VQST_MAX_BUGS 16u
#define VQST_MAX_PROBES 4u

/* One driver step: the fields of struct scenario_step (src/harness/scenario.h). A blk or rng
 * step (device other than the gpu) carries its own fields in the gpu's: sector in `offset`,
 * count in `entries`, bytes in `entry_length`, seed in `color`, flags in `x` (VQST_F_*),
 * readable in `y`, expect_blk_status in has_expect_response / expect_response, expect_status
 * in hot_x (set) / hot_y (the driver status, a VIRTIO_* code). */
#define VQST_F_RAW 1u
#define VQST_F_STATUS_READONLY 2u
#define VQST_F_ZEROES 4u
#define VQST_F_UNMAP 8u
struct vqst_step {
    uint32_t kind;               /* enum step_kind */
    uint32_t id, format, width, height, scanout; /* reset_queue: id is the queue */
    uint32_t rect_set, rect_x, rect_y, rect_w, rect_h;
    uint32_t has_offset;
    uint64_t offset;
    char pattern[16];            /* draw / fb_draw: the pattern's name ("" = none) */
    uint32_t x, y, color, hot_x, hot_y;
    uint32_t entries, has_entry, entry_length;
    uint64_t entry_addr;
    uint32_t enabled, has_expect_response, expect_response, repeat;
};
_Static_assert(sizeof(struct vqst_step) == 128, "vqst_step layout");

/* One replayed driver bug: struct fault of src/model/inject/driver_bugs.h, run-time state left out. */
struct vqst_bug {
    uint32_t kind;               /* enum fault_kind */
    uint32_t reg, to, nth;
    uint64_t value;
    uint32_t has_after, after_read, after_reg, after_nth;
    uint32_t queue, add, remove, in_table, field_off, field_size;
    char field[24];              /* ring field name ("avail.idx"), "" for MMIO bugs */
};
_Static_assert(sizeof(struct vqst_bug) == 88, "vqst_bug layout");

/* An input event of the script (struct virtio_input_event, §5.8.6). */
#define VQST_MAX_EVENTS 256u
struct vqst_event {
    uint16_t type, code;
    uint32_t value;
};
_Static_assert(sizeof(struct vqst_event) == 8, "vqst_event layout");

struct vqst_table {
    uint32_t magic, version;
    uint32_t n_steps, n_bugs;
    uint32_t transport;          /* 1 legacy, 2 modern (what the QEMU command line selects) */
    uint32_t queue_size, layout, queue_align;
    uint32_t wait, fences, cursor, n_probes;
    uint32_t mmu;                /* 1: MMU and caches on, identity map; 2: the same, and DMA
                                    memory used through a high alias, VA != PA (mmu.c) */
    uint32_t poweroff;           /* 1: PSCI SYSTEM_OFF after "VQ END" (QEMU exits) */
    uint32_t bus;                /* 0 virtio-mmio at mmio_base; 1 virtio-pci (`transport: pci`):
                                    function 00:01.0 behind the ECAM, BARs assigned by the port */
    uint64_t timeout_ns, features, mmio_base;
    uint64_t place[4];           /* by enum vhal_dma_use; 0 = the default arena */
    uint64_t probe[VQST_MAX_PROBES]; /* used rings the guest reads back after the run */
    struct vqst_step steps[VQST_MAX_STEPS];
    struct vqst_bug bugs[VQST_MAX_BUGS];
    uint32_t device;             /* VQST_DEV_*: which device the port drives */
    uint32_t disk_sectors;       /* blk: the image's sectors at VQST_DISK_ADDR */
    /* input: the script the host plays through QMP input-send-event, and the eventq the driver
     * posts (event_buffers: -1 the queue's size, as an int32; event_bytes: 0 for 8) */
    uint32_t n_events, event_buffers, event_bytes, pad;
    struct vqst_event events[VQST_MAX_EVENTS];
};
_Static_assert(sizeof(struct vqst_table) == 64 + 24 + 32 + 32 + 64 * 128 + 16 * 88 + 8 + 16 +
                                                VQST_MAX_EVENTS * 8,
               "vqst_table layout");
#define VQST_DEV_GPU 0u
#define VQST_DEV_BLK 1u
#define VQST_DEV_RNG 2u
#define VQST_DEV_INPUT 3u
#define VQST_DEV_NET 4u

/* A net scenario (VQST_DEV_NET) has no image: QEMU's loader puts the frames the run exchanges at
 * VQST_DISK_ADDR instead (vqsim-steptable --net FILE writes them; tools/qemu_diff.py reads the
 * same file to play the source's frames into QEMU's backend and to check what comes out of it).
 * The header, then the source's frames one after the other (rx_len each), then the frames the
 * backend must see from each net_send (tx[k].len bytes: what follows the negotiated header of
 * what the step sends, once per repetition). The table carries the driver's receive buffers in
 * event_buffers (-1: the queue's size) and event_bytes (0: the driver's default); a step carries
 * bytes in entry_length, seed in color, count in entries, VQST_F_RAW for a header of the
 * step's, whose header_bytes (0xffffffff: the negotiated size) is in y, flags in width,
 * gso_type in height, num_buffers in scanout. */
#define VQST_NET_MAGIC 0x464e5156u /* "VQNF" */
#define VQST_NET_MAX_FRAMES 64u
struct vqst_net_tx {
    uint32_t step, repeat, len, pad; /* step: its index in the table */
};
struct vqst_net {
    uint32_t magic, n_rx;
    uint8_t mac[6];              /* the mac the device must show (the scenario's, or QEMU's) */
    uint8_t pad[2];
    uint32_t n_tx;
    uint32_t rx_len[VQST_NET_MAX_FRAMES];
    struct vqst_net_tx tx[VQST_NET_MAX_FRAMES];
};
_Static_assert(sizeof(struct vqst_net) == 20 + 4 * 64 + 16 * 64, "vqst_net layout");

#endif /* VQ_STEP_TABLE_H */
