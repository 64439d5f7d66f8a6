/* ring_map.c — see ring_map.h. */
#include "model/rings/ring_map.h"

/* Does [lo, lo + len) lie wholly inside the RAM the map was told of (ring_map_set_ram)? */
static bool in_ram(const struct ring_map *map, uint64_t lo, uint64_t len)
{
    return map->ram_len && lo >= map->ram_lo && lo - map->ram_lo <= map->ram_len &&
           len <= map->ram_len - (lo - map->ram_lo);
}

static void add(struct ring_map *map, uint32_t qi, uint8_t kind, bool live, uint64_t lo,
                uint64_t len, uint64_t n)
{
    static const uint8_t shift[RING_AREAS] = {[RING_DESC] = 4, [RING_DRIVER] = 1,
                                              [RING_DEVICE] = 3};
    if (!len)
        return;
    map->a[map->n_areas++] = (struct ring_map_area){
        .lo = lo, .len = len, .entries_end = 4 + (n << shift[kind]),
        .publish = live && kind == RING_DRIVER ? 1u << qi : 0, .qi = (uint8_t)qi, .kind = kind,
        .shift = shift[kind], .next = live && kind == RING_DESC, .live = live, .ram = in_ram(map, lo, len)};
}

_Static_assert(RING_AREAS * DEVICE_MAX_QUEUES <= 256, "an area's successor is a uint8_t");

/* Link the areas of queue k, a[from..n_areas), in a ring (ring_map_area.succ). */
static void link_queue(struct ring_map *map, uint32_t from)
{
    for (uint32_t i = from; i < map->n_areas; i++)
        map->a[i].succ = (uint8_t)(i + 1 < map->n_areas ? i + 1 : from);
}

/* Do areas a and b share a byte? (Each is [lo, lo + len), len > 0, and may wrap.) */
static bool overlap(const struct ring_map_area *a, const struct ring_map_area *b)
{
    return b->lo - a->lo < a->len || a->lo - b->lo < b->len;
}

void ring_map_build(struct ring_map *map, const struct dev_queue *q, uint32_t n, uint32_t gen)
{
    map->built = true;
    map->gen = gen;
    map->n_areas = 0;
    map->last = 0;
    map->overlap = false;
    for (uint32_t k = 0; k < n && k < DEVICE_MAX_QUEUES; k++) {
        if (!ring_is_split(&q[k]))
            continue;
        /* as split_locate_field reads them: the live ring, or the registers so far */
        bool live = q[k].live;
        uint64_t desc = live ? q[k].desc : q[k].reg_desc;
        uint64_t avail = live ? q[k].avail : q[k].reg_driver;
        uint64_t used = live ? q[k].used : q[k].reg_device;
        uint64_t num = live ? q[k].live_num : q[k].num;
        if (live && !avail) /* it publishes at gpa 2 but locates nothing there */
            map->overlap = true;
        uint32_t from = map->n_areas;
        if (desc)
            add(map, k, RING_DESC, live, desc, 16 * num, num);
        if (avail && num)
            add(map, k, RING_DRIVER, live, avail, 6 + 2 * num, num);
        if (used && num)
            add(map, k, RING_DEVICE, live, used, 6 + 8 * num, num);
        link_queue(map, from);
    }
    if (n > DEVICE_MAX_QUEUES)
        map->overlap = true; /* more queues than the map holds: never the case (device.h) */
    for (uint32_t i = 0; i < map->n_areas; i++)
        for (uint32_t j = i + 1; j < map->n_areas; j++)
            if (overlap(&map->a[i], &map->a[j]))
                map->overlap = true;
    map->fast_gen = map->overlap || !map->n_areas ? 0 : (uint64_t)gen + 1;
}
