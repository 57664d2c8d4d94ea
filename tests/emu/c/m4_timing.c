/* Hand-written Thumb-2 sequences whose Cortex-M4 cycle counts the TRM states, each
 * measured between td_bench_begin/td_bench_end after the same set-up: the cycle
 * estimate of a case minus that of "empty" is the sequence's own cost. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "td_bench.h"

static uint32_t buf[16] __attribute__((aligned(8)));

/* r1 = buf, r4 = 0, r5 = 3; buf[0] = &buf[2] for the dependent load. */
#define CASE(name, body)                                                                              \
    __attribute__((noinline)) static void name(void)                                                  \
    {                                                                                                 \
        td_bench_begin();                                                                             \
        __asm__ volatile(".syntax unified\n mov r1, %0\n movs r4, #0\n movs r5, #3\n" body            \
                         :                                                                            \
                         : "r"(buf)                                                                   \
                         : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "memory", "cc");     \
        td_bench_end();                                                                               \
    }

CASE(empty, "")
CASE(alu8, ".rept 8\n adds r0, r0, #1\n .endr\n")
CASE(smlad4, ".rept 4\n smlad r0, r2, r3, r0\n .endr\n")
CASE(ldr_ldr, "ldr r0, [r1]\n ldr r2, [r1, #4]\n")
CASE(ldr_str, "ldr r0, [r1, r4]\n str r0, [r1, #20]\n")
CASE(ldr3, "ldr r0, [r1, r4]\n ldr r2, [r1]\n ldr r3, [r1, #4]\n")
CASE(ldr_dep, "ldr r0, [r1]\n ldr r2, [r0]\n")
CASE(stm8, "stmia r1, {r0, r2, r3, r4, r5, r6, r7, r8}\n")
CASE(ldm3, "ldmia r1, {r0, r2, r3}\n")
CASE(ldrd, "ldrd r2, r3, [r1]\n")
CASE(not_taken, "cmp r1, #0\n beq 1f\n nop\n1:\n")
CASE(taken, "cmp r1, #0\n bne 1f\n nop\n1: nop\n")
CASE(unaligned_odd, "ldr.w r0, [r1, #1]\n")
CASE(unaligned_half, "ldr.w r0, [r1, #2]\n")
CASE(sdiv, "sdiv r0, r1, r5\n")

int main(void)
{
    buf[0] = (uint32_t)(uintptr_t)&buf[2];
    empty();
    alu8();
    smlad4();
    ldr_ldr();
    ldr_str();
    ldr3();
    ldr_dep();
    stm8();
    ldm3();
    ldrd();
    not_taken();
    taken();
    unaligned_odd();
    unaligned_half();
    sdiv();
    return 0;
}
