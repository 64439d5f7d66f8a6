/* phys_addr_check.h — feat.no-access-platform-phys-addr (§6.1): without VIRTIO_F_ACCESS_PLATFORM
 * the driver hands the device guest-physical addresses only.
 *
 * A wrong but valid physical address cannot be told from a right one; what can be told is an
 * address that is no guest-physical address at all but has the shape of a kernel virtual one:
 * outside RAM with its top 16 bits set (the upper half of a 48-bit address space, where x86-64
 * and arm64 kernels map memory). Such an address is reported under this rule instead of the
 * plain "not in RAM" rule; the device reacts as QEMU does to any unmappable address.
 */
#ifndef PHYS_ADDR_CHECK_H
#define PHYS_ADDR_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* True (and the device broken, the rule recorded) when [addr, addr+len) is a virtual-looking
 * address given while ACCESS_PLATFORM is not negotiated. `what` names it in the message. */
bool pa_check_virtual(struct machine *m, uint32_t qi, const char *what, uint64_t addr,
                      uint64_t len);

#endif /* PHYS_ADDR_CHECK_H */
