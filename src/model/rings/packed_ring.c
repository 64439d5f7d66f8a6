/* packed_ring.c — see packed_ring.h. Rule ids are those of spec/rules.yaml (packed.*). */
#include "model/rings/packed_ring.h"

#include <assert.h>
#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/packed_hot.h"
#include "model/rings/packed_walk.h"
#include "model/rings/ring_hooks.h"
#include "spec/virtio_spec.h"

/* ---- configure ------------------------------------------------------------------------------- */

/* §2.7.10.1: the descriptor ring, then the two 4-byte event suppression structures. */
uint64_t packed_area_bytes(enum ring_area a, uint32_t n)
{
    return a == RING_DESC ? 16ull * n : 4u;
}

static const char *const area_name[RING_AREAS] = {"descriptor ring", "driver event suppression",
                                                  "device event suppression"};

enum ring_err packed_configure(struct dev_queue *q, uint32_t n, const uint64_t at[RING_AREAS])
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
    for (int a = 0; a < RING_AREAS; a++) /* §2.7.10.1 (QEMU does not check it): 16/4/4 */
        if (align[a] == RING_E_ALIGN)
            ring_finding(q, RING_VIOLATION, "packed.align",
                         "queue %u: %s at 0x%llx is not %u-byte aligned", q->index, area_name[a],
                         (unsigned long long)at[a], q->ops->align[a]);
    if (size == RING_E_SIZE_MAX || n > RING_PACKED_MAX_OUT) {
        q->live = false; /* the transport refuses it first (QueueNumMax) */
        return RING_E_SIZE_MAX;
    }
    for (int a = 0; a < RING_AREAS; a++) {
        if (ring_area_in_ram(q, a) == RING_OK)
            continue;
        uint64_t len = packed_area_bytes(a, n);
        q->live = false;
        if (ring_ev_outside_ram(q, area_name[a], at[a], len))
            return RING_E_REFUSED;
        ring_finding(q, RING_BREAK, "packed.rings-in-ram",
                     "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM", q->index,
                     area_name[a], (unsigned long long)at[a], (unsigned long long)len);
        return RING_E_NOT_IN_RAM;
    }
    /* mapped once, as the split ring's (ring.h): the hot paths reach the descriptors without a
     * bounds check (packed_hot.h) */
    q->desc_host = gm_ptr(q->env->mem, q->desc, packed_area_bytes(RING_DESC, n));
    q->avail_host = gm_ptr(q->env->mem, q->avail, packed_area_bytes(RING_DRIVER, n));
    q->used_host = gm_ptr(q->env->mem, q->used, packed_area_bytes(RING_DEVICE, n));
    ring_ev_live(q);
    return RING_OK;
}

/* ---- pop ------------------------------------------------------------------------------------- */

/* QEMU's "Virtqueue size exceeded": the device holds a queue's worth of descriptors and the
 * next one shows available. A correct driver cannot get there: it made available descriptors
 * the device had not marked used. */
enum ring_err packed_queue_full(struct dev_queue *q, uint16_t flags)
{
    ring_finding(q, RING_BREAK, "packed.change-only-after-used",
                 "queue %u: descriptor %u shows available (flags 0x%04x, wrap counter %u) while "
                 "the device holds all %u descriptors of the ring, taken and not yet marked used "
                 "(QEMU: \"Virtqueue size exceeded\")", q->index, q->last_avail_idx, flags,
                 packed_avail_wrap(q), q->pk_inuse_descs);
    return RING_E_FULL;
}

/* The queue's own instance of the hot paths (packed_hot.h): every hook through its table. */
static enum ring_err packed_pop(struct dev_queue *q, struct sr_chain *c)
{
    return packed_hot_pop(RING_HOOK(q), q, c);
}

static void packed_push(struct dev_queue *q, uint16_t id, uint32_t len, unsigned parts)
{
    packed_hot_push(RING_HOOK(q), q, id, len, parts);
}


/* ---- notifications --------------------------------------------------------------------------- */

/* After a push (QEMU's virtio_packed_should_notify): the Driver Area's flags and off_wrap. */
bool packed_need_interrupt(struct dev_queue *q, struct ring_suppress *why)
{
    uint16_t off_wrap = 0, flags = 0, old = q->signalled_used, now = q->used_idx;
    const uint8_t *p = q->avail_host ? q->avail_host : gm_ptr(q->env->mem, q->avail, 4);
    assert(!q->avail_host || q->avail_host == gm_ptr(q->env->mem, q->avail, 4));
    if (p) { /* the whole event suppression structure in RAM (the usual case) */
        memcpy(&off_wrap, p, 2);
        memcpy(&flags, p + 2, 2);
    } else { /* field by field: a part outside RAM reads as 0 */
        gm_read16(q->env->mem, q->avail, &off_wrap);
        gm_read16(q->env->mem, q->avail + 2, &flags);
    }
    bool valid = q->signalled_used_valid;
    q->signalled_used_valid = true;
    q->signalled_used = now;
    if (flags == VIRTQ_PEVENT_F_DISABLE) {
        *why = (struct ring_suppress){false, q->avail + 2, flags, now, 0};
        return false;
    }
    if (flags == VIRTQ_PEVENT_F_ENABLE || !valid)
        return true;
    /* vring_packed_need_event: an offset of the other lap is a queue size back. */
    int off = off_wrap & 0x7fff;
    if ((off_wrap >> 15) != packed_used_wrap(q))
        off -= (int)q->live_num;
    if ((uint16_t)(now - (uint16_t)off - 1) < (uint16_t)(now - old))
        return true;
    *why = (struct ring_suppress){true, q->avail, off_wrap, now, old};
    return false;
}

