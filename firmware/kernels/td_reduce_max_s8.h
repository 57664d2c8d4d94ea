/* REDUCE_MAX int8 over contiguous axes (TFLite reference_ops::ReduceGeneric with
 * max, global max pooling): the input is viewed as [outer][reduce][inner]; input
 * and output share scale and zero point, so values are compared raw. */
#ifndef TD_REDUCE_MAX_S8_H
#define TD_REDUCE_MAX_S8_H

#include "td_types.h"

typedef struct {
    int32_t outer, reduce, inner;
} td_reduce_max_params;

td_status td_reduce_max_s8(const td_reduce_max_params *p, const int8_t *input, int8_t *output);

#endif /* TD_REDUCE_MAX_S8_H */
