/* RISC-V (rv32, QEMU virt) additions to picolibc's semihosting crt0: a trap handler
 * that reports the trap and exits with TD_FAULT_EXIT_CODE (picolibc's own start-up
 * leaves a trap spinning until a timeout), the stack painting that td_stack_used()
 * reads and the stack-overflow check at exit (picolibc returns from main through
 * exit(), which runs it). All installed by a constructor, before main. */
#include <stdint.h>

#include "td_platform.h"

/* CSR instructions need Zicsr, which -march=rv32imc (picolibc's multilib) lacks by
 * name in binutils >= 2.38 although every rv32 core has it. */
#define TD_ZICSR(insn) ".option push\n.option arch, +zicsr\n" insn "\n.option pop\n"

void td_rv32_trap(void);

__attribute__((aligned(4), noreturn)) void td_rv32_trap(void)
{
    uintptr_t mepc;
    uintptr_t mcause;
    __asm__ volatile(TD_ZICSR("csrr %0, mepc") : "=r"(mepc));
    __asm__ volatile(TD_ZICSR("csrr %0, mcause") : "=r"(mcause));
    const char *what = "trap";
    switch (mcause) {
    case 0: what = "instruction address misaligned"; break;
    case 1: what = "instruction access fault"; break;
    case 2: what = "illegal instruction"; break;
    case 4: what = "load address misaligned"; break;
    case 5: what = "load access fault"; break;
    case 6: what = "store address misaligned"; break;
    case 7: what = "store access fault"; break;
    default: break;
    }
    td_fault(what, mepc, mcause);
}

__attribute__((constructor)) static void td_rv32_start(void)
{
    __asm__ volatile(TD_ZICSR("csrw mtvec, %0") : : "r"((uintptr_t)td_rv32_trap));
    td_stack_paint();
    td_stack_guard_install();
}
