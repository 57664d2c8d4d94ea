/* Kernel unit tests with hand-computed goldens (exact comparison).
 * Built by tests/engine/test_kernels.py with -std=c99 -Wall -Wextra -Werror. */
#include <stdio.h>
#include "td_conv_s8.h"
#include "td_depthwise_conv_s8.h"
#include "td_fully_connected_s8.h"
#include "td_lut_s8.h"
#include "td_mean_s8.h"
#include "td_pool_s8.h"
#include "td_requant.h"
#include "td_softmax_s8.h"

static int failures = 0;
#define CHECK_EQ(got, want)                                                                         \
    do {                                                                                            \
        long long g_ = (long long)(got), w_ = (long long)(want);                                    \
        if (g_ != w_) {                                                                             \
            printf("FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_);         \
            ++failures;                                                                             \
        }                                                                                           \
    } while (0)

#define HALF (1 << 30) /* multiplier 0.5 in Q0.31 */

static void test_srdhm(void)
{
    CHECK_EQ(td_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);       /* the one saturating case */
    CHECK_EQ(td_srdhm(1 << 30, 1 << 30), 1 << 29);              /* 0.5 * 0.5 in Q0.31 */
    CHECK_EQ(td_srdhm(1, HALF), 1);                              /* 0.5 rounds up */
    CHECK_EQ(td_srdhm(-1, HALF), 0);                             /* -0.5: the reference's nudge gives 0 */
    CHECK_EQ(td_srdhm(3, HALF), 2);                              /* 1.5 -> 2 */
    CHECK_EQ(td_srdhm(-3, HALF), -1);                            /* -1.5 -> -1 */
    CHECK_EQ(td_srdhm(INT32_MAX, INT32_MAX), 2147483646);       /* (2^31-1)^2 / 2^31 */
    CHECK_EQ(td_srdhm(INT32_MIN, INT32_MAX), -2147483647);
    CHECK_EQ(td_srdhm(-100, 0), 0);
}

static void test_rdbpot(void)
{
    CHECK_EQ(td_rdbpot(5, 1), 3);   /* 2.5 -> 3 */
    CHECK_EQ(td_rdbpot(-5, 1), -3); /* -2.5 -> -3: away from zero */
    CHECK_EQ(td_rdbpot(4, 1), 2);
    CHECK_EQ(td_rdbpot(-4, 1), -2);
    CHECK_EQ(td_rdbpot(7, 2), 2);   /* 1.75 */
    CHECK_EQ(td_rdbpot(-6, 2), -2); /* -1.5 */
    CHECK_EQ(td_rdbpot(-2, 2), -1); /* -0.5 */
    CHECK_EQ(td_rdbpot(2, 2), 1);   /* 0.5 */
    CHECK_EQ(td_rdbpot(-1, 2), 0);  /* -0.25 */
    CHECK_EQ(td_rdbpot(123, 0), 123);
    CHECK_EQ(td_rdbpot(INT32_MAX, 31), 1);
    CHECK_EQ(td_rdbpot(INT32_MIN, 31), -1);
    CHECK_EQ(td_rdbpot(INT32_MIN, 1), -1073741824);
}

static void test_mbqm(void)
{
    CHECK_EQ(td_mbqm(100, HALF, 0), 50);
    CHECK_EQ(td_mbqm(100, HALF, -1), 25);
    CHECK_EQ(td_mbqm(3, HALF, -1), 1);     /* double rounding: 1.5 -> 2, then 2/2 = 1 */
    CHECK_EQ(td_mbqm(-3, HALF, -1), -1);   /* -1.5 -> -1, then -0.5 -> -1 */
    CHECK_EQ(td_mbqm(5, HALF, -1), 2);     /* 2.5 -> 3, then 1.5 -> 2 (single rounding: 1) */
    CHECK_EQ(td_mbqm(1000, HALF, 2), 2000);/* left shift first */
    CHECK_EQ(td_mbqm(INT32_MAX, INT32_MAX, -31), 1);
    CHECK_EQ(td_mbqm(-7, 0, 0), 0);        /* a zero multiplier (a zero scale) */
    CHECK_EQ(td_mbqm_single(3, HALF, -1), 1);   /* 0.75 -> 1 */
    CHECK_EQ(td_mbqm_single(-3, HALF, -1), -1); /* -0.75 -> -1 */
    CHECK_EQ(td_mbqm_single(1, HALF, 0), 1);    /* 0.5 -> 1 */
    CHECK_EQ(td_mbqm_single(-1, HALF, 0), 0);   /* -0.5 -> 0: round half up */
    CHECK_EQ(td_mbqm_single(5, HALF, -1), 1);   /* 1.25 -> 1 (double rounding gives 2) */
    CHECK_EQ(td_requant_s8(1000, HALF, 0, -128, -128, 127), 127);  /* 500 - 128 saturates */
    CHECK_EQ(td_requant_s8(-1000, HALF, 0, 0, -128, 127), -128);
    CHECK_EQ(td_requant_s8(10, HALF, 0, 3, 0, 127), 8);
    CHECK_EQ(td_requant_s8(-10, HALF, 0, 3, 0, 127), 0);          /* RELU clamp */
}

static void test_fast_requant_matches(void)
{
    /* td_requant_fast_s8 == td_requant_s8 wherever the generator allows it. */
    static const int32_t mults[4] = {1 << 30, 1073741825, 2147483647, 1518500250};
    uint32_t state = 12345u;
    int i, k, shift;
    int mismatches = 0;
    for (i = 0; i < 4000; ++i) {
        int32_t acc;
        state = state * 1664525u + 1013904223u;
        acc = (int32_t)(state >> 2) - (1 << 29); /* |acc| < 2^30 */
        if (i < 64) {
            acc = (i % 2 ? -1 : 1) * ((1 << (i / 2 % 30)) + (i % 4 < 2 ? 0 : (1 << (i / 2 % 30)) / 2));
        }
        for (k = 0; k < 4; ++k) {
            for (shift = 0; shift >= -31; --shift) {
                if (td_requant_fast_s8(acc, mults[k], shift, -3, -128, 127) !=
                    td_requant_s8(acc, mults[k], shift, -3, -128, 127)) {
                    ++mismatches;
                }
                if (td_requant_fast_s8(acc, mults[k], shift, 0, -1000000, 1000000) !=
                    td_requant_s8(acc, mults[k], shift, 0, -1000000, 1000000)) {
                    ++mismatches;
                }
            }
        }
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(td_requant_fast_s8(3, HALF, -1, 0, -128, 127), 1);   /* same double rounding as td_mbqm */
    CHECK_EQ(td_requant_fast_s8(-3, HALF, -1, 0, -128, 127), -1);
    CHECK_EQ(td_requant_fast_s8(5, HALF, -1, 0, -128, 127), 2);
    CHECK_EQ(td_requant_fast_s8(-5, HALF, -1, 0, -128, 127), -1); /* srdhm: -2.5 -> -2; then -1 */
}

static void test_mulhi_round(void)
{
    /* The ARMv6-M helper against the 64-bit formula, corners and random values. */
    static const int32_t as[8] = {0, 1, -1, INT32_MAX, INT32_MIN, 65535, -65536, 123456789};
    static const int32_t ms[5] = {0, 1, 1 << 30, INT32_MAX, 1518500250};
    uint32_t state = 777u;
    int i, j, mismatches = 0;
    for (i = 0; i < 8; ++i) {
        for (j = 0; j < 5; ++j) {
            const int32_t want = (int32_t)(((int64_t)as[i] * ms[j] + ((int64_t)1 << 31)) >> 32);
            mismatches += td_mulhi_round(as[i], ms[j]) != want;
        }
    }
    for (i = 0; i < 20000; ++i) {
        int32_t a, m;
        state = state * 1664525u + 1013904223u;
        a = (int32_t)state;
        state = state * 1664525u + 1013904223u;
        m = (int32_t)(state >> 1);
        mismatches += td_mulhi_round(a, m) != (int32_t)(((int64_t)a * m + ((int64_t)1 << 31)) >> 32);
    }
    CHECK_EQ(mismatches, 0);
}

static void test_conv_same_padding(void)
{
    /* in [0, 1, 2] with zero point -1 (real 1, 2, 3), kernel [1, 1, 1], SAME: 3, 6, 5. */
    static const int8_t w[3] = {1, 1, 1};
    static const int32_t bias[1] = {0}, folded[1] = {3}, mult[1] = {HALF}, shift[1] = {1};
    /* Designated: the fields of the DSP paths exist only in builds with them (td_dsp.h). */
    const td_conv_params p = {.in_h = 1, .in_w = 3, .in_c = 1, .out_h = 1, .out_w = 3, .out_c = 1, .k_h = 1,
                              .k_w = 3, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1, .pad_top = 0,
                              .pad_left = 1, .oy_lo = 0, .oy_hi = 1, .ox_lo = 1, .ox_hi = 2, .in_offset = 1,
                              .out_offset = 0, .act_min = -128, .act_max = 127, .fast_requant = 0, .weights = w,
                              .bias = bias, .bias_folded = folded, .mult = mult, .shift = shift};
    const int8_t in[3] = {0, 1, 2};
    int8_t out[3] = {0, 0, 0};
    CHECK_EQ(td_conv_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 3);
    CHECK_EQ(out[1], 6);
    CHECK_EQ(out[2], 5);
}

static void test_depthwise_multiplier(void)
{
    /* 1 input channel, depth multiplier 2, kernel width 2, VALID: ch0 weights [1, 2], ch1 [-1, 1]. */
    static const int8_t w[4] = {1, -1, 2, 1}; /* [kx][oc] */
    static const int32_t bias[2] = {0, 10}, folded[2] = {0, 10}, mult[2] = {HALF, HALF}, shift[2] = {1, 1};
    const td_depthwise_conv_params p = {.in_h = 1, .in_w = 3, .in_c = 1, .out_h = 1, .out_w = 2, .out_c = 2,
                                        .depth_mult = 2, .k_h = 1, .k_w = 2, .stride_h = 1, .stride_w = 1,
                                        .dil_h = 1, .dil_w = 1, .pad_top = 0, .pad_left = 0, .oy_lo = 0,
                                        .oy_hi = 1, .ox_lo = 0, .ox_hi = 2, .in_offset = 0, .out_offset = 0,
                                        .act_min = -128, .act_max = 127, .fast_requant = 0, .weights = w,
                                        .bias = bias, .bias_folded = folded, .mult = mult, .shift = shift};
    const int8_t in[3] = {3, 4, -5};
    int8_t out[4];
    CHECK_EQ(td_depthwise_conv_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 3 + 8);      /* x0*1 + x1*2 */
    CHECK_EQ(out[1], 10 - 3 + 4); /* bias + x0*-1 + x1*1 */
    CHECK_EQ(out[2], 4 - 10);
    CHECK_EQ(out[3], 10 - 4 - 5);
}

static void test_fully_connected(void)
{
    static const int8_t w[6] = {1, 2, 3, -1, -2, -3};
    static const int32_t folded[2] = {6, -6}, mult[2] = {HALF, HALF}, shift[2] = {1, 1};
    /* input zero point -1: bias_folded = bias + sum(w) = 0 + 6, 0 - 6 */
    const td_fully_connected_params p = {.rows = 1, .in_c = 3, .out_c = 2, .out_offset = 0, .act_min = -128,
                                         .act_max = 127, .single_rounding = 0, .weights = w, .bias_folded = folded,
                                         .mult = mult, .shift = shift};
    const int8_t in[3] = {1, 1, 1}; /* real 2, 2, 2 */
    int8_t out[2];
    CHECK_EQ(td_fully_connected_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 12);
    CHECK_EQ(out[1], -12);
}

static void test_mean(void)
{
    /* [4][2] -> mean over 4 rows, multiplier 1/4 = 0.5 * 2^-1. */
    const td_mean_params p = {1, 4, 2, 0, HALF, -1, 0, 1};
    const int8_t in[8] = {1, -1, 2, -2, 3, -3, 4, -4};
    int8_t out[2];
    CHECK_EQ(td_mean_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 3);  /* 10/4 = 2.5: srdhm gives 5, then 5/2 = 2.5 -> 3 */
    CHECK_EQ(out[1], -3); /* -2.5 -> -3 */
}

static void test_pools(void)
{
    /* width 5, filter 2, stride 2, SAME: windows [0,1] [2,3] [4] */
    const td_pool_params p = {1, 5, 1, 1, 3, 1, 2, 1, 2, 0, 0, -128, 127};
    const int8_t in[5] = {1, 2, -1, -2, 7};
    const td_pool_params relu = {1, 5, 1, 1, 3, 1, 2, 1, 2, 0, 0, 0, 5};
    int8_t out[3];
    CHECK_EQ(td_avg_pool_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 2);  /* 1.5 -> 2 */
    CHECK_EQ(out[1], -2); /* -1.5 -> -2 */
    CHECK_EQ(out[2], 7);  /* the clipped window counts one input */
    CHECK_EQ(td_max_pool_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], 2);
    CHECK_EQ(out[1], -1);
    CHECK_EQ(out[2], 7);
    CHECK_EQ(td_max_pool_s8(&relu, in, out), TD_OK);
    CHECK_EQ(out[1], 0); /* fused RELU range */
    CHECK_EQ(out[2], 5);
}

static void test_softmax(void)
{
    /* exp(0) = 1 and exp(-1 step) = 1/2 exactly; a difference past the table has exp() = 0. */
    static const int32_t exp_table[2] = {INT32_MAX, 1 << 30};
    const td_softmax_params p = {3, 4, exp_table, 2};
    const td_softmax_params empty = {1, 4, exp_table, 0};
    const int8_t in[12] = {0, 0, 0, 0, 100, -128, -128, -128, 4, 5, 4, 4};
    int8_t out[12];
    CHECK_EQ(td_softmax_s8(&p, in, out), TD_OK);
    CHECK_EQ(out[0], -64); /* 1/4 = 64/256 */
    CHECK_EQ(out[3], -64);
    CHECK_EQ(out[4], 127); /* 1.0 saturates at 255/256 */
    CHECK_EQ(out[5], -128); /* a difference past the table contributes exactly 0 */
    CHECK_EQ(out[9], -26); /* sum 1 + 3/2 = 5/2: 1/(5/2) = 102.4/256 */
    CHECK_EQ(out[8], -77); /* (1/2)/(5/2) = 51.2/256 */
    CHECK_EQ(out[11], -77);
    CHECK_EQ(td_softmax_s8(&empty, in, out), TD_ERR_ARG);
}

static void test_lut(void)
{
    int8_t table[256];
    int i;
    int8_t buf[3] = {-128, 0, 127};
    for (i = 0; i < 256; ++i) {
        table[i] = (int8_t)(127 - i);
    }
    {
        const td_lut_params p = {3, table};
        CHECK_EQ(td_lut_s8(&p, buf, buf), TD_OK); /* in place */
        CHECK_EQ(buf[0], 127);
        CHECK_EQ(buf[1], -1);
        CHECK_EQ(buf[2], -128);
        CHECK_EQ(td_lut_s8(NULL, buf, buf), TD_ERR_ARG);
    }
}

int main(void)
{
    test_srdhm();
    test_rdbpot();
    test_mbqm();
    test_fast_requant_matches();
    test_mulhi_round();
    test_conv_same_padding();
    test_depthwise_multiplier();
    test_fully_connected();
    test_mean();
    test_pools();
    test_softmax();
    test_lut();
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
