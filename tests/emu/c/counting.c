/* A region of known length for the instruction counter: a hand-written loop of two
 * instructions per iteration, N iterations, measured REPEAT times; then the stack
 * high-water mark after a call that uses a known amount of stack. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "td_bench.h"

__attribute__((noinline)) static void spin(uint32_t n)
{
#if defined(__arm__)
    __asm__ volatile(".syntax unified\n1: subs %0, %0, #1\n bne 1b\n" : "+l"(n) : : "cc");
#elif defined(__riscv)
    __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b\n" : "+r"(n));
#elif defined(__XTENSA__)
    __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b\n" : "+r"(n));
#else
    while (n--) {
        __asm__ volatile("" ::: "memory");
    }
#endif
}

__attribute__((noinline)) static int deep(int k)
{
    volatile uint8_t buf[STACK_PROBE_BYTES];
    for (int i = 0; i < STACK_PROBE_BYTES; i++) {
        buf[i] = (uint8_t)(i + k);
    }
    return buf[k % STACK_PROBE_BYTES];
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000u;
    for (int r = 0; r < REPEAT; r++) {
        td_bench_begin();
        spin(n);
        td_bench_end();
    }
    size_t before = td_stack_used();
    int v = deep((int)n);
    size_t after = td_stack_used();
    td_stack_reset();
    size_t reset = td_stack_used();
    printf("stack before=%u after=%u reset=%u v=%d\n", (unsigned)before, (unsigned)after, (unsigned)reset, v);
    return 0;
}
