/* json_writer.c — see json_writer.h. */
#include "util/json_writer.h"

#include <inttypes.h>

void jw_init(struct jw *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

/* A newline and two spaces per level, in one write (a results file is mostly indentation). */
static void indent(struct jw *w)
{
#define JW_SP16 "                "
    static const char spaces[] = "\n" JW_SP16 JW_SP16 JW_SP16 JW_SP16;
    _Static_assert(sizeof(spaces) == 2 + 2 * JW_MAX_DEPTH, "two spaces per level, and the newline");
    fwrite(spaces, 1, 1 + 2 * (size_t)w->depth, w->f);
}

/* Separator and indentation before a value or key at the current level. */
static void pre(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
    indent(w);
}

static void open(struct jw *w, char c)
{
    pre(w);
    fputc(c, w->f);
    if (w->depth + 1 < JW_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void close(struct jw *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty)
        indent(w);
    fputc(c, w->f);
    if (w->depth == 0)
        fputc('\n', w->f);
}

void jw_obj_begin(struct jw *w) { open(w, '{'); }
void jw_obj_end(struct jw *w) { close(w, '}'); }
void jw_arr_begin(struct jw *w) { open(w, '['); }
void jw_arr_end(struct jw *w) { close(w, ']'); }

static bool plain_char(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

static void raw_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const unsigned char *run = p; /* characters written as they are: in one write */
        while (plain_char(*p))
            p++;
        if (p > run)
            fwrite(run, 1, (size_t)(p - run), f);
        if (!*p)
            break;
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void jw_key(struct jw *w, const char *k)
{
    pre(w);
    raw_str(w->f, k);
    fputs(": ", w->f);
    w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
    pre(w);
    if (s)
        raw_str(w->f, s);
    else
        fputs("null", w->f);
}

/* v in decimal or (hex) lower-case hexadecimal, as printf's PRIu64 / PRIx64 write it. */
static void put_u64(FILE *f, uint64_t v, bool hex)
{
    char b[24];
    int i = sizeof(b);
    do {
        b[--i] = "0123456789abcdef"[hex ? v % 16 : v % 10];
        v = hex ? v / 16 : v / 10;
    } while (v);
    fwrite(b + i, 1, sizeof(b) - (size_t)i, f);
}

void jw_u64(struct jw *w, uint64_t v)
{
    pre(w);
    put_u64(w->f, v, false);
}

void jw_i64(struct jw *w, int64_t v)
{
    pre(w);
    fprintf(w->f, "%" PRId64, v);
}

void jw_bool(struct jw *w, bool v)
{
    pre(w);
    fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w)
{
    pre(w);
    fputs("null", w->f);
}

void jw_hex(struct jw *w, uint64_t v)
{
    pre(w);
    fwrite("\"0x", 1, 3, w->f);
    put_u64(w->f, v, true);
    fputc('"', w->f);
}

void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_ku64(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_u64(w, v); }
void jw_kbool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
void jw_khex(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_hex(w, v); }

void jw_item_writer(const struct jw *w, struct jw *item, FILE *f)
{
    *item = *w;
    item->f = f;
    item->first[item->depth] = true; /* no separator: jw_item_splice writes it */
    item->after_key = false;
}

void jw_item_splice(struct jw *w, const char *text, size_t len)
{
    if (w->depth > 0 && !w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
    fwrite(text, 1, len, w->f);
}
