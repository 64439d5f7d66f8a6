/* replay_report.c — what a replay tells beside the verdict (replay.h): where the run came from,
 * for the results (their `source`), and the console lines of `vqsim check`. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/replay.h"
#include "harness/replay_internal.h"

void replay_source(const struct replay *rp, struct result_source *out)
{
    const struct vqrec_info *in = &rp->sum.info;
    _Static_assert(RESULTS_MAX_NOTES == REPLAY_MAX_NOTES, "every note");
    memset(out, 0, sizeof(*out));
    out->present = true;
    snprintf(out->recorder, sizeof(out->recorder), "%s", in->source);
    out->events = in->n_items;
    out->skipped_unknown = in->skipped_unknown;
    out->truncated = in->truncated;
    out->ended = rp->ended;
    out->exit_status = rp->exit_status;
    out->killed = rp->killed;
    out->mmu_seen = (in->header.flags & VQREC_HF_MMU_SEEN) || rp->n_virt;
    out->vcpus = in->header.n_cpus;
    out->window = rp->window;
    out->replayed.mmio = rp->n_mmio;
    out->replayed.other_windows = rp->n_other_window;
    out->replayed.stores = rp->n_stores;
    out->replayed.loads = rp->n_loads;
    out->replayed.polls = rp->n_polls;
    out->replayed.outside_loads = rp->n_outside;
    out->replayed.barriers = rp->n_barriers;
    out->replayed.memory_dumps = rp->n_memory;
    out->replayed.device_events = rp->n_device;
    out->replayed.other_devices = rp->n_other_devices;
    out->replayed.interrupt_status_ahead = rp->n_isr_ahead;
    out->discrepancies = rp->n_discrepancies;
    out->n_notes = rp->n_notes;
    for (uint32_t i = 0; i < rp->n_notes; i++) {
        out->notes[i].offset = rp->notes[i].offset;
        memcpy(out->notes[i].text, rp->notes[i].text, sizeof(out->notes[i].text));
    }
}

void replay_source_requests(const struct machine *m, struct result_source *out)
{
    uint32_t n = m->device.ops ? m->device.ops->n_queues : 0;
    out->n_request_queues = n < RESULTS_MAX_QUEUES ? n : RESULTS_MAX_QUEUES;
    for (uint32_t q = 0; q < out->n_request_queues; q++) {
        out->requests_taken[q] = m->facts.q[q].c.pops;
        out->requests_answered[q] = m->facts.q[q].c.used;
    }
}

void replay_print(FILE *f, const struct replay *rp, bool verbose)
{
    const struct vqrec_info *in = &rp->sum.info;
    const char *type = rp->sum.target_known ? replay_device_type(&rp->sum.target) : NULL;
    bool gpu = !type || !strcmp(type, "gpu");
    if (verbose && rp->sum.target_known)
        fprintf(f, "    device: %s, %s 0x%llx (DeviceID %u)\n", type ? type : "none",
                rp->sum.pci ? "virtio-pci function, structures BAR at" : "virtio-mmio window",
                (unsigned long long)rp->sum.window,
                rp->sum.target.device_id);
    if (verbose)
        fprintf(f, "    recording from %s: %llu events, %u vCPU(s); replayed %llu register "
                   "accesses, %llu ring stores, %llu ring loads, %llu barriers, %llu memory "
                   "dumps; %llu poll(s) and %llu other load(s) outside the rings, not replayed"
                   "%s%s\n", in->source, (unsigned long long)in->n_items, in->header.n_cpus,
                (unsigned long long)rp->n_mmio, (unsigned long long)rp->n_stores,
                (unsigned long long)rp->n_loads, (unsigned long long)rp->n_barriers,
                (unsigned long long)rp->n_memory, (unsigned long long)rp->n_polls,
                (unsigned long long)rp->n_outside, in->truncated ? "; the file is cut short" : "",
                rp->n_virt ? "; MMU on (virtual addresses differ)" : "");
    if (verbose && rp->n_other_devices)
        fprintf(f, "    %llu ring access(es) and memory dump(s) of other virtio devices, not "
                   "replayed here (each device is checked on its own)\n",
                (unsigned long long)rp->n_other_devices);
    if (verbose && rp->n_isr_ahead)
        fprintf(f, "    %llu InterruptStatus read(s) where the model had already raised what QEMU "
                   "raised a moment later: judged by what the guest read\n",
                (unsigned long long)rp->n_isr_ahead);
    if (verbose)
        replay_abandon_print(f, rp);
    if (verbose && rp->n_memory && gpu)
        fprintf(f, "    pixels are the model's, not the guest's: framebuffer pages are not "
                   "recorded\n");
    for (uint32_t i = 0; i < rp->n_notes; i++)
        fprintf(f, "    model-vs-recording discrepancy at offset %llu: %s\n",
                (unsigned long long)rp->notes[i].offset, rp->notes[i].text);
    if (rp->n_discrepancies > rp->n_notes)
        fprintf(f, "    … %llu discrepancies in all\n", (unsigned long long)rp->n_discrepancies);
}
