/* guest_runner.c — the harness on real QEMU: runs the scenario's steps (from the step table the
 * host compiled, step_table.h) through the unchanged driver, as src/harness/runner.c does on the
 * model, and prints one machine-readable line per step on the UART:
 *
 *   VQ init status=ok rc=0 version=2
 *   VQ step=1 status=timeout rc=-5 err=timeout resp=0x0 used_len=0 fence=0
 *   VQ step=1 status=ok rc=0 resp=0x1101 used_len=408 fence=1
 *   VQ probe addr=0x40101000 idx=1 id0=0 len0=408
 *   VQ outcome=ok bugs_fired=0 irq_rises=0
 *   VQ END
 *
 * Status names and the outcome rule (the strongest symptom the driver saw) are the simulator's;
 * "violation" never appears here: only the model can see a rule broken.
 */
#include "../../src/harness/scenario.h"
#include "../../src/harness/patterns.h"
#include "../../src/driver/gpu_fb.h"
#include "../../src/driver/virtio_gpu.h"
#include "../../src/driver/virtio_hal.h"
#include "../../src/driver/virtio_pci.h"
#include "guest_devices.h"
#include "platform.h"

enum { ST_OK, ST_TIMEOUT, ST_DEVICE_ERROR, ST_DRIVER_ERROR, ST_SKIPPED };
static const char *const status_names[] = {"ok", "timeout", "device-error", "driver-error",
                                           "skipped"};

struct fb {
    uint32_t id, format, width, height;
    uint8_t *mem;
    uint64_t phys;
};

#define MAX_FB 8
static struct fb fbs[MAX_FB];
static uint32_t n_fb;
static uint32_t mode_w = 1280, mode_h = 800; /* QEMU 7.2's default, as the simulator's harness */
static struct vgpu gpu;
static struct vpci pci; /* the transport on `transport: pci` */
static struct gpu_fb sfb[VIRTIO_GPU_MAX_SCANOUTS];
static struct virtio_gpu_mem_entry ents[254];

static struct fb *find_fb(uint32_t id)
{
    for (uint32_t i = 0; i < n_fb; i++)
        if (fbs[i].id == id)
            return &fbs[i];
    return (void *)0;
}

static struct virtio_gpu_rect full_rect(const struct vqst_step *st)
{
    struct virtio_gpu_rect r = {0, 0, mode_w, mode_h};
    struct fb *f = find_fb(st->id);
    if (f) {
        r.width = f->width;
        r.height = f->height;
    }
    if (st->rect_set) {
        r.x = st->rect_x;
        r.y = st->rect_y;
        r.width = st->rect_w;
        r.height = st->rect_h;
    }
    return r;
}

/* As runner.c's put_pixel: the colour in the resource's byte order, byte stores (Device memory
 * with the MMU off: no unaligned or merged accesses). */
static void put_pixel(struct fb *f, uint32_t x, uint32_t y, uint32_t rgb)
{
    volatile uint8_t *p = f->mem + ((uint64_t)y * f->width + x) * 4;
    uint8_t px[4] = {0xff, 0xff, 0xff, 0xff};
    int ri, gi, bi;
    switch (f->format) {
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM: ri = 1, gi = 2, bi = 3; break;
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: ri = 0, gi = 1, bi = 2; break;
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM: ri = 3, gi = 2, bi = 1; break;
    default: ri = 2, gi = 1, bi = 0; break;
    }
    px[ri] = (uint8_t)(rgb >> 16);
    px[gi] = (uint8_t)(rgb >> 8);
    px[bi] = (uint8_t)rgb;
    for (int k = 0; k < 4; k++)
        p[k] = px[k];
}

static struct vgpu_config gc; /* the driver's configuration (an `init` step probes again) */

