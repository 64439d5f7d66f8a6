/* blk_device.c — see blk_device.h. */
#include "model/devices/blk_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/machine.h"
#include "spec/virtio_blk.h"
#include "util/sparse_image.h"

struct blk_state {
    struct sparse_image *disk;  /* the image, writes applied (sparse: any size) */
    uint64_t bytes;             /* capacity * 512 */
    bool read_only;
    uint8_t writeback;          /* config writeback (QEMU: the drive's write cache, on) */
    uint8_t io[64 * 1024];      /* one request's data on its way between guest and disk */
};

/* QEMU 7.2 virtio_blk_get_features with the default properties (config-wce, discard,
 * write-zeroes on; scsi off; one queue; cache=writeback: FLUSH): on a legacy transport it adds
 * SCSI and clears ANY_LAYOUT (no VERSION_1). RO is added by the machine's config (readonly=on). */
static uint64_t blk_offered_features(uint32_t transport_version)
{
    uint64_t f = device_qemu_common_features(transport_version);
    f |= 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_GEOMETRY |
         1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
         1ull << VIRTIO_BLK_F_TOPOLOGY | 1ull << VIRTIO_BLK_F_CONFIG_WCE |
         1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    if (transport_version == 1)
        f = (f | 1ull << VIRTIO_BLK_F_SCSI) & ~(1ull << VIRTIO_F_ANY_LAYOUT);
    return f;
}

/* The image, opened sparsely (its bytes read as requests need them): 0, or -1 (no image
 * named, unreadable, larger than BLK_MAX_IMAGE_BYTES). */
static int load_image(struct blk_state *b, const struct machine_config *cfg)
{
    if (!cfg->disk_image && cfg->disk_sectors &&
        cfg->disk_sectors <= BLK_MAX_IMAGE_BYTES / VIRTIO_BLK_SECTOR_SIZE) {
        b->bytes = cfg->disk_sectors * VIRTIO_BLK_SECTOR_SIZE; /* zeros: a replay's disk */
        b->disk = sparse_image_open(NULL, false, b->bytes);
        return b->disk ? 0 : -1;
    }
    if (!cfg->disk_image)
        return -1;
    b->disk = sparse_image_open(cfg->disk_image, cfg->disk_writes_to_file, 0);
    if (!b->disk || sparse_image_size(b->disk) > BLK_MAX_IMAGE_BYTES)
        return -1;
    b->bytes = sparse_image_size(b->disk) / VIRTIO_BLK_SECTOR_SIZE * VIRTIO_BLK_SECTOR_SIZE;
    return 0;
}

static void blk_destroy(void *state)
{
    struct blk_state *b = state;
    if (!b)
        return;
    sparse_image_close(b->disk);
    free(b);
}

static int blk_create(const struct machine_config *cfg, void **state)
{
    struct blk_state *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    if (load_image(b, cfg) != 0) {
        blk_destroy(b);
        return -1;
    }
    b->read_only = cfg->disk_read_only;
    b->writeback = 1;
    *state = b;
    return 0;
}

static void blk_reset(void *state, struct machine *m)
{
    (void)m;
    ((struct blk_state *)state)->writeback = 1; /* QEMU: the drive's cache mode at realize */
}

/* §5.2.4 as QEMU 7.2's virtio_blk_update_config fills it for a raw image of 512-byte blocks:
 * seg_max queue-size - 2 (seg-max-adjust), the CHS QEMU guesses for a disk with no partition
 * table (16 heads, 63 sectors), discard / write-zeroes limits BDRV_REQUEST_MAX_SECTORS. */
static void fill_config(const struct blk_state *b, struct virtio_blk_config *c)
{
    memset(c, 0, sizeof(*c));
    c->capacity = b->bytes / VIRTIO_BLK_SECTOR_SIZE;
    c->seg_max = BLK_QUEUE_SIZE - 2;
    uint64_t cyl = c->capacity / (16 * 63);
    c->geometry.cylinders = (uint16_t)(cyl < 2 ? 2 : cyl > 16383 ? 16383 : cyl);
    c->geometry.heads = 16;
    c->geometry.sectors = 63;
    c->blk_size = VIRTIO_BLK_SECTOR_SIZE;
    c->writeback = b->writeback;
    c->num_queues = 1;
    c->max_discard_sectors = 0x3fffff;
    c->max_discard_seg = 1;
    c->discard_sector_alignment = 1;
    c->max_write_zeroes_sectors = 0x3fffff;
    c->max_write_zeroes_seg = 1;
    c->write_zeroes_may_unmap = 1;
}

