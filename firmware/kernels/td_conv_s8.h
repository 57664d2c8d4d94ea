/* CONV_2D int8 with per-channel requantization (TFLite reference_integer_ops::ConvPerChannel).
 * Layouts: input NHWC (batch 1), weights OHWI, output NHWC. 1-D convolutions are H = 1. */
#ifndef TD_CONV_S8_H
#define TD_CONV_S8_H

#include "td_types.h"

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w;
    int32_t pad_top, pad_left;
    /* Outputs with oy in [oy_lo, oy_hi) and ox in [ox_lo, ox_hi) see no padding. */
    int32_t oy_lo, oy_hi, ox_lo, ox_hi;
    int32_t in_offset;   /* -input zero point */
    int32_t out_offset;  /* output zero point */
    int32_t act_min, act_max;
    const int8_t *weights;      /* [out_c][k_h][k_w][in_c] */
    const int32_t *bias;        /* [out_c]: the model's bias (zeros when it has none) */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;        /* [out_c] */
    const int32_t *shift;       /* [out_c] */
} td_conv_params;

td_status td_conv_s8(const td_conv_params *p, const int8_t *input, int8_t *output);

#endif /* TD_CONV_S8_H */
