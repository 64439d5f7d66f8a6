/* kernel_device.c — see kernel_device.h. */
#include "harness/kernel_device.h"

#include <string.h>

#include "harness/kernel_blk.h"
#include "harness/kernel_input.h"
#include "harness/kernel_net.h"
#include "harness/kernel_rng.h"

/* One line per device type with a kernel of its own. */
static const struct kernel_device_ops *const kernels[] = {
    &kernel_blk_ops, /* blk: kernel_blk.c */
    &kernel_rng_ops, /* rng: kernel_rng.c */
    &kernel_input_ops, /* input: kernel_input.c */
    &kernel_net_ops, /* net: kernel_net.c */
};

const struct kernel_device_ops *kernel_device_find(const char *device)
{
    for (size_t i = 0; device && i < sizeof(kernels) / sizeof(kernels[0]); i++)
        if (!strcmp(kernels[i]->device, device))
            return kernels[i];
    return NULL;
}
