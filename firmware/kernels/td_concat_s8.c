/* CONCATENATION int8: each input scattered into its region of the output. */
#include "td_concat_s8.h"

td_status td_concat_s8(const td_concat_params *p, const int8_t *const *inputs, int8_t *output)
{
    int32_t k;
    if (p == NULL || inputs == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (k = 0; k < p->count; ++k) {
        if (inputs[k] == NULL) {
            return TD_ERR_ARG;
        }
        td_region_scatter_s8(p->regions + k * TD_REGION_INTS, inputs[k], output);
    }
    return TD_OK;
}
