/* yaml_tree.c — see yaml_tree.h. */
#include "util/yaml_tree.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YTREE_MAX_DEPTH 64

/* A tree lives in one arena: a chain of blocks holding its nodes, their texts and their item
 * arrays, freed at once (a scenario of a few hundred nodes made as many mallocs, reallocs and
 * frees: a fifth of loading the suite). The root is the first node made, at the start of the
 * first block's data: ytree_free finds the chain from it. */
#define YTREE_BLOCK 8192u
struct ytree_block {
    struct ytree_block *next; /* the block made after this one */
    size_t used, cap;
    max_align_t data[];
};

struct parse_state {
    yaml_parser_t parser;
    char *err;
    size_t errlen;
    struct ytree_block *first, *cur; /* the arena: first holds the root, cur the newest */
    struct ynode **stack;            /* children of the collections being parsed, in order */
    size_t n_stack, cap_stack;
};

static void *arena_alloc(struct parse_state *s, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct ytree_block *b = s->cur;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > YTREE_BLOCK ? n : YTREE_BLOCK;
        if (!(b = malloc(sizeof(*b) + cap)))
            return NULL;
        *b = (struct ytree_block){.next = NULL, .used = 0, .cap = cap};
        if (s->cur)
            s->cur->next = b;
        else
            s->first = b;
        s->cur = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(struct ytree_block *b)
{
    while (b) {
        struct ytree_block *next = b->next;
        free(b);
        b = next;
    }
}

static struct ynode *node_new(struct parse_state *s, enum ynode_kind k, const yaml_mark_t *m)
{
    struct ynode *n = arena_alloc(s, sizeof(*n));
    if (n)
        *n = (struct ynode){.kind = k, .line = (int)m->line + 1, .col = (int)m->column + 1};
    return n;
}

void ytree_free(struct ynode *n)
{
    if (n) /* the root: first in its arena's first block */
        arena_free((struct ytree_block *)((char *)n - offsetof(struct ytree_block, data)));
}

/* One more child of the collection being parsed (false: out of memory). */
static bool push_child(struct parse_state *s, struct ynode *child)
{
    if (s->n_stack == s->cap_stack) {
        size_t cap = s->cap_stack ? 2 * s->cap_stack : 64;
        struct ynode **st = realloc(s->stack, cap * sizeof(*st));
        if (!st)
            return false;
        s->stack = st;
        s->cap_stack = cap;
    }
    s->stack[s->n_stack++] = child;
    return true;
}

/* The children pushed since `base` become n's items (copied into the arena). */
static bool take_children(struct parse_state *s, struct ynode *n, size_t base)
{
    n->nitems = s->n_stack - base;
    if (n->nitems) {
        if (!(n->items = arena_alloc(s, n->nitems * sizeof(*n->items))))
            return false;
        memcpy(n->items, s->stack + base, n->nitems * sizeof(*n->items));
    }
    s->n_stack = base;
    return true;
}

static void set_err(struct parse_state *s, const yaml_mark_t *m, const char *msg)
{
    snprintf(s->err, s->errlen, "%d:%d: %s", (int)m->line + 1, (int)m->column + 1, msg);
}

/* Keys are scalars and unique: a duplicate key in a scenario is almost always a mistake. The
 * map's keys so far are its children on the stack from `base`. */
static bool check_key(struct parse_state *s, size_t base, const struct ynode *key,
                      const yaml_mark_t *m)
{
    if (key->kind != YN_SCALAR) {
        set_err(s, m, "mapping keys must be scalars");
        return false;
    }
    for (size_t i = base; i + 1 < s->n_stack; i += 2) {
        if (strcmp(s->stack[i]->str, key->str) == 0) {
            char msg[160];
            snprintf(msg, sizeof(msg), "duplicate key '%.100s'", key->str);
            set_err(s, m, msg);
            return false;
        }
    }
    return true;
}

static struct ynode *parse_node(struct parse_state *s, yaml_event_t *ev, int depth);

/* The next event into *e; false (the parser's error set) on a syntax error. */
static bool next_event(struct parse_state *s, yaml_event_t *e)
{
    if (yaml_parser_parse(&s->parser, e))
        return true;
    set_err(s, &s->parser.problem_mark, s->parser.problem ? s->parser.problem : "syntax error");
    return false;
}

/* A scalar node from its event (consumed). */
static struct ynode *parse_scalar(struct parse_state *s, yaml_event_t *ev)
{
    struct ynode *n = node_new(s, YN_SCALAR, &ev->start_mark);
    size_t len = ev->data.scalar.length;
    if (n && (n->str = arena_alloc(s, len + 1))) {
        memcpy(n->str, ev->data.scalar.value, len);
        n->str[len] = 0;
        n->str[strnlen(n->str, len)] = 0; /* as strndup: up to the first NUL */
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    } else {
        n = NULL;
        set_err(s, &ev->start_mark, "out of memory");
    }
    yaml_event_delete(ev);
    return n;
}

/* A sequence or mapping from its start event (consumed) to its end event: its items, or its
 * keys and values in turn. NULL on an error (what was made stays in the arena). */
static struct ynode *parse_collection(struct parse_state *s, yaml_event_t *ev, int depth)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    struct ynode *n = node_new(s, is_map ? YN_MAP : YN_SEQ, &ev->start_mark);
    yaml_event_delete(ev);
    if (!n)
        return NULL;
    size_t base = s->n_stack;
    for (;;) {
        yaml_event_t e;
        if (!next_event(s, &e))
            return NULL;
        if (e.type == end) {
            yaml_event_delete(&e);
            break;
        }
        yaml_mark_t key_mark = e.start_mark;
        struct ynode *c = parse_node(s, &e, depth + 1);
        if (!c || (is_map && !check_key(s, base, c, &key_mark)) || !push_child(s, c))
            return NULL;
        if (is_map) { /* after a key comes its value */
            yaml_event_t ve;
            if (!next_event(s, &ve))
                return NULL;
            struct ynode *v = parse_node(s, &ve, depth + 1);
            if (!v || !push_child(s, v))
                return NULL;
        }
        n->n++;
    }
    return take_children(s, n, base) ? n : NULL;
}

