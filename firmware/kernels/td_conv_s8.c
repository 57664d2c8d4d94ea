/* CONV_2D int8, per-channel. Interior outputs use the bias with the input zero
 * point folded in (sum(w*x) only); border outputs skip padded taps exactly as
 * the reference does, adding the input offset per tap. */
#include "td_conv_s8.h"
#include "td_mac.h"
#include "td_requant.h"

static int32_t border_acc(const td_conv_params *p, const int8_t *input, const int8_t *w, int32_t iy0,
                          int32_t ix0)
{
    int32_t acc = 0;
    int32_t ky, kx, c;
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dil_w;
            const int8_t *wk = w + (ky * p->k_w + kx) * p->in_c;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                continue;
            }
            {
                const int8_t *in = input + (iy * p->in_w + ix) * p->in_c;
                for (c = 0; c < p->in_c; ++c) {
                    acc += (int32_t)wk[c] * ((int32_t)in[c] + p->in_offset);
                }
            }
        }
    }
    return acc;
}

td_status td_conv_s8(const td_conv_params *p, const int8_t *input, int8_t *output)
{
    const int32_t k_size = p->k_h * p->k_w * p->in_c;
    /* With dilation 1 along W a kernel row is one contiguous run of input. */
    const int32_t run = p->dil_w == 1 ? p->k_w * p->in_c : p->in_c;
    const int32_t runs_per_row = p->dil_w == 1 ? 1 : p->k_w;
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
                const int8_t *w = p->weights;
                for (oc = 0; oc < p->out_c; ++oc) {
                    int32_t acc = p->bias_folded[oc];
                    int32_t ky, r;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int8_t *in = input + ((iy0 + ky * p->dil_h) * p->in_w + ix0) * p->in_c;
                        for (r = 0; r < runs_per_row; ++r) {
                            acc = td_dot_s8(w, in + r * p->dil_w * p->in_c, run, acc);
                            w += run;
                        }
                    }
                    out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
                }
            } else {
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int32_t acc = border_acc(p, input, p->weights + oc * k_size, iy0, ix0) + p->bias[oc];
                    out[oc] = td_requant_s8(acc, p->mult[oc], p->shift[oc], p->out_offset, p->act_min, p->act_max);
                }
            }
        }
    }
    return TD_OK;
}
