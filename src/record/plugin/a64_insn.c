/* a64_insn.c — see a64_insn.h. Bit numbers are the Arm ARM's (31 the top). */
#include "record/plugin/a64_insn.h"

bool a64_no_store(uint32_t op)
{
    bool l = (op >> 22) & 1; /* L, the load bit of the pair, exclusive and structure groups */
    if ((op & 0x3f000000u) == 0x08000000u) /* 29:24 = 001000: exclusive / ordered */
        return l && !((op >> 21) & 1);      /* not a pair, not CAS / CASP */
    if ((op & 0x3b000000u) == 0x18000000u) /* 29:27 = 011, 25:24 = 00: literal */
        return true;
    if ((op & 0x3a000000u) == 0x28000000u) /* 29:27 = 101, 25 = 0: pair */
        return l;
    if ((op & 0x3a000000u) == 0x38000000u) { /* 29:27 = 111, 25 = 0: one register */
        uint32_t opc = (op >> 22) & 3;
        bool unsigned_offset = (op >> 24) & 1;
        if (!unsigned_offset && ((op >> 21) & 1) && ((op >> 10) & 3) != 2)
            return false;                /* 21 = 1, 11:10 != 10: atomic group, LDAPR, LDRAA */
        return (op >> 26) & 1 ? (opc & 1) != 0 /* SIMD&FP: opc 1x with size 00 is STR Q */
                              : opc != 0;
    }
    if ((op & 0xbe000000u) == 0x0c000000u) /* 31 = 0, 29:25 = 00110: SIMD structures */
        return l;
    return false;
}

bool a64_no_memory(uint32_t op)
{
    uint32_t op0 = (op >> 25) & 0xf; /* 28:25 */
    if ((op0 & 0xe) == 0x8)          /* 100x: data processing, immediate */
        return true;
    if ((op0 & 0x7) == 0x5 || (op0 & 0x7) == 0x7) /* x101, x111: register, SIMD&FP */
        return true;
    if ((op0 & 0xe) == 0xa)          /* 101x: branches, exceptions, system */
        return (op & 0xffc00000u) != 0xd5000000u; /* 31:22 = 1101010100: system */
    return false;
}
