/* Global average pooling over a stream: MEAN over the last `reduce` rows of a sequence
 * that grows by a few rows per hop, bit-exact with td_mean_s8() on those rows.
 *
 * The state is the ring of the last `reduce` rows (int8, `inner` values each), one int32
 * running sum per channel and the ring's position. Each new row replaces the oldest in
 * the ring and in the sums; the output requantizes (sum + sum_offset) exactly as
 * td_mean_s8() does, so the sum of the same rows gives the same bytes. */
#ifndef TD_RUNNING_MEAN_S8_H
#define TD_RUNNING_MEAN_S8_H

#include "td_mean_s8.h"
#include "td_requant.h"
#include "td_types.h"

typedef struct {
    int32_t *sums;   /* [inner]: sum of the ring's rows per channel */
    int32_t *pos;    /* the ring row the next new row replaces */
    int8_t *ring;    /* [reduce][inner] */
} td_running_mean_state;

/* Bytes of the state for `reduce` rows of `inner` channels (sums, position, ring), int32-aligned. */
#define TD_RUNNING_MEAN_STATE_SIZE(reduce, inner) (4 * (inner) + 4 + (((reduce) * (inner) + 3) / 4) * 4)

/* `p` is the MEAN's own parameters (outer must be 1): push `n_new` rows, write `inner` outputs. */
TD_INLINE td_status td_running_mean_s8_impl(const td_mean_params *p, const td_running_mean_state *s,
                                            const int8_t *TD_RESTRICT rows, int32_t n_new,
                                            int8_t *TD_RESTRICT output)
{
    int32_t r, c;
    if (p == NULL || s == NULL || rows == NULL || output == NULL || p->outer != 1) {
        return TD_ERR_ARG;
    }
    for (r = 0; r < n_new; ++r) {
        int8_t *slot = s->ring + *s->pos * p->inner;
        const int8_t *row = rows + r * p->inner;
        for (c = 0; c < p->inner; ++c) {
            s->sums[c] += (int32_t)row[c] - (int32_t)slot[c];
            slot[c] = row[c];
        }
        *s->pos = *s->pos + 1 == p->reduce ? 0 : *s->pos + 1;
    }
    for (c = 0; c < p->inner; ++c) {
        const int32_t acc = s->sums[c] + p->sum_offset;
        output[c] = p->fast_requant ? td_requant_fast_s8(acc, p->mult, p->shift, p->out_offset, -128, 127)
                                    : td_requant_s8(acc, p->mult, p->shift, p->out_offset, -128, 127);
    }
    return TD_OK;
}

td_status td_running_mean_s8(const td_mean_params *p, const td_running_mean_state *s, const int8_t *rows,
                             int32_t n_new, int8_t *output);

#endif /* TD_RUNNING_MEAN_S8_H */
