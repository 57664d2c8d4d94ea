/* Prints its arguments and a file read through semihosting (or stdio on the host),
 * then exits with 3 + argc so that the exit code is checked too. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello from %s\n", TD_PLATFORM_NAME);
    for (int i = 1; i < argc; i++) {
        printf("arg %d: %s\n", i, argv[i]);
    }
    if (argc > 1) {
        FILE *f = fopen(argv[argc - 1], "rb");
        if (f == NULL) {
            printf("cannot open %s\n", argv[argc - 1]);
            return 1;
        }
        char buf[64];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        printf("file: %u bytes: %s\n", (unsigned)n, buf);
    }
    return 3 + argc;
}
