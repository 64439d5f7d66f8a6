/* fuzz_recording.c — libFuzzer target: the recording reader (src/record/recording_reader.c) and
 * the replay (src/harness/replay*.c) on arbitrary bytes — what `vqsim check` does with a file —
 * with a mutator that cuts, reorders, duplicates and bit-flips whole events of real recordings.
 *
 * Oracle: every input is either refused with "offset N: …" or read into events whose offsets
 * increase and lie inside the input (format 2: inside the inflated recording); the stream
 * reader reads the same events at the same offsets; a read recording is then replayed against
 * the model (its first events, so one input stays fast; format 2's events as format 1) without
 * a crash, leak or UB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/harness/runner.h"
#include "../src/record/recording.h"
#include "../src/record/recording_reader.h"
#include "../src/harness/replay.h"
#include "../src/harness/scenario.h"
#include "../src/model/devices/gpu_device.h"
#include "fuzz_asan_options.h"

#define MAX_REPLAYED 2048

static void fail(const char *why, const char *err)
{
    fprintf(stderr, "fuzz_recording: %s (message: '%s')\n", why, err);
    abort();
}

/* A mutator that knows the file's framing (recording.h: a header, then events of 32 bytes plus
 * their payload padded to 8), so a real recording (the linux-*.vqrec seeds: the first 8 KB of
 * Linux guests recorded in QEMU) is cut, reordered and bit-flipped event by event, as a damaged
 * or hostile file would be, not only byte by byte: half the mutations are libFuzzer's own. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define MAX_EVENTS 4096

/* The offsets of the first events (at most MAX_EVENTS), and the end of the last whole one. */
static size_t event_offsets(const uint8_t *data, size_t size, size_t *off, size_t *end)
{
    size_t n = 0, at = sizeof(struct vqrec_header);
    if (size >= 16) {
        uint32_t hs;
        memcpy(&hs, data + 12, 4);
        if (hs >= sizeof(struct vqrec_header) && hs < size)
            at = hs;
    }
    while (n < MAX_EVENTS && at + sizeof(struct vqrec_event) <= size) {
        uint32_t len;
        memcpy(&len, data + at + 4, 4);
        size_t next = at + sizeof(struct vqrec_event) + (((size_t)len + 7) & ~(size_t)7);
        if (len > size || next > size)
            break;
        off[n++] = at;
        at = next;
    }
    *end = at;
    return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    static size_t off[MAX_EVENTS + 1];
    static uint8_t tmp[1 << 16];
    size_t end, n = event_offsets(data, size, off, &end);
    unsigned r = seed * 1103515245u + 12345u;
    if (n < 2 || (r & 1))
        return LLVMFuzzerMutate(data, size, max_size);
    off[n] = end;
    size_t i = (r >> 1) % n, j = (r >> 13) % n;
    switch ((r >> 25) % 4) {
    case 0: /* cut: the file ends after event i (a recording cut short) */
        return off[i + 1];
    case 1: { /* reorder: event i moves to where event j was */
        size_t len = off[i + 1] - off[i];
        if (i == j || len > sizeof(tmp))
            return LLVMFuzzerMutate(data, size, max_size);
        memcpy(tmp, data + off[i], len);
        if (i < j) { /* events i+1..j move down over i, event i goes after them */
            memmove(data + off[i], data + off[i + 1], off[j + 1] - off[i + 1]);
            memcpy(data + off[j + 1] - len, tmp, len);
        } else { /* events j..i-1 move up, event i goes where j began */
            memmove(data + off[j] + len, data + off[j], off[i] - off[j]);
            memcpy(data + off[j], tmp, len);
        }
        return size;
    }
    case 2: /* flip one bit of event i's 32 bytes (kind, size, flags, cpu, len, addr, value, pc) */
        data[off[i] + (r >> 7) % sizeof(struct vqrec_event)] ^= (uint8_t)(1u << ((r >> 3) % 8));
        return size;
    default: { /* duplicate event i after itself, if there is room */
        size_t len = off[i + 1] - off[i];
        if (size + len > max_size)
            return off[i + 1];
        memmove(data + off[i + 1] + len, data + off[i + 1], size - off[i + 1]);
        memcpy(data + off[i + 1], data + off[i], len);
        return size + len;
    }
    }
}