static int do_step(const struct vqst_step *st)
{
    struct vgpu *g = &gpu;
    switch ((enum step_kind)st->kind) {
    case STEP_BLK_READ: /* devices other than the gpu: not on the port (steptable skips them) */
    case STEP_BLK_WRITE:
    case STEP_BLK_FLUSH:
    case STEP_BLK_DISCARD:
    case STEP_RNG_READ:
    case STEP_INPUT_EVENTS:
    case STEP_RESOURCE_CREATE_BLOB: /* VirtIO 1.2's gpu commands: QEMU 7.2 has blob only with */
    case STEP_SET_SCANOUT_BLOB:     /* udmabuf, no UUID; not on the port */
    case STEP_ASSIGN_UUID:
    case STEP_GPU_COMMAND:
    case STEP_NET_SEND:
    case STEP_NET_RECEIVE:
    case STEP_NET_CTRL: return VIRTIO_ERR_INVALID;
    case STEP_GET_DISPLAY_INFO: {
        static struct virtio_gpu_resp_display_info info;
        int rc = vgpu_get_display_info(g, &info);
        if (rc == VIRTIO_OK && info.pmodes[0].enabled && info.pmodes[0].r.width &&
            info.pmodes[0].r.height) {
            mode_w = info.pmodes[0].r.width;
            mode_h = info.pmodes[0].r.height;
        }
        return rc;
    }
    case STEP_RESOURCE_CREATE_2D: {
        uint32_t w = st->width ? st->width : mode_w, h = st->height ? st->height : mode_h;
        int rc = vgpu_resource_create_2d(g, st->id, st->format, w, h);
        if (rc == VIRTIO_OK && n_fb < MAX_FB && !find_fb(st->id))
            fbs[n_fb++] = (struct fb){st->id, st->format, w, h, (void *)0, 0};
        return rc;
    }
    case STEP_ATTACH_BACKING: {
        struct fb *f = find_fb(st->id);
        if (!f && n_fb < MAX_FB) {
            f = &fbs[n_fb++];
            *f = (struct fb){st->id, st->format, mode_w, mode_h, (void *)0, 0};
        }
        if (!f)
            return VIRTIO_ERR_INVALID;
        uint64_t bytes = (uint64_t)f->width * f->height * 4;
        if (st->has_entry) {
            struct virtio_gpu_mem_entry one = {st->entry_addr, st->entry_length, 0};
            return vgpu_attach_backing(g, st->id, &one, 1);
        }
        if (!f->mem)
            f->mem = vhal_dma_alloc(bytes, 4096, VHAL_DMA_FRAMEBUFFER, &f->phys);
        if (!f->mem)
            return VIRTIO_ERR_NOMEM;
        uint32_t n = st->entries ? st->entries : 1;
        uint64_t piece = ((bytes + n - 1) / n + 3) & ~3ull, off = 0;
        uint32_t k = 0;
        for (; k < n && off < bytes; k++, off += piece) {
            ents[k].addr = f->phys + off;
            ents[k].length = (uint32_t)(k + 1 == n || bytes - off < piece ? bytes - off : piece);
            ents[k].padding = 0;
            if (k + 1 == n)
                off = bytes;
        }
        return vgpu_attach_backing(g, st->id, ents, k);
    }
    case STEP_SET_SCANOUT:
        return vgpu_set_scanout(g, st->scanout, st->id, full_rect(st));
    case STEP_DRAW:
    case STEP_POKE_PIXEL: {
        struct fb *f = find_fb(st->id);
        if (!f || !f->mem)
            return VIRTIO_ERR_INVALID;
        if (st->kind == STEP_POKE_PIXEL) {
            if (st->x >= f->width || st->y >= f->height)
                return VIRTIO_ERR_INVALID;
            put_pixel(f, st->x, st->y, st->color);
            return VIRTIO_OK;
        }
        for (uint32_t y = 0; y < f->height; y++)
            for (uint32_t x = 0; x < f->width; x++)
                put_pixel(f, x, y, pattern_pixel(st->pattern, x, y, f->width, f->height));
        return VIRTIO_OK;
    }
    case STEP_TRANSFER_TO_HOST_2D: {
        struct virtio_gpu_rect r = full_rect(st);
        struct fb *f = find_fb(st->id);
        uint64_t off = st->has_offset ? st->offset
                                      : ((uint64_t)r.y * (f ? f->width : mode_w) + r.x) * 4;
        return vgpu_transfer_to_host_2d(g, st->id, r, off);
    }
    case STEP_RESOURCE_FLUSH:
        return vgpu_resource_flush(g, st->id, full_rect(st));
    case STEP_RESOURCE_UNREF:
        return vgpu_resource_unref(g, st->id);
    case STEP_DETACH_BACKING:
        return vgpu_detach_backing(g, st->id);
    case STEP_GET_EDID: {
        static uint8_t edid[1024];
        uint32_t size = 0;
        return vgpu_get_edid(g, st->scanout, edid, sizeof(edid), &size);
    }
    case STEP_UPDATE_CURSOR:
        return vgpu_update_cursor(g, st->scanout, st->id, st->x, st->y, st->hot_x, st->hot_y);
    case STEP_MOVE_CURSOR:
        return vgpu_move_cursor(g, st->scanout, st->x, st->y);
    case STEP_HANDLE_CONFIG_EVENT: {
        uint32_t ev = 0;
        return vgpu_handle_config_event(g, &ev);
    }
    case STEP_FB_SET_MODE: {
        uint32_t w = st->width, h = st->height;
        if (!w || !h) {
            static struct virtio_gpu_resp_display_info info;
            int rc = vgpu_get_display_info(g, &info);
            if (rc != VIRTIO_OK)
                return rc;
            w = w ? w : info.pmodes[st->scanout].r.width;
            h = h ? h : info.pmodes[st->scanout].r.height;
        }
        return gpu_fb_set_mode(&sfb[st->scanout], g, st->scanout, st->id, w, h);
    }
    case STEP_FB_DRAW: {
        struct gpu_fb *f = &sfb[st->scanout];
        for (uint32_t y = 0; y < f->height; y++)
            for (uint32_t x = 0; x < f->width; x++)
                gpu_fb_put_pixel(f, x, y, pattern_pixel(st->pattern, x, y, f->width, f->height));
        return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
    }
    case STEP_FB_FILL: {
        struct gpu_fb *f = &sfb[st->scanout];
        gpu_fb_fill_rect(f, st->rect_x, st->rect_y, st->rect_w, st->rect_h, st->color);
        return f->mem ? VIRTIO_OK : VIRTIO_ERR_INVALID;
    }
    case STEP_FB_PRESENT:
        return gpu_fb_present(&sfb[st->scanout]);
    case STEP_RESET:
        return vgpu_reset(g);
    case STEP_INIT:
        return vgpu_init(g, &gc);
    case STEP_RESET_QUEUE: /* VirtIO 1.2 RING_RESET: the queue travels in `id` (step_table.h) */
        return vgpu_reset_queue(g, &gc, st->id);
    case STEP_FB_DISABLE:
        return gpu_fb_disable(&sfb[st->scanout]);
    case STEP_DISPLAY_CHANGE: /* a host event: the host tool refuses such scenarios */
        break;
    }
    return VIRTIO_ERR_INVALID;
}

