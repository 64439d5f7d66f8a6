/* virtio_spec.h — wire formats and constants of VirtIO 1.1 that both sides of the seam share.
 *
 * This is the one place the layouts of §2.6 (split virtqueue), §4.2 (virtio-mmio) and §5.7.6
 * (virtio-gpu 2D) are declared. Every size and offset the spec gives is asserted below, so a
 * compiler that pads differently fails the build instead of corrupting a ring.
 *
 * All multi-byte fields are little-endian on the wire (§2.4 for modern devices; a legacy device is
 * guest-native, which is little-endian on every target vqsim builds for: x86-64 hosts and aarch64).
 * Freestanding: only <stdint.h> and <stddef.h>.
 */
#ifndef VIRTIO_SPEC_H
#define VIRTIO_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* ---- §2.1 Device status field ------------------------------------------------------------- */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u
#define VIRTIO_STATUS_SUSPEND 16u /* VirtIO 1.4 §2.1 (reserved before): device suspend */

/* ---- §6 Reserved feature bits ------------------------------------------------------------- */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24u
#define VIRTIO_F_ANY_LAYOUT 27u
#define VIRTIO_RING_F_INDIRECT_DESC 28u
#define VIRTIO_RING_F_EVENT_IDX 29u
#define VIRTIO_F_VERSION_1 32u
#define VIRTIO_F_ACCESS_PLATFORM 33u
#define VIRTIO_F_RING_PACKED 34u
#define VIRTIO_F_IN_ORDER 35u
#define VIRTIO_F_ORDER_PLATFORM 36u
#define VIRTIO_F_SR_IOV 37u             /* PCI only (§6) */
#define VIRTIO_F_NOTIFICATION_DATA 38u  /* §6; the QueueNotify value: §4.2.3.3 (1.2 §2.9) */
#define VIRTIO_F_RING_RESET 40u         /* VirtIO 1.2 §6: reset one queue (1.2 §2.6.1) */
#define VIRTIO_F_SUSPEND 43u            /* VirtIO 1.4 §6: Status SUSPEND (1.4 §3.4) */

/* ---- §2.6.5 The virtqueue descriptor table ------------------------------------------------- */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u

struct virtq_desc {
    uint64_t addr; /* guest-physical address of the buffer */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "§2.6.5: descriptor is 16 bytes");
_Static_assert(offsetof(struct virtq_desc, addr) == 0, "§2.6.5");
_Static_assert(offsetof(struct virtq_desc, len) == 8, "§2.6.5");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "§2.6.5");
_Static_assert(offsetof(struct virtq_desc, next) == 14, "§2.6.5");

/* ---- §2.6.6 The virtqueue available ring ---------------------------------------------------- */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* Queue Size entries, then used_event (only if VIRTIO_F_EVENT_IDX) */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "§2.6.6: flags + idx");
_Static_assert(offsetof(struct virtq_avail, idx) == 2, "§2.6.6");
_Static_assert(offsetof(struct virtq_avail, ring) == 4, "§2.6.6");

/* ---- §2.6.8 The virtqueue used ring --------------------------------------------------------- */
#define VIRTQ_USED_F_NO_NOTIFY 1u

struct virtq_used_elem {
    uint32_t id; /* head of the used descriptor chain (u32 for padding reasons) */
    uint32_t len; /* bytes written into the device-writable part of the chain */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "§2.6.8: used element is 8 bytes");
_Static_assert(offsetof(struct virtq_used_elem, len) == 4, "§2.6.8");

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* Queue Size entries, then avail_event (if EVENT_IDX) */
};
_Static_assert(sizeof(struct virtq_used) == 4, "§2.6.8: flags + idx");
_Static_assert(offsetof(struct virtq_used, idx) == 2, "§2.6.8");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "§2.6.8");

/* §2.6 alignment table: the driver must place each part at least at these alignments. */
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

/* Sizes of the three parts for a queue of n entries (§2.6), event fields included: the driver
 * always reserves them so turning on VIRTIO_F_EVENT_IDX never moves a ring. */
