/* check_cmd.h — `vqsim check`: judge recordings of a real guest (src/harness/replay.h). */
#ifndef CHECK_CMD_H
#define CHECK_CMD_H

#include <stdio.h>

#define CHECK_USAGE                                                                               \
    "check    replay each recording (vqsim record, vqsim run --record) through the same rule\n"  \
    "         checks, barrier analysis and diagnosis; one line per recording, as run prints\n"   \
    "  --json FILE       write the results as JSON (vqsim-results/1, with a `source` object)\n"  \
    "  --scenario S.yaml take the device side (version, display, profile…) from a scenario\n"    \
    "                    instead of the recording's RAM, window and Version read\n"              \
    "  --spec V          judge against VirtIO V (1.1 .. 1.4; default qemu), as run --spec\n"     \
    "  -v                print what was replayed, discrepancies, violations and diagnosis\n"     \
    "  exit status: 0 every recording clean, 1 violations or a request never answered found,\n"  \
    "               2 usage error, invalid recording or scenario, 3 a recording unreadable\n"

/* argv: the arguments after `check`. Returns the exit status. */
int cmd_check(int argc, char **argv, FILE *out, FILE *err);

#endif /* CHECK_CMD_H */
