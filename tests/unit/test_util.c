/* test_util.c — sha256 (FIPS 180-4 vectors), rgb_rows (the byte shuffle against the definition),
 * yaml_tree (positions, errors, scalars) and json_writer (exact output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_fixture.h"
#include "util/json_writer.h"
#include "util/rgb_rows.h"
#include "util/sha256.h"
#include "util/stream_copy.h"
#include "util/text_wrap.h"
#include "util/yaml_tree.h"

/* ---- sha256 ------------------------------------------------------------------------------- */

static void hash_hex(const void *data, size_t len, char out[65])
{
    struct sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, d);
    sha256_hex(d, out);
}

static void test_sha256_fips_vectors(void **state)
{
    (void)state;
    char hex[65];
    hash_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m448), 56);
    hash_hex(m448, 56, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                               "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(m896), 112);
    hash_hex(m896, 112, hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a(void **state)
{
    (void)state;
    /* in uneven pieces, so buffered and whole-block paths mix */
    static char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    struct sha256 s;
    uint8_t d[32];
    char hex[65];
    sha256_init(&s);
    size_t left = 1000000, step = 1;
    while (left) {
        size_t n = step < left ? step : left;
        if (n > sizeof(chunk))
            n = sizeof(chunk);
        sha256_update(&s, chunk, n);
        left -= n;
        step = step * 7 % 997 + 1;
    }
    sha256_final(&s, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* and in one piece */
    char *all = malloc(1000000);
    assert_non_null(all);
    memset(all, 'a', 1000000);
    hash_hex(all, 1000000, hex);
    free(all);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    char a[128];
    memset(a, 'a', sizeof(a));
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char hex[65];
        hash_hex(a, v[i].n, hex);
        assert_string_equal(hex, v[i].hex);
        /* byte by byte gives the same */
        struct sha256 s;
        uint8_t d[32];
        sha256_init(&s);
        for (size_t k = 0; k < v[i].n; k++)
            sha256_update(&s, a + k, 1);
        sha256_final(&s, d);
        sha256_hex(d, hex);
        assert_string_equal(hex, v[i].hex);
    }
}

/* The same vectors on the portable code when the CPU's SHA instructions would be used, and
 * both paths agree on every length around the block size and on a display-sized buffer. */
static void test_sha256_portable_path(void **state)
{
    sha256_force_portable(true);
    char hex[65];
    hash_hex("abc", 3, hex); /* FIPS 180-4 example: one block, on the portable rounds */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    test_sha256_fips_vectors(state);
    test_sha256_million_a(state);
    test_sha256_padding_boundaries(state);
    sha256_force_portable(false);
}

static void test_sha256_paths_agree(void **state)
{
    (void)state;
    size_t big = 640 * 480 * 3 + 17;
    uint8_t *buf = malloc(big);
    assert_non_null(buf);
    uint32_t x = 12345;
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    size_t lens[300];
    for (size_t i = 0; i < 299; i++)
        lens[i] = i;
    lens[299] = big;
    for (size_t i = 0; i < 300; i++) {
        char fast[65], slow[65];
        hash_hex(buf, lens[i], fast);
        sha256_force_portable(true);
        hash_hex(buf, lens[i], slow);
        sha256_force_portable(false);
        assert_string_equal(fast, slow);
    }
    free(buf);
}

/* ---- rgb_rows ------------------------------------------------------------------------------- */

/* rgb_row_fast against its definition, out[3i + k] = src[4i + pos[k]]: the four byte orders of
 * virtio-gpu's formats and an odd one, every length across a few 16-pixel groups, from and to
 * unaligned addresses; not a byte written past 3n. On a CPU without SSSE3 it says no. */
static void test_rgb_rows_fast_is_exact(void **state)
{
    (void)state;
    static const uint8_t orders[][3] = {{2, 1, 0}, {1, 2, 3}, {0, 1, 2}, {3, 2, 1}, {3, 0, 3}};
    uint8_t src[4 * 80 + 3], out[3 * 80 + 16], want[3 * 80 + 16];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++)
        for (uint32_t n = 0; n <= 70; n++)
            for (size_t mis = 0; mis < 4; mis += 3) {
                memset(out, 0xee, sizeof(out));
                memset(want, 0xee, sizeof(want));
                for (uint32_t i = 0; i < n; i++)
                    for (int k = 0; k < 3; k++)
                        want[mis + 3 * i + k] = src[mis + 4 * i + orders[o][k]];
                if (!rgb_row_fast(src + mis, out + mis, n, orders[o]))
                    skip(); /* no SSSE3 here: gpu_present converts byte by byte */
                assert_memory_equal(out, want, sizeof(out));
            }
    rgb_rows_force_portable(true);
    assert_false(rgb_row_fast(src, out, 16, orders[0]));
    rgb_rows_force_portable(false);
}

/* ---- yaml_tree ------------------------------------------------------------------------------ */

static struct ynode *parse_ok(const char *text)
{
    char err[256] = "";
    struct ynode *root = ytree_parse(text, strlen(text), err, sizeof(err));
    if (!root)
        fail_msg("unexpected parse error: %s", err);
    return root;
}

static void expect_parse_error(const char *text, const char *want)
{
    char err[256];
    memset(err, 'X', sizeof(err));
    struct ynode *root = ytree_parse(text, strlen(text), err, sizeof(err));
    if (root) {
        ytree_free(root);
        fail_msg("'%s' parsed, but should fail with '%s'", text, want);
    }
    assert_string_equal(err, want);
}

static void assert_pos(const struct ynode *n, int line, int col)
{
    assert_non_null(n);
    if (n->line != line || n->col != col)
        fail_msg("node '%s' at %d:%d, want %d:%d", n->str ? n->str : "(collection)", n->line,
                 n->col, line, col);
}

static void test_yaml_positions(void **state)
{
    (void)state;
    struct ynode *root = parse_ok("a: 1\n"
                                  "b:\n"
                                  "  - x\n"
                                  "  - {c: \"d\", e: [1, 2]}\n"
                                  "f: 'q'\n");
    assert_int_equal(root->kind, YN_MAP);
    assert_int_equal(root->n, 3);
    assert_pos(root, 1, 1);
    assert_pos(ymap_key(root, 0), 1, 1);
    assert_string_equal(ymap_key(root, 0)->str, "a");
    const struct ynode *a = ymap_get(root, "a");
    assert_pos(a, 1, 4);
    assert_string_equal(a->str, "1");
    assert_true(a->plain);
    assert_pos(ymap_key(root, 1), 2, 1);
    const struct ynode *b = ymap_get(root, "b");
    assert_int_equal(b->kind, YN_SEQ);
    assert_int_equal(b->n, 2);
    assert_pos(b, 3, 3);
    assert_pos(b->items[0], 3, 5);
    assert_string_equal(b->items[0]->str, "x");
    const struct ynode *fm = b->items[1];
    assert_int_equal(fm->kind, YN_MAP);
    assert_pos(fm, 4, 5);
    assert_pos(ymap_key(fm, 0), 4, 6);
    const struct ynode *d = ymap_get(fm, "c");
    assert_pos(d, 4, 9);
    assert_string_equal(d->str, "d");
    assert_false(d->plain);
    assert_pos(ymap_key(fm, 1), 4, 14);
    const struct ynode *e = ymap_get(fm, "e");
    assert_int_equal(e->kind, YN_SEQ);
    assert_pos(e, 4, 17);
    assert_pos(e->items[1], 4, 21);
    assert_string_equal(e->items[1]->str, "2");
    const struct ynode *f = ymap_get(root, "f");
    assert_pos(f, 5, 4);
    assert_false(f->plain);
    assert_null(ymap_get(root, "zz"));
    assert_null(ymap_get(b, "x")); /* not a map */
    assert_null(ymap_get(NULL, "x"));
    ytree_free(root);
}

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_parse_error("a: 1\nb: 2\na: 3\n", "3:1: duplicate key 'a'");
    expect_parse_error("top:\n  k: 1\n  j: 2\n  k: 3\n", "4:3: duplicate key 'k'");
    expect_parse_error("{x: 1, x: 2}", "1:8: duplicate key 'x'");
    expect_parse_error("a: &anchor 1\nb: *anchor\n", "2:4: aliases are not supported in vqsim files");
    expect_parse_error("- &a [1]\n- *a\n", "2:3: aliases are not supported in vqsim files");
    expect_parse_error("? [a, b]\n: 1\n", "1:3: mapping keys must be scalars");
    expect_parse_error("", "1:1: empty document");
    expect_parse_error("# only a comment\n", "1:1: empty document");
    expect_parse_error("a: 1\n---\nb: 2\n", "3:1: only one YAML document per file");
    /* syntax errors carry libyaml's position and problem */
    char err[256] = "";
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_null(ytree_parse(bad, strlen(bad), err, sizeof(err)));
    int line = 0, col = 0, used = 0;
    assert_int_equal(sscanf(err, "%d:%d: %n", &line, &col, &used), 2);
    assert_true(line >= 2);
    assert_true(col >= 1);
    assert_true(used > 0 && err[used] != 0);
    assert_non_null(strstr(err, "expected"));
    err[0] = 0;
    bad = "a: b: c\n";
    assert_null(ytree_parse(bad, strlen(bad), err, sizeof(err)));
    assert_int_equal(sscanf(err, "%d:%d:", &line, &col), 2);
    assert_int_equal(line, 1);
    /* too deep */
    char deep[200];
    memset(deep, '[', 80);
    memset(deep + 80, ']', 80);
    deep[160] = 0;
    assert_null(ytree_parse(deep, 160, err, sizeof(err)));
    assert_non_null(strstr(err, "nesting too deep"));
    assert_int_equal(strncmp(err, "1:", 2), 0);
    /* 60 levels are fine */
    memset(deep, '[', 60);
    memset(deep + 60, ']', 60);
    struct ynode *ok = ytree_parse(deep, 120, err, sizeof(err));
    assert_non_null(ok);
    ytree_free(ok);
    /* a truncated buffer (not NUL-terminated where it ends) */
    const char *txt = "a: 1\nb: [x";
    assert_null(ytree_parse(txt, strlen(txt), err, sizeof(err)));
    assert_true(err[0] != 0);
}

