/* MEAN int8: one int32 sum and one requantization per output. */
#include "td_mean_s8.h"

td_status td_mean_s8(const td_mean_params *p, const int8_t *input, int8_t *output)
{
    return td_mean_s8_impl(p, input, output);
}
