/* MEAN int8: one int32 sum and one requantization per output. */
#include "td_mean_s8.h"
#include "td_requant.h"

td_status td_mean_s8(const td_mean_params *p, const int8_t *input, int8_t *output)
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
            for (t = 0; t < p->reduce; ++t) {
                acc += in[t * p->inner];
            }
            output[o * p->inner + c] = td_requant_s8(acc, p->mult, p->shift, p->out_offset, -128, 127);
        }
    }
    return TD_OK;
}
