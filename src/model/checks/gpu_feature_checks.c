/* gpu_feature_checks.c — see gpu_feature_checks.h. */
#include "model/checks/gpu_feature_checks.h"

#include "model/devices/gpu_device.h"
#include "model/machine.h"

/* The feature a command needs, or -1. */
static int needed_feature(uint32_t type)
{
    switch (type) {
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB: return VIRTIO_GPU_F_RESOURCE_BLOB;
    case VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID: return VIRTIO_GPU_F_RESOURCE_UUID;
    case VIRTIO_GPU_CMD_CTX_CREATE:
    case VIRTIO_GPU_CMD_CTX_DESTROY:
    case VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE:
    case VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE:
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_3D:
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D:
    case VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D:
    case VIRTIO_GPU_CMD_SUBMIT_3D: return VIRTIO_GPU_F_VIRGL;
    default: return -1;
    }
}

void gpu_feature_check(struct machine *m, uint32_t qi, const struct virtio_gpu_ctrl_hdr *h)
{
    uint64_t f = m->dev.guest_features;
    const char *name = gpu_cmd_name(h->type);
    int need = needed_feature(h->type);
    /* 1.2 §5.7.6.8 / §5.7.6.9: "Support is optional and negotiated using the … feature flag";
     * the 3D commands "are supported by the device if the VIRTIO_GPU_F_VIRGL feature flag is set" */
    if (need >= 0 && !(f >> need & 1u)) {
#define NOT_NEGOTIATED "%s (0x%x) sent, but %s was not negotiated (features in force 0x%llx)"
        unsigned long long in_force = f;
        if (need == VIRTIO_GPU_F_RESOURCE_BLOB)
            machine_violation(m, "gpu.blob.negotiated", (int)qi, NOT_NEGOTIATED, name, h->type,
                              "VIRTIO_GPU_F_RESOURCE_BLOB", in_force);
        else if (need == VIRTIO_GPU_F_RESOURCE_UUID)
            machine_violation(m, "gpu.uuid.negotiated", (int)qi, NOT_NEGOTIATED, name, h->type,
                              "VIRTIO_GPU_F_RESOURCE_UUID", in_force);
        else
            machine_violation(m, "gpu.3d.negotiated", (int)qi, NOT_NEGOTIATED, name, h->type,
                              "VIRTIO_GPU_F_VIRGL", in_force);
#undef NOT_NEGOTIATED
    } else if (h->type == VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB ||
               h->type == VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB) {
        /* 1.2 §5.7.6.9: … "and checking for the presence of the host visible memory region" */
        machine_violation(m, "gpu.map-blob.host-region", (int)qi,
                          "%s sent, but the device has no host visible memory region (shmid 1): "
                          "its shared memory registers report none", name);
    }
    /* 1.2 §5.7.6.7: "If VIRTIO_GPU_F_CONTEXT_INIT is supported, then the driver MAY set
     * VIRTIO_GPU_FLAG_INFO_RING_IDX" — and only then */
    if ((h->flags & VIRTIO_GPU_FLAG_INFO_RING_IDX) && !(f >> VIRTIO_GPU_F_CONTEXT_INIT & 1u))
        machine_violation(m, "gpu.ring-idx.context-init", (int)qi,
                          "%s (0x%x) has VIRTIO_GPU_FLAG_INFO_RING_IDX set (flags 0x%x, ring_idx "
                          "%u), but VIRTIO_GPU_F_CONTEXT_INIT was not negotiated",
                          name ? name : "the command", h->type, h->flags, h->ring_idx);
}
