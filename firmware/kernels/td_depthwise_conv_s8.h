/* DEPTHWISE_CONV_2D int8, per-channel (TFLite reference_integer_ops::DepthwiseConvPerChannel).
 * Output channel oc reads input channel oc / depth_mult. Weights keep TFLite's
 * [k_h][k_w][out_c] layout: four neighbouring channels of one tap are one word, which
 * the Armv7E-M path (TD_USE_DSP) multiplies with SMLABB/SMLATT, one channel per lane.
 *
 * td_depthwise_conv_s8() is the callable kernel; td_depthwise_conv_s8_impl() the
 * same code inline, which generated model.c specializes with constant parameters. */
#ifndef TD_DEPTHWISE_CONV_S8_H
#define TD_DEPTHWISE_CONV_S8_H

#include "td_dsp.h"
#include "td_mac.h"
#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t depth_mult;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t oy_lo, oy_hi, ox_lo, ox_hi; /* outputs that see no padding */
    int32_t in_offset, out_offset;
    int32_t act_min, act_max;
    int32_t fast_requant;       /* 1: all shifts <= 0 and |acc| < 2^30 (proved by the generator);
                                 * 2: also every shift in [-22, -1] */
    const int8_t *weights;      /* [k_h][k_w][out_c] */
    const int32_t *bias;        /* [out_c] */
    const int32_t *bias_folded; /* [out_c]: bias + in_offset * sum(weights[oc]) */
    const int32_t *mult;
    const int32_t *shift;
#if defined(TD_USE_DSP)
    /* Only builds with the Armv7E-M paths have (and link) what only those paths read. */
    /* Working memory in the arena, planned by the generator (lowering/conv.py depthwise_scratch_bytes),
     * for the blocked path; NULL: that path is off. */
    int32_t *scratch;
    const int32_t *round_offset; /* [out_c] with fast_requant 2: 2^(r-1) + (out_offset << r), r = -shift */
#endif
} td_depthwise_conv_params;

td_status td_depthwise_conv_s8(const td_depthwise_conv_params *p, const int8_t *input, int8_t *output);

/* Channels oc0.. of one output pixel next to the padding: per-tap bounds checks as the reference. */
void td_depthwise_conv_s8_border(const td_depthwise_conv_params *p, const int8_t *input, int8_t *out,
                                 int32_t iy0, int32_t ix0, int32_t oc0);

#define TD_DW_REQUANT(p, acc, c)                                                                     \
    ((p)->fast_requant                                                                               \
         ? td_requant_fast_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min,     \
                              (p)->act_max)                                                          \
         : td_requant_s8((acc), (p)->mult[c], (p)->shift[c], (p)->out_offset, (p)->act_min, (p)->act_max))

#if defined(TD_USE_DSP)
/* Four channels oc..oc+3 of one output pixel (depth_mult 1): per tap one word of
 * inputs and one of weights, each split by SXTB16 into channels (0, 2) and (1, 3),
 * multiplied lane by lane. `border` (a constant at each call) selects the padding
 * test: a padded tap reads four copies of the input zero point, which the folded
 * bias cancels. */
TD_INLINE void td_depthwise_conv_s8_quad(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                         int8_t *TD_RESTRICT out, int32_t iy0, int32_t ix0, int32_t oc,
                                         int border)
{
    const uint32_t pad = 0x01010101u * (uint8_t)(int8_t)(-p->in_offset);
    const int8_t *w = p->weights + oc;
    const int8_t *origin = input + (iy0 * p->in_w + ix0) * p->in_c + oc;
    int32_t a0 = p->bias_folded[oc], a1 = p->bias_folded[oc + 1];
    int32_t a2 = p->bias_folded[oc + 2], a3 = p->bias_folded[oc + 3];
    int32_t ky, kx;
    TD_UNROLL
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        TD_UNROLL
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dil_w;
            const uint32_t vw = td_load4(w + (ky * p->k_w + kx) * p->out_c);
            uint32_t vx;
            if (border && (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)) {
                vx = pad;
            } else {
                vx = td_load4(origin + (ky * p->dil_h * p->in_w + kx * p->dil_w) * p->in_c);
            }
            TD_MAC_LANES4_STEP(vw, vx, a0, a1, a2, a3);
        }
    }
    out[oc] = TD_DW_REQUANT(p, a0, oc);
    out[oc + 1] = TD_DW_REQUANT(p, a1, oc + 1);
    out[oc + 2] = TD_DW_REQUANT(p, a2, oc + 2);
    out[oc + 3] = TD_DW_REQUANT(p, a3, oc + 3);
}
#endif

