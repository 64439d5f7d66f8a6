/* test_gpu_device.c — the virtio-gpu model (src/model/devices/gpu_device.c) driven by the real driver
 * on the simulated machine: the host-memory budget QEMU 7.2 applies to resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/virtio_gpu.h"
#include "model/devices/gpu_device.h"
#include "sim_fixture.h"

#define MIB (1ull << 20)

static int setup(void **state)
{
    *state = fx_machine_new(2);
    return 0;
}

static int teardown(void **state)
{
    fx_machine_free(*state);
    return 0;
}

static void gpu_up(struct vgpu *g)
{
    struct vgpu_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mmio_base = FX_MMIO_BASE;
    cfg.queue_size = 16;
    cfg.layout = VQ_LAYOUT_SEPARATE;
    cfg.timeout_ns = 1000000;
    assert_int_equal(vgpu_init(g, &cfg), VIRTIO_OK);
}

static void create(struct vgpu *g, uint32_t id, uint32_t w, uint32_t h, uint32_t want_type)
{
    int rc = vgpu_resource_create_2d(g, id, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, w, h);
    assert_int_equal(rc, want_type == VIRTIO_GPU_RESP_OK_NODATA ? VIRTIO_OK : VGPU_ERR_OUT_OF_MEMORY);
    assert_int_equal(g->last_resp_type, want_type);
}

/* QEMU's max_hostmem (256 MiB) is one budget for all resources, and a resource is created only
 * while the total stays strictly below it. (With a per-resource limit a guest could make the
 * model hold any number of 256 MiB images: fuzz/corpus/fuzz_device_model/regress-hostmem-budget.) */
static void test_hostmem_budget_is_shared(void **state)
{
    struct machine *m = *state;
    static struct vgpu g;
    gpu_up(&g);
    create(&g, 1, 16384, 4096, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY); /* exactly 256 MiB: no */
    assert_int_equal(gpu_of(m)->hostmem, 0);
    create(&g, 1, 8192, 4096, VIRTIO_GPU_RESP_OK_NODATA);           /* 128 MiB */
    assert_int_equal(gpu_of(m)->hostmem, 128 * MIB);
    create(&g, 2, 8192, 4096, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY); /* would reach 256 MiB */
    create(&g, 2, 8192, 4095, VIRTIO_GPU_RESP_OK_NODATA);         /* 32 KiB less: fits */
    assert_int_equal(gpu_of(m)->hostmem, 256 * MIB - 32768);
    assert_int_equal(gpu_of(m)->n_res, 2);
    create(&g, 3, 64, 128, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY); /* 32 KiB: total would be 256 MiB */
    create(&g, 3, 16, 16, VIRTIO_GPU_RESP_OK_NODATA);         /* 1 KiB: still below */
    assert_int_equal(gpu_of(m)->hostmem, 256 * MIB - 32768 + 1024);
    /* A device reset destroys every resource and gives the whole budget back. */
    gpu_up(&g);
    assert_int_equal(gpu_of(m)->n_res, 0);
    assert_int_equal(gpu_of(m)->hostmem, 0);
    create(&g, 2, 8192, 4096, VIRTIO_GPU_RESP_OK_NODATA);
    assert_int_equal(gpu_of(m)->hostmem, 128 * MIB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hostmem_budget_is_shared, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
