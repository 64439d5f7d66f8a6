/* vqrec_packed.c — what the recorder dumps of a packed ring (§2.7): a list's readable buffers and
 * indirect tables when the guest makes it available, found as the device finds them: from its next
 * offset, while the descriptor there shows available for the wrap counter of that lap. */
#include <stdint.h>

#include "record/plugin/vqrec_internal.h"
#include "record/recording.h"

#define VQREC_DUMP_CAP (64u * 1024u) /* bytes dumped per buffer, as vqrec_rings.c */
#define F_NEXT 1u
#define F_WRITE 2u
#define F_INDIRECT 4u
#define F_AVAIL (1u << 7)
#define F_USED (1u << 15)

uint64_t packed_area_bytes(int area, uint32_t num)
{
    return area == 0 ? 16ull * num : 4u;
}

static void dump(unsigned cpu, uint64_t addr, uint32_t len)
{
    uint32_t n = len > VQREC_DUMP_CAP ? VQREC_DUMP_CAP : len;
    const uint8_t *p = n ? ram_at(addr, n) : NULL;
    if (p)
        emit(VQREC_MEMORY, 0, 0, cpu, addr, len, 0, p, n);
}

/* One descriptor (flags at +14): its table and the table's readable buffers, or its buffer. */
static void dump_desc(unsigned cpu, uint64_t d, int in_table)
{
    uint64_t addr = ram_read(d, 8);
    uint32_t len = (uint32_t)ram_read(d + 8, 4);
    uint16_t flags = (uint16_t)ram_read(d + 14, 2);
    if ((flags & F_INDIRECT) && !in_table) {
        dump(cpu, addr, len);
        for (uint32_t i = 0; i < len / 16 && i < 65536; i++)
            dump_desc(cpu, addr + 16ull * i, 1);
        return;
    }
    if (!(flags & F_WRITE))
        dump(cpu, addr, len);
}

static int avail_at(uint16_t flags, int wrap)
{
    int a = (flags & F_AVAIL) != 0, u = (flags & F_USED) != 0;
    return a != u && a == wrap;
}

void packed_flags_stored(unsigned cpu, uint64_t pa, uint16_t value)
{
    int a = (value & F_AVAIL) != 0, u = (value & F_USED) != 0;
    if (a == u)
        return; /* not making anything available */
    for (unsigned wi = 0; wi < n_windows; wi++) {
        const struct window *w = &windows[wi];
        for (uint32_t qi = 0; w->packed && qi < MAX_QUEUES; qi++) {
            const struct queue *q = &w->q[qi];
            uint64_t desc = q->ready ? q->live_desc : q->desc;
            uint32_t num = q->num ? q->num : q->num_max;
            if (!desc || !num || pa < desc || pa >= desc + 16ull * num || (pa - desc) % 16 != 14)
                continue;
            /* this descriptor and the rest of its list (stored before the head, §2.7.17) */
            uint32_t at = (uint32_t)((pa - desc) / 16);
            for (uint32_t k = 0; k < num; k++) {
                uint64_t d = desc + 16ull * at;
                uint16_t flags = (uint16_t)ram_read(d + 14, 2);
                dump_desc(cpu, d, 0);
                if (!(flags & F_NEXT) || (flags & F_INDIRECT))
                    break;
                at = at + 1 == num ? 0 : at + 1;
            }
            return;
        }
    }
}

void packed_dump_new(unsigned cpu, struct queue *q, uint64_t desc, uint32_t num)
{
    uint32_t at = q->last_avail, walked = 0;
    int wrap = !q->wrap0;
    if (at >= num)
        return;
    while (walked < num && avail_at((uint16_t)ram_read(desc + 16ull * at + 14, 2), wrap)) {
        for (;;) { /* one list: NEXT links (an indirect head stands alone) */
            uint64_t d = desc + 16ull * at;
            uint16_t flags = (uint16_t)ram_read(d + 14, 2);
            dump_desc(cpu, d, 0);
            walked++;
            if (++at == num) {
                at = 0;
                wrap = !wrap;
            }
            if (!(flags & F_NEXT) || (flags & F_INDIRECT) || walked >= num)
                break;
        }
    }
    q->last_avail = (uint16_t)at;
    q->wrap0 = (uint8_t)!wrap;
}
