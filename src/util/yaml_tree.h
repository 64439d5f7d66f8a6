/* yaml_tree.h — a YAML document as a tree of nodes that remember their line and column.
 *
 * Built on libyaml's event parser. Scenarios and the rule catalogue are small, so a whole tree in
 * memory is simplest (its nodes, texts and item arrays in one arena, freed at once by
 * ytree_free); every node keeps its position so errors read "file:line:col: message".
 * Aliases are refused (a scenario has no use for them, and they invite blow-ups); an anchor
 * without an alias is harmless and ignored.
 */
#ifndef YAML_TREE_H
#define YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
    enum ynode_kind kind;
    int line, col;            /* 1-based */
    char *str;                /* scalar text (YN_SCALAR); NULL otherwise */
    bool plain;               /* scalar was unquoted (so `null`, numbers are meaningful) */
    size_t n;                 /* children (SEQ) or key/value pairs (MAP) */
    struct ynode **items;     /* SEQ: items[n]; MAP: keys at 2i, values at 2i+1 */
    size_t nitems;            /* pointers stored in items (n, or 2n for a map) */
};

/* Parse a whole buffer holding one document. On error returns NULL and writes
 * "line:col: message" into err. An empty document gives NULL with err "empty document". */
struct ynode *ytree_parse(const char *buf, size_t len, char *err, size_t errlen);
void ytree_free(struct ynode *n);

/* Map lookup by key (NULL if absent or not a map). */
struct ynode *ymap_get(const struct ynode *map, const char *key);
static inline struct ynode *ymap_key(const struct ynode *map, size_t i) { return map->items[2 * i]; }
static inline struct ynode *ymap_val(const struct ynode *map, size_t i) { return map->items[2 * i + 1]; }

/* Scalar conversions; false when the node is not a scalar of that shape. */
bool yscalar_u64(const struct ynode *n, uint64_t *out); /* decimal or 0x hex, with _ separators */
bool yscalar_bool(const struct ynode *n, bool *out);
bool yscalar_is_null(const struct ynode *n);

#endif /* YAML_TREE_H */
