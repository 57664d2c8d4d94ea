/* DEPTHWISE_CONV_2D int8, per-channel: the callable kernel and its border path. */
#include "td_depthwise_conv_s8.h"

void td_depthwise_conv_s8_border(const td_depthwise_conv_params *p, const int8_t *input, int8_t *out,
                                 int32_t iy0, int32_t ix0, int32_t oc0)
{
    int32_t oc, ky, kx;
    for (oc = oc0; oc < p->out_c; ++oc) {
        const int32_t ic = oc / p->depth_mult;
        int32_t acc = p->bias[oc];
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dil_h;
            for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t ix = ix0 + kx * p->dil_w;
                if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                    acc += (int32_t)p->weights[(ky * p->k_w + kx) * p->out_c + oc] *
                           ((int32_t)input[(iy * p->in_w + ix) * p->in_c + ic] + p->in_offset);
                }
            }
        }
        out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
    }
}

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output)
{
    return td_depthwise_conv_s8_impl(p, input, output);
}
