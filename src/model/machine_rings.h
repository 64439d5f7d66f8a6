/* machine_rings.h — the machine's side of its rings: which ring format each queue has, and what
 * each ring event runs (ring_hooks.h), in order — the rule checks (model/checks/), the injected
 * device faults (model/inject/), a replay's pace (device_pace.h), the trace and the run facts.
 *
 * A new check of the ring hears an event by one more call in machine_rings.c, never by an edit
 * of a ring format; a new ring format is one more struct ring_ops.
 */
#ifndef MACHINE_RINGS_H
#define MACHINE_RINGS_H

struct machine;

/* Bind every queue of the machine's device to the split ring and the machine's hooks (once, in
 * machine_init; a device reset keeps the binding). */
void machine_rings_bind(struct machine *m);

#endif /* MACHINE_RINGS_H */
