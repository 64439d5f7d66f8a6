/* scenario_pci.c — the scenario's virtio-pci keys: the top-level `transport: mmio | pci |
 * pci-transitional` (default mmio) and the replayed PCI driver bugs (`bugs:` entries named pci-*,
 * model/inject/pci_bugs.h). */
#include <string.h>

#include "harness/scenario_internal.h"
#include "model/transport/pci_function.h"
#include "spec/virtio_pci.h"
#include "util/yaml_tree.h"

int scn_parse_transport(struct scn_ctx *c, const struct ynode *root, struct scenario *s)
{
    static const char *const buses[] = {"mmio", "pci", "pci-transitional", NULL};
    int bus = 0;
    if (scn_choose(c, root, "transport", buses, &bus))
        return -1;
    s->bus = (uint32_t)bus;
    const struct ynode *t = ymap_get(root, "transport");
    if (bus != SCN_BUS_MMIO && s->transport_version == 1)
        return scn_fail(c, t, "transport: %s is the modern interface; a legacy virtio-pci "
                              "device is not modelled (device.transport: modern)", buses[bus]);
    /* §4.1.2.1: transitional ids exist for network, block, balloon, console, SCSI, entropy and
     * 9P only (0x1000..0x1009); every device vqsim runs today (the gpu) is modern-only, as
     * QEMU's virtio-gpu-pci is. */
    if (bus == SCN_BUS_PCI_TRANSITIONAL)
        return scn_fail(c, t, "transport: pci-transitional: virtio-gpu has no transitional PCI "
                              "device id (VirtIO 1.1 §4.1.2.1; QEMU's virtio-gpu-pci is "
                              "modern-only): use transport: pci");
    if (bus == SCN_BUS_MMIO && s->pci_bugs.n)
        return scn_fail(c, root, "a pci-* bug needs 'transport: pci'");
    return 0;
}

/* The common-configuration field named by a's `key` (common.NAME): its offset, or -1. */
static int common_field(struct scn_ctx *c, const struct ynode *a, const char *kind,
                        const char *key, uint32_t *size)
{
    const char *name = NULL;
    if (!a || scn_get_str(c, a, key, &name) || !name)
        return scn_fail(c, a, "%s needs {%s: common.NAME}", kind, key);
    int off = pci_common_field_offset(name, size);
    if (off < 0)
        return scn_fail(c, ymap_get(a, key), "'%s' is not a common-configuration field "
                        "(common.queue_select, common.device_status, ...)", name);
    return off;
}

int scn_parse_pci_bug(struct scn_ctx *c, const char *kind, const struct ynode *a,
                      struct scenario *s)
{
    int k = pci_bug_kind(kind);
    if (k < 0)
        return 1;
    if (s->pci_bugs.n >= PCI_BUG_MAX)
        return scn_fail(c, a, "at most %d pci-* bugs per scenario", PCI_BUG_MAX);
    struct pci_bug *b = &s->pci_bugs.b[s->pci_bugs.n];
    memset(b, 0, sizeof(*b));
    b->kind = (enum pci_bug_kind)k;
    b->label = pci_bug_name(b->kind);
    static const char *const keys[] = {"field", "queue", "value", "after", "offset", NULL};
    if (a && a->kind == YN_MAP && scn_check_keys(c, a, kind, keys))
        return -1;
    if (b->kind == PCI_BUG_WIDE_ACCESS || b->kind == PCI_BUG_ADD_WRITE) {
        int off = common_field(c, a, kind, "field", &b->field_size);
        if (off < 0 || (b->kind == PCI_BUG_WIDE_ACCESS && b->field_size == 4))
            return off < 0 ? -1 : scn_fail(c, ymap_get(a, "field"), "pci-wide-access needs a "
                                           "field narrower than 32 bits");
        b->field = (uint32_t)off;
    }
    if (b->kind == PCI_BUG_ADD_WRITE) {
        uint32_t size;
        int after = common_field(c, a, kind, "after", &size);
        if (after < 0)
            return -1;
        b->after = (uint32_t)after;
    }
    if (b->kind == PCI_BUG_ADD_CFG_WRITE &&
        (!a || !ymap_get(a, "offset") || scn_get_u32(c, a, "offset", 0, 0xfc, &b->field)))
        return a && ymap_get(a, "offset") ? -1 : scn_fail(c, a, "%s needs {offset: O, value: V}",
                                                          kind);
    if (a && a->kind == YN_MAP &&
        (scn_get_u32(c, a, "queue", 0, DEVICE_MAX_QUEUES - 1, &b->queue) ||
         scn_get_u32(c, a, "value", 0, UINT32_MAX, &b->value)))
        return -1;
    s->pci_bugs.n++;
    return 0;
}
