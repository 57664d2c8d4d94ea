/* ADD / SUB int8, bit-exact with the reference AddFunc. */
#include "td_add_s8.h"
#include "td_requant.h"

static int8_t add_one(const td_add_params *p, int32_t a, int32_t b)
{
    /* (x + offset) is at most 255 in magnitude: << 20 stays inside int32. */
    const int32_t sa = (int32_t)((uint32_t)(a + p->in1_offset) << p->left_shift);
    const int32_t sb = (int32_t)((uint32_t)(b + p->in2_offset) << p->left_shift);
    const int32_t sum = td_mbqm(sa, p->in1_mult, p->in1_shift) + td_mbqm(sb, p->in2_mult, p->in2_shift);
    return td_requant_s8(sum, p->out_mult, p->out_shift, p->out_offset, p->act_min, p->act_max);
}

td_status td_add_s8(const td_add_params *p, const int8_t *const *inputs, int8_t *output)
{
    const int8_t *a;
    const int8_t *b;
    if (p == NULL || inputs == NULL || inputs[0] == NULL || inputs[1] == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    a = inputs[0];
    b = inputs[1];
    if (p->flat) {
        TD_BROADCAST4_FLAT(p, a, b, output, add_one);
        return TD_OK;
    }
    TD_BROADCAST4_STRIDED(p, a, b, output, add_one);
    return TD_OK;
}
