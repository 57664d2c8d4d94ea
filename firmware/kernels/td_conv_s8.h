/* CONV_2D int8 with per-channel requantization (TFLite reference_integer_ops::ConvPerChannel).
 * Layouts: input NHWC (batch 1), weights OHWI, output NHWC. 1-D convolutions are H = 1.
 *
 * td_conv_s8() is the callable kernel. td_conv_s8_impl() is the same code as an
 * inline function: generated model.c calls it with a `static const` parameter
 * struct so the compiler specializes the loops for that op's shapes. */
#ifndef TD_CONV_S8_H
#define TD_CONV_S8_H

#include <string.h>

#include "td_mac.h"
#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w;
    int32_t pad_top, pad_left;
    /* Outputs with oy in [oy_lo, oy_hi) and ox in [ox_lo, ox_hi) see no padding. */
    int32_t oy_lo, oy_hi, ox_lo, ox_hi;
    int32_t in_offset;   /* -input zero point */
    int32_t out_offset;  /* output zero point */
    int32_t act_min, act_max;
    int32_t fast_requant;       /* 1: all shifts <= 0 and |acc| < 2^30 (proved by the generator) */
    const int8_t *weights;      /* [out_c][k_h][k_w][in_c] */
    const int32_t *bias;        /* [out_c]: the model's bias (zeros when it has none) */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;        /* [out_c] */
    const int32_t *shift;       /* [out_c] */
} td_conv_params;

td_status td_conv_s8(const td_conv_params *p, const int8_t *input, int8_t *output);

/* One output pixel next to the padding: the reference's per-tap bounds checks. */
void td_conv_s8_border(const td_conv_params *p, const int8_t *input, int8_t *out, int32_t iy0, int32_t ix0);

/* Largest window (k_h * k_w * in_c bytes) gathered into a contiguous patch on the
 * stack; two patches (two output pixels) are live at once. */
#define TD_CONV_PATCH_MAX 256

/* The parameters are compile-time constants in generated code: the test folds away. */
#define TD_CONV_REQUANT(p, acc, c)                                                                   \
    ((p)->fast_requant                                                                               \
         ? td_requant_fast_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min,     \
                              (p)->act_max)                                                          \
         : td_requant_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min, (p)->act_max))

/* The kernel window as contiguous runs of inputs: whole kernel rows when dil_w == 1,
 * else single taps. Run r starts td_conv_s8_run_at(p, r) inputs after the window's origin. */
TD_INLINE int32_t td_conv_s8_run_len(const td_conv_params *p)
{
    return p->dil_w == 1 ? p->k_w * p->in_c : p->in_c;
}

TD_INLINE int32_t td_conv_s8_runs(const td_conv_params *p)
{
    return p->dil_w == 1 ? p->k_h : p->k_h * p->k_w;
}

TD_INLINE int32_t td_conv_s8_run_at(const td_conv_params *p, int32_t r)
{
    const int32_t dense = p->dil_w == 1;
    const int32_t ky = dense ? r : r / p->k_w;
    const int32_t kx = dense ? 0 : r % p->k_w;
    return (ky * p->dil_h * p->in_w + kx * p->dil_w) * p->in_c;
}

/* Interior output pixel: sum(w * x) over contiguous runs plus the folded bias. */
TD_INLINE void td_conv_s8_pixel(const td_conv_params *p, const int8_t *TD_RESTRICT origin, int8_t *TD_RESTRICT out)
{
    const int32_t run = td_conv_s8_run_len(p);
    const int32_t runs = td_conv_s8_runs(p);
    const int32_t k_size = p->k_h * p->k_w * p->in_c;
    const int8_t *w = p->weights;
    int32_t oc = 0;
    for (; oc + 2 <= p->out_c; oc += 2) {
        int32_t acc0 = p->bias_folded[oc];
        int32_t acc1 = p->bias_folded[oc + 1];
        int32_t r;
        for (r = 0; r < runs; ++r) {
            td_dot2_s8(w + r * run, w + k_size + r * run, origin + td_conv_s8_run_at(p, r), run, &acc0, &acc1);
        }
        out[oc] = TD_CONV_REQUANT(p, acc0, oc);
        out[oc + 1] = TD_CONV_REQUANT(p, acc1, oc + 1);
        w += 2 * k_size;
    }
    for (; oc < p->out_c; ++oc) {
        int32_t acc = p->bias_folded[oc];
        int32_t r;
        for (r = 0; r < runs; ++r) {
            acc = td_dot_s8(w + r * run, origin + td_conv_s8_run_at(p, r), run, acc);
        }
        out[oc] = TD_CONV_REQUANT(p, acc, oc);
        w += k_size;
    }
}