static struct ynode scalar(const char *s, bool plain)
{
    struct ynode n;
    memset(&n, 0, sizeof(n));
    n.kind = YN_SCALAR;
    n.str = (char *)s;
    n.plain = plain;
    n.line = n.col = 1;
    return n;
}

/* A tree over many arena blocks (yaml_tree.c): 3,000 pairs, a 20,000-byte scalar (a block of
 * its own), nested sequences; every node where it belongs, freed at once (ASan: no leak). */
static void test_yaml_big_tree(void **state)
{
    (void)state;
    size_t cap = 200000, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d: [%d, [x%d]]\n", i, i, i);
    len += (size_t)snprintf(text + len, cap - len, "long: ");
    memset(text + len, 'z', 20000);
    len += 20000;
    text[len++] = '\n';
    char err[256];
    struct ynode *root = ytree_parse(text, len, err, sizeof(err));
    assert_non_null(root);
    assert_int_equal(root->kind, YN_MAP);
    assert_int_equal(root->n, 3001);
    assert_int_equal(root->nitems, 6002);
    for (int i = 0; i < 3000; i += 7) {
        char key[16], want[16];
        snprintf(key, sizeof(key), "k%d", i);
        const struct ynode *v = ymap_get(root, key);
        assert_non_null(v);
        assert_int_equal(v->kind, YN_SEQ);
        assert_int_equal(v->n, 2);
        snprintf(want, sizeof(want), "%d", i);
        assert_string_equal(v->items[0]->str, want);
        snprintf(want, sizeof(want), "x%d", i);
        assert_string_equal(v->items[1]->items[0]->str, want);
        assert_int_equal(v->items[1]->items[0]->line, i + 1);
    }
    const struct ynode *l = ymap_get(root, "long");
    assert_non_null(l);
    assert_int_equal(strlen(l->str), 20000);
    assert_int_equal(l->str[19999], 'z');
    ytree_free(root);
    /* the same text with a duplicate key at the end: refused, what was made freed */
    len += (size_t)snprintf(text + len, cap - len, "k5: 1\n");
    assert_null(ytree_parse(text, len, err, sizeof(err)));
    assert_non_null(strstr(err, "duplicate key 'k5'"));
    free(text);
}

