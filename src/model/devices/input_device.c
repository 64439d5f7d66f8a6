/* input_device.c — see input_device.h. */
#include "model/devices/input_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/machine.h"
#include "model/transport/mmio_device.h"

static const char keyboard_name[] = "QEMU Virtio Keyboard";

/* The EV_KEY bitmap QEMU 7.2's keyboard answers: virtio_input_key_config sets the bit of every
 * Linux key code in qemu_input_map_qcode_to_linux (KEY_ESC .. KEY_UNKNOWN's neighbours: 29
 * bytes). Taken from Debian's QEMU 7.2 as Linux 6.1 read it back (tests/test_linux.py replays
 * that recording: any byte the model answered otherwise would be a discrepancy). */
static const uint8_t qemu_keymap[29] = {
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcf, 0x7b, 0xff, 0xff, 0xbe,
    0xfe, 0xff, 0xdf, 0x00, 0xf8, 0x78, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04};
#define LED_BITS 0x07u /* EV_LED: NUML, CAPSL, SCROLLL (virtio_keyboard_config) */

struct input_state {
    struct virtio_input_event script[INPUT_MAX_SCRIPT];
    uint32_t script_len, next;          /* the script, and its next event to inject */
    struct virtio_input_event batch[INPUT_MAX_SCRIPT];
    uint32_t batch_len;                 /* queued until a SYN_REPORT (virtio_input_send) */
    uint8_t select, subsel;
    uint8_t key_bits[128];              /* EV_KEY: QEMU's keymap and the script's codes */
    struct {                            /* batches dropped for want of buffers (explain) */
        uint32_t batches, events;
        uint64_t first_at;
        uint32_t available, needed;     /* at the first drop */
    } dropped;
};

static uint64_t input_offered_features(uint32_t transport_version)
{
    return device_qemu_common_features(transport_version); /* §5.8.3: none of its own */
}

static int input_create(const struct machine_config *cfg, void **state)
{
    struct input_state *s = calloc(1, sizeof(*s));
    if (!s || cfg->input_script_len > INPUT_MAX_SCRIPT) {
        free(s);
        return -1;
    }
    s->script_len = cfg->input_script_len;
    if (s->script_len)
        memcpy(s->script, cfg->input_script, s->script_len * sizeof(s->script[0]));
    memcpy(s->key_bits, qemu_keymap, sizeof(qemu_keymap));
    for (uint32_t i = 0; i < s->script_len; i++)
        if (s->script[i].type == VIRTIO_INPUT_EV_KEY && s->script[i].code < 1024)
            s->key_bits[s->script[i].code / 8] |= (uint8_t)(1u << s->script[i].code % 8);
    *state = s;
    return 0;
}

static void input_destroy(void *state) { free(state); }

static void input_reset(void *state, struct machine *m)
{
    (void)m;
    struct input_state *s = state;
    s->batch_len = 0;
    s->select = s->subsel = 0;
}

/* The config QEMU's keyboard answers for the current select / subsel (virtio_input_get_config):
 * an entry, or zeros with size 0 (§5.8.5.2). */
static void config_now(const struct input_state *s, struct virtio_input_config *c)
{
    memset(c, 0, sizeof(*c));
    c->select = s->select;
    c->subsel = s->subsel;
    if (s->select == VIRTIO_INPUT_CFG_ID_NAME && s->subsel == 0) {
        c->size = sizeof(keyboard_name); /* QEMU: sizeof, the NUL included */
        memcpy(c->u.string, keyboard_name, sizeof(keyboard_name));
    } else if (s->select == VIRTIO_INPUT_CFG_ID_DEVIDS && s->subsel == 0) {
        c->size = sizeof(c->u.ids);
        c->u.ids = (struct virtio_input_devids){0x06 /* BUS_VIRTUAL */, 0x0627, 0x0001, 0x0001};
    } else if (s->select == VIRTIO_INPUT_CFG_EV_BITS && s->subsel == VIRTIO_INPUT_EV_KEY) {
        uint8_t size = 0;
        for (uint8_t i = 0; i < sizeof(s->key_bits); i++)
            if (s->key_bits[i])
                size = (uint8_t)(i + 1);
        c->size = size;
        memcpy(c->u.bitmap, s->key_bits, size);
    } else if (s->select == VIRTIO_INPUT_CFG_EV_BITS && s->subsel == VIRTIO_INPUT_EV_REP) {
        c->size = 1; /* QEMU: autorepeat offered, an empty bitmap */
    } else if (s->select == VIRTIO_INPUT_CFG_EV_BITS && s->subsel == VIRTIO_INPUT_EV_LED) {
        c->size = 1;
        c->u.bitmap[0] = LED_BITS;
    }
}

