/* results_chains.c — see results_chains.h. */
#include "harness/results_chains.h"

#include "model/machine.h"
#include "model/chain_log.h"

static void json_desc(struct jw *w, const struct chain_log_desc *d)
{
    jw_obj_begin(w);
    jw_ku64(w, "index", d->index);
    jw_kbool(w, "table", d->in_table);
    jw_khex(w, "addr", d->d.addr);
    jw_ku64(w, "len", d->d.len);
    jw_ku64(w, "flags", d->d.flags);
    jw_ku64(w, "next", d->d.next);
    jw_obj_end(w);
}

static void json_chain(struct jw *w, const struct chain_log_chain *c)
{
    jw_obj_begin(w);
    jw_ku64(w, "n", c->n);
    jw_ku64(w, "t", c->t);
    jw_ku64(w, "avail_index", c->avail_index);
    jw_ku64(w, "head", c->head);
    jw_kbool(w, "taken", c->taken);
    jw_kstr(w, "refused_by", c->taken ? NULL : c->refused_by);
    jw_key(w, "rules");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < c->n_rules && k < CHAIN_LOG_RULES; k++)
        jw_str(w, c->rules[k]);
    jw_arr_end(w);
    jw_ku64(w, "descriptors_read", c->n_desc);
    jw_key(w, "descriptors");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < c->n_desc && k < CHAIN_LOG_DESCS; k++)
        json_desc(w, &c->desc[k]);
    jw_arr_end(w);
    jw_obj_end(w);
}

void results_chains_json(struct jw *w, const struct machine *m, uint32_t qi)
{
    const struct chain_log_queue *lq = chain_log_queue(m, qi);
    if (!lq)
        return;
    jw_key(w, "chains");
    jw_obj_begin(w);
    jw_ku64(w, "met", lq->met);
    jw_ku64(w, "refused", lq->refused);
    jw_key(w, "kept");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < lq->n_kept; k++)
        json_chain(w, &lq->kept[k]);
    jw_arr_end(w);
    jw_obj_end(w);
}
