/* DEPTHWISE_CONV_2D int8, per-channel (TFLite reference_integer_ops::DepthwiseConvPerChannel).
 * Output channel oc reads input channel oc / depth_mult. Weights are stored
 * transposed by the generator as [out_c][k_h][k_w] so each channel's taps are contiguous. */
#ifndef TD_DEPTHWISE_CONV_S8_H
#define TD_DEPTHWISE_CONV_S8_H

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
    const int8_t *weights;      /* [out_c][k_h][k_w] */
    const int32_t *bias;        /* [out_c] */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;
    const int32_t *shift;
} td_depthwise_conv_params;

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output);

#endif /* TD_DEPTHWISE_CONV_S8_H */
