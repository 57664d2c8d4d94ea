/* Fixed-point helpers of the TFLite reference kernels (gemmlowp arithmetic).
 * Bit-exact with SaturatingRoundingDoublingHighMul, RoundingDivideByPOT and
 * MultiplyByQuantizedMultiplier (double rounding, round half away from zero).
 * Right shifts of negative values are arithmetic on every compiler we target. */
#ifndef TD_REQUANT_H
#define TD_REQUANT_H

#include "td_dsp.h"
#include "td_types.h"

/* SaturatingRoundingDoublingHighMul: round(a*b / 2^31), ties away from zero.
 * floor((ab + 2^30) / 2^31) equals the reference's truncating division with its
 * sign-dependent nudge for every product (ties of negative products included),
 * and compiles to SMULL + ADDS/ADC + a shift instead of a 64-bit division. */
TD_INLINE int32_t td_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* x / 2^exponent rounded half away from zero; exponent in [0, 31]. */
TD_INLINE int32_t td_rdbpot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((((uint32_t)1) << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier: x * multiplier * 2^(shift - 31). */
TD_INLINE int32_t td_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    /* The reference multiplies in int32; wrap the same way without UB. */
    return td_rdbpot(td_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* The single-rounding variant (int64 product, one rounding shift) that the
 * reference uses for per-channel FULLY_CONNECTED: round(x * multiplier / 2^(31 - shift)). */
TD_INLINE int32_t td_mbqm_single(int32_t x, int32_t multiplier, int32_t shift)
{
    const int total = 31 - (int)shift;
    if (total > 32) {
        /* The rounding constant 2^(total-1) is a multiple of 2^32, so the low word of
         * the product cannot carry into the result: only the high word is needed. */
        const int32_t high = (int32_t)(((int64_t)x * multiplier) >> 32);
        return (high + (int32_t)(1u << (total - 33))) >> (total - 32);
    }
    return (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << (total - 1))) >> total);
}

TD_INLINE int8_t td_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
#if defined(TD_USE_DSP)
    if (__builtin_constant_p(lo) && __builtin_constant_p(hi)) {
        /* Generated code: the bounds are constants; SSAT does the int8 range and
         * only a narrower activation range costs more. */
        int32_t r;
        __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
        if (lo > -128 && r < lo) {
            r = lo;
        }
        if (hi < 127 && r > hi) {
            r = hi;
        }
        return (int8_t)r;
    }
#endif
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* Requantize an int32 accumulator to int8: scale, add the zero point, clamp.
 * Multipliers from QuantizeMultiplier are >= 0, so SRDHM's saturating case
 * (both operands INT32_MIN) cannot occur and its test is left out here. */
TD_INLINE int8_t td_requant_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_offset,
                               int32_t act_min, int32_t act_max)
{
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    const int64_t product = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier;
    const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
    return td_clamp_s8(td_rdbpot(high, right) + out_offset, act_min, act_max);
}

/* floor((a * m + 2^31) / 2^32) for m >= 0 with 32-bit multiplies only (ARMv6-M):
 * a = ah 2^16 + al, m = mh 2^16 + ml; every partial sum below stays in range. */
TD_INLINE int32_t td_mulhi_round(int32_t a, int32_t m)
{
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const int32_t mh = m >> 16;
    const uint32_t ml = (uint32_t)m & 0xFFFFu;
    const uint32_t lo = al * ml;
    const int32_t cross = ah * (int32_t)ml;                      /* |.| < 2^31 */
    const uint32_t u = al * (uint32_t)mh + (lo >> 16) + 0x8000u;  /* < 2^32 */
    return ah * mh + (cross >> 16) + (int32_t)((((uint32_t)cross & 0xFFFFu) + u) >> 16);
}

/* td_requant_s8 for the common case the generator proves at build time: shift <= 0
 * and |acc| < 2^30. Then x / 2^right rounded half away from zero is
 * (x + 2^(right-1) - [x < 0]) >> right without overflow: no masks, no branches. */
TD_INLINE int8_t td_requant_fast_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_offset,
                                    int32_t act_min, int32_t act_max)
{
    const int right = (int)-shift;
    /* floor((acc*m + 2^30) / 2^31) == floor((2acc*m + 2^31) / 2^32): SMMULR of 2acc (|acc| < 2^30). */
#if defined(TD_USE_DSP)
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(acc * 2), "r"(multiplier));
#elif defined(__ARM_ARCH_6M__)
    /* Cortex-M0/M0+ have no 32x32->64 multiply: the same value from four 16x16 products. */
    const int32_t high = td_mulhi_round(acc * 2, multiplier);
#else
    const int32_t high = (int32_t)(((int64_t)(acc * 2) * multiplier + ((int64_t)1 << 31)) >> 32);
#endif
    const int32_t half = (int32_t)((((uint32_t)1) << right) >> 1);
    const int32_t negative = (int32_t)((uint32_t)high >> 31) & (right > 0 ? 1 : 0);
    return td_clamp_s8(((high + half - negative) >> right) + out_offset, act_min, act_max);
}

#if defined(TD_USE_DSP)
/* td_requant_fast_s8 of an accumulator the caller already doubled (acc2 = 2 acc, as
 * kernels that accumulate with doubled weights have it): one shift less per output. */
TD_INLINE int8_t td_requant_fast_x2_s8(int32_t acc2, int32_t multiplier, int32_t shift, int32_t out_offset,
                                       int32_t act_min, int32_t act_max)
{
    const int right = (int)-shift;
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(acc2), "r"(multiplier));
    {
        const int32_t half = (int32_t)((((uint32_t)1) << right) >> 1);
        const int32_t negative = (int32_t)((uint32_t)high >> 31) & (right > 0 ? 1 : 0);
        return td_clamp_s8(((high + half - negative) >> right) + out_offset, act_min, act_max);
    }
}

/* td_requant_fast_x2_s8 when the shift is in [-22, -1]: the output offset, a multiple of 2^right
 * once shifted, joins the rounding constant k = 2^(right-1) + (out_offset << right) (given by the
 * generator; |sum| < 2^31), and high < 0 subtracts one. That correction is left out when
 * act_min >= out_offset: high < 0 then gives (high + k) >> right <= out_offset with or without
 * it, which the clamp takes to act_min either way. */
TD_INLINE int8_t td_requant_folded_x2_s8(int32_t acc2, int32_t multiplier, int32_t right, int32_t k,
                                         int32_t out_offset, int32_t act_min, int32_t act_max)
{
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(acc2), "r"(multiplier));
    if (act_min >= out_offset) {
        return td_clamp_s8((high + k) >> right, act_min, act_max);
    }
    return td_clamp_s8((high + k + (high >> 31)) >> right, act_min, act_max);
}
#endif

#endif /* TD_REQUANT_H */