/* The stream reader (payloads read or skipped in turn) reads the events the parse read. */
static void same_stream(const uint8_t *data, size_t size, const struct vqrec_recording *rec)
{
    struct vqrec_reader rd;
    struct vqrec_item it;
    char err[512] = "";
    if (vqrec_reader_open_buffer(&rd, data, size, err, sizeof(err)) != VQREC_OK)
        fail("the stream refused what the parse read", err);
    size_t n = 0;
    int rc;
    while ((rc = vqrec_reader_next(&rd, &it, n % 2 == 0, err, sizeof(err))) == 1) {
        if (n >= rec->n_items || it.offset != rec->items[n].offset ||
            memcmp(&it.ev, &rec->items[n].ev, sizeof(it.ev)) != 0 ||
            (it.payload && memcmp(it.payload, rec->items[n].payload, it.ev.len) != 0))
            fail("the stream read another event than the parse", "");
        n++;
    }
    if (rc != 0 || n != rec->n_items)
        fail("the stream ended elsewhere than the parse", err);
    vqrec_reader_close(&rd);
}

/* The replay's run, with the gpu's host-memory budget (QEMU's max_hostmem) at 1 MiB instead of
 * 256 MiB: a Linux guest's 1280x800 framebuffer (4 MB) is then refused as QEMU refuses a
 * resource beyond its budget, instead of being created and filled from guest RAM page by page,
 * which was most of an input's time. What this target aims at (the reader, the replay) runs the
 * same events either way; the gpu's transfers are fuzz_device_model's (with a 128 KiB budget). */
static struct run_external inner;

static enum step_status run_small_budget(void *ctx, struct run_result *r, struct step_result *sr,
                                         uint32_t *queue)
{
    if (gpu_of(&r->m))
        gpu_of(&r->m)->max_hostmem = 1u << 20;
    return inner.run(ctx, r, sr, queue);
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
    size_t total = rec.inflated ? rec.inflated_len : size;
    for (size_t i = 0; i < rec.n_items; i++) {
        const struct vqrec_item *it = &rec.items[i];
        if (it->offset + sizeof(struct vqrec_event) + it->ev.len > total ||
            (i && it->offset <= rec.items[i - 1].offset))
            fail("an event outside the input or out of order", "");
    }
    same_stream(data, size, &rec);
    /* Format 2: the replay reads its events plain (they were inflated above). */
    uint8_t *plain = NULL;
    if (rec.inflated) {
        plain = malloc(total);
        if (!plain)
            fail("out of memory", "");
        memcpy(plain, rec.inflated, total);
        uint16_t major = VQREC_VERSION_MAJOR_PLAIN;
        memcpy(plain + 8, &major, 2);
        data = plain;
    }
    /* the replay streams the same bytes: its first MAX_REPLAYED events */
    size_t len = rec.n_items > MAX_REPLAYED ? (size_t)rec.items[MAX_REPLAYED].offset : total;
    /* kept between inputs, not allocated per input (a run_result is ~190 KB: under ASan a
     * mapping of its own each time); replay_init and the runner set every field they use */
    static struct replay replay;
    static struct run_result result;
    struct replay *rp = &replay;
    struct run_result *r = &result;
    memset(rp, 0, sizeof(*rp));
    struct vqrec_reader rd;
    static struct scenario defaults; /* parsed once: the same for every input */
    struct scenario sc;
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
        if (!defaults.name && scenario_parse_buffer("(defaults)", small, sizeof(small) - 1,
                                                    &defaults, err, sizeof(err)) != 0)
            fail("the defaults do not parse", err);
        if (replay_scenario(rp, &defaults, &defaults, "fuzz", "fuzz.vqrec", &sc, err,
                            sizeof(err)) == 0) {
            struct run_external x = replay_driver(rp);
            x.judge = false;
            inner = x;
            x.run = run_small_budget;
            if (run_scenario_external(&sc, NULL, r, &x) == 0 && !r->res.outcome)
                fail("no outcome", "");
            run_result_free(r);
        }
        vqrec_reader_close(&rd);
    }
    free(plain);
    vqrec_free(&rec);
    return 0;
}