#if defined(TD_USE_DSP)
/* The blocked path (depth multiplier 1, channels by four): for each four channels, the
 * padded input as two planes of sign-extended channel pairs (SXTB16 lanes: channels
 * 0, 2 and 1, 3), and the weights likewise, so the inner loop only loads and
 * multiplies. Outputs are computed three at a time along the longer output axis (a),
 * and each input word serves every output of the block that reads it. Planes and
 * weights live in the params' scratch, which the generator plans in the arena:
 * 2 * p_h * p_w + 2 * k_h * k_w words, p_h = (out_h - 1) * stride_h + (k_h - 1) * dil_h + 1
 * (the padded input's rows the outputs read; p_w likewise). */
/* Keeps GCC from merging neighbouring blocks' loads (it hoists them all and spills). */
#define TD_DW_FENCE() __asm__ volatile("" ::: "memory")

typedef struct {
    int32_t vertical;      /* a is the output's height */
    int32_t n_a, n_b;      /* outputs along a and b */
    int32_t k_a, k_b;      /* taps along a and b */
    int32_t s_a, s_b;      /* strides */
    int32_t d_a, d_b;      /* dilations */
    int32_t p_a, p_b;      /* plane positions along a and b (a-contiguous) */
    int32_t pad_a, pad_b;  /* padding before a and b */
    int32_t in_a, in_b;    /* input size along a and b */
    int32_t o_a, o_b;      /* output bytes between neighbours along a and b */
} td_dw_axes;

TD_INLINE td_dw_axes td_dw_axes_of(const td_depthwise_conv_params *p)
{
    td_dw_axes x;
    const int32_t v = p->out_h > p->out_w;
    x.vertical = v;
    x.n_a = v ? p->out_h : p->out_w;
    x.n_b = v ? p->out_w : p->out_h;
    x.k_a = v ? p->k_h : p->k_w;
    x.k_b = v ? p->k_w : p->k_h;
    x.s_a = v ? p->stride_h : p->stride_w;
    x.s_b = v ? p->stride_w : p->stride_h;
    x.d_a = v ? p->dil_h : p->dil_w;
    x.d_b = v ? p->dil_w : p->dil_h;
    x.p_a = (x.n_a - 1) * x.s_a + (x.k_a - 1) * x.d_a + 1;
    x.p_b = (x.n_b - 1) * x.s_b + (x.k_b - 1) * x.d_b + 1;
    x.pad_a = v ? p->pad_top : p->pad_left;
    x.pad_b = v ? p->pad_left : p->pad_top;
    x.in_a = v ? p->in_h : p->in_w;
    x.in_b = v ? p->in_w : p->in_h;
    x.o_a = (v ? p->out_w : 1) * p->out_c;
    x.o_b = (v ? 1 : p->out_w) * p->out_c;
    return x;
}

/* Channels oc..oc+3 of the input as the two lane planes, padded with the input zero
 * point (which the folded bias cancels), so that no output sees a border. */
