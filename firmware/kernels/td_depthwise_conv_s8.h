/* DEPTHWISE_CONV_2D int8, per-channel (TFLite reference_integer_ops::DepthwiseConvPerChannel).
 * Output channel oc reads input channel oc / depth_mult. Weights keep TFLite's
 * [k_h][k_w][out_c] layout: four neighbouring channels of one tap are one word, which
 * the Armv7E-M path (TD_USE_DSP) multiplies with SMLABB/SMLATT, one channel per lane.
 *
 * td_depthwise_conv_s8() is the callable kernel; td_depthwise_conv_s8_impl() the
 * same code inline, which generated model.c specializes with constant parameters. */
#ifndef TD_DEPTHWISE_CONV_S8_H
#define TD_DEPTHWISE_CONV_S8_H

#include "td_mac.h"
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
    const int8_t *weights;      /* [k_h][k_w][out_c] */
    const int32_t *bias;        /* [out_c] */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;
    const int32_t *shift;
} td_depthwise_conv_params;

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output);

/* Channels oc0.. of one output pixel next to the padding: per-tap bounds checks as the reference. */
void td_depthwise_conv_s8_border(const td_depthwise_conv_params *p, const int8_t *input, int8_t *out,
                                 int32_t iy0, int32_t ix0, int32_t oc0);

#define TD_DW_REQUANT(p, acc, c)                                                                     \
    ((p)->fast_requant                                                                               \
         ? td_requant_fast_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min,     \
                              (p)->act_max)                                                          \
         : td_requant_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min, (p)->act_max))

#if defined(TD_USE_DSP)
/* Four channels oc..oc+3 of one output pixel (depth_mult 1): per tap one word of
 * inputs and one of weights, each split by SXTB16 into channels (0, 2) and (1, 3),
 * multiplied lane by lane. `border` (a constant at each call) selects the padding
 * test: a padded tap reads four copies of the input zero point, which the folded
 * bias cancels. */
TD_INLINE void td_depthwise_conv_s8_quad(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                         int8_t *TD_RESTRICT out, int32_t iy0, int32_t ix0, int32_t oc,
                                         int border)
{
    const uint32_t pad = 0x01010101u * (uint8_t)(int8_t)(-p->in_offset);
    const int8_t *w = p->weights + oc;
    const int8_t *origin = input + (iy0 * p->in_w + ix0) * p->in_c + oc;
    int32_t a0 = p->bias_folded[oc], a1 = p->bias_folded[oc + 1];
    int32_t a2 = p->bias_folded[oc + 2], a3 = p->bias_folded[oc + 3];
    int32_t ky, kx;
    TD_UNROLL
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        TD_UNROLL
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dil_w;
            const uint32_t vw = td_load4(w + (ky * p->k_w + kx) * p->out_c);
            uint32_t vx;
            if (border && (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)) {
                vx = pad;
            } else {
                vx = td_load4(origin + (ky * p->dil_h * p->in_w + kx * p->dil_w) * p->in_c);
            }
            TD_MAC_LANES4_STEP(vw, vx, a0, a1, a2, a3);
        }
    }
    out[oc] = TD_DW_REQUANT(p, a0, oc);
    out[oc + 1] = TD_DW_REQUANT(p, a1, oc + 1);
    out[oc + 2] = TD_DW_REQUANT(p, a2, oc + 2);
    out[oc + 3] = TD_DW_REQUANT(p, a3, oc + 3);
}
#endif

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
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int border = ox < lo || ox >= hi;
            int8_t *out = row + ox * p->out_c;
            oc = 0;
#if defined(TD_USE_DSP)
            if (p->depth_mult == 1) {
                if (border) {
                    for (; oc + 4 <= p->out_c; oc += 4) {
                        td_depthwise_conv_s8_quad(p, input, out, iy0, ix0, oc, 1);
                    }
                } else {
                    for (; oc + 4 <= p->out_c; oc += 4) {
                        td_depthwise_conv_s8_quad(p, input, out, iy0, ix0, oc, 0);
                    }
                }
            }
#endif
            if (border) {
                if (oc < p->out_c) {
                    td_depthwise_conv_s8_border(p, input, out, iy0, ix0, oc);
                }
                continue;
            }
            {
                const int8_t *origin = input + (iy0 * p->in_w + ix0) * p->in_c;
                for (; oc < p->out_c; ++oc) {
                    const int8_t *in = origin + (p->depth_mult == 1 ? oc : oc / p->depth_mult);
                    const int8_t *w = p->weights + oc;
                    int32_t acc = p->bias_folded[oc];
                    int32_t ky, kx;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        TD_UNROLL
                        for (kx = 0; kx < p->k_w; ++kx) {
                            acc += (int32_t)w[kx * p->out_c] * in[kx * tap_step];
                        }
                        w += p->k_w * p->out_c;
                        in += row_step;
                    }
                    out[oc] = TD_DW_REQUANT(p, acc, oc);
                }
            }
        }
    }
    return TD_OK;
}

#endif /* TD_DEPTHWISE_CONV_S8_H */
