/* FULLY_CONNECTED int8 (TFLite reference_integer_ops::FullyConnected), per-tensor
 * weights (one multiplier repeated) or per-channel. Weights [out_c][in_c]. */
#ifndef TD_FULLY_CONNECTED_S8_H
#define TD_FULLY_CONNECTED_S8_H

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

#endif /* TD_FULLY_CONNECTED_S8_H */
