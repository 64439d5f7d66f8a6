/* gpu_feature_checks.h — the gpu driver's rules VirtIO 1.2 ties to a feature (1.2 §5.7.6.7,
 * §5.7.6.8, §5.7.6.9): a control command the driver may send only when a feature was negotiated,
 * judged from its header as the device takes it. Rule ids (spec/rules.yaml, specver2 block):
 *   gpu.blob.negotiated       RESOURCE_CREATE_BLOB / SET_SCANOUT_BLOB / MAP_BLOB / UNMAP_BLOB
 *                             without VIRTIO_GPU_F_RESOURCE_BLOB
 *   gpu.map-blob.host-region  MAP_BLOB / UNMAP_BLOB with RESOURCE_BLOB, but the device has no
 *                             host visible memory region (the gpu model never has one, nor has
 *                             QEMU 7.2's 2D device)
 *   gpu.uuid.negotiated       RESOURCE_ASSIGN_UUID without VIRTIO_GPU_F_RESOURCE_UUID
 *   gpu.3d.negotiated         a 3D command (CTX_*, RESOURCE_CREATE_3D, TRANSFER_*_3D,
 *                             SUBMIT_3D) without VIRTIO_GPU_F_VIRGL
 *   gpu.ring-idx.context-init VIRTIO_GPU_FLAG_INFO_RING_IDX set without VIRTIO_GPU_F_CONTEXT_INIT
 * The rules on the bodies (blob_mem, SET_SCANOUT_BLOB's format) are checked where the gpu parses
 * them (devices/gpu_blob.c).
 */
#ifndef GPU_FEATURE_CHECKS_H
#define GPU_FEATURE_CHECKS_H

#include <stdint.h>

#include "spec/virtio_spec.h"

struct machine;

void gpu_feature_check(struct machine *m, uint32_t qi, const struct virtio_gpu_ctrl_hdr *h);

#endif /* GPU_FEATURE_CHECKS_H */
