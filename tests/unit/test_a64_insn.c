/* test_a64_insn.c — the plugin's "writes no memory" and "accesses no memory" decodings
 * (src/record/plugin/a64_insn.h) on instruction words of every load / store class and of the
 * groups that access nothing: a store called a load would hide that store from a stores-first
 * recording, an access in a group called memory-free would hide it from every recording. Words
 * written out from the Arm ARM's encodings (the assembler syntax beside each; x0 the base, x1 /
 * x2 the data registers unless said). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "record/plugin/a64_insn.h"

struct word {
    uint32_t op;
    const char *what;
};

static const struct word stores[] = {
    {0xf9000001, "str x1, [x0]"}, {0x39000001, "strb w1, [x0]"}, {0x79000001, "strh w1, [x0]"},
    {0xb9000001, "str w1, [x0]"}, {0xf81f8001, "stur x1, [x0, #-8]"},
    {0xf8008c01, "str x1, [x0, #8]!"}, {0xf8008401, "str x1, [x0], #8"},
    {0xf8226801, "str x1, [x0, x2]"}, {0xf8000801, "sttr x1, [x0]"},
    {0xa9000801, "stp x1, x2, [x0]"}, {0xa8000801, "stnp x1, x2, [x0]"},
    {0xa9800801, "stp x1, x2, [x0, #0]!"}, {0xad000400, "stp q0, q1, [x0]"},
    {0x3d800000, "str q0, [x0]"}, {0x3c800000, "stur q0, [x0]"}, {0xfd000000, "str d0, [x0]"},
    {0xbd000000, "str s0, [x0]"}, {0x7d000000, "str h0, [x0]"}, {0x3d000000, "str b0, [x0]"},
    {0xc89ffc01, "stlr x1, [x0]"}, {0x089ffc01, "stlrb w1, [x0]"},
    {0xc8027c01, "stxr w2, x1, [x0]"}, {0xc802fc01, "stlxr w2, x1, [x0]"},
    {0xc8230801, "stxp w3, x1, x2, [x0]"}, {0xc8a17c02, "cas x1, x2, [x0]"},
    {0xc8e17c02, "casa x1, x2, [x0]"}, {0xc8e1fc02, "casal x1, x2, [x0]"},
    {0x48207c82, "casp x0, x1, x2, x3, [x4]"}, {0xf8210002, "ldadd x1, x2, [x0]"},
    {0xf8a10002, "ldadda x1, x2, [x0]"}, {0xf8218002, "swp x1, x2, [x0]"},
    {0xf8e18002, "swpal x1, x2, [x0]"}, {0xf821001f, "stadd x1, [x0]"},
    {0xd9000001, "stlur x1, [x0]"}, {0x4c007000, "st1 {v0.16b}, [x0]"},
    {0x4c9f7000, "st1 {v0.16b}, [x0], #16"}, {0x0d000000, "st1 {v0.b}[0], [x0]"},
    {0x4c000000, "st4 {v0.16b-v3.16b}, [x0]"}, {0xd50b7420, "dc zva, x0"},
};

static const struct word loads[] = {
    {0xf9400001, "ldr x1, [x0]"}, {0x39400001, "ldrb w1, [x0]"}, {0x39800001, "ldrsb x1, [x0]"},
    {0x39c00001, "ldrsb w1, [x0]"}, {0x79400001, "ldrh w1, [x0]"}, {0xb9400001, "ldr w1, [x0]"},
    {0xb9800001, "ldrsw x1, [x0]"}, {0xf9800000, "prfm pldl1keep, [x0]"},
    {0xf85f8001, "ldur x1, [x0, #-8]"}, {0xf8408c01, "ldr x1, [x0, #8]!"},
    {0xf8408401, "ldr x1, [x0], #8"}, {0xf8626801, "ldr x1, [x0, x2]"},
    {0xf8400801, "ldtr x1, [x0]"}, {0xa9400801, "ldp x1, x2, [x0]"},
    {0xa8400801, "ldnp x1, x2, [x0]"}, {0x69400801, "ldpsw x1, x2, [x0]"},
    {0xad400400, "ldp q0, q1, [x0]"}, {0x3dc00000, "ldr q0, [x0]"}, {0x3cc00000, "ldur q0, [x0]"},
    {0xfd400000, "ldr d0, [x0]"}, {0xbd400000, "ldr s0, [x0]"}, {0x3d400000, "ldr b0, [x0]"},
    {0xc8dffc01, "ldar x1, [x0]"}, {0x08dffc01, "ldarb w1, [x0]"},
    {0xc85f7c01, "ldxr x1, [x0]"}, {0xc85ffc01, "ldaxr x1, [x0]"},
    {0x58000041, "ldr x1, <label>"}, {0x18000041, "ldr w1, <label>"},
    {0x98000041, "ldrsw x1, <label>"}, {0x9c000040, "ldr q0, <label>"},
    {0xd8000040, "prfm pldl1keep, <label>"}, {0x4c407000, "ld1 {v0.16b}, [x0]"},
    {0x4cdf7000, "ld1 {v0.16b}, [x0], #16"}, {0x4d40c000, "ld1r {v0.16b}, [x0]"},
    {0x0d400000, "ld1 {v0.b}[0], [x0]"},
};

/* Kept as "may store" though they only load: cheap, and not worth a finer decoding. */
static const struct word kept[] = {
    {0xf8bfc001, "ldapr x1, [x0]"}, {0xc87f0801, "ldxp x1, x2, [x0]"},
    {0xf8200401, "ldraa x1, [x0]"}, {0xd9400001, "ldapur x1, [x0]"},
};