static uint32_t input_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)m;
    struct virtio_input_config c;
    config_now(state, &c);
    uint32_t v = 0;
    if (off + 4 <= sizeof(c))
        memcpy(&v, (const uint8_t *)&c + off, 4);
    return v;
}

/* §5.8.2's fields: select, subsel, size and the reserved bytes are 8-bit; the union is what
 * select names: abs info of 32-bit words, device ids of 16-bit ones, else bytes (a string, a
 * bitmap). */
static uint32_t input_config_field(const void *state, uint32_t off, uint32_t *start)
{
    const struct input_state *s = state;
    uint32_t u = offsetof(struct virtio_input_config, u), w = 1;
    if (off >= sizeof(struct virtio_input_config))
        return 0;
    if (off >= u && s->select == VIRTIO_INPUT_CFG_ABS_INFO)
        w = 4;
    else if (off >= u && s->select == VIRTIO_INPUT_CFG_ID_DEVIDS)
        w = 2;
    *start = off < u ? off : u + (off - u) / w * w;
    return w;
}

/* QEMU's virtio_input_set_config: select and subsel taken, and a configuration change. */
static void input_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                               const char **note)
{
    struct input_state *s = state;
    if (off != 0) {
        *note = "ignored: only select and subsel are writable (§5.8.5.1)";
        return;
    }
    s->select = (uint8_t)value;
    s->subsel = (uint8_t)(value >> 8);
    mmio_device_notify_config(m);
}

/* One eventq buffer taken and given `ev`: judged (§5.8.6.1) and pushed; 0 when none is
 * available. */
static uint32_t fill_one(struct machine *m, const struct virtio_input_event *ev)
{
    struct dev_queue *q = &m->dev.q[VIRTIO_INPUT_QUEUE_EVENT];
    struct sr_chain *c = &m->chain;
    if (ring_pop(q, c) != RING_OK)
        return 0;
    if (c->readable || c->writable < sizeof(*ev))
        machine_violation(m, "input.eventq.buffer", VIRTIO_INPUT_QUEUE_EVENT,
                          "eventq buffer (head %u) has %llu device-writable and %llu "
                          "readable byte(s): it must be device-writable and hold an 8-byte "
                          "event (§5.8.6.1); QEMU writes what fits", c->head,
                          (unsigned long long)c->writable, (unsigned long long)c->readable);
    size_t n = sr_write(m, c, ev, sizeof(*ev));
    return ring_push(q, c->head, (uint32_t)n);
}

/* The batch to the eventq, one event per buffer, if it fits (virtio_input_send). */
static uint32_t deliver(struct input_state *s, struct machine *m)
{
    struct dev_queue *q = &m->dev.q[VIRTIO_INPUT_QUEUE_EVENT];
    uint32_t have = ring_avail_chains(q, s->batch_len), pushed = 0;
    if (have < s->batch_len) { /* QEMU: "queue full": the whole batch is dropped */
        if (!s->dropped.batches++) {
            s->dropped.first_at = m->now;
            s->dropped.available = have;
            s->dropped.needed = s->batch_len;
        }
        s->dropped.events += s->batch_len;
        machine_trace(m, TR_DEVICE, 0, s->batch_len, 0, "input batch dropped: eventq full");
        s->batch_len = 0;
        return 0;
    }
    for (uint32_t i = 0; i < s->batch_len; i++) {
        uint32_t one = fill_one(m, &s->batch[i]);
        if (!one)
            break;
        pushed += one;
    }
    s->batch_len = 0;
    return pushed;
}

uint32_t input_device_inject(struct machine *m, uint32_t n)
{
    if (m->device.ops != &input_device_ops)
        return 0;
    struct input_state *s = m->device.state;
    uint32_t done = 0, pushed = 0;
    bool active = m->dev.status & VIRTIO_STATUS_DRIVER_OK; /* QEMU's vinput->active */
    for (; done < n && s->next < s->script_len; done++) {
        const struct virtio_input_event *e = &s->script[s->next++];
        if (!active)
            continue; /* QEMU drops what comes before DRIVER_OK */
        s->batch[s->batch_len++] = *e;
        if (e->type == VIRTIO_INPUT_EV_SYN && e->code == VIRTIO_INPUT_SYN_REPORT)
            pushed += deliver(s, m);
    }
    if (pushed)
        mmio_device_raise_used_irq(m, VIRTIO_INPUT_QUEUE_EVENT);
    return done;
}

