/* DEPTHWISE_CONV_2D int8, per-channel; interior outputs use the folded bias. */
#include "td_depthwise_conv_s8.h"
#include "td_requant.h"

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output)
{
    const int32_t taps = p->k_h * p->k_w;
    const int32_t tap_step = p->dil_w * p->in_c;
    int32_t oy, ox, oc;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int inside_y = oy >= p->oy_lo && oy < p->oy_hi;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
            if (inside_y && ox >= p->ox_lo && ox < p->ox_hi) {
                const int8_t *origin = input + (iy0 * p->in_w + ix0) * p->in_c;
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int8_t *w = p->weights + oc * taps;
                    int32_t acc = p->bias_folded[oc];
                    int32_t ky, kx;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int8_t *in = origin + ky * p->dil_h * p->in_w * p->in_c + oc / p->depth_mult;
                        for (kx = 0; kx < p->k_w; ++kx) {
                            acc += (int32_t)w[kx] * in[kx * tap_step];
                        }
                        w += p->k_w;
                    }
                    out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
                }
            } else {
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int8_t *w = p->weights + oc * taps;
                    const int32_t ic = oc / p->depth_mult;
                    int32_t acc = p->bias[oc];
                    int32_t ky, kx;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t iy = iy0 + ky * p->dil_h;
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t ix = ix0 + kx * p->dil_w;
                            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                                acc += (int32_t)w[ky * p->k_w + kx] *
                                       ((int32_t)input[(iy * p->in_w + ix) * p->in_c + ic] + p->in_offset);
                            }
                        }
                    }
                    out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
                }
            }
        }
    }
    return TD_OK;
}
