/* config_checks.h — device configuration space reads and the generation counter (§2.4.1).
 *
 * A run of config-space reads is trusted only when ConfigGeneration read before the last block of
 * config reads equals ConfigGeneration read after it. If the device changed its configuration
 * during the run and the driver went on without such a matching pair, it assumed the reads were
 * atomic. (Only visible when the configuration changes; the scenario key device.config_change
 * makes it change.)
 */
#ifndef CONFIG_CHECKS_H
#define CONFIG_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

struct config_check_state {
    bool run;              /* inside a run of config / ConfigGeneration reads */
    bool block;            /* the run has config reads */
    bool block_open;       /* the last access of the run was a config read */
    bool has_g0;           /* a ConfigGeneration read came just before the current block */
    uint32_t g0;           /* its value */
    bool closed_ok;        /* the block was closed by a ConfigGeneration read equal to g0 */
    uint32_t last_gen;     /* the last ConfigGeneration value read */
    bool last_was_gen;
    uint32_t gen_at_start; /* the device's generation when the run began */
};

/* Every access that reaches the device, read or write. */
void config_checks_access(struct machine *m, uint32_t off, bool write, uint32_t value);
void config_checks_finish(struct machine *m);
/* Whether a driver write (anything but a config read) has anything to tell these checks: only
 * inside a run of reads, which it ends. Outside one the state is all zero (config_checks.c
 * asserts it), so config_checks_access would only zero it again. */
static inline bool config_checks_want_write(const struct config_check_state *s) { return s->run; }

#endif /* CONFIG_CHECKS_H */