TD_INLINE void td_dw_fill_planes(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                 uint32_t *TD_RESTRICT even, uint32_t *TD_RESTRICT odd, int32_t oc)
{
    const td_dw_axes x = td_dw_axes_of(p);
    const uint32_t pad = td_sxtb16(0x01010101u * (uint8_t)(int8_t)(-p->in_offset));
    /* Input bytes between neighbours along a and b. */
    const int32_t step_a = (x.vertical ? p->in_w : 1) * p->in_c, step_b = (x.vertical ? 1 : p->in_w) * p->in_c;
    const int32_t lo = x.pad_a < x.p_a ? x.pad_a : x.p_a;
    const int32_t end = x.pad_a + x.in_a < x.p_a ? x.pad_a + x.in_a : x.p_a;
    int32_t ib, ia;
    for (ib = 0; ib < x.p_b; ++ib) {
        const int32_t b = ib - x.pad_b;
        uint32_t *e = even + ib * x.p_a, *o = odd + ib * x.p_a;
        if (b < 0 || b >= x.in_b) {
            for (ia = 0; ia < x.p_a; ++ia) {
                e[ia] = pad;
                o[ia] = pad;
            }
            continue;
        }
        for (ia = 0; ia < lo; ++ia) {
            e[ia] = pad;
            o[ia] = pad;
        }
        {
            const int8_t *src = input + b * step_b + (lo - x.pad_a) * step_a + oc;
            TD_UNROLL4
            for (; ia < end; ++ia) {
                const uint32_t v = TD_WORD(src);
                e[ia] = td_sxtb16(v);
                o[ia] = td_sxtb16_ror8(v);
                src += step_a;
            }
        }
        for (; ia < x.p_a; ++ia) {
            e[ia] = pad;
            o[ia] = pad;
        }
    }
}

/* One row of taps (k_a = 3, stride and dilation 1) for three outputs along a, as one
 * asm block so that GCC keeps the six accumulators, three weights and one input in
 * registers (11; twelve and more left GCC without registers where model.c inlines
 * several kernels): input j (word j at xp) serves outputs j - 2 .. j. The block loads
 * the row's three weights from wp itself (LDRD + LDR, the last into wp's register):
 * left to GCC, those loads took up to six instructions with their base reloaded. */
#define TD_DW_X(J) "ldr %[x], [%[xp], #4 * " #J "]\n\t"
#define TD_DW_M(Q, W)                                                                                \
    "smlabb %[" Q "l], %[" W "], %[x], %[" Q "l]\n\tsmlatt %[" Q "h], %[" W "], %[x], %[" Q "h]\n\t"
#define TD_DW_ROW3X3(XP, WP, S)                                                                       \
    do {                                                                                              \
        uint32_t x_, w0_, w1_;                                                                        \
        uintptr_t w2_ = (uintptr_t)(WP);                                                              \
        __asm__("ldrd %[w0], %[w1], [%[w2]]\n\t"                                                      \
                "ldr %[w2], [%[w2], #8]\n\t"                                                          \
                TD_DW_X(0) TD_DW_M("q0", "w0")                                                        \
                TD_DW_X(1) TD_DW_M("q0", "w1") TD_DW_M("q1", "w0")                                    \
                TD_DW_X(2) TD_DW_M("q0", "w2") TD_DW_M("q1", "w1") TD_DW_M("q2", "w0")                \
                TD_DW_X(3) TD_DW_M("q1", "w2") TD_DW_M("q2", "w1")                                    \
                TD_DW_X(4) TD_DW_M("q2", "w2")                                                        \
                : [q0l] "+r"(S[0][0]), [q0h] "+r"(S[0][1]), [q1l] "+r"(S[1][0]), [q1h] "+r"(S[1][1]), \
                  [q2l] "+r"(S[2][0]), [q2h] "+r"(S[2][1]), [x] "=&r"(x_), [w0] "=&r"(w0_),          \
                  [w1] "=&r"(w1_), [w2] "+r"(w2_)                                                     \
                : [xp] "r"(XP)                                                                        \
                : "memory");                                                                          \
    } while (0)

/* What the outputs of one lane need besides the accumulators, for its channels c0 and c0 + 2:
 * gathered once per four channels (on the stack) so that each block loads them without
 * reloading the params' array pointers, doubling the biases or negating the shifts again. */
typedef struct {
    int32_t bias[2];  /* bias_folded, doubled with fast_requant (the weights are, td_dw_planes_quad) */
    int32_t mult[2];
    int32_t shift[2]; /* fast_requant 2: the right shift -shift; otherwise shift */
    int32_t round[2]; /* fast_requant 2: round_offset */
} td_dw_lane;

