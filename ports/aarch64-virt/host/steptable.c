/* steptable.c — vqsim-steptable: compiles a scenario's driver side into the step table the
 * bare-metal aarch64 port runs on real QEMU (../step_table.h), with the same strict parser as
 * `vqsim run` (src/harness/scenario*.c), or says why the scenario cannot run on real QEMU.
 *
 *   vqsim-steptable SCENARIO.yaml OUT.bin [--probe ADDR]... [--mmu | --mmu-alias] [--poweroff]
 *                   [--net FRAMES.bin]                        write the table
 *   vqsim-steptable --why SCENARIO.yaml                       print "run" or "skip: <reason>"
 *
 * --probe: a used-ring address the guest reads back after the run (the simulator's idea of
 * where the device wrote it). --mmu: the guest turns the MMU and caches on first (mmu.c);
 * --mmu-alias: the same, and the driver uses its DMA memory through a high alias (VA != PA).
 * --poweroff: the guest powers QEMU off after "VQ END" (vqsim record: QEMU exits by itself).
 * --net: a net scenario's frames, for QEMU's loader at VQST_DISK_ADDR (steptable_net.c).
 * Exit: 0 written / runnable, 3 not runnable on QEMU (the reason on stdout), 2 usage or
 * scenario error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../../src/harness/scenario.h"
#include "../step_table.h"
#include "steptable_net.h"

/* An input scenario the host can play through QMP input-send-event (tools/qemu_diff.py): key
 * events QEMU's keyboard has a qcode for (KEY_ESC..KEY_CAPSLOCK, qemu_diff.py's table) and
 * SYN_REPORTs, each input_events step ending on a SYN_REPORT (QEMU sends a batch at a time).
 * NULL when it can, or is no input scenario. */
static const char *input_why_not(const struct scenario *s)
{
    if (strcmp(s->device_type, "input"))
        return NULL;
    for (uint32_t i = 0; i < s->input_script_len; i++) {
        const struct virtio_input_event *e = &s->input_script[i];
        bool key = e->type == VIRTIO_INPUT_EV_KEY && e->code >= 1 && e->code <= 58 &&
                   e->value <= 1;
        bool syn = e->type == VIRTIO_INPUT_EV_SYN && e->code == 0 && e->value == 0;
        if (!key && !syn)
            return "device.input: an event QEMU's keyboard cannot be made to send (the port "
                   "plays key presses KEY_ESC..KEY_CAPSLOCK and SYN_REPORT)";
    }
    uint32_t played = 0;
    for (uint32_t i = 0; i < s->n_steps; i++) {
        if (s->steps[i].kind != STEP_INPUT_EVENTS)
            continue;
        uint32_t n = s->steps[i].count ? s->steps[i].count : 1;
        if (s->steps[i].repeat > 1)
            return "input_events in a repeat: the port announces one step's events at a time";
        played += n;
        if (played > s->input_script_len ||
            s->input_script[played - 1].type != VIRTIO_INPUT_EV_SYN)
            return "input_events: a step that ends inside a batch (QEMU sends a batch whole, "
                   "up to its SYN_REPORT)";
    }
    return NULL;
}

/* Why QEMU cannot run this scenario as the simulator does, or NULL. Beyond the scenario's own
 * `qemu: {skip: …}`, these follow from the setup: QEMU's device is QEMU's. */
