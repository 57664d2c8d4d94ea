/* AVERAGE_POOL_2D and MAX_POOL_2D int8 (TFLite reference_integer_ops), NHWC batch 1.
 * Windows are clipped at the borders (SAME padding counts only real inputs). */
#ifndef TD_POOL_S8_H
#define TD_POOL_S8_H

#include "td_types.h"

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t f_h, f_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} td_pool_params;

/* A window starting at input index o (may be negative) with f taps over an input of
 * length n: its taps [td_pool_lo(o), td_pool_hi(o, f, n)) fall inside the input. */
TD_INLINE int32_t td_pool_lo(int32_t o)
{
    return o < 0 ? -o : 0;
}

TD_INLINE int32_t td_pool_hi(int32_t o, int32_t f, int32_t n)
{
    return f < n - o ? f : n - o;
}

td_status td_avg_pool_s8(const td_pool_params *p, const int8_t *input, int8_t *output);
td_status td_max_pool_s8(const td_pool_params *p, const int8_t *input, int8_t *output);

#endif /* TD_POOL_S8_H */
