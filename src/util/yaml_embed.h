/* yaml_embed.h — a YAML document parsed at build time and compiled into the binary as flat
 * tables, turned back into a yaml_tree.h tree at run time without parsing.
 *
 * tools/yaml_embed.c (run by the build) parses the file with ytree_parse — libyaml, the same
 * parser and the same refusals as at run time — and writes its nodes in pre-order as the tables
 * below. spec/rules.yaml and spec/sections.yaml (270 KB together) cost every `vqsim` process
 * about 70 M instructions of libyaml; unpacked from here they cost a walk over their nodes.
 * Every index is checked on unpacking: a table out of range gives NULL, never a bad pointer.
 */
#ifndef YAML_EMBED_H
#define YAML_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "util/yaml_tree.h"

#define YEMBED_NO_STR UINT32_MAX

struct yembed_node {
    uint8_t kind;        /* enum ynode_kind */
    uint8_t plain;       /* ynode.plain */
    uint32_t line, col;
    uint32_t str;        /* offset of the scalar's text in strings[], or YEMBED_NO_STR */
    uint32_t n;          /* ynode.n */
    uint32_t items;      /* its children: items[items .. items + nitems) are node indices */
    uint32_t nitems;
};

struct yembed {
    const char *name;    /* the file it came from ("spec/rules.yaml"), for messages */
    const struct yembed_node *nodes; /* nodes[0] is the root */
    uint32_t n_nodes;
    const uint32_t *items;
    uint32_t n_items;
    const char *strings; /* NUL-terminated texts, one after the other */
    uint32_t strings_len;
};

/* The tree, in one allocation: free(root) releases it (not ytree_free: its scalars point into
 * e->strings). NULL when out of memory or a table is inconsistent. */
struct ynode *yembed_tree(const struct yembed *e);

#endif /* YAML_EMBED_H */
