/* The rv32 core's own retired-instruction counter (minstret, exact under
 * -icount shift=0) around a measured region: an oracle for the QEMU plugin. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "td_bench.h"

static inline uint32_t rdinstret(void)
{
    uint32_t v;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop" : "=r"(v));
    return v;
}

__attribute__((noinline)) static void spin(uint32_t n)
{
    __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b\n" : "+r"(n));
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000u;
    uint32_t before = rdinstret();
    td_bench_begin();
    spin(n);
    td_bench_end();
    uint32_t after = rdinstret();
    printf("minstret %u\n", (unsigned)(after - before));
    return 0;
}
