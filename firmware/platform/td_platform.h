/* What the start-up code of each platform provides to td_bench.c and the fault path.
 * Internal to firmware/platform; applications include td_bench.h only. */
#ifndef TD_PLATFORM_H
#define TD_PLATFORM_H

#include <stdint.h>

#define TD_STACK_PAINT 0xC5C5C5C5u
/* The exit code of a program that crashed (HardFault, illegal instruction, trap). */
#define TD_FAULT_EXIT_CODE 134

#if defined(__arm__) || defined(__riscv)
#define TD_PLATFORM_HAS_STACK_PAINT 1
/* Linker-script symbols: the reserved stack region [bottom, top). */
extern uint32_t __td_stack_bottom[];
extern uint32_t __td_stack_top[];
#define TD_STACK_BOTTOM __td_stack_bottom
#define TD_STACK_TOP __td_stack_top
#else
#define TD_PLATFORM_HAS_STACK_PAINT 0
#endif

void td_stack_paint(void);
/* A program whose stack reached the guard band at the bottom of its reservation
 * (a painted word there was overwritten: frames with unwritten locals can step over
 * a single guard word) ends as a fault: td_stack_check() at the end of main, and
 * through atexit() for programs that call exit(). */
#define TD_STACK_GUARD_BYTES 512u
void td_stack_check(void);
void td_stack_guard_install(void);

#if defined(__arm__) || defined(__riscv)
/* Semihosting (Arm's protocol, also used by RISC-V): see td_semihost.c. */
uintptr_t td_semihost_call(uintptr_t op, uintptr_t arg);
void td_semihost_write0(const char *text);
__attribute__((noreturn)) void td_semihost_exit(int code);
__attribute__((noreturn)) void td_fault(const char *what, uintptr_t pc, uintptr_t detail);
#endif

#endif /* TD_PLATFORM_H */