static void test_yaml_scalar_u64(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        uint64_t v;
    } v[] = {
        {"0", true, 0},
        {"42", true, 42},
        {"1_000_000", true, 1000000},
        {"0x10", true, 16},
        {"0X1f", true, 31},
        {"0xdead_BEEF", true, 0xdeadbeef},
        {"0x4000_0000", true, 0x40000000},
        {"18446744073709551615", true, UINT64_MAX},
        {"0xffffffffffffffff", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"99999999999999999999", false, 0},
        {"0x10000000000000000", false, 0},
        {"", false, 0},
        {"_", false, 0},
        {"0x", false, 0},
        {"0x_", false, 0},
        {"-1", false, 0},
        {"+1", false, 0},
        {"12a", false, 0},
        {"1.5", false, 0},
        {"1e3", false, 0},
        {" 1", false, 0},
        {"0xg", false, 0},
        {"abc", false, 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct ynode n = scalar(v[i].s, true);
        uint64_t out = 0x5a5a;
        bool ok = yscalar_u64(&n, &out);
        if (ok != v[i].ok)
            fail_msg("yscalar_u64('%s') = %d, want %d", v[i].s, ok, v[i].ok);
        if (ok)
            assert_int_equal(out, v[i].v);
        else
            assert_int_equal(out, 0x5a5a); /* untouched on failure */
    }
    uint64_t out;
    assert_false(yscalar_u64(NULL, &out));
    /* a collection is not a number */
    struct ynode *root = parse_ok("[1]");
    assert_false(yscalar_u64(root, &out));
    assert_true(yscalar_u64(root->items[0], &out));
    assert_int_equal(out, 1);
    ytree_free(root);
}