/* Two interior output pixels at once: every weight load serves both. */
TD_INLINE void td_conv_s8_pixel2(const td_conv_params *p, const int8_t *TD_RESTRICT origin0,
                                 const int8_t *TD_RESTRICT origin1, int8_t *TD_RESTRICT out0,
                                 int8_t *TD_RESTRICT out1)
{
    const int32_t run = td_conv_s8_run_len(p);
    const int32_t runs = td_conv_s8_runs(p);
    const int32_t k_size = p->k_h * p->k_w * p->in_c;
    const int8_t *w = p->weights;
    int32_t oc = 0;
    for (; oc + 2 <= p->out_c; oc += 2) {
        int32_t a00 = p->bias_folded[oc], a01 = a00;
        int32_t a10 = p->bias_folded[oc + 1], a11 = a10;
        int32_t r;
        for (r = 0; r < runs; ++r) {
            const int32_t off = td_conv_s8_run_at(p, r);
            td_dot2x2_s8(w + r * run, w + k_size + r * run, origin0 + off, origin1 + off, run, &a00, &a01, &a10,
                         &a11);
        }
        out0[oc] = TD_CONV_REQUANT(p, a00, oc);
        out1[oc] = TD_CONV_REQUANT(p, a01, oc);
        out0[oc + 1] = TD_CONV_REQUANT(p, a10, oc + 1);
        out1[oc + 1] = TD_CONV_REQUANT(p, a11, oc + 1);
        w += 2 * k_size;
    }
    for (; oc < p->out_c; ++oc) {
        int32_t a0 = p->bias_folded[oc], a1 = a0;
        int32_t r;
        for (r = 0; r < runs; ++r) {
            const int32_t off = td_conv_s8_run_at(p, r);
            a0 = td_dot_s8(w + r * run, origin0 + off, run, a0);
            a1 = td_dot_s8(w + r * run, origin1 + off, run, a1);
        }
        out0[oc] = TD_CONV_REQUANT(p, a0, oc);
        out1[oc] = TD_CONV_REQUANT(p, a1, oc);
        w += k_size;
    }
}

/* The window of the output pixel whose top-left input is (iy0, ix0), gathered into
 * `patch` in the weights' [k_h][k_w][in_c] order; taps in the padding get the input
 * zero point (-in_offset), which adds nothing to sum(w * (x + in_offset)), so the
 * folded bias serves border pixels too. */
TD_INLINE void td_conv_s8_gather(const td_conv_params *p, const int8_t *TD_RESTRICT input, int8_t *TD_RESTRICT patch,
                                 int32_t iy0, int32_t ix0)
{
    const int8_t pad = (int8_t)(-p->in_offset);
    int32_t ky, kx, c;
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dil_w;
            int8_t *dst = patch + (ky * p->k_w + kx) * p->in_c;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                for (c = 0; c < p->in_c; ++c) {
                    dst[c] = pad;
                }
            } else {
                memcpy(dst, input + (iy * p->in_w + ix) * p->in_c, (size_t)p->in_c);
            }
        }
    }
}

/* Output pixels of one row through gathered patches, two at a time: every pixel when
 * the window is not one contiguous run (2-D kernels, dilation, few input channels),
 * else only those next to the padding. */
