/* Runs the compiler's arithmetic helpers on operands read from a file and writes the
 * results to another, for tests/emu/test_arith_helpers.py to compare with Python. On the
 * lx106 (no divider, no FPU, no 32x32->64 multiply) every operation below is a call into
 * libgcc or firmware/platform/xtensa_libgcc.c.
 *
 * Input: records of four little-endian 32-bit words a, b, c, d. Output per record, 32-bit
 * words: a+b, a-b, a*b as binary32; (float)(int32_t)a, (float)a, (float)x; x*y, x/y as
 * binary64 (two words each, low first); (double)(int32_t)c, (double)c (two words each);
 * a/b, a%b, (int32_t)a/(int32_t)b (0 where undefined); X*Y, X/Y, X%Y as 64-bit (0 for
 * Y == 0); (int64_t)(int32_t)a * (int32_t)b; where x = the binary64 of words (a, b), y of
 * (c, d), X and Y the same words as uint64. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static float f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t u32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static double f64(uint32_t lo, uint32_t hi)
{
    const uint64_t u = ((uint64_t)hi << 32) | lo;
    double f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void put64(uint32_t *out, uint64_t v)
{
    out[0] = (uint32_t)v;
    out[1] = (uint32_t)(v >> 32);
}

static void put_double(uint32_t *out, double f)
{
    uint64_t u;
    memcpy(&u, &f, sizeof u);
    put64(out, u);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) {
        return 2;
    }
    uint32_t w[4];
    long n = 0;
    while (fread(w, sizeof w, 1, in) == 1) {
        const uint32_t a = w[0], b = w[1], c = w[2], d = w[3];
        const int32_t sa = (int32_t)a, sb = (int32_t)b;
        const uint64_t X = ((uint64_t)b << 32) | a, Y = ((uint64_t)d << 32) | c;
        const double x = f64(a, b), y = f64(c, d);
        uint32_t r[25];
        r[0] = u32(f32(a) + f32(b));
        r[1] = u32(f32(a) - f32(b));
        r[2] = u32(f32(a) * f32(b));
        r[3] = u32((float)sa);
        r[4] = u32((float)a);
        r[5] = u32((float)x);
        put_double(&r[6], x * y);
        put_double(&r[8], x / y);
        put_double(&r[10], (double)(int32_t)c);
        put_double(&r[12], (double)c);
        r[14] = b ? a / b : 0u;
        r[15] = b ? a % b : 0u;
        r[16] = (b && !(sa == INT32_MIN && sb == -1)) ? (uint32_t)(sa / sb) : 0u;
        put64(&r[17], X * Y);
        put64(&r[19], Y ? X / Y : 0u);
        put64(&r[21], Y ? X % Y : 0u);
        put64(&r[23], (uint64_t)((int64_t)sa * (int64_t)sb));
        if (fwrite(r, sizeof r, 1, out) != 1) {
            return 3;
        }
        n++;
    }
    fclose(in);
    fclose(out);
    printf("records %ld\n", n);
    return 0;
}
