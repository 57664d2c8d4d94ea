/* SOFTMAX int8 with gemmlowp's fixed-point exp_on_negative_values and
 * one_over_one_plus_x_for_x_in_0_1, step by step as the reference. */
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

/* exp(a) for a in [-1/4, 0), a and the result in Q0.31. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;   /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28);            /* a + 1/8 */
    const int32_t x2 = td_srdhm(x, x);
    const int32_t x3 = td_srdhm(x2, x);
    const int32_t x4 = td_srdhm(x2, x2);
    const int32_t x4_over_4 = td_rdbpot(x4, 2);
    const int32_t poly = td_rdbpot(td_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return constant_term + td_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; the result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a)
{
    static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t one_quarter = 1 << 24;
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
    int32_t result = exp_quarter(sat_shl(a_mod_quarter_minus_quarter, 5));
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int k;
    for (k = 0; k < 7; ++k) { /* exponents -2 .. +4: bit 26 + exponent of the remainder */
        if (remainder & (int32_t)(((uint32_t)1) << (24 + k))) {
            result = td_srdhm(result, multipliers[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
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

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

td_status td_softmax_s8(const td_softmax_params *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (r = 0; r < p->rows; ++r) {
        const int8_t *in = input + r * p->depth;
        int8_t *out = output + r * p->depth;
        int32_t max_in = -128;
        int32_t sum_of_exps = 0; /* Q12.19 */
        int headroom, num_bits_over_unit;
        int32_t shifted_scale;
        for (c = 0; c < p->depth; ++c) {
            max_in = in[c] > max_in ? in[c] : max_in;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in;
            if (diff >= p->diff_min) {
                const int32_t scaled = td_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_mult);
                sum_of_exps += td_rdbpot(exp_on_negative_values(scaled), 12);
            }
        }
        headroom = count_leading_zeros((uint32_t)sum_of_exps);
        num_bits_over_unit = 12 - headroom;
        shifted_scale = one_over_one_plus_x(
            (int32_t)(((uint32_t)sum_of_exps << headroom) - ((uint32_t)1 << 31)));
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in;
            if (diff >= p->diff_min) {
                const int32_t scaled = td_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_mult);
                const int32_t e = exp_on_negative_values(scaled);
                const int32_t unsat = td_rdbpot(td_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
                const int32_t shifted = unsat - 128;
                out[c] = (int8_t)(shifted > 127 ? 127 : (shifted < -128 ? -128 : shifted));
            } else {
                out[c] = -128;
            }
        }
    }
    return TD_OK;
}