/* Parse one node whose first event is `ev` (consumed). Returns NULL on error. */
static struct ynode *parse_node(struct parse_state *s, yaml_event_t *ev, int depth)
{
    if (depth > YTREE_MAX_DEPTH) {
        set_err(s, &ev->start_mark, "nesting too deep");
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        set_err(s, &ev->start_mark, "aliases are not supported in vqsim files");
        yaml_event_delete(ev);
        return NULL;
    case YAML_SCALAR_EVENT:
        return parse_scalar(s, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return parse_collection(s, ev, depth);
    default:
        set_err(s, &ev->start_mark, "unexpected YAML event");
        yaml_event_delete(ev);
        return NULL;
    }
}

struct ynode *ytree_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    struct parse_state s = {.err = err, .errlen = errlen};
    err[0] = 0;
    if (!yaml_parser_initialize(&s.parser)) {
        snprintf(err, errlen, "1:1: cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&s.parser, (const unsigned char *)buf, len);
    struct ynode *root = NULL;
    bool done = false;
    while (!done) {
        yaml_event_t e;
        if (!next_event(&s, &e)) {
            root = NULL;
            break;
        }
        switch (e.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            yaml_event_delete(&e);
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&e);
            done = true;
            break;
        default:
            if (root) {
                set_err(&s, &e.start_mark, "only one YAML document per file");
                yaml_event_delete(&e);
                root = NULL;
                done = true;
                break;
            }
            root = parse_node(&s, &e, 0);
            if (!root)
                done = true;
            break;
        }
    }
    yaml_parser_delete(&s.parser);
    free(s.stack);
    if (!root)
        arena_free(s.first); /* whatever was made before the error */
    if (!root && !err[0])
        snprintf(err, errlen, "1:1: empty document");
    return root;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(ymap_key(map, i)->str, key) == 0)
            return ymap_val(map, i);
    return NULL;
}

bool yscalar_u64(const struct ynode *n, uint64_t *out)
{
    if (!n || n->kind != YN_SCALAR || !n->str[0])
        return false;
    const char *p = n->str;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t v = 0;
    int digits = 0;
    for (; *p; p++) {
        if (*p == '_')
            continue;
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false; /* overflow */
        v = v * (uint64_t)base + (uint64_t)d;
        digits++;
    }
    if (!digits)
        return false;
    *out = v;
    return true;
}

bool yscalar_bool(const struct ynode *n, bool *out)
{
    if (!n || n->kind != YN_SCALAR)
        return false;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "yes") || !strcmp(n->str, "on")) {
        *out = true;
        return true;
    }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "no") || !strcmp(n->str, "off")) {
        *out = false;
        return true;
    }
    return false;
}

bool yscalar_is_null(const struct ynode *n)
{
    return n && n->kind == YN_SCALAR && n->plain &&
           (!n->str[0] || !strcmp(n->str, "null") || !strcmp(n->str, "~"));
}
