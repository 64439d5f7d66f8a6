/* phys_addr_check.c — see phys_addr_check.h. */
#include "model/checks/phys_addr_check.h"

#include "spec/virtio_spec.h"
#include "model/machine.h"

bool pa_check_virtual(struct machine *m, uint32_t qi, const char *what, uint64_t addr,
                      uint64_t len)
{
    if (m->dev.guest_features & (1ull << VIRTIO_F_ACCESS_PLATFORM))
        return false; /* addresses go through the platform's translation: not ours to judge */
    if ((addr >> 48) != 0xffffu || addr + len < addr || gm_contains(&m->mem, addr, len))
        return false; /* a range running past 2^64 is no address of anything: the RAM rule's */
    machine_break_device(m, "feat.no-access-platform-phys-addr", (int)qi,
                         "queue %u: %s 0x%llx is a kernel virtual address, not a guest-physical "
                         "one (RAM is [0x%llx, 0x%llx)), and VIRTIO_F_ACCESS_PLATFORM was not "
                         "negotiated", qi, what, (unsigned long long)addr,
                         (unsigned long long)m->mem.base,
                         (unsigned long long)(m->mem.base + m->mem.size));
    return true;
}
