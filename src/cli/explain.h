/* explain.h — `vqsim explain`: teach one rule, or one queue layout, in the terminal.
 *
 *   vqsim explain RULE-ID                     the rule from the embedded catalogue (spec/rules.yaml)
 *   vqsim explain --layout N [--legacy ALIGN] every part of a split ring of N entries with offset,
 *                                             size and alignment, computed by ring_layout.c — the
 *                                             code the device model places rings with
 *   vqsim explain --pci                       the virtio-pci function the model presents: ids,
 *                                             BARs, the capability chain, the common
 *                                             configuration, notify addresses (explain_pci.c)
 *
 * Exit status: 0 explained; 2 usage error, a value out of range, or an unknown rule id (the
 * message suggests the closest ids). */
#ifndef EXPLAIN_H
#define EXPLAIN_H

#include <stdio.h>

/* argv holds the arguments after "explain". Output to out, errors to err. */
int cmd_explain(int argc, char **argv, FILE *out, FILE *err);
/* explain_pci.c: `explain --pci`; 0. */
int explain_pci(FILE *out);

/* The lines `vqsim --help` shows for this command (a literal, so main.c can splice it in). */
#define EXPLAIN_USAGE                                                                            \
    "explain RULE-ID  a rule in our words: its VirtIO 1.1 section, level, what the check\n"     \
    "                 looks at, what QEMU does, the scenario that shows it\n"                    \
    "explain --layout N [--legacy ALIGN]\n"                                                      \
    "                 every part of a split ring of N entries with offset, size and\n"           \
    "                 alignment: modern (§2.6) or legacy with QueueAlign ALIGN (§2.6.2)\n"    \
    "explain --pci    the virtio-pci function the model presents (§4.1): ids, BARs, the\n"     \
    "                 capability chain, the common configuration, notify addresses\n"

#endif /* EXPLAIN_H */