static uint32_t blk_config_read(void *state, struct machine *m, uint32_t off)
{
    (void)m;
    struct virtio_blk_config c;
    fill_config(state, &c);
    uint32_t v = 0;
    if (off + 4 <= VIRTIO_BLK_CONFIG_SIZE)
        memcpy(&v, (const uint8_t *)&c + off, 4);
    return v;
}

/* QEMU's virtio_blk_set_config: only writeback (byte 32) is writable, and it takes effect. */
static void blk_config_write(void *state, struct machine *m, uint32_t off, uint32_t value,
                             const char **note)
{
    (void)m;
    struct blk_state *b = state;
    if (off != offsetof(struct virtio_blk_config, writeback)) {
        *note = "ignored: only writeback is writable in virtio-blk's config";
        return;
    }
    b->writeback = (uint8_t)(value & 0xffu) != 0;
}

/* §5.2.4's fields: where each starts and its width (the access width §4.2.2.2 asks). */
static uint32_t blk_config_field(const void *state, uint32_t off, uint32_t *start)
{
    (void)state;
    static const uint8_t field[][2] = {
        {0, 8},  {8, 4},  {12, 4}, {16, 2}, {18, 1}, {19, 1}, {20, 4}, {24, 1}, {25, 1},
        {26, 2}, {28, 4}, {32, 1}, {33, 1}, {34, 2}, {36, 4}, {40, 4}, {44, 4}, {48, 4},
        {52, 4}, {56, 1}, {57, 1}, {58, 1}, {59, 1}};
    for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++)
        if (off >= field[i][0] && off < (uint32_t)field[i][0] + field[i][1]) {
            *start = field[i][0];
            return field[i][1];
        }
    return 0;
}

/* ---- requests ---- */

/* One request as the device sees it: the header, where the data and the status are. */
struct blk_req {
    struct virtio_blk_outhdr hdr;
    uint64_t status_gpa;        /* the last byte of the last device-writable buffer */
    uint64_t data_in;           /* device-writable bytes before the status */
    uint64_t data_out;          /* device-readable bytes after the header */
};

/* The request's shape, as QEMU's virtio_blk_handle_request takes it apart: false when QEMU calls
 * virtio_error (the device is broken then, the request never answered). */
static bool parse_request(struct machine *m, uint32_t qi, const struct sr_chain *c,
                          struct blk_req *r)
{
    const struct sr_seg *last = NULL;
    for (uint32_t i = 0; i < c->nseg; i++)
        if (c->seg[i].write)
            last = &c->seg[i];
    if (!last || last->len < 1) { /* QEMU: "virtio-blk missing headers" / "inhdr too short" */
        machine_break_device(m, "blk.req.status-writable", (int)qi,
                             "request (head %u) has %s: the status byte (§5.2.6) must be the "
                             "last byte of a device-writable buffer", c->head,
                             last ? "a zero-length last writable buffer"
                                  : "no device-writable buffer (all its buffers are read-only)");
        return false;
    }
    if (c->readable < sizeof(r->hdr) ||
        sr_read(m, c, 0, &r->hdr, sizeof(r->hdr)) != sizeof(r->hdr)) {
        machine_break_device(m, "blk.req.header-readable", (int)qi,
                             "request (head %u) has %llu device-readable bytes: the 16-byte "
                             "header (type, reserved, sector; §5.2.6) must come first, readable",
                             c->head, (unsigned long long)c->readable);
        return false;
    }
    r->status_gpa = last->gpa + last->len - 1;
    r->data_in = c->writable - 1;
    r->data_out = c->readable - sizeof(r->hdr);
    return true;
}

/* QEMU's virtio_blk_sect_range_ok for 512-byte blocks, with the driver rule each failure
 * breaks; true when the range is on the disk. */
static bool range_ok(struct machine *m, uint32_t qi, const struct blk_state *b, uint64_t sector,
                     uint64_t size, const char *what)
{
    if (size % VIRTIO_BLK_SECTOR_SIZE) {
        machine_violation(m, "blk.req.data-sectors", (int)qi,
                          "%s of %llu bytes at sector %llu: data is whole 512-byte sectors "
                          "(§5.2.6); QEMU answers IOERR", what, (unsigned long long)size,
                          (unsigned long long)sector);
        return false;
    }
    uint64_t n = size / VIRTIO_BLK_SECTOR_SIZE, total = b->bytes / VIRTIO_BLK_SECTOR_SIZE;
    if (sector > total || n > total - sector) {
        machine_violation(m, "blk.req.within-capacity", (int)qi,
                          "%s of %llu sector(s) at sector %llu: the disk has %llu (capacity); "
                          "QEMU answers IOERR", what, (unsigned long long)n,
                          (unsigned long long)sector, (unsigned long long)total);
        return false;
    }
    return true;
}

