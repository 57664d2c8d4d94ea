/* MUL int8 with 4-D broadcasting (TFLite reference_integer_ops::MulElementwise):
 * out = MBQM((a - zp_a) * (b - zp_b), mult, shift) + zp_out, clamped. */
#ifndef TD_MUL_S8_H
#define TD_MUL_S8_H

#include "td_types.h"

typedef struct {
    int32_t dims[4];        /* output shape, extended to 4-D */
    int32_t stride1[4];     /* input strides in elements; 0 where it broadcasts */
    int32_t stride2[4];
    int32_t flat;           /* 1: same shapes, a single flat loop */
    int32_t in1_offset, in2_offset; /* -zero points */
    int32_t out_mult, out_shift, out_offset;
    int32_t act_min, act_max;
    const int8_t *constant; /* a constant operand's values (the model's), else NULL */
} td_mul_params;

/* inputs[0] * inputs[1] → output. */
td_status td_mul_s8(const td_mul_params *p, const int8_t *const *inputs, int8_t *output);

#endif /* TD_MUL_S8_H */
