/* driver_so.c — the example driver as a shared object for `vqsim run --driver`: the two symbols
 * vqsim looks up (VQSIM_DRIVER_DEFINE). It needs nothing from libvqsim: everything comes
 * through the platform struct. */
#include <vqsim/vqsim.h>

#include "hobby_gpu.h"

static int entry(const struct vqsim_platform *p, void *arg)
{
    (void)arg;
    return hobby_gpu_main(p, NULL);
}

VQSIM_DRIVER_DEFINE(entry)