static const char *why_not(const struct scenario *s, char *buf, size_t n)
{
    if (s->qemu_skip)
        return snprintf(buf, n, "%s", s->qemu_skip), buf;
    static const char *const driven[] = {"gpu", "blk", "rng", "input", "net", NULL}; /* guest_*.c */
    bool known = false;
    for (int i = 0; driven[i]; i++)
        known = known || !strcmp(s->device_type, driven[i]);
    if (!known)
        return "device.type: the port drives the gpu, blk, rng, input and net, not this device";
    const char *input = input_why_not(s);
    if (input)
        return input;
    const char *net = strcmp(s->device_type, "net") ? NULL : steptable_net_why(s);
    if (net)
        return net;
    struct stat st;
    if (s->disk_image && (stat(s->disk_image, &st) != 0 || (uint64_t)st.st_size > VQST_DISK_MAX))
        return "device.disk: the port's copy of the image holds 16 MiB";
    if (s->dfaults.n)
        return "device_faults: a hostile device; QEMU's device does not misbehave on request";
    if (s->pci_bugs.n)
        return "pci-* bugs: the port does not replay virtio-pci driver bugs yet";
    if (s->weak_memory)
        return "device.memory: weak; TCG shows the guest a sequentially consistent device";
    if (s->profile == 1)
        return "device.profile: strict; QEMU reacts as the qemu profile";
    if (s->magic || s->version_shown || s->device_id_set)
        return "device magic/version/device_id: values QEMU's register file never shows";
    /* QEMU properties can offer ACCESS_PLATFORM (iommu_platform=on) and RING_PACKED
     * (packed=on, the scenario's `ring: packed`) and withhold EDID (edid=off);
     * tools/qemu_diff.py sets them from the features the model offered. */
    if ((s->device_offer & ~(1ull << VIRTIO_F_ACCESS_PLATFORM | 1ull << VIRTIO_F_RING_PACKED)) ||
        (s->device_withhold & ~(1ull << VIRTIO_GPU_F_EDID)))
        return "device.offer/withhold: beyond what QEMU 7.2's properties change (iommu_platform, "
               "packed, edid)";
    if (s->config_change_after)
        return "device.config_change: QEMU raises no configuration change on request";
    if (s->n_extra_scanouts)
        return "several scanouts: the port's QEMU command line has one";
    if (s->ram_base != 0x40000000ull || s->ram_size != 256ull << 20 ||
        s->mmio_base != 0x0a003e00ull)
        return "device.ram/mmio_base: the virt machine's map is fixed";
    /* driver.ring_access: plain changes how the model watches the ring, not what the driver
     * does: it runs on QEMU as any other scenario. */
    for (uint32_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].kind == STEP_DISPLAY_CHANGE)
            return "display_change: a host-side monitor event the port cannot cause";
    /* ring_bugs.c follows where QEMU put a split ring's parts: a packed ring's descriptors
     * and event structures are not classified there. */
    for (uint32_t i = 0; i < s->faults.n; i++) {
        const struct fault *f = &s->faults.f[i];
        if (s->ring_packed && (f->kind == FAULT_REWRITE_RING_LOAD || f->kind == FAULT_RING_INIT ||
                               f->kind == FAULT_ALTER_EXPOSED_DESC ||
                               f->kind == FAULT_ALTER_HELD_DESC))
            return snprintf(buf, n, "bug %s on a packed ring: the port replays this one on split "
                            "rings only", f->label ? f->label : "?"), buf;
        /* The port follows the rings QEMU placed, not the indirect tables they name. */
        bool table = (f->field && !strncmp(f->field, "indirect.", 9)) ||
                     (f->kind == FAULT_SET_DESC_FLAGS && f->in_table) ||
                     (f->kind == FAULT_VIRT_AS_PHYS &&
                      (s->driver_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)));
        if (table)
            return snprintf(buf, n, "bug %s in an indirect table: the port replays ring-side "
                            "bugs in the rings only", f->label ? f->label : "?"), buf;
    }
    for (int u = 0; u < 4; u++)
        if (s->place[u] && (s->place[u] < 0x40100000ull || s->place[u] >= VQST_ADDR))
            return "driver.place outside the port's DMA memory";
    for (int u = 0; u < 4; u++)
        if (s->n_place_next[u])
            return "driver.place with several addresses of one kind: the port pins the first "
                   "allocation of each kind only";
    return NULL;
}

