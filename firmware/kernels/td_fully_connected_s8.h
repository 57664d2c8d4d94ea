/* FULLY_CONNECTED int8 (TFLite reference_integer_ops::FullyConnected), per-tensor
 * weights (one multiplier repeated) or per-channel. Weights [out_c][in_c].
 *
 * td_fully_connected_s8() is the callable kernel; td_fully_connected_s8_impl() the
 * same code inline, which generated model.c specializes with constant parameters. */
#ifndef TD_FULLY_CONNECTED_S8_H
#define TD_FULLY_CONNECTED_S8_H

#include "td_dsp.h"
#include "td_mac.h"
#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t rows;   /* input rows (batch), each of in_c values */
    int32_t in_c, out_c;
    int32_t out_offset;
    int32_t act_min, act_max;
    int32_t single_rounding;    /* 1: the reference's int64 single-rounding requantization (TF 2.21) */
    const int8_t *weights;      /* [out_c][in_c] */
    const int32_t *bias_folded; /* [out_c]: bias - input_zero_point * sum(weights[o]) */
    const int32_t *mult;        /* [out_c] */
    const int32_t *shift;       /* [out_c] */
    int32_t fast_requant;       /* 1: every shift <= -2 and the folded rounding below stays in int32
                                 * (proved by the generator): the Armv7E-M path's high-word requantization */
    int32_t uniform;            /* 1 (with fast_requant): one multiplier and shift for all channels, */
    int32_t mult_all;           /* that multiplier, */
    int32_t right_all;          /* r = -1 - shift, */
    int32_t round_all;          /* 2^(r-1) + out_offset 2^r */
#if defined(TD_USE_DSP)
    /* Only builds with the Armv7E-M paths have (and link) what only those paths read. */
    /* The weights again for the Armv7E-M path, rows in pairs (generated when in_c and out_c
     * are multiples of 4; NULL otherwise), so that one sign extension serves two products:
     * for rows 2p, 2p+1 and inputs 4q..4q+3, at 2 p in_c + 8 q, the words
     * (w[2p][4q] + 128, w[2p+1][4q], w[2p][4q+2] + 128, w[2p+1][4q+2]) and the same of
     * inputs 4q+1, 4q+3. A word read as two int16 lanes is 256 w[2p][i] + w[2p+1][i] + 128
     * (low byte unsigned); its odd bytes sign-extended are row 2p+1's weights alone. One
     * inference needs only one of `weights` and `weights_pairs`; the linker drops the other
     * when the specialized kernel is all that reads them (--gc-sections). */
    const int8_t *weights_pairs;
    /* For eight inputs (in_c == 8; NULL otherwise), the Armv7E-M path's rows whole: per output
     * o five words, bias_folded[o] and then w[o][i], w[o][i + 2] as int16 lanes (low, high) for
     * i = 0, 1, 4, 5, the pairs of inputs that SXTB16 gives. */
    const int32_t *rows8;
#endif
} td_fully_connected_params;

td_status td_fully_connected_s8(const td_fully_connected_params *p, const int8_t *input, int8_t *output);

#if defined(TD_USE_DSP)
/* Output o of accumulator acc with fast_requant: round(acc m / 2^(31 - shift)) + out_offset
 * as (high word of acc m + 2^(r-1) + out_offset 2^r) >> r, r = -1 - shift >= 1: the
 * rounding constant 2^(30 - shift) is a multiple of 2^32, so the low word cannot carry
 * (td_mbqm_single's first case), and the offset, a multiple of 2^r, joins it. */
TD_INLINE int8_t td_fc_requant_fast(const td_fully_connected_params *p, int32_t acc, int32_t o)
{
    const int32_t m = p->uniform ? p->mult_all : p->mult[o];
    const int32_t r = p->uniform ? p->right_all : -1 - p->shift[o];
    const int32_t k = p->uniform ? p->round_all : (int32_t)((1u << (r - 1)) + ((uint32_t)p->out_offset << r));
    int32_t high;
    __asm__("smmul %0, %1, %2" : "=r"(high) : "r"(acc), "r"(m));
    return td_clamp_s8((high + k) >> r, p->act_min, p->act_max);
}

