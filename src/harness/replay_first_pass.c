/* replay_first_pass.c — the replay's first pass over a recording (replay_internal.h): validate
 * every event, find the gpu and how the run ended. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/replay_internal.h"
#include "spec/virtio_spec.h"

#define GPU_DEVICE_ID 16u

/* A config read of the window (at: its offset in the device's config): the bytes the guest
 * saw, the first time it read each. */
void replay_config_read(struct replay_window *fw, uint32_t at0, const struct vqrec_event *e)
{
    for (uint32_t b = 0; b < e->size && b < 8; b++) {
        uint32_t at = at0 + b;
        if (at >= REPLAY_CONFIG_BYTES || fw->config_read >> at & 1)
            continue;
        fw->config[at] = (uint8_t)(e->value >> (8 * b));
        fw->config_read |= 1ull << at;
    }
}

/* A register read of the window: its Version, DeviceID, DeviceFeatures and config as read. */
static void first_pass_read(struct replay_window *fw, uint32_t off, const struct vqrec_event *e)
{
    if (off == VIRTIO_MMIO_VERSION && !fw->version_read) {
        fw->version = (uint32_t)e->value;
        fw->version_read = true;
    }
    if (off == VIRTIO_MMIO_DEVICE_FEATURES && fw->features_sel < 2) {
        if (fw->features_sel == 1 && (e->value >> (VIRTIO_F_RING_PACKED - 32)) & 1)
            fw->packed = true;
        fw->features |= (uint64_t)(uint32_t)e->value << (32 * fw->features_sel);
    }
    if (off == VIRTIO_MMIO_DEVICE_ID && !fw->id_read) {
        fw->device_id = (uint32_t)e->value;
        fw->id_read = true;
    }
    if (off >= VIRTIO_MMIO_CONFIG)
        replay_config_read(fw, off - VIRTIO_MMIO_CONFIG, e);
}

/* A register access: its window's count, the Version and DeviceID read there. */
static void first_pass_mmio(struct replay_summary *sm, const struct vqrec_event *e)
{
    uint64_t base = e->addr & ~(uint64_t)(VIRTIO_MMIO_WINDOW_SIZE - 1);
    uint32_t off = (uint32_t)(e->addr - base);
    sm->virtio_accesses++;
    if (sm->first_window == UINT64_MAX)
        sm->first_window = base;
    uint32_t w = 0;
    while (w < sm->n_win && sm->win[w].base != base)
        w++;
    if (w == sm->n_win && sm->n_win < REPLAY_MAX_WINDOWS)
        sm->win[sm->n_win++] = (struct replay_window){.base = base};
    if (w < sm->n_win) {
        struct replay_window *fw = &sm->win[w];
        fw->accesses++;
        if (e->kind == VQREC_MMIO_WRITE && off == VIRTIO_MMIO_DEVICE_FEATURES_SEL)
            fw->features_sel = (uint32_t)e->value;
        if (e->kind == VQREC_MMIO_READ)
            first_pass_read(fw, off, e);
    }
    if (e->kind == VQREC_MMIO_READ && e->size == 4 && off == VIRTIO_MMIO_DEVICE_ID &&
        e->value == GPU_DEVICE_ID && !sm->gpu_found) {
        sm->gpu_found = true;
        sm->window = base;
    }
}

/* The checked device: the window at `base`, its VirtQueues, its accesses and Version. `found`:
 * the guest read a device there (else the replay takes the first window it touched). */
static void summary_target(struct replay_summary *sm, uint64_t base, bool found)
{
    sm->gpu_found = found;
    sm->window = base;
    sm->window_known = base != UINT64_MAX;
    sm->n_gpu_vq = 0;
    sm->target_known = false;
    sm->gpu_accesses = 0;
    for (uint32_t v = 0; v < sm->n_vq && found; v++)
        if (sm->vqs[v].window == base && sm->vqs[v].queue < RUN_MAX_QUEUES &&
            sm->n_gpu_vq < RUN_MAX_QUEUES)
            sm->gpu_vq[sm->n_gpu_vq++] = (struct replay_vq){sm->vqs[v].vq, sm->vqs[v].queue};
    for (uint32_t w = 0; w < sm->n_win && sm->window_known; w++)
        if (sm->win[w].base == base) {
            sm->target_known = true;
            sm->target = sm->win[w];
            sm->gpu_accesses = sm->win[w].accesses;
            sm->version = sm->win[w].version;
            sm->packed_offered = sm->win[w].packed;
            /* no window said it holds a gpu, and this one said it holds another device */
            sm->other_device_only = !found && sm->win[w].id_read && sm->win[w].device_id != 0;
        }
}

