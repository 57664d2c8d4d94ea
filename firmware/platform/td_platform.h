/* What the start-up code of each platform provides to td_bench.c and the fault path.
 * Internal to firmware/platform; applications include td_bench.h only. */
#ifndef TD_PLATFORM_H
#define TD_PLATFORM_H

#include <stdint.h>

#define TD_STACK_PAINT 0xC5C5C5C5u
/* The exit code of a program that crashed (HardFault, illegal instruction, trap). */
#define TD_FAULT_EXIT_CODE 134

#if defined(__arm__) || defined(__riscv) || defined(__XTENSA__)
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
#endif
#if defined(__XTENSA__)
/* Xtensa's semihosting (the ISS `simcall` ABI that QEMU implements): the call number in
 * a2, arguments in a3..a5; the result comes back in a2 and a guest errno in a3. */
#define TD_SIMCALL_EXIT 1u
#define TD_SIMCALL_READ 3u
#define TD_SIMCALL_WRITE 4u
#define TD_SIMCALL_OPEN 5u
#define TD_SIMCALL_CLOSE 6u
#define TD_SIMCALL_LSEEK 19u
#define TD_SIMCALL_ARGC 1000u
#define TD_SIMCALL_ARGV_SIZE 1001u
#define TD_SIMCALL_ARGV 1002u
int32_t td_simcall(uint32_t op, uint32_t a, uint32_t b, uint32_t c, int *error);
/* Writes the characters buffered for the console (xtensa_syscalls.c) before an exit. */
void td_xtensa_console_flush(void);
#endif
#if defined(__arm__) || defined(__riscv) || defined(__XTENSA__)
void td_semihost_write0(const char *text);
__attribute__((noreturn)) void td_semihost_exit(int code);
__attribute__((noreturn)) void td_fault(const char *what, uintptr_t pc, uintptr_t detail);
#endif

#endif /* TD_PLATFORM_H */
