/* virtio_rng.h — the entropy device (VirtIO 1.1 §5.4): one queue, no features of its own, no
 * configuration; the driver posts device-writable buffers, the device fills them (or part). */
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#define VIRTIO_ID_ENTROPY 4u /* §5.4.1 */
#define VIRTIO_RNG_QUEUE_REQUEST 0u /* §5.4.2: requestq */

#endif /* VIRTIO_RNG_H */
