/* a64_insn.h — what the plugin needs to know of an aarch64 instruction word before it runs
 * (the Arm ARM's A64 encoding index, "Loads and Stores": op0 = x1x0).
 *
 * a64_no_store: the instruction is one of the loads below, so it writes no memory: LDR / LDRB /
 * LDRH / LDRS* (every addressing form but the atomic group), LDP / LDNP / LDPSW, the literal
 * loads and PRFM, LDXR / LDAXR / LDAR / LDLAR (single register), SIMD&FP LDR and LD1–LD4 /
 * LD1R–LD4R. Everything else answers false, whether it stores or touches no memory at all: the
 * atomic group (LDADD, SWP…, which store; also LDAPR and LDRAA), the exclusive pairs (LDXP), CAS
 * / CASP, and every encoding not listed. A false "true" would hide a store; a false "false"
 * only costs a callback. */
#ifndef VQREC_A64_INSN_H
#define VQREC_A64_INSN_H

#include <stdbool.h>
#include <stdint.h>

bool a64_no_store(uint32_t op);

/* a64_no_memory: the instruction is in a group of the encoding index that never accesses
 * memory: data processing (immediate, register, SIMD&FP) and branches (not the system
 * instructions: DC ZVA writes memory). No memory callback needs registering on it. */
bool a64_no_memory(uint32_t op);

#endif /* VQREC_A64_INSN_H */
