/* mmio_config_narrow.c — see mmio_config_narrow.h. */
#include "model/transport/mmio_config_narrow.h"

#include "model/checks/config_checks.h"
#include "model/machine.h"
#include "spec/virtio_spec.h"

bool mmio_config_is_config(uint32_t off)
{
    return off >= VIRTIO_MMIO_CONFIG && off < VIRTIO_MMIO_WINDOW_SIZE;
}

bool mmio_config_width_ok(struct machine *m, uint32_t c, uint32_t size, bool write)
{
    const struct device_ops *dev = m->device.ops;
    const char *what = write ? "write" : "read";
    if (c + size > dev->config_size) {
        machine_violation(m, "mmio.no-undefined-offsets", -1,
                          "config space %u-byte %s at offset 0x%x, past the %s's %u bytes", size,
                          what, c, dev->name, dev->config_size);
        return false;
    }
    uint32_t start = c & ~3u, width = 4;
    if (dev->config_field)
        width = dev->config_field(m->device.state, c, &start);
    bool ok = (width == size && start == c) ||
              (width == 8 && size == 4 && (c == start || c == start + 4));
    if (!ok)
        machine_violation(m, "mmio.config-access-width", -1,
                          "config space %u-byte %s at offset 0x%x: the %s's field there is %u "
                          "byte(s) wide at offset 0x%x, and takes accesses of its own width "
                          "(§4.2.2.2)", size, what, c, dev->name, width, start);
    return ok;
}

static uint32_t word_at(struct machine *m, uint32_t c)
{
    return m->device.ops->config_read(m->device.state, m, c & ~3u);
}

uint32_t mmio_config_read_narrow(struct machine *m, uint32_t off, uint32_t size)
{
    uint32_t c = off - VIRTIO_MMIO_CONFIG, shift = 8 * (c % 4);
    config_checks_access(m, off, false, 0);
    (void)mmio_config_width_ok(m, c, size, false);
    if (c % 4 + size > 4 || c >= m->device.ops->config_size)
        return 0; /* QEMU: a read past the config answers 0 (virtio_config_readb …) */
    uint32_t mask = size >= 4 ? 0xffffffffu : (1u << 8 * size) - 1;
    return word_at(m, c) >> shift & mask;
}

void mmio_config_write_narrow(struct machine *m, uint32_t off, uint32_t size, uint32_t value,
                              const char **note)
{
    uint32_t c = off - VIRTIO_MMIO_CONFIG, shift = 8 * (c % 4);
    *note = NULL;
    config_checks_access(m, off, true, value);
    (void)mmio_config_width_ok(m, c, size, true);
    if (c % 4 + size > 4 || c >= m->device.ops->config_size) {
        *note = "ignored: past the device's configuration (QEMU drops it)";
        return;
    }
    uint32_t mask = ((size >= 4 ? 0xffffffffu : (1u << 8 * size) - 1)) << shift;
    uint32_t word = (word_at(m, c) & ~mask) | (value << shift & mask);
    m->device.ops->config_write(m->device.state, m, c & ~3u, word, note);
}
