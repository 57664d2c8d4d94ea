/* MUL int8 with 4-D broadcasting (TFLite reference_integer_ops::MulElementwise):
 * out = MBQM((a - zp_a) * (b - zp_b), mult, shift) + zp_out, clamped. */
#ifndef TD_MUL_S8_H
#define TD_MUL_S8_H

#include "td_broadcast.h"
#include "td_types.h"

typedef struct {
    TD_BROADCAST4_FIELDS
    int32_t out_mult, out_shift, out_offset;
    int32_t act_min, act_max;
    const int8_t *constant; /* a constant operand's values (the model's), else NULL */
} td_mul_params;

/* inputs[0] * inputs[1] → output. */
td_status td_mul_s8(const td_mul_params *p, const int8_t *const *inputs, int8_t *output);

#endif /* TD_MUL_S8_H */
