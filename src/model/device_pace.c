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

/* The head QEMU published at used index `used` of qi (pace_order), -1 when none was ordered. */
static int ordered_head(const struct device_pace *p, uint32_t qi, uint16_t used)
{
    for (uint32_t k = 0; k < p->n_order[qi]; k++)
        if (p->order[qi][k].used == used)
            return p->order[qi][k].head;
    return -1;
}

/* Forget the orders for used indices the ring has passed. */
static void drop_orders_before(struct device_pace *p, uint32_t qi, uint16_t published)
{
    uint32_t keep = 0;
    for (uint32_t k = 0; k < p->n_order[qi]; k++)
        if (!behind(p->order[qi][k].used, published))
            p->order[qi][keep++] = p->order[qi][k];
    p->n_order[qi] = keep;
}

/* The held answer to publish at the ring's next used index: the one QEMU published there when
 * the replay said so and the model holds it, else the oldest. */
static uint32_t next_held(const struct device_pace *p, uint32_t qi, uint16_t used)
{
    int head = ordered_head(p, qi, used);
    for (uint32_t k = 0; head >= 0 && k < p->n_held[qi]; k++)
        if (p->held[qi][k].head == head)
            return k;
    return 0;
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
    while (p->n_held[qi] && q->live && !m->dev.broken && behind(ring_published(q), publish_bound)) {
        uint32_t k = next_held(p, qi, ring_published(q));
        struct pace_held h = p->held[qi][k];
        p->n_held[qi]--;
        memmove(p->held[qi] + k, p->held[qi] + k + 1, (p->n_held[qi] - k) * sizeof(h));
        ring_push_parts(&m->dev.q[qi], h.head, h.len, h.parts);
        mmio_device_raise_used_irq(m, qi); /* QEMU: virtio_notify after each push */
        drop_orders_before(p, qi, ring_published(q));
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
    int ordered = p->on[qi] ? ordered_head(p, qi, ring_published(q)) : -1;
    if (!p->on[qi] || (p->n_held[qi] == 0 && behind(ring_published(q), p->publish_bound[qi]) &&
                       (ordered < 0 || ordered == head)))
        return false; /* (QEMU published another head there first: held for it) */
    if (!p->held[qi] && !(p->held[qi] = calloc(MMIO_QUEUE_NUM_MAX, sizeof(*p->held[qi]))))
        return false; /* no memory: answered at once, as without pacing */
    if (p->n_held[qi] >= MMIO_QUEUE_NUM_MAX)
        return false; /* more answers than chains a queue holds: cannot be */
    p->held[qi][p->n_held[qi]++] = (struct pace_held){head, len, parts};
    return true;
}

bool pace_order(struct machine *m, uint32_t qi, uint16_t used, uint16_t head)
{
    struct device_pace *p = &m->pace;
    if (qi >= MMIO_NUM_QUEUES)
        return false;
    if (!p->order[qi] && !(p->order[qi] = calloc(MMIO_QUEUE_NUM_MAX, sizeof(*p->order[qi]))))
        return false;
    drop_orders_before(p, qi, ring_published(&m->dev.q[qi]));
    if (p->n_order[qi] >= MMIO_QUEUE_NUM_MAX)
        return false;
    p->order[qi][p->n_order[qi]++] = (struct pace_order){used, head};
    return true;
}

void pace_on_reset(struct machine *m)
{
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        m->pace.n_held[q] = m->pace.n_order[q] = 0;
        m->pace.armed[q] = false;
    }
}

void pace_free(struct machine *m)
{
    for (uint32_t q = 0; q < MMIO_NUM_QUEUES; q++) {
        free(m->pace.held[q]);
        free(m->pace.order[q]);
        m->pace.held[q] = NULL;
        m->pace.order[q] = NULL;
        m->pace.n_order[q] = 0;
        m->pace.n_held[q] = 0;
    }
}
