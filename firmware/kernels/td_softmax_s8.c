/* SOFTMAX int8: the exp terms come from the generator's table (exactly the reference's
 * exp_on_negative_values); the sum, gemmlowp's one_over_one_plus_x_for_x_in_0_1 and the
 * output scaling follow the reference step by step. */
#include "td_softmax_s8.h"
#include "td_requant.h"

/* SaturatingRoundingMultiplyByPOT with a positive exponent: saturating left shift. */
static int32_t sat_shl(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((((uint32_t)1) << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* 1 / (1 + x) for x in [0, 1) in Q0.31; the result in Q0.31 (Newton-Raphson, 3 steps). */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810;          /* Q2.29 */
    const int32_t cm32_17 = -1010580540;
    int32_t x = c48_17 + td_srdhm(half_denominator, cm32_17);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = td_srdhm(half_denominator, x);
        const int32_t one_minus = (1 << 29) - hdx;
        x = x + sat_shl(td_srdhm(x, one_minus), 2);
    }
    return sat_shl(x, 1);
}

/* The sum is at least exp(0) in Q12.19 (2^19), never 0. */
static int count_leading_zeros(uint32_t x)
{
#if defined(__GNUC__)
    return __builtin_clz(x);
#else
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

td_status td_softmax_s8(const td_softmax_params *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    if (p == NULL || input == NULL || output == NULL || p->exp_table == NULL || p->table_size < 1) {
        return TD_ERR_ARG;
    }
    for (r = 0; r < p->rows; ++r) {
        const int8_t *in = input + r * p->depth;
        int8_t *out = output + r * p->depth;
        const int32_t *table = p->exp_table;
        const int32_t size = p->table_size;
        int32_t max_in = -128;
        uint32_t sum_of_exps = 0; /* Q12.19; the reference's int32 sum, wrapping alike */
        int headroom, num_bits_over_unit;
        int32_t shifted_scale;
        for (c = 0; c < p->depth; ++c) {
            max_in = in[c] > max_in ? in[c] : max_in;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t d = max_in - in[c];
            /* Entries are >= 0: RoundingDivideByPOT(e, 12) is (e + 2^11) >> 12. */
            sum_of_exps += d < size ? (uint32_t)((table[d] >> 12) + ((table[d] >> 11) & 1)) : 0u;
        }
        headroom = count_leading_zeros(sum_of_exps);
        num_bits_over_unit = 12 - headroom;
        shifted_scale = one_over_one_plus_x((int32_t)((sum_of_exps << headroom) - ((uint32_t)1 << 31)));
        for (c = 0; c < p->depth; ++c) {
            const int32_t d = max_in - in[c];
            const int32_t e = d < size ? table[d] : 0;
            /* A difference below diff_min has e = 0 and so the reference's output -128 too. */
            const int32_t shifted = td_rdbpot(td_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8) - 128;
            out[c] = (int8_t)(shifted > 127 ? 127 : (shifted < -128 ? -128 : shifted));
        }
    }
    return TD_OK;
}
