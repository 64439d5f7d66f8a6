/* fuzz_recording.c — libFuzzer target: the recording reader (src/record/recording_reader.c) and
 * the replay (src/harness/replay*.c) on arbitrary bytes — what `vqsim check` does with a file.
 *
 * Oracle: every input is either refused with "offset N: …" or read into events whose offsets
 * increase and lie inside the input; a read recording is then replayed against the model (its
 * first events, so one input stays fast) without a crash, leak or UB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/harness/runner.h"
#include "../src/record/recording_reader.h"
#include "../src/harness/replay.h"
#include "../src/harness/scenario.h"

#define MAX_REPLAYED 2048

static void fail(const char *why, const char *err)
{
    fprintf(stderr, "fuzz_recording: %s (message: '%s')\n", why, err);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vqrec_recording rec;
    char err[512] = "";
    int rc = vqrec_parse(data, size, &rec, err, sizeof(err));
    if (rc != VQREC_OK) {
        if (rc != VQREC_E_INVALID || strncmp(err, "offset ", 7) != 0)
            fail("refused without an offset", err);
        vqrec_free(&rec);
        return 0;
    }
    for (size_t i = 0; i < rec.n_items; i++) {
        const struct vqrec_item *it = &rec.items[i];
        if (it->offset + sizeof(struct vqrec_event) + it->ev.len > size ||
            (i && it->offset <= rec.items[i - 1].offset))
            fail("an event outside the input or out of order", "");
    }
    /* the replay streams the same bytes: its first MAX_REPLAYED events */
    size_t len = rec.n_items > MAX_REPLAYED ? (size_t)rec.items[MAX_REPLAYED].offset : size;
    struct replay *rp = calloc(1, sizeof(*rp));
    struct run_result *r = calloc(1, sizeof(*r));
    struct vqrec_reader rd;
    struct scenario defaults, sc;
    memset(&defaults, 0, sizeof(defaults));
    if (rp && r && vqrec_reader_open_buffer(&rd, data, len, err, sizeof(err)) == VQREC_OK) {
        if (replay_init(rp, &rd, err, sizeof(err)) != VQREC_OK)
            fail("the stream refused what the parse read", err);
        /* vqsim check's defaults (replay_scenario's own, which it uses when given itself as the
         * base), but a 64x48 display: the results hash and compose the whole picture of every
         * run, which at QEMU's 1280x800 was most of the time of one input (the guest's own
         * resources keep the sizes the recording gives them). */
        static const char small[] = "name: recording\ndevice: {transport: modern, display: "
                                    "{width: 64, height: 48}}\nsteps: [get_display_info]\n"
                                    "expect: {outcome: ok}\n";
        if (scenario_parse_buffer("(defaults)", small, sizeof(small) - 1, &defaults, err,
                                  sizeof(err)) != 0)
            fail("the defaults do not parse", err);
        if (replay_scenario(rp, &defaults, &defaults, "fuzz", "fuzz.vqrec", &sc, err,
                            sizeof(err)) == 0) {
            struct run_external x = replay_driver(rp);
            x.judge = false;
            if (run_scenario_external(&sc, NULL, r, &x) == 0 && !r->res.outcome)
                fail("no outcome", "");
            run_result_free(r);
        }
        if (defaults.name)
            scenario_free(&defaults);
        vqrec_reader_close(&rd);
    }
    free(r);
    free(rp);
    vqrec_free(&rec);
    return 0;
}
