/* results_chains.c — see results_chains.h. */
#include "harness/results_chains.h"

#include <stdlib.h>
#include <string.h>

#include "model/chain_log.h"

_Static_assert(RESULT_CHAIN_DESCS == CHAIN_LOG_DESCS && RESULT_CHAIN_RULES == CHAIN_LOG_RULES,
               "every descriptor and rule the log keeps");

static void fill_chain(struct result_chain *o, const struct chain_log_chain *c)
{
    *o = (struct result_chain){.n = c->n, .t = c->t, .avail_index = c->avail_index,
                               .head = c->head, .taken = c->taken, .refused_by = c->refused_by,
                               .n_rules = c->n_rules, .n_desc = c->n_desc};
    for (uint32_t k = 0; k < c->n_rules && k < RESULT_CHAIN_RULES; k++)
        o->rules[k] = c->rules[k];
    for (uint32_t k = 0; k < c->n_desc && k < RESULT_CHAIN_DESCS; k++) {
        const struct chain_log_desc *d = &c->desc[k];
        o->desc[k] = (struct result_chain_desc){.index = d->index, .in_table = d->in_table,
                                                .addr = d->d.addr, .len = d->d.len,
                                                .flags = d->d.flags, .next = d->d.next};
    }
}

bool results_chains_fill(struct result_chains *out, const struct machine *m, uint32_t qi)
{
    memset(out, 0, sizeof(*out));
    const struct chain_log_queue *lq = chain_log_queue(m, qi);
    if (!lq)
        return true;
    out->logged = true;
    out->met = lq->met;
    out->refused = lq->refused;
    if (lq->n_kept && !(out->kept = calloc(lq->n_kept, sizeof(*out->kept))))
        return false;
    out->n_kept = lq->n_kept;
    for (uint32_t k = 0; k < lq->n_kept; k++)
        fill_chain(&out->kept[k], &lq->kept[k]);
    return true;
}

void results_chains_free(struct result_chains *c)
{
    free(c->kept);
    memset(c, 0, sizeof(*c));
}

static void json_desc(struct jw *w, const struct result_chain_desc *d)
{
    jw_obj_begin(w);
    jw_ku64(w, "index", d->index);
    jw_kbool(w, "table", d->in_table);
    jw_khex(w, "addr", d->addr);
    jw_ku64(w, "len", d->len);
    jw_ku64(w, "flags", d->flags);
    jw_ku64(w, "next", d->next);
    jw_obj_end(w);
}

static void json_chain(struct jw *w, const struct result_chain *c)
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
    for (uint32_t k = 0; k < c->n_rules && k < RESULT_CHAIN_RULES; k++)
        jw_str(w, c->rules[k]);
    jw_arr_end(w);
    jw_ku64(w, "descriptors_read", c->n_desc);
    jw_key(w, "descriptors");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < c->n_desc && k < RESULT_CHAIN_DESCS; k++)
        json_desc(w, &c->desc[k]);
    jw_arr_end(w);
    jw_obj_end(w);
}

void results_chains_json(struct jw *w, const struct result_chains *c)
{
    if (!c->logged)
        return;
    jw_key(w, "chains");
    jw_obj_begin(w);
    jw_ku64(w, "met", c->met);
    jw_ku64(w, "refused", c->refused);
    jw_key(w, "kept");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < c->n_kept; k++)
        json_chain(w, &c->kept[k]);
    jw_arr_end(w);
    jw_obj_end(w);
}