static int classify(int rc)
{
    if (rc == VIRTIO_OK)
        return ST_OK;
    if (vgpu_is_no_answer(rc)) /* as vqsim's runner: NEEDS_RESET / self-reset at the deadline */
        return ST_TIMEOUT;
    return vgpu_is_device_error(rc) ? ST_DEVICE_ERROR : ST_DRIVER_ERROR;
}

static void print_result(int rc, int status)
{
    uart_puts(" status=");
    uart_puts(status_names[status]);
    uart_puts(" rc=");
    uart_put_dec(rc);
    if (rc != VIRTIO_OK) { /* the driver's own name for it, as vqsim's step detail ends */
        uart_puts(" err=");
        uart_puts(vgpu_status_name(rc));
    }
}

/* After the run: where the used rings the host asked about stand (idx and the first element).
 * The host passes the simulator's idea of where the device writes each used ring, so a wrong
 * model shows as a mismatch here even when the driver saw nothing. */
static void probes(const struct vqst_table *t)
{
    for (uint32_t i = 0; i < t->n_probes && i < VQST_MAX_PROBES; i++) {
        uint64_t a = t->probe[i];
        if (a < VIRT_RAM_BASE || a + 16 > VQST_ADDR || (a & 1))
            continue;
        volatile uint16_t *u = (volatile uint16_t *)(uintptr_t)a;
        volatile uint32_t *e = (volatile uint32_t *)(uintptr_t)(a + 4);
        uart_puts("VQ probe addr=");
        uart_put_hex(a);
        uart_puts(" idx=");
        uart_put_dec(u[1]);
        if (!(a & 3)) {
            uart_puts(" id0=");
            uart_put_dec(e[0]);
            uart_puts(" len0=");
            uart_put_dec(e[1]);
        }
        uart_putc('\n');
    }
}

/* The last step returned the driver status it expected (expect_status): the run goes on, the
 * outcome still counts it (runner.c). */
static int step_expected;

/* A blk or rng step (guest_devices.c): its line's fields after the status. */
static int device_step(const struct vqst_step *st, uint32_t device)
{
    struct gdev_result r = {0, 0xff, 0};
    int rc = gdev_step(st, &r);
    for (uint32_t k = 1; k < st->repeat && rc == VIRTIO_OK; k++)
        rc = gdev_step(st, &r);
    int status = classify(rc);
    step_expected = st->hot_x && rc == (int)st->hot_y; /* step_table.h */
    print_result(rc, status);
    uart_puts(" resp=0x0 used_len=");
    uart_put_dec(r.used_len);
    uart_puts(" fence=0");
    if (device == VQST_DEV_BLK) {
        uart_puts(" blk=");
        uart_put_dec(r.blk_status);
    }
    if (device == VQST_DEV_NET) {
        uart_puts(" rx=");
        uart_put_dec(r.net_rx);
    }
    uart_puts(" content=");
    uart_puts(gdev_content());
    uart_putc('\n');
    return status;
}

