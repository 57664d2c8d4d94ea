/* Global average pooling over a stream: the callable form of td_running_mean_s8_impl(). */
#include "td_running_mean_s8.h"

td_status td_running_mean_s8(const td_mean_params *p, const td_running_mean_state *s, const int8_t *rows,
                             int32_t n_new, int8_t *output)
{
    return td_running_mean_s8_impl(p, s, rows, n_new, output);
}
