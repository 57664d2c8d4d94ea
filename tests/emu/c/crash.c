/* Crashes in the way argv[1] names: "null" calls a NULL function pointer,
 * "undef" executes an undefined instruction, "loop" never ends, "overflow" recurses
 * far past the stack reservation; "exit" calls exit(5) with output still buffered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static int recurse(int n)
{
    volatile char frame[256];
    frame[0] = (char)n;
    return n == 0 ? frame[0] : recurse(n - 1) + frame[0];
}

typedef void (*fn_t)(void);

int main(int argc, char **argv)
{
    volatile fn_t fn = (fn_t)0;
    if (argc < 2) {
        return 2;
    }
    printf("about to %s\n", argv[1]);
    fflush(stdout);
    if (strcmp(argv[1], "null") == 0) {
        fn();
    } else if (strcmp(argv[1], "undef") == 0) {
#if defined(__arm__)
        __asm__ volatile("udf #0");
#elif defined(__riscv)
        __asm__ volatile(".word 0");  /* all-zero: defined as illegal */
#elif defined(__XTENSA__)
        __asm__ volatile("ill");
#endif
    } else if (strcmp(argv[1], "overflow") == 0) {
        printf("%d\n", recurse(1000));
    } else if (strcmp(argv[1], "exit") == 0) {
        printf("leaving");
        exit(5);
    } else if (strcmp(argv[1], "loop") == 0) {
        for (;;) {
            __asm__ volatile("" ::: "memory");
        }
    }
    return 0;
}
