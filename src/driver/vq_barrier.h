/* vq_barrier.h — a numbered barrier call site (virtqueue.c 1..5, vq_packed.c 6..10 list them with
 * their pairings): a test build compiles exactly one out (-DVQ_OMIT_BARRIER=N) and proves the
 * suite notices (tests/unit/test_barrier_omit.c). Internal to the driver. */
#ifndef VQ_BARRIER_H
#define VQ_BARRIER_H

#ifndef VQ_OMIT_BARRIER
#define VQ_OMIT_BARRIER 0
#endif
#define VQ_BARRIER(n, fn)                                                                          \
    do {                                                                                           \
        if (VQ_OMIT_BARRIER != (n))                                                                \
            fn();                                                                                  \
    } while (0)

#endif /* VQ_BARRIER_H */
