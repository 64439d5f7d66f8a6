/* diagnosis_device.c — the device's own account of a silent queue (device.h: explain): a
 * request the device holds and cannot serve, events or frames it has and no buffer for. Asked
 * after the setup causes, when they do not explain the silence, and before the request causes,
 * which read a request of the driver's that a device's event is not. */
#include <stdio.h>

#include "model/diagnosis/diagnosis_internal.h"

void diag_device_causes(struct machine *m, struct diag_facts *f, struct diagnosis *d)
{
    const struct device_ops *ops = m->device.ops;
    if (f->setup_explains || !ops || !ops->explain || f->rq->queue >= ops->n_queues)
        return;
    struct device_silence s = {0};
    if (!ops->explain(m->device.state, m, f->rq->queue, &s) || !s.cause)
        return;
    struct diag_cause *c = diag_add(d, f, s.cause, s.section, s.title);
    f->device_explains = true;
    for (int i = 0; c && i < s.n_evidence && i < DEVICE_SILENCE_EVIDENCE; i++)
        diag_ev(c, s.evidence[i].key, "%s", s.evidence[i].value);
    diag_say(c, "%s", s.message);
}
