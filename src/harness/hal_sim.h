/* hal_sim.h — the driver's HAL (driver/virtio_hal.h) implemented on a simulated machine, and
 * which machine that is.
 *
 * virtio_hal.h takes no context argument, as a kernel's HAL takes none: the platform is the
 * machine the code runs on. Here that machine is *bound* to the calling thread: a run binds its
 * machine before the driver's first HAL call and unbinds it after the last (runner.c does both;
 * a test or a benchmark driving the HAL itself does the same). The binding is per thread, so
 *   - two threads can each run a driver against a machine of their own at the same time;
 *   - one thread can alternate between machines by binding the one it is about to drive.
 * The model itself holds no global: nothing but this binding says which machine a HAL call
 * reaches. A HAL call on a thread with no machine bound reads all-ones and drops writes, as a
 * bus with nothing behind it would (a programming error in the caller, never a crash).
 */
#ifndef HAL_SIM_H
#define HAL_SIM_H

struct machine;

/* Bind m to this thread: every HAL call made on it from now on reaches m. Replaces any earlier
 * binding of this thread (m stays the caller's; the binding never frees it). */
void hal_sim_bind(struct machine *m);
/* This thread's HAL calls reach no machine any more. Call it before the bound machine is
 * destroyed. */
void hal_sim_unbind(void);
/* The machine bound to this thread, or NULL. */
struct machine *hal_sim_bound(void);

#endif /* HAL_SIM_H */
