/* virtio_status.h — the driver's error values. Every driver function returns one; none aborts. */
#ifndef VIRTIO_STATUS_H
#define VIRTIO_STATUS_H

enum virtio_status {
    VIRTIO_OK = 0,
    VIRTIO_ERR_INVALID = -1,     /* bad argument from the caller */
    VIRTIO_ERR_NOMEM = -2,       /* vhal_dma_alloc failed */
    VIRTIO_ERR_NOSPC = -3,       /* not enough free descriptors */
    VIRTIO_ERR_EMPTY = -4,       /* nothing in the used ring yet */
    VIRTIO_ERR_TIMEOUT = -5,     /* the device did not answer before the deadline */
    VIRTIO_ERR_NO_DEVICE = -6,   /* bad magic, unsupported version, or device id 0 (§4.2.3.1.1) */
    VIRTIO_ERR_WRONG_DEVICE = -7,/* a device, but not the type the driver drives */
    VIRTIO_ERR_FEATURES = -8,    /* FEATURES_OK did not stick (§3.1.1 step 6) */
    VIRTIO_ERR_QUEUE = -9,       /* queue unavailable, in use, or too small */
    VIRTIO_ERR_BAD_USED = -10,   /* a used id below the queue size that is not the head of a chain
                                  * in flight (and was not just completed either) */
    VIRTIO_ERR_RESPONSE = -11,   /* the device answered with an error or unexpected response */
    VIRTIO_ERR_BROKEN = -12,     /* an earlier device error latched the queue (or the driver)
                                  * broken: every call fails with this until reset/init */
    VIRTIO_ERR_NEEDS_RESET = -13,/* the device set DEVICE_NEEDS_RESET (§2.1) */
    /* A hostile or broken device (each latches the queue or the driver broken): */
    VIRTIO_ERR_USED_ID_RANGE = -14, /* used id >= queue size (§2.6.8) */
    VIRTIO_ERR_USED_ID_TWICE = -15, /* used id of a chain the device already returned */
    VIRTIO_ERR_USED_IDX_JUMP = -16, /* used.idx moved by more than the chains in flight */
    VIRTIO_ERR_USED_LEN = -17,      /* used len above the chain's device-writable bytes
                                     * (§2.6.8.1; strict used-len policy) */
    VIRTIO_ERR_BAD_CONFIG = -18,    /* a device configuration value out of its range */
    VIRTIO_ERR_DEVICE_RESET = -19,  /* the device reset itself: Status lost DRIVER_OK */
};

static inline const char *virtio_status_name(int s)
{
    switch (s) {
    case VIRTIO_OK: return "ok";
    case VIRTIO_ERR_INVALID: return "invalid-argument";
    case VIRTIO_ERR_NOMEM: return "out-of-dma-memory";
    case VIRTIO_ERR_NOSPC: return "no-free-descriptors";
    case VIRTIO_ERR_EMPTY: return "used-ring-empty";
    case VIRTIO_ERR_TIMEOUT: return "timeout";
    case VIRTIO_ERR_NO_DEVICE: return "no-device";
    case VIRTIO_ERR_WRONG_DEVICE: return "wrong-device";
    case VIRTIO_ERR_FEATURES: return "features-refused";
    case VIRTIO_ERR_QUEUE: return "queue-unavailable";
    case VIRTIO_ERR_BAD_USED: return "used-id-not-head";
    case VIRTIO_ERR_RESPONSE: return "error-response";
    case VIRTIO_ERR_BROKEN: return "latched-broken";
    case VIRTIO_ERR_NEEDS_RESET: return "device-needs-reset";
    case VIRTIO_ERR_USED_ID_RANGE: return "used-id-out-of-range";
    case VIRTIO_ERR_USED_ID_TWICE: return "used-id-completed-twice";
    case VIRTIO_ERR_USED_IDX_JUMP: return "used-idx-jump";
    case VIRTIO_ERR_USED_LEN: return "used-len-too-large";
    case VIRTIO_ERR_BAD_CONFIG: return "bad-device-config";
    case VIRTIO_ERR_DEVICE_RESET: return "device-reset-itself";
    default: return "unknown-error";
    }
}

#endif /* VIRTIO_STATUS_H */
