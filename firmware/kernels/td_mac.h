/* The inner multiply-accumulate loops, shared by the kernels.
 * With __ARM_FEATURE_DSP (Cortex-M4/M7/M33) pairs of products go through SMLAD;
 * elsewhere plain C. Both give the same int32 sums (no intermediate rounding). */
#ifndef TD_MAC_H
#define TD_MAC_H

#include <string.h>
#include "td_types.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__) && !defined(TD_NO_DSP)
#define TD_USE_DSP 1
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
TD_INLINE int32_t td_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
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
    TD_UNROLL4
    for (; i + 4 <= n; i += 4) {
        const uint32_t va0 = td_load4(a0 + i), va1 = td_load4(a1 + i);
        const uint32_t w0e = td_sxtb16(va0), w0o = td_sxtb16_ror8(va0);
        const uint32_t w1e = td_sxtb16(va1), w1o = td_sxtb16_ror8(va1);
        const uint32_t vb0 = td_load4(b0 + i), vb1 = td_load4(b1 + i);
        const uint32_t x0e = td_sxtb16(vb0), x0o = td_sxtb16_ror8(vb0);
        const uint32_t x1e = td_sxtb16(vb1), x1o = td_sxtb16_ror8(vb1);
        s00 = td_smlad(w0o, x0o, td_smlad(w0e, x0e, s00));
        s01 = td_smlad(w0o, x1o, td_smlad(w0e, x1e, s01));
        s10 = td_smlad(w1o, x0o, td_smlad(w1e, x0e, s10));
        s11 = td_smlad(w1o, x1o, td_smlad(w1e, x1e, s11));
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
