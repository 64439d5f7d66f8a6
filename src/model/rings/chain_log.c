/* chain_log.c — see chain_log.h. */
#include "model/rings/chain_log.h"

#include <string.h>

#include "model/machine.h"

static struct chain_log_queue *log_queue(struct machine *m, uint32_t qi)
{
    if (m->cfg.checks_off || qi >= CHAIN_LOG_QUEUES)
        return NULL;
    return &m->chain_log.q[qi];
}

void chain_log_begin(struct machine *m, uint32_t qi, uint16_t head, uint16_t avail_index)
{
    struct chain_log_queue *lq = log_queue(m, qi);
    if (!lq)
        return;
    lq->open = true;
    lq->open_violations = m->n_violations;
    lq->cur.n = lq->met + 1;
    lq->cur.t = m->now;
    lq->cur.avail_index = avail_index;
    lq->cur.head = head;
    lq->cur.taken = false;
    lq->cur.refused_by = NULL;
    lq->cur.n_rules = 0;
    lq->cur.n_desc = 0;
}

void chain_log_desc(struct machine *m, uint32_t qi, uint32_t index, const struct sr_desc *d,
                    bool in_table)
{
    struct chain_log_queue *lq = log_queue(m, qi);
    if (!lq || !lq->open)
        return;
    if (lq->cur.n_desc < CHAIN_LOG_DESCS)
        lq->cur.desc[lq->cur.n_desc] = (struct chain_log_desc){
            .addr = d->addr, .len = d->len, .flags = d->flags, .next = d->next,
            .index = (uint16_t)index, .in_table = in_table};
    lq->cur.n_desc++;
}

void chain_log_taken(struct machine *m, uint32_t qi)
{
    struct chain_log_queue *lq = log_queue(m, qi);
    if (lq && lq->open)
        lq->cur.taken = true;
}

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

void chain_log_end(struct machine *m, uint32_t qi)
{
    struct chain_log_queue *lq = log_queue(m, qi);
    if (!lq || !lq->open)
        return;
    lq->open = false;
    lq->met++;
    if (!lq->cur.taken) {
        lq->refused++;
        lq->cur.refused_by = m->dev.broken_rule;
    }
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
