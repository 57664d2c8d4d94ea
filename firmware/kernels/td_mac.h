/* The inner multiply-accumulate loops, shared by the kernels.
 * With TD_USE_DSP (td_dsp.h: Cortex-M4/M7/M33) pairs of products go through SMLAD;
 * elsewhere plain C. Both give the same int32 sums (no intermediate rounding). */
#ifndef TD_MAC_H
#define TD_MAC_H

#include <string.h>
#include "td_dsp.h"
#include "td_types.h"

#if defined(TD_USE_DSP)
TD_INLINE uint32_t td_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* an unaligned LDR on ARMv7E-M */
    return v;
}
TD_INLINE uint32_t td_sxtb16(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v));
    return r;
}
TD_INLINE uint32_t td_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
/* Lane-wise a + b of two int16 pairs. */
TD_INLINE uint32_t td_sadd16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("sadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
/* acc + bottom(a) * bottom(b), acc + top(a) * top(b): one lane each. */
TD_INLINE int32_t td_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
TD_INLINE int32_t td_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
TD_INLINE int32_t td_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* A word of int8 values read through an lvalue that may alias them (unaligned LDR). */
typedef uint32_t __attribute__((may_alias, aligned(1))) td_word;
#define TD_WORD(p) (*(const td_word *)(const void *)(p))

/* The inner steps below are single asm blocks so that GCC cannot hoist every load
 * and extension of an unrolled loop ahead of the multiplies (it did, and spilled):
 * each block keeps its temporaries to itself. */

/* Rows w0, w1 against columns x0, x1, four values each: s_rc += row r . column c. */
#define TD_MAC_2X2_STEP(W0, W1, X0, X1, S00, S01, S10, S11)                                   \
    do {                                                                                      \
        uint32_t t0_, t1_, t2_, t3_, t4_, t5_;                                                \
        __asm__("ldr %[t0], %[a0]\n\t"                                                        \
                "ldr %[t1], %[b0]\n\t"                                                        \
                "sxtb16 %[t2], %[t0]\n\t"                                                     \
                "sxtb16 %[t3], %[t1]\n\t"                                                     \
                "smlad %[s00], %[t2], %[t3], %[s00]\n\t"                                      \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                             \
                "sxtb16 %[t1], %[t1], ror #8\n\t"                                             \
                "smlad %[s00], %[t0], %[t1], %[s00]\n\t"                                      \
                "ldr %[t4], %[a1]\n\t"                                                        \
                "sxtb16 %[t5], %[t4]\n\t"                                                     \
                "smlad %[s10], %[t5], %[t3], %[s10]\n\t"                                      \
                "sxtb16 %[t4], %[t4], ror #8\n\t"                                             \
                "smlad %[s10], %[t4], %[t1], %[s10]\n\t"                                      \
                "ldr %[t1], %[b1]\n\t"                                                        \
                "sxtb16 %[t3], %[t1]\n\t"                                                     \
                "smlad %[s01], %[t2], %[t3], %[s01]\n\t"                                      \
                "smlad %[s11], %[t5], %[t3], %[s11]\n\t"                                      \
                "sxtb16 %[t1], %[t1], ror #8\n\t"                                             \
                "smlad %[s01], %[t0], %[t1], %[s01]\n\t"                                      \
                "smlad %[s11], %[t4], %[t1], %[s11]"                                           \
                : [s00] "+r"(S00), [s01] "+r"(S01), [s10] "+r"(S10), [s11] "+r"(S11),             \
                  [t0] "=&r"(t0_), [t1] "=&r"(t1_), [t2] "=&r"(t2_), [t3] "=&r"(t3_), [t4] "=&r"(t4_), \
                  [t5] "=&r"(t5_)                                                               \
                : [a0] "m"(TD_WORD(W0)), [a1] "m"(TD_WORD(W1)), [b0] "m"(TD_WORD(X0)),             \
                  [b1] "m"(TD_WORD(X1)));                                                       \
    } while (0)

/* The same step inside an asm loop: rows at [pa + OFF] and [pa + da + OFF], columns
 * at [pb + OFF] and [pb + db + OFF] (da, db and OFF immediates). */
#define TD_MAC_2X2_ASM(OFF)                                                                     \
    "ldr %[t0], [%[pa], #" OFF "]\n\t"                                                         \
    "ldr %[t1], [%[pb], #" OFF "]\n\t"                                                         \
    "ldr %[t4], [%[pa], #%c[da] + " OFF "]\n\t"                                                 \
    "sxtb16 %[t2], %[t0]\n\t"                                                                  \
    "sxtb16 %[t3], %[t1]\n\t"                                                                  \
    "smlad %[s00], %[t2], %[t3], %[s00]\n\t"                                                   \
    "sxtb16 %[t5], %[t4]\n\t"                                                                  \
    "smlad %[s10], %[t5], %[t3], %[s10]\n\t"                                                   \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                          \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                          \
    "smlad %[s00], %[t0], %[t1], %[s00]\n\t"                                                   \
    "sxtb16 %[t4], %[t4], ror #8\n\t"                                                          \
    "smlad %[s10], %[t4], %[t1], %[s10]\n\t"                                                   \
    "ldr %[t1], [%[pb], #%c[db] + " OFF "]\n\t"                                                 \
    "sxtb16 %[t3], %[t1]\n\t"                                                                  \
    "smlad %[s01], %[t2], %[t3], %[s01]\n\t"                                                   \
    "smlad %[s11], %[t5], %[t3], %[s11]\n\t"                                                   \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                          \
    "smlad %[s01], %[t0], %[t1], %[s01]\n\t"                                                   \
    "smlad %[s11], %[t4], %[t1], %[s11]\n\t"

/* The four-row step inside an asm loop: column at [pb + OFF], rows at [pa + OFF],
 * [pa + s1o + OFF], [pa + s2o + OFF], [pa + s3o + OFF] (immediates). */
#define TD_MAC_4X1_ASM(OFF)                                                                     \
    "ldr %[xo], [%[pb], #" OFF "]\n\t"                                                         \
    "ldr %[t0], [%[pa], #" OFF "]\n\t"                                                         \
    "ldr %[t1], [%[pa], #%c[s1o] + " OFF "]\n\t"                                               \
    "sxtb16 %[xe], %[xo]\n\t"                                                                  \
    "sxtb16 %[xo], %[xo], ror #8\n\t"                                                          \
    "sxtb16 %[t2], %[t0]\n\t"                                                                  \
    "smlad %[s0], %[t2], %[xe], %[s0]\n\t"                                                     \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                          \
    "smlad %[s0], %[t0], %[xo], %[s0]\n\t"                                                     \
    "sxtb16 %[t2], %[t1]\n\t"                                                                  \
    "smlad %[s1], %[t2], %[xe], %[s1]\n\t"                                                     \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                          \
    "smlad %[s1], %[t1], %[xo], %[s1]\n\t"                                                     \
    "ldr %[t0], [%[pa], #%c[s2o] + " OFF "]\n\t"                                               \
    "ldr %[t1], [%[pa], #%c[s3o] + " OFF "]\n\t"                                               \
    "sxtb16 %[t2], %[t0]\n\t"                                                                  \
    "smlad %[s2], %[t2], %[xe], %[s2]\n\t"                                                     \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                          \
    "smlad %[s2], %[t0], %[xo], %[s2]\n\t"                                                     \
    "sxtb16 %[t2], %[t1]\n\t"                                                                  \
    "smlad %[s3], %[t2], %[xe], %[s3]\n\t"                                                     \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                          \
    "smlad %[s3], %[t1], %[xo], %[s3]\n\t"

/* Four rows against one column, four values each: s_r += row r . column. */
#define TD_MAC_4X1_STEP(W0, W1, W2, W3, X, S0, S1, S2, S3)                                    \
    do {                                                                                      \
        uint32_t xe_, xo_, t0_, t1_;                                                          \
        __asm__("ldr %[xo], %[b]\n\t"                                                         \
                "ldr %[t0], %[a0]\n\t"                                                        \
                "sxtb16 %[xe], %[xo]\n\t"                                                     \
                "sxtb16 %[xo], %[xo], ror #8\n\t"                                             \
                "sxtb16 %[t1], %[t0]\n\t"                                                     \
                "smlad %[s0], %[t1], %[xe], %[s0]\n\t"                                        \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                             \
                "smlad %[s0], %[t0], %[xo], %[s0]\n\t"                                        \
                "ldr %[t0], %[a1]\n\t"                                                        \
                "sxtb16 %[t1], %[t0]\n\t"                                                     \
                "smlad %[s1], %[t1], %[xe], %[s1]\n\t"                                        \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                             \
                "smlad %[s1], %[t0], %[xo], %[s1]\n\t"                                        \
                "ldr %[t0], %[a2]\n\t"                                                        \
                "sxtb16 %[t1], %[t0]\n\t"                                                     \
                "smlad %[s2], %[t1], %[xe], %[s2]\n\t"                                        \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                             \
                "smlad %[s2], %[t0], %[xo], %[s2]\n\t"                                        \
                "ldr %[t0], %[a3]\n\t"                                                        \
                "sxtb16 %[t1], %[t0]\n\t"                                                     \
                "smlad %[s3], %[t1], %[xe], %[s3]\n\t"                                        \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                             \
                "smlad %[s3], %[t0], %[xo], %[s3]"                                             \
                : [s0] "+r"(S0), [s1] "+r"(S1), [s2] "+r"(S2), [s3] "+r"(S3), [xe] "=&r"(xe_),     \
                  [xo] "=&r"(xo_), [t0] "=&r"(t0_), [t1] "=&r"(t1_)                               \
                : [a0] "m"(TD_WORD(W0)), [a1] "m"(TD_WORD(W1)), [a2] "m"(TD_WORD(W2)),             \
                  [a3] "m"(TD_WORD(W3)), [b] "m"(TD_WORD(X)));                                  \
    } while (0)

/* One tap of four channels: weights word vw, inputs word vx, channel c of each in
 * lane c; s_c += w_c * x_c. */
#define TD_MAC_LANES4_STEP(VW, VX, S0, S1, S2, S3)                                            \
    do {                                                                                      \
        uint32_t t0_, t1_;                                                                    \
        __asm__("sxtb16 %[t0], %[w]\n\t"                                                      \
                "sxtb16 %[t1], %[x]\n\t"                                                      \
                "smlabb %[s0], %[t0], %[t1], %[s0]\n\t"                                       \
                "smlatt %[s2], %[t0], %[t1], %[s2]\n\t"                                       \
                "sxtb16 %[t0], %[w], ror #8\n\t"                                              \
                "sxtb16 %[t1], %[x], ror #8\n\t"                                              \
                "smlabb %[s1], %[t0], %[t1], %[s1]\n\t"                                       \
                "smlatt %[s3], %[t0], %[t1], %[s3]"                                            \
                : [s0] "+r"(S0), [s1] "+r"(S1), [s2] "+r"(S2), [s3] "+r"(S3), [t0] "=&r"(t0_),     \
                  [t1] "=&r"(t1_)                                                               \
                : [w] "r"(VW), [x] "r"(VX));                                                    \
    } while (0)
#endif

/* acc + sum(a[i] * b[i]) over n contiguous int8 pairs. */
TD_INLINE int32_t td_dot_s8(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    int32_t i = 0;
#if defined(TD_USE_DSP)
    for (; i + 4 <= n; i += 4) {
        const uint32_t va = td_load4(a + i);
        const uint32_t vb = td_load4(b + i);
        /* Products of bytes 0,2 then 1,3: the order of int32 additions does not matter. */
        acc = td_smlad(td_sxtb16(va), td_sxtb16(vb), acc);
        acc = td_smlad(td_sxtb16_ror8(va), td_sxtb16_ror8(vb), acc);
    }
#else
    for (; i + 4 <= n; i += 4) {
        acc += (int32_t)a[i] * b[i] + (int32_t)a[i + 1] * b[i + 1] + (int32_t)a[i + 2] * b[i + 2] +
               (int32_t)a[i + 3] * b[i + 3];
    }
#endif
    for (; i < n; ++i) {
        acc += (int32_t)a[i] * b[i];
    }
    return acc;
}

#if defined(TD_USE_DSP)
/* Four dot products sharing the input, rows a, a + stride, a + 2 stride, a + 3 stride
 * against b over n values (n % 4 == 0): acc[r] += row r . b. */
TD_INLINE void td_dot4_s8(const int8_t *a, int32_t stride, const int8_t *b, int32_t n, int32_t *acc)
{
    int32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
    const int8_t *pa = a, *pb = b;
    const int8_t *const end = b + n;
    if (__builtin_constant_p(stride) && __builtin_constant_p(n) && stride >= 8 && 3 * stride + 16 < 4096) {
        /* Generated code: the row stride is a constant, so rows 1-3 are immediate
         * offsets; sixteen values a turn keep the loop's own cost to 1/16 per value,
         * and a remaining eight are one block without a loop. */
        uint32_t xe, xo, t0, t1, t2;
        int32_t steps = n >> 4;
        if (steps > 0) {
            __asm__("1:\n\t"
                    TD_MAC_4X1_ASM("0") TD_MAC_4X1_ASM("4") TD_MAC_4X1_ASM("8") TD_MAC_4X1_ASM("12")
                    "add %[pa], %[pa], #16\n\t"
                    "add %[pb], %[pb], #16\n\t"
                    "subs %[steps], %[steps], #1\n\t"
                    "bne 1b"
                    : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [pa] "+r"(pa), [pb] "+r"(pb),
                      [steps] "+r"(steps), [xe] "=&r"(xe), [xo] "=&r"(xo), [t0] "=&r"(t0), [t1] "=&r"(t1),
                      [t2] "=&r"(t2)
                    : [s1o] "n"(stride), [s2o] "n"(2 * stride), [s3o] "n"(3 * stride)
                    : "cc", "memory");
        }
        if (n & 8) {
            __asm__(TD_MAC_4X1_ASM("0") TD_MAC_4X1_ASM("4")
                    "add %[pa], %[pa], #8\n\t"
                    "add %[pb], %[pb], #8"
                    : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [pa] "+r"(pa), [pb] "+r"(pb),
                      [xe] "=&r"(xe), [xo] "=&r"(xo), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
                    : [s1o] "n"(stride), [s2o] "n"(2 * stride), [s3o] "n"(3 * stride)
                    : "memory");
        }
    }
    while (pb < end) {
        TD_MAC_4X1_STEP(pa, pa + stride, pa + 2 * stride, pa + 3 * stride, pb, s0, s1, s2, s3);
        pa += 4;
        pb += 4;
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
}
#endif

/* Two dot products sharing the input: acc0 += a0·b, acc1 += a1·b over n values. */
TD_INLINE void td_dot2_s8(const int8_t *a0, const int8_t *a1, const int8_t *b, int32_t n, int32_t *acc0,
                          int32_t *acc1)
{
    int32_t s0 = *acc0, s1 = *acc1;
    int32_t i = 0;
#if defined(TD_USE_DSP)
    TD_UNROLL4
    for (; i + 4 <= n; i += 4) {
        const uint32_t vb = td_load4(b + i);
        const uint32_t b02 = td_sxtb16(vb), b13 = td_sxtb16_ror8(vb);
        const uint32_t va0 = td_load4(a0 + i), va1 = td_load4(a1 + i);
        s0 = td_smlad(td_sxtb16(va0), b02, s0);
        s0 = td_smlad(td_sxtb16_ror8(va0), b13, s0);
        s1 = td_smlad(td_sxtb16(va1), b02, s1);
        s1 = td_smlad(td_sxtb16_ror8(va1), b13, s1);
    }
#else
    for (; i + 2 <= n; i += 2) {
        const int32_t x0 = b[i], x1 = b[i + 1];
        s0 += a0[i] * x0 + a0[i + 1] * x1;
        s1 += a1[i] * x0 + a1[i + 1] * x1;
    }
#endif
    TD_UNROLL4
    for (; i < n; ++i) {
        const int32_t x = b[i];
        s0 += a0[i] * x;
        s1 += a1[i] * x;
    }
    *acc0 = s0;
    *acc1 = s1;
}

/* Two weight rows against two input runs (two output pixels): four dot products
 * sharing every load. acc_rp: row r, pixel p. */
TD_INLINE void td_dot2x2_s8(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1, int32_t n,
                            int32_t *acc00, int32_t *acc01, int32_t *acc10, int32_t *acc11)
{
    int32_t s00 = *acc00, s01 = *acc01, s10 = *acc10, s11 = *acc11;
    int32_t i = 0;
#if defined(TD_USE_DSP)
    {
        const int32_t da = (int32_t)(a1 - a0), db = (int32_t)(b1 - b0);
        const int8_t *pa = a0, *pb = b0;
        int32_t steps = n >> 3;
        if (__builtin_constant_p(da) && __builtin_constant_p(db) && __builtin_constant_p(n) && da >= 8 &&
            da < 4096 && db >= 8 && db < 4096 && steps > 0) {
            /* Generated code: the strides are constants, so the second row and column
             * are immediate offsets and the whole loop is one block (13 registers). */
            uint32_t t0, t1, t2, t3, t4, t5;
            __asm__("1:\n\t"
                    TD_MAC_2X2_ASM("0") TD_MAC_2X2_ASM("4")
                    "add %[pa], %[pa], #8\n\t"
                    "add %[pb], %[pb], #8\n\t"
                    "subs %[steps], %[steps], #1\n\t"
                    "bne 1b"
                    : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [pa] "+r"(pa),
                      [pb] "+r"(pb), [steps] "+r"(steps), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
                      [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
                    : [da] "n"(da), [db] "n"(db)
                    : "cc", "memory");
        }
        {
            const int8_t *const end = a0 + (n & ~3);
            while (pa < end) {
                TD_MAC_2X2_STEP(pa, pa + da, pb, pb + db, s00, s01, s10, s11);
                pa += 4;
                pb += 4;
            }
        }
        i = n & ~3;
    }
#endif
    TD_UNROLL4
    for (; i < n; ++i) {
        const int32_t w0 = a0[i], w1 = a1[i], x0 = b0[i], x1 = b1[i];
        s00 += w0 * x0;
        s01 += w0 * x1;
        s10 += w1 * x0;
        s11 += w1 * x1;
    }
    *acc00 = s00;
    *acc01 = s01;
    *acc10 = s10;
    *acc11 = s11;
}

#endif /* TD_MAC_H */
