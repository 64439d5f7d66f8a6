/* split_ring.c — see split_ring.h. Rule ids are those of spec/rules.yaml. */
#include "model/rings/split_ring.h"

#include <stdio.h>
#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/indirect.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/ring_locate.h"
#include "model/rings/split_hot.h"
#include "spec/virtio_spec.h"

/* ---- configure ------------------------------------------------------------------------------- */

/* What QEMU maps when the ring goes live: the avail and used rings without their event fields. */
uint64_t split_area_bytes(enum ring_area a, uint32_t n)
{
    return a == RING_DESC ? VIRTQ_DESC_BYTES(n) : a == RING_DRIVER ? 4u + 2ull * n : 4u + 8ull * n;
}

static const char *const area_name[RING_AREAS] = {"descriptor table", "available ring",
                                                  "used ring"};

/* §2.6.1 (QEMU does not check it): 16/2/4 alignment, as the setters found it. */
static void report_alignment(const struct dev_queue *q, const enum ring_err align[RING_AREAS])
{
    static const char *const bytes[RING_AREAS] = {"16-byte", "2-byte", "4-byte"};
    const uint64_t at[RING_AREAS] = {q->desc, q->avail, q->used};
    for (int a = 0; a < RING_AREAS; a++)
        if (align[a] == RING_E_ALIGN)
            ring_finding(q, RING_VIOLATION, "split.align",
                         "queue %u: %s at 0x%llx is not %s aligned", q->index, area_name[a],
                         (unsigned long long)at[a], bytes[a]);
}

/* QEMU maps the three areas when the ring goes live; failure is fatal ("Cannot map …"). */
static enum ring_err map_areas(struct dev_queue *q)
{
    const uint64_t at[RING_AREAS] = {q->desc, q->avail, q->used};
    const struct guest_memory *mem = q->env->mem;
    for (int a = 0; a < RING_AREAS; a++) {
        uint64_t len = split_area_bytes(a, q->live_num);
        if (ring_area_in_ram(q, a) != RING_OK) {
            if (ring_ev_outside_ram(q, area_name[a], at[a], len))
                return RING_E_REFUSED;
            ring_finding(q, RING_BREAK, "split.rings-in-ram",
                         "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM [0x%llx, "
                         "0x%llx)", q->index, area_name[a], (unsigned long long)at[a],
                         (unsigned long long)len, (unsigned long long)mem->base,
                         (unsigned long long)(mem->base + mem->size));
            return RING_E_NOT_IN_RAM;
        }
    }
    return RING_OK;
}

/* The ring as the driver set it up (QEMU takes it as written: virtio_queue_set_rings), checked
 * by the setters; the device uses it once it is mapped. */
enum ring_err split_configure(struct dev_queue *q, uint32_t n, const uint64_t at[RING_AREAS])
{
    enum ring_err align[RING_AREAS];
    for (int a = 0; a < RING_AREAS; a++)
        align[a] = ring_set_area(q, a, at[a]);
    enum ring_err size = ring_set_size(q, n);
    q->desc_host = q->avail_host = q->used_host = NULL;
    q->live = at[RING_DESC] != 0 && n != 0;
    if (!q->live)
        return RING_E_UNSET;
    ring_ev_configured(q);
    report_alignment(q, align);
    /* §2.6: Queue Size is a power of 2 (descriptive; QEMU accepts others). */
    if (size == RING_E_SIZE_POW2)
        ring_finding(q, RING_VIOLATION, "split.queue-size-pow2",
                     "queue %u: size %u is not a power of 2", q->index, n);
    enum ring_err r = map_areas(q);
    if (r != RING_OK) {
        q->live = false;
        return r;
    }
    q->desc_host = gm_ptr(q->env->mem, q->desc, split_area_bytes(RING_DESC, n));
    q->avail_host = gm_ptr(q->env->mem, q->avail, split_area_bytes(RING_DRIVER, n));
    q->used_host = gm_ptr(q->env->mem, q->used, split_area_bytes(RING_DEVICE, n));
    ring_ev_live(q);
    return RING_OK;
}

/* ---- pop ------------------------------------------------------------------------------------- */

void split_read_desc(const struct guest_memory *mem, uint64_t table, uint32_t i,
                     struct sr_desc *d)
{
    split_hot_read_desc(mem, table, i, d);
}

enum ring_err split_take_desc(struct dev_queue *q, struct sr_chain *c, uint32_t i,
                              const struct sr_desc *d, const char *where)
{
    return split_hot_take_desc(q, c, i, d, where);
}