/* A gpu step: its line's fields after the status. */
static int gpu_step(const struct vqst_step *st)
{
    gpu.last_resp_type = 0;
    gpu.last_used_len = 0;
    gpu.last_fence_id = 0;
    int rc = do_step(st);
    for (uint32_t k = 1; k < st->repeat && rc == VIRTIO_OK; k++)
        rc = do_step(st);
    int device_event = st->kind == STEP_DRAW || st->kind == STEP_POKE_PIXEL ||
                       st->kind == STEP_FB_DRAW || st->kind == STEP_FB_FILL;
    uint32_t resp = device_event ? 0 : gpu.last_resp_type;
    int status = classify(rc);
    if (st->has_expect_response && resp == st->expect_response &&
        status == ST_DEVICE_ERROR && vgpu_status_from_response(resp, 0) == rc)
        status = ST_OK; /* the expected error response: the step did its job */
    print_result(rc, status);
    uart_puts(" resp=");
    uart_put_hex(resp);
    uart_puts(" used_len=");
    uart_put_dec(device_event ? 0 : gpu.last_used_len);
    uart_puts(" fence=");
    uart_put_dec((int64_t)(device_event ? 0 : gpu.last_fence_id));
    uart_putc('\n');
    return status;
}

/* The driver's init on the table's bus: the gpu's, or the other device's (guest_devices.c). */
static int init_device(const struct vqst_table *t, uint32_t *version)
{
    int rc = VIRTIO_OK;
    if (t->bus == 1) { /* find 00:01.0 behind the ECAM, assign its BARs, hand the driver it */
        const struct vpci_window win = {VIRT_PCIE_MMIO, VIRT_PCIE_MMIO_SIZE};
        rc = vpci_probe(&pci, 0x08, &win, t->timeout_ns);
        gc.transport = rc == VIRTIO_OK ? &pci.t : 0;
        uart_puts(rc == VIRTIO_OK ? "VQ pci=00:01.0\n" : "VQ pci=none\n");
    }
    if (t->device != VQST_DEV_GPU)
        return rc == VIRTIO_OK ? gdev_init(t, gc.transport, version) : rc;
    if (rc == VIRTIO_OK)
        rc = vgpu_init(&gpu, &gc);
    *version = gpu.t ? gpu.t->version : 0;
    return rc;
}

void vq_main(void);
void vq_main(void)
{
    const struct vqst_table *t = (const struct vqst_table *)(uintptr_t)VQST_ADDR;
    uart_puts("\nVQ boot\n");
    if (t->magic != VQST_MAGIC || t->version != VQST_VERSION || t->n_steps > VQST_MAX_STEPS) {
        uart_puts("VQ error=no-step-table\nVQ END\n");
        return;
    }
    if (t->mmu) {
        mmu_enable(t->mmu == 2);
        uart_puts(t->mmu == 2 ? "VQ mmu=on alias=on\n" : "VQ mmu=on\n");
    }
    hal_init(t);
    gc = (struct vgpu_config){.mmio_base = (uintptr_t)t->mmio_base,
                             .queue_size = (uint16_t)t->queue_size,
                             .layout = (enum vq_layout_kind)t->layout,
                             .legacy_align = t->queue_align, .timeout_ns = t->timeout_ns,
                             .wait = (enum vgpu_wait)t->wait, .features = t->features,
                             .fences = t->fences != 0, .cursor = t->cursor != 0};
    uint32_t version = 0;
    int rc = init_device(t, &version);
    int worst = classify(rc);
    uart_puts("VQ init");
    print_result(rc, worst);
    uart_puts(" version=");
    uart_put_dec(version);
    if (t->device != VQST_DEV_GPU) {
        uart_puts(" content=");
        uart_puts(gdev_content());
    }
    uart_putc('\n');
    int stop = rc != VIRTIO_OK;
    const char *outcome = rc == VIRTIO_OK ? "ok" : status_names[worst];
    for (uint32_t i = 0; i < t->n_steps; i++) {
        const struct vqst_step *st = &t->steps[i];
        if (!stop && t->device != VQST_DEV_GPU)
            gdev_announce(st);
        uart_puts("VQ step=");
        uart_put_dec(i + 1);
        if (stop) {
            uart_puts(" status=skipped\n");
            continue;
        }
        step_expected = 0;
        int status = t->device == VQST_DEV_GPU ? gpu_step(st) : device_step(st, t->device);
        stop = status != ST_OK && !step_expected;
        if (status == ST_TIMEOUT)
            outcome = "timeout";
        else if (status != ST_OK && outcome[0] != 't')
            outcome = status_names[status];
    }
    probes(t);
    uart_puts("VQ outcome=");
    uart_puts(outcome);
    uart_puts(" bugs_fired=");
    uart_put_dec(hal_bugs_fired());
    uart_puts(" irq_rises=");
    uart_put_dec(hal_irq_rises());
    uart_puts("\nVQ END\n");
    if (t->poweroff)
        psci_system_off();
}