TD_INLINE void td_dw_lane_of(const td_depthwise_conv_params *p, int32_t c0, td_dw_lane *TD_RESTRICT lane)
{
    const int folded = p->fast_requant == 2 && p->round_offset != NULL;
    int32_t j;
    for (j = 0; j < 2; ++j) {
        const int32_t c = c0 + 2 * j;
        lane->bias[j] = p->bias_folded[c] * (p->fast_requant ? 2 : 1);
        lane->mult[j] = p->mult[c];
        lane->shift[j] = folded ? -p->shift[c] : p->shift[c];
        lane->round[j] = folded ? p->round_offset[c] : 0;
    }
}

/* `np` (1 or 3, a constant) outputs along a from one lane plane: channels c0 and c0 + 2.
 * x0: the plane at the block's first window; wx: the lane's extended weights [k_b][k_a]. */
TD_INLINE void td_dw_block(const td_depthwise_conv_params *p, const td_dw_axes *ax, const td_dw_lane *lane,
                           const uint32_t *TD_RESTRICT x0, const uint32_t *TD_RESTRICT wx, int8_t *TD_RESTRICT out,
                           int32_t c0, int np)
{
    const int32_t c1 = c0 + 2;
    int32_t s[3][2];
    int32_t i, kb, ka;
    TD_UNROLL4
    for (i = 0; i < np; ++i) {
        s[i][0] = lane->bias[0];
        s[i][1] = lane->bias[1];
    }
    TD_UNROLL4
    for (kb = 0; kb < ax->k_b; ++kb) {
        const uint32_t *xr = x0 + kb * ax->d_b * ax->p_a;
        const uint32_t *wr = wx + kb * ax->k_a;
        if (np == 3 && ax->k_a == 3 && ax->s_a == 1 && ax->d_a == 1) {
            TD_DW_ROW3X3(xr, wr, s);
        } else {
            for (ka = 0; ka < ax->k_a; ++ka) {
                const uint32_t w = wr[ka];
                TD_UNROLL4
                for (i = 0; i < np; ++i) {
                    const uint32_t v = xr[i * ax->s_a + ka * ax->d_a];
                    s[i][0] = td_smlabb(w, v, s[i][0]);
                    s[i][1] = td_smlatt(w, v, s[i][1]);
                }
            }
        }
    }
    if (p->fast_requant == 2 && p->round_offset != NULL) {
        TD_UNROLL4
        for (i = 0; i < np; ++i) {
            out[i * ax->o_a + c0] = td_requant_folded_x2_s8(s[i][0], lane->mult[0], lane->shift[0], lane->round[0],
                                                            p->out_offset, p->act_min, p->act_max);
            out[i * ax->o_a + c1] = td_requant_folded_x2_s8(s[i][1], lane->mult[1], lane->shift[1], lane->round[1],
                                                            p->out_offset, p->act_min, p->act_max);
        }
    } else {
        TD_UNROLL4
        for (i = 0; i < np; ++i) {
            TD_UNROLL2
            for (ka = 0; ka < 2; ++ka) {
                out[i * ax->o_a + c0 + 2 * ka] =
                    p->fast_requant ? td_requant_fast_x2_s8(s[i][ka], lane->mult[ka], lane->shift[ka], p->out_offset,
                                                            p->act_min, p->act_max)
                                    : td_requant_s8(s[i][ka], lane->mult[ka], lane->shift[ka], p->out_offset,
                                                    p->act_min, p->act_max);
            }
        }
    }
}

/* Every output of channels oc..oc+3 from the two lane planes; w0, w1: room for the
 * two lanes' extended weights, k_a * k_b words each. One lane after the other, so that
 * only one lane's constants are on the stack. */
