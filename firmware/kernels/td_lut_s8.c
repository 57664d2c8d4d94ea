/* Table lookup, safe in place (output may equal input). */
#include "td_lut_s8.h"

td_status td_lut_s8(const td_lut_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    for (i = 0; i < p->size; ++i) {
        output[i] = p->table[(int32_t)input[i] + 128];
    }
    return TD_OK;
}