#define VIRTQ_DESC_BYTES(n) (16u * (uint32_t)(n))
#define VIRTQ_AVAIL_BYTES(n) (6u + 2u * (uint32_t)(n))
#define VIRTQ_USED_BYTES(n) (6u + 8u * (uint32_t)(n))

/* §2.6.13.2 / §2.6.14: 16-bit indices wrap; Queue Size is at most 32768 (§2.6). */
#define VIRTQ_MAX_SIZE 32768u

/* ---- §2.7 Packed virtqueues ------------------------------------------------------------------ */
/* §2.7.1: the wrap counters start at 1; §2.7.2/§2.7.3: AVAIL and USED are flag bits 7 and 15. */
#define VIRTQ_DESC_F_AVAIL (1u << 7)
#define VIRTQ_DESC_F_USED (1u << 15)

/* §2.7.13: a descriptor of the packed ring (and of a packed indirect table, §2.7.5). */
struct virtq_packed_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;    /* buffer id */
    uint16_t flags;
};
_Static_assert(sizeof(struct virtq_packed_desc) == 16, "§2.7.13: descriptor is 16 bytes");
_Static_assert(offsetof(struct virtq_packed_desc, len) == 8, "§2.7.13");
_Static_assert(offsetof(struct virtq_packed_desc, id) == 12, "§2.7.13");
_Static_assert(offsetof(struct virtq_packed_desc, flags) == 14, "§2.7.13");

/* §2.7.14: the event suppression structures (Driver Area: the driver's, Device Area: the
 * device's). desc: bits 0..14 a descriptor ring offset, bit 15 its wrap counter. */
#define VIRTQ_PEVENT_F_ENABLE 0u
#define VIRTQ_PEVENT_F_DISABLE 1u
#define VIRTQ_PEVENT_F_DESC 2u /* only with VIRTIO_F_EVENT_IDX */
struct virtq_pevent {
    uint16_t off_wrap;
    uint16_t flags;
};
_Static_assert(sizeof(struct virtq_pevent) == 4, "§2.7.14: 4 bytes");
_Static_assert(offsetof(struct virtq_pevent, flags) == 2, "§2.7.14");

/* §2.7.10 alignment table: descriptor ring 16, both event suppression structures 4. */
#define VIRTQ_PACKED_DESC_ALIGN 16u
#define VIRTQ_PEVENT_ALIGN 4u

/* ---- §4.2.2 MMIO device register layout ---------------------------------------------------- */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000u
#define VIRTIO_MMIO_VERSION 0x004u
#define VIRTIO_MMIO_DEVICE_ID 0x008u
#define VIRTIO_MMIO_VENDOR_ID 0x00cu
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010u
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020u
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028u /* legacy (version 1) only, §4.2.4 */
#define VIRTIO_MMIO_QUEUE_SEL 0x030u
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034u
#define VIRTIO_MMIO_QUEUE_NUM 0x038u
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03cu /* legacy only */
#define VIRTIO_MMIO_QUEUE_PFN 0x040u   /* legacy only */
#define VIRTIO_MMIO_QUEUE_READY 0x044u /* version 2 only */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050u
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060u
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064u
#define VIRTIO_MMIO_STATUS 0x070u
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080u /* version 2 only, up to QueueDeviceHigh */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084u
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090u
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094u
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0u
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4u
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0u /* VirtIO 1.2 §4.2.2: with VIRTIO_F_RING_RESET */
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fcu
#define VIRTIO_MMIO_CONFIG 0x100u
#define VIRTIO_MMIO_WINDOW_SIZE 0x200u

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" in little-endian */
#define VIRTIO_MMIO_INT_VRING 1u       /* InterruptStatus bit 0: used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2u      /* bit 1: configuration change */

/* ---- §5 device ids ------------------------------------------------------------------------- */
#define VIRTIO_ID_GPU 16u

/* ---- §5.7 GPU device ------------------------------------------------------------------------ */
#define VIRTIO_GPU_F_VIRGL 0u
#define VIRTIO_GPU_F_EDID 1u

#define VIRTIO_GPU_QUEUE_CONTROL 0u
#define VIRTIO_GPU_QUEUE_CURSOR 1u
#define VIRTIO_GPU_MAX_SCANOUTS 16u

