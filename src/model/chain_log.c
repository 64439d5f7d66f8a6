/* chain_log.c — see chain_log.h. */
#include "model/chain_log.h"

#include <string.h>

#include "model/machine.h"
#include "spec/rules.h"

/* The rules recorded against queue qi since the chain began, each once, in order. */
static void collect_rules(const struct machine *m, uint32_t qi, struct chain_log_queue *lq)
{
    struct chain_log_chain *c = &lq->cur;
    for (uint32_t v = lq->open_violations; v < m->n_violations; v++) {
        const struct violation *f = &m->violations[v];
        if (f->queue != qi || !f->rule)
            continue;
        bool seen = false;
        for (uint32_t k = 0; k < c->n_rules && k < CHAIN_LOG_RULES; k++)
            seen |= strcmp(c->rules[k], f->rule->id) == 0;
        if (seen)
            continue;
        if (c->n_rules < CHAIN_LOG_RULES)
            c->rules[c->n_rules] = f->rule->id;
        c->n_rules++;
    }
}

void chain_log_close(struct machine *m, struct chain_log_queue *lq, uint32_t qi)
{
    lq->open = false;
    lq->met++;
    lq->cur.refused_by = NULL;
    lq->cur.n_rules = 0;
    if (!lq->cur.taken) {
        lq->refused++;
        lq->cur.refused_by = m->dev.broken_rule;
    }
    if (m->n_violations > lq->open_violations)
        collect_rules(m, qi, lq);
    bool keep = lq->cur.n <= CHAIN_LOG_FIRST ||
                (!lq->cur.taken && lq->n_kept < CHAIN_LOG_FIRST + CHAIN_LOG_REFUSED);
    if (keep && lq->n_kept < CHAIN_LOG_FIRST + CHAIN_LOG_REFUSED)
        lq->kept[lq->n_kept++] = lq->cur;
}

const struct chain_log_queue *chain_log_queue(const struct machine *m, uint32_t qi)
{
    return qi < CHAIN_LOG_QUEUES ? &m->chain_log.q[qi] : NULL;
}
