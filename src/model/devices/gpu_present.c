/* gpu_present.c — RESOURCE_FLUSH's pixels reaching a display, converted when someone looks.
 *
 * A flush fixes what its scanout shows: the flushed rectangle of the resource as the resource
 * holds it at that moment (QEMU copies it to the display surface). Converting 2 million pixels to
 * R,G,B on every flush of a 1080p frame cost twice the transfer itself (bench/ table 2), and
 * most of those pictures are replaced by the next flush before anyone looks. So a flush only
 * records its rectangle (struct gpu_pending, clipped once), and the conversion runs when it must:
 *   - someone reads the display (gpu_scanout_pixels, gpu_display_compose: results, PNG, hash);
 *   - something would change what the recorded flush shows: the resource's pixels being written
 *     (gpu_present_before_transfer) or freed (gpu_present_resource_gone), the display being
 *     resized or written by a blob flush (gpu_present);
 *   - a later flush of the same scanout from other pixels (another resource, or the resource's
 *     after a transfer changed them) that does not cover the recorded rectangles (one that covers
 *     them replaces them: the older picture would be overwritten anyway). A flush of the same
 *     pixels, unchanged since (a console redrawing what it drew, a transfer that copied the
 *     bytes the resource held: gpu_resources.c), adds its rectangle to the recorded ones (up to
 *     GPU_PENDING_RECTS; a full list is converted), so a pixel flushed again and again is
 *     converted once.
 * A full-frame transfer into a resource a pending flush still reads does not wait for that
 * conversion: the pending flush keeps the resource's pixel buffer as it was, and the resource
 * takes a spare buffer (recycled, so a transfer + flush loop allocates nothing).
 * What each display shows is byte for byte what the eager conversion made (test_gpu_flush.c).
 */
#include <stdlib.h>
#include <string.h>

#include "model/devices/gpu_internal.h"
#include "util/rgb_rows.h"

/* One row of pixels to R,G,B; the byte positions are constants at each call site below, so the
 * compiler builds a loop per format without a per-pixel switch. */
static inline __attribute__((always_inline)) void row_to_rgb(const uint8_t *src, uint8_t *out,
                                                             uint32_t n, int pr, int pg, int pb)
{
    for (uint32_t i = 0; i < n; i++, src += 4, out += 3) {
        out[0] = src[pr];
        out[1] = src[pg];
        out[2] = src[pb];
    }
}

/* Give a buffer a pending flush owned back to resource `id` as its spare, or free it. */
static void release(struct gpu_device *g, struct gpu_pending *p)
{
    if (p->owned) {
        struct gpu_resource *r = gpu_find_res(g, p->res_id);
        if (r && !r->spare && r->pixels && p->bytes == (uint64_t)r->width * r->height * 4)
            r->spare = p->src;
        else
            free(p->src);
    }
    memset(p, 0, sizeof(*p));
}

/* Convert one pending rectangle into the display. */
static void present_rect(const struct gpu_pending *p, const struct gpu_pending_rect *q,
                         struct gpu_scanout *s)
{
    uint32_t n = q->x1 - q->x0;
    for (uint64_t y = q->y0; y < q->y1; y++) {
        const uint8_t *src = p->src + (y * p->src_width + q->x0) * 4;
        uint8_t *out = s->fb + ((y - p->org_y) * s->width + (q->x0 - p->org_x)) * 3;
        if (rgb_row_fast(src, out, n, p->pos))
            continue; /* the CPU's byte shuffle (util/rgb_rows.h) */
        switch (p->pos[0] << 4 | p->pos[1] << 2 | p->pos[2]) {
        case 2 << 4 | 1 << 2 | 0: row_to_rgb(src, out, n, 2, 1, 0); break; /* B8G8R8X8 / A8 */
        case 1 << 4 | 2 << 2 | 3: row_to_rgb(src, out, n, 1, 2, 3); break;
        case 0 << 4 | 1 << 2 | 2: row_to_rgb(src, out, n, 0, 1, 2); break;
        case 3 << 4 | 2 << 2 | 1: row_to_rgb(src, out, n, 3, 2, 1); break;
        default: row_to_rgb(src, out, n, p->pos[0], p->pos[1], p->pos[2]); break;
        }
    }
}

void gpu_present(struct gpu_device *g, struct gpu_scanout *s)
{
    struct gpu_pending *p = &s->pending;
    if (!p->src)
        return;
    for (uint32_t i = 0; i < p->n; i++)
        present_rect(p, &p->r[i], s);
    release(g, p);
}

/* Does rectangle b of pending b cover rectangle a of pending a (display coordinates)? */
static bool covers(const struct gpu_pending *pb, const struct gpu_pending_rect *b,
                   const struct gpu_pending *pa, const struct gpu_pending_rect *a)
{
    return b->x0 - pb->org_x <= a->x0 - pa->org_x && b->x1 - pb->org_x >= a->x1 - pa->org_x &&
           b->y0 - pb->org_y <= a->y0 - pa->org_y && b->y1 - pb->org_y >= a->y1 - pa->org_y;
}