/* §5.7.4 device configuration layout */
struct virtio_gpu_config {
    uint32_t events_read;
    uint32_t events_clear;
    uint32_t num_scanouts;
    uint32_t reserved;
};
_Static_assert(sizeof(struct virtio_gpu_config) == 16, "§5.7.4");
_Static_assert(offsetof(struct virtio_gpu_config, num_scanouts) == 8, "§5.7.4");

/* §5.7.6.7 control types and response codes */
enum virtio_gpu_ctrl_type {
    VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100,
    VIRTIO_GPU_CMD_RESOURCE_CREATE_2D = 0x0101,
    VIRTIO_GPU_CMD_RESOURCE_UNREF = 0x0102,
    VIRTIO_GPU_CMD_SET_SCANOUT = 0x0103,
    VIRTIO_GPU_CMD_RESOURCE_FLUSH = 0x0104,
    VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D = 0x0105,
    VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106,
    VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING = 0x0107,
    VIRTIO_GPU_CMD_GET_CAPSET_INFO = 0x0108,
    VIRTIO_GPU_CMD_GET_CAPSET = 0x0109,
    VIRTIO_GPU_CMD_GET_EDID = 0x010a,
    VIRTIO_GPU_CMD_UPDATE_CURSOR = 0x0300,
    VIRTIO_GPU_CMD_MOVE_CURSOR = 0x0301,
    VIRTIO_GPU_RESP_OK_NODATA = 0x1100,
    VIRTIO_GPU_RESP_OK_DISPLAY_INFO = 0x1101,
    VIRTIO_GPU_RESP_OK_CAPSET_INFO = 0x1102,
    VIRTIO_GPU_RESP_OK_CAPSET = 0x1103,
    VIRTIO_GPU_RESP_OK_EDID = 0x1104,
    VIRTIO_GPU_RESP_ERR_UNSPEC = 0x1200,
    VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY = 0x1201,
    VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID = 0x1202,
    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID = 0x1203,
    VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID = 0x1204,
    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER = 0x1205,
};

#define VIRTIO_GPU_FLAG_FENCE 1u

/* §5.7.6.8 pixel formats (the 2D ones; byte order in memory is the name's order) */
enum virtio_gpu_formats {
    VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM = 1,
    VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM = 2,
    VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM = 3,
    VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM = 4,
    VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM = 67,
    VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM = 68,
    VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM = 121,
    VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM = 134,
};

/* §5.7.6.7 request header */
struct virtio_gpu_ctrl_hdr {
    uint32_t type;
    uint32_t flags;
    uint64_t fence_id;
    uint32_t ctx_id;
    uint8_t ring_idx;
    uint8_t padding[3];
};
_Static_assert(sizeof(struct virtio_gpu_ctrl_hdr) == 24, "§5.7.6.7");
_Static_assert(offsetof(struct virtio_gpu_ctrl_hdr, fence_id) == 8, "§5.7.6.7");
_Static_assert(offsetof(struct virtio_gpu_ctrl_hdr, ctx_id) == 16, "§5.7.6.7");
_Static_assert(offsetof(struct virtio_gpu_ctrl_hdr, ring_idx) == 20, "§5.7.6.7");

struct virtio_gpu_rect {
    uint32_t x;
    uint32_t y;
    uint32_t width;
    uint32_t height;
};
_Static_assert(sizeof(struct virtio_gpu_rect) == 16, "§5.7.6.8");

/* VIRTIO_GPU_CMD_GET_DISPLAY_INFO response */
struct virtio_gpu_display_one {
    struct virtio_gpu_rect r;
    uint32_t enabled;
    uint32_t flags;
};
_Static_assert(sizeof(struct virtio_gpu_display_one) == 24, "§5.7.6.8");

struct virtio_gpu_resp_display_info {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_display_one pmodes[VIRTIO_GPU_MAX_SCANOUTS];
};
_Static_assert(sizeof(struct virtio_gpu_resp_display_info) == 408, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resp_display_info, pmodes) == 24, "§5.7.6.8");

