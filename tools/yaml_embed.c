/* yaml_embed.c — the build's tool that turns a YAML file into the C tables of
 * src/util/yaml_embed.h (parsed once here, with ytree_parse, instead of in every process).
 *
 *   vqsim-yaml-embed IN.yaml OUT.c SYMBOL NAME
 *
 * Writes `const struct yembed SYMBOL` (NAME: the file's name in messages, "spec/rules.yaml").
 * A file ytree_parse refuses fails the build with NAME:line:col: message. Node indices are in
 * pre-order (node 0 is the root); each node's children are contiguous in the items table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yaml_embed.h"

struct out {
    FILE *nodes, *items, *strings; /* the three tables' initializers, joined at the end */
    uint32_t n_nodes, n_items, strings_len, col;
};

/* The text as pieces of a C string literal, with its NUL; every byte that is not plain
 * printable ASCII as a 3-digit octal escape (and '?', so that no trigraph can form). */
static void put_string(struct out *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        if (o->col == 0)
            fputs("    \"", o->strings);
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            fputc(c, o->strings);
            o->col++;
        } else {
            fprintf(o->strings, "\\%03o", c);
            o->col += 4;
        }
        o->strings_len++;
        if (o->col >= 96 || !c) {
            fputs("\"\n", o->strings);
            o->col = 0;
        }
        if (!c)
            return;
    }
}

/* Node n and, after it, its subtrees; returns n's index. */
static uint32_t put_node(struct out *o, const struct ynode *n)
{
    uint32_t me = o->n_nodes++;
    uint32_t str = YEMBED_NO_STR;
    if (n->kind == YN_SCALAR) {
        str = o->strings_len;
        put_string(o, n->str ? n->str : "");
    }
    uint32_t *kids = calloc(n->nitems ? n->nitems : 1, sizeof(*kids));
    if (!kids) {
        fprintf(stderr, "vqsim-yaml-embed: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n->nitems; i++)
        kids[i] = put_node(o, n->items[i]);
    uint32_t items = o->n_items;
    for (size_t i = 0; i < n->nitems; i++) {
        o->n_items++;
        fprintf(o->items, "%" PRIu32 ",%s", kids[i], o->n_items % 16 ? "" : "\n");
    }
    free(kids);
    fprintf(o->nodes, "    [%" PRIu32 "] = {%d, %d, %d, %d, %" PRIu32 ", %zu, %" PRIu32 ", %zu},\n",
            me, (int)n->kind, n->plain ? 1 : 0, n->line, n->col, str, n->n, items, n->nitems);
    return me;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = 0;
        *len = (size_t)size;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static void copy_into(FILE *dst, FILE *src)
{
    char b[65536];
    size_t k;
    rewind(src);
    while ((k = fread(b, 1, sizeof(b), src)) > 0)
        fwrite(b, 1, k, dst);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: vqsim-yaml-embed IN.yaml OUT.c SYMBOL NAME\n");
        return 2;
    }
    size_t len = 0;
    char *text = slurp(argv[1], &len), err[300];
    if (!text) {
        fprintf(stderr, "vqsim-yaml-embed: cannot read %s\n", argv[1]);
        return 1;
    }
    struct ynode *root = ytree_parse(text, len, err, sizeof(err));
    free(text);
    if (!root) {
        fprintf(stderr, "%s:%s\n", argv[4], err);
        return 1;
    }
    struct out o = {tmpfile(), tmpfile(), tmpfile(), 0, 0, 0, 0};
    FILE *f = fopen(argv[2], "w");
    if (!o.nodes || !o.items || !o.strings || !f) {
        fprintf(stderr, "vqsim-yaml-embed: cannot write %s\n", argv[2]);
        return 1;
    }
    put_node(&o, root);
    ytree_free(root);
    fprintf(f, "/* generated from %s by tools/yaml_embed.c: do not edit */\n"
               "#include \"util/yaml_embed.h\"\n\n"
               "static const struct yembed_node nodes[%" PRIu32 "] = {\n", argv[4], o.n_nodes);
    copy_into(f, o.nodes);
    fprintf(f, "};\n\nstatic const uint32_t items[%" PRIu32 "] = {\n", o.n_items ? o.n_items : 1);
    copy_into(f, o.items);
    fprintf(f, "%s};\n\nstatic const char strings[%" PRIu32 "] =\n", o.n_items ? "\n" : "0\n",
            o.strings_len);
    copy_into(f, o.strings);
    fprintf(f, ";\n\nconst struct yembed %s = {\"%s\", nodes, %" PRIu32 ", items, %" PRIu32
               ", strings, %" PRIu32 "};\n", argv[3], argv[4], o.n_nodes, o.n_items,
            o.strings_len);
    return fclose(f) == 0 ? 0 : 1;
}
