/* virtio_gpu_1_2.h — what VirtIO 1.2 adds to the gpu device (1.2 §5.7): the feature bits
 * RESOURCE_UUID, RESOURCE_BLOB and CONTEXT_INIT, the commands that go with them, and the 3D
 * commands (§5.7.6.9 "controlq (3d)", documented from 1.2 on; their codes were reserved in 1.1).
 * The 2D structs are in virtio_spec.h. Section numbers are VirtIO 1.2's.
 */
#ifndef VIRTIO_GPU_1_2_H
#define VIRTIO_GPU_1_2_H

#include <stddef.h>
#include <stdint.h>

#include "spec/virtio_spec.h"

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

#endif /* VIRTIO_GPU_1_2_H */
