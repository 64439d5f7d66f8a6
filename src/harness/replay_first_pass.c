/* replay_first_pass.c — the replay's first pass over a recording (replay_internal.h): validate
 * every event, find the gpu and how the run ended. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/replay_internal.h"
#include "spec/virtio_spec.h"

#define GPU_DEVICE_ID 16u

/* The first pass: validate every event, find the gpu and how the run ended. Per window (a guest
 * probes each of virt's 32): its accesses and the Version it read there. */
#define FIRST_PASS_WINDOWS 64u
#define FIRST_PASS_VQS 256u

struct first_pass {
    struct first_window {
        uint64_t base, accesses;
        uint32_t version, device_id;
        bool version_read, id_read;
        uint32_t features_sel;  /* the last DeviceFeaturesSel written */
        bool packed;            /* DeviceFeatures read with sel 1 showed RING_PACKED */
    } win[FIRST_PASS_WINDOWS];
    uint32_t n_win;
    uint64_t first_window;  /* UINT64_MAX: none yet */
    struct first_vq {
        uint64_t vq, window;
        uint32_t queue;
    } vqs[FIRST_PASS_VQS];
    uint32_t n_vq;
    struct replay_pci_scan pci; /* virtio-pci functions (replay_pci.c) */
};

/* A register access: its window's count, the Version and DeviceID read there. */
static void first_pass_mmio(struct first_pass *fp, struct replay_summary *sm,
                            const struct vqrec_event *e)
{
    uint64_t base = e->addr & ~(uint64_t)(VIRTIO_MMIO_WINDOW_SIZE - 1);
    uint32_t off = (uint32_t)(e->addr - base);
    sm->virtio_accesses++;
    if (fp->first_window == UINT64_MAX)
        fp->first_window = base;
    uint32_t w = 0;
    while (w < fp->n_win && fp->win[w].base != base)
        w++;
    if (w == fp->n_win && fp->n_win < FIRST_PASS_WINDOWS)
        fp->win[fp->n_win++] = (struct first_window){.base = base};
    if (w < fp->n_win) {
        struct first_window *fw = &fp->win[w];
        fw->accesses++;
        if (e->kind == VQREC_MMIO_READ && off == VIRTIO_MMIO_VERSION && !fw->version_read) {
            fw->version = (uint32_t)e->value;
            fw->version_read = true;
        }
        if (e->kind == VQREC_MMIO_WRITE && off == VIRTIO_MMIO_DEVICE_FEATURES_SEL)
            fw->features_sel = (uint32_t)e->value;
        if (e->kind == VQREC_MMIO_READ && off == VIRTIO_MMIO_DEVICE_FEATURES &&
            fw->features_sel == 1 && (e->value >> (VIRTIO_F_RING_PACKED - 32)) & 1)
            fw->packed = true;
        if (e->kind == VQREC_MMIO_READ && off == VIRTIO_MMIO_DEVICE_ID && !fw->id_read) {
            fw->device_id = (uint32_t)e->value;
            fw->id_read = true;
        }
    }
    if (e->kind == VQREC_MMIO_READ && e->size == 4 && off == VIRTIO_MMIO_DEVICE_ID &&
        e->value == GPU_DEVICE_ID && !sm->gpu_found) {
        sm->gpu_found = true;
        sm->window = base;
    }
}

/* What the whole stream showed: the gpu's window, its VirtQueues, its accesses and Version. */
static void first_pass_summary(const struct first_pass *fp, struct replay_summary *sm)
{
    if (!sm->gpu_found && !sm->pci && fp->first_window != UINT64_MAX)
        sm->window = fp->first_window;
    sm->window_known = sm->gpu_found || sm->pci || fp->first_window != UINT64_MAX;
    for (uint32_t v = 0; v < fp->n_vq && sm->gpu_found; v++)
        if (fp->vqs[v].window == sm->window && fp->vqs[v].queue < RUN_MAX_QUEUES &&
            sm->n_gpu_vq < RUN_MAX_QUEUES)
            sm->gpu_vq[sm->n_gpu_vq++] = (struct replay_vq){fp->vqs[v].vq, fp->vqs[v].queue};
    for (uint32_t w = 0; w < fp->n_win && sm->window_known && !sm->pci; w++)
        if (fp->win[w].base == sm->window) {
            sm->gpu_accesses = fp->win[w].accesses;
            sm->version = fp->win[w].version;
            sm->packed_offered = fp->win[w].packed;
            /* no window said it holds a gpu, and this one said it holds another device */
            sm->other_device_only = !sm->gpu_found && fp->win[w].id_read &&
                                    fp->win[w].device_id != 0;
        }
}

int replay_first_pass(struct replay *rp, struct vqrec_reader *rd, char *err, size_t errlen)
{
    struct replay_summary *sm = &rp->sum;
    struct first_pass fp = {.first_window = UINT64_MAX};
    struct vqrec_item it;
    int rc;
    while ((rc = vqrec_reader_next(rd, &it, true, err, errlen)) == 1) {
        const struct vqrec_event *e = &it.ev;
        if (replay_pci_first(&fp.pci, sm, e))
            continue;
        if (e->kind == VQREC_WINDOW && fp.first_window == UINT64_MAX)
            fp.first_window = e->addr;
        if (e->kind == VQREC_MMIO_READ || e->kind == VQREC_MMIO_WRITE) {
            first_pass_mmio(&fp, sm, e);
        } else if (e->kind == VQREC_DEVICE && e->pc && it.payload) {
            uint64_t vq = replay_device_vq(&it);
            uint32_t v = 0;
            while (v < fp.n_vq && fp.vqs[v].vq != vq)
                v++;
            if (vq && v == fp.n_vq && fp.n_vq < FIRST_PASS_VQS)
                fp.vqs[fp.n_vq++] = (struct first_vq){vq, e->pc, (uint32_t)e->addr};
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
    replay_pci_summary(&fp.pci, sm);
    first_pass_summary(&fp, sm);
    return vqrec_reader_rewind(rd, err, errlen);
}
