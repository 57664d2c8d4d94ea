/* The few semihosting calls the start-up and fault code make themselves.
 * The C library (newlib's librdimon on Arm, picolibc's libsemihost on RISC-V)
 * does the rest: stdio, files, the command line; on Xtensa, picolibc has no
 * semihosting layer and xtensa_syscalls.c supplies it over td_simcall(). */
#include <stdint.h>

#include "td_platform.h"

#if defined(__XTENSA__)

int32_t td_simcall(uint32_t op, uint32_t a, uint32_t b, uint32_t c, int *error)
{
    register uint32_t a2 __asm__("a2") = op;
    register uint32_t a3 __asm__("a3") = a;
    register uint32_t a4 __asm__("a4") = b;
    register uint32_t a5 __asm__("a5") = c;
    __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    if (error != 0) {
        *error = (int)a3;
    }
    return (int32_t)a2;
}

void td_semihost_write0(const char *text)
{
    uint32_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    td_xtensa_console_flush();
    (void)td_simcall(TD_SIMCALL_WRITE, 1u, (uint32_t)(uintptr_t)text, n, 0);
}

void td_semihost_exit(int code)
{
    td_xtensa_console_flush();
    /* QEMU exits with the code in a3 as its own status. */
    (void)td_simcall(TD_SIMCALL_EXIT, (uint32_t)code, 0u, 0u, 0);
    for (;;) {
    }
}

#else

#define SYS_WRITE0 0x04u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

uintptr_t td_semihost_call(uintptr_t op, uintptr_t arg)
{
#if defined(__arm__)
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#else
    /* The RISC-V semihosting trap: an uncompressed, 16-byte-aligned sequence. */
    register uintptr_t a0 __asm__("a0") = op;
    register uintptr_t a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     ".balign 16\n"
                     "slli zero, zero, 0x1f\n"
                     "ebreak\n"
                     "srai zero, zero, 7\n"
                     ".option pop\n"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
#endif
}

void td_semihost_write0(const char *text) { (void)td_semihost_call(SYS_WRITE0, (uintptr_t)text); }

void td_semihost_exit(int code)
{
    /* SYS_EXIT_EXTENDED carries the exit code on 32-bit targets; QEMU returns it as
     * its own exit status. */
    uintptr_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)code};
    (void)td_semihost_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    for (;;) {
    }
}

#endif

static char *hex32(char *p, uintptr_t v)
{
    static const char digits[] = "0123456789abcdef";
    *p++ = '0';
    *p++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) {
        *p++ = digits[(v >> shift) & 0xFu];
    }
    return p;
}

void td_fault(const char *what, uintptr_t pc, uintptr_t detail)
{
    /* No stdio here: the fault may have come from inside the C library. */
    char line[144];
    char *p = line;
    const char *prefix = "\ntd_fault: ";
    while (*prefix) {
        *p++ = *prefix++;
    }
    while (*what && p < line + 96) {
        *p++ = *what++;
    }
    const char *at = " pc=";
    while (*at) {
        *p++ = *at++;
    }
    p = hex32(p, pc);
    const char *info = " info=";
    while (*info) {
        *p++ = *info++;
    }
    p = hex32(p, detail);
    *p++ = '\n';
    *p = '\0';
    td_semihost_write0(line);
    td_semihost_exit(TD_FAULT_EXIT_CODE);
}