/* §2.7.10: the Device Area asks for a notification (QEMU 7.2's gpu never writes it: ENABLE).
 * from..to are ring offsets of the driver's next descriptor (a lap and more is not told apart). */
bool packed_need_notify(const struct dev_queue *q, uint16_t from, uint16_t to,
                        struct ring_suppress *why)
{
    uint16_t off_wrap = 0, flags = 0;
    gm_read16(q->env->mem, q->used, &off_wrap);
    gm_read16(q->env->mem, q->used + 2, &flags);
    *why = (struct ring_suppress){flags == VIRTQ_PEVENT_F_DESC, q->used, flags, 0, 0};
    if (flags == VIRTQ_PEVENT_F_DISABLE)
        return false;
    if (flags != VIRTQ_PEVENT_F_DESC)
        return true;
    why->value = off_wrap;
    uint16_t off = off_wrap & 0x7fff;
    return (uint16_t)(to - off - 1) < (uint16_t)(to - from);
}

/* 1.2 §2.9, packed ring: the first descriptor after the device's position that is not available
 * (every descriptor of a published chain is, §2.7.1), with the wrap counter it will be made
 * available with; a whole ring available ends where it began, a lap on. */
bool packed_notify_next(const struct dev_queue *q, uint16_t *next)
{
    if (!q->live || q->live_num == 0)
        return false;
    uint32_t at = q->last_avail_idx % q->live_num;
    bool wrap = packed_avail_wrap(q);
    for (uint32_t n = 0; n < q->live_num; n++) {
        uint16_t flags = 0;
        if (!gm_read16(q->env->mem, q->desc + 16ull * at + 14, &flags))
            return false;
        if (!packed_desc_avail(flags, wrap))
            break;
        if (++at == q->live_num) {
            at = 0;
            wrap = !wrap;
        }
    }
    *next = (uint16_t)(at | (wrap ? 0x8000u : 0u));
    return true;
}

/* Packed ring: the available descriptors from the device's position, a chain ending at each one
 * without NEXT (§2.7.6), no further than one lap. */
uint32_t packed_avail_chains(const struct dev_queue *q, uint32_t max)
{
    uint32_t chains = 0;
    if (!q->live || q->live_num == 0)
        return 0;
    uint32_t at = q->last_avail_idx % q->live_num;
    bool wrap = packed_avail_wrap(q);
    for (uint32_t n = 0; n < q->live_num && chains < max; n++) {
        uint16_t flags = 0;
        if (!gm_read16(q->env->mem, q->desc + 16ull * at + 14, &flags) ||
            !packed_desc_avail(flags, wrap))
            break;
        chains += !(flags & VIRTQ_DESC_F_NEXT);
        if (++at == q->live_num) {
            at = 0;
            wrap = !wrap;
        }
    }
    return chains;
}

/* ---- classify -------------------------------------------------------------------------------- */

const char pk_f_desc_addr[] = "desc.addr", pk_f_desc_len[] = "desc.len",
           pk_f_desc_id[] = "desc.id", pk_f_desc_flags[] = "desc.flags",
           pk_f_drv_off_wrap[] = "driver_event.off_wrap", pk_f_drv_flags[] = "driver_event.flags",
           pk_f_dev_off_wrap[] = "device_event.off_wrap", pk_f_dev_flags[] = "device_event.flags";

const char *packed_classify(const struct dev_queue *q, uint64_t gpa, uint32_t *index)
{
    if (!q->live)
        return NULL;
    if (gpa >= q->desc && gpa - q->desc < 16ull * q->live_num) {
        uint64_t off = (gpa - q->desc) % 16;
        *index = (uint32_t)((gpa - q->desc) / 16);
        return off < 8 ? pk_f_desc_addr : off < 12 ? pk_f_desc_len
                                        : off < 14 ? pk_f_desc_id : pk_f_desc_flags;
    }
    *index = 0;
    if (gpa >= q->avail && gpa - q->avail < 4)
        return gpa - q->avail < 2 ? pk_f_drv_off_wrap : pk_f_drv_flags;
    if (gpa >= q->used && gpa - q->used < 4)
        return gpa - q->used < 2 ? pk_f_dev_off_wrap : pk_f_dev_flags;
    return NULL;
}

const struct ring_ops packed_ring_ops = {
    .name = "packed",
    .generic = &packed_ring_ops,
    .align = {VIRTQ_PACKED_DESC_ALIGN, VIRTQ_PEVENT_ALIGN, VIRTQ_PEVENT_ALIGN},
    .size_pow2 = false, /* §2.7: any size up to 32768 */
    .area_bytes = packed_area_bytes,
    .configure = packed_configure,
    .pop = packed_pop,
    .push = packed_push,
    .answer = ring_answer,
    .need_interrupt = packed_need_interrupt,
    .need_notify = packed_need_notify,
    .classify = packed_classify,
    .classify_table = pk_classify_table,
    .notify_next = packed_notify_next,
    .avail_chains = packed_avail_chains,
};