TD_INLINE void td_dw_planes_quad(const td_depthwise_conv_params *p, const uint32_t *TD_RESTRICT even,
                                 const uint32_t *TD_RESTRICT odd, uint32_t *TD_RESTRICT w0, uint32_t *TD_RESTRICT w1,
                                 int8_t *TD_RESTRICT output, int32_t oc)
{
    const td_dw_axes ax = td_dw_axes_of(p);
    int32_t a, b, t, l;
    for (t = 0; t < ax.k_a * ax.k_b; ++t) {
        /* [k_b][k_a] from TFLite's [k_h][k_w][out_c]. */
        const int32_t ka = t % ax.k_a, kb = t / ax.k_a;
        const int32_t tap = ax.vertical ? ka * p->k_w + kb : kb * p->k_w + ka;
        const uint32_t v = TD_WORD(p->weights + tap * p->out_c + oc);
        if (p->fast_requant) {
            /* Doubled (|2w| <= 256 fits a lane): the accumulators come out as the 2 acc
             * that td_requant_fast_x2_s8 wants (|2 acc| < 2^31 by fast_requant's bound). */
            w0[t] = td_sadd16(td_sxtb16(v), td_sxtb16(v));
            w1[t] = td_sadd16(td_sxtb16_ror8(v), td_sxtb16_ror8(v));
        } else {
            w0[t] = td_sxtb16(v);
            w1[t] = td_sxtb16_ror8(v);
        }
    }
    for (l = 0; l < 2; ++l) {
        const uint32_t *plane = l ? odd : even;
        const uint32_t *wl = l ? w1 : w0;
        td_dw_lane lane;
        td_dw_lane_of(p, oc + l, &lane);
        for (b = 0; b < ax.n_b; ++b) {
            const uint32_t *xb = plane + b * ax.s_b * ax.p_a;
            int8_t *ob = output + b * ax.o_b;
            for (a = 0; a + 3 <= ax.n_a; a += 3) {
                td_dw_block(p, &ax, &lane, xb + a * ax.s_a, wl, ob + a * ax.o_a, oc + l, 3);
                TD_DW_FENCE();
            }
            for (; a < ax.n_a; ++a) {
                td_dw_block(p, &ax, &lane, xb + a * ax.s_a, wl, ob + a * ax.o_a, oc + l, 1);
                TD_DW_FENCE();
            }
        }
    }
}

/* The blocked path applies: the generator gave it scratch (it does so for depth
 * multiplier 1 and channels by four only). */
TD_INLINE int td_dw_blocked(const td_depthwise_conv_params *p)
{
    return p->scratch != NULL && p->depth_mult == 1 && p->out_c % 4 == 0;
}
#endif

/* No output sees padding, and no channel takes the Armv7E-M four-channel path: the
 * whole output is one rectangle, computed one channel at a time. */
TD_INLINE int td_dw_valid(const td_depthwise_conv_params *p)
{
#if defined(TD_USE_DSP)
    if (p->depth_mult == 1 && p->out_c >= 4) {
        return 0;
    }
#endif
    return p->oy_lo == 0 && p->oy_hi == p->out_h && p->ox_lo == 0 && p->ox_hi == p->out_w;
}

/* td_dw_valid(p): channel after channel, so that its bias and requantization stay in
 * registers across its outputs. With padding the per-pixel loop stays: this loop over the
 * padding-free outputs beside the border walk took more code than it saved (measured:
 * the students' Cortex-M0+ model.o +104 and +232 B, the MLPerf KWS model's rv32 +328 B). */