/* VIRTIO_GPU_CMD_RESOURCE_CREATE_2D */
struct virtio_gpu_resource_create_2d {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t format;
    uint32_t width;
    uint32_t height;
};
_Static_assert(sizeof(struct virtio_gpu_resource_create_2d) == 40, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resource_create_2d, resource_id) == 24, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resource_create_2d, height) == 36, "§5.7.6.8");

/* VIRTIO_GPU_CMD_RESOURCE_UNREF */
struct virtio_gpu_resource_unref {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_resource_unref) == 32, "§5.7.6.8");

/* VIRTIO_GPU_CMD_SET_SCANOUT */
struct virtio_gpu_set_scanout {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint32_t scanout_id;
    uint32_t resource_id;
};
_Static_assert(sizeof(struct virtio_gpu_set_scanout) == 48, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_set_scanout, r) == 24, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_set_scanout, scanout_id) == 40, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_set_scanout, resource_id) == 44, "§5.7.6.8");

/* VIRTIO_GPU_CMD_RESOURCE_FLUSH */
struct virtio_gpu_resource_flush {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint32_t resource_id;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_resource_flush) == 48, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resource_flush, resource_id) == 40, "§5.7.6.8");

/* VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D */
struct virtio_gpu_transfer_to_host_2d {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint64_t offset;
    uint32_t resource_id;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_transfer_to_host_2d) == 56, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_transfer_to_host_2d, offset) == 40, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_transfer_to_host_2d, resource_id) == 48, "§5.7.6.8");

/* VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: followed by nr_entries mem entries */
struct virtio_gpu_resource_attach_backing {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t nr_entries;
};
_Static_assert(sizeof(struct virtio_gpu_resource_attach_backing) == 32, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resource_attach_backing, nr_entries) == 28, "§5.7.6.8");

struct virtio_gpu_mem_entry {
    uint64_t addr;
    uint32_t length;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_mem_entry) == 16, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_mem_entry, length) == 8, "§5.7.6.8");

/* VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING */
struct virtio_gpu_resource_detach_backing {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_resource_detach_backing) == 32, "§5.7.6.8");

/* VIRTIO_GPU_CMD_GET_EDID (VIRTIO_GPU_F_EDID) */
struct virtio_gpu_get_edid {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t scanout;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_get_edid) == 32, "§5.7.6.8");

struct virtio_gpu_resp_edid {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t size;
    uint32_t padding;
    uint8_t edid[1024];
};
_Static_assert(sizeof(struct virtio_gpu_resp_edid) == 1056, "§5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resp_edid, edid) == 32, "§5.7.6.8");

/* §5.7.4 events_read / events_clear bits */
#define VIRTIO_GPU_EVENT_DISPLAY (1u << 0)

/* §5.7.6.9 cursor queue: UPDATE_CURSOR / MOVE_CURSOR (64x64 cursor image) */
struct virtio_gpu_cursor_pos {
    uint32_t scanout_id;
    uint32_t x;
    uint32_t y;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_cursor_pos) == 16, "§5.7.6.9");

struct virtio_gpu_update_cursor {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_cursor_pos pos;
    uint32_t resource_id;
    uint32_t hot_x;
    uint32_t hot_y;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_update_cursor) == 56, "§5.7.6.9");
_Static_assert(offsetof(struct virtio_gpu_update_cursor, resource_id) == 40, "§5.7.6.9");

#define VIRTIO_GPU_CURSOR_SIZE 64u

/* ---- VirtIO 1.2 §5.7: what 1.2 adds to the gpu device (RESOURCE_UUID, RESOURCE_BLOB,
 * CONTEXT_INIT, the commands that go with them, and the 3D commands of §5.7.6.9, documented from
 * 1.2 on; their codes were reserved in 1.1). Section numbers are VirtIO 1.2's. -------------- */
/* §5.7.3 feature bits (1.2) */
#define VIRTIO_GPU_F_RESOURCE_UUID 2u  /* RESOURCE_ASSIGN_UUID */
#define VIRTIO_GPU_F_RESOURCE_BLOB 3u  /* RESOURCE_CREATE_BLOB, SET_SCANOUT_BLOB, MAP/UNMAP_BLOB */
#define VIRTIO_GPU_F_CONTEXT_INIT 4u   /* context types, VIRTIO_GPU_FLAG_INFO_RING_IDX */

