/* Region markers and the stack high-water mark (see td_bench.h). */
#include "td_bench.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "td_platform.h"

/* noinline and an asm statement so that every call survives -O2 and the QEMU
 * plugin can find each function's first instruction in the symbol table. */
__attribute__((noinline)) void td_bench_begin(void) { TD_BENCH_BARRIER(); }

__attribute__((noinline)) void td_bench_end(void) { TD_BENCH_BARRIER(); }

void td_stack_reset(void) { td_stack_paint(); }

#if TD_PLATFORM_HAS_STACK_PAINT

void td_stack_paint(void)
{
    uint32_t *p = (uint32_t *)TD_STACK_BOTTOM;
    /* Stop a little below the current frame: it is live. On Xtensa the frame address is
     * already the bottom of the frame (the stack pointer after the prologue) and the call0
     * ABI has no red zone: a small margin is enough. */
#if defined(__XTENSA__)
    const uintptr_t margin = 16u;
#else
    const uintptr_t margin = 64u;
#endif
    uint32_t *stop = (uint32_t *)((uintptr_t)__builtin_frame_address(0) - margin);
    while (p < stop) {
        *p++ = TD_STACK_PAINT;
    }
}

size_t td_stack_used(void)
{
    const uint32_t *p = (const uint32_t *)TD_STACK_BOTTOM;
    const uint32_t *top = (const uint32_t *)TD_STACK_TOP;
    while (p < top && *p == TD_STACK_PAINT) {
        p++;
    }
    return (size_t)((uintptr_t)top - (uintptr_t)p);
}

void td_stack_check(void)
{
    const volatile uint32_t *guard = (const volatile uint32_t *)TD_STACK_BOTTOM;
    for (unsigned i = 0; i < TD_STACK_GUARD_BYTES / 4u; i++) {
        if (guard[i] != TD_STACK_PAINT) {
            /* Not fflush(NULL): picolibc's stdio does not take it. */
            fflush(stdout);
            fflush(stderr);
            td_fault("stack overflow (info: bytes reserved)",
                     0u, (uintptr_t)TD_STACK_TOP - (uintptr_t)TD_STACK_BOTTOM);
        }
    }
}

void td_stack_guard_install(void) { (void)atexit(td_stack_check); }

#else

void td_stack_paint(void) {}

size_t td_stack_used(void) { return 0; }

#endif