/* Output o of accumulator acc on the Armv7E-M path. */
TD_INLINE int8_t td_fc_requant_dsp(const td_fully_connected_params *p, int32_t acc, int32_t o)
{
    if (p->fast_requant) {
        return td_fc_requant_fast(p, acc, o);
    }
    return td_clamp_s8((p->single_rounding ? td_mbqm_single(acc, p->mult[o], p->shift[o])
                                           : td_mbqm(acc, p->mult[o], p->shift[o])) + p->out_offset,
                       p->act_min, p->act_max);
}
#endif

#if defined(TD_USE_DSP)
/* One step of four inputs for rows 2p, 2p+1 (pair P at [pa], words (0, 2) and (1, 3))
 * and the next pair (Q, at [pa + in_c2]): aX += lanes of the raw word . inputs (0, 2) /
 * (1, 3), bX += the odd bytes extended . the same (the second row alone); pa moves on
 * by the step's 8 bytes, pb by its 4 inputs. */
#define TD_FC_PAIRS_ASM                                                                          \
    "ldr %[xo], [%[pb]], #4\n\t"                                                              \
    "ldr %[q0], [%[pa], %[in_c2]]\n\t"                                                         \
    "ldr %[q1], [%[pa], %[in_c2_4]]\n\t"                                                       \
    "ldr %[w1], [%[pa], #4]\n\t"                                                              \
    "ldr %[w0], [%[pa]], #8\n\t"                                                              \
    "sxtb16 %[xe], %[xo]\n\t"                                                                 \
    "sxtb16 %[xo], %[xo], ror #8\n\t"                                                         \
    "smlad %[ap], %[w0], %[xe], %[ap]\n\t"                                                    \
    "sxtb16 %[w0], %[w0], ror #8\n\t"                                                         \
    "smlad %[bp], %[w0], %[xe], %[bp]\n\t"                                                    \
    "smlad %[ap], %[w1], %[xo], %[ap]\n\t"                                                    \
    "sxtb16 %[w1], %[w1], ror #8\n\t"                                                         \
    "smlad %[bp], %[w1], %[xo], %[bp]\n\t"                                                    \
    "smlad %[aq], %[q0], %[xe], %[aq]\n\t"                                                    \
    "sxtb16 %[q0], %[q0], ror #8\n\t"                                                         \
    "smlad %[bq], %[q0], %[xe], %[bq]\n\t"                                                    \
    "smlad %[aq], %[q1], %[xo], %[aq]\n\t"                                                    \
    "sxtb16 %[q1], %[q1], ror #8\n\t"                                                         \
    "smlad %[bq], %[q1], %[xo], %[bq]\n\t"
#define TD_FC_PAIRS_OPERANDS                                                                     \
    : [ap] "+r"(ap), [bp] "+r"(bp), [aq] "+r"(aq), [bq] "+r"(bq), [pa] "+r"(pa), [pb] "+r"(pb),    \
      [xe] "=&r"(xe), [xo] "=&r"(xo), [w0] "=&r"(w0), [w1] "=&r"(w1), [q0] "=&r"(q0), [q1] "=&r"(q1) \
    : [in_c2] "n"(2 * TD_FC_IN_C), [in_c2_4] "n"(2 * TD_FC_IN_C + 4)                               \
    : "memory"

/* Rows o..o+3 of the paired weights (the pairs at pa) against `input`: acc[k] = row o+k's
 * sum from bias_folded. `sum128` is 128 times the sum of the inputs: each raw word adds
 * 128 x to the first row's lane sum, which leaves it with 256 (second row) + first row
 * + 128 sum(x), all modulo 2^32 like the reference's int32 sums. */
