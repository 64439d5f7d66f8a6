/* virtio_input.h — the input device (VirtIO 1.1 §5.8): its queues, configuration and event,
 * declared once for the driver and the model (little-endian fields, as virtio_spec.h says). */
#ifndef VIRTIO_INPUT_H
#define VIRTIO_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_INPUT 18u /* §5.8.1 */
#define VIRTIO_INPUT_QUEUE_EVENT 0u /* §5.8.2 eventq */
#define VIRTIO_INPUT_QUEUE_STATUS 1u /* statusq */

/* §5.8.4 virtio_input_config_select */
#define VIRTIO_INPUT_CFG_UNSET 0x00u
#define VIRTIO_INPUT_CFG_ID_NAME 0x01u
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02u
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03u
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10u
#define VIRTIO_INPUT_CFG_EV_BITS 0x11u
#define VIRTIO_INPUT_CFG_ABS_INFO 0x12u

struct virtio_input_devids {
    uint16_t bustype, vendor, product, version;
};
_Static_assert(sizeof(struct virtio_input_devids) == 8, "§5.8.4");

struct virtio_input_config {
    uint8_t select;
    uint8_t subsel;
    uint8_t size;
    uint8_t reserved[5];
    union {
        char string[128];
        uint8_t bitmap[128];
        struct virtio_input_devids ids;
    } u;
};
_Static_assert(sizeof(struct virtio_input_config) == 136, "§5.8.4");
_Static_assert(offsetof(struct virtio_input_config, u) == 8, "§5.8.4");

/* §5.8.6: one event, as evdev's (type, code, value). */
struct virtio_input_event {
    uint16_t type;
    uint16_t code;
    uint32_t value;
};
_Static_assert(sizeof(struct virtio_input_event) == 8, "§5.8.6");

/* evdev's event types and the report sync (linux/input-event-codes.h values). */
#define VIRTIO_INPUT_EV_SYN 0x00u
#define VIRTIO_INPUT_EV_KEY 0x01u
#define VIRTIO_INPUT_EV_REL 0x02u
#define VIRTIO_INPUT_EV_ABS 0x03u
#define VIRTIO_INPUT_EV_MSC 0x04u
#define VIRTIO_INPUT_EV_LED 0x11u
#define VIRTIO_INPUT_EV_REP 0x14u
#define VIRTIO_INPUT_SYN_REPORT 0x00u

#endif /* VIRTIO_INPUT_H */