TD_INLINE void td_depthwise_conv_s8_valid(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                          int8_t *TD_RESTRICT output)
{
    const int32_t tap_step = p->dil_w * p->in_c;
    const int32_t row_step = p->dil_h * p->in_w * p->in_c;
    int32_t oc, oy, ox, ky, kx;
    for (oc = 0; oc < p->out_c; ++oc) {
        const int32_t bias = p->bias_folded[oc], mult = p->mult[oc], shift = p->shift[oc];
        const int8_t *w = p->weights + oc;
        const int8_t *ch = input + (p->depth_mult == 1 ? oc : oc / p->depth_mult);
        int8_t *out = output + oc;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int8_t *in = ch + ((oy * p->stride_h - p->pad_top) * p->in_w - p->pad_left) * p->in_c;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int8_t *x = in;
                int32_t acc = bias;
                for (ky = 0; ky < p->k_h; ++ky) {
                    TD_UNROLL
                    for (kx = 0; kx < p->k_w; ++kx) {
                        acc += (int32_t)w[(ky * p->k_w + kx) * p->out_c] * x[kx * tap_step];
                    }
                    x += row_step;
                }
                *out = p->fast_requant
                           ? td_requant_fast_s8(acc, mult, shift, p->out_offset, p->act_min, p->act_max)
                           : td_requant_s8(acc, mult, shift, p->out_offset, p->act_min, p->act_max);
                /* Without it, GCC keeps the weights and the inputs the next output shares in
                 * registers across the row: on Cortex-M0+ they spill (more code, a bigger frame). */
                __asm__ volatile("" ::: "memory");
                out += p->out_c;
                in += p->stride_w * p->in_c;
            }
        }
    }
}

TD_INLINE td_status td_depthwise_conv_s8_impl(const td_depthwise_conv_params *p, const int8_t *TD_RESTRICT input,
                                              int8_t *TD_RESTRICT output)
{
    const int32_t tap_step = p->dil_w * p->in_c;
    const int32_t row_step = p->dil_h * p->in_w * p->in_c;
    int32_t oy, ox, oc;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
#if defined(TD_USE_DSP)
    if (td_dw_blocked(p)) {
        /* Scratch: the two planes, then the two lanes' extended weights. */
        const td_dw_axes ax = td_dw_axes_of(p);
        uint32_t *even = (uint32_t *)p->scratch, *odd = even + ax.p_a * ax.p_b;
        uint32_t *w0 = odd + ax.p_a * ax.p_b, *w1 = w0 + ax.k_a * ax.k_b;
        for (oc = 0; oc < p->out_c; oc += 4) {
            td_dw_fill_planes(p, input, even, odd, oc);
            td_dw_planes_quad(p, even, odd, w0, w1, output, oc);
        }
        return TD_OK;
    }
#endif
    if (td_dw_valid(p)) {
        td_depthwise_conv_s8_valid(p, input, output);
        return TD_OK;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int8_t *row = output + oy * p->out_w * p->out_c;
        const int inside = oy >= p->oy_lo && oy < p->oy_hi;
        const int32_t lo = inside ? p->ox_lo : p->out_w;
        const int32_t hi = inside ? p->ox_hi : p->out_w;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int border = ox < lo || ox >= hi;
            int8_t *out = row + ox * p->out_c;
            oc = 0;
#if defined(TD_USE_DSP)
            if (p->depth_mult == 1) {
                if (border) {
                    for (; oc + 4 <= p->out_c; oc += 4) {
                        td_depthwise_conv_s8_quad(p, input, out, iy0, ix0, oc, 1);
                    }
                } else {
                    for (; oc + 4 <= p->out_c; oc += 4) {
                        td_depthwise_conv_s8_quad(p, input, out, iy0, ix0, oc, 0);
                    }
                }
            }
#endif
            if (border) {
                if (oc < p->out_c) {
                    td_depthwise_conv_s8_border(p, input, out, iy0, ix0, oc);
                }
                continue;
            }
            {
                const int8_t *origin = input + (iy0 * p->in_w + ix0) * p->in_c;
                for (; oc < p->out_c; ++oc) {
                    const int8_t *in = origin + (p->depth_mult == 1 ? oc : oc / p->depth_mult);
                    const int8_t *w = p->weights + oc;
                    int32_t acc = p->bias_folded[oc];
                    int32_t ky, kx;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        TD_UNROLL
                        for (kx = 0; kx < p->k_w; ++kx) {
                            acc += (int32_t)w[kx * p->out_c] * in[kx * tap_step];
                        }
                        w += p->k_w * p->out_c;
                        in += row_step;
                    }
                    out[oc] = TD_DW_REQUANT(p, acc, oc);
                }
            }
        }
    }
    return TD_OK;
}

#endif /* TD_DEPTHWISE_CONV_S8_H */
