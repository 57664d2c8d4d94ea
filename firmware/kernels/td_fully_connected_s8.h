/* FULLY_CONNECTED int8 (TFLite reference_integer_ops::FullyConnected), per-tensor
 * weights (one multiplier repeated) or per-channel. Weights [out_c][in_c].
 *
 * td_fully_connected_s8() is the callable kernel; td_fully_connected_s8_impl() the
 * same code inline, which generated model.c specializes with constant parameters. */
#ifndef TD_FULLY_CONNECTED_S8_H
#define TD_FULLY_CONNECTED_S8_H

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
} td_fully_connected_params;

td_status td_fully_connected_s8(const td_fully_connected_params *p, const int8_t *input, int8_t *output);

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
    for (r = 0; r < p->rows; ++r) {
        const int8_t *w = p->weights;
        o = 0;
#if defined(TD_USE_DSP)
        if (p->in_c % 4 == 0 && p->in_c <= 1020) { /* the fourth row within LDR's immediate offsets */
            for (; o + 4 <= p->out_c; o += 4) {
                int32_t acc[4];
                int32_t k;
                acc[0] = p->bias_folded[o];
                acc[1] = p->bias_folded[o + 1];
                acc[2] = p->bias_folded[o + 2];
                acc[3] = p->bias_folded[o + 3];
                td_dot4_s8(w, p->in_c, input, p->in_c, acc);
                for (k = 0; k < 4; ++k) {
                    const int32_t scaled = p->single_rounding
                                               ? td_mbqm_single(acc[k], p->mult[o + k], p->shift[o + k])
                                               : td_mbqm(acc[k], p->mult[o + k], p->shift[o + k]);
                    output[o + k] = td_clamp_s8(scaled + p->out_offset, p->act_min, p->act_max);
                }
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