static void test_yaml_scalar_bool_null(void **state)
{
    (void)state;
    bool b = false;
    struct ynode n = scalar("true", true);
    assert_true(yscalar_bool(&n, &b));
    assert_true(b);
    n = scalar("off", true);
    assert_true(yscalar_bool(&n, &b));
    assert_false(b);
    n = scalar("maybe", true);
    assert_false(yscalar_bool(&n, &b));
    n = scalar("null", true);
    assert_true(yscalar_is_null(&n));
    n = scalar("~", true);
    assert_true(yscalar_is_null(&n));
    n = scalar("", true);
    assert_true(yscalar_is_null(&n));
    n = scalar("null", false); /* "null" quoted is a string */
    assert_false(yscalar_is_null(&n));
    assert_false(yscalar_is_null(NULL));
    struct ynode *root = parse_ok("a:\nb: \"\"\n");
    assert_true(yscalar_is_null(ymap_get(root, "a")));
    assert_false(yscalar_is_null(ymap_get(root, "b")));
    ytree_free(root);
}

/* ---- json_writer ------------------------------------------------------------------------------ */

static void test_json_writer_exact(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct jw w;
    jw_init(&w, f);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", "a\"b\\c\n\t\r\x01\x1f \x7f/");
    jw_ku64(&w, "n", UINT64_MAX);
    jw_key(&w, "neg");
    jw_i64(&w, -42);
    jw_kbool(&w, "ok", true);
    jw_kbool(&w, "no", false);
    jw_khex(&w, "addr", 0x40100000);
    jw_key(&w, "list");
    jw_arr_begin(&w);
    jw_u64(&w, 1);
    jw_str(&w, NULL);
    jw_obj_begin(&w);
    jw_kstr(&w, "k", "v");
    jw_obj_end(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_hex(&w, 0);
    jw_arr_end(&w);
    jw_key(&w, "empty");
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_key(&w, "z");
    jw_null(&w);
    jw_obj_end(&w);
    assert_int_equal(fclose(f), 0);
    static const char want[] = "{\n"
                               "  \"name\": \"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f \x7f/\",\n"
                               "  \"n\": 18446744073709551615,\n"
                               "  \"neg\": -42,\n"
                               "  \"ok\": true,\n"
                               "  \"no\": false,\n"
                               "  \"addr\": \"0x40100000\",\n"
                               "  \"list\": [\n"
                               "    1,\n"
                               "    null,\n"
                               "    {\n"
                               "      \"k\": \"v\"\n"
                               "    },\n"
                               "    [],\n"
                               "    \"0x0\"\n"
                               "  ],\n"
                               "  \"empty\": {},\n"
                               "  \"z\": null\n"
                               "}\n";
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    free(buf);
}

