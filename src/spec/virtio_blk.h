/* virtio_blk.h — the block device's structures and constants (VirtIO 1.1 §5.2), declared once
 * for the driver and the model. Little-endian fields (§5.2.4: the config is little-endian on a
 * modern device; the model and the driver run on little-endian hosts, as virtio_spec.h says).
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_BLOCK 2u /* §5.2.1 */

/* §5.2.3 feature bits (legacy-only ones marked). */
#define VIRTIO_BLK_F_SIZE_MAX 1u
#define VIRTIO_BLK_F_SEG_MAX 2u
#define VIRTIO_BLK_F_GEOMETRY 4u
#define VIRTIO_BLK_F_RO 5u
#define VIRTIO_BLK_F_BLK_SIZE 6u
#define VIRTIO_BLK_F_SCSI 7u        /* legacy (§5.2.3.1) */
#define VIRTIO_BLK_F_FLUSH 9u       /* legacy name: VIRTIO_BLK_F_WCE */
#define VIRTIO_BLK_F_TOPOLOGY 10u
#define VIRTIO_BLK_F_CONFIG_WCE 11u
#define VIRTIO_BLK_F_MQ 12u
#define VIRTIO_BLK_F_DISCARD 13u
#define VIRTIO_BLK_F_WRITE_ZEROES 14u

#define VIRTIO_BLK_SECTOR_SIZE 512u /* §5.2.6: sector is in 512-byte units, whatever blk_size */

/* §5.2.4 */
struct virtio_blk_config {
    uint64_t capacity;          /* in 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    struct {
        uint16_t cylinders;
        uint8_t heads;
        uint8_t sectors;
    } geometry;
    uint32_t blk_size;
    struct {
        uint8_t physical_block_exp;
        uint8_t alignment_offset;
        uint16_t min_io_size;
        uint32_t opt_io_size;
    } topology;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
};
/* Its bytes (sizeof adds padding to a multiple of 8 after unused1). */
#define VIRTIO_BLK_CONFIG_SIZE 60u
_Static_assert(offsetof(struct virtio_blk_config, unused1) + 3 == VIRTIO_BLK_CONFIG_SIZE, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, seg_max) == 12, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, geometry) == 16, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, topology) == 24, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, writeback) == 32, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, num_queues) == 34, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, max_discard_sectors) == 36, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, max_write_zeroes_sectors) == 48, "§5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, write_zeroes_may_unmap) == 56, "§5.2.4");

/* §5.2.6: the device-readable header that starts every request (struct virtio_blk_req up to
 * data); the request ends with one device-writable status byte. */
struct virtio_blk_outhdr {
    uint32_t type;
    uint32_t reserved;          /* legacy: ioprio */
    uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "§5.2.6");
_Static_assert(offsetof(struct virtio_blk_outhdr, sector) == 8, "§5.2.6");

#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_SCSI_CMD 2u     /* legacy (§5.2.6.3) */
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u       /* not in 1.1; Linux and QEMU use it (1.2 §5.2.6) */
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u
#define VIRTIO_BLK_T_BARRIER 0x80000000u /* legacy flag (§5.2.6.3) */

#define VIRTIO_BLK_ID_BYTES 20u      /* GET_ID's answer: the serial, NUL-padded */

#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* §5.2.6: one segment of a DISCARD / WRITE_ZEROES request's data. */
struct virtio_blk_discard_write_zeroes {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;             /* bit 0: unmap (write zeroes only) */
};
_Static_assert(sizeof(struct virtio_blk_discard_write_zeroes) == 16, "§5.2.6");
#define VIRTIO_BLK_WZ_F_UNMAP 1u

#endif /* VIRTIO_BLK_H */