TD_INLINE void td_conv_s8_patch_row(const td_conv_params *p, const int8_t *TD_RESTRICT input, int8_t *TD_RESTRICT row,
                                    int32_t iy0, int32_t from, int32_t to)
{
    union {
        uint32_t align;
        int8_t b[2 * TD_CONV_PATCH_MAX];
    } patch;
    const int32_t k_size = p->k_h * p->k_w * p->in_c;
    int32_t ox = from;
    for (; ox + 2 <= to; ox += 2) {
        td_conv_s8_gather(p, input, patch.b, iy0, ox * p->stride_w - p->pad_left);
        td_conv_s8_gather(p, input, patch.b + TD_CONV_PATCH_MAX, iy0, (ox + 1) * p->stride_w - p->pad_left);
        {
            const int8_t *w = p->weights;
            int8_t *out0 = row + ox * p->out_c, *out1 = out0 + p->out_c;
            int32_t oc = 0;
            for (; oc + 2 <= p->out_c; oc += 2) {
                int32_t a00 = p->bias_folded[oc], a01 = a00;
                int32_t a10 = p->bias_folded[oc + 1], a11 = a10;
                td_dot2x2_s8(w, w + k_size, patch.b, patch.b + TD_CONV_PATCH_MAX, k_size, &a00, &a01, &a10, &a11);
                out0[oc] = TD_CONV_REQUANT(p, a00, oc);
                out1[oc] = TD_CONV_REQUANT(p, a01, oc);
                out0[oc + 1] = TD_CONV_REQUANT(p, a10, oc + 1);
                out1[oc + 1] = TD_CONV_REQUANT(p, a11, oc + 1);
                w += 2 * k_size;
            }
            for (; oc < p->out_c; ++oc) {
                const int32_t b = p->bias_folded[oc];
                out0[oc] = TD_CONV_REQUANT(p, td_dot_s8(w, patch.b, k_size, b), oc);
                out1[oc] = TD_CONV_REQUANT(p, td_dot_s8(w, patch.b + TD_CONV_PATCH_MAX, k_size, b), oc);
                w += k_size;
            }
        }
    }
    for (; ox < to; ++ox) {
        const int8_t *w = p->weights;
        int32_t oc;
        td_conv_s8_gather(p, input, patch.b, iy0, ox * p->stride_w - p->pad_left);
        for (oc = 0; oc < p->out_c; ++oc) {
            row[ox * p->out_c + oc] = TD_CONV_REQUANT(p, td_dot_s8(w, patch.b, k_size, p->bias_folded[oc]), oc);
            w += k_size;
        }
    }
}

TD_INLINE td_status td_conv_s8_impl(const td_conv_params *p, const int8_t *TD_RESTRICT input,
                                    int8_t *TD_RESTRICT output)
{
    int32_t oy, ox;
    /* Gathered patches fit, and the window is not already one contiguous run. */
    const int patches = p->k_h * p->k_w * p->in_c <= TD_CONV_PATCH_MAX;
    const int all_patches = patches && td_conv_s8_runs(p) > 1;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    if (p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
        p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w) {
        /* Pointwise: every pixel is one contiguous run, so pixels pair across rows. */
        const int32_t pixels = p->out_h * p->out_w;
        int32_t i = 0;
        for (; i + 2 <= pixels; i += 2) {
            td_conv_s8_pixel2(p, input + i * p->in_c, input + (i + 1) * p->in_c, output + i * p->out_c,
                              output + (i + 1) * p->out_c);
        }
        if (i < pixels) {
            td_conv_s8_pixel(p, input + i * p->in_c, output + i * p->out_c);
        }
        return TD_OK;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int8_t *row = output + oy * p->out_w * p->out_c;
        /* Split the row so the interior loop carries no padding test. */
        const int32_t lo = (oy >= p->oy_lo && oy < p->oy_hi) ? p->ox_lo : p->out_w;
        const int32_t hi = (oy >= p->oy_lo && oy < p->oy_hi) ? p->ox_hi : p->out_w;
        if (all_patches) {
            td_conv_s8_patch_row(p, input, row, iy0, 0, p->out_w);
            continue;
        }
        if (patches) {
            td_conv_s8_patch_row(p, input, row, iy0, 0, lo);
        } else {
            for (ox = 0; ox < lo; ++ox) {
                td_conv_s8_border(p, input, row + ox * p->out_c, iy0, ox * p->stride_w - p->pad_left);
            }
        }
        for (ox = lo; ox + 2 <= hi; ox += 2) {
            const int8_t *origin = input + (iy0 * p->in_w + ox * p->stride_w - p->pad_left) * p->in_c;
            td_conv_s8_pixel2(p, origin, origin + p->stride_w * p->in_c, row + ox * p->out_c,
                              row + (ox + 1) * p->out_c);
        }
        for (; ox < hi; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            td_conv_s8_pixel(p, input + (iy0 * p->in_w + ix0) * p->in_c, row + ox * p->out_c);
        }
        if (patches) {
            td_conv_s8_patch_row(p, input, row, iy0, hi > lo ? hi : lo, p->out_w);
        } else {
            for (ox = hi > lo ? hi : lo; ox < p->out_w; ++ox) {
                td_conv_s8_border(p, input, row + ox * p->out_c, iy0, ox * p->stride_w - p->pad_left);
            }
        }
    }
    return TD_OK;
}

#endif /* TD_CONV_S8_H */
