/* CONV_2D int8 with per-channel requantization (TFLite reference_integer_ops::ConvPerChannel).
 * Layouts: input NHWC (batch 1), weights OHWI, output NHWC. 1-D convolutions are H = 1.
 *
 * td_conv_s8() is the callable kernel. td_conv_s8_impl() is the same code as an
 * inline function: generated model.c calls it with a `static const` parameter
 * struct so the compiler specializes the loops for that op's shapes. */
#ifndef TD_CONV_S8_H
#define TD_CONV_S8_H

#include <string.h>

#include "td_dsp.h"
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
#if defined(TD_USE_DSP)
    /* Only builds with the Armv7E-M paths have (and link) what only those paths read. */
    /* The GEMM path (td_conv_s8_gemm below), given by the generator when fast_requant holds,
     * else 0 / NULL: */
    int32_t gemm_unroll;        /* slots per turn of its inner loop (2 to 16), dividing gemm_slots */
    int32_t gemm_slots;         /* 2 ceil(K / 4), K = k_h * k_w * in_c the window's values */
    const int32_t *weights_gemm; /* [ceil(out_c / 2)][gemm_slots][2] words: per two channels and
                                  * slot, each channel's doubled weights (2 w[k], 2 w[k']) as int16
                                  * lanes (low, high), k, k' = 4q, 4q + 2 (slot 2q) and 4q + 1, 4q + 3
                                  * (slot 2q + 1) of the window in [k_h][k_w][in_c] order; zero where
                                  * k >= K or the channel >= out_c */
    const int32_t *bias_gemm;   /* [2 ceil(out_c / 2)]: 2 bias_folded, zero past out_c */
    int32_t *scratch;           /* arena words (lowering/conv.py conv_scratch_bytes); NULL: path off */
    const int32_t *round_offset; /* [out_c] with fast_requant 2: 2^(r-1) + (out_offset << r), r = -shift */
#endif
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