static void every_store_is_kept(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
        if (a64_no_store(stores[i].op))
            fail_msg("%s (0x%08x) decoded as writing no memory", stores[i].what,
                     (unsigned)stores[i].op);
    }
}

static void plain_loads_are_skipped(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
        if (!a64_no_store(loads[i].op))
            fail_msg("%s (0x%08x) not decoded as a load", loads[i].what, (unsigned)loads[i].op);
    }
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        assert_false(a64_no_store(kept[i].op));
}

static const struct word no_memory[] = {
    {0x8b020020, "add x0, x1, x2"}, {0xd2800020, "mov x0, #1"}, {0x1e622820, "fadd d0, d1, d2"},
    {0x4e228420, "add v0.16b, v1.16b, v2.16b"}, {0x14000000, "b ."}, {0x94000000, "bl ."},
    {0xd65f03c0, "ret"}, {0xb4000000, "cbz x0, ."}, {0x54000000, "b.eq ."},
    {0xd4000001, "svc #0"}, {0xaa0103e0, "mov x0, x1"}, {0x9ac20c20, "sdiv x0, x1, x2"},
};

static const struct word memory[] = {
    {0xd50b7420, "dc zva, x0"}, {0xd50b7e20, "dc civac, x0"}, {0xd5033fdf, "isb"},
    {0xd51b4200, "msr nzcv, x0"},
};

static void groups_that_never_access_memory(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(no_memory) / sizeof(no_memory[0]); i++)
        if (!a64_no_memory(no_memory[i].op))
            fail_msg("%s (0x%08x) not decoded as accessing no memory", no_memory[i].what,
                     (unsigned)no_memory[i].op);
    for (size_t i = 0; i < sizeof(memory) / sizeof(memory[0]); i++)
        assert_false(a64_no_memory(memory[i].op));
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
        if (a64_no_memory(stores[i].op))
            fail_msg("%s (0x%08x) decoded as accessing no memory", stores[i].what,
                     (unsigned)stores[i].op);
    for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
        assert_false(a64_no_memory(loads[i].op));
}

/* Every data register and base register, every immediate: the class never depends on them. */
static void registers_and_offsets_do_not_matter(void **state)
{
    (void)state;
    for (uint32_t rt = 0; rt < 32; rt++)
        for (uint32_t rn = 0; rn < 32; rn += 7) {
            assert_false(a64_no_store(0xf9000000u | 0x155u << 10 | rn << 5 | rt)); /* str */
            assert_true(a64_no_store(0xf9400000u | 0x155u << 10 | rn << 5 | rt));  /* ldr */
            assert_false(a64_no_store(0xa9000000u | 0x55u << 15 | rn << 5 | rt)); /* stp */
            assert_true(a64_no_store(0xa9400000u | 0x55u << 15 | rn << 5 | rt));  /* ldp */
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_store_is_kept),
        cmocka_unit_test(plain_loads_are_skipped),
        cmocka_unit_test(registers_and_offsets_do_not_matter),
        cmocka_unit_test(groups_that_never_access_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
