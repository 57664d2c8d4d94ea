/* picolibc's system layer for Xtensa on QEMU, over the simcall semihosting ABI: the
 * console (stdin/stdout/stderr, picolibc's tinystdio streams) and the POSIX calls its
 * fopen/fread/fclose make (open, read, write, lseek, close), plus _exit and times. Debian's
 * picolibc-xtensa-lx106-elf ships no semihosting library of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/times.h>
#include <sys/types.h>
#include <unistd.h>

#include "td_platform.h"

/* Console output is collected into lines: one simcall per line rather than per character. */
static char td_out[256];
static uint32_t td_out_len;

void td_xtensa_console_flush(void)
{
    if (td_out_len != 0u) {
        (void)td_simcall(TD_SIMCALL_WRITE, 1u, (uint32_t)(uintptr_t)td_out, td_out_len, 0);
        td_out_len = 0u;
    }
}

static int td_console_put(char c, FILE *file)
{
    (void)file;
    td_out[td_out_len++] = c;
    if (c == '\n' || td_out_len == sizeof(td_out)) {
        td_xtensa_console_flush();
    }
    return (unsigned char)c;
}

static int td_console_get(FILE *file)
{
    (void)file;
    unsigned char c;
    td_xtensa_console_flush();
    return td_simcall(TD_SIMCALL_READ, 0u, (uint32_t)(uintptr_t)&c, 1u, 0) == 1 ? c : _FDEV_EOF;
}

static int td_console_sync(FILE *file)
{
    (void)file;
    td_xtensa_console_flush();
    return 0;
}

static FILE td_console = FDEV_SETUP_STREAM(td_console_put, td_console_get, td_console_sync, _FDEV_SETUP_RW);
FILE *const stdin = &td_console;
FILE *const stdout = &td_console;
FILE *const stderr = &td_console;

static int td_result(int32_t value, int error)
{
    if (value < 0) {
        errno = error;
        return -1;
    }
    return (int)value;
}

/* picolibc's O_* flags have the values of the GDB file-I/O protocol QEMU expects. */
int open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    int error = 0;
    const uint32_t gdb_flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_CREAT | O_TRUNC | O_EXCL);
    return td_result(td_simcall(TD_SIMCALL_OPEN, (uint32_t)(uintptr_t)path, gdb_flags, (uint32_t)mode, &error),
                     error);
}

ssize_t read(int fd, void *buf, size_t count)
{
    int error = 0;
    if (fd == 0) {
        td_xtensa_console_flush();
    }
    return td_result(td_simcall(TD_SIMCALL_READ, (uint32_t)fd, (uint32_t)(uintptr_t)buf, count, &error), error);
}

ssize_t write(int fd, const void *buf, size_t count)
{
    int error = 0;
    if (fd == 1 || fd == 2) {
        td_xtensa_console_flush();  /* keep the order of stdio and direct writes */
    }
    return td_result(td_simcall(TD_SIMCALL_WRITE, (uint32_t)fd, (uint32_t)(uintptr_t)buf, count, &error), error);
}

off_t lseek(int fd, off_t offset, int whence)
{
    int error = 0;
    return td_result(td_simcall(TD_SIMCALL_LSEEK, (uint32_t)fd, (uint32_t)offset, (uint32_t)whence, &error), error);
}

int close(int fd)
{
    int error = 0;
    return td_result(td_simcall(TD_SIMCALL_CLOSE, (uint32_t)fd, 0u, 0u, &error), error);
}

void _exit(int status) { td_semihost_exit(status); }

/* clock(): no clock on the simulated core (count instructions instead). */
clock_t times(struct tms *buf)
{
    (void)buf;
    errno = ENOSYS;
    return (clock_t)-1;
}
