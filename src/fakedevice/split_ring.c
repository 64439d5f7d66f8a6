/* split_ring.c — see split_ring.h. Rule ids are those of spec/rules.yaml. */
#include "split_ring.h"

#include <string.h>

#include "../driver/virtio_spec.h"
#include "machine.h"

void sr_queue_reset(struct dev_queue *q, uint32_t default_num)
{
    memset(q, 0, sizeof(*q));
    q->num = default_num;
    q->align = 4096;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

void sr_make_live(struct machine *m, uint32_t qi, uint64_t desc, uint64_t avail, uint64_t used)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->num;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->live_num = n;
    q->live = desc != 0 && n != 0;
    if (!q->live)
        return;
    struct trace_event *e = machine_trace(m, TR_DEVICE, desc, n, 0, "queue live");
    if (e)
        e->queue = (uint8_t)qi;
    /* §2.6.1 (QEMU does not check it): 16/2/4 alignment. */
    if (desc % VIRTQ_DESC_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: descriptor table at 0x%llx is not 16-byte aligned", qi,
                          (unsigned long long)desc);
    if (avail % VIRTQ_AVAIL_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: available ring at 0x%llx is not 2-byte aligned", qi,
                          (unsigned long long)avail);
    if (used % VIRTQ_USED_ALIGN)
        machine_violation(m, "split.align", (int)qi,
                          "queue %u: used ring at 0x%llx is not 4-byte aligned", qi,
                          (unsigned long long)used);
    /* §2.6: Queue Size is a power of 2 (descriptive; QEMU accepts others). */
    if (!is_pow2(n))
        machine_violation(m, "split.queue-size-pow2", (int)qi,
                          "queue %u: size %u is not a power of 2", qi, n);
    /* QEMU maps the three areas when the ring goes live; failure is fatal ("Cannot map …"). */
    struct { const char *what; uint64_t at, len; } part[3] = {
        {"descriptor table", desc, VIRTQ_DESC_BYTES(n)},
        {"available ring", avail, 4u + 2u * n},
        {"used ring", used, 4u + 8u * n},
    };
    for (int i = 0; i < 3; i++) {
        if (!gm_contains(&m->mem, part[i].at, part[i].len)) {
            machine_break_device(m, "split.rings-in-ram", (int)qi,
                                 "queue %u: %s at 0x%llx (+%llu bytes) is not in guest RAM "
                                 "[0x%llx, 0x%llx)", qi, part[i].what,
                                 (unsigned long long)part[i].at, (unsigned long long)part[i].len,
                                 (unsigned long long)m->mem.base,
                                 (unsigned long long)(m->mem.base + m->mem.size));
            q->live = false;
            return;
        }
    }
}

enum sr_result sr_pop(struct machine *m, uint32_t qi, struct sr_chain *c)
{
    struct dev_queue *q = &m->dev.q[qi];
    if (!q->live || m->dev.broken)
        return SR_EMPTY;
    uint32_t n = q->live_num;
    uint16_t avail_idx;
    if (!gm_read16(&m->mem, q->avail + 2, &avail_idx)) {
        machine_break_device(m, "split.rings-in-ram", (int)qi, "queue %u: avail.idx unreadable", qi);
        return SR_BROKEN;
    }
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail_idx);
    if (pending > n) { /* QEMU: "Guest moved used index from %u to %u" */
        machine_break_device(m, "split.avail.idx-jump", (int)qi,
                             "queue %u: avail.idx moved from %u to %u, %u entries ahead of a "
                             "queue of %u", qi, q->last_avail_idx, avail_idx, pending, n);
        return SR_BROKEN;
    }
    if (pending == 0)
        return SR_EMPTY;

    uint16_t head;
    uint64_t slot = q->avail + 4 + 2ull * (q->last_avail_idx % n);
    gm_read16(&m->mem, slot, &head);
    if (head >= n) { /* QEMU: "Guest says index %u is available" */
        machine_break_device(m, "split.avail.head-in-range", (int)qi,
                             "queue %u: avail.ring[%u] = %u, but the queue has %u descriptors",
                             qi, q->last_avail_idx % n, head, n);
        return SR_BROKEN;
    }
    c->head = head;
    c->nseg = 0;
    c->readable = c->writable = 0;
    uint32_t i = head, count = 0;
    bool seen_write = false;
    for (;;) {
        if (++count > n) { /* QEMU: "Looped descriptor" */
            machine_break_device(m, "split.desc.no-loops", (int)qi,
                                 "queue %u: chain from head %u has more than %u descriptors: "
                                 "it loops", qi, head, n);
            return SR_BROKEN;
        }
        uint64_t da = q->desc + 16ull * i;
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        gm_read64(&m->mem, da, &addr);
        gm_read32(&m->mem, da + 8, &len);
        gm_read16(&m->mem, da + 12, &flags);
        gm_read16(&m->mem, da + 14, &next);
        bool write = flags & VIRTQ_DESC_F_WRITE;
        if (!write && seen_write) { /* QEMU: "Incorrect order for descriptors" */
            machine_break_device(m, "split.framing.writable-after-readable", (int)qi,
                                 "queue %u: descriptor %u is device-readable but follows a "
                                 "device-writable one in the chain from head %u", qi, i, head);
            return SR_BROKEN;
        }
        if (len == 0) { /* QEMU: "zero sized buffers are not allowed" */
            machine_break_device(m, "split.desc.zero-length", (int)qi,
                                 "queue %u: descriptor %u has length 0", qi, i);
            return SR_BROKEN;
        }
        if (!gm_contains(&m->mem, addr, len)) { /* QEMU: "bogus descriptor or out of resources" */
            machine_break_device(m, "split.desc.addr-in-ram", (int)qi,
                                 "queue %u: descriptor %u points at 0x%llx (+%u bytes), outside "
                                 "guest RAM [0x%llx, 0x%llx)", qi, i, (unsigned long long)addr,
                                 len, (unsigned long long)m->mem.base,
                                 (unsigned long long)(m->mem.base + m->mem.size));
            return SR_BROKEN;
        }
        seen_write |= write;
        c->seg[c->nseg].gpa = addr;
        c->seg[c->nseg].len = len;
        c->seg[c->nseg].write = write;
        c->nseg++;
        if (write)
            c->writable += len;
        else
            c->readable += len;
        if (!(flags & VIRTQ_DESC_F_NEXT))
            break;
        if (next >= n) { /* QEMU: "Desc next is %u" */
            machine_break_device(m, "split.desc.next-in-range", (int)qi,
                                 "queue %u: descriptor %u links to %u, but the queue has %u "
                                 "descriptors", qi, i, next, n);
            return SR_BROKEN;
        }
        i = next;
    }
    struct trace_event *e = machine_trace(m, TR_POP, head, avail_idx, 0, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = q->last_avail_idx;
    }
    q->last_avail_idx++;
    q->inuse++;
    q->pops++;
    if (device_faults_on_pop(m, qi, head)) /* an injected fault reset or broke the device */
        return m->dev.broken ? SR_BROKEN : SR_EMPTY;
    return SR_OK;
}

