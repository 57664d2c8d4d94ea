/* FULLY_CONNECTED int8: int8 weights are symmetric (zero point 0), so the input
 * zero point folds into the bias and the inner loop is a plain dot product.
 * TF 2.21's reference requantizes FULLY_CONNECTED with single rounding (int64
 * product, one rounding shift); single_rounding = 0 selects the gemmlowp double rounding. */
#include "td_fully_connected_s8.h"
#include "td_mac.h"
#include "td_requant.h"

td_status td_fully_connected_s8(const td_fully_connected_params *p, const int8_t *input, int8_t *output)
{
    int32_t r, o;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (r = 0; r < p->rows; ++r) {
        const int8_t *w = p->weights;
        for (o = 0; o < p->out_c; ++o) {
            const int32_t acc = td_dot_s8(w, input, p->in_c, p->bias_folded[o]);
            const int32_t scaled = p->single_rounding ? td_mbqm_single(acc, p->mult[o], p->shift[o])
                                                      : td_mbqm(acc, p->mult[o], p->shift[o]);
            output[o] = td_clamp_s8(scaled + p->out_offset, p->act_min, p->act_max);
            w += p->in_c;
        }
        input += p->in_c;
        output += p->out_c;
    }
    return TD_OK;
}