/* A write's bytes (zeros: src NULL) reach the model's disk, or the file when the scenario says
 * so (sparse_image: write_through). */
static bool disk_store(struct blk_state *b, uint64_t off, const uint8_t *src, uint64_t len)
{
    return sparse_image_write(b->disk, off, src, len);
}

/* VIRTIO_BLK_T_IN / OUT: the data moves between the chain and the disk (in pieces of io[]). */
static uint8_t do_rw(struct machine *m, uint32_t qi, struct blk_state *b,
                     const struct sr_chain *c, const struct blk_req *r, bool is_write)
{
    uint64_t size = is_write ? r->data_out : r->data_in;
    if (!range_ok(m, qi, b, r->hdr.sector, size, is_write ? "write" : "read"))
        return VIRTIO_BLK_S_IOERR;
    if (is_write && b->read_only)
        return VIRTIO_BLK_S_IOERR; /* QEMU: the read-only drive refuses it (EACCES) */
    uint64_t base = r->hdr.sector * VIRTIO_BLK_SECTOR_SIZE;
    for (uint64_t done = 0; done < size;) { /* a read fills from the start: the status byte */
        uint64_t n = size - done < sizeof(b->io) ? size - done : sizeof(b->io); /* stays last */
        bool ok = is_write ? sr_read(m, c, sizeof(r->hdr) + done, b->io, n) == n &&
                                 disk_store(b, base + done, b->io, n)
                           : sparse_image_read(b->disk, base + done, b->io, n) &&
                                 sr_write_at(m, c, done, b->io, n) == n;
        if (!ok)
            return VIRTIO_BLK_S_IOERR;
        done += n;
    }
    return VIRTIO_BLK_S_OK;
}

/* VIRTIO_BLK_T_DISCARD / WRITE_ZEROES (QEMU: one segment, max_*_seg 1). -1: virtio_error. */
static int do_discard_wz(struct machine *m, uint32_t qi, struct blk_state *b,
                         const struct sr_chain *c, bool write_zeroes)
{
    struct virtio_blk_discard_write_zeroes seg;
    if (sr_read(m, c, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg)) != sizeof(seg)) {
        machine_break_device(m, "blk.req.header-readable", (int)qi,
                             "%s request (head %u) without its 16-byte segment (§5.2.6): QEMU "
                             "\"discard/write_zeroes header too short\"",
                             write_zeroes ? "WRITE_ZEROES" : "DISCARD", c->head);
        return -1;
    }
    uint64_t size = (uint64_t)seg.num_sectors * VIRTIO_BLK_SECTOR_SIZE;
    if (!range_ok(m, qi, b, seg.sector, size, write_zeroes ? "write-zeroes" : "discard"))
        return VIRTIO_BLK_S_IOERR;
    if (!write_zeroes && seg.flags) {
        if (seg.flags & VIRTIO_BLK_WZ_F_UNMAP)
            machine_violation(m, "blk.discard.unmap-zero", (int)qi,
                              "DISCARD of sector %llu with the unmap flag set (§5.2.6.1); "
                              "QEMU answers UNSUPP", (unsigned long long)seg.sector);
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (write_zeroes && (seg.flags & ~VIRTIO_BLK_WZ_F_UNMAP))
        return VIRTIO_BLK_S_UNSUPP;
    if (b->read_only)
        return VIRTIO_BLK_S_IOERR;
    if (!write_zeroes) /* QEMU's default discard=ignore: the data stays */
        return VIRTIO_BLK_S_OK;
    return disk_store(b, seg.sector * VIRTIO_BLK_SECTOR_SIZE, NULL, size) ? VIRTIO_BLK_S_OK
                                                                          : VIRTIO_BLK_S_IOERR;
}