#define TD_FC_IN_C p->in_c
TD_INLINE void td_fc_pairs4(const td_fully_connected_params *p, const int8_t *pa, const int8_t *input,
                            int32_t sum128, int32_t o, int32_t *acc)
{
    const int8_t *pb = input;
    const int32_t b0 = p->bias_folded[o], b1 = p->bias_folded[o + 1];
    const int32_t b2 = p->bias_folded[o + 2], b3 = p->bias_folded[o + 3];
    /* Start the lane sums at b_first + 256 b_second - 128 sum(x): then first = a - 256 b. */
    int32_t ap = (int32_t)((uint32_t)b0 + ((uint32_t)b1 << 8) - (uint32_t)sum128), bp = b1;
    int32_t aq = (int32_t)((uint32_t)b2 + ((uint32_t)b3 << 8) - (uint32_t)sum128), bq = b3;
    uint32_t xe, xo, w0, w1, q0, q1;
    int32_t n;
    for (n = p->in_c >> 4; n > 0; --n) {
        __asm__(TD_FC_PAIRS_ASM TD_FC_PAIRS_ASM TD_FC_PAIRS_ASM TD_FC_PAIRS_ASM TD_FC_PAIRS_OPERANDS);
    }
    for (n = (p->in_c >> 2) & 3; n > 0; --n) {
        __asm__(TD_FC_PAIRS_ASM TD_FC_PAIRS_OPERANDS);
    }
    acc[0] = (int32_t)((uint32_t)ap - ((uint32_t)bp << 8));
    acc[1] = bp;
    acc[2] = (int32_t)((uint32_t)aq - ((uint32_t)bq << 8));
    acc[3] = bq;
}
#undef TD_FC_IN_C

/* 128 times the sum of n int8 values (n % 4 == 0), modulo 2^32. */
TD_INLINE int32_t td_fc_sum128(const int8_t *x, int32_t n)
{
    int32_t s = 0, i;
    for (i = 0; i < n; i += 4) {
        const uint32_t v = TD_WORD(x + i);
        s = td_smlad(td_sxtb16(v), 0x00010001u, s);
        s = td_smlad(td_sxtb16_ror8(v), 0x00010001u, s);
    }
    return (int32_t)((uint32_t)s << 7);
}

/* The paired path applies: generated code (in_c a constant, the next pair's offset an
 * LDR immediate) and the generator gave the paired weights. */
TD_INLINE int td_fc_paired(const td_fully_connected_params *p)
{
    return __builtin_constant_p(p->in_c) && p->weights_pairs != NULL && p->in_c % 4 == 0 && p->out_c % 4 == 0 &&
           2 * p->in_c + 4 < 4096;
}
#endif

/* int8 weights are symmetric (zero point 0), so the input zero point folds into
 * the bias and the inner loop is a plain dot product. TF 2.21's reference
 * requantizes FULLY_CONNECTED with single rounding (int64 product, one rounding
 * shift); single_rounding = 0 selects the gemmlowp double rounding. */
