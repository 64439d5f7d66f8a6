/* ring_map.h — the queues' split rings as one flat list of areas, built when their layout
 * changes, so locating a checked ring access (ring_at.h) looks at each area once instead of
 * deriving every queue's three areas again on every access.
 *
 * Answers are ring_at_locate's, always: the map is rebuilt whenever the layout generation
 * (ring_layout_touch, ring.h: every change of a queue's areas, size, liveness, registers or
 * format bumps it) differs from the one it was built at; and when two areas overlap (a driver
 * whose queues share memory), the first queue in queue order must win, so the lookup gives the
 * access to ring_at_locate itself. Builds with assertions (the test build) compute both answers
 * for every access and assert they agree.
 */
#ifndef RING_MAP_H
#define RING_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"
#include "model/rings/ring_at.h"

/* One area of one queue's split ring, where ring_at_locate looks for it: the live ring's, or
 * for a ring not live yet, where its registers say so far. What an access there locates is
 * precomputed: the entries' end and width, and what a live ring adds (publish, next). */
struct ring_map_area {
    uint64_t lo, len;     /* gpa in [lo, lo + len) */
    uint64_t entries_end; /* driver / device area: offset of the field after the entries */
    uint32_t publish;     /* a live driver area: bit qi (its idx is what publishes), else 0 */
    uint8_t qi, kind;     /* kind: RING_DESC, RING_DRIVER, RING_DEVICE */
    uint8_t shift;        /* log2 of an entry's size: 4 descriptor, 1 avail slot, 3 used element */
    bool next;            /* a live descriptor table (a desc.next store is a fact the run keeps) */
    bool live;            /* the queue's live ring (not its registers so far) */
    bool ram;             /* wholly inside the RAM the map was told of (ring_map_set_ram): an
                           * access there may be found from its host pointer (ring_map_gpa) */
    uint8_t succ;         /* the area looked at after this one misses: the same queue's next
                           * area (desc, driver, device, desc…), where a round trip goes next */
};

struct ring_map {
    bool built;
    bool overlap;         /* two areas share bytes: ring_at_locate decides */
    uint32_t gen;         /* the layout generation it was built at */
    uint64_t fast_gen;    /* gen + 1 when built with areas and no overlap, else 0: the lookup's
                           * one test */
    uint32_t n_areas;
    uint32_t last;        /* the area of the last hit, looked at first (accesses come in runs) */
    uint64_t ram_lo, ram_len; /* guest RAM [ram_lo, ram_lo + ram_len) (ring_map_set_ram; 0: none):
                               * which areas are `ram` at the next build */
    struct ring_map_area a[RING_AREAS * DEVICE_MAX_QUEUES];
};

/* Build the map of the n queues q[0..n) at layout generation gen (ring_map.c). */
void ring_map_build(struct ring_map *map, const struct dev_queue *q, uint32_t n, uint32_t gen);

/* Guest RAM is [lo, lo + len) (len 0: none, or unknown): the areas built from now on that lie
 * wholly inside it are marked `ram`. The map stays valid (a build reads it). */
static inline void ring_map_set_ram(struct ring_map *map, uint64_t lo, uint64_t len)
{
    map->ram_lo = lo;
    map->ram_len = len;
}

/* The gpa a host pointer p would have if it pointed into RAM (host: RAM's first byte, at gpa
 * base), without looking whether it does: unsigned arithmetic, so for p outside RAM the answer
 * is some address outside [base, base + RAM's size). An area marked `ram` lies wholly inside
 * that range, so when ring_map_find_ready finds this gpa in a `ram` area, p is in RAM and the
 * gpa is p's (gm_gpa_of's answer), at no cost of a bounds check. */
static inline uint64_t ring_map_gpa(const volatile void *p, const uint8_t *host, uint64_t base)
{
    return (uint64_t)((uintptr_t)p - (uintptr_t)host) + base;
}

/* The field of area a that holds gpa (off = gpa - a->lo < a->len), as split_locate_field; the
 * entry in *index. */
