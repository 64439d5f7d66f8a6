/* virtio_input.h — an input device driver (VirtIO 1.1 §5.8) over any transport
 * (virtio_transport.h): freestanding C11, every platform access through virtio_hal.h, errors as
 * values (virtio_status.h).
 *
 * vinput_init sets up both queues, reads the device's name and ids (select / subsel, §5.8.5),
 * sets DRIVER_OK and fills the eventq with device-writable 8-byte buffers (§5.8.6.1: kept
 * populated). vinput_next_event waits (bounded) for the next event and posts its buffer again.
 * The configuration lets a tool replay a driver that posts fewer buffers, or shorter ones
 * (event_buffers, event_bytes): the bugs of §5.8.6.1.
 */
#ifndef VIRTIO_INPUT_DRIVER_H
#define VIRTIO_INPUT_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/virtio_mmio.h"
#include "driver/virtio_transport.h"
#include "driver/virtqueue.h"
#include "spec/virtio_input.h"

#define VINPUT_MAX_BUFFERS 64u

struct vinput_config {
    struct virtio_transport *transport; /* probed by the caller (vpci_probe, ...), or NULL: */
    uintptr_t mmio_base;                /* virtio-mmio probed here */
    uint16_t queue_size;                /* eventq and statusq (at most the device's) */
    enum vq_layout_kind layout;
    uint32_t legacy_align;
    uint64_t timeout_ns;                /* 0: 5 s */
    uint64_t features;                  /* ring features wanted: INDIRECT_DESC, EVENT_IDX */
    int32_t event_buffers;              /* eventq buffers posted (-1: the queue's size) */
    uint32_t event_bytes;               /* each one's size (0: 8, an event) */
};

struct vinput {
    struct virtio_transport *t;
    struct vmmio mmio;
    struct virtq eventq, statusq;
    uint64_t timeout_ns;
    struct virtio_input_event *events;  /* the eventq's buffers (DMA) */
    uint64_t events_phys;
    uint32_t event_bytes, n_posted;
    char name[129];                     /* VIRTIO_INPUT_CFG_ID_NAME, NUL-terminated */
    struct virtio_input_devids ids;
    bool broken;
    int broken_status;
};

int vinput_init(struct vinput *v, const struct vinput_config *cfg);

/* The next event into *ev (VIRTIO_ERR_RESPONSE when the device used a buffer with fewer than
 * 8 bytes); its buffer goes back to the eventq. */
int vinput_next_event(struct vinput *v, struct virtio_input_event *ev);

#endif /* VIRTIO_INPUT_DRIVER_H */
