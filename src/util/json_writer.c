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

static void indent(struct jw *w)
{
    fputc('\n', w->f);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->f);
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

static void raw_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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

void jw_u64(struct jw *w, uint64_t v)
{
    pre(w);
    fprintf(w->f, "%" PRIu64, v);
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
    fprintf(w->f, "\"0x%" PRIx64 "\"", v);
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