static void copy_step(struct vqst_step *d, const struct scenario_step *st)
{
    memset(d, 0, sizeof(*d));
    d->kind = (uint32_t)st->kind;
    d->id = st->id;
    d->format = st->format;
    d->width = st->width;
    d->height = st->height;
    d->scanout = st->scanout;
    d->rect_set = st->rect.set;
    d->rect_x = st->rect.x;
    d->rect_y = st->rect.y;
    d->rect_w = st->rect.width;
    d->rect_h = st->rect.height;
    d->has_offset = st->has_offset;
    d->offset = st->offset;
    if (st->pattern)
        snprintf(d->pattern, sizeof(d->pattern), "%s", st->pattern);
    d->x = st->x;
    d->y = st->y;
    d->color = st->color;
    d->hot_x = st->hot_x;
    d->hot_y = st->hot_y;
    d->entries = st->entries;
    d->has_entry = st->has_entry;
    d->entry_length = st->entry_length;
    d->entry_addr = st->entry_addr;
    d->enabled = st->enabled;
    d->has_expect_response = st->has_expect_response;
    d->expect_response = st->expect_response;
    d->repeat = st->repeat;
    if (st->kind == STEP_RESET_QUEUE) /* the queue to reset travels in `id` (step_table.h) */
        d->id = st->queue;
    if (st->kind >= STEP_BLK_READ && st->kind <= STEP_NET_RECEIVE) { /* step_table.h */
        d->offset = st->sector;
        d->entries = st->count;
        d->entry_length = st->bytes;
        d->color = st->seed;
        d->x = (st->raw ? VQST_F_RAW : 0) | (st->status_readonly ? VQST_F_STATUS_READONLY : 0) |
               (st->zeroes ? VQST_F_ZEROES : 0) | (st->unmap ? VQST_F_UNMAP : 0);
        d->y = st->readable;
        d->has_expect_response = st->has_expect_blk_status;
        d->expect_response = st->expect_blk_status;
        d->hot_x = st->has_expect_status;
        d->hot_y = (uint32_t)st->expect_status;
    }
    if (st->kind == STEP_NET_SEND) { /* step_table.h: struct vqst_net */
        d->x = st->net_raw_header ? VQST_F_RAW : 0;
        d->y = st->net_header_bytes;
        d->width = st->net_flags;
        d->height = st->net_gso_type;
        d->scanout = st->net_num_buffers;
    }
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *net = NULL;
    int why = 0, mmu = 0, poweroff = 0;
    uint64_t probe[VQST_MAX_PROBES];
    uint32_t n_probes = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--why")) {
            why = 1;
        } else if (!strcmp(argv[i], "--mmu")) {
            mmu = mmu ? mmu : 1;
        } else if (!strcmp(argv[i], "--mmu-alias")) {
            mmu = 2;
        } else if (!strcmp(argv[i], "--poweroff")) {
            poweroff = 1;
        } else if (!strcmp(argv[i], "--net") && i + 1 < argc) {
            net = argv[++i];
        } else if (!strcmp(argv[i], "--probe") && i + 1 < argc) {
            if (n_probes == VQST_MAX_PROBES) {
                fprintf(stderr, "vqsim-steptable: at most %u probes\n", VQST_MAX_PROBES);
                return 2;
            }
            char *end;
            probe[n_probes++] = strtoull(argv[++i], &end, 0);
            if (*end) {
                fprintf(stderr, "vqsim-steptable: bad address %s\n", argv[i]);
                return 2;
            }
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            in = NULL;
            break;
        }
    }
    if (!in || (!why && !out)) {
        fprintf(stderr, "usage: vqsim-steptable SCENARIO.yaml OUT.bin [--probe ADDR]... [--mmu|--mmu-alias]\n"
                        "       [--poweroff] [--net FRAMES.bin]\n"
                        "       vqsim-steptable --why SCENARIO.yaml\n");
        return 2;
    }
    static struct scenario s;
    char err[512], buf[400];
    if (scenario_load(in, &s, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    const char *reason = why_not(&s, buf, sizeof(buf));
    if (why || reason) {
        printf(reason ? "skip: %s\n" : "run\n", reason);
        scenario_free(&s);
        return reason ? 3 : 0;
    }
    static struct vqst_table t;
    memset(&t, 0, sizeof(t));
    t.magic = VQST_MAGIC;
    t.version = VQST_VERSION;
    t.n_steps = s.n_steps;
    t.n_bugs = s.faults.n;
    t.transport = s.transport_version;
    t.queue_size = s.queue_size;
    t.layout = (uint32_t)s.layout;
    t.queue_align = s.queue_align;
    t.wait = (uint32_t)s.wait;
    t.fences = s.fences;
    t.cursor = s.cursor;
    t.timeout_ns = s.timeout_ns;
    t.features = s.driver_features | (uint64_t)s.ring_packed << VIRTIO_F_RING_PACKED;
    t.mmio_base = s.mmio_base;
    t.bus = s.bus;
    t.device = !strcmp(s.device_type, "blk")   ? VQST_DEV_BLK
               : !strcmp(s.device_type, "rng")   ? VQST_DEV_RNG
               : !strcmp(s.device_type, "input") ? VQST_DEV_INPUT
               : !strcmp(s.device_type, "net")   ? VQST_DEV_NET
                                                  : VQST_DEV_GPU;
    t.n_events = s.input_script_len < VQST_MAX_EVENTS ? s.input_script_len : VQST_MAX_EVENTS;
    for (uint32_t i = 0; i < t.n_events; i++)
        t.events[i] = (struct vqst_event){s.input_script[i].type, s.input_script[i].code,
                                          s.input_script[i].value};
    t.event_buffers = (uint32_t)s.input_event_buffers;
    t.event_bytes = s.input_event_bytes;
    if (t.device == VQST_DEV_NET) { /* the receive buffers (step_table.h: struct vqst_net) */
        t.event_buffers = (uint32_t)s.net_rx_buffers;
        t.event_bytes = s.net_rx_buffer_bytes;
    }
    if (t.device == VQST_DEV_NET && net && steptable_net_write(&s, net, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        scenario_free(&s);
        return 2;
    }
    if (s.disk_image) {
        struct stat st;
        if (stat(s.disk_image, &st) == 0)
            t.disk_sectors = (uint32_t)((uint64_t)st.st_size / 512);
    }
    memcpy(t.place, s.place, sizeof(t.place));
    t.n_probes = n_probes;
    t.mmu = (uint32_t)mmu;
    t.poweroff = (uint32_t)poweroff;
    memcpy(t.probe, probe, n_probes * sizeof(probe[0]));
    for (uint32_t i = 0; i < s.n_steps && i < VQST_MAX_STEPS; i++)
        copy_step(&t.steps[i], &s.steps[i]);
    for (uint32_t i = 0; i < s.faults.n && i < VQST_MAX_BUGS; i++) {
        const struct fault *f = &s.faults.f[i];
        t.bugs[i] = (struct vqst_bug){(uint32_t)f->kind, f->reg, f->to, f->nth, f->value,
                                      f->has_after, f->after_read, f->after_reg, f->after_nth,
                                      f->queue, f->add, f->remove, f->in_table, f->field_off,
                                      f->field_size, ""};
        if (f->field)
            snprintf(t.bugs[i].field, sizeof(t.bugs[i].field), "%s", f->field);
    }
    scenario_free(&s);
    FILE *fp = fopen(out, "wb");
    if (!fp || fwrite(&t, sizeof(t), 1, fp) != 1 || fclose(fp) != 0) {
        fprintf(stderr, "vqsim-steptable: cannot write %s\n", out);
        return 2;
    }
    return 0;
}
