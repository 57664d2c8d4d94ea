/* PAD int8: fill, then copy the input into the interior. */
#include <string.h>
#include "td_pad_s8.h"

td_status td_pad_s8(const td_pad_params *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return TD_ERR_ARG;
    }
    memset(output, (int8_t)p->pad_value, (size_t)p->out_size);
    td_region_scatter_s8(p->region, input, output);
    return TD_OK;
}
