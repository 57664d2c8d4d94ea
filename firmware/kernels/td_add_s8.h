/* ADD and SUB int8 with 4-D broadcasting (TFLite reference_integer_ops::AddFunc):
 * both inputs are shifted left by left_shift (20), scaled to a common scale by
 * their own multipliers, summed and requantized. SUB is ADD with the second
 * input's multiplier negated, exactly as the reference's PrepareGeneralSubOp. */
#ifndef TD_ADD_S8_H
#define TD_ADD_S8_H

#include "td_broadcast.h"
#include "td_types.h"

typedef struct {
    TD_BROADCAST4_FIELDS
    int32_t left_shift;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift;
    int32_t out_mult, out_shift, out_offset;
    int32_t act_min, act_max;
    const int8_t *constant; /* a constant operand's values (the model's), else NULL */
} td_add_params;

/* inputs[0], inputs[1] → output. */
td_status td_add_s8(const td_add_params *p, const int8_t *const *inputs, int8_t *output);

#endif /* TD_ADD_S8_H */