/* avail.idx was read more than the queue size ahead of the device's index: which rule that
 * breaks (split_queue_full reports it as what stops the device). Out of line: rare. */
void split_avail_idx_jumped(struct dev_queue *q, uint16_t avail_idx, uint16_t pending)
{
    uint32_t qi = q->index;
    uint16_t behind = (uint16_t)(q->last_avail_idx - avail_idx);
    if (ring_ev_kept_index(q)) {
        /* The driver set the queue up again without a reset: its new ring starts from 0 while the
         * device kept its index (init.step1-reset said so; the break below says what follows). */
        q->idx_rule = "init.step1-reset";
    } else if (behind < 0x8000u) {
        /* §2.6.6.1: idx went back past entries the device already took: "unexposing". */
        q->idx_rule = "split.avail.idx-no-decrement";
        ring_finding(q, RING_VIOLATION, "split.avail.idx-no-decrement",
                     "queue %u: avail.idx went back to %u after the device had taken entries up "
                     "to %u", qi, avail_idx, q->last_avail_idx);
    } else {
        q->idx_rule = "split.avail.idx-jump";
        ring_finding(q, RING_VIOLATION, "split.avail.idx-jump",
                     "queue %u: avail.idx moved from %u to %u, %u entries ahead of a queue of %u",
                     qi, q->last_avail_idx, avail_idx, pending, q->live_num);
    }
}

/* The device holds a queue's worth of requests and is offered more: QEMU's "Virtqueue size
 * exceeded". */
enum ring_err split_queue_full(struct dev_queue *q)
{
    uint32_t qi = q->index;
    uint16_t avail_idx = q->shadow_avail_idx;
    if (q->idx_rule) /* the rule was reported when the device read avail.idx */
        ring_finding(q, RING_BREAK_QUIETLY, q->idx_rule,
                     "queue %u: avail.idx = %u, read when the device had taken entries up to %u, "
                     "claimed %u new entries; the device took the entries of avail index %u to "
                     "%u one by one, whatever their slots held, and now holds %u requests it has "
                     "not returned, a whole queue (QEMU: \"Virtqueue size exceeded\")", qi,
                     avail_idx, q->shadow_base, (uint16_t)(avail_idx - q->shadow_base),
                     q->shadow_base, (uint16_t)(q->last_avail_idx - 1), q->inuse);
    else
        ring_finding(q, RING_BREAK, "split.avail.idx-jump",
                     "queue %u: the device holds %u requests it took and has not returned, a "
                     "whole queue, and avail.idx = %u offers more (QEMU: \"Virtqueue size "
                     "exceeded\")", qi, q->inuse, avail_idx);
    return RING_E_FULL;
}

/* A chain that loops: which descriptor links back to which, and (the hook) the driver store that
 * made it so. */
static void loop_back(const struct dev_queue *q, uint16_t head, char *buf, size_t len)
{
    uint8_t seen[SR_MAX_SEGS / 8] = {0};
    uint32_t i = head;
    struct sr_desc d;
    for (uint32_t steps = 0; steps <= q->live_num && i < q->live_num; steps++) {
        seen[i / 8] |= (uint8_t)(1u << i % 8);
        split_read_desc(q->env->mem, q->desc, i, &d);
        if (!(d.flags & VIRTQ_DESC_F_NEXT) || d.next >= q->live_num)
            break;
        if (!(seen[d.next / 8] & (1u << d.next % 8))) {
            i = d.next;
            continue;
        }
        int w = snprintf(buf, len, "descriptor %u links back to descriptor %u (desc[%u].next = %u, "
                         "NEXT set)", i, d.next, i, d.next);
        if (w >= 0 && (size_t)w < len)
            ring_ev_loop_store(q, i, d.next, buf + w, len - (size_t)w);
        return;
    }
    snprintf(buf, len, "more links than descriptors");
}

enum ring_err split_refuse_loop(struct dev_queue *q, uint16_t head)
{
    char why[200];
    loop_back(q, head, why, sizeof(why));
    ring_finding(q, RING_BREAK, "split.desc.no-loops",
                 "queue %u: chain from head %u has more than %u descriptors: it loops: %s",
                 q->index, head, q->live_num, why);
    return RING_E_LOOP;
}

