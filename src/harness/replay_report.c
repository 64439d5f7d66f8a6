/* replay_report.c — what a replay tells beside the verdict (replay.h): the `source` object of the
 * results JSON and the console lines of `vqsim check`. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/replay.h"

void replay_json(struct jw *w, const void *ctx)
{
    const struct replay *rp = ctx;
    const struct vqrec_info *in = &rp->sum.info;
    jw_key(w, "source");
    jw_obj_begin(w);
    jw_kstr(w, "kind", "recording");
    jw_kstr(w, "recorder", in->source);
    jw_ku64(w, "events", in->n_items);
    jw_ku64(w, "skipped_unknown", in->skipped_unknown);
    jw_kbool(w, "truncated", in->truncated);
    jw_kbool(w, "ended", rp->ended);
    jw_key(w, "exit_status");
    if (rp->ended)
        jw_i64(w, rp->exit_status);
    else
        jw_null(w);
    jw_kbool(w, "killed", rp->killed);
    jw_kbool(w, "mmu_seen", (in->header.flags & VQREC_HF_MMU_SEEN) || rp->n_virt);
    jw_ku64(w, "vcpus", in->header.n_cpus);
    jw_key(w, "replayed");
    jw_obj_begin(w);
    jw_ku64(w, "mmio", rp->n_mmio);
    jw_ku64(w, "other_windows", rp->n_other_window);
    jw_ku64(w, "stores", rp->n_stores);
    jw_ku64(w, "loads", rp->n_loads);
    jw_ku64(w, "polls", rp->n_polls);
    jw_ku64(w, "outside_loads", rp->n_outside);
    jw_ku64(w, "barriers", rp->n_barriers);
    jw_ku64(w, "memory_dumps", rp->n_memory);
    jw_ku64(w, "device_events", rp->n_device);
    jw_ku64(w, "other_devices", rp->n_other_devices);
    jw_ku64(w, "interrupt_status_ahead", rp->n_isr_ahead);
    jw_obj_end(w);
    jw_ku64(w, "discrepancies", rp->n_discrepancies);
    jw_key(w, "notes");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < rp->n_notes; i++) {
        jw_obj_begin(w);
        jw_ku64(w, "offset", rp->notes[i].offset);
        jw_kstr(w, "text", rp->notes[i].text);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

void replay_print(FILE *f, const struct replay *rp, bool verbose)
{
    const struct vqrec_info *in = &rp->sum.info;
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
                   "replayed (the model is the gpu only)\n",
                (unsigned long long)rp->n_other_devices);
    if (verbose && rp->n_isr_ahead)
        fprintf(f, "    %llu InterruptStatus read(s) where the model had already raised what QEMU "
                   "raised a moment later: judged by what the guest read\n",
                (unsigned long long)rp->n_isr_ahead);
    if (verbose && rp->n_memory)
        fprintf(f, "    pixels are the model's, not the guest's: framebuffer pages are not "
                   "recorded\n");
    for (uint32_t i = 0; i < rp->n_notes; i++)
        fprintf(f, "    model-vs-recording discrepancy at offset %llu: %s\n",
                (unsigned long long)rp->notes[i].offset, rp->notes[i].text);
    if (rp->n_discrepancies > rp->n_notes)
        fprintf(f, "    … %llu discrepancies in all\n", (unsigned long long)rp->n_discrepancies);
}
