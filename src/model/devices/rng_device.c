/* rng_device.c — see rng_device.h. */
#include "model/devices/rng_device.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/machine.h"
#include "spec/virtio_rng.h"

struct rng_state {
    uint64_t seed;
    uint64_t pos;                   /* stream bytes given so far */
    uint16_t held[RNG_QUEUE_SIZE];  /* chains taken with no writable byte, not answered yet */
    uint32_t n_held;
    uint64_t held_at;               /* when the first of them was taken */
};

/* Word w of the stream: splitmix64 of seed + (w + 1) * the golden ratio. */
static uint64_t stream_word(uint64_t seed, uint64_t w)
{
    uint64_t x = seed + (w + 1) * 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint8_t rng_stream_byte(uint64_t seed, uint64_t pos)
{
    return (uint8_t)(stream_word(seed, pos / 8) >> (8 * (pos % 8)));
}

void rng_stream_fill(uint64_t seed, uint64_t pos, uint8_t *dst, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w = stream_word(seed, (pos + i) / 8);
        for (unsigned b = (unsigned)((pos + i) % 8); b < 8 && i < n; b++, i++)
            dst[i] = (uint8_t)(w >> (8 * b));
    }
}

static uint64_t rng_offered_features(uint32_t transport_version)
{
    return device_qemu_common_features(transport_version); /* §5.4.3: none of its own */
}

static int rng_create(const struct machine_config *cfg, void **state)
{
    struct rng_state *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->seed = cfg->rng_seed;
    *state = r;
    return 0;
}

static void rng_destroy(void *state) { free(state); }

static void rng_reset(void *state, struct machine *m)
{
    (void)m;
    ((struct rng_state *)state)->n_held = 0; /* the stream goes on: it is the host's */
}

static uint32_t rng_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)state, (void)m, (void)off;
    return 0; /* §5.4.4: no configuration */
}

static void rng_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                             const char **note)
{
    (void)state, (void)m, (void)off, (void)value;
    *note = "ignored: the entropy device has no configuration (§5.4.4)";
}

/* Fill the chain's writable bytes from the stream, straight into guest memory (as sr_write
 * copies: in order, up to the first buffer outside RAM); returns how many were written. */
static uint32_t fill(struct rng_state *r, struct machine *m, const struct sr_chain *c)
{
    uint64_t done = 0;
    for (uint32_t i = 0; i < c->nseg; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        uint8_t *d = gm_ptr(&m->mem, s->gpa, s->len);
        if (!d)
            break;
        rng_stream_fill(r->seed, r->pos + done, d, s->len);
        done += s->len;
    }
    r->pos += done;
    return (uint32_t)done;
}

static uint32_t rng_process_queue(void *state, struct machine *m, uint32_t qi)
{
    struct rng_state *r = state;
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    if (!(m->dev.status & VIRTIO_STATUS_DRIVER_OK)) /* QEMU's is_guest_ready */
        return 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        if (c->readable)
            machine_violation(m, "rng.buf.writable-only", (int)qi,
                              "request (head %u) has %llu device-readable byte(s) and %llu "
                              "writable: the driver posts device-writable buffers only "
                              "(§5.4.6.1)%s", c->head, (unsigned long long)c->readable,
                              (unsigned long long)c->writable,
                              c->writable ? "" : "; QEMU leaves it unanswered while it is alone");
        if (!c->writable) {
            if (r->n_held == 0)
                r->held_at = m->now;
            if (r->n_held < RNG_QUEUE_SIZE)
                r->held[r->n_held++] = c->head;
            continue;
        }
        for (uint32_t i = 0; i < r->n_held; i++) /* QEMU pops them first: answered with 0 */
            pushed += ring_push(&m->dev.q[qi], r->held[i], 0);
        r->n_held = 0;
        pushed += ring_push(&m->dev.q[qi], c->head, fill(r, m, c));
    }
    return pushed;
}

static bool rng_explain(const void *state, const struct machine *m, uint32_t qi,
                        struct device_silence *out)
{
    (void)m, (void)qi;
    const struct rng_state *r = state;
    if (r->n_held == 0)
        return false;
    out->cause = "request-unservable";
    out->section = "5.4.6.1";
    out->title = "Driver Requirements: Device Operation";
    out->evidence[0].key = "held_requests";
    snprintf(out->evidence[0].value, sizeof(out->evidence[0].value), "%u", r->n_held);
    out->evidence[1].key = "first_head";
    snprintf(out->evidence[1].value, sizeof(out->evidence[1].value), "%u", r->held[0]);
    out->evidence[2].key = "writable_bytes";
    snprintf(out->evidence[2].value, sizeof(out->evidence[2].value), "0");
    out->evidence[3].key = "held_since_ns";
    snprintf(out->evidence[3].value, sizeof(out->evidence[3].value), "%llu",
             (unsigned long long)r->held_at);
    out->n_evidence = 4;
    snprintf(out->message, sizeof(out->message),
             "The entropy device holds %u request(s) (the first: head %u, since t=%llu ns) "
             "with no device-writable byte: there is nowhere to put random bytes, so QEMU's "
             "virtio-rng, which sizes its request by the writable bytes available, never "
             "answers while nothing else is queued. The driver must post device-writable "
             "buffers only (§5.4.6.1): set VIRTQ_DESC_F_WRITE on them.",
             r->n_held, r->held[0], (unsigned long long)r->held_at);
    return true;
}

const struct device_ops rng_device_ops = {
    .name = "rng",
    .device_id = VIRTIO_ID_ENTROPY,
    .pci_class = 0x00ff, /* virtio-rng-pci: PCI_CLASS_OTHERS; vectors 2 */
    .pci_vectors = 2,
    .n_queues = 1,
    .queue_size = {RNG_QUEUE_SIZE},
    .config_size = 0,
    .offered_features = rng_offered_features,
    .create = rng_create,
    .destroy = rng_destroy,
    .reset = rng_reset,
    .config_read = rng_config_read,
    .config_write = rng_config_write,
    .process_queue = rng_process_queue,
    .explain = rng_explain,
};
