/* AVERAGE_POOL_2D int8: sum, then divide rounding half away from zero: (acc ± n/2) / n. */
#include "td_pool_s8.h"

td_status td_avg_pool_s8(const td_pool_params *p, const int8_t *input, int8_t *output)
{
    int32_t oy, ox, c;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t fy0 = td_pool_lo(y0);
        const int32_t fy1 = td_pool_hi(y0, p->f_h, p->in_h);
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t fx0 = td_pool_lo(x0);
            const int32_t fx1 = td_pool_hi(x0, p->f_w, p->in_w);
            const int32_t count = (fy1 - fy0) * (fx1 - fx0);
            if (count <= 0) {
                return TD_ERR_EMPTY;
            }
            for (c = 0; c < p->channels; ++c) {
                int32_t acc = 0;
                int32_t fy, fx;
                for (fy = fy0; fy < fy1; ++fy) {
                    const int8_t *row = input + ((y0 + fy) * p->in_w + x0) * p->channels + c;
                    for (fx = fx0; fx < fx1; ++fx) {
                        acc += row[fx * p->channels];
                    }
                }
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                acc = acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
                output[(oy * p->out_w + ox) * p->channels + c] = (int8_t)acc;
            }
        }
    }
    return TD_OK;
}