static void test_json_writer_top_level_array(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct jw w;
    jw_init(&w, f);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_obj_begin(&w);
    jw_key(&w, "a");
    jw_arr_begin(&w);
    jw_str(&w, "");
    jw_arr_end(&w);
    jw_obj_end(&w);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, "[]\n{\n  \"a\": [\n    \"\"\n  ]\n}\n");
    free(buf);
}

/* Wrap into a memory stream and return what was printed (static buffer). */
static const char *wrapped(const char *lead, const char *text, int width, int indent, bool space)
{
    static char buf[512];
    memset(buf, 0, sizeof(buf));
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(f);
    fputs(lead, f);
    text_wrap(f, text, width, (int)strlen(lead), indent, space);
    fclose(f);
    return buf;
}

static void test_text_wrap(void **state)
{
    (void)state;
    /* After a label, set off by a space; later lines indented; folded white space is one space. */
    assert_string_equal(wrapped("cause:", "the device\n  never   answered at all", 20, 2, true),
                        "cause: the device\n  never answered at\n  all\n");
    /* A padded label takes no extra space; a one-letter first word keeps its space after it. */
    assert_string_equal(wrapped("", "- a b", 20, 2, false), "- a b\n");
    assert_string_equal(wrapped("name        ", "x", 20, 12, false), "name        x\n");
    /* A word longer than the line is printed whole on its own line. */
    assert_string_equal(wrapped("", "ab 0123456789abcdef", 10, 0, false), "ab\n0123456789abcdef\n");
    assert_string_equal(wrapped("", "", 10, 0, false), "\n");
}

/* stream_copy is memcpy: every byte, from any alignment of either side, for sizes below, at and
 * above STREAM_COPY_MIN (the streaming path), and not one byte past the end. */
static void test_stream_copy_exact(void **state)
{
    (void)state;
    size_t cap = STREAM_COPY_MIN + 4096;
    uint8_t *src = malloc(cap), *dst = malloc(cap + 64);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < cap; i++)
        src[i] = (uint8_t)(i * 131 + (i >> 9));
    const size_t sizes[] = {0, 1, 63, 4096, STREAM_COPY_MIN - 1, STREAM_COPY_MIN,
                            STREAM_COPY_MIN + 1, STREAM_COPY_MIN + 4000};
    for (unsigned d = 0; d < 3; d++)
        for (unsigned so = 0; so < 3; so++)
            for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                size_t n = sizes[k], doff = d * 7, soff = so * 5;
                if (n + soff > cap)
                    continue;
                memset(dst, 0xee, cap + 64);
                stream_copy(dst + doff, src + soff, n);
                assert_memory_equal(dst + doff, src + soff, n);
                for (size_t i = 0; i < doff; i++)
                    assert_int_equal(dst[i], 0xee);
                for (size_t i = doff + n; i < doff + n + 32; i++)
                    assert_int_equal(dst[i], 0xee);
            }
    free(src);
    free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips_vectors),
        cmocka_unit_test(test_sha256_million_a),
        cmocka_unit_test(test_sha256_padding_boundaries),
        cmocka_unit_test(test_sha256_portable_path),
        cmocka_unit_test(test_sha256_paths_agree),
        cmocka_unit_test(test_rgb_rows_fast_is_exact),
        cmocka_unit_test(test_stream_copy_exact),
        cmocka_unit_test(test_yaml_positions),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_yaml_big_tree),
        cmocka_unit_test(test_yaml_scalar_u64),
        cmocka_unit_test(test_yaml_scalar_bool_null),
        cmocka_unit_test(test_json_writer_exact),
        cmocka_unit_test(test_json_writer_top_level_array),
        cmocka_unit_test(test_text_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
