/* chain.c — see chain.h. */
#include "model/rings/chain.h"

#include <stdlib.h>
#include <string.h>

#include "model/machine.h"

bool sr_batch_add(struct sr_batch *b, const struct sr_chain *c)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        struct sr_batch_chain *ch = realloc(b->chains, cap * sizeof(*ch));
        if (!ch)
            return false;
        b->chains = ch;
        b->cap = cap;
    }
    if (b->nsegs + c->nseg > b->cap_segs) {
        uint32_t cap = b->cap_segs ? 2 * b->cap_segs : 64;
        while (cap < b->nsegs + c->nseg)
            cap *= 2;
        struct sr_seg *segs = realloc(b->segs, cap * sizeof(*segs));
        if (!segs)
            return false;
        b->segs = segs;
        b->cap_segs = cap;
    }
    b->chains[b->n++] = (struct sr_batch_chain){c->head, c->indirect, c->table, c->table_len,
                                                c->readable, c->writable, b->nsegs, c->nseg};
    memcpy(b->segs + b->nsegs, c->seg, c->nseg * sizeof(*c->seg));
    b->nsegs += c->nseg;
    return true;
}

void sr_batch_get(const struct sr_batch *b, uint32_t i, struct sr_chain *c)
{
    const struct sr_batch_chain *h = &b->chains[i];
    c->head = h->head;
    c->indirect = h->indirect;
    c->table = h->table;
    c->table_len = h->table_len;
    c->readable = h->readable;
    c->writable = h->writable;
    c->nseg = h->nseg;
    memcpy(c->seg, b->segs + h->first_seg, h->nseg * sizeof(*c->seg));
}

void sr_batch_free(struct sr_batch *b)
{
    free(b->chains);
    free(b->segs);
    memset(b, 0, sizeof(*b));
}

/* sr_read buffer by buffer (out of line: sr_read settles the usual request in a small frame). */
__attribute__((noinline)) static size_t read_segs(struct machine *m, const struct sr_chain *c,
                                                  size_t offset, void *dst, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (s->write)
            continue;
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        size_t n = s->len - offset < len - done ? s->len - offset : len - done;
        const void *src = gm_ptr(&m->mem, s->gpa + offset, n);
        if (!src)
            break;
        memcpy((uint8_t *)dst + done, src, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len)
{
    /* The usual request: its first buffer is readable, in RAM, and holds all that is read (the
     * walk would read the same bytes from it alone). */
    const struct sr_seg *s0 = &c->seg[0];
    if (c->nseg && !s0->write && offset < s0->len && len <= s0->len - offset) {
        const void *src = gm_ptr(&m->mem, s0->gpa + offset, len);
        if (src) {
            memcpy(dst, src, len);
            return len;
        }
    }
    return read_segs(m, c, offset, dst, len);
}

size_t sr_write(struct machine *m, const struct sr_chain *c, const void *src, size_t len)
{
    size_t done = 0;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        size_t n = s->len < len - done ? s->len : len - done;
        void *d = gm_ptr(&m->mem, s->gpa, n);
        if (!d)
            break;
        memcpy(d, (const uint8_t *)src + done, n);
        done += n;
    }
    return done;
}

size_t sr_write_at(struct machine *m, const struct sr_chain *c, size_t offset, const void *src,
                   size_t len)
{
    size_t done = 0, skip = offset;
    for (uint32_t i = 0; i < c->nseg && done < len; i++) {
        const struct sr_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        if (skip >= s->len) {
            skip -= s->len;
            continue;
        }
        size_t n = s->len - skip < len - done ? s->len - skip : len - done;
        void *d = gm_ptr(&m->mem, s->gpa + skip, n);
        if (!d)
            break;
        memcpy(d, (const uint8_t *)src + done, n);
        done += n;
        skip = 0;
    }
    return done;
}
