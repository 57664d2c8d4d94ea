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
    int32_t i0, i1, i2, i3;
    if (p == NULL || inputs == NULL || inputs[0] == NULL || inputs[1] == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    a = inputs[0];
    b = inputs[1];
    if (p->flat) {
        const int32_t n = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
        for (i0 = 0; i0 < n; ++i0) {
            output[i0] = mul_one(p, a[i0], b[i0]);
        }
        return TD_OK;
    }
    for (i0 = 0; i0 < p->dims[0]; ++i0) {
        for (i1 = 0; i1 < p->dims[1]; ++i1) {
            for (i2 = 0; i2 < p->dims[2]; ++i2) {
                const int8_t *ra = a + i0 * p->stride1[0] + i1 * p->stride1[1] + i2 * p->stride1[2];
                const int8_t *rb = b + i0 * p->stride2[0] + i1 * p->stride2[1] + i2 * p->stride2[2];
                for (i3 = 0; i3 < p->dims[3]; ++i3) {
                    *output++ = mul_one(p, ra[i3 * p->stride1[3]], rb[i3 * p->stride2[3]]);
                }
            }
        }
    }
    return TD_OK;
}
