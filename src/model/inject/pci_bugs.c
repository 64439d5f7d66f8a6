/* pci_bugs.c — see pci_bugs.h. */
#include "model/inject/pci_bugs.h"

#include <string.h>

#include "model/machine.h"
#include "spec/virtio_pci.h"

static const char *const names[] = {"pci-wide-access", "pci-notify-no-multiplier",
                                    "pci-enable-early", "pci-vector-no-readback",
                                    "pci-memory-off", "pci-add-write", "pci-add-cfg-write",
                                    NULL};

int pci_bug_kind(const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

const char *pci_bug_name(enum pci_bug_kind kind) { return names[kind]; }

static uint64_t common_addr(const struct machine *m, uint32_t field)
{
    return pci_function_bar_addr(&m->pci, PCI_FN_MODERN_BAR) + PCI_FN_COMMON_OFF + field;
}

/* One bug on one write; true when it changed or added something. */
static bool apply(struct machine *m, const struct pci_bug *b, uint64_t *addr, uint8_t *size,
                  uint32_t *value, const struct pci_hit *h, struct pci_added *add)
{
    switch (b->kind) {
    case PCI_BUG_WIDE_ACCESS:
        if (h->region != PCI_R_COMMON || h->off != b->field || *size == 4)
            return false;
        *size = 4;
        return true;
    case PCI_BUG_NOTIFY_NO_MULTIPLIER:
        if (h->region != PCI_R_NOTIFY)
            return false;
        *addr = *addr - h->off + *value; /* queue_notify_off is the queue's index on QEMU */
        return true;
    case PCI_BUG_ENABLE_EARLY:
        if (h->region != PCI_R_COMMON || h->off != VPCI_COMMON(queue_desc) ||
            m->dev.queue_sel != b->queue)
            return false;
        *add = (struct pci_added){.has = true, .addr = common_addr(m, VPCI_COMMON(queue_enable)),
                                  .size = 2, .value = 1};
        return true;
    case PCI_BUG_VECTOR_NO_READBACK:
        if (h->region != PCI_R_COMMON || h->off != VPCI_COMMON(queue_size))
            return false;
        *add = (struct pci_added){.has = true, .after = true, .size = 2, .value = b->value,
                                  .addr = common_addr(m, VPCI_COMMON(queue_msix_vector))};
        return true;
    case PCI_BUG_ADD_WRITE:
        if (h->region != PCI_R_COMMON || h->off != b->after)
            return false;
        add->after = true;
        add->has = true;
        add->addr = common_addr(m, b->field);
        add->size = (uint8_t)b->field_size;
        add->value = b->value;
        return true;
    default: return false;
    }
}

bool pci_bugs_write(struct machine *m, uint64_t *addr, uint8_t *size, uint32_t *value,
                    const char **bug, struct pci_added *add)
{
    add->has = false;
    struct pci_bug_list *l = &m->pci_bugs;
    if (!l->n)
        return true;
    struct pci_hit h;
    pci_function_decode(m, *addr, *size, true, &h);
    for (uint32_t i = 0; i < l->n; i++) {
        struct pci_bug *b = &l->b[i];
        if (apply(m, b, addr, size, value, &h, add))
            *bug = b->label;
    }
    return true;
}

void pci_bugs_cfg_write(struct machine *m, uint32_t off, uint32_t *value, const char **bug,
                        struct pci_added *add)
{
    struct pci_bug_list *l = &m->pci_bugs;
    add->has = false;
    for (uint32_t i = 0; i < l->n && off == PCI_CFG_COMMAND; i++) {
        const struct pci_bug *b = &l->b[i];
        if (b->kind == PCI_BUG_MEMORY_OFF && (*value & PCI_COMMAND_MEMORY)) {
            *value &= ~PCI_COMMAND_MEMORY;
            *bug = b->label;
        } else if (b->kind == PCI_BUG_ADD_CFG_WRITE) {
            *add = (struct pci_added){.has = true, .after = true, .addr = b->field, .size = 4,
                                      .value = b->value};
        }
    }
}