/* Does the new flush n cover every rectangle pending on s? */
static bool covers_all(const struct gpu_pending *n, const struct gpu_pending *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (!covers(n, &n->r[0], p, &p->r[i]))
            return false;
    return true;
}

/* The new flush n reads the same pixels, as they are, as the flushes pending on s (their
 * pixels have not changed since: a transfer that changes them converts them first): its
 * rectangle joins theirs, converted with them when someone looks. True when it did (or another
 * rectangle already shows it); false when the list is full. */
static bool join(struct gpu_pending *p, const struct gpu_pending *n)
{
    if (p->src != n->src || p->owned || p->org_x != n->org_x || p->org_y != n->org_y ||
        p->src_width != n->src_width || memcmp(p->pos, n->pos, sizeof(p->pos)))
        return false;
    for (uint32_t i = 0; i < p->n; i++)
        if (covers(p, &p->r[i], n, &n->r[0]))
            return true; /* the same pixels already pending there */
    uint32_t k = 0;
    for (uint32_t i = 0; i < p->n; i++)
        if (!covers(n, &n->r[0], p, &p->r[i]))
            p->r[k++] = p->r[i]; /* (a rectangle the new one covers goes) */
    if (k == GPU_PENDING_RECTS) {
        p->n = k;
        return false;
    }
    p->r[k++] = n->r[0];
    p->n = k;
    return true;
}

void gpu_flush_pend(struct gpu_device *g, const struct gpu_resource *r, struct gpu_scanout *s,
                    const struct virtio_gpu_rect *f)
{
    uint8_t probe[4] = {0, 1, 2, 3};
    struct gpu_pending n = {0};
    if (!gpu_format_to_rgb(r->format, probe, n.pos))
        return;
    /* Clipped once: a pixel (x, y) lands when s->r contains it and (x - s->r.x, y - s->r.y) is
     * inside the mode. */
    uint64_t y0 = f->y > s->r.y ? f->y : s->r.y, x0 = f->x > s->r.x ? f->x : s->r.x;
    uint64_t y1 = (uint64_t)f->y + f->height, x1 = (uint64_t)f->x + f->width;
    uint64_t ylim = (uint64_t)s->r.y + (s->r.height < s->height ? s->r.height : s->height);
    uint64_t xlim = (uint64_t)s->r.x + (s->r.width < s->width ? s->r.width : s->width);
    if (y1 > ylim)
        y1 = ylim;
    if (x1 > xlim)
        x1 = xlim;
    if (y0 >= y1 || x0 >= x1)
        return;
    n.src = r->pixels;
    n.res_id = r->id;
    n.src_width = r->width;
    n.n = 1;
    n.r[0] = (struct gpu_pending_rect){.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1};
    n.org_x = s->r.x, n.org_y = s->r.y;
    if (s->pending.src && join(&s->pending, &n))
        return;
    if (s->pending.src && covers_all(&n, &s->pending))
        release(g, &s->pending); /* replaced before anyone saw it */
    else
        gpu_present(g, s);
    s->pending = n;
}

uint8_t *gpu_present_before_transfer(struct gpu_device *g, struct gpu_resource *r, bool whole)
{
    uint32_t readers = 0;
    struct gpu_scanout *reader = NULL;
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        if (g->scanouts[i].pending.src == r->pixels) {
            readers++;
            reader = &g->scanouts[i];
        }
    if (!readers)
        return NULL;
    uint64_t bytes = (uint64_t)r->width * r->height * 4;
    if (readers == 1 && whole && !r->spare)
        r->spare = malloc((size_t)bytes);
    if (readers > 1 || !whole || !r->spare) { /* convert now; the transfer writes in place */
        for (uint32_t i = 0; i < g->n_scanouts; i++)
            if (g->scanouts[i].pending.src == r->pixels)
                gpu_present(g, &g->scanouts[i]);
        return NULL;
    }
    /* The pending flush keeps the pixels as they are; the resource writes into its spare. */
    uint8_t *old = r->pixels;
    reader->pending.owned = true;
    reader->pending.bytes = bytes;
    r->pixels = r->spare;
    r->spare = NULL;
    return old;
}

void gpu_present_resource_gone(struct gpu_device *g, const struct gpu_resource *r)
{
    for (uint32_t i = 0; i < g->n_scanouts; i++)
        if (g->scanouts[i].pending.src && g->scanouts[i].pending.src == r->pixels)
            gpu_present(g, &g->scanouts[i]);
}

void gpu_present_discard(struct gpu_scanout *s)
{
    if (s->pending.owned)
        free(s->pending.src);
    memset(&s->pending, 0, sizeof(s->pending));
}

const uint8_t *gpu_scanout_pixels(struct gpu_device *g, uint32_t scanout)
{
    if (scanout >= g->n_scanouts)
        return NULL;
    gpu_present(g, &g->scanouts[scanout]);
    return g->scanouts[scanout].fb;
}