bool replay_target(struct replay *rp, uint64_t base)
{
    struct replay_summary *sm = &rp->sum;
    uint32_t w = 0;
    while (w < sm->n_win && sm->win[w].base != base)
        w++;
    if (w == sm->n_win)
        return false;
    summary_target(sm, base, sm->win[w].id_read && sm->win[w].device_id != 0);
    sm->other_device_only = false;
    rp->window = sm->window;
    rp->window_known = sm->window_known;
    rp->version = sm->version;
    rp->paced = sm->n_gpu_vq > 0;
    return true;
}

int replay_first_pass(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen)
{
    struct replay_summary *sm = &rp->sum;
    sm->first_window = UINT64_MAX;
    struct replay_pci_scan pci = {.n = 0}; /* virtio-pci functions (replay_pci.c) */
    struct vqrec_item it;
    int rc;
    while ((rc = vqrec_reader_next(rd, &it, true, err, errlen)) == 1) {
        const struct vqrec_event *e = &it.ev;
        if (replay_pci_first(&pci, sm, e))
            continue;
        if (e->kind == VQREC_WINDOW && sm->first_window == UINT64_MAX)
            sm->first_window = e->addr;
        if (e->kind == VQREC_MMIO_READ || e->kind == VQREC_MMIO_WRITE) {
            first_pass_mmio(sm, e);
        } else if (e->kind == VQREC_DEVICE && e->pc && it.payload) {
            uint64_t vq = replay_device_vq(&it);
            uint32_t v = 0;
            while (v < sm->n_vq && sm->vqs[v].vq != vq)
                v++;
            if (vq && v == sm->n_vq && sm->n_vq < REPLAY_MAX_VQS)
                sm->vqs[sm->n_vq++] = (struct replay_vq_window){vq, e->pc, (uint32_t)e->addr};
        } else if (e->kind == VQREC_END) {
            sm->ended = true;
            sm->exit_status = (int64_t)e->value;
            sm->killed = (e->flags & VQREC_END_KILLED) != 0;
        } else if (e->kind == VQREC_NOTE && it.payload && e->len > 13 &&
                   !strncmp((const char *)it.payload, "qemu stderr: ", 13)) {
            /* the recorder's note of QEMU's last words (vqsim record, record_cmd_finish.c) */
            snprintf(sm->qemu_said, sizeof(sm->qemu_said), "%.*s", (int)e->len - 14,
                     (const char *)it.payload + 13);
        }
    }
    if (rc < 0)
        return rc;
    sm->info = rd->info;
    replay_pci_summary(&pci, sm);
    if (sm->pci) { /* a virtio-pci function (replay_pci.c chose it): its VirtQueues */
        for (uint32_t v = 0; v < sm->n_vq && sm->gpu_found; v++)
            if (sm->vqs[v].window == sm->window && sm->vqs[v].queue < RUN_MAX_QUEUES &&
                sm->n_gpu_vq < RUN_MAX_QUEUES)
                sm->gpu_vq[sm->n_gpu_vq++] =
                    (struct replay_vq){sm->vqs[v].vq, sm->vqs[v].queue};
        return vqrec_reader_rewind(rd, err, errlen);
    }
    /* the gpu, else the first device vqsim models (replay_device_type), else the first window
     * the guest touched (nothing to check when it holds another device) */
    uint64_t base = sm->gpu_found ? sm->window : sm->first_window;
    bool found = sm->gpu_found;
    for (uint32_t w = 0; w < sm->n_win && !found; w++)
        if ((found = replay_device_type(&sm->win[w]) != NULL))
            base = sm->win[w].base;
    summary_target(sm, base, found);
    return vqrec_reader_rewind(rd, err, errlen);
}
