/* json_writer.h — a streaming JSON writer with deterministic layout (2-space indent).
 * Keys are written in call order; strings are escaped per RFC 8259. */
#ifndef JSON_WRITER_H
#define JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
    FILE *f;
    int depth;
    bool first[JW_MAX_DEPTH];
    bool after_key;
};

void jw_init(struct jw *w, FILE *f);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);      /* NULL writes null */
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_hex(struct jw *w, uint64_t v);         /* "0x…" string */
/* key + value shorthands */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_ku64(struct jw *w, const char *k, uint64_t v);
void jw_kbool(struct jw *w, const char *k, bool v);
void jw_khex(struct jw *w, const char *k, uint64_t v);

/* One array item written elsewhere (by another process) and spliced in, byte for byte as if it
 * had been written here: jw_item_writer makes a writer on `f` for the next item at w's level;
 * jw_item_splice appends what it wrote to w as that item. */
void jw_item_writer(const struct jw *w, struct jw *item, FILE *f);
void jw_item_splice(struct jw *w, const char *text, size_t len);

#endif /* JSON_WRITER_H */