static uint8_t do_flush(struct machine *m, uint32_t qi, struct blk_state *b,
                        const struct blk_req *r)
{
    if (!(m->dev.guest_features >> VIRTIO_BLK_F_FLUSH & 1u))
        machine_violation(m, "blk.flush.negotiated", (int)qi,
                          "FLUSH while VIRTIO_BLK_F_FLUSH (bit 9) was not negotiated (§5.2.3); "
                          "QEMU flushes anyway");
    if (r->hdr.sector != 0)
        machine_violation(m, "blk.flush.sector-zero", (int)qi,
                          "FLUSH with sector %llu (§5.2.6.1: the driver sets it to 0); QEMU "
                          "ignores it", (unsigned long long)r->hdr.sector);
    (void)b; /* (a write reaches the file, when it does, flushed: disk_store) */
    return VIRTIO_BLK_S_OK;
}

/* One request, answered as QEMU does: the status byte, or -1 when the device broke. */
static int handle(struct machine *m, uint32_t qi, struct blk_state *b, const struct sr_chain *c,
                  struct blk_req *req)
{
    struct blk_req r;
    if (!parse_request(m, qi, c, &r))
        return -1;
    *req = r;
    uint32_t type = r.hdr.type;
    switch (type & ~(VIRTIO_BLK_T_OUT | VIRTIO_BLK_T_BARRIER)) {
    case VIRTIO_BLK_T_IN: return do_rw(m, qi, b, c, &r, type & VIRTIO_BLK_T_OUT);
    case VIRTIO_BLK_T_FLUSH: return do_flush(m, qi, b, &r);
    case VIRTIO_BLK_T_GET_ID: { /* no serial: QEMU writes its "" (one NUL) */
        static const uint8_t nul = 0;
        (void)sr_write(m, c, &nul, r.data_in ? 1 : 0);
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_DISCARD & ~VIRTIO_BLK_T_OUT:
    case VIRTIO_BLK_T_WRITE_ZEROES & ~VIRTIO_BLK_T_OUT:
        if (!(type & VIRTIO_BLK_T_OUT))
            return VIRTIO_BLK_S_UNSUPP;
        return do_discard_wz(m, qi, b, c,
                             (type & ~VIRTIO_BLK_T_BARRIER) == VIRTIO_BLK_T_WRITE_ZEROES);
    default: return VIRTIO_BLK_S_UNSUPP; /* SCSI_CMD (scsi=off) and every unknown type */
    }
}

static uint32_t blk_process_queue(void *state, struct machine *m, uint32_t qi)
{
    struct blk_state *b = state;
    struct sr_chain *c = &m->chain;
    uint32_t pushed = 0;
    while (!m->dev.broken && ring_pop(&m->dev.q[qi], c) == RING_OK) {
        struct blk_req r;
        int status = handle(m, qi, b, c, &r);
        if (status < 0)
            break;
        uint8_t s = (uint8_t)status;
        uint8_t *status_byte = gm_ptr(&m->mem, r.status_gpa, 1);
        if (status_byte) /* (a buffer outside RAM: QEMU's map would have failed the pop) */
            *status_byte = s;
        machine_trace(m, TR_DEVICE, r.status_gpa, s, 1, "blk status");
        /* QEMU 7.2 returns in_len: every device-writable byte of the chain */
        pushed += ring_push(&m->dev.q[qi], c->head, (uint32_t)c->writable);
    }
    return pushed;
}

bool blk_disk_read(const struct machine *m, uint64_t off, void *dst, uint64_t len)
{
    if (m->device.ops != &blk_device_ops)
        return false;
    const struct blk_state *b = m->device.state;
    return off <= b->bytes && len <= b->bytes - off && sparse_image_read(b->disk, off, dst, len);
}

uint64_t blk_disk_size(const struct machine *m)
{
    return m->device.ops == &blk_device_ops ? ((const struct blk_state *)m->device.state)->bytes
                                            : 0;
}

size_t blk_disk_chunks_held(const struct machine *m)
{
    return m->device.ops == &blk_device_ops
               ? sparse_image_chunks(((const struct blk_state *)m->device.state)->disk)
               : 0;
}

const struct device_ops blk_device_ops = {
    .name = "blk",
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = 0x0100, /* virtio-blk-pci: storage, SCSI; vectors num-queues + 1 (one queue) */
    .pci_vectors = 2,
    .n_queues = 1,
    .queue_size = {BLK_QUEUE_SIZE},
    .config_size = VIRTIO_BLK_CONFIG_SIZE,
    .offered_features = blk_offered_features,
    .create = blk_create,
    .destroy = blk_destroy,
    .reset = blk_reset,
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .config_field = blk_config_field,
    .process_queue = blk_process_queue,
};
