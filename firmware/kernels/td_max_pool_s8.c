/* MAX_POOL_2D int8: the largest input of the clipped window, then the activation clamp. */
#include "td_pool_s8.h"

td_status td_max_pool_s8(const td_pool_params *p, const int8_t *input, int8_t *output)
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
            if (fy1 <= fy0 || fx1 <= fx0) {
                return TD_ERR_EMPTY;
            }
            for (c = 0; c < p->channels; ++c) {
                int32_t best = -128;
                int32_t fy, fx;
                for (fy = fy0; fy < fy1; ++fy) {
                    const int8_t *row = input + ((y0 + fy) * p->in_w + x0) * p->channels + c;
                    for (fx = fx0; fx < fx1; ++fx) {
                        const int32_t v = row[fx * p->channels];
                        best = v > best ? v : best;
                    }
                }
                best = best < p->act_min ? p->act_min : (best > p->act_max ? p->act_max : best);
                output[(oy * p->out_w + ox) * p->channels + c] = (int8_t)best;
            }
        }
    }
    return TD_OK;
}
