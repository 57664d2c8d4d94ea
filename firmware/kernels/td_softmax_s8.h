/* SOFTMAX int8 → int8 (TFLite reference_ops::Softmax, quantized): fixed-point
 * exp of (x - max) * beta * scale, output zero point -128 and scale 1/256. */
#ifndef TD_SOFTMAX_S8_H
#define TD_SOFTMAX_S8_H

#include "td_types.h"

typedef struct {
    int32_t rows, depth;
    int32_t input_mult;       /* PreprocessSoftmaxScaling(beta, input scale, 5 integer bits) */
    int32_t input_left_shift;
    int32_t diff_min;         /* differences below this give exp() = 0 */
} td_softmax_params;

td_status td_softmax_s8(const td_softmax_params *p, const int8_t *input, int8_t *output);

#endif /* TD_SOFTMAX_S8_H */
