/* CONV_2D int8, per-channel: the callable kernel and its border path. Border
 * outputs skip padded taps exactly as the reference does, adding the input
 * offset per tap; interior outputs (td_conv_s8_pixel) use the folded bias. */
#include "td_conv_s8.h"

void td_conv_s8_border(const td_conv_params *p, const int8_t *input, int8_t *out, int32_t iy0, int32_t ix0)
{
    const int32_t k_size = p->k_h * p->k_w * p->in_c;
    int32_t oc, ky, kx, c;
    for (oc = 0; oc < p->out_c; ++oc) {
        const int8_t *w = p->weights + oc * k_size;
        int32_t acc = p->bias[oc];
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dil_h;
            for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t ix = ix0 + kx * p->dil_w;
                const int8_t *wk = w + (ky * p->k_w + kx) * p->in_c;
                const int8_t *in;
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                    continue;
                }
                in = input + (iy * p->in_w + ix) * p->in_c;
                for (c = 0; c < p->in_c; ++c) {
                    acc += (int32_t)wk[c] * ((int32_t)in[c] + p->in_offset);
                }
            }
        }
        out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
    }
}

td_status td_conv_s8(const td_conv_params *p, const int8_t *input, int8_t *output)
{
    return td_conv_s8_impl(p, input, output);
}
