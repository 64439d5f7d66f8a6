/* steptable_net.h — a net scenario's frames for the bare-metal port (step_table.h: struct
 * vqst_net), written by vqsim-steptable --net FILE. */
#ifndef VQ_STEPTABLE_NET_H
#define VQ_STEPTABLE_NET_H

#include <stddef.h>

#include "../../../src/harness/scenario.h"

/* Why the port cannot exchange this net scenario's frames (too many), or NULL. */
const char *steptable_net_why(const struct scenario *s);
/* Write the frames file: 0, or -1 with the reason in err. */
int steptable_net_write(const struct scenario *s, const char *path, char *err, size_t n);

#endif /* VQ_STEPTABLE_NET_H */
