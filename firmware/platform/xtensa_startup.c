/* Bare-metal start-up for the Xtensa lx106 core (the ESP8266's) on QEMU's `sim` machine.
 *
 * The machine's reset puts the PC at the core's reset vector (0x50000000), not at the ELF
 * entry, so _start is linked there (xtensa_lx106.ld). Reset: load the stack pointer, leave
 * exception mode (the core resets with PS.EXCM set, which would turn the first exception
 * into a double exception), point VECBASE at our vectors, copy .data, zero .bss, paint the
 * stack, run constructors, take argv from the simcall command line, run main and exit with
 * its return value (atexit handlers run, among them the stack-overflow check). Every
 * exception prints its cause and PC and exits with TD_FAULT_EXIT_CODE, so that a crash ends
 * QEMU at once instead of hanging it. lx106 code uses the call0 ABI: no register windows.
 */
#include <stdint.h>
#include <stdlib.h>

#include "td_platform.h"

extern uint32_t __td_data_load[], __td_data_start[], __td_data_end[];
extern uint32_t __td_bss_start[], __td_bss_end[];
extern char td_xtensa_vectors[];

extern int main(int argc, char **argv);
extern void __libc_init_array(void);

void td_xtensa_start(void);
void td_xtensa_trap(uint32_t kind, uint32_t pc, uint32_t cause, uint32_t vaddr);

/* L32R reads literals below the instruction, and nothing lies below 0x50000000: the reset
 * code jumps over its own literals. */
__asm__(".section .td_reset, \"ax\"\n"
        ".global _start\n"
        ".type _start, @function\n"
        ".balign 4\n"
        "_start:\n"
        "    j 1f\n"
        "    .balign 4\n"
        "2:  .word __td_stack_top\n"
        "3:  .word td_xtensa_start\n"
        "1:  l32r a1, 2b\n"
        "    l32r a0, 3b\n"
        "    callx0 a0\n"
        "4:  j 4b\n"
        ".size _start, . - _start\n"
        ".previous\n");

/* The vectors at their lx106 offsets from VECBASE (debug 0x10, NMI 0x20, kernel 0x30, user
 * 0x50, double 0x70). Each passes its kind and the PC of the faulting instruction to
 * td_xtensa_trap on a fresh stack: the program's stack may be what failed. */
__asm__(".section .td_vectors, \"ax\"\n"
        ".global td_xtensa_vectors\n"
        "td_xtensa_vectors:\n"
        "5:  .word __td_stack_top\n"
        "6:  .word td_xtensa_trap\n"
        "    .org 0x10\n"
        "    movi a2, 1\n"
        "    rsr a3, epc2\n"
        "    j 7f\n"
        "    .org 0x20\n"
        "    movi a2, 2\n"
        "    rsr a3, epc3\n"
        "    j 7f\n"
        "    .org 0x30\n"
        "    movi a2, 3\n"
        "    rsr a3, epc1\n"
        "    j 7f\n"
        "    .org 0x50\n"
        "    movi a2, 4\n"
        "    rsr a3, epc1\n"
        "    j 7f\n"
        "    .org 0x70\n"
        "    movi a2, 5\n"
        "    rsr a3, depc\n"
        "    j 7f\n"
        "    .org 0x80\n"
        "7:  rsr a4, exccause\n"
        "    rsr a5, excvaddr\n"
        "    l32r a1, 5b\n"
        "    l32r a0, 6b\n"
        "    callx0 a0\n"
        "8:  j 8b\n"
        ".previous\n");

#define TD_MAX_ARG_BYTES 1024

/* QEMU writes argv here: argc + 1 pointers, then the strings. */
static uint32_t td_args[TD_MAX_ARG_BYTES / 4];

static int td_parse_args(char ***argv)
{
    int error = 0;
    const int32_t argc = td_simcall(TD_SIMCALL_ARGC, 0u, 0u, 0u, &error);
    const int32_t size = td_simcall(TD_SIMCALL_ARGV_SIZE, 0u, 0u, 0u, &error);
    *argv = (char **)td_args;
    if (argc <= 0 || size <= 0 || (uint32_t)size > sizeof(td_args) || error != 0) {
        td_args[0] = 0u;
        return 0;
    }
    (void)td_simcall(TD_SIMCALL_ARGV, (uint32_t)(uintptr_t)td_args, 0u, 0u, &error);
    return (int)argc;
}

void td_xtensa_start(void)
{
    /* PS: user vector mode (UM), EXCM cleared, interrupts masked (none is enabled). */
    const uint32_t ps = 0x20u | 0xFu;
    __asm__ volatile("wsr %0, vecbase\n"
                     "wsr %1, ps\n"
                     "rsync\n"
                     :
                     : "r"(td_xtensa_vectors), "r"(ps)
                     : "memory");
    for (uint32_t *src = __td_data_load, *dst = __td_data_start; dst < __td_data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __td_bss_start; dst < __td_bss_end;) {
        *dst++ = 0u;
    }
    td_stack_paint();
    td_stack_guard_install();
    __libc_init_array();
    char **argv;
    const int argc = td_parse_args(&argv);
    exit(main(argc, argv));
}

static const char *td_cause(uint32_t cause)
{
    switch (cause) {
    case 0: return "illegal instruction";
    case 2: return "instruction fetch error";
    case 3: return "load/store error";
    case 6: return "integer divide by zero";
    case 8: return "privileged instruction";
    case 9: return "unaligned load/store";
    case 12: return "instruction fetch from no memory";
    case 13: return "load/store at no memory";
    case 20: return "instruction fetch prohibited";
    case 28: return "load prohibited";
    case 29: return "store prohibited";
    default: return "exception";
    }
}

void td_xtensa_trap(uint32_t kind, uint32_t pc, uint32_t cause, uint32_t vaddr)
{
    switch (kind) {
    case 1: td_fault("debug exception", pc, cause);
    case 2: td_fault("non-maskable interrupt", pc, cause);
    case 5: td_fault("double exception", pc, cause);
    default: break;
    }
    /* info: the faulting address for memory errors, EXCCAUSE otherwise. */
    const int memory = cause == 2 || cause == 3 || cause == 9 || cause == 12 || cause == 13 || cause >= 20;
    td_fault(td_cause(cause), pc, memory ? vaddr : cause);
}
