/* MEAN int8 over contiguous axes (TFLite QuantizedMeanOrSum / integer Mean):
 * the input is viewed as [outer][reduce][inner]; each output is
 * MBQM(sum(x) - n*zp, mult, shift) + out_zp, with 1/n folded into mult/shift. */
#ifndef TD_MEAN_S8_H
#define TD_MEAN_S8_H

#include "td_types.h"

typedef struct {
    int32_t outer, reduce, inner;
    int32_t sum_offset; /* -n * input zero point */
    int32_t mult, shift;
    int32_t out_offset;
} td_mean_params;

td_status td_mean_s8(const td_mean_params *p, const int8_t *input, int8_t *output);

#endif /* TD_MEAN_S8_H */
