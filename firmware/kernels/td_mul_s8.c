/* MUL int8, bit-exact with the reference MulElementwise. */
#include "td_mul_s8.h"
#include "td_requant.h"

static int8_t mul_one(const td_mul_params *p, int32_t a, int32_t b)
{
    const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset); /* |prod| <= 65025 */
    return td_requant_s8(prod, p->out_mult, p->out_shift, p->out_offset, p->act_min, p->act_max);
}

td_status td_mul_s8(const td_mul_params *p, const int8_t *const *inputs, int8_t *output)
{
    const int8_t *a;
    const int8_t *b;
    if (p == NULL || inputs == NULL || inputs[0] == NULL || inputs[1] == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    a = inputs[0];
    b = inputs[1];
    if (p->flat) {
        TD_BROADCAST4_FLAT(p, a, b, output, mul_one);
        return TD_OK;
    }
    TD_BROADCAST4_STRIDED(p, a, b, output, mul_one);
    return TD_OK;
}
