/* ring.c — the format-independent part of ring.h: binding, reset, the setters, push. */
#include "model/rings/ring.h"

#include <string.h>

#include "model/guest_memory.h"
#include "model/rings/packed_ring.h"
#include "model/rings/ring_hooks.h"
#include "model/rings/split_ring.h"
#include "spec/virtio_spec.h"

const struct ring_hooks ring_hooks_none = {0};

const char *ring_err_name(enum ring_err e)
{
    static const char *const names[RING_ERR_COUNT] = {
        "OK", "EMPTY", "STOPPED", "E_IDX", "E_FULL", "E_HEAD", "E_NEXT", "E_LOOP", "E_ORDER",
        "E_ZERO_LEN", "E_ADDR", "E_REFUSED", "E_TOO_LONG", "E_TABLE", "E_SIZE_ZERO",
        "E_SIZE_POW2", "E_SIZE_MAX", "E_ALIGN", "E_NOT_IN_RAM", "E_UNSET"};
    _Static_assert(sizeof(names) / sizeof(names[0]) == RING_ERR_COUNT, "one name per error");
    return (unsigned)e < RING_ERR_COUNT ? names[e] : "?";
}

const struct ring_ops *ring_format(const struct ring_env *env, uint64_t features)
{
    if ((features >> VIRTIO_F_RING_PACKED) & 1u)
        return env && env->packed_ops ? env->packed_ops : &packed_ring_ops;
    return env && env->split_ops ? env->split_ops : &split_ring_ops;
}

void ring_bind(struct dev_queue *q, const struct ring_ops *ops, const struct ring_env *env,
               uint32_t index)
{
    q->ops = ops;
    q->env = env;
    q->index = index;
    ring_layout_touch(q);
}

void ring_reset(struct dev_queue *q, uint32_t default_num)
{
    const struct ring_ops *ops = q->ops;
    const struct ring_env *env = q->env;
    uint32_t index = q->index;
    memset(q, 0, sizeof(*q));
    ring_bind(q, ops, env, index);
    q->num = default_num;
    q->align = 4096;
    ring_layout_touch(q);
}

enum ring_err ring_set_size(struct dev_queue *q, uint32_t size)
{
    q->live_num = size;
    ring_layout_touch(q);
    if (size == 0)
        return RING_E_SIZE_ZERO;
    if (q->ops->size_pow2 && (size & (size - 1))) /* §2.6: split Queue Size is a power of 2 */
        return RING_E_SIZE_POW2;
    if (size > q->env->max_size)
        return RING_E_SIZE_MAX;
    return RING_OK;
}

enum ring_err ring_set_area(struct dev_queue *q, enum ring_area a, uint64_t addr)
{
    uint64_t *area[RING_AREAS] = {&q->desc, &q->avail, &q->used};
    *area[a] = addr;
    ring_layout_touch(q);
    return addr % q->ops->align[a] ? RING_E_ALIGN : RING_OK;
}

enum ring_err ring_area_in_ram(const struct dev_queue *q, enum ring_area a)
{
    const uint64_t at[RING_AREAS] = {q->desc, q->avail, q->used};
    return gm_contains(q->env->mem, at[a], q->ops->area_bytes(a, q->live_num))
               ? RING_OK : RING_E_NOT_IN_RAM;
}

bool ring_answer(struct dev_queue *q, uint16_t id, uint32_t len)
{
    unsigned parts = RING_PUSH_ELEM | RING_PUSH_IDX;
    enum ring_push_verdict v = ring_ev_before_push(q, id, len, &parts);
    if (v != RING_PUSH_NOW)
        return v == RING_PUSH_DROPPED; /* held: a replay publishes it when the recorded device
                                        * did (false); dropped: an injected fault took it */
    q->ops->push(q, id, len, parts);
    return true;
}

void ring_finding(const struct dev_queue *q, enum ring_finding kind, const char *rule,
                  const char *fmt, ...)
{
    const struct ring_hooks *h = q->env->hooks;
    if (!h->finding)
        return;
    va_list ap;
    va_start(ap, fmt);
    h->finding(q->env->ctx, kind, rule, kind == RING_BREAK_QUIETLY ? -1 : (int)q->index, fmt,
               ap);
    va_end(ap);
}
