/* poll_watch.c — see poll_watch.h. */
#include "record/plugin/poll_watch.h"

#include <string.h>

struct poll_slot {
    uint64_t pc, pa;
    uint16_t value;
    uint16_t run;    /* loads of `value` in a row, saturating at POLL_RUN */
    uint8_t watched; /* this location was seen polled: its changes are recorded */
    uint8_t flagged; /* the current run was recorded as a poll */
};

static struct poll_slot slots[POLL_CPUS][POLL_SLOTS];

enum poll_verdict poll_watch(unsigned cpu, uint64_t pc, uint64_t pa, uint16_t value)
{
    if (cpu >= POLL_CPUS)
        return POLL_SKIP;
    struct poll_slot *s = &slots[cpu][(pc >> 2) % POLL_SLOTS];
    if (s->pc != pc || s->pa != pa) { /* another instruction, or this one elsewhere */
        *s = (struct poll_slot){.pc = pc, .pa = pa, .value = value, .run = 1};
        return POLL_SKIP;
    }
    if (value != s->value) {
        s->value = value;
        s->run = 1;
        s->flagged = 0;
        return s->watched ? POLL_RECORD_LOAD : POLL_SKIP;
    }
    if (s->run < POLL_RUN)
        s->run++;
    if (s->run < POLL_RUN || s->flagged)
        return POLL_SKIP;
    s->flagged = s->watched = 1;
    return POLL_RECORD_POLL;
}

void poll_watch_reset(void)
{
    memset(slots, 0, sizeof(slots));
}