__attribute__((always_inline)) static inline enum sr_field ring_map_field(
    const struct ring_map_area *a, uint64_t off, uint32_t *index)
{
    static const uint8_t desc_field[16] = {
        SR_F_DESC_ADDR, SR_F_DESC_ADDR, SR_F_DESC_ADDR, SR_F_DESC_ADDR, SR_F_DESC_ADDR,
        SR_F_DESC_ADDR, SR_F_DESC_ADDR, SR_F_DESC_ADDR, SR_F_DESC_LEN, SR_F_DESC_LEN,
        SR_F_DESC_LEN, SR_F_DESC_LEN, SR_F_DESC_FLAGS, SR_F_DESC_FLAGS, SR_F_DESC_NEXT,
        SR_F_DESC_NEXT};
    /* per kind: flags, idx, an entry, the field after the entries */
    static const uint8_t ring_field[RING_AREAS][4] = {
        [RING_DRIVER] = {SR_F_AVAIL_FLAGS, SR_F_AVAIL_IDX, SR_F_AVAIL_RING, SR_F_AVAIL_USED_EVENT},
        [RING_DEVICE] = {SR_F_USED_FLAGS, SR_F_USED_IDX, SR_F_USED_ID, SR_F_USED_AVAIL_EVENT}};
    if (a->kind == RING_DESC) {
        *index = (uint32_t)(off >> 4);
        return (enum sr_field)desc_field[off & 15];
    }
    *index = 0;
    if (off < 4)
        return (enum sr_field)ring_field[a->kind][off >> 1];
    if (off >= a->entries_end)
        return (enum sr_field)ring_field[a->kind][3];
    *index = (uint32_t)((off - 4) >> a->shift);
    /* a used element: id, then len (SR_F_USED_LEN follows SR_F_USED_ID) */
    return (enum sr_field)(ring_field[a->kind][2] + (a->shift == 3 && ((off - 4) & 7) >= 4));
}

/* The located access in area a (off = gpa - a->lo < a->len): ring_at_locate's answer when no
 * other area holds gpa. */
__attribute__((always_inline)) static inline void ring_map_hit(const struct ring_map_area *a,
                                                               uint64_t off, uint32_t size,
                                                               struct ring_at *at)
{
    enum sr_field f = ring_map_field(a, off, &at->index);
    at->f = f;
    at->qi = a->qi;
    at->next = a->next && f == SR_F_DESC_NEXT;
    if (at->next)
        at->next_qi = a->qi, at->next_i = at->index;
    at->publish = off == 2 && size == 2 ? a->publish : 0;
}

/* The answer for an address in no area. */
static inline void ring_map_none(struct ring_at *at)
{
    at->f = SR_F_NONE;
    at->qi = at->index = 0;
    at->next = false;
    at->publish = 0;
}

/* Is the map built at gen with areas and no overlap (ring_map_find can answer)? */
static inline bool ring_map_ready(const struct ring_map *map, uint32_t gen)
{
    return map->fast_gen == (uint64_t)gen + 1;
}

/* The area that holds gpa, the map ready (ring_map_ready), with *off = gpa - lo; NULL when gpa
 * is in no area. Looks at the last hit first, then its successor (a round trip goes desc,
 * driver, device, desc…), then every area. Always inline: every checked ring access begins
 * here (hal_sim.c). */
__attribute__((always_inline)) static inline const struct ring_map_area *ring_map_find_ready(
    struct ring_map *map, uint64_t gpa, uint64_t *off)
{
    const struct ring_map_area *a = &map->a[map->last];
    if ((*off = gpa - a->lo) < a->len) /* wraps past len when gpa < lo */
        return a;
    uint32_t k = a->succ;
    a = &map->a[k];
    if ((*off = gpa - a->lo) < a->len) {
        map->last = k;
        return a;
    }
    for (k = 0; k < map->n_areas; k++) {
        a = &map->a[k];
        if ((*off = gpa - a->lo) < a->len) {
            map->last = k;
            return a;
        }
    }
    return NULL;
}

/* The same when the map is built at gen with areas and no overlap; else NULL (not built at
 * gen, overlap, no area, or gpa in none: ask ring_map_locate). */
__attribute__((always_inline)) static inline const struct ring_map_area *ring_map_find(
    struct ring_map *map, uint32_t gen, uint64_t gpa, uint64_t *off)
{
    return ring_map_ready(map, gen) ? ring_map_find_ready(map, gpa, off) : NULL;
}

/* ring_at_locate(q, n, gpa, size, at), through the map (rebuilt first if gen moved). Always
 * inline: it runs for every checked ring access. */
__attribute__((always_inline)) static inline void ring_map_locate(
    struct ring_map *map, uint32_t gen, const struct dev_queue *q, uint32_t n, uint64_t gpa,
    uint32_t size, struct ring_at *at)
{
    if (map->fast_gen != (uint64_t)gen + 1) { /* not built at gen, no areas, or overlap */
        if (!map->built || map->gen != gen)
            ring_map_build(map, q, n, gen);
        if (map->overlap) {
            ring_at_locate(q, n, gpa, size, at);
            return;
        }
        if (!map->n_areas) { /* no split ring: nothing to find */
            ring_map_none(at);
            return;
        }
    }
    /* built at gen with areas and no overlap: the one area that holds gpa is the answer */
    uint64_t off;
    const struct ring_map_area *a = ring_map_find(map, gen, gpa, &off);
    if (a)
        ring_map_hit(a, off, size, at);
    else
        ring_map_none(at);
}

#endif /* RING_MAP_H */
