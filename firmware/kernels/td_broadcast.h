/* The 4-D broadcast shared by the two-input elementwise kernels (ADD/SUB, MUL).
 * The output is written in order; each input is read through its own strides,
 * 0 along an axis where it broadcasts. Macros rather than functions so each
 * kernel's element function is inlined into its own loops (same code as written out);
 * a, b and output must be plain variables (read more than once). */
#ifndef TD_BROADCAST_H
#define TD_BROADCAST_H

#include "td_types.h"

/* The leading fields of both kernels' parameters: the shape and strides the loops below walk,
 * and the inputs' offsets their element functions add. */
#define TD_BROADCAST4_FIELDS                                                        \
    int32_t dims[4];    /* output shape, extended to 4-D */                         \
    int32_t stride1[4]; /* input 1 strides in elements; 0 where it broadcasts */    \
    int32_t stride2[4];                                                             \
    int32_t flat;       /* 1: same shapes, a single flat loop */                    \
    int32_t in1_offset, in2_offset; /* -zero points */

/* Same shapes (p->flat): output[i] = ONE(p, a[i], b[i]) over the whole output. */
#define TD_BROADCAST4_FLAT(p, a, b, output, ONE)                                                                \
    do {                                                                                                        \
        const int32_t td_n_ = (p)->dims[0] * (p)->dims[1] * (p)->dims[2] * (p)->dims[3];                        \
        int32_t td_i_;                                                                                          \
        for (td_i_ = 0; td_i_ < td_n_; ++td_i_) {                                                               \
            (output)[td_i_] = ONE((p), (a)[td_i_], (b)[td_i_]);                                                 \
        }                                                                                                       \
    } while (0)

/* Broadcasting: the output in order, each input through its own strides. */
#define TD_BROADCAST4_STRIDED(p, a, b, output, ONE)                                                             \
    do {                                                                                                        \
        int8_t *td_out_ = (output);                                                                             \
        int32_t td_i0_, td_i1_, td_i2_, td_i3_;                                                                 \
        for (td_i0_ = 0; td_i0_ < (p)->dims[0]; ++td_i0_) {                                                     \
            for (td_i1_ = 0; td_i1_ < (p)->dims[1]; ++td_i1_) {                                                 \
                for (td_i2_ = 0; td_i2_ < (p)->dims[2]; ++td_i2_) {                                             \
                    const int8_t *td_ra_ =                                                                      \
                        (a) + td_i0_ * (p)->stride1[0] + td_i1_ * (p)->stride1[1] + td_i2_ * (p)->stride1[2];   \
                    const int8_t *td_rb_ =                                                                      \
                        (b) + td_i0_ * (p)->stride2[0] + td_i1_ * (p)->stride2[1] + td_i2_ * (p)->stride2[2];   \
                    for (td_i3_ = 0; td_i3_ < (p)->dims[3]; ++td_i3_) {                                         \
                        *td_out_++ = ONE((p), td_ra_[td_i3_ * (p)->stride1[3]],                                 \
                                         td_rb_[td_i3_ * (p)->stride2[3]]);                                     \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    } while (0)

#endif /* TD_BROADCAST_H */