TD_INLINE td_status td_fully_connected_s8_impl(const td_fully_connected_params *p,
                                               const int8_t *TD_RESTRICT input, int8_t *TD_RESTRICT output)
{
    int32_t r, o;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
#if defined(TD_USE_DSP)
    if (p->in_c == 8 && p->rows8 != NULL) {
        /* Eight inputs: with so few the per-row set-up would dominate; the inputs stay extended
         * in four registers and each row is two LDRDs, an LDR and four SMLADs. */
        for (r = 0; r < p->rows; ++r) {
            const uint32_t lo = TD_WORD(input), hi = TD_WORD(input + 4);
            const uint32_t x0 = td_sxtb16(lo), x1 = td_sxtb16_ror8(lo), x2 = td_sxtb16(hi), x3 = td_sxtb16_ror8(hi);
            const int32_t *w = p->rows8;
            for (o = 0; o < p->out_c; ++o) {
                int32_t acc;
                uint32_t w0, w1, w2, w3;
                __asm__("ldrd %[acc], %[w0], [%[w]]\n\t"
                        "ldrd %[w1], %[w2], [%[w], #8]\n\t"
                        "ldr %[w3], [%[w], #16]\n\t"
                        "smlad %[acc], %[w0], %[x0], %[acc]\n\t"
                        "smlad %[acc], %[w1], %[x1], %[acc]\n\t"
                        "smlad %[acc], %[w2], %[x2], %[acc]\n\t"
                        "smlad %[acc], %[w3], %[x3], %[acc]"
                        : [acc] "=&r"(acc), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
                        : [w] "r"(w), [x0] "r"(x0), [x1] "r"(x1), [x2] "r"(x2), [x3] "r"(x3)
                        : "memory");
                output[o] = td_fc_requant_dsp(p, acc, o);
                w += 5;
            }
            input += 8;
            output += p->out_c;
        }
        return TD_OK;
    }
    if (td_fc_paired(p)) {
        for (r = 0; r < p->rows; ++r) {
            const int32_t sum128 = td_fc_sum128(input, p->in_c);
            for (o = 0; o < p->out_c; o += 4) {
                int32_t acc[4];
                td_fc_pairs4(p, p->weights_pairs + o * p->in_c, input, sum128, o, acc);
                output[o] = td_fc_requant_dsp(p, acc[0], o);
                output[o + 1] = td_fc_requant_dsp(p, acc[1], o + 1);
                output[o + 2] = td_fc_requant_dsp(p, acc[2], o + 2);
                output[o + 3] = td_fc_requant_dsp(p, acc[3], o + 3);
            }
            input += p->in_c;
            output += p->out_c;
        }
        return TD_OK;
    }
#endif
    for (r = 0; r < p->rows; ++r) {
        const int8_t *w = p->weights;
        o = 0;
#if defined(TD_USE_DSP)
        if (p->in_c % 4 == 0 && p->in_c <= 1020) { /* the fourth row within LDR's immediate offsets */
            for (; o + 4 <= p->out_c; o += 4) {
                int32_t acc[4];
                acc[0] = p->bias_folded[o];
                acc[1] = p->bias_folded[o + 1];
                acc[2] = p->bias_folded[o + 2];
                acc[3] = p->bias_folded[o + 3];
                td_dot4_s8(w, p->in_c, input, p->in_c, acc);
                /* Written out (no loop over acc) so that the sums stay in registers. */
                output[o] = td_fc_requant_dsp(p, acc[0], o);
                output[o + 1] = td_fc_requant_dsp(p, acc[1], o + 1);
                output[o + 2] = td_fc_requant_dsp(p, acc[2], o + 2);
                output[o + 3] = td_fc_requant_dsp(p, acc[3], o + 3);
                w += 4 * p->in_c;
            }
        }
#endif
        for (; o + 2 <= p->out_c; o += 2) {
            int32_t acc0 = p->bias_folded[o], acc1 = p->bias_folded[o + 1];
            int32_t s0, s1;
            td_dot2_s8(w, w + p->in_c, input, p->in_c, &acc0, &acc1);
            s0 = p->single_rounding ? td_mbqm_single(acc0, p->mult[o], p->shift[o])
                                    : td_mbqm(acc0, p->mult[o], p->shift[o]);
            s1 = p->single_rounding ? td_mbqm_single(acc1, p->mult[o + 1], p->shift[o + 1])
                                    : td_mbqm(acc1, p->mult[o + 1], p->shift[o + 1]);
            output[o] = td_clamp_s8(s0 + p->out_offset, p->act_min, p->act_max);
            output[o + 1] = td_clamp_s8(s1 + p->out_offset, p->act_min, p->act_max);
            w += 2 * p->in_c;
        }
        for (; o < p->out_c; ++o) {
            const int32_t acc = td_dot_s8(w, input, p->in_c, p->bias_folded[o]);
            const int32_t scaled = p->single_rounding ? td_mbqm_single(acc, p->mult[o], p->shift[o])
                                                      : td_mbqm(acc, p->mult[o], p->shift[o]);
            output[o] = td_clamp_s8(scaled + p->out_offset, p->act_min, p->act_max);
            w += p->in_c;
        }
        input += p->in_c;
        output += p->out_c;
    }
    return TD_OK;
}

#endif /* TD_FULLY_CONNECTED_S8_H */
