/* virtio_device.c — see virtio_device.h. */
#include "driver/virtio_device.h"

#include "driver/virtio_hal.h"

int vdev_attach(struct virtio_transport *given, struct vmmio *mmio, uintptr_t mmio_base,
                uint64_t timeout_ns, uint32_t device_id, struct virtio_transport **t)
{
    if (given) {
        *t = given;
    } else {
        int rc = vmmio_probe(mmio, mmio_base, timeout_ns);
        if (rc != VIRTIO_OK)
            return rc;
        *t = &mmio->t;
    }
    return (*t)->device_id == device_id ? VIRTIO_OK : VIRTIO_ERR_WRONG_DEVICE;
}

int vdev_wait_used(struct virtio_transport *t, struct virtq *vq, uint64_t timeout_ns,
                   void **token, uint32_t *len)
{
    uint64_t deadline = vhal_now_ns() + timeout_ns, delay = 1000;
    int rc;
    while ((rc = vq_get_used(vq, token, len)) == VIRTIO_ERR_EMPTY) {
        if (vhal_now_ns() >= deadline) {
            rc = vtr_check_alive(t);
            return rc != VIRTIO_OK ? rc : VIRTIO_ERR_TIMEOUT;
        }
        vhal_delay_ns(delay);
        if (delay < 1000000)
            delay *= 2;
    }
    vtr_ack_interrupt(t); /* §4.2.3.4 */
    vhal_rmb(); /* (1) pairs with the device's write barrier before used.idx */
    return rc;
}
