/* in_order_check.c — see in_order_check.h. */
#include "model/checks/in_order_check.h"

#include "spec/virtio_spec.h"
#include "model/machine.h"

static bool in_order(const struct machine *m)
{
    return m->dev.guest_features & (1ull << VIRTIO_F_IN_ORDER);
}

void in_order_check_linked(struct machine *m, uint32_t qi, uint32_t x, const struct sr_desc *d)
{
    if (!in_order(m) || !(d->flags & VIRTQ_DESC_F_NEXT))
        return;
    uint32_t want = (x + 1) % m->dev.q[qi].live_num; /* §2.6.5.2: 0 after the last descriptor */
    if (d->next != want)
        machine_violation(m, "split.desc.in-order-next", (int)qi,
                          "queue %u: IN_ORDER was negotiated, but descriptor %u links to %u "
                          "instead of %u", qi, x, d->next, want);
}

void in_order_check_table_next(struct machine *m, uint32_t qi, uint32_t k, const struct sr_desc *d)
{
    if (!in_order(m) || !(d->flags & VIRTQ_DESC_F_NEXT))
        return;
    if (d->next != k + 1) /* §2.6.5.3.1: entry k links to k + 1 */
        machine_violation(m, "split.indirect.in-order-sequential", (int)qi,
                          "queue %u: IN_ORDER was negotiated, but indirect entry %u links to %u "
                          "instead of %u", qi, k, d->next, k + 1);
}
