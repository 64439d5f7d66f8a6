/* The catalogue and the sections embedded at build time (util/yaml_embed.h) are the very trees
 * libyaml gives for spec/rules.yaml and spec/sections.yaml at run time: every node's kind,
 * position, text and children. And a table that lies (an index out of range) unpacks to NULL.
 * The catalogue parsed (spec/rules.h): every id of spec/rules.yaml found, a duplicate id refused
 * at its own line wherever it is (its set of seen ids grows past its first table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/rules.h"
#include "util/yaml_embed.h"

extern const struct yembed vqsim_rules_embed, vqsim_sections_embed;

static char *slurp(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", VQSIM_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* The same tree; how many nodes were compared. */
static size_t same(const struct ynode *a, const struct ynode *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->col, b->col);
    assert_int_equal(a->plain, b->plain);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nitems, b->nitems);
    if (a->kind == YN_SCALAR)
        assert_string_equal(a->str, b->str);
    else
        assert_null(b->str);
    size_t k = 1;
    for (size_t i = 0; i < a->nitems; i++)
        k += same(a->items[i], b->items[i]);
    return k;
}

static void embedded_equals_parsed(const char *file, const struct yembed *e)
{
    size_t len;
    char *text = slurp(file, &len), err[256];
    struct ynode *parsed = ytree_parse(text, len, err, sizeof(err));
    assert_non_null(parsed);
    struct ynode *embedded = yembed_tree(e);
    assert_non_null(embedded);
    assert_string_equal(e->name, file);
    assert_int_equal(same(parsed, embedded), e->n_nodes); /* every node, none left over */
    ytree_free(parsed);
    free(embedded);
    free(text);
}

static void test_rules_embedded_as_parsed(void **state)
{
    (void)state;
    embedded_equals_parsed("spec/rules.yaml", &vqsim_rules_embed);
}

static void test_sections_embedded_as_parsed(void **state)
{
    (void)state;
    embedded_equals_parsed("spec/sections.yaml", &vqsim_sections_embed);
}

/* {a: [b]}: a map, its key, a sequence, its item. */
static void test_bad_tables_refused(void **state)
{
    (void)state;
    static const char strings[] = "a\0b";
    struct yembed_node nodes[4] = {{YN_MAP, 0, 1, 1, YEMBED_NO_STR, 1, 0, 2},
                                   {YN_SCALAR, 1, 1, 2, 0, 0, 0, 0},
                                   {YN_SEQ, 0, 1, 5, YEMBED_NO_STR, 1, 2, 1},
                                   {YN_SCALAR, 1, 1, 6, 2, 0, 0, 0}};
    uint32_t items[3] = {1, 2, 3};
    struct yembed e = {"t.yaml", nodes, 4, items, 3, strings, sizeof(strings)};
    struct ynode *t = yembed_tree(&e);
    assert_non_null(t);
    assert_string_equal(ymap_get(t, "a")->items[0]->str, "b");
    free(t);
    items[2] = 4; /* a child past the nodes */
    assert_null(yembed_tree(&e));
    items[2] = 0; /* the root as a child: a cycle */
    assert_null(yembed_tree(&e));
    items[2] = 3;
    nodes[3].str = sizeof(strings); /* text past the strings */
    assert_null(yembed_tree(&e));
    nodes[3].str = 2;
    nodes[2].nitems = 2; /* more children than its n, past the items */
    assert_null(yembed_tree(&e));
}

/* rules: N rules r0 … r{N-1}, rule `dup` (when < N) named as rule `of` */
static int parse_rules(unsigned n, unsigned dup, unsigned of, char *err, size_t errlen,
                       struct rule_catalogue *c)
{
    char *y = malloc(64 * (size_t)n + 16), *p = y;
    assert_non_null(y);
    p += sprintf(p, "rules:\n");
    for (unsigned i = 0; i < n; i++)
        p += sprintf(p, "  - id: r%u\n    section: \"2.%u\"\n", i == dup ? of : i, i);
    int rc = rules_parse(c, y, (size_t)(p - y), "t.yaml", err, errlen);
    free(y);
    return rc;
}

static void test_rule_ids(void **state)
{
    (void)state;
    char err[256] = "";
    struct rule_catalogue c;
    assert_int_equal(parse_rules(100, 100, 0, err, sizeof(err), &c), 0);
    assert_int_equal(c.n, 100);
    for (unsigned i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof(id), "r%u", i);
        assert_non_null(rules_find(&c, id));
    }
    rules_free(&c);
    /* rule 77 (line 2 + 2 * 77) named r3, rule 99 named r98: the first duplicate is reported */
    assert_int_equal(parse_rules(100, 77, 3, err, sizeof(err), &c), -1);
    assert_non_null(strstr(err, "t.yaml:156:"));
    assert_non_null(strstr(err, "duplicate rule id"));
    assert_int_equal(parse_rules(100, 99, 98, err, sizeof(err), &c), -1);
    assert_non_null(strstr(err, "t.yaml:200:"));
    /* the built-in catalogue: every id once */
    const struct rule_catalogue *b = rules_builtin(err, sizeof(err));
    assert_non_null(b);
    for (size_t i = 0; i < b->n; i++)
        assert_ptr_equal(rules_find(b, b->rules[i].id), &b->rules[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_embedded_as_parsed),
        cmocka_unit_test(test_sections_embedded_as_parsed),
        cmocka_unit_test(test_bad_tables_refused),
        cmocka_unit_test(test_rule_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
