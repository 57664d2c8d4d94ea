/* DEPTHWISE_CONV_2D int8, per-channel (TFLite reference_integer_ops::DepthwiseConvPerChannel).
 * Output channel oc reads input channel oc / depth_mult. Weights are stored
 * transposed by the generator as [out_c][k_h][k_w] so each channel's taps are contiguous.
 *
 * td_depthwise_conv_s8() is the callable kernel; td_depthwise_conv_s8_impl() the
 * same code inline, which generated model.c specializes with constant parameters. */
#ifndef TD_DEPTHWISE_CONV_S8_H
#define TD_DEPTHWISE_CONV_S8_H

#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t depth_mult;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t oy_lo, oy_hi, ox_lo, ox_hi; /* outputs that see no padding */
    int32_t in_offset, out_offset;
    int32_t act_min, act_max;
    int32_t fast_requant;       /* 1: all shifts <= 0 and |acc| < 2^30 (proved by the generator) */
    const int8_t *weights;      /* [out_c][k_h][k_w] */
    const int32_t *bias;        /* [out_c] */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;
    const int32_t *shift;
} td_depthwise_conv_params;

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output);

/* One output pixel next to the padding: per-tap bounds checks as the reference. */
void td_depthwise_conv_s8_border(const td_depthwise_conv_params *p, const int8_t *input, int8_t *out,
                                 int32_t iy0, int32_t ix0);

TD_INLINE td_status td_depthwise_conv_s8_impl(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                              int8_t *TD_RESTRICT output)
{
    const int32_t tap_step = p->dil_w * p->in_c;
    const int32_t row_step = p->dil_h * p->in_w * p->in_c;
    int32_t oy, ox, oc;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int8_t *row = output + oy * p->out_w * p->out_c;
        const int inside = oy >= p->oy_lo && oy < p->oy_hi;
        const int32_t lo = inside ? p->ox_lo : p->out_w;
        const int32_t hi = inside ? p->ox_hi : p->out_w;
        for (ox = 0; ox < lo; ++ox) {
            td_depthwise_conv_s8_border(p, input, row + ox * p->out_c, iy0, ox * p->stride_w - p->pad_left);
        }
        for (ox = lo; ox < hi; ++ox) {
            const int8_t *origin = input + (iy0 * p->in_w + ox * p->stride_w - p->pad_left) * p->in_c;
            const int8_t *w = p->weights;
            int8_t *out = row + ox * p->out_c;
            for (oc = 0; oc < p->out_c; ++oc) {
                const int8_t *in = origin + (p->depth_mult == 1 ? oc : oc / p->depth_mult);
                int32_t acc = p->bias_folded[oc];
                int32_t ky, kx;
                for (ky = 0; ky < p->k_h; ++ky) {
                    TD_UNROLL
                    for (kx = 0; kx < p->k_w; ++kx) {
                        acc += (int32_t)w[kx] * in[kx * tap_step];
                    }
                    w += p->k_w;
                    in += row_step;
                }
                out[oc] = p->fast_requant
                              ? td_requant_fast_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min,
                                                   p->act_max)
                              : td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min,
                                              p->act_max);
            }
        }
        for (ox = hi; ox < p->out_w; ++ox) {
            td_depthwise_conv_s8_border(p, input, row + ox * p->out_c, iy0, ox * p->stride_w - p->pad_left);
        }
    }
    return TD_OK;
}

#endif /* TD_DEPTHWISE_CONV_S8_H */
