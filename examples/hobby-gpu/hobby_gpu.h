/* hobby_gpu.h — the example driver's entry point (hobby_gpu.c). */
#ifndef HOBBY_GPU_H
#define HOBBY_GPU_H

#include <stdint.h>

#include <vqsim/vqsim.h>

struct hobby_result {
    uint32_t width, height; /* the display size the driver drew at */
};

/* Bring the gpu up and show the picture; arg: a struct hobby_result * or NULL. */
int hobby_gpu_main(const struct vqsim_platform *p, void *arg);

#endif /* HOBBY_GPU_H */