/* §5.7.6.7 control types 1.2 adds (2D) */
#define VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID 0x010bu
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB 0x010cu
#define VIRTIO_GPU_CMD_SET_SCANOUT_BLOB 0x010du
/* 3D commands (VIRTIO_GPU_F_VIRGL; MAP/UNMAP_BLOB also need RESOURCE_BLOB and a host visible
 * shared memory region) */
#define VIRTIO_GPU_CMD_CTX_CREATE 0x0200u
#define VIRTIO_GPU_CMD_CTX_DESTROY 0x0201u
#define VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE 0x0202u
#define VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE 0x0203u
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_3D 0x0204u
#define VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D 0x0205u
#define VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D 0x0206u
#define VIRTIO_GPU_CMD_SUBMIT_3D 0x0207u
#define VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB 0x0208u
#define VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB 0x0209u
/* responses 1.2 adds */
#define VIRTIO_GPU_RESP_OK_RESOURCE_UUID 0x1105u
#define VIRTIO_GPU_RESP_OK_MAP_INFO 0x1106u

/* §5.7.6.7 request header flags: ring_idx is valid (only with CONTEXT_INIT) */
#define VIRTIO_GPU_FLAG_INFO_RING_IDX (1u << 1)

/* RESOURCE_ASSIGN_UUID and its answer */
struct virtio_gpu_resource_assign_uuid {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
};
_Static_assert(sizeof(struct virtio_gpu_resource_assign_uuid) == 32, "1.2 §5.7.6.8");

struct virtio_gpu_resp_resource_uuid {
    struct virtio_gpu_ctrl_hdr hdr;
    uint8_t uuid[16];
};
_Static_assert(sizeof(struct virtio_gpu_resp_resource_uuid) == 40, "1.2 §5.7.6.8");

/* RESOURCE_CREATE_BLOB: followed by nr_entries struct virtio_gpu_mem_entry */
#define VIRTIO_GPU_BLOB_MEM_GUEST 0x0001u
#define VIRTIO_GPU_BLOB_MEM_HOST3D 0x0002u
#define VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST 0x0003u
#define VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE 0x0001u
#define VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE 0x0002u
#define VIRTIO_GPU_BLOB_FLAG_USE_CROSS_DEVICE 0x0004u

struct virtio_gpu_resource_create_blob {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t blob_mem;
    uint32_t blob_flags;
    uint32_t nr_entries;
    uint64_t blob_id;
    uint64_t size;
};
_Static_assert(sizeof(struct virtio_gpu_resource_create_blob) == 56, "1.2 §5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_resource_create_blob, blob_id) == 40, "1.2 §5.7.6.8");

/* SET_SCANOUT_BLOB: plane 0 of strides/offsets describes a single-plane format */
struct virtio_gpu_set_scanout_blob {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint32_t scanout_id;
    uint32_t resource_id;
    uint32_t width;
    uint32_t height;
    uint32_t format;
    uint32_t padding;
    uint32_t strides[4];
    uint32_t offsets[4];
};
_Static_assert(sizeof(struct virtio_gpu_set_scanout_blob) == 96, "1.2 §5.7.6.8");
_Static_assert(offsetof(struct virtio_gpu_set_scanout_blob, strides) == 64, "1.2 §5.7.6.8");

/* CTX_CREATE (3D) */
#define VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK 0x000000ffu
struct virtio_gpu_ctx_create {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t nlen;
    uint32_t context_init;
    char debug_name[64];
};
_Static_assert(sizeof(struct virtio_gpu_ctx_create) == 96, "1.2 §5.7.6.9");

/* RESOURCE_MAP_BLOB (3D) */
struct virtio_gpu_resource_map_blob {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
    uint64_t offset;
};
_Static_assert(sizeof(struct virtio_gpu_resource_map_blob) == 40, "1.2 §5.7.6.9");

#endif /* VIRTIO_SPEC_H */