void sr_push(struct machine *m, uint32_t qi, uint16_t head, uint32_t len)
{
    unsigned parts = SR_PUSH_ELEM | SR_PUSH_IDX;
    if (device_faults_on_push(m, qi, head, len, &parts))
        return; /* an injected device fault holds this answer back, or drops it */
    sr_push_parts(m, qi, head, len, parts);
}

void sr_push_parts(struct machine *m, uint32_t qi, uint16_t head, uint32_t len, unsigned parts)
{
    struct dev_queue *q = &m->dev.q[qi];
    uint32_t n = q->live_num;
    if (!q->live || n == 0)
        return;
    uint64_t elem = q->used + 4 + 8ull * (q->used_idx % n);
    if (parts & SR_PUSH_ELEM) {
        gm_write32(&m->mem, elem, head);
        gm_write32(&m->mem, elem + 4, len);
    }
    /* §2.6.8.1: the element (and len) before the idx that publishes it. */
    q->used_idx++;
    if (parts & SR_PUSH_IDX)
        gm_write16(&m->mem, q->used + 2, q->used_idx);
    if (q->inuse)
        q->inuse--;
    q->pushes++;
    struct trace_event *e = machine_trace(m, TR_USED, elem, len, 8, NULL);
    if (e) {
        e->queue = (uint8_t)qi;
        e->aux = head;
        if (!(parts & SR_PUSH_IDX))
            e->note = "element written, used.idx not advanced (injected device fault)";
        else if (!(parts & SR_PUSH_ELEM))
            e->note = "used.idx advanced, element not written (injected device fault)";
    }
}

size_t sr_read(struct machine *m, const struct sr_chain *c, size_t offset, void *dst, size_t len)
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

const char *sr_classify(const struct machine *m, uint32_t qi, uint64_t gpa, uint32_t *index)
{
    const struct dev_queue *q = &m->dev.q[qi];
    uint64_t desc, avail, used;
    uint32_t n;
    if (q->live) {
        desc = q->desc, avail = q->avail, used = q->used, n = q->live_num;
    } else if (m->dev.version == 2) { /* as programmed so far */
        desc = q->reg_desc, avail = q->reg_driver, used = q->reg_device, n = q->num;
    } else {
        return NULL;
    }
    *index = 0;
    if (n == 0)
        return NULL;
    if (desc && gpa >= desc && gpa < desc + 16ull * n) {
        static const char *f[] = {"desc.addr", "desc.len", "desc.flags", "desc.next"};
        uint64_t off = (gpa - desc) % 16;
        *index = (uint32_t)((gpa - desc) / 16);
        return off < 8 ? f[0] : off < 12 ? f[1] : off < 14 ? f[2] : f[3];
    }
    if (avail && gpa >= avail && gpa < avail + 6 + 2ull * n) {
        uint64_t off = gpa - avail;
        if (off < 2) return "avail.flags";
        if (off < 4) return "avail.idx";
        if (off < 4 + 2ull * n) {
            *index = (uint32_t)((off - 4) / 2);
            return "avail.ring";
        }
        return "avail.used_event";
    }
    if (used && gpa >= used && gpa < used + 6 + 8ull * n) {
        uint64_t off = gpa - used;
        if (off < 2) return "used.flags";
        if (off < 4) return "used.idx";
        if (off < 4 + 8ull * n) {
            *index = (uint32_t)((off - 4) / 8);
            return (off - 4) % 8 < 4 ? "used.id" : "used.len";
        }
        return "used.avail_event";
    }
    return NULL;
}
