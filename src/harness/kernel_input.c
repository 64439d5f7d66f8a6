/* kernel_input.c — see kernel_input.h. */
#include "harness/kernel_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/virtio_input.h"
#include "harness/hal_sim.h"
#include "model/devices/input_device.h"

struct kernel_input {
    struct vinput drv;
    struct vinput_config cfg;
    const struct virtio_input_event *script;
    uint32_t script_len, played;       /* events injected so far */
};

static void *input_open(const struct scenario *sc, char *failure)
{
    (void)failure;
    struct kernel_input *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->cfg = (struct vinput_config){
        .mmio_base = (uintptr_t)sc->mmio_base, .queue_size = sc->queue_size,
        .layout = sc->layout, .legacy_align = sc->queue_align, .timeout_ns = sc->timeout_ns,
        .features = sc->driver_features, .event_buffers = sc->input_event_buffers,
        .event_bytes = sc->input_event_bytes};
    k->script = sc->input_script;
    k->script_len = sc->input_script_len;
    return k;
}

static void input_close(void *k) { free(k); }

static int input_init(void *kk, struct virtio_transport *t, struct step_result *sr,
                      char *failure)
{
    struct kernel_input *k = kk;
    k->cfg.transport = t;
    int rc = vinput_init(&k->drv, &k->cfg);
    if (rc == VIRTIO_OK)
        snprintf(sr->detail, sizeof(sr->detail), "%s version %u, input \"%.40s\" (%04x:%04x), "
                 "%u event buffer(s)", k->drv.t->ops->name, k->drv.t->version, k->drv.name,
                 k->drv.ids.vendor, k->drv.ids.product, k->drv.n_posted);
    if (rc == VIRTIO_OK && strcmp(k->drv.name, "QEMU Virtio Keyboard"))
        snprintf(failure, KERNEL_FAILURE_LEN, "the device calls itself \"%.128s\"", k->drv.name);
    return rc;
}

/* The host plays the script's next `count` events; the driver must receive exactly them. */
static int input_step(void *kk, const struct scenario_step *st, struct step_result *sr,
                      char *failure)
{
    struct kernel_input *k = kk;
    uint32_t first = k->played;
    uint32_t n = input_device_inject(hal_sim_bound(), st->count ? st->count : 1);
    k->played += n;
    int rc = VIRTIO_OK;
    uint32_t got = 0;
    for (; got < n && rc == VIRTIO_OK; got++) {
        struct virtio_input_event ev;
        if ((rc = vinput_next_event(&k->drv, &ev)) != VIRTIO_OK)
            break;
        const struct virtio_input_event *want = &k->script[first + got];
        if (!failure[0] && memcmp(&ev, want, sizeof(ev)))
            snprintf(failure, KERNEL_FAILURE_LEN, "event %u received (type %u, code %u, value "
                     "%d), the script says (type %u, code %u, value %d)", first + got, ev.type,
                     ev.code, (int32_t)ev.value, want->type, want->code, (int32_t)want->value);
    }
    snprintf(sr->detail, sizeof(sr->detail), "events %u..%u of the script played, %u received",
             first, first + n, got);
    if (n == 0)
        snprintf(failure, KERNEL_FAILURE_LEN, "the script has no event left to play");
    return rc;
}

static const struct virtq *input_queue(const void *kk, uint32_t q)
{
    const struct kernel_input *k = kk;
    return q == 0 ? &k->drv.eventq : q == 1 ? &k->drv.statusq : NULL;
}

static bool input_broken(const void *kk, int *status)
{
    const struct kernel_input *k = kk;
    *status = k->drv.broken_status;
    return k->drv.broken;
}

const struct kernel_device_ops kernel_input_ops = {
    .device = "input",
    .open = input_open,
    .init = input_init,
    .step = input_step,
    .queue = input_queue,
    .broken = input_broken,
    .close = input_close,
};
