/* Bare-metal start-up for the Cortex-M cores emulated on QEMU's mps2 boards.
 *
 * Reset: copy .data, zero .bss, enable the FPU when the code uses it, paint the
 * stack, open the semihosting console, run constructors, build argv from the
 * semihosting command line, run main and exit with its return value (a stack that
 * overflowed its reservation turns the exit into a fault exit). Every fault or unexpected
 * exception prints its kind and PC and exits with TD_FAULT_EXIT_CODE, so that a
 * crash ends QEMU at once instead of hanging it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "td_platform.h"

extern uint32_t __td_data_load[], __td_data_start[], __td_data_end[];
extern uint32_t __td_bss_start[], __td_bss_end[];

extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

/* newlib's init/fini arrays call these (crti.o provides them in a hosted link; this
 * start-up replaces crt0 and crti). */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void);
void td_fault_handler(void);
void td_fault_entry(const uint32_t *frame);

#define SYS_GET_CMDLINE 0x15u
#define TD_MAX_ARGS 32
#define TD_CMDLINE_BYTES 1024

static char td_cmdline[TD_CMDLINE_BYTES];
static char *td_argv[TD_MAX_ARGS + 1];

/* argv from the semihosting command line: QEMU joins its `arg=` values with spaces. */
static int td_parse_cmdline(void)
{
    uintptr_t block[2] = {(uintptr_t)td_cmdline, sizeof(td_cmdline) - 1u};
    int argc = 0;
    if (td_semihost_call(SYS_GET_CMDLINE, (uintptr_t)block) != 0) {
        td_argv[0] = NULL;
        return 0;
    }
    td_cmdline[block[1] < sizeof(td_cmdline) ? block[1] : sizeof(td_cmdline) - 1u] = '\0';
    char *p = td_cmdline;
    while (*p != '\0' && argc < TD_MAX_ARGS) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        td_argv[argc++] = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
    }
    td_argv[argc] = NULL;
    return argc;
}

void Reset_Handler(void)
{
    for (uint32_t *src = __td_data_load, *dst = __td_data_start; dst < __td_data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __td_bss_start; dst < __td_bss_end;) {
        *dst++ = 0u;
    }
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11 (the FPU) before any float instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
    td_stack_paint();
    initialise_monitor_handles();
    td_stack_guard_install();
    __libc_init_array();
    int argc = td_parse_cmdline();
    int rc = main(argc, td_argv);
    td_stack_check();
    fflush(NULL);
    td_semihost_exit(rc);
}

/* Stacked exception frame: r0-r3, r12, lr, pc, xpsr. Only MSP is used here. */
__attribute__((naked)) void td_fault_handler(void)
{
    __asm__ volatile("mrs r0, msp\n"
                     "ldr r1, =td_fault_entry\n"
                     "bx r1\n"
                     ".ltorg\n");
}

void td_fault_entry(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    static const char *const names[] = {"exception 0", "reset", "NMI", "HardFault", "MemManage fault",
                                        "BusFault", "UsageFault"};
    const char *what = ipsr < 7u ? names[ipsr] : "unexpected interrupt or exception";
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
    uint32_t detail = *(volatile const uint32_t *)0xE000ED28u; /* CFSR */
#else
    uint32_t detail = ipsr;
#endif
    td_fault(what, frame[6], detail);
}

#define TD_VECTORS 64

typedef void (*td_vector)(void);

/* Initial SP, reset, then every exception and interrupt into the fault path. */
__attribute__((section(".isr_vector"), used)) static const td_vector td_vectors[TD_VECTORS] = {
    [0] = (td_vector)(uintptr_t)__td_stack_top,
    [1] = Reset_Handler,
    [2 ... TD_VECTORS - 1] = td_fault_handler,
};