/* A 1x1 convolution that maps every pixel to the same pixel: one contiguous run per pixel. */
TD_INLINE int td_conv_s8_pointwise(const td_conv_params *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
           p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
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
#if defined(TD_USE_DSP)
        /* The whole kernel row inside the input: one contiguous run (inline unaligned word
         * copies here; on cores without them a short memcpy is a call, slower than the taps). */
        if (p->dil_w == 1 && iy >= 0 && iy < p->in_h && ix0 >= 0 && ix0 + p->k_w <= p->in_w) {
            memcpy(patch + ky * p->k_w * p->in_c, input + (iy * p->in_w + ix0) * p->in_c,
                   (size_t)(p->k_w * p->in_c));
            continue;
        }
#endif
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

#if defined(TD_USE_DSP)
/* The GEMM path: for each three output pixels, their windows as int16 pairs in the arena
 * (slot s: one word per pixel; the words of SXTB16 of four window values: values 0, 2, then
 * 1, 3), then per two output channels one asm loop of plain loads and SMLADs over the slots
 * (12 MACs per slot in 11 instructions; the weights were extended and doubled at generation
 * time). Three pixels by two channels keep 13 registers (GCC has no 14th for the asm).
 * A word 0x80008000 (no lane of an extended int8 is -32768) after the last slot ends the
 * loop, so no register counts. The doubled accumulators are td_requant_fast_x2_s8's 2 acc. */
#define TD_CONV_GEMM_SLOT(J, LOAD_X0)                                                                \
    LOAD_X0 "ldr %[x1], [%[px], #12 * " #J " + 4]\n\t"                                                \
    "ldr %[w0], [%[pw], #8 * " #J "]\n\t"                                                            \
    "ldr %[w1], [%[pw], #8 * " #J " + 4]\n\t"                                                        \
    "ldr %[x2], [%[px], #12 * " #J " + 8]\n\t"                                                       \
    "smlad %[c00], %[w0], %[x0], %[c00]\n\t"                                                         \
    "smlad %[c01], %[w0], %[x1], %[c01]\n\t"                                                         \
    "smlad %[c02], %[w0], %[x2], %[c02]\n\t"                                                         \
    "smlad %[c10], %[w1], %[x0], %[c10]\n\t"                                                         \
    "smlad %[c11], %[w1], %[x1], %[c11]\n\t"                                                         \
    "smlad %[c12], %[w1], %[x2], %[c12]\n\t"
#define TD_CONV_GEMM_X0(J) "ldr %[x0], [%[px], #12 * " #J "]\n\t"
#define TD_CONV_GEMM_LOOP(U, BODY)                                                                   \
    __asm__("ldr %[x0], [%[px]]\n\t"                                                                 \
            "1:\n\t" BODY                                                                            \
            "add %[pw], %[pw], #8 * " #U "\n\t"                                                      \
            "ldr %[x0], [%[px], #12 * " #U "]!\n\t"                                                  \
            "cmp %[x0], #0x80008000\n\t"                                                             \
            "bne 1b"                                                                                 \
            : [c00] "+r"(c00), [c01] "+r"(c01), [c02] "+r"(c02), [c10] "+r"(c10), [c11] "+r"(c11),   \
              [c12] "+r"(c12), [px] "+r"(px), [pw] "+r"(pw), [x0] "=&r"(x0), [x1] "=&r"(x1),         \
              [x2] "=&r"(x2), [w0] "=&r"(w0), [w1] "=&r"(w1)                                         \
            :                                                                                        \
            : "cc", "memory")
#define TD_CONV_GEMM_U1 TD_CONV_GEMM_SLOT(0, "")
#define TD_CONV_GEMM_U2 TD_CONV_GEMM_U1 TD_CONV_GEMM_SLOT(1, TD_CONV_GEMM_X0(1))
#define TD_CONV_GEMM_U3 TD_CONV_GEMM_U2 TD_CONV_GEMM_SLOT(2, TD_CONV_GEMM_X0(2))
#define TD_CONV_GEMM_U4 TD_CONV_GEMM_U3 TD_CONV_GEMM_SLOT(3, TD_CONV_GEMM_X0(3))
#define TD_CONV_GEMM_U5 TD_CONV_GEMM_U4 TD_CONV_GEMM_SLOT(4, TD_CONV_GEMM_X0(4))
#define TD_CONV_GEMM_U6 TD_CONV_GEMM_U5 TD_CONV_GEMM_SLOT(5, TD_CONV_GEMM_X0(5))
#define TD_CONV_GEMM_U7 TD_CONV_GEMM_U6 TD_CONV_GEMM_SLOT(6, TD_CONV_GEMM_X0(6))
#define TD_CONV_GEMM_U8 TD_CONV_GEMM_U7 TD_CONV_GEMM_SLOT(7, TD_CONV_GEMM_X0(7))
#define TD_CONV_GEMM_U9 TD_CONV_GEMM_U8 TD_CONV_GEMM_SLOT(8, TD_CONV_GEMM_X0(8))
#define TD_CONV_GEMM_U10 TD_CONV_GEMM_U9 TD_CONV_GEMM_SLOT(9, TD_CONV_GEMM_X0(9))
#define TD_CONV_GEMM_U11 TD_CONV_GEMM_U10 TD_CONV_GEMM_SLOT(10, TD_CONV_GEMM_X0(10))
#define TD_CONV_GEMM_U12 TD_CONV_GEMM_U11 TD_CONV_GEMM_SLOT(11, TD_CONV_GEMM_X0(11))
#define TD_CONV_GEMM_U13 TD_CONV_GEMM_U12 TD_CONV_GEMM_SLOT(12, TD_CONV_GEMM_X0(12))
#define TD_CONV_GEMM_U14 TD_CONV_GEMM_U13 TD_CONV_GEMM_SLOT(13, TD_CONV_GEMM_X0(13))
#define TD_CONV_GEMM_U15 TD_CONV_GEMM_U14 TD_CONV_GEMM_SLOT(14, TD_CONV_GEMM_X0(14))
#define TD_CONV_GEMM_U16 TD_CONV_GEMM_U15 TD_CONV_GEMM_SLOT(15, TD_CONV_GEMM_X0(15))

/* One output of the GEMM path from its doubled accumulator. */
TD_INLINE int8_t td_conv_gemm_requant(const td_conv_params *p, int32_t acc2, int32_t c)
{
    if (p->fast_requant == 2 && p->round_offset != NULL) {
        return td_requant_folded_x2_s8(acc2, p->mult[c], -p->shift[c], p->round_offset[c], p->out_offset,
                                       p->act_min, p->act_max);
    }
    return td_requant_fast_x2_s8(acc2, p->mult[c], p->shift[c], p->out_offset, p->act_min, p->act_max);
}

/* Channels oc..oc+n-1 (n 1 or 2) of the first np (1 to 3) pixels from the slots at x; out: the
 * pixels' outputs, `stride` bytes apart (n and np constants at each call). */
TD_INLINE void td_conv_gemm_block(const td_conv_params *p, const uint32_t *x, int8_t *TD_RESTRICT out,
                                  int32_t stride, int32_t oc, int n, int np)
{
    const int32_t *b = p->bias_gemm + oc;
    int32_t c00 = b[0], c01 = c00, c02 = c00, c10 = b[1], c11 = c10, c12 = c10;
    const uint32_t *px = x;
    const int32_t *pw = p->weights_gemm + oc * p->gemm_slots;
    uint32_t x0, x1, x2, w0, w1;
    switch (p->gemm_unroll) {
    case 16:
        TD_CONV_GEMM_LOOP(16, TD_CONV_GEMM_U16);
        break;
    case 15:
        TD_CONV_GEMM_LOOP(15, TD_CONV_GEMM_U15);
        break;
    case 14:
        TD_CONV_GEMM_LOOP(14, TD_CONV_GEMM_U14);
        break;
    case 13:
        TD_CONV_GEMM_LOOP(13, TD_CONV_GEMM_U13);
        break;
    case 12:
        TD_CONV_GEMM_LOOP(12, TD_CONV_GEMM_U12);
        break;
    case 11:
        TD_CONV_GEMM_LOOP(11, TD_CONV_GEMM_U11);
        break;
    case 10:
        TD_CONV_GEMM_LOOP(10, TD_CONV_GEMM_U10);
        break;
    case 9:
        TD_CONV_GEMM_LOOP(9, TD_CONV_GEMM_U9);
        break;
    case 8:
        TD_CONV_GEMM_LOOP(8, TD_CONV_GEMM_U8);
        break;
    case 7:
        TD_CONV_GEMM_LOOP(7, TD_CONV_GEMM_U7);
        break;
    case 6:
        TD_CONV_GEMM_LOOP(6, TD_CONV_GEMM_U6);
        break;
    case 5:
        TD_CONV_GEMM_LOOP(5, TD_CONV_GEMM_U5);
        break;
    case 4:
        TD_CONV_GEMM_LOOP(4, TD_CONV_GEMM_U4);
        break;
    case 3:
        TD_CONV_GEMM_LOOP(3, TD_CONV_GEMM_U3);
        break;
    case 2:
        TD_CONV_GEMM_LOOP(2, TD_CONV_GEMM_U2);
        break;
    default:
        break;
    }
    out[oc] = td_conv_gemm_requant(p, c00, oc);
    if (np > 1) {
        out[stride + oc] = td_conv_gemm_requant(p, c01, oc);
    }
    if (np > 2) {
        out[2 * stride + oc] = td_conv_gemm_requant(p, c02, oc);
    }
    if (n > 1) {
        out[oc + 1] = td_conv_gemm_requant(p, c10, oc + 1);
        if (np > 1) {
            out[stride + oc + 1] = td_conv_gemm_requant(p, c11, oc + 1);
        }
        if (np > 2) {
            out[2 * stride + oc + 1] = td_conv_gemm_requant(p, c12, oc + 1);
        }
    }
}

/* Every channel of the first np pixels (a constant at each call) from the slots at x. */
TD_INLINE void td_conv_gemm_pixels(const td_conv_params *p, const uint32_t *x, int8_t *TD_RESTRICT out,
                                   int32_t stride, int np)
{
    int32_t oc = 0;
    for (; oc + 2 <= p->out_c; oc += 2) {
        td_conv_gemm_block(p, x, out, stride, oc, 2, np);
    }
    if (oc < p->out_c) {
        td_conv_gemm_block(p, x, out, stride, oc, 1, np);
    }
}

/* The low int16 lane a, the high one b. */
TD_INLINE uint32_t td_conv_lanes(int32_t a, int32_t b)
{
    return ((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16);
}

/* The k window values at a, b and c as slots at x (the slots past them stay as set up). */
TD_INLINE void td_conv_gemm_expand(const int8_t *a, const int8_t *b, const int8_t *c, int32_t k,
                                   uint32_t *TD_RESTRICT x)
{
    int32_t q = 0;
    TD_UNROLL4
    for (; q + 4 <= k; q += 4) {
        const uint32_t va = TD_WORD(a + q), vb = TD_WORD(b + q), vc = TD_WORD(c + q);
        x[0] = td_sxtb16(va);
        x[1] = td_sxtb16(vb);
        x[2] = td_sxtb16(vc);
        x[3] = td_sxtb16_ror8(va);
        x[4] = td_sxtb16_ror8(vb);
        x[5] = td_sxtb16_ror8(vc);
        x += 6;
    }
    if (q < k) {
        const int32_t r = k - q;
        x[0] = td_conv_lanes(a[q], r > 2 ? a[q + 2] : 0);
        x[1] = td_conv_lanes(b[q], r > 2 ? b[q + 2] : 0);
        x[2] = td_conv_lanes(c[q], r > 2 ? c[q + 2] : 0);
        x[3] = td_conv_lanes(r > 1 ? a[q + 1] : 0, 0);
        x[4] = td_conv_lanes(r > 1 ? b[q + 1] : 0, 0);
        x[5] = td_conv_lanes(r > 1 ? c[q + 1] : 0, 0);
    }
}

TD_INLINE int td_conv_gemm(const td_conv_params *p)
{
    return p->gemm_unroll != 0 && p->weights_gemm != NULL && p->bias_gemm != NULL && p->scratch != NULL;
}

/* The three windows of output pixels ox..ox+2 of row oy (the last repeated past the row's
 * end: np of them are real) gathered at patch, then expanded into the slots at x. */
TD_INLINE void td_conv_gemm_gather3(const td_conv_params *p, const int8_t *TD_RESTRICT input, int8_t *patch,
                                    uint32_t *x, int32_t iy0, int32_t ox, int np)
{
    const int32_t k = p->k_h * p->k_w * p->in_c;
    const int32_t k4 = (k + 3) & ~3;
    int j;
    TD_UNROLL4
    for (j = 0; j < np; ++j) {
        td_conv_s8_gather(p, input, patch + j * k4, iy0, (ox + j) * p->stride_w - p->pad_left);
    }
    td_conv_gemm_expand(patch, patch + (np > 1 ? k4 : 0), patch + (np > 2 ? 2 * k4 : np > 1 ? k4 : 0), k, x);
}

/* Every output through the GEMM path. Scratch: the slots (3 gemm_slots + 3 words), then three
 * gathered windows of K bytes each (rounded up to words) unless the op is pointwise. */
TD_INLINE void td_conv_s8_gemm(const td_conv_params *p, const int8_t *TD_RESTRICT input, int8_t *TD_RESTRICT output,
                               int pointwise)
{
    const int32_t k = p->k_h * p->k_w * p->in_c;
    uint32_t *x = (uint32_t *)p->scratch;
    int8_t *patch = (int8_t *)(x + 3 * p->gemm_slots + 3);
    int32_t s, oy, ox;
    /* Zero slots past the window and the end mark: the same for every pixel. */
    for (s = 2 * ((k + 3) / 4); s < p->gemm_slots; ++s) {
        x[3 * s] = 0;
        x[3 * s + 1] = 0;
        x[3 * s + 2] = 0;
    }
    x[3 * p->gemm_slots] = 0x80008000u;
    if (pointwise) {
        const int32_t pixels = p->out_h * p->out_w, c = p->in_c;
        int32_t i = 0;
        for (; i + 3 <= pixels; i += 3) {
            const int8_t *in = input + i * c;
            td_conv_gemm_expand(in, in + c, in + 2 * c, k, x);
            td_conv_gemm_pixels(p, x, output + i * p->out_c, p->out_c, 3);
        }
        if (pixels - i == 2) {
            td_conv_gemm_expand(input + i * c, input + (i + 1) * c, input + (i + 1) * c, k, x);
            td_conv_gemm_pixels(p, x, output + i * p->out_c, p->out_c, 2);
        } else if (pixels - i == 1) {
            td_conv_gemm_expand(input + i * c, input + i * c, input + i * c, k, x);
            td_conv_gemm_pixels(p, x, output + i * p->out_c, p->out_c, 1);
        }
        return;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int8_t *row = output + oy * p->out_w * p->out_c;
        for (ox = 0; ox + 3 <= p->out_w; ox += 3) {
            td_conv_gemm_gather3(p, input, patch, x, iy0, ox, 3);
            td_conv_gemm_pixels(p, x, row + ox * p->out_c, p->out_c, 3);
        }
        if (p->out_w - ox == 2) {
            td_conv_gemm_gather3(p, input, patch, x, iy0, ox, 2);
            td_conv_gemm_pixels(p, x, row + ox * p->out_c, p->out_c, 2);
        } else if (p->out_w - ox == 1) {
            td_conv_gemm_gather3(p, input, patch, x, iy0, ox, 1);
            td_conv_gemm_pixels(p, x, row + ox * p->out_c, p->out_c, 1);
        }
    }
}
#endif

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
#if defined(TD_USE_DSP)
    if (td_conv_gemm(p)) {
        td_conv_s8_gemm(p, input, output, td_conv_s8_pointwise(p));
        return TD_OK;
    }
#endif
    if (td_conv_s8_pointwise(p)) {
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
