/* MEAN int8 over contiguous axes (TFLite QuantizedMeanOrSum / integer Mean):
 * the input is viewed as [outer][reduce][inner]; each output is
 * MBQM(sum(x) - n*zp, mult, shift) + out_zp, with 1/n folded into mult/shift.
 *
 * td_mean_s8() is the callable kernel; td_mean_s8_impl() the same code inline,
 * which generated model.c specializes with constant parameters. */
#ifndef TD_MEAN_S8_H
#define TD_MEAN_S8_H

#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t outer, reduce, inner;
    int32_t sum_offset; /* -n * input zero point */
    int32_t mult, shift;
    int32_t out_offset;
    int32_t fast_requant; /* 1: shift <= 0 (sums of int8 stay far below 2^30) */
} td_mean_params;

td_status td_mean_s8(const td_mean_params *p, const int8_t *input, int8_t *output);

TD_INLINE td_status td_mean_s8_impl(const td_mean_params *p, const int8_t *TD_RESTRICT input,
                                    int8_t *TD_RESTRICT output)
{
    int32_t o, c, t;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = input + o * p->reduce * p->inner;
        for (c = 0; c < p->inner; ++c) {
            const int8_t *in = base + c;
            int32_t acc = p->sum_offset;
            TD_UNROLL4
            for (t = 0; t < p->reduce; ++t) {
                acc += in[t * p->inner];
            }
            output[o * p->inner + c] = p->fast_requant
                                           ? td_requant_fast_s8(acc, p->mult, p->shift, p->out_offset, -128, 127)
                                           : td_requant_s8(acc, p->mult, p->shift, p->out_offset, -128, 127);
        }
    }
    return TD_OK;
}

#endif /* TD_MEAN_S8_H */
