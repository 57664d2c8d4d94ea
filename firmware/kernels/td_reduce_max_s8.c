/* REDUCE_MAX int8: running maximum per output, starting from the int8 minimum. */
#include "td_reduce_max_s8.h"

td_status td_reduce_max_s8(const td_reduce_max_params *p, const int8_t *input, int8_t *output)
{
    int32_t o, c, t;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = input + o * p->reduce * p->inner;
        int8_t *out = output + o * p->inner;
        for (c = 0; c < p->inner; ++c) {
            out[c] = -128;
        }
        for (t = 0; t < p->reduce; ++t) {
            const int8_t *row = base + t * p->inner;
            for (c = 0; c < p->inner; ++c) {
                out[c] = row[c] > out[c] ? row[c] : out[c];
            }
        }
    }
    return TD_OK;
}
