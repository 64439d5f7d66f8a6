/* device_pace.c — see device_pace.h. */
#include "model/device_pace.h"

#include <stdlib.h>
#include <string.h>

#include "model/machine.h"

_Static_assert(sizeof(((struct device_pace *)0)->on) / sizeof(bool) == MMIO_NUM_QUEUES,
               "one pace per device queue");

static bool behind(uint16_t a, uint16_t b) /* a before b, 16-bit ring arithmetic */
{
    uint16_t d = (uint16_t)(b - a);
    return d != 0 && d < 0x8000u;
}

void pace_set(struct machine *m, uint32_t qi, uint16_t take_bound, uint16_t publish_bound)
{
    struct device_pace *p = &m->pace;
    if (qi >= MMIO_NUM_QUEUES)
        return;
    p->on[qi] = true;
    p->take_bound[qi] = take_bound;
    p->publish_bound[qi] = publish_bound;
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t done = 0;
    while (done < p->n_held[qi] && q->live && !m->dev.broken && behind(ring_published(q), publish_bound)) {
        const struct pace_held *h = &p->held[qi][done++];
        ring_push_parts(&m->dev.q[qi], h->head, h->len, h->parts);
        mmio_device_raise_used_irq(m, qi); /* QEMU: virtio_notify after each push */
    }
    if (done) {
        p->n_held[qi] -= done;
        memmove(p->held[qi], p->held[qi] + done, p->n_held[qi] * sizeof(p->held[qi][0]));
    }
    if (p->armed[qi] && q->live && behind(ring_taken(q), take_bound))
        machine_schedule_queue_at(m, qi, m->now);
}

void pace_arm(struct machine *m, uint32_t qi)
{
    struct device_pace *p = &m->pace;
    if (qi >= MMIO_NUM_QUEUES)
        return;
    p->armed[qi] = true;
    const struct dev_queue *q = &m->dev.q[qi];
    if (p->on[qi] && q->live && behind(ring_taken(q), p->take_bound[qi]))
        machine_schedule_queue_at(m, qi, m->now);
}

bool pace_may_take(const struct machine *m, uint32_t qi)
{
    return !m->pace.on[qi] || ring_taken(&m->dev.q[qi]) != m->pace.take_bound[qi];
}

bool pace_hold(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts)
{
    struct device_pace *p = &m->pace;
    const struct dev_queue *q = &m->dev.q[qi];
    if (!p->on[qi] || (p->n_held[qi] == 0 && behind(ring_published(q), p->publish_bound[qi])))
        return false;
    if (!p->held[qi] && !(p->held[qi] = calloc(MMIO_QUEUE_NUM_MAX, sizeof(*p->held[qi]))))
        return false; /* no memory: answered at once, as without pacing */
    if (p->n_held[qi] >= MMIO_QUEUE_NUM_MAX)
        return false; /* more answers than chains a queue holds: cannot be */
    p->held[qi][p->n_held[qi]++] = (struct pace_held){head, len, parts};
    return true;
}

void pace_on_reset(struct machine *m)
{
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        m->pace.n_held[q] = 0;
        m->pace.armed[q] = false;
    }
}

void pace_free(struct machine *m)
{
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        free(m->pace.held[q]);
        m->pace.held[q] = NULL;
        m->pace.n_held[q] = 0;
    }
}
