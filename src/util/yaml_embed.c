/* yaml_embed.c — see yaml_embed.h. */
#include "util/yaml_embed.h"

#include <stdbool.h>
#include <stdlib.h>

static bool node_ok(const struct yembed *e, const struct yembed_node *s)
{
    if (s->kind > YN_MAP || (uint64_t)s->items + s->nitems > e->n_items)
        return false;
    if (s->nitems != (s->kind == YN_MAP ? 2ull * s->n : s->kind == YN_SEQ ? s->n : 0))
        return false;
    if (s->kind != YN_SCALAR)
        return s->str == YEMBED_NO_STR;
    return s->str < e->strings_len; /* and the table ends in NUL (checked once) */
}

struct ynode *yembed_tree(const struct yembed *e)
{
    if (!e->n_nodes || !e->strings_len || e->strings[e->strings_len - 1] != '\0')
        return NULL;
    /* One block: the nodes, then the children's pointers (free(root) releases both). */
    _Static_assert(sizeof(struct ynode) % sizeof(struct ynode *) == 0, "pointers after nodes");
    struct ynode *n = calloc((size_t)e->n_nodes * sizeof(*n) + (size_t)e->n_items *
                             sizeof(struct ynode *), 1);
    struct ynode **it = n ? (struct ynode **)(n + e->n_nodes) : NULL;
    bool ok = n != NULL;
    for (uint32_t i = 0; ok && i < e->n_items; i++) {
        ok = e->items[i] < e->n_nodes && e->items[i] != 0; /* the root is nobody's child */
        it[i] = ok ? &n[e->items[i]] : NULL;
    }
    for (uint32_t i = 0; ok && i < e->n_nodes; i++) {
        const struct yembed_node *s = &e->nodes[i];
        ok = node_ok(e, s);
        n[i] = (struct ynode){.kind = (enum ynode_kind)s->kind, .line = (int)s->line,
                              .col = (int)s->col, .plain = s->plain != 0, .n = s->n,
                              .nitems = s->nitems};
        if (ok && s->str != YEMBED_NO_STR)
            n[i].str = (char *)(e->strings + s->str); /* never written through */
        if (ok && s->nitems)
            n[i].items = it + s->items;
    }
    if (!ok) {
        free(n);
        return NULL;
    }
    return n;
}