/* A recording shows QEMU's keyboard filled n eventq buffers: the script's next events when the
 * run has one (a simulator's recording, checked with its scenario), else events whose content
 * the recording does not hold (zeros, an EV_SYN): the buffers are judged all the same. */
static uint32_t input_host_fill(void *state, struct machine *m, uint32_t qi, uint32_t n)
{
    struct input_state *s = state;
    uint32_t pushed = 0;
    if (qi != VIRTIO_INPUT_QUEUE_EVENT)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        struct virtio_input_event ev = {0};
        if (s->next < s->script_len)
            ev = s->script[s->next++];
        uint32_t one = fill_one(m, &ev);
        if (!one)
            break;
        pushed += one;
    }
    if (pushed)
        mmio_device_raise_used_irq(m, VIRTIO_INPUT_QUEUE_EVENT);
    return pushed;
}

/* statusq: LED and other status events from the driver (QEMU handle_sts: read, pushed with the
 * bytes read). The eventq's notify does nothing (events go out when they happen). */
static uint32_t input_process_queue(void *state, struct machine *m, uint32_t qi)
{
    (void)state;
    if (qi != VIRTIO_INPUT_QUEUE_STATUS)
        return 0;
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    while (ring_pop(&m->dev.q[qi], c) == RING_OK) {
        struct virtio_input_event ev = {0};
        /* (a short one breaks input.statusq.buffer-size: not checked yet, spec/rules.yaml) */
        size_t n = sr_read(m, c, 0, &ev, sizeof(ev));
        pushed += ring_push(&m->dev.q[qi], c->head, (uint32_t)n);
    }
    return pushed;
}

static bool input_explain(const void *state, const struct machine *m, uint32_t qi,
                          struct device_silence *out)
{
    (void)m;
    const struct input_state *s = state;
    if (qi != VIRTIO_INPUT_QUEUE_EVENT || !s->dropped.batches)
        return false;
    out->cause = "no-buffers-posted";
    out->section = "5.8.6.1";
    out->title = "Driver Requirements: Device Operation";
    static const char *const keys[] = {"events_dropped", "batches_dropped", "buffers_available",
                                       "buffers_needed", "first_drop_ns"};
    const uint64_t vals[] = {s->dropped.events, s->dropped.batches, s->dropped.available,
                             s->dropped.needed, s->dropped.first_at};
    for (int i = 0; i < 5; i++) {
        out->evidence[i].key = keys[i];
        snprintf(out->evidence[i].value, sizeof(out->evidence[i].value), "%llu",
                 (unsigned long long)vals[i]);
    }
    out->n_evidence = 5;
    snprintf(out->message, sizeof(out->message),
             "The input device had %u event(s) to deliver (%u batch(es) ending in SYN_REPORT) "
             "and the eventq had %u buffer(s) available when the first batch of %u came at "
             "t=%llu ns: QEMU's virtio-input drops a whole batch it cannot place, so the driver "
             "waits for events that were thrown away. A driver keeps the eventq populated with "
             "device-writable 8-byte buffers (§5.8.6.1), from before DRIVER_OK's first event.",
             s->dropped.events, s->dropped.batches, s->dropped.available, s->dropped.needed,
             (unsigned long long)s->dropped.first_at);
    return true;
}

const struct device_ops input_device_ops = {
    .name = "input",
    .device_id = VIRTIO_ID_INPUT,
    .pci_class = 0x0980, /* virtio-keyboard-pci: input, other; vectors 2 */
    .pci_vectors = 2,
    .n_queues = 2,
    .queue_size = {INPUT_QUEUE_SIZE, INPUT_QUEUE_SIZE},
    .standing_queues = 1u << VIRTIO_INPUT_QUEUE_EVENT, /* events come when the host has some */
    .config_size = sizeof(struct virtio_input_config),
    .offered_features = input_offered_features,
    .create = input_create,
    .destroy = input_destroy,
    .reset = input_reset,
    .config_read = input_config_read,
    .config_write = input_config_write,
    .config_field = input_config_field,
    .host_fill = input_host_fill,
    .process_queue = input_process_queue,
    .explain = input_explain,
};