/* The queue's own instance of the hot paths (split_hot.h): every hook through its table. */
static enum ring_err split_pop(struct dev_queue *q, struct sr_chain *c)
{
    return split_hot_pop(RING_HOOK(q), q, c);
}

static void split_push(struct dev_queue *q, uint16_t head, uint32_t len, unsigned parts)
{
    split_hot_push(RING_HOOK(q), q, head, len, parts);
}

static bool split_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    return split_hot_need_interrupt(RING_HOOK(q), q, why);
}

/* ---- notifications --------------------------------------------------------------------------- */

/* §2.6.10: with EVENT_IDX the device asks for a kick when avail.idx passes avail_event; without,
 * unless used.flags has NO_NOTIFY. */
bool split_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                       struct ring_suppress *why)
{
    const struct guest_memory *mem = q->env->mem;
    if (split_hot_event_idx(q)) {
        uint64_t at = q->used + 4 + 8ull * q->live_num;
        uint16_t ev = 0;
        gm_read16(mem, at, &ev);
        *why = (struct ring_suppress){true, at, ev, 0, 0};
        return vring_need_event(ev, to, from);
    }
    uint16_t flags = 0;
    gm_read16(mem, q->used, &flags);
    *why = (struct ring_suppress){false, q->used, flags, 0, 0};
    return !(flags & VIRTQ_USED_F_NO_NOTIFY);
}

/* ---- classify -------------------------------------------------------------------------------- */

const char sr_f_desc_addr[] = "desc.addr", sr_f_desc_len[] = "desc.len",
           sr_f_desc_flags[] = "desc.flags", sr_f_desc_next[] = "desc.next",
           sr_f_avail_flags[] = "avail.flags", sr_f_avail_idx[] = "avail.idx",
           sr_f_avail_ring[] = "avail.ring", sr_f_avail_used_event[] = "avail.used_event",
           sr_f_used_flags[] = "used.flags", sr_f_used_idx[] = "used.idx",
           sr_f_used_id[] = "used.id", sr_f_used_len[] = "used.len",
           sr_f_used_avail_event[] = "used.avail_event";

const char *const sr_field_name[SR_FIELDS] = {
    [SR_F_NONE] = NULL,
    [SR_F_DESC_ADDR] = sr_f_desc_addr, [SR_F_DESC_LEN] = sr_f_desc_len,
    [SR_F_DESC_FLAGS] = sr_f_desc_flags, [SR_F_DESC_NEXT] = sr_f_desc_next,
    [SR_F_AVAIL_FLAGS] = sr_f_avail_flags, [SR_F_AVAIL_IDX] = sr_f_avail_idx,
    [SR_F_AVAIL_RING] = sr_f_avail_ring, [SR_F_AVAIL_USED_EVENT] = sr_f_avail_used_event,
    [SR_F_USED_FLAGS] = sr_f_used_flags, [SR_F_USED_IDX] = sr_f_used_idx,
    [SR_F_USED_ID] = sr_f_used_id, [SR_F_USED_LEN] = sr_f_used_len,
    [SR_F_USED_AVAIL_EVENT] = sr_f_used_avail_event};

const char *split_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    return split_locate(q, gpa, index); /* ring_locate.h */
}

/* 1.2 §2.9, split ring: next_off / next_wrap are avail.idx's bits 0..14 and 15. */
bool split_notify_next(const struct dev_queue *q, uint16_t *next)
{
    return q->live && gm_read16(q->env->mem, q->avail + 2, next);
}

/* Split ring: avail.idx less the device's next entry (§2.6.6). */
uint32_t split_avail_chains(const struct dev_queue *q, uint32_t max)
{
    uint16_t idx = 0;
    if (!q->live || !gm_read16(q->env->mem, q->avail + 2, &idx))
        return 0;
    uint32_t n = (uint16_t)(idx - q->last_avail_idx);
    return n < max ? n : max;
}

const struct ring_ops split_ring_ops = {
    .name = "split",
    .generic = &split_ring_ops,
    .align = {VIRTQ_DESC_ALIGN, VIRTQ_AVAIL_ALIGN, VIRTQ_USED_ALIGN},
    .size_pow2 = true,
    .area_bytes = split_area_bytes,
    .configure = split_configure,
    .pop = split_pop,
    .push = split_push,
    .answer = ring_answer,
    .need_interrupt = split_need_interrupt,
    .need_notify = split_need_notify,
    .classify = split_classify,
    .classify_table = ind_classify,
    .notify_next = split_notify_next,
    .avail_chains = split_avail_chains,
};
