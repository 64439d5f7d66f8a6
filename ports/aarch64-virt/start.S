/* start.S — entry from QEMU's `-kernel` ELF loader: EL1, MMU and caches off, one CPU.
 * Sets the stack, clears .bss, installs an exception vector table that reports on the UART
 * (an alignment fault on Device memory would otherwise hang silently), runs vq_main, then idles
 * in WFI until the harness has taken its screendump and quits QEMU. */
    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    cbnz    x0, idle
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  ldr     x0, =vectors
    msr     vbar_el1, x0
    isb
    bl      vq_main
idle:
    wfi
    b       idle

/* 16 entries of 128 bytes: each passes its index to vq_exception(index, esr, elr, far). */
    .macro vec n
    .balign 128
    mov     x0, #\n
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      vq_exception
    b       idle
    .endm

    .balign 2048
vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15
